# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Paper-style tables: rows = normal classes, columns = models, "mean ± std" in % over seeds.

A class may be a data set of its own (an MVTec category, a table file): the summary
then names it so, adds a table per metric the results record (AUPR, F1 at the
contamination rate, pixel AUROC, AUPRO) and, on request, each model's average rank
across them, as ADBench reports.

Example:
    >>> from anomalib_toll.record import Row
    >>> rows = [Row("digits", 0, s, m, "paper", "auroc", v, v, 1.0, 0.1, 100.0, "", "")
    ...         for s, (m, v) in enumerate([("toll", 0.9), ("iforest", 0.8)])]
    >>> print(summary_table(rows, "value").splitlines()[2])
    | 0 | **90.0 ± 0.0** | 80.0 ± 0.0 |
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from anomalib_toll.report.cells import class_labels, rank_matrix, stats
from anomalib_toll.report.significance import MIN_SEEDS, compare, comparison_markdown, seed_interval

if TYPE_CHECKING:
    from collections.abc import Sequence

    from anomalib_toll.record import Row

OPTIONAL_METRICS = {
    "aupr": "AUPR (average precision)",
    "f1_at_rate": "F1 at the contamination rate (as many top test scores flagged as the test set has anomalies)",
    "pixel_auroc": "Pixel AUROC (anomalib's; models that give anomaly maps)",
    "aupro": "AUPRO (anomalib's, FPR up to 0.3; models that give anomaly maps)",
}
SHORT_NAMES = {"value": "", "auroc": "AUROC", "aupr": "AUPR", "f1_at_rate": "F1 at rate", "pixel_auroc": "pixel AUROC",
               "aupro": "AUPRO"}


def summary_table(
    rows: Sequence[Row], field: str = "value", class_names: Sequence[str] | None = None,
    class_label: str = "normal class", intervals: bool = False,
) -> str:
    """A Markdown table of ``field`` (``value``, ``auroc``, ``aupr``, ...); the best mean per row in bold.

    A failed cell reads "failed" (or how many of its seeds failed) and its row has no bold:
    the others did not win it. ``intervals`` adds each cell's bootstrap 95 % interval of
    the mean over seeds (with ≥ 3 seeds).
    """
    classes, models, values = stats(rows, field)
    labels = class_labels(rows, class_names)
    lines = [f"| {class_label} | " + " | ".join(models) + " |", "|---" * (len(models) + 1) + "|"]
    failed: dict[tuple[int | str, str], int] = defaultdict(int)  # seeds failed per (class, model); "all": any class
    for r in rows:
        if r.error:
            failed[r.normal_class, r.model] += 1
            failed["all", r.model] += 1

    def render(
        label: str, cells: list[tuple[float, float] | None], k: int | str, spans: list[str] | None = None,
    ) -> str:
        means = [c[0] for c in cells if c is not None]
        best = max(means) if means and not any(failed[k, m] for m in models) else None
        out = []
        for i, (m, c) in enumerate(zip(models, cells, strict=True)):
            if c is None or (failed[k, m] and k == "all"):
                out.append("failed" if failed[k, m] else "–")
                continue
            text = f"{c[0]:.1f} ± {c[1]:.1f}" if not np.isnan(c[1]) else f"{c[0]:.1f}"
            text += f" ({failed[k, m]} seed(s) failed)" if failed[k, m] else ""
            text = f"**{text}**" if best is not None and np.isclose(c[0], best) else text
            out.append(text + (spans[i] if spans else ""))
        return f"| {label} | " + " | ".join(out) + " |"

    def span(v: list[float] | None) -> str:
        interval = seed_interval(v) if intervals and v else None
        return f" [{interval[0]:.1f}, {interval[1]:.1f}]" if interval is not None else ""

    per_model_means: dict[str, list[float]] = defaultdict(list)
    for k in classes:
        cells = []
        for m in models:
            v = values.get((k, m))
            cells.append((float(np.mean(v)), float(np.std(v))) if v else None)
            if v:
                per_model_means[m].append(float(np.mean(v)))
        lines.append(render(labels[k], cells, k, [span(values.get((k, m))) for m in models]))
    if len(classes) > 1:
        averages = [(float(np.mean(per_model_means[m])), float("nan")) if per_model_means[m] else None for m in models]
        lines.append(render("Average", averages, "all"))
    return "\n".join(lines)


Ranks = tuple[list[str], dict[str, list[float]], dict[str, int]]


def average_ranks(rows: Sequence[Row], fields: Sequence[str]) -> Ranks:
    """Models, each model's mean rank per field, and how many classes each field's ranks cover.

    Per class, the model with the highest mean is ranked 1 and ties share the mean of
    their ranks (:func:`rank_matrix`); a class counts only where every model has a value of the field.
    """
    models = list(dict.fromkeys(r.model for r in rows))
    ranks: dict[str, list[float]] = {m: [] for m in models}
    covered: dict[str, int] = {}
    for field in fields:
        classes, _, values = stats(rows, field)
        means = [[np.mean(values[k, m]) for m in models] for k in classes if all(values.get((k, m)) for m in models)]
        covered[field] = len(means)
        mean_ranks = rank_matrix(np.array(means)).mean(axis=0) if means else [float("nan")] * len(models)
        for m, rank in zip(models, mean_ranks, strict=True):
            ranks[m].append(float(rank))
    return models, ranks, covered


def rank_table(rows: Sequence[Row], fields: Sequence[str], headings: Sequence[str]) -> str:
    """A Markdown table: one row per model, its average rank per field (the lowest in bold)."""
    models, ranks, covered = average_ranks(rows, fields)
    header = " | ".join(f"{h} ({covered[f]})" for f, h in zip(fields, headings, strict=True))
    lines = [f"| model | {header} |", "|---" * (len(fields) + 1) + "|"]
    best = [min(ranks[m][i] for m in models) for i in range(len(fields))]
    for m in models:
        cells = [f"**{v:.2f}**" if np.isclose(v, b) else f"{v:.2f}" for v, b in zip(ranks[m], best, strict=True)]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary_markdown(
    rows: Sequence[Row], title: str, class_names: Sequence[str] | None = None, class_label: str = "normal class",
    ranks: bool = False, notes: Sequence[str] = (),
) -> str:
    """``summary.md``: the dataset's metric (and AUROC when the metric is another), with context.

    A table follows for each optional metric the rows recorded (AUPR, F1 at the
    contamination rate, pixel AUROC, AUPRO); ``ranks`` adds, when there are several
    classes (data sets), each model's average rank across them, as ADBench reports, and
    the tests of :mod:`anomalib_toll.report.significance` (Friedman, pairwise Wilcoxon
    with Holm's correction, wins/ties/losses). ``notes`` are listed first (e.g. the data
    sets a size limit left out).
    """
    if not rows:
        return f"# {title}\n\nNo finished cells yet.\n"
    failures = [r for r in rows if r.error]
    metric = rows[0].metric
    seeds = sorted({r.seed for r in rows})
    intervals = len(seeds) >= MIN_SEEDS
    parts = [
        f"# {title}",
        "",
        (
            f"Protocol `{rows[0].protocol}`; {len(seeds)} seed(s); mean ± std (population) over seeds in %"
            + ("; in brackets the bootstrap 95 % interval of the mean over seeds" if intervals else "")
            + "; best mean per row in bold (none in a row where a model failed)."
        ),
        *[f"\n{note}" for note in notes],
        "",
        f"## {metric.upper()}" + (" (top 15 % of test scores flagged)" if metric == "f1" else ""),
        "",
        summary_table(rows, "value", class_names, class_label, intervals=intervals),
    ]
    if metric != "auroc":
        parts += ["", "## AUROC", "", summary_table(rows, "auroc", class_names, class_label)]
    recorded = [field for field in OPTIONAL_METRICS if any(getattr(r, field) is not None for r in rows)]
    for field in recorded:
        parts += ["", f"## {OPTIONAL_METRICS[field]}", "", summary_table(rows, field, class_names, class_label)]
    if ranks and len({r.normal_class for r in rows}) > 1:
        fields = ["value", *(["auroc"] if metric != "auroc" else []), *recorded]
        headings = [metric.upper(), *(SHORT_NAMES[f] for f in fields[1:])]
        heading = (
            f"## Average rank across {class_label}s (1 = best; in brackets: how many {class_label}s "
            "ranked, those where every model has a result)"
        )
        parts += ["", heading, "", rank_table(rows, fields, headings)]
        parts += ["", comparison_markdown(compare(rows), metric.upper(), class_label)]
    labels = class_labels(rows, class_names)
    settings = sorted({f"{r.model}: `{r.settings}`" for r in rows if r.settings})  # failed models' too
    parts += chosen_beta_lines(rows, labels, class_label)
    if failures:
        parts += ["", "## Failed cells (rerun the same command to retry them)", ""]
        parts += [f"- {r.model}, {class_label} {labels[r.normal_class]}, seed {r.seed}: {r.error}" for r in failures]
    rows = [r for r in rows if not r.error]
    counts = sorted(
        {(r.normal_class, r.n_test_normal, r.n_test_anomalous, r.input_shape) for r in rows if r.input_shape},
    )
    if counts:
        header = f"| {class_label} | test normal | test anomalous | input |"
        parts += ["", "## Test data", "", header, "|---|---|---|---|"]
        parts += [f"| {labels[k]} | {n} | {a} | {shape.replace('x', ' × ')} |" for k, n, a, shape in counts]
    notes = sorted({f"{r.model}: {r.note}" for r in rows if r.note})
    seconds = defaultdict(list)
    for r in rows:
        seconds[r.model].append(r.fit_seconds)
    parts += ["", "## Settings", "", *[f"- {s}" for s in settings], *machine_lines(rows)]
    parts += ["", "## Mean fit seconds per cell", "", *[f"- {m}: {np.mean(v):.1f}" for m, v in seconds.items()]]
    if notes:
        parts += ["", "## Notes", "", *[f"- {n}" for n in notes]]
    return "\n".join(parts) + "\n"


def chosen_beta_lines(rows: Sequence[Row], labels: dict[int, str], class_label: str) -> list[str]:
    """How often each β was chosen by every ``beta="auto"`` model, per data set (class): the default's record.

    Example:
        >>> from anomalib_toll.record import Row
        >>> row = Row("digits", 3, 0, "toll_auto", "paper", "auroc", 0.9, 0.9, 1.0, 0.1, 1.0, "", "", chosen_beta=0.0)
        >>> chosen_beta_lines([row, row], {3: "3"}, "normal class")[-1]
        '| 3 | toll_auto | 0 ×2 |'
    """
    chosen: dict[tuple[int, str], list[float]] = defaultdict(list)
    for r in rows:
        if r.chosen_beta is not None and not r.error:
            chosen[r.normal_class, r.model].append(r.chosen_beta)
    if not chosen:
        return []
    heading = "## β chosen by `beta='auto'` (seeds per β)"
    lines = ["", heading, "", f"| {class_label} | model | chosen |", "|---|---|---|"]
    for (k, model), betas in sorted(chosen.items()):
        counts = ", ".join(f"{b:g} ×{betas.count(b)}" for b in sorted(set(betas)))
        lines.append(f"| {labels[k]} | {model} | {counts} |")
    return lines


def machine_lines(rows: Sequence[Row]) -> list[str]:
    """Where the cells ran (device, torch threads), which a rerun needs to give the same numbers; rows without: none."""
    setups: dict[str, set[str]] = defaultdict(set)  # setup -> its models
    for r in rows:
        if r.threads:
            threads = f"{r.threads} torch thread{'s' if r.threads > 1 else ''}"
            setups[f"{r.device or 'an unrecorded device'}, {threads}"].add(r.model)
    if len(setups) == 1:
        return [f"- every cell ran on {next(iter(setups))}"]
    order = list(dict.fromkeys(r.model for r in rows))  # the models in the order asked for
    return [f"- {setup}: {', '.join(m for m in order if m in models)}" for setup, models in sorted(setups.items())]
