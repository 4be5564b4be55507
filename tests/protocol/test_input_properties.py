"""Property-based checks of the grid's inputs: every value ends in a valid object or a ValueError naming it."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anomalib_toll.protocol import Budget, TollSettings

numbers = st.one_of(
    st.integers(-3, 5), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.text(max_size=3), st.integers(-3, 5).map(np.int64), st.floats(-10, 1e300).map(np.float64),
)


@settings(max_examples=200, deadline=None)
@given(iterations=numbers, batch_size=numbers, eval_every=numbers)
def test_budget_is_valid_or_names_the_bad_argument(iterations, batch_size, eval_every):
    try:
        budget = Budget(iterations=iterations, batch_size=batch_size, eval_every=eval_every)
    except ValueError as err:
        # either outcome is valid, which pytest.raises cannot express (PT017): the error names the argument
        assert str(err).split(" must be ")[0] in {"iterations", "batch_size", "eval_every"}  # noqa: PT017
        return
    assert isinstance(budget.iterations, int)
    assert budget.iterations >= 1
    assert budget.batch_size is None or (isinstance(budget.batch_size, int) and budget.batch_size >= 1)
    assert isinstance(budget.eval_every, int)
    assert budget.eval_every >= 1


@settings(max_examples=200, deadline=None)
@given(beta=numbers, latent_dim=numbers, lr=numbers)
def test_toll_settings_are_valid_or_name_the_bad_argument(beta, latent_dim, lr):
    try:
        toll = TollSettings(beta=beta, latent_dim=latent_dim, lr=lr).resolve("digits")
    except ValueError as err:
        # either outcome is valid, which pytest.raises cannot express (PT017): the error names the argument
        assert str(err).split(" must be ")[0] in {"beta", "latent_dim", "lr"}  # noqa: PT017
        return
    assert math.isfinite(toll.beta)
    assert toll.beta >= 0
    assert isinstance(toll.latent_dim, int)
    assert toll.latent_dim >= 1
    assert math.isfinite(toll.lr)
    assert toll.lr > 0


@pytest.mark.parametrize("value", [np.float32(2.5), np.int64(3)])
def test_numpy_scalars_are_numbers(value):
    assert TollSettings(beta=value).beta == float(value)
