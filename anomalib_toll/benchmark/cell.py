# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""One cell of the benchmark: a model fitted on one split (dataset, normal class, seed) and scored.

A cell carries everything it needs (it may run in another process or on another machine);
:func:`run_cell` turns it into one result :class:`~anomalib_toll.record.Row`, keyed by
:func:`resume_key` so that a rerun skips what is done. Grids of cells are
:mod:`anomalib_toll.benchmark.grid`'s job.

Example:
    >>> from anomalib_toll.protocol import Budget
    >>> cell = Cell("digits", 0, 0, "iforest", "paper", Budget(iterations=20), data_root=None, device=None,
    ...             keep_scores=False)
    >>> row, _ = run_cell(cell)
    >>> row.model, row.metric
    ('iforest', 'auroc')
"""

from __future__ import annotations

import functools
import hashlib
import json
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

import torch

from anomalib_toll.data import get_dataset
from anomalib_toll.protocol import Budget, OneClassSplit, evaluate, make_split
from anomalib_toll.protocol.metrics import EXTRA_METRICS, pixel_metrics
from anomalib_toll.protocol.splits import SPLIT_SEED
from anomalib_toll.record import Row
from anomalib_toll.runners import Runner, make_runner

if TYPE_CHECKING:
    import numpy as np


class Scores(TypedDict):
    """Test scores of a cell and their labels, as saved for the plots."""

    scores: np.ndarray
    labels: np.ndarray


@dataclass(frozen=True)
class Cell:
    """One unit of work; everything it needs travels with it (it may run on another machine)."""

    dataset: str
    normal_class: int
    seed: int
    model: str
    protocol: str
    budget: Budget
    data_root: str | None
    device: str | None
    keep_scores: bool
    download: bool = False
    vary_split: bool = False  # draw the held-out rows with the seed instead of the authors' fixed split
    show_steps: bool = False  # a progress bar over the model's training steps (one cell at a time, in a terminal)
    options: dict[str, Any] = field(default_factory=dict)  # keyword arguments of the model
    data_options: tuple[tuple[str, Any], ...] = ()  # keyword arguments of the data set's reader (image_size, ...)

    @property
    def split_seed(self) -> int:
        """The seed of the held-out rows (ADBench's protocol draws its 70/30 split with the run's seed)."""
        return self.seed if self.vary_split or self.protocol == "adbench" else SPLIT_SEED

    def runner(self) -> Runner:
        """A fresh, unfitted model adapter for this cell."""
        return make_runner(self.model, protocol=self.protocol, device=self.device, dataset=self.dataset, **self.options)


@functools.lru_cache(maxsize=1)
def _split(
    dataset: str, normal_class: int, split_seed: int, data_root: str | None, download: bool, protocol: str,
    data_options: tuple[tuple[str, Any], ...],
) -> OneClassSplit:
    """Cells run class by class: consecutive cells share one loaded, preprocessed split."""
    return make_split(
        dataset, normal_class, split_seed, data_root=data_root, download=download, protocol=protocol,
        **dict(data_options),
    )


def cell_split(cell: Cell) -> OneClassSplit:
    """The split a cell reads (cached: consecutive cells of a class share it)."""
    return _split(
        cell.dataset, cell.normal_class, cell.split_seed, cell.data_root, cell.download, cell.protocol,
        cell.data_options,
    )


def data_metrics(cell: Cell, split: OneClassSplit, runner: Runner, scores: np.ndarray) -> dict[str, float]:
    """The metrics the data set records beside its own, and the pixel metrics where they apply.

    AUPR and F1 at the contamination rate where the data set's entry lists them; anomalib's
    pixel AUROC and AUPRO where the split has masks and the model gives anomaly maps.
    """
    values = {name: EXTRA_METRICS[name](scores, split.y_test) for name in get_dataset(cell.dataset).extra_metrics}
    if split.mask_test is not None and (maps := runner.anomaly_maps(split.x_test)) is not None:
        values |= pixel_metrics(maps, split.mask_test)
    return values


@functools.cache
def library_versions() -> str:
    """Versions of the libraries a result depends on."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("anomalib-toll", "torch", "anomalib", "pyod", "scikit-learn"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            found.append(f"{package} -")
    return ", ".join(found)


def run_cell(cell: Cell) -> tuple[Row, Scores | None]:
    """Fit one model on one split and score the test set with the dataset's metric."""
    split = cell_split(cell)
    runner = cell.runner()
    runner.show_progress = cell.show_steps
    budget = runner.resolve_budget(cell.budget, cell.dataset, split)
    start = time.perf_counter()
    runner.fit(split, cell.seed, budget)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    scores = runner.score_test(split)
    score_seconds = time.perf_counter() - start
    metrics = data_metrics(cell, split, runner, scores)
    settings = cell_settings(cell, runner)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # this process's high-water mark
    row = Row(
        dataset=cell.dataset, normal_class=cell.normal_class, seed=cell.seed, model=runner.name,
        protocol=cell.protocol, metric=split.metric, value=evaluate(split.metric, scores, split.y_test),
        auroc=evaluate("auroc", scores, split.y_test), fit_seconds=round(fit_seconds, 3),
        score_seconds=round(score_seconds, 3),
        peak_rss_mb=round(rss / (1024**2 if sys.platform == "darwin" else 1024), 1),
        settings=settings, note=runner.note, key=resume_key(cell, split.digest, settings),
        data_digest=split.digest, iterations=budget.iterations if runner.uses_budget else 0,
        batch_size=int(budget.batch_size or 0) if runner.uses_budget else 0,
        eval_every=budget.eval_every if runner.uses_budget else 0, precision=runner.precision_used,
        device=runner.device_used, threads=torch.get_num_threads(), chosen_beta=runner.chosen_beta,
        n_test_normal=int((split.y_test == 0).sum()), n_test_anomalous=int((split.y_test == 1).sum()),
        input_shape="x".join(map(str, split.x_test.shape[1:])), versions=library_versions(),
        training=runner.training,
        class_name=split.class_name, family=split.family, criteria=criteria_summary(runner, split), error="",
        **metrics,
    )
    return row, ({"scores": scores, "labels": split.y_test} if cell.keep_scores else None)


def criteria_summary(runner: Runner, split: OneClassSplit) -> str:
    """The test metric (%) and step of the checkpoint each selection criterion kept, from the same run."""
    kept = runner.criterion_scores(split.x_test)
    return " ".join(
        f"{name}={100 * evaluate(split.metric, s, split.y_test):.2f}@{step}" for name, (step, s) in kept.items()
    )


def cell_settings(cell: Cell, runner: Runner | None = None) -> str:
    """Budget and model settings of a cell as used: a finished cell is skipped only if these match."""
    runner = runner or cell.runner()
    budget = runner.resolve_budget(cell.budget, cell.dataset, cell_split(cell))  # cached: the split just read
    used = f"iterations={budget.iterations} batch={budget.batch_size} eval_every={budget.eval_every} "
    split = f"split_seed={cell.split_seed} " if cell.vary_split else ""
    return f"{used if runner.uses_budget else ''}{split}{runner.settings(cell.dataset)}"


def resume_key(cell: Cell, data_digest: str, settings: str) -> str:
    """A cell's identity: dataset, the digest of its data, class, seed, protocol, model settings and budget as used.

    ``settings`` are :func:`cell_settings`, computed once by the caller (they also go into the row).
    """
    identity = [cell.dataset, data_digest, cell.normal_class, cell.seed, cell.protocol, settings]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:16]


__all__ = ["Cell", "Scores", "cell_settings", "cell_split", "resume_key", "run_cell"]
