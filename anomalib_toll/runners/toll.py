# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Toll and its β = 0 ablation through the core protocol (``anomalib_toll.protocol.train_toll``).

Example:
    >>> runner = TollRunner(beta=0.0)
    >>> runner.name
    'toll_beta0'
"""

from __future__ import annotations

import numpy as np

from anomalib_toll.protocol import Budget, OneClassSplit, TollSettings, TrainedToll, train_toll
from anomalib_toll.runners.base import Runner


class TollRunner(Runner):
    """Toll with the paper's per-dataset defaults; ``beta=0`` is the plain autoencoder."""

    def __init__(self, beta: float | None = None, protocol: str = "paper", precision: str = "auto", device: str | None = None) -> None:
        self.beta = beta
        self.protocol = protocol
        self.precision = precision
        self.device = device
        self.name = "toll_beta0" if beta == 0 else "toll"
        self.trained: TrainedToll | None = None

    def fit(self, split: OneClassSplit, seed: int, budget: Budget) -> TollRunner:
        settings = TollSettings(beta=self.beta, precision=self.precision)
        self.trained = train_toll(split, seed, protocol=self.protocol, settings=settings, budget=budget, device=self.device, progress=f"{self.name} seed{seed}")
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        return self.trained.score(x)

    def settings(self) -> str:
        return f"{self.name}(beta={self.beta}, protocol={self.protocol}, precision={self.precision})"
