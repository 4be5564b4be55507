# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Plots of a benchmark that a reader can trust.

One colour per model in every plot of a run, models in the order they were asked for,
axes labelled and starting at 0 (or saying where they start), error bars only where
there are at least two seeds, and ROC curves and score histograms for every normal
class (small multiples, from the first seed's saved test scores).

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
    class_label: str = "normal class",
) -> list[Path]:
    """ROC curves (one panel per class, one line per model) and score histograms (one panel per class and model)."""
    from sklearn.metrics import roc_auc_score, roc_curve

    plt = _pyplot()
    classes, models, _ = stats(rows, "value")
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


def write_plots(
    rows: Sequence[Row], output: Path, class_names: Sequence[str] | None = None, class_label: str = "normal class",
) -> list[Path]:
    """All plots of a results folder: ``bars.png``, ``roc.png``, ``histograms.png``.

    ``class_names`` name the classes (else each result's own ``class_name``); ``class_label``
    says what a class is (``"category"``, ``"dataset"``).
    """
    if not rows:
        return []
    output = Path(output)
    names = class_labels(rows, class_names)
    named = [names.get(k, str(k)) for k in range(max(names) + 1)]
    return [
        bar_plot(rows, output / "bars.png", named, class_label),
        *cell_plots(rows, output / "scores", output, named, class_label),
    ]
