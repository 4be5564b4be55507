"""``choose_beta``: β = 0 unless a larger β's gain on the synthetic validation beats its own uncertainty."""

from __future__ import annotations

import numpy as np
import pytest

from anomalib_toll.protocol.beta import MIN_EVIDENCE_PAIRS, choose_beta


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
