# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Train Toll on one split under the paper protocol: random batches, validation, the best checkpoint.

Random batches for ``iterations`` steps with Adam at a fixed lr, validation every
``eval_every`` steps, the checkpoint the protocol selects kept. Grids of cells (seeds,
classes, models) are the benchmark's job (:mod:`anomalib_toll.benchmark`).

Example:
    >>> split = make_split("digits", normal_class=0)
    >>> trained = train_toll(split, seed=0, budget=Budget(iterations=20, batch_size=32, eval_every=10))
    >>> trained.fit.best_step in (10, 20), trained.score(split.x_test).shape == (len(split.x_test),)
    (True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import Tensor

from anomalib_toll.core import FitResult, as_tensor, build_autoencoder, fit_toll, parse_norm, resolve_device, score_toll
from anomalib_toll.core.checks import check_number, check_positive_int
from anomalib_toll.core.training import PRECISIONS
from anomalib_toll.data import get_dataset
from anomalib_toll.protocol.budget import Budget
from anomalib_toll.protocol.metrics import evaluate
from anomalib_toll.protocol.splits import OneClassSplit, check_protocol, make_split  # noqa: F401  (example)


@dataclass(frozen=True)
class TollSettings:
    """Toll hyperparameters, checked when made; ``None`` takes the dataset's paper value (:meth:`resolve`)."""

    beta: float | None = None
    norm: int | str = 2
    latent_dim: int | None = None
    lr: float | None = None
    precision: str = "auto"

    def __post_init__(self) -> None:
        """Reject values that would fail or mislead later, naming the argument."""
        if self.beta is not None:
            object.__setattr__(self, "beta", check_number("beta", self.beta, minimum=0.0))
        if self.latent_dim is not None:
            object.__setattr__(self, "latent_dim", check_positive_int("latent_dim", self.latent_dim))
        if self.lr is not None:
            object.__setattr__(self, "lr", check_number("lr", self.lr, minimum=0.0, strict=True))
        parse_norm(self.norm)
        if self.precision not in ("auto", *PRECISIONS):
            msg = f"precision must be one of {('auto', *PRECISIONS)}, got {self.precision!r}."
            raise ValueError(msg)

    def resolve(self, dataset: str) -> TollSettings:
        """The values actually used for ``dataset`` (β, latent size and lr filled in from the paper)."""
        paper = get_dataset(dataset).defaults
        return replace(
            self, beta=paper.beta if self.beta is None else self.beta, latent_dim=self.latent_dim or paper.latent_dim,
            lr=paper.lr if self.lr is None else self.lr,
        )


BF16_MIN_PIXELS = 16 * 16


def resolve_precision(precision: str, input_shape: tuple[int, ...], convolutional: bool, device: torch.device) -> str:
    """``"auto"``: bf16-mixed for conv nets on images of 16×16 or more where bf16 is native.

    Measured here (2 cores): the B.1 net at batch 128 trains at 67 samples/s in fp32,
    114 in bf16, 128 in bf16 + channels_last, with the same AUROC (README, "Speed"); the
    8×8 digits net runs 3.6× *slower* in bf16 (cast overhead dominates tiny convs), and a
    274-wide MLP gains nothing.
    """
    if precision != "auto":
        return precision
    bf16_ok = device.type == "cpu" or (device.type == "cuda" and torch.cuda.is_bf16_supported())
    big_images = len(input_shape) == 3 and input_shape[1] * input_shape[2] >= BF16_MIN_PIXELS
    return "bf16-mixed" if convolutional and big_images and bf16_ok else "32"


def make_selector(
    split: OneClassSplit, protocol: str, score: Callable[[Tensor], np.ndarray], device: torch.device | None = None,
) -> Callable[[], float]:
    """The checkpoint criterion of a protocol, higher is better (see ``splits``).

    The validation rows go to ``device`` once here, not at each of the ~100 checks.
    """
    if protocol == "paper":
        x_val = as_tensor(split.x_val).to(device)
        return lambda: evaluate(split.metric, score(x_val), split.y_val)
    x_normal = as_tensor(split.x_val_normal).to(device)
    return lambda: -float(np.mean(score(x_normal)))


@dataclass
class TrainedToll:
    """A network trained by the protocol, with the settings its scores depend on."""

    model: torch.nn.Module
    settings: TollSettings  # resolved: the values actually used
    device: torch.device
    fit: FitResult

    @property
    def beta(self) -> float:
        """The collapse weight β used."""
        return float(self.settings.beta)  # type: ignore[arg-type]

    def score(self, x: np.ndarray | Tensor) -> np.ndarray:
        """Toll scores of preprocessed rows/images, in bounded-memory batches."""
        x = x if isinstance(x, Tensor) else as_tensor(x)
        return score_toll(
            self.model, x, beta=self.beta, norm=self.settings.norm, precision=self.settings.precision, device=self.device,
        ).numpy()


def train_toll(
    split: OneClassSplit,
    seed: int = 0,
    *,
    protocol: str = "paper",
    settings: TollSettings = TollSettings(),
    budget: Budget = Budget(),
    device: str | None = None,
    progress: bool | str = False,
) -> TrainedToll:
    """Train Toll on a split's normal rows, keeping the checkpoint the protocol selects."""
    check_protocol(protocol)
    settings = settings.resolve(split.dataset)
    dev = resolve_device(device)
    with torch.random.fork_rng(devices=[]):  # seeded init without touching the caller's RNG
        torch.manual_seed(seed)
        model = build_autoencoder(split.x_train.shape[1:], latent_dim=settings.latent_dim)
    model.to(dev)
    precision = resolve_precision(settings.precision, split.x_train.shape[1:], model.is_convolutional, dev)
    trained = TrainedToll(
        model=model, settings=replace(settings, precision=precision), device=dev,
        fit=FitResult(steps=0, best_step=0, best_value=None, seconds=0.0),
    )
    select = make_selector(split, protocol, trained.score, dev)
    trained.fit = fit_toll(
        model, as_tensor(split.x_train).to(dev), beta=trained.beta, norm=settings.norm,
        lr=float(settings.lr), steps=budget.iterations,
        batch_size=budget.resolve(split.dataset).batch_size, eval_every=budget.eval_every,
        validate=lambda _model: select(), generator=torch.Generator().manual_seed(seed),
        precision=precision, progress=progress,
    )
    return trained


__all__ = ["TollSettings", "TrainedToll", "make_selector", "resolve_precision", "train_toll"]
