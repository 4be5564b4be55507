# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The Toll objective, written once for every surface of the package.

Toll (targeted collapse) adds the norm of the bottleneck code to the reconstruction
error, both in the training loss and in the anomaly score (paper Eq. 2 and 3):

    a(x) = ‖x̂ − x‖₂ + β · ‖z − t‖ₚ

with ``t`` the collapse target: the origin for the autoencoder, or the batch mean of
the normal embeddings for FITYMI+Toll (paper Sec. 4.1). Norms are unsquared and the
loss is the batch mean of the per-sample score, as in the authors' code.

Example:
    >>> import torch
    >>> x, x_hat, z = torch.zeros(2, 4), torch.ones(2, 4), torch.ones(2, 4)
    >>> toll_score(x_hat, x, z, beta=10.0)  # ‖x̂ − x‖₂ = 2, ‖z‖₂ = 2
    tensor([22., 22.])

Paper:
    Targeted collapse regularized autoencoder for anomaly detection: black hole at
    the center (Ghafourian et al.).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor

Norm = Literal[1, 2, "inf"]
CollapseTarget = Literal["origin", "batch_mean"]
Weighting = Literal["sum", "convex"]

NORMS: tuple[Norm, ...] = (1, 2, "inf")


def parse_norm(norm: int | float | str) -> float:
    """Return the order ``p`` of a norm given as 1, 2, "inf", "l1", "l2" or ``math.inf``."""
    if isinstance(norm, (int, float)) and not isinstance(norm, bool) and norm in {1, 2, math.inf}:
        return float(norm)
    aliases = {"1": 1.0, "l1": 1.0, "2": 2.0, "l2": 2.0, "inf": math.inf, "linf": math.inf}
    if isinstance(norm, str) and norm.lower() in aliases:
        return aliases[norm.lower()]
    msg = f"norm must be 1, 2 or 'inf' (the paper's Table 8), got {norm!r}."
    raise ValueError(msg)


def reconstruction_error(x_hat: Tensor, x: Tensor) -> Tensor:
    """Per-sample Euclidean distance ‖x̂ − x‖₂ over all non-batch dimensions."""
    return torch.linalg.vector_norm((x_hat - x).flatten(1).float(), ord=2, dim=1)


def collapse_distance(
    z: Tensor,
    norm: int | float | str = 2,
    target: CollapseTarget | Tensor = "origin",
) -> Tensor:
    """Per-sample distance ‖z − t‖ₚ of the codes to the collapse target.

    Args:
        z: Codes, shape ``(N, ...)``; non-batch dimensions are flattened.
        norm: Order of the norm: 1, 2 or "inf". Defaults to ``2``.
        target: ``"origin"`` (Toll autoencoder), ``"batch_mean"`` (the mean of ``z``
            over the batch, FITYMI+Toll) or an explicit target tensor broadcastable
            to ``z``. Defaults to ``"origin"``.
    """
    z = z.flatten(1).float()
    if isinstance(target, Tensor):
        z = z - target.flatten().float()
    elif target == "batch_mean":
        z = z - z.mean(dim=0, keepdim=True)
    elif target != "origin":
        msg = f"target must be 'origin', 'batch_mean' or a tensor, got {target!r}."
        raise ValueError(msg)
    return torch.linalg.vector_norm(z, ord=parse_norm(norm), dim=1)


def toll_score(
    x_hat: Tensor,
    x: Tensor,
    z: Tensor,
    beta: float | Tensor,
    norm: int | float | str = 2,
    target: CollapseTarget | Tensor = "origin",
    weighting: Weighting = "sum",
) -> Tensor:
    """Per-sample Toll anomaly score ``‖x̂ − x‖₂ + β‖z − t‖ₚ``.

    Args:
        x_hat: Reconstructions, same shape as ``x``.
        x: Inputs, shape ``(N, ...)``.
        z: Bottleneck codes, shape ``(N, ...)``.
        beta: Weight of the collapse term; ``0`` gives the plain autoencoder. A tensor of
            shape ``(N,)`` gives each row its own β (the rows of a stacked grid of networks).
        norm: Order of the latent norm: 1, 2 or "inf". Defaults to ``2``.
        target: Collapse target, see :func:`collapse_distance`. Defaults to ``"origin"``.
        weighting: ``"sum"`` for ``rec + β·norm`` (the paper's Eq. 2/3) or ``"convex"``
            for ``(1 − β)·rec + β·norm`` (the paper's Figure 2, β in [0, 1]).
            Defaults to ``"sum"``.

    Returns:
        Scores of shape ``(N,)``; larger means more anomalous.
    """
    rec = reconstruction_error(x_hat, x)
    if not isinstance(beta, Tensor) and beta == 0:  # the plain autoencoder: skip the norm so β = 0 costs nothing extra
        return rec
    collapse = collapse_distance(z, norm=norm, target=target)
    if weighting == "sum":
        return rec + beta * collapse
    if weighting == "convex":
        return (1.0 - beta) * rec + beta * collapse
    msg = f"weighting must be 'sum' or 'convex', got {weighting!r}."
    raise ValueError(msg)


def toll_loss(
    x_hat: Tensor,
    x: Tensor,
    z: Tensor,
    beta: float,
    norm: int | float | str = 2,
    target: CollapseTarget | Tensor = "origin",
    weighting: Weighting = "sum",
) -> Tensor:
    """Training loss: the batch mean of :func:`toll_score` (the same quantity)."""
    return toll_score(x_hat, x, z, beta, norm=norm, target=target, weighting=weighting).mean()
