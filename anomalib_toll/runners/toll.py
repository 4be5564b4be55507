# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Toll and its β = 0 ablation through the core protocol (:func:`anomalib_toll.protocol.train_toll`).

Example:
    >>> runner = TollRunner(beta=0.0)
    >>> runner.name, runner.settings("mnist")
    ('toll_beta0', 'toll_beta0(beta=0, norm=2, latent_dim=128, lr=0.0001, precision=auto, protocol=paper)')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from anomalib_toll.protocol import Budget, OneClassSplit, TollSettings, TrainedToll, check_protocol, train_toll
from anomalib_toll.runners.base import Runner

if TYPE_CHECKING:
    import numpy as np


class TollRunner(Runner):
    """Toll with the paper's per-dataset defaults; ``beta=0`` is the plain autoencoder.

    Args:
        beta: Collapse weight β; ``None`` takes the dataset's paper value. Defaults to ``None``.
        norm: Latent norm: 1, 2 or "inf". Defaults to ``2``.
        latent_dim: Code size; ``None`` takes the paper's. Defaults to ``None``.
        lr: Adam learning rate; ``None`` takes the paper's. Defaults to ``None``.
        precision: ``"auto"``, ``"32"``, ``"bf16-mixed"`` or ``"16-mixed"``. Defaults to ``"auto"``.
        protocol: Checkpoint selection, ``"paper"`` or ``"clean"``. Defaults to ``"paper"``.
        device: Torch device; ``None`` picks CUDA when available. Defaults to ``None``.
    """

    def __init__(
        self,
        beta: float | None = None,
        norm: int | str = 2,
        latent_dim: int | None = None,
        lr: float | None = None,
        precision: str = "auto",
        protocol: str = "paper",
        device: str | None = None,
    ) -> None:
        self.toll = TollSettings(beta=beta, norm=norm, latent_dim=latent_dim, lr=lr, precision=precision)
        self.protocol = check_protocol(protocol)
        self.device = device
        self.name = "toll_beta0" if self.toll.beta == 0 else "toll"
        self.trained: TrainedToll | None = None

    def fit(self, split: OneClassSplit, seed: int, budget: Budget) -> TollRunner:
        """Train on the split's normal rows, keeping the checkpoint the protocol selects."""
        self.trained = train_toll(
            split, seed, protocol=self.protocol, settings=self.toll, budget=budget, device=self.device,
            progress=f"{self.name} seed {seed}" if self.show_progress else False,
        )
        self.precision_used, self.device_used = str(self.trained.settings.precision), str(self.trained.device)
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        """Toll scores of preprocessed rows/images."""
        if self.trained is None:
            msg = "TollRunner is not fitted: call fit(split, seed, budget) first."
            raise RuntimeError(msg)
        return self.trained.score(x)

    def settings(self, dataset: str) -> str:
        """β, norm, latent size and lr as used on ``dataset`` (the paper's values filled in)."""
        used = self.toll.resolve(dataset)
        return (
            f"{self.name}(beta={used.beta:g}, norm={used.norm}, latent_dim={used.latent_dim}, lr={used.lr:g}, "
            f"precision={used.precision}, protocol={self.protocol})"
        )
