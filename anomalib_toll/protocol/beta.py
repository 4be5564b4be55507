# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""``beta="auto"``: choosing Toll's β without labels, written once for every surface.

The grid and its check, the one synthetic criterion (AUROC of held-out normal rows
against synthetic anomalies made from them, :mod:`~anomalib_toll.protocol.synthetic`,
always with :data:`SYNTHETIC_SEED`), the search that trains one run per β through the
one executor, the rule that picks β from the per-β values (:func:`choose_beta`) and the
line that reports the choice. The PyOD detector and the protocol's ``train_toll`` search
with :func:`search_beta`; the anomalib ``Toll`` trains its networks in one Lightning loop
and uses the criterion, the rule and the line through its ``BetaSearch`` callback.

Example:
    >>> import numpy as np
    >>> normal = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    >>> rows, labels = synthetic_validation(normal)
    >>> rows.shape, int(labels.sum())
    ((80, 3), 40)
    >>> synthetic_auroc(np.abs(rows).sum(1), labels) > 0.5
    True
    >>> choose_beta({0.0: 0.8, 10.0: 0.9, 100.0: 0.9, 1000.0: float("nan")})
    10.0
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, Literal, TypeVar

import numpy as np

from anomalib_toll.core.checks import FLOAT32_MAX, check_number
from anomalib_toll.core.executor import execute
from anomalib_toll.protocol.metrics import auroc
from anomalib_toll.protocol.splits import SPLIT_SEED
from anomalib_toll.protocol.synthetic import synthetic_anomalies

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

Job = TypeVar("Job")
Run = TypeVar("Run")

BETA_GRID: tuple[float, ...] = (0.0, 1.0, 10.0, 100.0, 1000.0)
"""The β values ``beta="auto"`` tries by default: log-spaced, with the plain autoencoder (0)."""

SYNTHETIC_SEED = SPLIT_SEED
"""The one seed of the synthetic anomalies: they are a fixed function of the held-out normal rows."""


def check_beta(beta: object) -> float | Literal["auto"]:
    """``beta`` as a float in [0, 3.4e38] (it multiplies float32 tensors), or ``"auto"``; else a ``ValueError``.

    Example:
        >>> check_beta(10), check_beta("auto")
        (10.0, 'auto')
    """
    if isinstance(beta, str):
        if beta == "auto":
            return "auto"
        msg = f"beta must be a number in [0, {FLOAT32_MAX:.3g}] or 'auto', got {beta!r}."
        raise ValueError(msg)
    return _in_float32_range("beta", beta)


def check_beta_grid(beta_grid: object) -> tuple[float, ...]:
    """``beta_grid`` as distinct floats in [0, 3.4e38], in the order given; else a ``ValueError`` naming it.

    Example:
        >>> check_beta_grid([0, 10, 10.0, 1000])
        (0.0, 10.0, 1000.0)
    """
    if isinstance(beta_grid, str | bytes) or not isinstance(beta_grid, list | tuple | range | np.ndarray):
        msg = f"beta_grid must be a sequence of numbers >= 0 such as (0, 1, 10, 100, 1000), got {beta_grid!r}."
        raise ValueError(msg)  # ruff: ignore[type-check-without-type-error] - every bad argument is a ValueError
    grid = tuple(dict.fromkeys(_in_float32_range("beta_grid", b) for b in beta_grid))
    if not grid:
        msg = "beta_grid must hold at least one β value, e.g. (0, 1, 10, 100, 1000)."
        raise ValueError(msg)
    return grid


def _in_float32_range(name: str, value: object) -> float:
    number = check_number(name, value, minimum=0.0)
    if number > FLOAT32_MAX:
        msg = f"{name} must be a finite number in [0, {FLOAT32_MAX:g}], got {value!r}."
        raise ValueError(msg)
    return number


def synthetic_validation(normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The synthetic validation set: the held-out normal rows, then one synthetic anomaly made from each.

    Args:
        normal: Held-out normal rows (``(N, D)``) or images (``(N, C, H, W)``), preprocessed as the
            network sees them; at least 2.

    Returns:
        ``(rows, labels)``: ``2N`` rows and their labels (0 for the normal rows, 1 for the anomalies).
    """
    normal = np.asarray(normal)
    rows = np.concatenate([normal, synthetic_anomalies(normal, seed=SYNTHETIC_SEED)])
    return rows, np.repeat([0, 1], len(normal))


def synthetic_auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """The synthetic criterion: AUROC of the scores of :func:`synthetic_validation`'s rows; NaN if one is not finite."""
    scores = np.asarray(scores, dtype=np.float64)
    return auroc(scores, labels) if np.isfinite(scores).all() else float("nan")


def best_beta(values: Mapping[float, float]) -> float:
    """The β of highest value; ties go to the smaller β (less collapse pressure).

    Example:
        >>> best_beta({0.0: 0.8, 10.0: 0.9, 100.0: 0.9})
        10.0
    """
    return max(values, key=lambda b: (values[b], -b))


def choose_beta(values: Mapping[float, float]) -> float:
    """The policy of ``beta="auto"`` on every surface: β from each β's synthetic validation AUROC.

    Today: the highest AUROC (:func:`best_beta`) among the finite values (NaN marks a β whose
    training diverged or whose scores were not finite).

    Args:
        values: β -> its synthetic validation AUROC (the best over its checkpoints where a run
            validates during training).

    Returns:
        The chosen β.

    Raises:
        ValueError: no β has a finite value.
    """
    finite = {beta: value for beta, value in values.items() if not math.isnan(value)}
    if not finite:
        msg = f"beta='auto': no β of beta_grid={list(values)} gave finite synthetic validation scores."
        raise ValueError(msg)
    return best_beta(finite)


def describe_choice(who: str, beta: float, values: Mapping[float, float], seconds: float, how: str = "") -> str:
    """The one line that reports a choice: the β kept, each β's synthetic AUROC (%), what the search cost.

    Example:
        >>> describe_choice("Toll", 10.0, {0.0: 0.81, 10.0: 0.9}, 12.3)
        "Toll beta='auto' chose beta=10 (synthetic validation AUROC % per beta: 0: 81.0, 10: 90.0); 2 networks trained in 12.3 s"
    """  # noqa: E501 - a doctest's output is one line
    tried = ", ".join(f"{b:g}: {100 * v:.1f}" for b, v in values.items())
    return (
        f"{who} beta='auto' chose beta={beta:g} (synthetic validation AUROC % per beta: {tried}); "
        f"{len(values)} networks trained in {seconds:.1f} s{f' {how}' if how else ''}"
    )


@dataclass
class BetaSearch(Generic[Run]):
    """What :func:`search_beta` did: each β's run and synthetic AUROC, the β chosen and the cost."""

    beta: float
    values: dict[float, float]  # NaN where the β's training diverged
    runs: dict[float, Run] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def run(self) -> Run:
        """The chosen β's run."""
        return self.runs[self.beta]


def search_beta(
    train: Callable[[Job], Run],
    jobs: Mapping[float, Job],
    value: Callable[[float, Run], float],
    *,
    workers: int = 1,
    who: str = "Toll",
) -> BetaSearch[Run]:
    """Train one run per β through the one executor, take each one's synthetic AUROC and choose β.

    Args:
        train: Trains one job (module-level, so worker processes can import it).
        jobs: β -> the job that trains it (same seed and batches for every β).
        value: ``(β, run)`` -> the run's synthetic validation AUROC (:func:`synthetic_auroc`).
        workers: Processes training side by side (1: here, one after another). Defaults to ``1``.
        who: The surface, for messages. Defaults to ``"Toll"``.

    Returns:
        The search; ``beta`` is :func:`choose_beta` of ``values``.

    Raises:
        ValueError: a single β failed, or every β did (the first failure in grid order).
    """
    start = time.perf_counter()
    by_job = {id(job): beta for beta, job in jobs.items()}  # the executor yields the jobs it was given
    runs: dict[float, Run] = {}
    failures: dict[float, BaseException] = {}
    for job, outcome in execute(train, list(jobs.values()), workers):
        beta = by_job[id(job)]
        if isinstance(outcome, BaseException):
            failures[beta] = outcome
        else:
            runs[beta] = outcome
    for beta in jobs:  # the first failure in grid order, whatever finished first
        if beta in failures and (len(jobs) == 1 or not runs or not isinstance(failures[beta], ValueError)):
            raise failures[beta]
    if failures:
        warnings.warn(
            f"{who} beta='auto': training diverged for beta={sorted(failures)} (left out of the choice): "
            f"{next(iter(failures.values()))}",
            UserWarning,
            stacklevel=3,
        )
    values = {beta: value(beta, runs[beta]) if beta in runs else float("nan") for beta in jobs}
    try:
        chosen = choose_beta(values)
    except ValueError as err:
        msg = f"{who} {err} Lower the learning rate or pass a fixed beta."
        raise ValueError(msg) from err
    ordered = {beta: runs[beta] for beta in jobs if beta in runs}
    return BetaSearch(beta=chosen, values=values, runs=ordered, seconds=time.perf_counter() - start)


__all__ = [
    "BETA_GRID",
    "SYNTHETIC_SEED",
    "BetaSearch",
    "best_beta",
    "check_beta",
    "check_beta_grid",
    "choose_beta",
    "describe_choice",
    "search_beta",
    "synthetic_auroc",
    "synthetic_validation",
]
