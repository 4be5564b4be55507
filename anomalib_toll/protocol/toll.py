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

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
import torch
from torch import Tensor

from anomalib_toll.core import (
    FitResult,
    NetworkStack,
    TrainingDivergedError,
    as_tensor,
    build_autoencoder,
    fit_grid,
    grid_from_seed,
    parse_norm,
    resolve_device,
    score_stack,
    score_toll,
)
from anomalib_toll.core.checks import check_number, check_positive_int
from anomalib_toll.core.training import PRECISIONS, native_bf16, score_batch_size
from anomalib_toll.data import get_dataset
from anomalib_toll.protocol.beta import (
    BETA_GRID,
    BetaChoice,
    behind_reference,
    check_beta,
    check_beta_grid,
    choose_trained_beta,
    rung_steps,
    synthetic_auroc,
    synthetic_validation,
)
from anomalib_toll.protocol.budget import Budget
from anomalib_toll.protocol.metrics import evaluate
from anomalib_toll.protocol.splits import OneClassSplit, check_protocol, make_split  # noqa: F401  (example)

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass(frozen=True)
class TollSettings:
    """Toll hyperparameters, checked when made; ``None`` takes the dataset's paper value (:meth:`resolve`)."""

    beta: float | Literal["auto"] | None = None
    norm: int | str = 2
    latent_dim: int | None = None
    lr: float | None = None
    precision: str = "auto"
    beta_grid: tuple[float, ...] = BETA_GRID  # the β values ``beta="auto"`` tries

    def __post_init__(self) -> None:
        """Reject values that would fail or mislead later, naming the argument."""
        if self.beta is not None:
            object.__setattr__(self, "beta", check_beta(self.beta))
        object.__setattr__(self, "beta_grid", check_beta_grid(self.beta_grid))
        if self.latent_dim is not None:
            object.__setattr__(self, "latent_dim", check_positive_int("latent_dim", self.latent_dim))
        if self.lr is not None:
            object.__setattr__(self, "lr", check_number("lr", self.lr, minimum=0.0, strict=True))
        parse_norm(self.norm)
        if self.precision not in {"auto", *PRECISIONS}:
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
CRITERIA: tuple[str, ...] = ("paper", "clean", "synthetic")


def resolve_precision(precision: str, input_shape: tuple[int, ...], convolutional: bool, device: torch.device) -> str:
    """``"auto"``: bf16-mixed for conv nets on images of 16×16 or more where the device runs bf16 natively.

    Smaller images and MLPs stay in float32: there the casts cost more than bf16 saves
    (``docs/results.md``, "Speed", has the measurements). A CPU without native bf16 (AVX2
    only) emulates it ~20× slower than float32, so it stays in float32 (:func:`native_bf16`).
    """
    if precision != "auto":
        return precision
    bf16_ok = native_bf16(device)
    big_images = len(input_shape) == 3 and input_shape[1] * input_shape[2] >= BF16_MIN_PIXELS
    return "bf16-mixed" if convolutional and big_images and bf16_ok else "32"


def make_criteria(
    split: OneClassSplit, score: Callable[[Tensor], np.ndarray], device: torch.device | None = None,
) -> dict[str, Callable[[], np.ndarray]]:
    """Every checkpoint criterion the split allows, each higher-is-better, one value per network.

    ``score`` maps rows to the ``(K, N)`` scores of the K networks training side by side
    (``(N,)`` for one network is taken as ``(1, N)``); a network that is not running has NaN
    scores, and NaN values.

    * ``paper``: the test metric on the labelled validation rows (only where they hold anomalies);
    * ``clean``: minus the mean score of the normal validation rows;
    * ``synthetic``: AUROC of the normal validation rows against synthetic anomalies made
      from them (:mod:`~anomalib_toll.protocol.synthetic`): no real anomaly is seen.

    The validation rows go to ``device`` once here, not at each of the ~100 checks.
    """

    def per_network(rows: Tensor) -> np.ndarray:
        return np.atleast_2d(score(rows))

    criteria: dict[str, Callable[[], np.ndarray]] = {}
    if split.y_val.any():
        x_val = as_tensor(split.x_val).to(device)
        criteria["paper"] = lambda: np.array([
            evaluate(split.metric, s, split.y_val) if np.isfinite(s).all() else np.nan for s in per_network(x_val)
        ])
    normal = split.x_val_normal
    x_normal = as_tensor(normal).to(device)
    criteria["clean"] = lambda: -per_network(x_normal).mean(1)
    if len(normal) >= 2:
        rows, labels = synthetic_validation(normal)
        both = as_tensor(rows).to(device)
        criteria["synthetic"] = lambda: np.array([synthetic_auroc(s, labels) for s in per_network(both)])
    return criteria


def selected_criterion(split: OneClassSplit, protocol: str) -> str:
    """The criterion a protocol selects with; a split without labelled anomalies before test selects as ``clean``."""
    check_protocol(protocol)
    if protocol == "paper" and not split.y_val.any():
        return "clean"
    if protocol == "synthetic" and len(split.x_val_normal) < 2:
        msg = (
            "protocol 'synthetic' needs at least 2 held-out normal rows; "
            f"{split.dataset} has {len(split.x_val_normal)}."
        )
        raise ValueError(msg)
    return protocol if protocol in CRITERIA else "clean"


@dataclass
class TrainedToll:
    """A network trained by the protocol, with the settings its scores depend on."""

    model: torch.nn.Module
    settings: TollSettings  # resolved: the values actually used
    device: torch.device
    fit: FitResult
    beta_choice: BetaChoice | None = None  # beta="auto": what was chosen, on what evidence
    beta_runs: dict[float, TrainedToll] | None = None  # beta="auto" with compare_criteria: every β's run
    diverged: TrainingDivergedError | None = None  # one β of a grid whose training diverged

    @property
    def beta_search(self) -> dict[float, float] | None:
        """``beta="auto"``: each β's synthetic validation AUROC (NaN: diverged); else ``None``."""
        return None if self.beta_choice is None else self.beta_choice.values

    @property
    def beta(self) -> float:
        """The collapse weight β used."""
        beta = self.settings.beta
        assert beta is not None  # the settings are resolved
        return float(beta)

    def score(self, x: np.ndarray | Tensor) -> np.ndarray:
        """Toll scores of preprocessed rows/images, in bounded-memory batches."""
        x = x if isinstance(x, Tensor) else as_tensor(x)
        settings = self.settings
        scores = score_toll(
            self.model, x, beta=self.beta, norm=settings.norm, precision=settings.precision, device=self.device,
        )
        return scores.numpy()

    def criterion_scores(self, x: np.ndarray | Tensor) -> dict[str, tuple[int, np.ndarray]]:
        """Scores of ``x`` under each criterion's kept checkpoint: ``name -> (step, scores)`` (``compare_criteria``).

        After ``beta="auto"`` with ``compare_criteria``, every β's run: ``"{criterion}_beta{β}"``.
        """
        if self.beta_runs is not None:
            return {
                f"{name}_beta{b:g}": kept
                for b, run in self.beta_runs.items()
                for name, kept in run.checkpoint_scores(x).items()
            }
        return self.checkpoint_scores(x)

    def checkpoint_scores(self, x: np.ndarray | Tensor) -> dict[str, tuple[int, np.ndarray]]:
        """Scores of ``x`` under each checkpoint this run kept: ``name -> (step, scores)``."""
        kept = {k: v.clone() for k, v in self.model.state_dict().items()}
        out = {}
        try:
            for name, checkpoint in self.fit.checkpoints.items():
                self.model.load_state_dict(checkpoint.state)
                out[name] = (checkpoint.step, self.score(x))
        finally:
            self.model.load_state_dict(kept)
        return out


def train_toll(
    split: OneClassSplit,
    seed: int = 0,
    *,
    protocol: str = "paper",
    settings: TollSettings = TollSettings(),
    budget: Budget = Budget(),
    device: str | None = None,
    progress: bool | str = False,
    compare_criteria: bool = False,
) -> TrainedToll:
    """Train Toll on a split's normal rows, keeping the checkpoint the protocol selects.

    ``compare_criteria=True`` validates with every criterion of :func:`make_criteria` in
    the same run and keeps each one's best weights (``trained.fit.checkpoints``), so the
    protocols can be compared at the cost of one run. ``settings.beta="auto"`` trains every
    β of ``settings.beta_grid`` as one stacked model (same seed, each its own batches drawn
    alike) and keeps the β :func:`~anomalib_toll.protocol.beta.choose_beta` picks from each
    β's synthetic-best checkpoint (``trained.beta_choice``; with ``compare_criteria``,
    ``trained.beta_runs`` holds every β's run).
    """
    check_protocol(protocol)
    settings = settings.resolve(split.dataset)
    assert settings.beta is not None  # resolve() fills in the paper's value
    if settings.beta != "auto":
        return _train_grid(split, seed, protocol, settings, (float(settings.beta),), budget, device, progress,
                           compare_criteria=compare_criteria)[0]
    if len(split.x_val_normal) < 2:
        msg = (
            "beta='auto' needs at least 2 held-out normal rows to make synthetic anomalies; "
            f"{split.dataset} has {len(split.x_val_normal)}."
        )
        raise ValueError(msg)
    runs = _train_grid(split, seed, protocol, settings, settings.beta_grid, budget, device, progress,
                       compare_criteria=True)
    rows, _ = synthetic_validation(split.x_val_normal)
    failed = {run.beta: run.diverged for run in runs if run.diverged is not None}
    scores = {run.beta: None if run.diverged else run.checkpoint_scores(rows)["synthetic"][1] for run in runs}
    stopped = {run.beta: run.fit.stopped_at for run in runs if run.fit.stopped_at is not None}
    choice = choose_trained_beta("Toll", scores, failed, stopped)
    chosen = runs[settings.beta_grid.index(choice.beta)]
    chosen.beta_choice = choice
    chosen.beta_runs = {run.beta: run for run in runs if run.diverged is None} if compare_criteria else None
    return chosen


def _train_grid(
    split: OneClassSplit, seed: int, protocol: str, settings: TollSettings, betas: tuple[float, ...], budget: Budget,
    device: str | None, progress: bool | str,
    *,
    compare_criteria: bool,
) -> list[TrainedToll]:
    """One network per β, trained as one stacked model from the same seed; one run per β (a fixed β: a grid of one).

    A grid of several keeps the βs that diverged (``diverged`` says why); a grid of one raises.
    """
    batch_size = budget.resolve(split.dataset).batch_size
    assert settings.lr is not None  # resolve() fills in the paper's values
    assert batch_size is not None
    dev = resolve_device(device)
    stack, generators = grid_from_seed(
        lambda: build_autoencoder(split.x_train.shape[1:], latent_dim=settings.latent_dim), len(betas), seed,
    )
    stack.to(dev)
    precision = resolve_precision(settings.precision, split.x_train.shape[1:], stack.is_convolutional, dev)
    norm = settings.norm
    chosen = selected_criterion(split, protocol)
    criteria = make_criteria(
        split,
        lambda x: score_stack(stack, x, betas, norm=norm, precision=precision, batch_size=score_batch_size(stack)),
        dev,
    )

    latest: dict[str, np.ndarray] = {}  # the last validation's values

    def validate(_stack: NetworkStack) -> dict[str, np.ndarray]:
        names = criteria if compare_criteria else [chosen]
        values = {name: criteria[name]() for name in names}
        latest.update(values)
        return values

    def stop(_stack: NetworkStack) -> list[int]:  # beta="auto"'s rungs: the βs behind β = 0 stop
        # rungs fall on validation steps (rung_steps(..., eval_every)), just scored: no second pass
        return behind_reference(betas, latest["synthetic"])

    label = f"{progress} β={'/'.join(f'{b:g}' for b in betas)}" if progress and len(betas) > 1 else progress
    grid = fit_grid(
        stack, as_tensor(split.x_train).to(dev), betas=betas,
        generators=generators, norm=norm, lr=float(settings.lr),
        steps=budget.iterations, batch_size=batch_size, eval_every=budget.eval_every, validate=validate,
        select=chosen, precision=precision, progress=label,
        rungs=rung_steps(budget.iterations, budget.eval_every),
        stop=stop if len(betas) > 1 and compare_criteria and "synthetic" in criteria else None,
    )
    if len(betas) == 1 and grid.failures:
        raise grid.failures[0]
    return [
        TrainedToll(
            model=stack.network(k), settings=replace(settings, beta=beta, precision=precision), device=dev,
            fit=grid.results[k], diverged=grid.failures.get(k),
        )
        for k, beta in enumerate(betas)
    ]


__all__ = [
    "CRITERIA",
    "TollSettings",
    "TrainedToll",
    "make_criteria",
    "resolve_precision",
    "selected_criterion",
    "train_toll",
]
