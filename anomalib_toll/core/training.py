# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""What the training loop and every scorer share: devices, precision, batch draws, the one Toll step.

The loop itself is :mod:`anomalib_toll.core.loop`.

Example:
    >>> from anomalib_toll.core import build_autoencoder
    >>> net = build_autoencoder((8,), hidden_dims=(8,), latent_dim=2).eval()
    >>> toll_batch_scores(net, torch.randn(4, 8), beta=1.0).shape
    torch.Size([4])
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import torch
from torch import Tensor, nn

from anomalib_toll.core.checks import check_positive_int
from anomalib_toll.core.loss import Weighting, toll_score

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

Precision = Literal["32", "bf16-mixed", "16-mixed"]
PRECISIONS: tuple[str, ...] = ("32", "bf16-mixed", "16-mixed")
Sampling = Literal["random", "epochs"]


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``None``/``"auto"`` → the first CUDA device when there is one, else the CPU; Lightning's ``"gpu"`` is CUDA."""
    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device("cuda" if str(device) == "gpu" else device)


def check_precision(precision: str, device: torch.device) -> str:
    """Validate ``precision``; fp16 autocast is only offered where it is fast (CUDA)."""
    precision = str(precision)
    if precision not in PRECISIONS:
        msg = f"precision must be one of {PRECISIONS}, got {precision!r}."
        raise ValueError(msg)
    if precision == "16-mixed" and device.type != "cuda":
        msg = "precision='16-mixed' needs a CUDA device; use 'bf16-mixed' on the CPU."
        raise ValueError(msg)
    return precision


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 natively: a CUDA GPU that supports it, or a CPU with AVX-512 bf16/AMX.

    torch emulates bf16 on other CPUs (AVX2 only), where a bf16 conv step costs ~20× a
    float32 one (``docs/results.md``, "Speed"), so ``precision="auto"`` must not pick it there.
    """
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())  # noqa: SLF001 - torch's own test of the CPU
    return False


def autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """The autocast context for a Lightning-style precision string."""
    if precision == "32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16-mixed" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def batches_per_epoch(n: int, batch_size: int) -> int:
    """Batches in one epoch; a 1-row tail joins the previous batch (BatchNorm needs 2)."""
    batch_size = min(batch_size, n)
    full, tail = divmod(n, batch_size)
    return full + (tail > 1)


def batch_indices(
    n: int,
    batch_size: int,
    steps: int,
    generator: torch.Generator,
    sampling: Sampling = "random",
    device: torch.device | None = None,
) -> Iterator[Tensor]:
    """Yield ``steps`` index batches over ``n`` rows.

    ``"random"`` draws every batch independently without replacement (the paper's
    "random batches"); ``"epochs"`` walks shuffled permutations (PyOD's epochs), keeping a
    short last batch unless it has a single row, which BatchNorm cannot train on.
    A batch never exceeds ``n`` rows, so tiny data sets train too.
    """
    batch_size = min(batch_size, n)
    if sampling == "random":
        for _ in range(steps):
            yield torch.randperm(n, generator=generator)[:batch_size].to(device)
        return
    done = 0
    cuts = [i * batch_size for i in range(batches_per_epoch(n, batch_size))]
    while done < steps:
        perm = torch.randperm(n, generator=generator).to(device)
        for start, stop in zip(cuts, [*cuts[1:], n], strict=True):
            if done == steps:
                return
            yield perm[start:stop]
            done += 1


@dataclass
class Checkpoint:
    """The best weights one validation criterion saw: its step, its value and the weights."""

    step: int
    value: float
    state: dict[str, Tensor]


@dataclass
class FitResult:
    """What training one network did: the kept step, its validation value and the curve.

    With several validation criteria, ``checkpoints`` holds the best weights of each
    (the model ends holding the selected criterion's), so one training run tells what
    every criterion would have kept.
    """

    steps: int
    best_step: int
    best_value: float | None
    seconds: float
    history: list[tuple[int, float]] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    checkpoints: dict[str, Checkpoint] = field(default_factory=dict)
    stopped_at: int | None = None  # a network of a grid that left training early (behind at a rung), at this step


CONV_SCORE_BATCH = 256
MLP_SCORE_BATCH = 4096


def score_batch_size(model: nn.Module) -> int:
    """Rows per scoring batch: small for conv nets, large for MLPs.

    Conv activations of a small batch stay in cache; an MLP's per-batch overhead dominates
    instead, so it takes thousands of rows at once (``docs/results.md``, "Speed").
    """
    return CONV_SCORE_BATCH if getattr(model, "is_convolutional", False) else MLP_SCORE_BATCH


def prepare_input(model: nn.Module, x: Tensor) -> Tensor:
    """Use channels_last for conv networks on 4-D input (faster on CPU and GPU)."""
    if x.dim() == 4 and getattr(model, "is_convolutional", False):
        return x.contiguous(memory_format=torch.channels_last)
    return x


def as_tensor(x: np.ndarray | Tensor) -> Tensor:
    """A float32 tensor of preprocessed rows/images (no copy when they already are float32)."""
    if isinstance(x, Tensor):
        return x.float()
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))


def toll_batch_scores(
    model: nn.Module,
    batch: Tensor,
    *,
    beta: float,
    norm: int | float | str = 2,
    weighting: Weighting = "sum",
    precision: str = "32",
) -> Tensor:
    """Per-row Toll scores of one batch: the one place a network meets the formula.

    Training steps take their mean (the Toll loss), scorers the rows; the forward runs
    under ``precision``'s autocast, the formula in float32.
    """
    batch, x_hat, z = toll_forward(model, batch, precision)
    return toll_score(x_hat, batch, z, beta, norm=norm, weighting=weighting)


def toll_forward(model: nn.Module, batch: Tensor, precision: str = "32") -> tuple[Tensor, Tensor, Tensor]:
    """``(input as the network saw it, x_hat, z)`` of one batch, the outputs in float32 (for scores and maps)."""
    batch = prepare_input(model, batch)
    with autocast(batch.device, precision):
        x_hat, z = model(batch)
    return batch, x_hat.float(), z.float()


def score_in_batches(
    score_batch: Callable[[Tensor], Tensor],
    x: np.ndarray | Tensor,
    batch_size: int,
    device: torch.device,
    prepare: Callable[[np.ndarray | Tensor], np.ndarray | Tensor] | None = None,
) -> Tensor:
    """Per-row outputs of ``x`` (scores, or maps), ``batch_size`` rows at a time: memory stays bounded by one batch.

    ``x`` may live on the CPU (even as a memory-mapped array) and moves to ``device`` batch
    by batch, after ``prepare`` (e.g. a scaler) if given. Returns a float32 CPU tensor:
    ``(N,)`` when ``score_batch`` gives one value per row, else ``(N, ...)``.
    """
    batch_size = check_positive_int("batch_size", batch_size)
    out = torch.empty(len(x), dtype=torch.float32)
    with torch.inference_mode():
        for start in range(0, len(x), batch_size):
            rows = x[start : start + batch_size]
            batch = as_tensor(prepare(rows) if prepare is not None else rows).to(device, non_blocking=True)
            values = score_batch(batch).float().cpu()
            values = values.reshape(len(batch)) if values.numel() == len(batch) else values
            if start == 0 and values.dim() > 1:
                out = torch.empty((len(x), *values.shape[1:]), dtype=torch.float32)
            out[start : start + len(batch)] = values
    return out


class TrainingDivergedError(ValueError):
    """The Toll loss became NaN or infinite: the weights are unusable."""


def score_toll(
    model: nn.Module,
    x: Tensor,
    *,
    beta: float,
    norm: int | float | str = 2,
    weighting: Weighting = "sum",
    batch_size: int | None = None,
    precision: str = "32",
    device: torch.device | None = None,
) -> Tensor:
    """Per-sample Toll scores of ``x`` in eval mode, ``batch_size`` rows at a time.

    Memory stays bounded by one batch: ``x`` may live on the CPU (even as a memory-mapped
    array) and is moved to ``device`` batch by batch; ``batch_size=None`` takes
    :func:`score_batch_size` of the model. Returns a float CPU tensor.
    """
    device = device or next(model.parameters()).device
    model.eval()
    return score_in_batches(
        lambda batch: toll_batch_scores(model, batch, beta=beta, norm=norm, weighting=weighting, precision=precision),
        x, batch_size or score_batch_size(model), device,
    )
