# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Paper-style tables: rows = normal classes, columns = models, "mean ± std" in % over seeds.

Example:
    >>> from anomalib_toll.record import Row
    >>> rows = [Row("digits", 0, s, m, "paper", "auroc", v, v, 1.0, 0.1, 100.0, "", "")
    ...         for s, (m, v) in enumerate([("toll", 0.9), ("iforest", 0.8)])]
    >>> print(summary_table(rows, "value").splitlines()[2])
    | 0 | **90.0 ± 0.0** | 80.0 ± 0.0 |
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from anomalib_toll.record import Row


def stats(rows: Sequence[Row], field: str) -> tuple[list[int], list[str], dict[tuple[int, str], list[float]]]:
    """Classes, models (in row order) and the values of ``field`` in % per (class, model)."""
    classes = sorted({r.normal_class for r in rows})
    models = list(dict.fromkeys(r.model for r in rows))
    values: dict[tuple[int, str], list[float]] = defaultdict(list)
    for r in rows:
        values[(r.normal_class, r.model)].append(100.0 * getattr(r, field))
    return classes, models, values


def summary_table(rows: Sequence[Row], field: str = "value", class_names: Sequence[str] | None = None) -> str:
    """A Markdown table of ``field`` (``value`` or ``auroc``); the best mean per row in bold."""
    classes, models, values = stats(rows, field)
    lines = ["| normal class | " + " | ".join(models) + " |", "|---" * (len(models) + 1) + "|"]

    def render(label: str, cells: list[tuple[float, float] | None]) -> str:
        means = [c[0] for c in cells if c is not None]
        best = max(means) if means else None
        out = []
        for c in cells:
            if c is None:
                out.append("–")
                continue
            text = f"{c[0]:.1f} ± {c[1]:.1f}" if not np.isnan(c[1]) else f"{c[0]:.1f}"
            out.append(f"**{text}**" if np.isclose(c[0], best) else text)
        return f"| {label} | " + " | ".join(out) + " |"

    per_model_means: dict[str, list[float]] = defaultdict(list)
    for k in classes:
        cells = []
        for m in models:
            v = values.get((k, m))
            cells.append((float(np.mean(v)), float(np.std(v))) if v else None)
            if v:
                per_model_means[m].append(float(np.mean(v)))
        name = class_names[k] if class_names is not None and k < len(class_names) else str(k)
        lines.append(render(name, cells))
    if len(classes) > 1:
        averages = [(float(np.mean(per_model_means[m])), float("nan")) if per_model_means[m] else None for m in models]
        lines.append(render("Average", averages))
    return "\n".join(lines)


def summary_markdown(rows: Sequence[Row], title: str, class_names: Sequence[str] | None = None) -> str:
    """``summary.md``: the dataset's metric (and AUROC when the metric is another), with context."""
    if not rows:
        return f"# {title}\n\nNo finished cells yet.\n"
    metric = rows[0].metric
    seeds = sorted({r.seed for r in rows})
    parts = [
        f"# {title}",
        "",
        f"Protocol `{rows[0].protocol}`; {len(seeds)} seed(s); mean ± std (population) over seeds in %; "
        "best mean per row in bold.",
        "",
        f"## {metric.upper()}" + (" (top 15 % of test scores flagged)" if metric == "f1" else ""),
        "",
        summary_table(rows, "value", class_names),
    ]
    if metric != "auroc":
        parts += ["", "## AUROC", "", summary_table(rows, "auroc", class_names)]
    counts = sorted({(r.normal_class, r.n_test_normal, r.n_test_anomalous, r.input_shape) for r in rows if r.input_shape})
    if counts:
        parts += ["", "## Test data", "", "| normal class | test normal | test anomalous | input |", "|---|---|---|---|"]
        parts += [
            f"| {class_names[k] if class_names and k < len(class_names) else k} | {n} | {a} | {shape.replace('x', ' × ')} |"
            for k, n, a, shape in counts
        ]
    notes = sorted({f"{r.model}: {r.note}" for r in rows if r.note})
    settings = sorted({f"{r.model}: `{r.settings}`" for r in rows})
    seconds = defaultdict(list)
    for r in rows:
        seconds[r.model].append(r.fit_seconds)
    parts += ["", "## Settings", "", *[f"- {s}" for s in settings]]
    parts += ["", "## Mean fit seconds per cell", "", *[f"- {m}: {np.mean(v):.1f}" for m, v in seconds.items()]]
    if notes:
        parts += ["", "## Notes", "", *[f"- {n}" for n in notes]]
    return "\n".join(parts) + "\n"
