# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Plots of a benchmark that a reader can trust, at any size of grid.

One colour per model name, the same in every plot of every run (:mod:`.colors`), models
in the order they were asked for, axes labelled and saying where they start. Per class
and model, while there are at most :data:`MAX_BARS` of them, a dot with the seeds'
interval on an axis fitted to the values (``bars.png``: differences of a point show;
the summary's table holds the exact values), else a heatmap (classes × models, the
values written in the cells); across several data sets also the critical-difference
diagram (``cd.png``), tied models drawn apart. ROC curves and score histograms (small
multiples, from the first seed's saved test scores) for the first :data:`MAX_PANELS`
classes, or those named.

Example:
    >>> paths = write_plots(rows, output)  # doctest: +SKIP
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from anomalib_toll.report.cells import class_labels, stats
from anomalib_toll.report.colors import model_colors
from anomalib_toll.report.significance import ALPHA, Comparison, compare, format_p, seed_interval

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

    from matplotlib.axes import Axes

    from anomalib_toll.record import Row

DPI = 150
MAX_BARS = 40  # cells (a class and a model each) drawn as dots in `bars.png`; more: a heatmap instead
MAX_PANELS = 6  # classes drawn as ROC / histogram small multiples unless named
TITLE_WIDTH = 100  # characters per title line of a 7-inch figure
TIE_GAP = 0.015  # tied models drawn this far apart in the CD diagram, per unit of its rank scale (1 to k)


def _pyplot() -> ModuleType:
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _class_label(k: int, class_names: Sequence[str] | None) -> str:
    return class_names[k] if class_names is not None and k < len(class_names) else str(k)


def dot_plot(
    rows: Sequence[Row], path: Path, class_names: Sequence[str] | None = None, class_label: str = "normal class",
) -> Path:
    """Mean of the metric per class (groups) and model (dots) with the seeds' interval, on an axis fitted to the data.

    Bars from 0 make 93 and 99 look alike; dots on an axis fitted to the values show the
    differences (the summary's table holds the exact values). The interval is the
    summary's: the bootstrap 95 % interval of the mean with ≥ 3 seeds, the two seeds'
    range with 2, none with 1.
    """
    plt = _pyplot()
    classes, models, values = stats(rows, "value")
    seeds = len({r.seed for r in rows})
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(classes) * max(1.0, len(models) / 3) + 2.5), 3.8))
    _dots(ax, classes, models, values, intervals=seeds > 1)
    low, high = fitted_limits([seed_span(v) for v in values.values() if v])
    ax.set_ylim(low, high)
    ax.set_yticks([t for t in ax.get_yticks() if low <= t <= 100.0])
    for x in range(1, len(classes)):
        ax.axvline(x - 0.5, color="0.85", lw=0.6)
    ax.set_xticks(range(len(classes)), [_class_label(k, class_names) for k in classes])
    ax.set_xlim(-0.5, len(classes) - 0.5)
    spread = {1: "one seed", 2: "mean and range of 2 seeds"}.get(
        seeds, f"mean and bootstrap 95 % interval ({seeds} seeds)",
    )
    fitted = f"\naxis fitted to the values: it starts at {low:g}, not 0" if low > 0 else ""
    ax.set(xlabel=class_label, ylabel=f"test {rows[0].metric.upper()} (%)")
    ax.set_title(f"{rows[0].dataset}: {spread}{fitted}", fontsize=9)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="y", lw=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _dots(
    ax: Axes, classes: list[int], models: list[str], values: dict[tuple[int, str], list[float]], intervals: bool,
) -> None:
    """A dot per cell (its mean), side by side per class in the models' order, with the seeds' interval."""
    colors = model_colors(models)
    width = 0.8 / max(len(models), 1)
    for i, model in enumerate(models):
        cells = [(x, values[k, model]) for x, k in enumerate(classes) if values.get((k, model))]
        means = np.array([np.mean(v) for _, v in cells])
        spans = np.array([seed_span(v) for _, v in cells]).reshape(-1, 2)
        below, above = np.maximum(0.0, means - spans[:, 0]), np.maximum(0.0, spans[:, 1] - means)  # rounding: ≥ 0
        ax.errorbar([x + (i - (len(models) - 1) / 2) * width for x, _ in cells], means,
                    yerr=[below, above] if intervals else None, fmt="o", ms=5, capsize=2, elinewidth=1,
                    color=colors[model], label=model)


def seed_span(values: Sequence[float]) -> tuple[float, float]:
    """The interval drawn around a cell's mean: bootstrap 95 % (≥ 3 seeds), else the seeds' range (one: the value)."""
    return seed_interval(values) or (min(values), max(values))


def fitted_limits(spans: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """A value axis around every interval with a margin, within 0 to 100 %, whole or half points at the ends.

    Example:
        >>> fitted_limits([(93.2, 94.0), (98.0, 99.1)]), fitted_limits([])
        ((92.5, 100.0), (0.0, 100.0))
    """
    if not spans:  # every cell failed: the whole scale
        return 0.0, 100.0
    low, high = min(s[0] for s in spans), max(s[1] for s in spans)
    margin = max(0.5, 0.1 * (high - low))
    return max(0.0, math.floor(2 * (low - margin)) / 2), min(100.0 + margin, math.ceil(2 * (high + margin)) / 2)


def _grid(plt: ModuleType, n: int, width: float, height: float, cols: int = 5) -> tuple[Any, list[Any]]:
    cols = min(n, cols)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def cell_plots(
    rows: Sequence[Row], scores_folder: Path, output: Path, class_names: Sequence[str] | None = None,
    class_label: str = "normal class", classes: Sequence[int] | None = None,
) -> list[Path]:
    """ROC curves (one panel per class, one line per model) and score histograms (one panel per class and model).

    ``classes`` limits the panels to those classes (default: every class of the rows).
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    plt = _pyplot()
    every, models, _ = stats(rows, "value")
    classes = [k for k in every if classes is None or k in classes]
    colors = model_colors(models)
    seed = min(r.seed for r in rows)
    saved = {
        (k, m): scores_folder / f"{rows[0].dataset}_{k}_{seed}_{m}.npz"
        for k in classes for m in models
        if (scores_folder / f"{rows[0].dataset}_{k}_{seed}_{m}.npz").exists()
    }
    if not saved:
        return []
    fig_roc, roc_axes = _grid(plt, len(classes), 3.0, 2.9)
    for ax, k in zip(roc_axes, classes, strict=True):
        for m in models:
            if (k, m) in saved:
                data = np.load(saved[k, m])
                fpr, tpr, _ = roc_curve(data["labels"], data["scores"])
                auc = 100 * roc_auc_score(data["labels"], data["scores"])
                ax.plot(fpr, tpr, color=colors[m], lw=1.2, label=f"{m} ({auc:.1f})")
        ax.plot([0, 1], [0, 1], "k:", lw=0.6)
        ax.set(title=f"{class_label} {_class_label(k, class_names)}", xlabel="false positive rate",
               ylabel="true positive rate", xlim=(0, 1), ylim=(0, 1.01))
        ax.legend(fontsize=6, loc="lower right")
    fig_roc.suptitle(f"{rows[0].dataset}: test ROC, seed {seed} (AUROC % in the legend)")
    fig_hist, hist_axes = _grid(plt, len(saved), 2.8, 2.3, cols=len(models))  # a row per class, a column per model
    for ax, ((k, m), path) in zip(hist_axes, saved.items(), strict=True):
        data = np.load(path)
        scores, labels = data["scores"], data["labels"]
        bins = np.histogram_bin_edges(scores, bins=30)
        ax.hist(scores[labels == 0], bins=bins, density=True, alpha=0.6, color="0.45", label="normal")
        ax.hist(scores[labels == 1], bins=bins, density=True, alpha=0.6, color=colors[m], label="anomalous")
        prefix = "class " if class_label == "normal class" else ""
        ax.set(title=f"{m}, {prefix}{_class_label(k, class_names)}", xlabel="anomaly score", ylabel="density")
        ax.title.set_fontsize(8)
        ax.legend(fontsize=6)
    fig_hist.suptitle(f"{rows[0].dataset}: test score distributions, seed {seed}")
    paths = [output / "roc.png", output / "histograms.png"]
    for fig, path in zip((fig_roc, fig_hist), paths, strict=True):
        fig.tight_layout()
        fig.savefig(path, dpi=DPI)
        plt.close(fig)
    return paths


def heatmap(
    rows: Sequence[Row], path: Path, class_names: Sequence[str] | None = None, class_label: str = "dataset",
) -> Path:
    """The metric per class (rows) and model (columns), mean over seeds written in each cell, best per row in bold."""
    plt = _pyplot()
    classes, models, values = stats(rows, "value")
    means = np.array([[np.mean(values[k, m]) if values.get((k, m)) else np.nan for m in models] for k in classes])
    seeds = len({r.seed for r in rows})
    fig, ax = plt.subplots(figsize=(1.5 + 0.95 * len(models), 1.3 + 0.32 * len(classes)))
    image = ax.imshow(means, cmap="viridis", vmin=max(0.0, np.nanmin(means) // 10 * 10), vmax=100.0, aspect="auto")
    low, high = image.get_clim()
    for i, row in enumerate(means):
        best = np.nanmax(row) if np.isfinite(row).any() else np.nan
        for j, value in enumerate(row):
            text = "–" if np.isnan(value) else f"{value:.1f}"
            dark = np.isnan(value) or (value - low) / (high - low) < 0.6  # light text on viridis' dark end
            ax.text(j, i, text, ha="center", va="center", fontsize=7.5, color="white" if dark else "black",
                    fontweight="bold" if np.isclose(value, best) else "normal")
    ax.set_xticks(range(len(models)), models, rotation=30, ha="right")
    ax.set_yticks(range(len(classes)), [_class_label(k, class_names) for k in classes])
    ax.tick_params(length=0, labelsize=8)
    metric = rows[0].metric.upper()
    spread = f"mean over {seeds} seeds" if seeds > 1 else "one seed"
    ax.set_title(f"{rows[0].dataset}: test {metric} (%) per {class_label}, {spread}; best per row in bold", fontsize=9)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label(f"{metric} (%)", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def cd_diagram(rows: Sequence[Row], path: Path, class_label: str = "dataset") -> Path | None:
    """The critical-difference diagram (``scikit_posthocs``): average ranks, models no test separates joined.

    Models whose ranks tie (or nearly) are drawn a little apart (:func:`spread_ties`), so
    each shows its dot and line; the labels give the exact ranks and the title says so.
    ``None`` (nothing drawn) where there are too few data sets for the pairwise test.
    """
    import pandas as pd
    import scikit_posthocs as sp

    comparison = compare(rows)
    if not comparison.testable:
        return None
    plt = _pyplot()
    n, k = comparison.means.shape
    exact = comparison.average_ranks
    gap = TIE_GAP * (k - 1)
    drawn = spread_ties(exact, [str(m) for m in comparison.models], gap)
    labels = [f"{m} ({r:.2f})" for m, r in zip(comparison.models, exact, strict=True)]
    colors = dict(zip(labels, model_colors(comparison.models).values(), strict=True))
    fig, ax = plt.subplots(figsize=(7.0, 1.2 + 0.28 * k))
    sp.critical_difference_diagram(
        pd.Series(drawn, index=labels), pd.DataFrame(comparison.tied_matrix, index=labels, columns=labels), ax=ax,
        alpha=ALPHA, color_palette=colors, label_fmt_left="{label}", label_fmt_right="{label}",
        label_props={"fontsize": 9},
        crossbar_props={"color": "black", "linewidth": 2.5, "marker": "o", "markersize": 5},
    )
    margin = 0.02 * (k - 1)  # room for the end dots
    ax.set_xlim(min(1.0, drawn.min()) - margin, max(float(k), drawn.max()) + margin)  # the whole rank scale, 1 = best
    ax.set_xticks(range(1, k + 1))
    seeds = f"{comparison.seeds} seed{'s' if comparison.seeds > 1 else ''} each"
    title = [
        f"{rows[0].dataset}: average rank of test {rows[0].metric.upper()} over {n} {class_label}s ({seeds}; 1 = best)",
        *textwrap.wrap(cd_verdict(comparison, class_label), TITLE_WIDTH),
    ]
    if not np.allclose(drawn, exact):
        title.append(f"tied ranks drawn {gap:.2f} apart so that each shows; exact ranks in the labels")
    ax.set_title("\n".join(title), fontsize=8.5)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def cd_verdict(comparison: Comparison, class_label: str) -> str:
    """The CD diagram's second title line: the Friedman test and what joins the models (all, if no pair can differ)."""
    friedman = comparison.friedman
    test = f"Friedman p {format_p(friedman.p)}" if friedman.p is not None else friedman.reason
    if friedman.p is not None and friedman.p >= ALPHA:
        return f"{test}: no difference detected, all joined (α = {ALPHA})"
    if len(comparison.datasets) < comparison.min_pair_datasets:
        return (f"{test}; all joined: no pair can reach α = {ALPHA} after Holm with fewer than "
                f"{comparison.min_pair_datasets} {class_label}s")
    return f"{test}; a bar joins the models no test separates (Wilcoxon signed-rank, Holm, α = {ALPHA})"


def spread_ties(ranks: np.ndarray, names: Sequence[str], gap: float) -> np.ndarray:
    """Where to draw each rank: neighbours at least ``gap`` apart, each run of close ranks centred on its mean.

    Tied models would otherwise draw one dot and line exactly over another's. Ties are
    ordered by name, so a diagram does not change with the order of ``--models``.

    Example:
        >>> spread_ties(np.array([2.0, 1.0, 2.0]), ["b", "c", "a"], 0.1).round(2).tolist()
        [2.05, 1.0, 1.95]
    """
    runs: list[list[int]] = []
    for i in sorted(range(len(ranks)), key=lambda i: (ranks[i], names[i])):
        runs.append([i])
        while len(runs) > 1 and _drawn(ranks, runs[-1], gap)[0] - _drawn(ranks, runs[-2], gap)[-1] < gap - 1e-9:
            last = runs.pop()
            runs[-1] += last
    drawn = np.empty(len(ranks))
    for run in runs:
        drawn[run] = _drawn(ranks, run, gap)
    return drawn


def _drawn(ranks: np.ndarray, run: list[int], gap: float) -> np.ndarray:
    """A run's positions: ``gap`` apart around the mean of its ranks."""
    return ranks[run].mean() + gap * (np.arange(len(run)) - (len(run) - 1) / 2)


def panel_classes(rows: Sequence[Row], names: Sequence[str], chosen: Sequence[str] | None = None) -> list[int]:
    """The classes drawn as small multiples: those of ``chosen`` with results, else the first :data:`MAX_PANELS`."""
    classes = sorted({r.normal_class for r in rows})
    if chosen is None:
        return classes[:MAX_PANELS]
    by_name = {names[k]: k for k in classes}
    return [by_name[c] for c in chosen if c in by_name]


def write_plots(
    rows: Sequence[Row], output: Path, class_names: Sequence[str] | None = None, class_label: str = "normal class",
    plot_classes: Sequence[str] | None = None, ranks: bool = False,
) -> list[Path]:
    """All plots of a results folder that suit its size.

    ``bars.png`` (dots) with up to :data:`MAX_BARS` cells, else ``heatmap.png``; with ``ranks``
    (each class a data set of its own, as in ``summary_markdown``) ``cd.png`` where there
    are data sets enough for the tests; ``roc.png`` and ``histograms.png`` for the classes
    named in ``plot_classes``, else the first :data:`MAX_PANELS`. ``class_names`` name the
    classes (else each result's own ``class_name``); ``class_label`` says what a class is
    (``"category"``, ``"dataset"``).
    """
    if not rows:
        return []
    output = Path(output)
    names = class_labels(rows, class_names)
    named = [names.get(k, str(k)) for k in range(max(names) + 1)]
    n_models = len({r.model for r in rows})
    paths = [
        dot_plot(rows, output / "bars.png", named, class_label) if len(names) * n_models <= MAX_BARS
        else heatmap(rows, output / "heatmap.png", named, class_label),
    ]
    if ranks and len(names) > 1 and (cd := cd_diagram(rows, output / "cd.png", class_label)) is not None:
        paths.append(cd)
    for stale in {"bars.png", "heatmap.png", "cd.png"} - {p.name for p in paths}:  # an earlier, smaller run's
        (output / stale).unlink(missing_ok=True)
    panels = panel_classes(rows, named, plot_classes)
    return [*paths, *cell_plots(rows, output / "scores", output, named, class_label, panels)]
