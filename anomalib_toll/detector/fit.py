# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Toll on table rows held in memory: one network for a fixed β, or ``beta="auto"``'s grid as one stacked model.

The array-level fit under :class:`~anomalib_toll.detector.TollDetector` (which adds the
checks, the scaler and the threshold): the rows arrive standardised, the held-out rows
are what ``beta="auto"`` makes its synthetic anomalies from (:mod:`anomalib_toll.protocol.beta`).

Example:
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(120, 6)).astype(np.float32)
    >>> fitted = fit_rows(x[:100], x[100:], beta="auto", beta_grid=(0.0, 10.0), steps=5, batch_size=32)
    >>> fitted.beta in (0.0, 10.0), sorted(fitted.choice.values)
    (True, [0.0, 10.0])
"""

from __future__ import annotations

import math
import sys
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

import numpy as np
import torch

from anomalib_toll.core import (
    FitResult,
    NetworkStack,
    TollAutoencoder,
    build_autoencoder,
    fit_grid,
    grid_from_seed,
    score_stack,
)
from anomalib_toll.core.training import batches_per_epoch
from anomalib_toll.protocol.beta import (
    BETA_GRID,
    BetaChoice,
    behind_reference,
    betas_to_train,
    choose_trained_beta,
    describe_choice,
    rung_steps,
    synthetic_aurocs,
    synthetic_validation,
)

if TYPE_CHECKING:
    from collections.abc import Sequence


FALLBACK_BETA = 0.0
"""The β of ``beta="auto"`` where too few rows leave nothing to choose on: the plain autoencoder."""


def default_hidden_dims(n_features: int) -> tuple[int, int]:
    """Hidden widths sized from the number of features.

    The first width is the power of two at or above ``4 * n_features``, kept within
    [16, 256], the second half of it: ``(64, 32)`` for 10 features (PyOD
    ``AutoEncoder``'s default), the paper's ``(256, 128)`` from 64 features on (Arrhythmia
    has 274). A (256, 128) network on a 10-column table memorises its training rows
    (``bench/threshold.py`` measures it).

    Args:
        n_features: Number of input columns.

    Returns:
        ``(width, width // 2)``.

    Example:
        >>> default_hidden_dims(10), default_hidden_dims(274), default_hidden_dims(1)
        ((64, 32), (256, 128), (16, 8))
    """
    width = min(256, max(16, 1 << math.ceil(math.log2(4 * max(n_features, 1)))))
    return width, width // 2


def hold_out(
    n: int, fraction: float, seed: int, *, auto: bool = False, minimum: int = 10,
) -> tuple[np.ndarray, np.ndarray]:
    """Rows to train on and rows held out from training (sorted indices): ``fraction`` of ``n``, drawn with ``seed``.

    Fewer than ``minimum`` rows to hold out: every row trains, with a warning. ``auto``
    (which makes its synthetic anomalies from the held-out rows) holds out at least
    ``minimum`` rows instead, as long as ``minimum`` rows are left to train on and
    ``fraction`` is not 0; otherwise it is an error (:func:`beta_for_rows` falls back first).
    """
    n_held_out = round(float(fraction) * n)
    if auto and fraction > 0:
        n_held_out = max(n_held_out, minimum)  # small tables: enough rows to make synthetic anomalies from
    too_few = n_held_out < minimum or n - n_held_out < (minimum if auto else 2)
    if auto and too_few:
        msg = (
            f"beta='auto' chooses β on the rows held out by validation_fraction (synthetic anomalies are made from "
            f"them), but validation_fraction={fraction!r} of {n} rows holds out {n_held_out}; it needs at least "
            f"{minimum} held out and {minimum} to train on: raise validation_fraction, pass more rows, or a fixed beta."
        )
        raise ValueError(msg)
    if n_held_out == 0:
        return np.arange(n), np.arange(0)
    if too_few:
        warnings.warn(
            f"TollDetector: validation_fraction={fraction!r} of {n} rows holds out {n_held_out}, fewer than "
            f"{minimum}: training on all rows and taking threshold_ from their scores, so predict() may flag more "
            "than contamination of unseen rows. Pass more rows, or validation_fraction=0 to accept this.",
            UserWarning,
            stacklevel=3,
        )
        return np.arange(n), np.arange(0)
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_held_out:]), np.sort(perm[:n_held_out])


def beta_for_rows(beta: float | Literal["auto"], n: int, fraction: float, minimum: int = 10) -> float | Literal["auto"]:
    """``beta``; ``"auto"`` on fewer than ``2 * minimum`` rows (none to hold out and train on) is β = 0, with a warning.

    Example:
        >>> beta_for_rows("auto", 400, 0.2), beta_for_rows(10.0, 5, 0.2)
        ('auto', 10.0)
    """
    if beta != "auto":
        return float(beta)
    if n < 2 * minimum and fraction > 0:  # fraction 0 with "auto" is the caller's error, said by hold_out
        warnings.warn(
            f"beta='auto' holds out {minimum} rows to choose β and trains on at least {minimum}, but X has {n} "
            f"rows: using beta={FALLBACK_BETA:g} (the plain autoencoder, the better fixed β without labels in "
            "docs/results.md). Pass a fixed beta to silence this.",
            UserWarning,
            stacklevel=3,
        )
        return FALLBACK_BETA
    return "auto"


@dataclass
class RowsFit:
    """A trained network and the β it scores with; ``choice`` when ``beta="auto"`` chose it."""

    model: TollAutoencoder
    beta: float
    fit: FitResult
    choice: BetaChoice | None = None


def fit_rows(
    x: np.ndarray,
    held_out: np.ndarray,
    *,
    beta: float | Literal["auto"] = 10.0,
    beta_grid: Sequence[float] = BETA_GRID,
    seed: int = 0,
    norm: float = 2.0,
    latent_dim: int = 16,
    hidden_dims: tuple[int, ...] | None = None,
    lr: float = 1e-3,
    steps: int = 100,
    batch_size: int = 128,
    sampling: Literal["random", "epochs"] = "random",
    precision: str = "32",
    device: str = "cpu",
    progress: bool = False,
    who: str = "TollDetector",
) -> RowsFit:
    """Train Toll on standardised rows: one network, or one per β of ``beta_grid`` as one stacked model.

    Args:
        x: Standardised training rows ``(N, D)``.
        held_out: Standardised rows kept out of training; ``beta="auto"`` makes its synthetic
            anomalies from them (at least 2).
        beta: Collapse weight, or ``"auto"`` to choose it (:func:`~.beta.choose_beta`). Defaults to ``10.0``.
        beta_grid: The β values ``"auto"`` tries. Defaults to :data:`~.beta.BETA_GRID`.
        seed: Seed of the weights and the batches (the same for every β). Defaults to ``0``.
        norm: Order of the latent norm. Defaults to ``2.0``.
        latent_dim: Code size. Defaults to ``16``.
        hidden_dims: Hidden widths; ``None`` sizes them from the features. Defaults to ``None``.
        lr: Adam learning rate. Defaults to ``1e-3``.
        steps: Optimisation steps. Defaults to ``100``.
        batch_size: Rows per step. Defaults to ``128``.
        sampling: ``"random"`` batches or ``"epochs"``. Defaults to ``"random"``.
        precision: Lightning-style precision of the forward pass. Defaults to ``"32"``.
        device: Torch device. Defaults to ``"cpu"``.
        progress: A progress bar, and the line that reports a choice of β. Defaults to ``False``.
        who: The caller, for messages. Defaults to ``"TollDetector"``.

    Returns:
        The network, its β and training record, and the choice where ``beta="auto"``.

    Raises:
        ValueError: training diverged (for ``"auto"``: for every β).
    """
    grid = betas_to_train(beta, beta_grid)
    dims = default_hidden_dims(x.shape[1]) if hidden_dims is None else tuple(hidden_dims)
    stack, generators = grid_from_seed(
        lambda: build_autoencoder((x.shape[1],), latent_dim=latent_dim, hidden_dims=dims), len(grid), seed,
    )
    stack.to(device)
    label = f"{who} β={'/'.join(f'{b:g}' for b in grid)}" if progress else False
    rows = synthetic_validation(np.asarray(held_out, dtype=np.float32))[0] if beta == "auto" else None

    def stop(running: NetworkStack) -> list[int]:  # beta="auto"'s rungs: the βs behind β = 0 stop
        assert rows is not None
        scores = score_stack(running, rows, grid, norm=norm, precision=precision)
        return behind_reference(grid, synthetic_aurocs(scores))

    fitted = fit_grid(
        stack, torch.as_tensor(np.asarray(x, dtype=np.float32), device=device), betas=grid,
        generators=generators, norm=norm, lr=lr, steps=steps,
        batch_size=batch_size, sampling=sampling, precision=precision, progress=label,
        rungs=rung_steps(steps, every=batches_per_epoch(len(x), batch_size) if sampling == "epochs" else 1),
        stop=stop if rows is not None else None,
    )
    if rows is None:
        if fitted.failures:
            raise fitted.failures[0]
        return RowsFit(model=cast("TollAutoencoder", stack.network(0)), beta=grid[0], fit=fitted.results[0])
    scores = score_stack(stack, rows, grid, norm=norm, precision=precision, device=torch.device(device))
    failures = {grid[k]: err for k, err in fitted.failures.items()}
    stopped = {grid[k]: r.stopped_at for k, r in enumerate(fitted.results) if r.stopped_at is not None}
    choice = choose_trained_beta(who, dict(zip(grid, scores, strict=True)), failures, stopped)
    if progress:
        print(describe_choice(who, choice, fitted.seconds), file=sys.stderr)  # PyOD prints
    k = grid.index(choice.beta)
    model = cast("TollAutoencoder", stack.network(k))
    return RowsFit(model=model, beta=choice.beta, fit=fitted.results[k], choice=choice)


__all__ = [
    "RowsFit",
    "beta_for_rows",
    "default_hidden_dims",
    "fit_rows",
    "hold_out",
]
