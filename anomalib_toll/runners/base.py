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
    >>> Constant().resolve_budget(Budget(iterations=10), "mnist").batch_size
    1000
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from anomalib_toll.protocol import Budget, OneClassSplit


class Runner(ABC):
    """An adapter: one model family behind ``fit(split, seed, budget)`` and ``score(x)``.

    ``note`` says anything a reader of the results must know (e.g. random backbone weights).
    """

    name: str = "runner"
    note: str = ""
    default_batch_size: int | None = None  # None: the dataset's paper batch size
    precision_used: str = "32"  # what the last fit actually ran in; adapters that know better set these
    device_used: str = "cpu"
    show_progress: bool = False  # a bar over training steps, where the adapter has one

    @abstractmethod
    def fit(self, split: OneClassSplit, seed: int, budget: Budget) -> Runner:
        """Train on ``split.x_train`` (normal only); may use the validation rows as the protocol allows."""

    @abstractmethod
    def score(self, x: np.ndarray) -> np.ndarray:
        """Anomaly scores of preprocessed rows/images; larger is more anomalous."""

    @property
    def uses_budget(self) -> bool:
        """Whether training steps and batch size change this model's results."""
        return True

    def resolve_budget(self, budget: Budget, dataset: str) -> Budget:
        """The budget this model actually trains with on ``dataset`` (what results record)."""
        return budget.resolve(dataset, self.default_batch_size)

    def settings(self, dataset: str) -> str:
        """The settings that change the results on ``dataset``, resolved (part of the resume key)."""
        del dataset  # most models have no per-dataset defaults
        return self.name
