# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Toll and its β = 0 ablation through the core protocol (:func:`anomalib_toll.protocol.train_toll`).

Example:
    >>> runner = TollRunner(beta=0.0)
    >>> runner.name, runner.settings("mnist")
    ('toll_beta0', 'toll_beta0(beta=0, norm=2, latent_dim=128, lr=0.0001, precision=auto, protocol=paper)')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from anomalib_toll.protocol import Budget, OneClassSplit, TollSettings, TrainedToll, check_protocol, train_toll
from anomalib_toll.protocol.beta import BETA_GRID, describe_choice
from anomalib_toll.runners.base import Runner

if TYPE_CHECKING:
    import numpy as np
    from torch import Tensor


class TollRunner(Runner):
    """Toll with the paper's per-dataset defaults; ``beta=0`` is the plain autoencoder.

    Args:
        beta: Collapse weight β; ``None`` takes the dataset's paper value; ``"auto"`` trains every β of
            ``beta_grid`` and keeps the best by synthetic validation AUROC (``note`` says which). Defaults to ``None``.
        norm: Latent norm: 1, 2 or "inf". Defaults to ``2``.
        latent_dim: Code size; ``None`` takes the paper's. Defaults to ``None``.
        lr: Adam learning rate; ``None`` takes the paper's. Defaults to ``None``.
        precision: ``"auto"``, ``"32"``, ``"bf16-mixed"`` or ``"16-mixed"``. Defaults to ``"auto"``.
        protocol: Checkpoint selection: ``"paper"``, ``"clean"`` or ``"synthetic"``. Defaults to ``"paper"``.
        device: Torch device; ``None`` picks CUDA when available. Defaults to ``None``.
        beta_grid: The β values ``beta="auto"`` tries. Defaults to ``(0, 1, 10, 100, 1000)``.
        compare_criteria: Also keep the checkpoint every criterion (paper, clean, synthetic) would
            select, in the same run, and record each one's test metric. Defaults to ``False``.
    """

    def __init__(
        self,
        beta: float | Literal["auto"] | None = None,
        norm: int | str = 2,
        latent_dim: int | None = None,
        lr: float | None = None,
        precision: str = "auto",
        protocol: str = "paper",
        device: str | None = None,
        beta_grid: tuple[float, ...] = BETA_GRID,
        compare_criteria: bool = False,
    ) -> None:
        self.toll = TollSettings(
            beta=beta, norm=norm, latent_dim=latent_dim, lr=lr, precision=precision, beta_grid=tuple(beta_grid),
        )
        self.protocol = check_protocol(protocol)
        self.device = device
        self.compare_criteria = compare_criteria
        self.name = {0: "toll_beta0", "auto": "toll_auto"}.get(self.toll.beta, "toll")
        self.trained: TrainedToll | None = None

    def fit(self, split: OneClassSplit, seed: int, budget: Budget) -> TollRunner:
        """Train on the split's normal rows, keeping the checkpoint the protocol selects."""
        self.trained = train_toll(
            split, seed, protocol=self.protocol, settings=self.toll, budget=budget, device=self.device,
            progress=f"{self.name} seed {seed}" if self.show_progress else False,
            compare_criteria=self.compare_criteria,
        )
        self.precision_used, self.device_used = str(self.trained.settings.precision), str(self.trained.device)
        trained = self.trained
        if trained.beta_choice is not None:
            self.note = describe_choice(self.name, trained.beta_choice, trained.fit.seconds)
            self.chosen_beta = trained.beta
        return self

    def criterion_scores(self, x: np.ndarray) -> dict[str, tuple[int, np.ndarray]]:
        """Scores under the checkpoint each validation criterion kept (with ``compare_criteria``)."""
        if self.trained is None or len(self.trained.fit.checkpoints) < 2:  # beta="auto" always compares
            return {}
        return self.trained.criterion_scores(x)

    def score(self, x: np.ndarray) -> np.ndarray:
        """Toll scores of preprocessed rows/images."""
        if self.trained is None:
            msg = "TollRunner is not fitted: call fit(split, seed, budget) first."
            raise RuntimeError(msg)
        return self.trained.score(x)

    def anomaly_maps(self, x: np.ndarray) -> np.ndarray | None:
        """The anomalib Toll model's maps of preprocessed images: each score spread over the pixels by their error.

        Same network, score and precision as :meth:`score`; ``None`` for table rows.
        """
        if self.trained is None:
            msg = "TollRunner is not fitted: call fit(split, seed, budget) first."
            raise RuntimeError(msg)
        if x.ndim != 4:
            return None
        from anomalib_toll.core import score_in_batches, toll_score
        from anomalib_toll.core.training import score_batch_size, toll_forward
        from anomalib_toll.models.image.toll.anomaly_map import toll_anomaly_map

        trained = self.trained
        model = trained.model.eval()

        def maps(batch: Tensor) -> Tensor:
            batch, x_hat, z = toll_forward(model, batch, trained.settings.precision)
            scores = toll_score(x_hat, batch, z, trained.beta, norm=trained.settings.norm)
            return toll_anomaly_map(x_hat, batch, scores)[:, 0]

        return score_in_batches(maps, x, score_batch_size(model), trained.device).numpy()

    def settings(self, dataset: str) -> str:
        """β, norm, latent size and lr as used on ``dataset`` (the paper's values filled in)."""
        used = self.toll.resolve(dataset)
        beta = f"auto{tuple(float(b) for b in used.beta_grid)}" if used.beta == "auto" else f"{used.beta:g}"
        compare = ", compare_criteria=True" if self.compare_criteria else ""
        return (
            f"{self.name}(beta={beta}, norm={used.norm}, latent_dim={used.latent_dim}, lr={used.lr:g}, "
            f"precision={used.precision}, protocol={self.protocol}{compare})"
        )
