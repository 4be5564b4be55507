"""TollDetector checks its arguments before any work and never passes a non-finite result as normal (issue 12)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.preprocessing import StandardScaler

from anomalib_toll import TollDetector

FAST = {"beta": 10.0, "epoch_num": 2, "batch_size": 32, "verbose": 0, "validation_fraction": 0.0}


@pytest.fixture(scope="module")
def normal() -> np.ndarray:
    """60 standard-normal rows of 5 features."""
    return np.random.default_rng(0).normal(size=(60, 5))


@pytest.fixture(scope="module")
def fitted(normal: np.ndarray) -> TollDetector:
    """A quickly trained detector on ``normal``."""
    return TollDetector(**FAST).fit(normal)


# --- hyperparameters: one ValueError naming the argument, the value and the range --------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"beta": float("nan")}, r"beta must be a finite number >= 0, got nan"),
        ({"beta": -1.0}, r"beta must be a finite number >= 0, got -1.0"),
        ({"beta": float("inf")}, r"beta must be a finite number >= 0, got inf"),
        ({"beta": 1e300}, r"beta must be a finite number in \[0, 3.40282e\+38\], got 1e\+300"),
        ({"beta": True}, r"beta must be a finite number >= 0, got True"),
        ({"beta": "1"}, r"beta must be a number in \[0, 3.4e\+38\] or 'auto', got '1'"),
        ({"lr": float("inf")}, r"lr must be a finite number > 0, got inf"),
        ({"lr": 0.0}, r"lr must be a finite number > 0, got 0.0"),
        ({"lr": -1e-3}, r"lr must be a finite number > 0"),
        ({"latent_dim": 0}, r"latent_dim must be an integer >= 1, got 0"),
        ({"latent_dim": 2.0}, r"latent_dim must be an integer >= 1, got 2.0"),
        ({"hidden_dims": [0]}, r"hidden_dims must hold integers >= 1 \(layer widths\), got \[0\]"),
        ({"hidden_dims": (8, -2)}, r"hidden_dims must hold integers >= 1"),
        ({"hidden_dims": (8, 4.5)}, r"hidden_dims must hold integers >= 1"),
        ({"hidden_dims": 8}, r"hidden_dims must be None or a sequence of integers >= 1 such as \(64, 32\), got 8"),
        ({"hidden_dims": "64"}, r"hidden_dims must be None or a sequence"),
        ({"epoch_num": 0}, r"epoch_num must be an integer >= 1, got 0"),
        ({"epoch_num": 1.5}, r"epoch_num must be an integer >= 1, got 1.5"),
        ({"batch_size": 0}, r"batch_size must be an integer >= 2, got 0"),
        ({"batch_size": 1}, r"batch_size must be an integer >= 2, got 1"),
        ({"batch_size": -1}, r"batch_size must be an integer >= 2, got -1"),
        ({"batch_size": True}, r"batch_size must be an integer >= 2, got True"),
        ({"n_iter": 0}, r"n_iter must be an integer >= 1, got 0"),
        ({"validation_fraction": 0.7}, r"validation_fraction must be a finite number in \[0, 0.5\], got 0.7"),
        ({"validation_fraction": -0.1}, r"validation_fraction must be a finite number >= 0"),
        ({"norm": 3}, r"norm must be 1, 2 or 'inf'"),
        ({"norm": [2]}, r"norm must be 1, 2 or 'inf'"),
        ({"preprocessing": "yes"}, r"preprocessing must be True or False, got 'yes'"),
        ({"random_state": -1}, r"random_state must be None, an integer in \[0, 4294967295\]"),
        ({"random_state": "seed"}, r"random_state must be None, an integer"),
        ({"random_state": 1.5}, r"random_state must be None, an integer"),
        ({"precision": "64"}, r"precision must be one of"),
        ({"precision": "16-mixed", "device": "cpu"}, r"CUDA"),
        ({"device": "not-a-device"}, r"device='not-a-device' is not a torch device .*; use device='cpu'"),
    ],
)
def test_bad_hyperparameter_is_named_at_fit(params: dict, message: str, normal: np.ndarray) -> None:
    """Each bad value gets one ``ValueError`` naming the argument, the value and the range."""
    with pytest.raises(ValueError, match=message):
        TollDetector(**{**FAST, **params}).fit(normal)


def test_hyperparameters_are_checked_before_the_data() -> None:
    """A bad hyperparameter is reported before the data are looked at."""
    with pytest.raises(ValueError, match="beta"):
        TollDetector(beta=-1.0).fit(np.full((3, 2), np.nan))


@pytest.mark.parametrize("contamination", [0.0, 0.9, -0.1, float("nan")])
def test_contamination_outside_range_is_rejected_at_fit_after_set_params(contamination: float) -> None:
    """``set_params`` bypasses PyOD's constructor check; fit catches it."""
    det = TollDetector(**FAST).set_params(contamination=contamination)
    with pytest.raises(ValueError, match=r"contamination must be a finite number"):
        det.fit(np.zeros((20, 2)))


def test_contamination_out_of_range_is_rejected_at_construction_as_pyod_does() -> None:
    """PyOD's own constructor check still runs."""
    with pytest.raises(ValueError, match="contamination"):
        TollDetector(contamination=0.9)


def test_clone_keeps_invalid_values_as_given() -> None:
    """Nothing is validated or converted in ``__init__``: ``clone`` depends on it."""
    det = TollDetector(beta=-1.0, hidden_dims=[0], random_state=np.random.RandomState(0))
    copy = clone(det)
    assert copy.beta == pytest.approx(-1.0)
    assert copy.hidden_dims == [0]
    assert isinstance(copy.random_state, np.random.RandomState)


# --- numpy scalars are numbers --------------------------------------------------------------------------------------


def test_numpy_scalars_are_accepted_as_numbers(normal: np.ndarray) -> None:
    """Numpy scalars (and a numpy array of widths) are numbers, everywhere."""
    det = TollDetector(
        beta=np.float32(1.0), lr=np.float64(1e-3), latent_dim=np.int64(3), hidden_dims=np.array([8, 4]),
        epoch_num=np.int32(2), batch_size=np.int64(16), contamination=np.float32(0.1), norm=np.int64(1),
        validation_fraction=np.float64(0.0), random_state=np.int64(3), verbose=0,
    ).fit(normal)
    assert det.beta_ == pytest.approx(1.0)
    assert det.norm_ == pytest.approx(1.0)
    assert det.model_.encoder[-1].out_features == 3
    assert det.hidden_dims_ == (8, 4)
    assert np.isfinite(det.decision_scores_).all()


def test_float32_beta_gives_the_same_scores_as_a_python_float(normal: np.ndarray) -> None:
    """``np.float32(2.0)`` as β is 2.0 (it was once refused as invalid)."""
    a = TollDetector(**{**FAST, "beta": np.float32(2.0)}).fit(normal).decision_function(normal)
    b = TollDetector(**{**FAST, "beta": 2.0}).fit(normal).decision_function(normal)
    np.testing.assert_array_equal(a, b)


# --- random_state -----------------------------------------------------------------------------------------------------


def test_random_state_instance_is_accepted_and_deterministic(normal: np.ndarray) -> None:
    """A ``RandomState`` gives a seed, as in scikit-learn (it was once a ``TypeError``)."""
    a = TollDetector(**FAST, random_state=np.random.RandomState(5)).fit(normal).decision_function(normal)
    b = TollDetector(**FAST, random_state=np.random.RandomState(5)).fit(normal).decision_function(normal)
    c = TollDetector(**FAST, random_state=np.random.RandomState(6)).fit(normal).decision_function(normal)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_random_state_none_draws_a_fresh_seed_without_touching_global_state(normal: np.ndarray) -> None:
    """``None``: a fresh seed per fit, from the OS, not from the global state."""
    torch.manual_seed(1)
    state = np.random.get_state()  # ruff: ignore[numpy-legacy-random] - the global state must stay untouched
    expected = torch.rand(1)
    torch.manual_seed(1)
    a = TollDetector(**FAST, random_state=None).fit(normal).decision_function(normal)
    b = TollDetector(**FAST, random_state=None).fit(normal).decision_function(normal)
    assert torch.rand(1) == expected
    after = np.random.get_state()  # ruff: ignore[numpy-legacy-random]
    assert after[1].tolist() == state[1].tolist()
    assert not np.allclose(a, b)


# --- inputs ----------------------------------------------------------------------------------------------------------


def test_test_value_beyond_float32_is_rejected_not_scored_as_inlier(fitted: TollDetector) -> None:
    """1e39 is finite in float64 but not in float32: an error, never an inlier."""
    x = np.zeros((3, 5))
    x[1, 2] = 1e39  # finite in float64, inf in float32: once a NaN score and predict() = 0
    with pytest.raises(ValueError, match=r"X holds 1 values beyond float32's range .* 1e\+39 at row 1, column 2"):
        fitted.decision_function(x)
    with pytest.raises(ValueError, match="float32"):
        fitted.predict(x)


def test_training_value_beyond_float32_is_rejected(normal: np.ndarray) -> None:
    """The float32 range check applies to the training rows too."""
    x = normal.copy()
    x[0, 0] = -1e39
    with pytest.raises(ValueError, match=r"beyond float32's range"):
        TollDetector(**FAST).fit(x)


def test_values_at_float32_range_train_and_score_finitely() -> None:
    """Values near float32's limit standardise to ordinary numbers."""
    x = np.random.default_rng(0).normal(size=(40, 3)) * 1e38  # standardised first: finite
    det = TollDetector(**FAST).fit(x)
    assert np.isfinite(det.decision_scores_).all()
    assert np.isfinite(det.decision_function(x[:5])).all()


def test_rows_far_outside_training_data_give_an_error_not_a_nan() -> None:
    """Standardised beyond float32: the message says so instead of returning NaN."""
    x = np.random.default_rng(0).normal(size=(40, 3)) * 1e-30  # tiny scale: 3e38 standardises beyond float32
    det = TollDetector(**FAST).fit(x)
    far = np.full((2, 3), 3e38)
    with pytest.raises(ValueError, match=r"non-finite score to 2 of 2 rows of X .*exceed float32's range"):
        det.decision_function(far)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_decision_function_rejects_a_bad_batch_size(fitted: TollDetector, batch_size: object) -> None:
    """A batch size below 1 or not an integer is refused."""
    # -1 once returned uninitialised memory (values like 7.9e7 where scores are ~5)
    with pytest.raises(ValueError, match=rf"batch_size must be an integer >= 1, got {batch_size!r}"):
        fitted.decision_function(np.zeros((4, 5)), batch_size=batch_size)


def test_sparse_input_is_a_value_error(normal: np.ndarray) -> None:
    """scikit-learn's ``TypeError`` for sparse input becomes a ``ValueError`` naming X."""
    from scipy import sparse

    with pytest.raises(ValueError, match=r"X must be a 2-D array of finite numbers .*dense data is required"):
        TollDetector(**FAST).fit(sparse.csr_matrix(normal))


@pytest.mark.parametrize(
    ("take", "shape", "fix"),
    [(lambda X: X[:, 0], "(60,)", "X.reshape(-1, 1)"), (lambda X: X[None], "(1, 60, 5)", "X.reshape(len(X), -1)"),
     (lambda X: X[:, 0].tolist(), "(60,)", "X.reshape(-1, 1)")],
)
def test_data_of_the_wrong_shape_is_named_by_its_shape_not_its_values(take, shape, fix, normal: np.ndarray) -> None:
    with pytest.raises(ValueError, match=r"X must be a 2-D array \(rows x features\)") as err:
        TollDetector(**FAST).fit(take(normal))
    message = str(err.value)
    assert f"got shape {shape}" in message
    assert fix in message
    assert f"{normal[0, 0]:.4f}"[:6] not in message  # scikit-learn's message would list every value
    assert "\n" not in message


@pytest.mark.skipif(torch.cuda.device_count() > 7, reason="needs a machine without an 8th CUDA device")
def test_a_device_this_machine_lacks_is_named_before_any_work(normal: np.ndarray) -> None:
    lacking = "torch sees no CUDA device here" if not torch.cuda.is_available() else "this machine has"
    with pytest.raises(ValueError, match=rf"^device='cuda:7': {lacking}.*; use device='cpu'"):
        TollDetector(device="cuda:7", **FAST).fit(normal)


# --- training that diverges -------------------------------------------------------------------------------------------


def test_diverging_training_names_the_step_and_suggests_a_lower_lr(normal: np.ndarray) -> None:
    """A NaN/inf loss stops fit with the step and a lower lr to try."""
    with pytest.raises(ValueError, match=r"training diverged at step \d+ .*lower the learning rate \(lr=1e\+30\)"):
        TollDetector(**FAST, lr=1e30).fit(normal * 1e10)


def test_unstandardised_huge_input_diverges_with_a_message_not_nan_scores() -> None:
    """Huge unstandardised input: an error that points at lr and the input scale."""
    x = np.random.default_rng(0).normal(size=(40, 3)) * 1e37
    with pytest.raises(ValueError, match=r"lr"):
        TollDetector(**FAST, preprocessing=False).fit(x)


# --- StandardScaler -------------------------------------------------------------------------------------------------


def test_standardisation_is_a_fitted_standard_scaler(normal: np.ndarray) -> None:
    """The standardisation is scikit-learn's ``StandardScaler``."""
    det = TollDetector(**FAST).fit(normal * 3 + 7)
    assert isinstance(det.scaler_, StandardScaler)
    np.testing.assert_allclose(det.scaler_.mean_, (normal * 3 + 7).mean(axis=0))
    np.testing.assert_allclose(det.scaler_.scale_, (normal * 3 + 7).std(axis=0))


def test_scaler_is_fitted_on_the_training_rows_only(normal: np.ndarray) -> None:
    """Held-out rows stay unseen by the scaler too."""
    det = TollDetector(epoch_num=1, verbose=0, validation_fraction=0.2).fit(normal)
    trained = np.setdiff1d(np.arange(len(normal)), det.validation_indices_)
    np.testing.assert_allclose(det.scaler_.mean_, normal[trained].mean(axis=0))


def test_no_preprocessing_means_no_scaler(normal: np.ndarray) -> None:
    """``preprocessing=False``: no scaler, raw rows."""
    det = TollDetector(**FAST, preprocessing=False).fit(normal)
    assert det.scaler_ is None
    np.testing.assert_array_equal(det.X_mean_, np.zeros(5))


def test_scaler_handles_a_constant_feature() -> None:
    """A constant column gets scale 1, not a division by zero."""
    x = np.random.default_rng(1).normal(size=(50, 4))
    x[:, 2] = 5.0
    det = TollDetector(**FAST).fit(x)
    assert det.scaler_.scale_[2] == pytest.approx(1.0)
    assert np.isfinite(det.decision_function(x)).all()
