# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Plots of a benchmark that a reader can trust, at any size of grid.

One colour per model in every plot of a run, models in the order they were asked for,
axes labelled and starting at 0 (or saying where they start), error bars only where
there are at least two seeds. Bars per class and model while there are at most
:data:`MAX_BARS` of them, else a heatmap (classes × models, the values written in the
cells); across several data sets also the critical-difference diagram (``cd.png``). ROC curves and score histograms
(small multiples, from the first seed's saved test scores) for the first
:data:`MAX_PANELS` classes, or those named.

Example:
    >>> paths = write_plots(rows, output)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from anomalib_toll.report.tables import class_labels, stats

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import ModuleType

    from anomalib_toll.record import Row

DPI = 150
MAX_BARS = 40  # bars (classes × models) drawn as a bar chart; more: a heatmap instead
MAX_PANELS = 6  # classes drawn as ROC / histogram small multiples unless named


def _pyplot() -> ModuleType:
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def model_colors(models: Sequence[str]) -> dict[str, Any]:
    """A fixed colour per model (tab10 in ``models`` order), shared by every plot of a run."""
    plt = _pyplot()
    palette = plt.get_cmap("tab10").colors
    return {model: palette[i % len(palette)] for i, model in enumerate(models)}


def _class_label(k: int, class_names: Sequence[str] | None) -> str:
    return class_names[k] if class_names is not None and k < len(class_names) else str(k)


def bar_plot(
    rows: Sequence[Row], path: Path, class_names: Sequence[str] | None = None, class_label: str = "normal class",
) -> Path:
    """Mean of the metric per normal class (groups) and model (bars); ± std over seeds when there are ≥ 2."""
    plt = _pyplot()
    classes, models, values = stats(rows, "value")
    colors = model_colors(models)
    seeds = len({r.seed for r in rows})
    width = 0.8 / max(len(models), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(classes) * max(1.0, len(models) / 3) + 2.5), 3.8))
    for i, model in enumerate(models):
        means = [np.mean(values[k, model]) if values.get((k, model)) else np.nan for k in classes]
        stds = [np.std(values[k, model]) if len(values.get((k, model), [])) > 1 else 0.0 for k in classes]
        ax.bar(np.arange(len(classes)) + i * width, means, width, yerr=stds if seeds > 1 else None, capsize=2,
               label=model, color=colors[model], error_kw={"lw": 0.8})
    ticks = np.arange(len(classes)) + width * (len(models) - 1) / 2
    ax.set_xticks(ticks, [_class_label(k, class_names) for k in classes])
    spread = f"mean ± std over {seeds} seeds" if seeds > 1 else "one seed"
    ax.set(xlabel=class_label, ylabel=f"test {rows[0].metric.upper()} (%)", ylim=(0, 100),
           title=f"{rows[0].dataset}: {spread}")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="y", lw=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


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

    ``None`` (nothing drawn) where there are too few data sets for the pairwise test.
    """
    import pandas as pd
    import scikit_posthocs as sp

    from anomalib_toll.report.significance import ALPHA, compare, format_p

    comparison = compare(rows)
    if not comparison.testable:
        return None
    plt = _pyplot()
    models = list(comparison.models)
    colors = model_colors(models)
    ranks = pd.Series(comparison.average_ranks, index=models)
    joined = pd.DataFrame(comparison.tied_matrix, index=models, columns=models)
    fig, ax = plt.subplots(figsize=(7.0, 1.2 + 0.28 * len(models)))
    sp.critical_difference_diagram(
        ranks, joined, ax=ax, alpha=ALPHA, color_palette=colors, label_fmt_left="{label} ({rank:.2f})",
        label_fmt_right="({rank:.2f}) {label}", label_props={"fontsize": 9},
        crossbar_props={"color": "black", "linewidth": 2.5, "marker": "o", "markersize": 5},
    )
    n, k = comparison.means.shape
    ax.set_xlim(1, k)  # the whole rank scale, 1 = best
    ax.set_xticks(range(1, k + 1))
    friedman = comparison.friedman
    test = f"Friedman p {format_p(friedman.p)}" if friedman.p is not None else friedman.reason
    how = (
        "a bar joins the models (dots) no test separates (Wilcoxon signed-rank, Holm)"
        if friedman.p is None or friedman.p < ALPHA else "no difference detected: all joined"
    )
    seeds = f"{comparison.seeds} seed{'s' if comparison.seeds > 1 else ''} each"
    ax.set_title(
        f"{rows[0].dataset}: average rank of test {rows[0].metric.upper()} over {n} {class_label}s ({seeds}; "
        f"1 = best)\n{test}; {how}, α = {ALPHA}", fontsize=8.5,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


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

    ``bars.png`` with up to :data:`MAX_BARS` bars, else ``heatmap.png``; with ``ranks``
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
        bar_plot(rows, output / "bars.png", named, class_label) if len(names) * n_models <= MAX_BARS
        else heatmap(rows, output / "heatmap.png", named, class_label),
    ]
    if ranks and len(names) > 1 and (cd := cd_diagram(rows, output / "cd.png", class_label)) is not None:
        paths.append(cd)
    for stale in {"bars.png", "heatmap.png", "cd.png"} - {p.name for p in paths}:  # an earlier, smaller run's
        (output / stale).unlink(missing_ok=True)
    panels = panel_classes(rows, named, plot_classes)
    return [*paths, *cell_plots(rows, output / "scores", output, named, class_label, panels)]
