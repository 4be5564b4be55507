# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Pixel-level anomaly maps from the Toll score, for localisation.

The paper scores whole images. For anomalib's pixel metrics each image's Toll score is
spread over its pixels in proportion to their squared reconstruction error, then
smoothed: where the reconstruction fails shows where the anomaly is, and the latent
term raises the whole map of an image whose code lies far from the collapse target.
A map sums to its image's score (before smoothing).

Example:
    >>> import torch
    >>> x, x_hat = torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4)
    >>> x_hat[0, 0, 1, 2] = 2.0
    >>> toll_anomaly_map(x_hat, x, torch.tensor([5.0]), sigma=0.0)[0, 0, 1, 2]
    tensor(5.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from torchvision.transforms.v2.functional import gaussian_blur

if TYPE_CHECKING:
    from torch import Tensor

EPS = 1e-12


def toll_anomaly_map(x_hat: Tensor, x: Tensor, scores: Tensor, sigma: float = 4.0) -> Tensor:
    """Maps ``(N, 1, H, W)``: each pixel's share of the squared error times the image score."""
    per_pixel = (x_hat.float() - x.float()).pow(2).sum(dim=1, keepdim=True)
    share = per_pixel / per_pixel.flatten(1).sum(dim=1).clamp_min(EPS).view(-1, 1, 1, 1)
    maps = share * scores.view(-1, 1, 1, 1)
    if sigma <= 0:
        return maps
    kernel = min(2 * int(4.0 * sigma + 0.5) + 1, 2 * min(maps.shape[-2:]) - 1)  # reflect padding < size
    return gaussian_blur(maps, kernel_size=[kernel, kernel], sigma=[sigma, sigma])
