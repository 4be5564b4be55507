# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Plots of a benchmark: per-class bars with error bars; ROC curves and score histograms of one cell.

Example:
    >>> paths = write_plots(rows, output)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from anomalib_toll.record import Row
from anomalib_toll.report.tables import _stats


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def bar_plot(rows: Sequence[Row], path: Path) -> Path:
    """Mean ± std of the metric per normal class (groups) and model (bars)."""
    plt = _pyplot()
    classes, models, values = _stats(rows, "value")
    width = 0.8 / max(len(models), 1)
    fig, ax = plt.subplots(figsize=(max(5, 1.2 * len(classes) * max(1, len(models) / 3)), 3.6))
    for i, model in enumerate(models):
        means = [np.mean(values.get((k, model), [np.nan])) for k in classes]
        stds = [np.std(values.get((k, model), [np.nan])) for k in classes]
        ax.bar(np.arange(len(classes)) + i * width, means, width, yerr=stds, capsize=2, label=model)
    ax.set_xticks(np.arange(len(classes)) + width * (len(models) - 1) / 2, [str(k) for k in classes])
    ax.set(xlabel="normal class", ylabel=f"{rows[0].metric.upper()} (%)", title=f"{rows[0].dataset}: mean ± std over seeds")
    low = np.nanmin([np.mean(v) for v in values.values()])
    ax.set_ylim(max(0, low - 15), 100)
    ax.legend(fontsize=7, ncol=min(len(models), 4))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def cell_plots(score_files: Sequence[Path], output: Path) -> list[Path]:
    """ROC curves and score histograms (normal vs anomalous) of the saved cell, one line per model."""
    from sklearn.metrics import roc_auc_score, roc_curve

    plt = _pyplot()
    if not score_files:
        return []
    fig_roc, ax_roc = plt.subplots(figsize=(4.5, 4))
    fig_hist, axes = plt.subplots(1, len(score_files), figsize=(3.2 * len(score_files), 2.8), squeeze=False)
    for ax_h, path in zip(axes[0], score_files):
        data = np.load(path)
        scores, labels = data["scores"], data["labels"]
        model = str(data["model"])
        fpr, tpr, _ = roc_curve(labels, scores)
        ax_roc.plot(fpr, tpr, label=f"{model} ({100 * roc_auc_score(labels, scores):.1f})")
        ax_h.hist([scores[labels == 0], scores[labels == 1]], bins=30, density=True, label=["normal", "anomalous"])
        ax_h.set(title=model, xlabel="score")
    ax_roc.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax_roc.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC: {np.load(score_files[0])['cell']}")
    ax_roc.legend(fontsize=7)
    axes[0][0].legend(fontsize=7)
    paths = [output / "roc.png", output / "histograms.png"]
    for fig, path in zip((fig_roc, fig_hist), paths):
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return paths


def write_plots(rows: Sequence[Row], output: Path) -> list[Path]:
    """All plots of a results folder."""
    if not rows:
        return []
    return [bar_plot(rows, output / "bars.png"), *cell_plots(sorted((output / "scores").glob("*.npz")), output)]
