# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""PyTorch model of Toll for anomalib: the core network and score, nothing else.

Example:
    >>> import torch
    >>> model = TollModel(input_shape=(3, 32, 32), beta=10.0)
    >>> x_hat, z = model(torch.randn(2, 3, 32, 32))
    >>> model.eval()(torch.randn(2, 3, 32, 32)).pred_score.shape
    torch.Size([2])
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from anomalib.data import InferenceBatch
from torch import Tensor, nn

from anomalib_toll.core import build_autoencoder, toll_batch_scores, toll_score
from anomalib_toll.core.training import prepare_input
from anomalib_toll.models.image.toll.anomaly_map import toll_anomaly_map

if TYPE_CHECKING:
    from collections.abc import Sequence


class TollModel(nn.Module):
    """Autoencoder whose score is ``‖x̂ − x‖₂ + β‖z‖ₚ``.

    Args:
        input_shape: ``(C, H, W)`` of the (pre-processed) images.
        beta: Collapse weight β. Defaults to ``10.0``.
        norm: Latent norm, 1, 2 or "inf". Defaults to ``2``.
        latent_dim: Code size; ``None`` takes the paper's for the shape. Defaults to ``None``.
        hidden_dims: Conv channels per stage; ``None`` takes the paper's networks for
            28×28×1 and 32×32×3 and a 4-stage conv AE otherwise. Defaults to ``None``.
        sigma: Gaussian smoothing of the anomaly map (pixels). Defaults to ``4.0``.
        grayscale: Use only the first channel of the input (anomalib presents gray images
            as three equal channels). Defaults to ``False``.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        beta: float = 10.0,
        norm: int | str = 2,
        latent_dim: int | None = None,
        hidden_dims: Sequence[int] | None = None,
        sigma: float = 4.0,
        grayscale: bool = False,
    ) -> None:
        super().__init__()
        self.grayscale = grayscale
        self.beta = beta
        self.norm = norm
        self.sigma = sigma
        self.network = build_autoencoder(input_shape, latent_dim=latent_dim, hidden_dims=hidden_dims)

    def inputs(self, images: Tensor) -> Tensor:
        """The images as the network sees them (the first channel for gray data, channels_last for conv nets)."""
        return prepare_input(self.network, images[:, :1] if self.grayscale else images)

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor] | InferenceBatch:
        """``(x_hat, z)`` in training; the score and anomaly map in eval mode."""
        images = self.inputs(images)
        x_hat, z = self.network(images)
        if self.training:
            return x_hat, z
        scores = toll_score(x_hat.float(), images, z.float(), self.beta, norm=self.norm)
        return InferenceBatch(pred_score=scores, anomaly_map=toll_anomaly_map(x_hat, images, scores, self.sigma))

    def scores(self, images: Tensor) -> Tensor:
        """Per-image Toll scores in the current mode, without anomaly maps: the core's one Toll step."""
        return toll_batch_scores(self.network, self.inputs(images), beta=self.beta, norm=self.norm)

    def loss(self, images: Tensor) -> Tensor:
        """The Toll training loss of a batch (Lightning handles precision)."""
        return self.scores(images).mean()
