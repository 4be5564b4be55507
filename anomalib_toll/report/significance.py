# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Is a difference real? Intervals per cell and tests across data sets, as Demšar (JMLR 2006) and ADBench do.

Per cell (data set × model): a bootstrap 95 % interval of the mean over seeds
(``scipy.stats.bootstrap``, percentile). Across data sets (each a block, the mean over
seeds its value): the Friedman test (``scipy.stats.friedmanchisquare``), then every pair
of models by the two-sided Wilcoxon signed-rank test with Holm's correction
(``scikit_posthocs.posthoc_wilcoxon``), with each pair's wins, ties and losses; a
difference inside the seeds' spread counts as a tie. Where there are too few data sets
or seeds for a test, :class:`Test` says so instead of holding a p-value; where there are
too few for any pair to reach α after Holm's correction (:func:`min_datasets`), the
summary says that the design could not show a difference, and how many data sets could.

Example:
    >>> from anomalib_toll.record import Row
    >>> rows = [Row("adbench", k, 0, m, "paper", "auroc", v, v, 1.0, 0.1, 100.0, "", "")
    ...         for k in range(8) for m, v in (("toll", 0.9 + k / 100), ("iforest", 0.8), ("knn", 0.7 + k / 50))]
    >>> comparison = compare(rows)
    >>> comparison.average_ranks.round(2).tolist(), comparison.friedman.p < 0.01
    ([1.0, 2.31, 2.69], True)
    >>> pair = comparison.pairs[0]
    >>> (pair.a, pair.b, pair.wins, pair.ties, pair.losses), pair.test.p < 0.05
    (('toll', 'iforest', 8, 0, 0), True)

Paper:
    Demšar, "Statistical comparisons of classifiers over multiple data sets", JMLR 7, 2006.
"""

from __future__ import annotations

import functools
import itertools
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from anomalib_toll.report.cells import class_labels, rank_matrix, stats

if TYPE_CHECKING:
    from collections.abc import Sequence

    from anomalib_toll.record import Row

ALPHA = 0.05
CONFIDENCE = 0.95
MIN_SEEDS = 3  # a bootstrap interval of a mean needs a few values; with 3 it is about the seeds' range
MIN_DATASETS = 5  # Friedman's chi-square approximation is rough below ~10 data sets and meaningless below 5
N_RESAMPLES = 9999


@dataclass(frozen=True)
class Test:
    """A test's outcome: its statistic and p-value, or why it was not run (``p`` is ``None`` then)."""

    statistic: float | None = None
    p: float | None = None
    reason: str = ""

    def describe(self, adjusted: bool = False) -> str:
        """``p = 0.012`` (``p (Holm) = ...`` when ``adjusted``), or the reason there is none."""
        if self.p is None:
            return self.reason
        return f"p{' (Holm)' if adjusted else ''} {format_p(self.p)}"


@dataclass(frozen=True)
class Pair:
    """Model ``a`` against model ``b`` over the data sets: ``a``'s wins, ties, losses and the test."""

    a: str
    b: str
    wins: int
    ties: int
    losses: int
    test: Test
    median_difference: float = 0.0  # median over the data sets of a's mean minus b's, in points

    @property
    def significant(self) -> bool:
        """Whether the (Holm-adjusted) p-value is below :data:`ALPHA`."""
        return self.test.p is not None and self.test.p < ALPHA


def min_datasets(comparisons: int, alpha: float = ALPHA) -> int:
    """Fewest data sets with which one of ``comparisons`` Wilcoxon tests can fall below ``alpha`` after Holm.

    The exact two-sided Wilcoxon signed-rank test over N data sets reaches at best
    ``p = 2 / 2^N`` (every difference of the same sign), and Holm's first step multiplies
    the smallest p by the number of comparisons: below the returned N no pair can be
    significant, whatever the results. (Where differences are zero or tie, the normal
    approximation takes over; it gives larger p-values, so it needs at least as many.)

    Example:
        >>> min_datasets(1), min_datasets(3), min_datasets(28)
        (6, 7, 11)
    """
    return int(np.floor(np.log2(2 * comparisons / alpha))) + 1


def format_p(p: float) -> str:
    """``= 0.012`` (two significant digits), or ``< 0.001``."""
    return "< 0.001" if p < 0.001 else f"= {p:.2g}" if p < 0.1 else f"= {p:.2f}"


def seed_interval(values: Sequence[float]) -> tuple[float, float] | None:
    """Bootstrap 95 % percentile interval of the mean of ``values`` (one per seed); ``None`` below 3 values.

    With few seeds the interval approaches the seeds' range: it describes the spread over
    seeds (initialisation, batches), not the test set's sampling error.

    Example:
        >>> seed_interval([80.0, 82.0, 81.0]), seed_interval([80.0, 82.0])
        ((80.0, 82.0), None)
    """
    from scipy.stats import bootstrap

    data = np.asarray(values, dtype=np.float64)
    if len(data) < MIN_SEEDS:
        return None
    if np.ptp(data) == 0:
        return float(data[0]), float(data[0])
    result = bootstrap((data,), np.mean, n_resamples=N_RESAMPLES, confidence_level=CONFIDENCE, method="percentile",
                       rng=np.random.default_rng(0))
    low, high = result.confidence_interval
    return float(low), float(high)


@dataclass(frozen=True)
class Comparison:
    """Models compared over the data sets where every model has a result (blocks of Demšar's tests).

    ``means`` and ``spreads`` are (data sets × models): the mean and std over seeds, in %.
    """

    field: str
    models: tuple[str, ...]
    datasets: tuple[str, ...]
    means: np.ndarray
    spreads: np.ndarray
    seeds: int  # the fewest seeds of any compared cell
    left_out: tuple[str, ...]  # data sets where some model has no result

    @functools.cached_property
    def average_ranks(self) -> np.ndarray:
        """Each model's mean rank over the data sets (1 = best, ties share their mean rank)."""
        return rank_matrix(self.means).mean(axis=0) if len(self.datasets) else np.full(len(self.models), np.nan)

    @functools.cached_property
    def friedman(self) -> Test:
        """The Friedman test over the data sets, or why it is not run."""
        from scipy.stats import friedmanchisquare

        n, k = self.means.shape
        if k < 3:
            return Test(reason=f"no Friedman test: it compares ≥ 3 models, got {k} (see the Wilcoxon test below)")
        if n < MIN_DATASETS:
            return Test(reason=f"too few data sets for the Friedman test: N = {n}, it needs ≥ {MIN_DATASETS}")
        if np.all(self.means == self.means[:, :1]):
            return Test(reason="no Friedman test: every model scores the same on every data set")
        statistic, p = friedmanchisquare(*self.means.T)
        return Test(float(statistic), float(p))

    @functools.cached_property
    def holm_p(self) -> np.ndarray | None:
        """Pairwise two-sided Wilcoxon signed-rank p-values, Holm-adjusted (models × models); ``None``: too few."""
        import pandas as pd
        import scikit_posthocs as sp

        n, k = self.means.shape
        if k < 2 or n < self.min_wilcoxon_datasets:
            return None
        frame = pd.DataFrame({
            "value": self.means.T.ravel(),
            "model": np.repeat(np.arange(k), n),  # paired by order: the data sets in the same order per model
        })
        with warnings.catch_warnings():  # exact p-values are unavailable with zero differences: the normal one
            warnings.simplefilter("ignore", UserWarning)
            if np.all(self.means == self.means[:, :1]):
                return np.ones((k, k))
            p = sp.posthoc_wilcoxon(frame, val_col="value", group_col="model", zero_method="zsplit",
                                    p_adjust="holm" if k > 2 else None)
        return np.nan_to_num(p.to_numpy(dtype=np.float64), nan=1.0)  # a pair without any difference: p = 1

    @property
    def min_wilcoxon_datasets(self) -> int:
        """Fewest data sets with which one two-sided Wilcoxon p (smallest ``2 / 2^N``) can fall below α."""
        return min_datasets(1)

    @property
    def comparisons(self) -> int:
        """How many tests Holm's correction counts: every pair of three or more models; two models: one, uncorrected."""
        k = len(self.models)
        return k * (k - 1) // 2 if k > 2 else 1

    @property
    def min_pair_datasets(self) -> int:
        """Fewest data sets with which any pair can be significant after Holm's correction (:func:`min_datasets`)."""
        return min_datasets(self.comparisons)

    @property
    def smallest_holm_p(self) -> float:
        """The smallest p-value any pair could get at this number of data sets: ``comparisons · 2 / 2^N`` (≤ 1)."""
        return min(1.0, self.comparisons * 2 / 2 ** len(self.datasets))

    @functools.cached_property
    def pairs(self) -> tuple[Pair, ...]:
        """Every pair of models (in the order asked for): wins/ties/losses of the first and the Wilcoxon test."""
        n = len(self.datasets)
        out = []
        for i, j in itertools.combinations(range(len(self.models)), 2):
            diff = self.means[:, i] - self.means[:, j]
            spread = np.hypot(self.spreads[:, i], self.spreads[:, j])  # a difference inside it is a tie
            tie = np.abs(diff) <= np.maximum(spread, 1e-9)
            if self.holm_p is not None:
                test = Test(p=float(self.holm_p[i, j]))
            else:
                test = Test(reason=(
                    f"too few data sets: N = {n}, the smallest two-sided Wilcoxon p is {2 / 2**n:.2g}"
                    if n else "no data set where both have results"
                ))
            out.append(Pair(self.models[i], self.models[j], int((~tie & (diff > 0)).sum()), int(tie.sum()),
                            int((~tie & (diff < 0)).sum()), test, float(np.median(diff)) if n else 0.0))
        return tuple(out)

    @property
    def tied_matrix(self) -> np.ndarray:
        """p-values the CD diagram joins by: Holm's, or all 1 (all joined) when Friedman detects no difference."""
        k = len(self.models)
        if self.holm_p is None or (k >= 3 and (self.friedman.p is None or self.friedman.p >= ALPHA)):
            return np.ones((k, k))
        return self.holm_p

    @property
    def testable(self) -> bool:
        """Whether there are enough data sets for the pairwise test (and a CD diagram)."""
        return self.holm_p is not None


def compare(rows: Sequence[Row], field: str = "value") -> Comparison:
    """The :class:`Comparison` of ``field`` (``value``: the data set's metric) over the rows' classes (data sets)."""
    classes, models, values = stats(rows, field)
    labels = class_labels(rows)
    complete = [k for k in classes if all(values.get((k, m)) for m in models)]
    means = np.array([[np.mean(values[k, m]) for m in models] for k in complete]).reshape(len(complete), len(models))
    spreads = np.array([[np.std(values[k, m]) for m in models] for k in complete]).reshape(means.shape)
    seeds = min((len(values[k, m]) for k in complete for m in models), default=0)
    return Comparison(
        field=field, models=tuple(models), datasets=tuple(labels[k] for k in complete), means=means, spreads=spreads,
        seeds=seeds, left_out=tuple(labels[k] for k in classes if k not in complete),
    )


def comparison_markdown(comparison: Comparison, metric: str, class_label: str = "dataset") -> str:
    """The Friedman test, the pairwise table and what is significant, as a Markdown section."""
    c = comparison
    n, k = c.means.shape
    plural = f"{class_label}s"
    parts = [
        f"## Is a difference real? {metric} across {plural} (Demšar 2006)",
        "",
        (
            f"N = {n} {plural} where every model has a result"
            + (f" (left out: {', '.join(c.left_out)})" if c.left_out else "")
            + f", {c.seeds} seed(s) each; per {class_label} the mean over seeds. "
            "A win or loss is a difference of means larger than the seeds' spread (√(std² + std²)); "
            "a smaller one is a tie."
        ),
        "",
    ]
    friedman = c.friedman
    if friedman.p is not None:
        approx = " (chi-square approximation; rough below 10 data sets)" if n < 10 else ""
        verdict = "some models differ" if friedman.p < ALPHA else "no difference detected among the models"
        parts.append(f"- Friedman test over {k} models and {n} {plural}: χ² = {friedman.statistic:.2f}, "
                     f"p {format_p(friedman.p)}{approx}: {verdict} at α = {ALPHA}.")
    else:
        parts.append(f"- {friedman.reason}.")
    if c.testable:
        correction = f", Holm-corrected over the {len(c.pairs)} pairs" if k > 2 else ""
        parts.append(f"- Pairs: two-sided Wilcoxon signed-rank test over the {n} {plural}{correction}.")
    heading = "Wilcoxon p (Holm)" if k > 2 else "Wilcoxon p"
    parts += ["", f"| model A vs model B | A wins / ties / losses | {heading} |", "|---|---|---|"]
    for pair in c.pairs:
        shown = format_p(pair.test.p).removeprefix("= ") if pair.test.p is not None else "–"
        parts.append(f"| {pair.a} vs {pair.b} | {pair.wins} / {pair.ties} / {pair.losses} | "
                     f"{'**' + shown + '**' if pair.significant else shown} |")
    parts += ["", *conclusion(c, plural)]
    return "\n".join(parts)


def conclusion(comparison: Comparison, plural: str) -> list[str]:
    """What the tests show at this number of data sets, and what the design could not show (lines of Markdown)."""
    c = comparison
    if not c.pairs:
        return ["No pairs to compare: one model only."]
    if not c.testable:
        holm = f"; the {c.comparisons} pairs, after Holm's correction, ≥ {c.min_pair_datasets}"
        needed = f"One pair needs ≥ {c.min_wilcoxon_datasets} {plural}{holm if c.comparisons > 1 else ''}."
        return [(f"No p-value for the pairs: {c.pairs[0].test.reason}. {needed} "
                f"Wins, ties and losses only describe these {plural}.")]
    friedman = c.friedman
    limit = design_limit(c, plural) if len(c.datasets) < c.min_pair_datasets else ""
    if friedman.p is not None and friedman.p >= ALPHA:
        nor = f" Nor could the pairs have shown one: {limit}" if limit else ""
        return [("The Friedman test detects no difference, so no pair is claimed to differ, whatever its own "
                f"p-value; the critical-difference diagram (`cd.png`) joins every model.{nor}")]
    if limit:
        lead = ("The Friedman test finds that some models differ, but the pairwise test cannot say which"
                if friedman.p is not None else "The pairwise test cannot separate any two models here")
        return [f"**{lead}:** {limit} The p-values above still order the pairs; `cd.png` joins every model."]
    better = [f"{p.a} {'>' if p.median_difference > 0 else '<'} {p.b} ({p.test.describe(adjusted=c.comparisons > 1)})"
              for p in c.pairs if p.significant]
    found = (f"Significant at α = {ALPHA}: {'; '.join(better)}. Every other pair is a tie at this N." if better
             else f"No pair differs significantly at α = {ALPHA}: every pair is a tie at this N.")
    return [found, ("`cd.png` draws the average ranks; each bar joins the models (its dots) that no test separates "
                   "from one another, so a line crossing a bar without a dot is not joined to it.")]


def design_limit(comparison: Comparison, plural: str) -> str:
    """Why no pair can reach α at this N, and the N that could: the arithmetic of :func:`min_datasets`."""
    c = comparison
    n, m = len(c.datasets), c.comparisons
    return (
        f"with N = {n} {plural} the smallest two-sided Wilcoxon p is 2 / 2^{n} = {2 / 2**n:.2g}, and Holm's "
        f"correction over the {m} pairs multiplies the smallest by {m}, to {c.smallest_holm_p:.2g} ≥ α = {ALPHA}: "
        f"no pair can be significant, whatever the results. Showing a difference between two of these {len(c.models)} "
        f"models takes ≥ {c.min_pair_datasets} {plural} (or fewer models)."
    )
