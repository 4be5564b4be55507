# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The one interface every model of the benchmark has: fit on a split's normal rows, score rows.

Example:
    >>> class Constant(Runner):
    ...     name = "constant"
    ...     def fit(self, split, seed, budget):
    ...         return self
    ...     def score(self, x):
    ...         return np.zeros(len(x))
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from anomalib_toll.protocol import Budget, OneClassSplit


class Runner(ABC):
    """An adapter: one model family behind ``fit(split, seed, budget)`` and ``score(x)``.

    ``note`` says anything a reader of the results must know (e.g. random backbone weights).
    """

    name: str = "runner"
    note: str = ""

    @abstractmethod
    def fit(self, split: OneClassSplit, seed: int, budget: Budget) -> Runner:
        """Train on ``split.x_train`` (normal only); may use the validation rows as the protocol allows."""

    @abstractmethod
    def score(self, x: np.ndarray) -> np.ndarray:
        """Anomaly scores of preprocessed rows/images; larger is more anomalous."""

    def settings(self) -> str:
        """A short description of the settings that change the results (part of the resume key)."""
        return self.name
