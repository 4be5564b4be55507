# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The paper's one-class protocol: splits, metrics, per-dataset defaults and the Toll runner.

Example:
    >>> from anomalib_toll.protocol import Budget, run_toll_grid
    >>> results = run_toll_grid("arrhythmia", seeds=range(10))  # doctest: +SKIP
"""

from anomalib_toll.protocol.defaults import DEFAULTS, DatasetDefaults
from anomalib_toll.protocol.metrics import auroc, evaluate, f1_at_top
from anomalib_toll.protocol.run import (
    Budget,
    CellResult,
    TollSettings,
    TrainedToll,
    run_toll_cell,
    run_toll_grid,
    summarize,
    train_toll,
)
from anomalib_toll.protocol.splits import PROTOCOLS, OneClassSplit, make_split

__all__ = [
    "DEFAULTS",
    "PROTOCOLS",
    "Budget",
    "CellResult",
    "DatasetDefaults",
    "OneClassSplit",
    "TollSettings",
    "TrainedToll",
    "auroc",
    "evaluate",
    "f1_at_top",
    "make_split",
    "run_toll_cell",
    "run_toll_grid",
    "summarize",
    "train_toll",
]
