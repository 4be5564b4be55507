# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""``beta="auto"``: choosing Toll's β without labels, written once for every surface.

The grid and its checks, the one synthetic criterion (AUROC of held-out normal rows
against synthetic anomalies made from them, :mod:`~anomalib_toll.protocol.synthetic`,
always with :data:`SYNTHETIC_SEED`), the rule that needs evidence to leave β = 0
(:func:`choose_beta`), the rule that stops the βs behind β = 0 at the rungs of the budget
(:func:`rung_steps`, :func:`behind_reference`) and the line that reports the choice. Every
β of the grid trains as one stacked model (:func:`anomalib_toll.core.fit_grid`): the PyOD
detector, the protocol's ``train_toll`` and the anomalib ``Toll`` (through its callback)
score each β's network on the synthetic validation at the rungs and at the end, and call
these functions.

Example:
    >>> normal = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    >>> rows, labels = synthetic_validation(normal)
    >>> rows.shape, int(labels.sum())
    ((80, 3), 40)
    >>> synthetic_auroc(np.abs(rows).sum(1), labels) > 0.5
    True
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy.stats import rankdata

from anomalib_toll.core.checks import FLOAT32_MAX, check_number
from anomalib_toll.protocol.metrics import auroc
from anomalib_toll.protocol.splits import SPLIT_SEED
from anomalib_toll.protocol.synthetic import synthetic_anomalies

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

BETA_GRID: tuple[float, ...] = (0.0, 1.0, 10.0, 100.0, 1000.0)
"""The β values ``beta="auto"`` tries by default: log-spaced, with the plain autoencoder (0)."""

SYNTHETIC_SEED = SPLIT_SEED
"""The one seed of the synthetic anomalies: they are a fixed function of the held-out normal rows."""


def reference_beta(betas: Sequence[float]) -> float:
    """The β ``beta="auto"`` keeps without evidence: 0 (the plain autoencoder) when given, else the smallest.

    Example:
        >>> reference_beta([10.0, 0.0, 1.0]), reference_beta([10.0, 1.0])
        (0.0, 1.0)
    """
    return 0.0 if 0.0 in betas else min(betas)


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


def betas_to_train(beta: float | str, beta_grid: object = BETA_GRID) -> tuple[float, ...]:
    """The networks a β asks for: every β of the checked ``beta_grid`` for ``"auto"``, else the one β (a grid of one).

    Example:
        >>> betas_to_train("auto", (0, 10)), betas_to_train(10)
        ((0.0, 10.0), (10.0,))
    """
    return check_beta_grid(beta_grid) if beta == "auto" else (float(beta),)


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


MIN_EVIDENCE_PAIRS = 30
"""Fewest held-out rows (each with its synthetic anomaly) on which ``beta="auto"`` weighs evidence.

Below it a bootstrap interval of an AUROC difference is itself unreliable (its coverage
falls well short of nominal), so the choice is the reference β, the plain autoencoder.
"""

CONFIDENCE = 0.95
"""Confidence that a chosen β's gain over the reference is real, shared across the candidates (Bonferroni)."""

BOOTSTRAP_DRAWS = 500
"""Paired bootstrap resamples of the held-out rows; the bound is the (1 - CONFIDENCE) / m quantile of them."""


@dataclass(frozen=True)
class BetaChoice:
    """What :func:`choose_beta` decided, and on what evidence.

    Attributes:
        beta: The β chosen.
        values: Each β's synthetic validation AUROC (NaN: diverged or non-finite scores).
        gains: Each candidate β's lower confidence bound of its AUROC gain over the reference
            (NaN where none was computed: the reference, failed or stopped runs, too few rows).
        reference: The β kept without evidence: 0 when the grid has it, else its smallest β.
        pairs: The held-out rows the evidence rests on.
        stopped: The βs that stopped training early, behind the reference at a rung (β -> step);
            their values are those of their weights then.
    """

    beta: float
    values: dict[float, float]
    gains: dict[float, float]
    reference: float
    pairs: int
    stopped: dict[float, int] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """Why this β, in a few words (for the line that reports the choice)."""
        if self.beta != self.reference:
            return f"its gain over beta={self.reference:g} is at least {100 * self.gains[self.beta]:.1f} points"
        if self.pairs < MIN_EVIDENCE_PAIRS:
            return f"{self.pairs} held-out rows, fewer than the {MIN_EVIDENCE_PAIRS} it needs to weigh evidence"
        return f"no beta beat beta={self.reference:g} beyond its uncertainty"


def _paired_bootstrap_aurocs(scores: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """AUROC of each resample of the pairs (normal i, its anomaly i): ``(len(draws),)``, ties counted half."""
    n = scores.shape[0] // 2
    both = np.concatenate([scores[:n][draws], scores[n:][draws]], axis=1)  # (B, 2n): normals, then anomalies
    ranks = rankdata(both, axis=1)
    return (ranks[:, n:].sum(1) - n * (n + 1) / 2) / (n * n)


def choose_beta(scores: Mapping[float, np.ndarray | None], stopped: Mapping[float, int] | None = None) -> BetaChoice:
    """The rule of ``beta="auto"`` on every surface: β = 0 unless a larger β's gain is bigger than its uncertainty.

    Each β's scores of :func:`synthetic_validation`'s rows (held-out normal rows, then one
    synthetic anomaly made from each) give its AUROC. The held-out rows are resampled with
    their anomalies (a paired bootstrap, :data:`BOOTSTRAP_DRAWS` times, a fixed seed): a
    candidate β counts only if the lower bound of its AUROC gain over the reference (β = 0)
    is above 0 at :data:`CONFIDENCE`, shared over the candidates (Bonferroni), so that when
    no β truly separates better, one is picked by chance at most 5 % of the time. Among the
    candidates that count, the highest AUROC wins (ties: the smaller β). With fewer than
    :data:`MIN_EVIDENCE_PAIRS` held-out rows, or none that counts, the reference is kept.
    A β that stopped early (:func:`behind_reference` at a rung) is never chosen, but still
    counts among the candidates the confidence is shared over: it was looked at.

    Args:
        scores: β -> its scores of the synthetic validation rows (``2N``, normals first);
            ``None`` or non-finite where its training diverged.
        stopped: β -> the step at which it stopped training early. Defaults to none.

    Returns:
        The choice, each β's AUROC and each candidate's bound.

    Raises:
        ValueError: no β has finite scores.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> noise = lambda: rng.normal(size=200)
        >>> clear = np.concatenate([rng.normal(size=100), rng.normal(size=100) + 2])
        >>> choose_beta({0.0: noise(), 10.0: clear}).beta
        10.0
        >>> choose_beta({0.0: noise(), 10.0: noise() + np.r_[np.zeros(100), 0.2 * np.ones(100)]}).beta
        0.0
    """
    finite = {
        beta: np.asarray(s, dtype=np.float64) for beta, s in scores.items()
        if s is not None and np.isfinite(np.asarray(s, dtype=np.float64)).all()
    }
    if not finite:
        msg = f"beta='auto': no β of beta_grid={list(scores)} gave finite synthetic validation scores."
        raise ValueError(msg)
    n = len(next(iter(finite.values()))) // 2
    values = {beta: float(synthetic_aurocs(finite[beta][None])[0]) if beta in finite else np.nan for beta in scores}
    reference = reference_beta(list(finite))
    candidates = [beta for beta in finite if beta > reference]
    stopped = dict(stopped or {})
    running = [beta for beta in candidates if beta not in stopped]  # a stopped β is not chosen: no bound needed
    gains = dict.fromkeys(scores, float("nan"))
    if n >= MIN_EVIDENCE_PAIRS and running:
        draws = np.random.default_rng(SYNTHETIC_SEED).integers(0, n, size=(BOOTSTRAP_DRAWS, n))
        base = _paired_bootstrap_aurocs(finite[reference], draws)
        quantile = (1 - CONFIDENCE) / len(candidates)
        for beta in running:
            gains[beta] = float(np.quantile(_paired_bootstrap_aurocs(finite[beta], draws) - base, quantile))
    passed = [beta for beta in running if gains[beta] > 0]
    chosen = max(passed, key=lambda b: (values[b], -b)) if passed else reference
    return BetaChoice(beta=chosen, values=values, gains=gains, reference=reference, pairs=n, stopped=stopped)


RUNGS: tuple[float, ...] = (1 / 8, 1 / 4, 1 / 2)
"""Fractions of the training budget at which ``beta="auto"`` stops the βs behind the reference.

Successive halving's geometric spacing (η = 2): the first look comes once training has
shaped the networks, and most of the budget lies after it, so a grid whose βs all fall
behind costs about 5/8 + 7/8 of one network's training (five networks for an eighth of
the steps, then one).
"""


def rung_steps(steps: int, every: int = 1) -> tuple[int, ...]:
    """The steps of :data:`RUNGS` in a budget of ``steps``, each moved up to a multiple of ``every`` (a validation).

    Example:
        >>> rung_steps(300), rung_steps(300, every=20), rung_steps(4)
        ((38, 75, 150), (40, 80, 160), (1, 2))
    """
    return tuple(sorted({r for f in RUNGS if 0 < (r := every * math.ceil(f * steps / every)) < steps}))


def behind_reference(betas: Sequence[float], values: Sequence[float] | np.ndarray) -> list[int]:
    """The networks ``beta="auto"`` stops at a rung: those whose synthetic AUROC is not above the reference's.

    The final rule (:func:`choose_beta`) leaves the reference only for a gain beyond its
    uncertainty; a β that is not even ahead at an interim look seldom gets there, so it
    stops (a futility boundary at zero, as group-sequential trials use). The reference never
    stops; nothing stops while its value is NaN.

    Args:
        betas: The β of each network of the grid.
        values: Each network's synthetic validation AUROC now (:func:`synthetic_aurocs`);
            NaN for a network not running or diverged: left alone (a diverged one is never chosen).

    Returns:
        Indices into ``betas`` of the networks to stop.

    Example:
        >>> behind_reference([0.0, 10.0, 100.0, 1000.0], [0.8, 0.75, 0.9, 0.8])  # ties stop too
        [1, 3]
    """
    values = np.asarray(values, dtype=np.float64)
    reference = list(betas).index(reference_beta(betas))
    if np.isnan(values[reference]):
        return []
    return [k for k in range(len(betas)) if k != reference and values[k] <= values[reference]]


def synthetic_aurocs(scores: np.ndarray) -> np.ndarray:
    """Each network's AUROC of its scores of :func:`synthetic_validation`'s rows (``(K, 2N)``); NaN where not finite.

    Ranks the pairs itself: the same values as :func:`synthetic_auroc` (scikit-learn) without
    its input checks, which cost more than the rest of a rung on a small table.

    Example:
        >>> synthetic_aurocs(np.array([[0.0, 1.0, 2.0, 3.0], [np.nan] * 4]))
        array([ 1., nan])
    """
    scores = np.asarray(scores, dtype=np.float64)
    whole = np.arange(scores.shape[1] // 2)[None]  # every pair once: the AUROC itself
    return np.array([
        float(_paired_bootstrap_aurocs(row, whole)[0]) if np.isfinite(row).all() else np.nan for row in scores
    ])


def describe_choice(who: str, choice: BetaChoice, seconds: float) -> str:
    """The one line that reports a choice: the β kept and why, each β's synthetic AUROC (%), what the search cost.

    Example:
        >>> choice = BetaChoice(10.0, {0.0: 0.81, 10.0: 0.9}, {0.0: float("nan"), 10.0: 0.05}, 0.0, 200)
        >>> describe_choice("Toll", choice, 12.3)
        "Toll beta='auto' chose beta=10: its gain over beta=0 is at least 5.0 points (synthetic validation AUROC % per beta: 0: 81.0, 10: 90.0; 200 held-out rows); 2 networks trained as one stacked model in 12.3 s"
    """  # noqa: E501 - a doctest's output is one line
    tried = ", ".join(f"{b:g}: {100 * v:.1f}" for b, v in choice.values.items())
    stopped = ", ".join(f"{b:g} at step {step}" for b, step in choice.stopped.items())
    early = f", {len(choice.stopped)} stopped early behind beta={choice.reference:g} ({stopped})" if stopped else ""
    return (
        f"{who} beta='auto' chose beta={choice.beta:g}: {choice.reason} (synthetic validation AUROC % per beta: "
        f"{tried}; {choice.pairs} held-out rows); {len(choice.values)} networks trained as one stacked model"
        f"{early} in {seconds:.1f} s"
    )


def choose_trained_beta(
    who: str,
    scores: Mapping[float, np.ndarray | None],
    failures: Mapping[float, BaseException],
    stopped: Mapping[float, int] | None = None,
) -> BetaChoice:
    """:func:`choose_beta` over a trained grid, whose βs may have diverged.

    Every β diverged: the first divergence is raised (it names the step and the fix). Some
    did: a warning names them, and the others are chosen from.

    Raises:
        ValueError: every β diverged, or none gave finite scores.
    """
    if failures and len(failures) == len(scores):
        raise next(iter(failures.values()))
    if failures:
        warnings.warn(
            f"{who} beta='auto': training diverged for beta={sorted(failures)} (left out of the choice): "
            f"{next(iter(failures.values()))}",
            UserWarning,
            stacklevel=3,
        )
    try:
        return choose_beta({beta: None if beta in failures else s for beta, s in scores.items()}, stopped)
    except ValueError as err:
        msg = f"{who} {err} Lower the learning rate or pass a fixed beta."
        raise ValueError(msg) from err


__all__ = [
    "BETA_GRID",
    "BOOTSTRAP_DRAWS",
    "CONFIDENCE",
    "MIN_EVIDENCE_PAIRS",
    "RUNGS",
    "SYNTHETIC_SEED",
    "BetaChoice",
    "behind_reference",
    "betas_to_train",
    "check_beta",
    "check_beta_grid",
    "choose_beta",
    "choose_trained_beta",
    "reference_beta",
    "describe_choice",
    "rung_steps",
    "synthetic_auroc",
    "synthetic_aurocs",
    "synthetic_validation",
]
