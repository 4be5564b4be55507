"""``choose_beta``: β = 0 unless a larger β's gain on the synthetic validation beats its own uncertainty."""

from __future__ import annotations

import numpy as np
import pytest

from anomalib_toll.protocol.beta import (
    MIN_EVIDENCE_PAIRS,
    RUNGS,
    behind_reference,
    choose_beta,
    rung_steps,
    synthetic_auroc,
    synthetic_aurocs,
)


def scores(rng: np.random.Generator, n: int, shift: float) -> np.ndarray:
    """``n`` normal rows' scores, then their ``n`` anomalies' scores, ``shift`` higher on average."""
    return np.concatenate([rng.normal(size=n), rng.normal(size=n) + shift])


def test_a_clear_gain_on_enough_rows_is_chosen():
    rng = np.random.default_rng(0)
    choice = choose_beta({0.0: scores(rng, 100, 0.3), 10.0: scores(rng, 100, 1.5), 1000.0: scores(rng, 100, 1.0)})
    assert choice.beta == 10.0
    assert choice.gains[10.0] > 0
    assert "gain over beta=0" in choice.reason


def test_without_a_real_difference_beta_zero_stays_in_nineteen_of_twenty_draws():
    """Every β scores from the same distribution: the best one wins by chance, and the rule must not follow it."""
    rng = np.random.default_rng(1)
    trials = 40
    switched = sum(
        choose_beta({b: scores(rng, 100, 0.8) for b in (0.0, 1.0, 10.0, 100.0, 1000.0)}).beta != 0.0
        for _ in range(trials)
    )
    assert switched <= 0.1 * trials  # nominal 5 %, with room for the draws


def test_too_few_held_out_rows_keep_beta_zero_whatever_they_show():
    rng = np.random.default_rng(2)
    n = MIN_EVIDENCE_PAIRS - 1
    choice = choose_beta({0.0: scores(rng, n, 0.0), 10.0: scores(rng, n, 5.0)})
    assert choice.values[10.0] > 0.99
    assert choice.beta == 0.0
    assert f"{n} held-out rows" in choice.reason


def test_a_grid_without_zero_measures_gains_from_its_smallest_beta():
    rng = np.random.default_rng(3)
    choice = choose_beta({10.0: scores(rng, 80, 0.5), 100.0: scores(rng, 80, 0.5)})
    assert choice.reference == 10.0
    assert choice.beta == 10.0


def test_a_diverged_beta_is_left_out_and_all_diverged_is_an_error():
    rng = np.random.default_rng(4)
    broken = scores(rng, 80, 3.0)
    broken[0] = np.nan
    choice = choose_beta({0.0: scores(rng, 80, 0.5), 10.0: broken, 100.0: None})
    assert choice.beta == 0.0
    assert np.isnan(choice.values[10.0])
    assert np.isnan(choice.values[100.0])
    with pytest.raises(ValueError, match="no β of beta_grid"):
        choose_beta({0.0: None, 10.0: broken})


def test_the_choice_is_a_fixed_function_of_the_scores():
    rng = np.random.default_rng(5)
    given = {0.0: scores(rng, 60, 0.5), 10.0: scores(rng, 60, 0.9)}
    first, again = choose_beta(given), choose_beta(dict(given))
    assert (first.beta, first.values, first.gains[10.0]) == (again.beta, again.values, again.gains[10.0])


def test_a_stopped_beta_is_never_chosen_but_still_shares_the_confidence():
    """A β that stopped behind at a rung cannot come back; it was looked at, so the bound stays as strict."""
    rng = np.random.default_rng(0)
    grid = {0.0: scores(rng, 100, 0.3), 10.0: scores(rng, 100, 1.5), 1000.0: scores(rng, 100, 1.0)}
    choice = choose_beta(grid, stopped={10.0: 40})
    assert choice.beta == 1000.0
    assert np.isnan(choice.gains[10.0])
    assert choice.stopped == {10.0: 40}
    unstopped = choose_beta({0.0: grid[0.0], 1000.0: grid[1000.0]})  # one candidate only: a looser bound
    assert choice.gains[1000.0] < unstopped.gains[1000.0]
    assert choose_beta(grid, stopped={10.0: 40, 1000.0: 40}).beta == 0.0


def test_behind_reference_stops_the_betas_not_ahead_and_leaves_the_rest():
    nan = np.nan
    betas = [10.0, 0.0, 1.0, 100.0, 1000.0, 3.0]
    assert behind_reference(betas, [0.9, 0.8, 0.7, nan, nan, 0.8]) == [2, 5]  # ties stop: the gain must be > 0
    assert behind_reference([0.0, 1.0], [nan, 0.5]) == []  # nothing to compare with
    assert behind_reference([1.0, 10.0], [0.8, 0.7]) == [1]  # no 0 in the grid: its smallest β is the reference


def test_rungs_fall_on_validation_steps_before_the_last_step():
    assert tuple(sorted(RUNGS)) == RUNGS
    for steps, every in [(300, 20), (2000, 20), (750, 1), (50, 7), (3, 1), (1, 1)]:
        rungs = rung_steps(steps, every)
        assert all(r % every == 0 and 0 < r < steps for r in rungs)
        assert len(rungs) <= len(RUNGS)
    assert rung_steps(2000, 20) == (260, 500, 1000)


def test_the_rules_auroc_from_ranks_is_scikit_learns():
    """The rule ranks the pairs itself (fast on small tables); ties counted half, as scikit-learn counts them."""
    rng = np.random.default_rng(0)
    for n, rounded in [(30, False), (200, True), (7, True)]:
        values = scores(rng, n, 0.7)
        values = np.round(values, 1) if rounded else values  # ties
        fast = synthetic_aurocs(np.stack([values, np.r_[values[:-1], np.inf]]))
        assert fast[0] == pytest.approx(synthetic_auroc(values, np.repeat([0, 1], n)), abs=1e-12)
        assert np.isnan(fast[1])
