"""Property-based checks of TollDetector's input and hyperparameter handling (issue 12, "What to build" 6).

Whatever the array (shape, dtype, extreme values) or the hyperparameters, ``fit`` and ``decision_function`` end in
finite scores or in a ``ValueError`` whose message names the problem: never another exception type (a crash inside
torch or numpy) and never a NaN score returned.
"""

from __future__ import annotations

import re
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from anomalib_toll import TollDetector

if TYPE_CHECKING:
    from collections.abc import Callable

# What a message about the data names.
NAMES = re.compile(r"\bX\b")
QUICK = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TINY = {"beta": 10.0, "epoch_num": 1, "batch_size": 8, "hidden_dims": (4,), "latent_dim": 2, "verbose": 0}

DTYPES = st.one_of(
    hnp.floating_dtypes(sizes=(16, 32, 64)),
    hnp.integer_dtypes(),
    hnp.unsigned_integer_dtypes(),
    hnp.boolean_dtypes(),
    hnp.complex_number_dtypes(sizes=(64,)),
)
EXTREMES = [0.0, -0.0, 1e-300, 1e38, -3.4e38, 3.5e38, 1e39, -1e300, np.nan, np.inf, -np.inf]


@st.composite
def tables(draw: st.DrawFn, min_rows: int = 0) -> np.ndarray:
    """Arrays of 0-3 dimensions and any dtype, with extreme values sprinkled into float64 ones."""
    dtype = draw(DTYPES)
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=min_rows, max_side=12))
    array = draw(hnp.arrays(dtype, shape))
    if array.dtype == np.float64 and array.size and draw(st.booleans()):
        flat = array.reshape(-1)
        flat[draw(st.integers(0, flat.size - 1))] = draw(st.sampled_from(EXTREMES))
    return array


def numpy_scalars(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The valid values, sometimes as numpy scalars (which are numbers too)."""
    return st.one_of(valid, valid.map(lambda v: np.float32(v) if isinstance(v, float) else np.int64(v)))


# Valid values, extremes included: huge learning rates and β diverge, and must say so.
VALID = st.fixed_dictionaries({
    "beta": numpy_scalars(st.sampled_from([0.0, 1.0, 10.0, 1e4, 1e30])),
    "norm": st.sampled_from([1, 2, "inf", "l1", np.int64(2), np.float64(np.inf)]),
    "latent_dim": numpy_scalars(st.integers(1, 6)),
    "hidden_dims": st.one_of(st.none(), st.lists(st.integers(1, 8), max_size=2), st.just(np.array([4, 2]))),
    "contamination": numpy_scalars(st.floats(0.01, 0.5)),
    "validation_fraction": numpy_scalars(st.sampled_from([0.0, 0.1, 0.5])),
    "preprocessing": st.sampled_from([True, False, np.True_]),
    "lr": numpy_scalars(st.sampled_from([1e-5, 1e-3, 1.0, 1e3, 1e10, 1e30])),
    "epoch_num": numpy_scalars(st.integers(1, 2)),
    "n_iter": st.one_of(st.none(), numpy_scalars(st.integers(1, 3))),
    "batch_size": numpy_scalars(st.integers(2, 40)),
    "random_state": st.one_of(
        st.none(), st.integers(0, 2**32 - 1), st.builds(np.random.RandomState, st.integers(0, 10)),
    ),
})
# Values each argument must refuse, naming itself.
INVALID: dict[str, list[Any]] = {
    "beta": [np.nan, -1.0, np.inf, 1e300, True, "1", None, [1.0]],
    "norm": [3, 0, "x", None, True, [2]],
    "latent_dim": [0, -1, 2.0, True, "2", None],
    "hidden_dims": [[0], [8, -1], [2.5], 8, "8", [True]],
    "contamination": [0.0, 0.6, -0.1, np.nan, "0.1", None],
    "validation_fraction": [-0.1, 0.6, np.nan, True, "0.2"],
    "preprocessing": [1, "yes", None],
    "lr": [0.0, -1e-3, np.inf, np.nan, True, "1e-3", None],
    "epoch_num": [0, -1, 1.5, True, None],
    "n_iter": [0, -3, 2.5, True],
    "batch_size": [0, 1, -1, 8.0, True, None],
    "random_state": [-1, 2**32, 1.5, "seed", True],
}


@st.composite
def hyperparameters(draw: st.DrawFn) -> tuple[dict[str, Any], str | None]:
    """Valid hyperparameters, and half of the time one of them replaced by a value it must refuse (its name)."""
    params = draw(VALID)
    if not draw(st.booleans()):
        return params, None
    name = draw(st.sampled_from(sorted(INVALID)))
    params[name] = draw(st.sampled_from(INVALID[name]))
    return params, name


def attempt(call: Callable[[], Any]) -> tuple[Any, ValueError | None]:
    """``(result, None)``, or ``(None, error)`` for a ``ValueError``; any other exception fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a data set too small to hold rows out warns; not the point here
        try:
            return call(), None
        except ValueError as err:
            return None, err


@QUICK
@given(x=tables())
def test_fit_on_any_array_gives_finite_scores_or_a_named_value_error(x: np.ndarray) -> None:
    """Random shapes and dtypes, NaN, inf and values beyond float32: finite scores or a ValueError naming X."""
    det, error = attempt(lambda: TollDetector(**TINY).fit(x))
    if error is not None:
        assert NAMES.search(str(error)), f"the message does not name X: {error}"
        return
    assert np.isfinite(det.decision_scores_).all()
    assert np.isfinite(det.threshold_)
    assert np.isfinite(det.decision_function(x)).all()


@QUICK
@given(x=tables(min_rows=1))
def test_decision_function_on_any_array_gives_finite_scores_or_a_named_value_error(
    fitted_on_three_features: TollDetector, x: np.ndarray,
) -> None:
    """Scoring never returns NaN: a finite score per row, or a ValueError naming X."""
    scores, error = attempt(lambda: fitted_on_three_features.decision_function(x))
    if error is not None:
        assert NAMES.search(str(error)), f"the message does not name X: {error}"
        return
    assert scores.shape == (len(x),)
    assert np.isfinite(scores).all()
    assert set(np.unique(fitted_on_three_features.predict(x))) <= {0, 1}


@QUICK
@given(case=hyperparameters(), batch_size=st.one_of(st.none(), st.integers(-2, 5)))
def test_any_hyperparameters_give_finite_scores_or_a_value_error_naming_them(
    case: tuple[dict[str, Any], str | None], batch_size: int | None,
) -> None:
    """A refused value is named; valid extremes (lr=1e30, beta=1e30) end in finite scores or a named error."""
    params, bad = case
    x = np.random.default_rng(0).normal(size=(24, 3))
    # PyOD's constructor already checks a float or int contamination, the rest is checked by fit
    det, error = attempt(lambda: TollDetector(**params, verbose=0).fit(x))
    if bad is not None:
        assert error is not None, f"{bad}={params[bad]!r} was accepted"
        assert bad in str(error), f"{bad}={params[bad]!r} refused without naming it: {error}"
        return
    if error is not None:  # only training that diverges may stop valid settings, and it names lr
        assert "lr" in str(error), str(error)
        return
    assert np.isfinite(det.decision_scores_).all()
    scores, error = attempt(lambda: det.decision_function(x, batch_size=batch_size))
    if batch_size is not None and batch_size < 1:
        assert error is not None
        assert "batch_size" in str(error)
    else:
        assert np.isfinite(scores).all()


@pytest.fixture(scope="module")
def fitted_on_three_features() -> TollDetector:
    """A tiny detector fitted once on 40 rows of 3 features."""
    return TollDetector(**TINY, validation_fraction=0.0).fit(np.random.default_rng(1).normal(size=(40, 3)))
