# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The paper's one-class protocol: splits, metrics, budgets and Toll's training under it.

Grids of cells (seeds × classes × models) run through :mod:`anomalib_toll.benchmark`.

Example:
    >>> from anomalib_toll.protocol import Budget, make_split, train_toll
    >>> trained = train_toll(make_split("arrhythmia"), seed=0, budget=Budget())  # doctest: +SKIP
"""

from anomalib_toll.protocol.beta import BETA_GRID, choose_beta
from anomalib_toll.protocol.budget import PAPER_EVAL_EVERY, PAPER_ITERATIONS, Budget
from anomalib_toll.protocol.metrics import auroc, evaluate, f1_at_top
from anomalib_toll.protocol.splits import PROTOCOLS, OneClassSplit, check_protocol, make_split
from anomalib_toll.protocol.toll import TollSettings, TrainedToll, make_criteria, resolve_precision, train_toll

__all__ = [
    "BETA_GRID",
    "PAPER_EVAL_EVERY",
    "PAPER_ITERATIONS",
    "PROTOCOLS",
    "Budget",
    "OneClassSplit",
    "TollSettings",
    "TrainedToll",
    "auroc",
    "check_protocol",
    "choose_beta",
    "evaluate",
    "f1_at_top",
    "make_criteria",
    "make_split",
    "resolve_precision",
    "train_toll",
]
