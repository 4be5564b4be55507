"""TollDetector follows PyOD's and scikit-learn's contracts."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.base import clone

from anomalib_toll import TollDetector
from anomalib_toll.core import score_toll

FAST = {"beta": 10.0, "epoch_num": 3, "batch_size": 32, "verbose": 0}


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    """300 standard-normal rows of 10 features, and 15 far outliers."""
    rng = np.random.default_rng(0)
    normal = rng.normal(size=(300, 10))
    outliers = rng.normal(loc=6.0, size=(15, 10))
    return normal, outliers


@pytest.fixture(scope="module")
def fitted(data: tuple[np.ndarray, np.ndarray]) -> TollDetector:
    """A detector trained long enough for its scores to separate the outliers."""
    return TollDetector(epoch_num=30, batch_size=64, verbose=0).fit(data[0])


def test_fitted_attributes_follow_pyod(fitted: TollDetector, data: tuple[np.ndarray, np.ndarray]) -> None:
    """``decision_scores_`` are the training rows' scores; ``labels_`` apply ``threshold_`` to them, as in PyOD."""
    normal, _ = data
    np.testing.assert_allclose(fitted.decision_scores_, fitted.decision_function(normal), rtol=1e-6)
    assert set(np.unique(fitted.labels_)) <= {0, 1}
    np.testing.assert_array_equal(fitted.labels_, fitted.decision_scores_ > fitted.threshold_)


def test_threshold_is_taken_on_the_held_out_rows_scale(
    fitted: TollDetector, data: tuple[np.ndarray, np.ndarray],
) -> None:
    """``threshold_``: the (1 - contamination) quantile of the scores, the trained rows' on the held-out rows' scale."""
    normal, _ = data
    held = fitted.validation_indices_
    trained = np.setdiff1d(np.arange(len(normal)), held)
    assert len(held) == 60
    assert len(np.intersect1d(held, trained)) == 0
    assert fitted.trained_score_scale_ > 1.0  # the network scores the rows it has seen lower
    scale = np.percentile(fitted.decision_scores_[held], 75) / np.percentile(fitted.decision_scores_[trained], 75)
    assert fitted.trained_score_scale_ == pytest.approx(scale)
    unseen = fitted.decision_scores_.copy()
    unseen[trained] *= scale
    assert fitted.threshold_ == pytest.approx(np.percentile(unseen, 90))
    assert fitted.labels_[trained].mean() < 0.1  # true training scores: the rows trained on fall below it


def test_far_outliers_score_higher_than_normals(fitted: TollDetector, data: tuple[np.ndarray, np.ndarray]) -> None:
    """Outliers six standard deviations away are all flagged."""
    normal, outliers = data
    assert fitted.decision_function(outliers).min() > np.median(fitted.decision_function(normal))
    np.testing.assert_array_equal(fitted.predict(outliers), 1)


def test_predict_proba_rows_sum_to_one(fitted: TollDetector, data: tuple[np.ndarray, np.ndarray]) -> None:
    """PyOD's probability conversion works on Toll scores."""
    proba = fitted.predict_proba(data[1])
    assert proba.shape == (15, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (proba[:, 1] > 0.5).all()


def test_predict_with_confidence_follows_pyod(fitted: TollDetector, data: tuple[np.ndarray, np.ndarray]) -> None:
    """PyOD's confidence path runs (it reads ``contamination`` as a number)."""
    labels, confidence = fitted.predict(data[1], return_confidence=True)
    np.testing.assert_array_equal(labels, 1)
    assert ((confidence >= 0) & (confidence <= 1)).all()


def test_scores_are_the_core_toll_score(fitted: TollDetector, data: tuple[np.ndarray, np.ndarray]) -> None:
    """The detector scores with the core scorer on ``scaler_``-standardised rows."""
    x = torch.as_tensor(fitted.scaler_.transform(data[1]), dtype=torch.float32)
    expected = score_toll(fitted.model_, x, beta=fitted.beta_, norm=fitted.norm).numpy()
    np.testing.assert_allclose(fitted.decision_function(data[1]), expected, rtol=1e-6)


def test_legacy_mean_and_std_are_the_scaler_statistics(fitted: TollDetector) -> None:
    """``X_mean_``/``X_std_`` still read, now from the fitted ``StandardScaler``."""
    np.testing.assert_array_equal(fitted.X_mean_, fitted.scaler_.mean_)
    np.testing.assert_array_equal(fitted.X_std_, fitted.scaler_.scale_)
    assert not hasattr(TollDetector(), "X_mean_")


def test_default_network_is_sized_from_the_features(data: tuple[np.ndarray, np.ndarray]) -> None:
    """``hidden_dims=None``: (64, 32) for 10 features, the paper's network for 274."""
    det = TollDetector(**FAST).fit(data[0])
    assert det.hidden_dims_ == (64, 32)
    assert det.model_.encoder[0].out_features == 64
    wide = TollDetector(epoch_num=1, verbose=0).fit(np.random.default_rng(0).normal(size=(60, 274)))
    assert wide.hidden_dims_ == (256, 128)  # the paper's Arrhythmia network


def test_clone_keeps_params_unchanged() -> None:
    """``sklearn.base.clone`` gets every parameter back as given."""
    det = TollDetector(beta=3.0, norm="inf", hidden_dims=(8, 4), device=None, random_state=7)
    copy = clone(det)
    assert copy.get_params() == det.get_params()
    assert copy.device is None
    assert copy.hidden_dims == (8, 4)


def test_set_params_then_fit_uses_new_value(data: tuple[np.ndarray, np.ndarray]) -> None:
    """A parameter set after construction is the one fit uses."""
    det = TollDetector(**FAST).set_params(latent_dim=3)
    det.fit(data[0])
    assert det.model_.encoder[-1].out_features == 3


def test_fewer_rows_than_batch_size_trains(data: tuple[np.ndarray, np.ndarray]) -> None:
    """Five rows train with a batch size of 128."""
    det = TollDetector(beta=10.0, epoch_num=2, batch_size=128, verbose=0, validation_fraction=0.0).fit(data[0][:5])
    assert det.decision_scores_.shape == (5,)
    assert np.isfinite(det.decision_scores_).all()


def test_too_few_rows_to_hold_out_train_on_all_and_warn(data: tuple[np.ndarray, np.ndarray]) -> None:
    """12 rows hold out 2 at 0.2: all rows train, with a warning that says why."""
    with pytest.warns(UserWarning, match=r"holds out 2, fewer than 10: training on all rows"):
        det = TollDetector(**FAST).fit(data[0][:12])
    assert len(det.validation_indices_) == 0
    assert det.trained_score_scale_ == pytest.approx(1.0)


def test_batch_with_a_single_leftover_row_does_not_break_batchnorm(data: tuple[np.ndarray, np.ndarray]) -> None:
    """A 1-row tail joins the previous batch."""
    det = TollDetector(beta=10.0, epoch_num=1, batch_size=16, verbose=0, validation_fraction=0.0).fit(data[0][:33])
    assert det.fit_result_.steps == 2  # 16 + 17, not 16 + 16 + 1


def test_epochs_count_passes_over_the_trained_rows(data: tuple[np.ndarray, np.ndarray]) -> None:
    """An epoch is a pass over the rows trained on (held-out rows excluded)."""
    det = TollDetector(epoch_num=2, batch_size=100, verbose=0).fit(data[0])  # 240 trained rows: 100 + 140
    assert det.fit_result_.steps == 2 * 3


def test_n_iter_counts_random_batches(data: tuple[np.ndarray, np.ndarray]) -> None:
    """``n_iter`` trains exactly that many random batches."""
    det = TollDetector(n_iter=7, batch_size=16, verbose=0).fit(data[0])
    assert det.fit_result_.steps == 7
    assert len(det.fit_result_.losses) == 7


def test_same_seed_gives_identical_scores(data: tuple[np.ndarray, np.ndarray]) -> None:
    """Same ``random_state``, same scores; another seed, other scores."""
    a = TollDetector(**FAST, random_state=3).fit(data[0]).decision_function(data[1])
    b = TollDetector(**FAST, random_state=3).fit(data[0]).decision_function(data[1])
    c = TollDetector(**FAST, random_state=4).fit(data[0]).decision_function(data[1])
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_fit_leaves_global_rng_untouched(data: tuple[np.ndarray, np.ndarray]) -> None:
    """Neither torch's nor numpy's global random state moves."""
    torch.manual_seed(123)
    state = np.random.get_state()  # ruff: ignore[numpy-legacy-random] - the global state must stay untouched
    expected = torch.rand(1)
    torch.manual_seed(123)
    TollDetector(**FAST).fit(data[0][:60])
    assert torch.rand(1) == expected
    after = np.random.get_state()  # ruff: ignore[numpy-legacy-random]
    assert after[1].tolist() == state[1].tolist()
    assert after[2:] == state[2:]


def test_constant_feature_does_not_produce_nan() -> None:
    """A constant column standardises to zeros, not NaN."""
    x = np.random.default_rng(1).normal(size=(50, 4))
    x[:, 2] = 5.0
    assert np.isfinite(TollDetector(**FAST).fit(x).decision_scores_).all()


def test_batched_decision_function_matches_one_shot(fitted: TollDetector, data: tuple[np.ndarray, np.ndarray]) -> None:
    """Scoring in chunks equals scoring at once, to float32 precision."""
    # float32 sums in another order: equal to float32 precision, not bit for bit (1.35e-6 apart was seen)
    np.testing.assert_allclose(
        fitted.decision_function(data[0], batch_size=7), fitted.decision_function(data[0]), rtol=1e-4, atol=1e-5,
    )


@pytest.mark.parametrize(
    ("x", "match"),
    [
        (np.array([[1.0, np.nan], [0.0, 1.0]]), "NaN"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), "infinity"),
        (np.array([1.0, 2.0, 3.0]), r"X must be a 2-D array \(rows x features\), got shape \(3,\)"),
        (np.empty((0, 3)), "0 sample"),
        (np.array([["a", "b"], ["c", "d"]]), "could not convert|numeric|number"),
    ],
)
def test_fit_rejects_bad_input(x: np.ndarray, match: str) -> None:
    """NaN, inf, 1-D, empty and non-numeric input are ``ValueError``s that say so."""
    with pytest.raises(ValueError, match=match):
        TollDetector(**FAST).fit(x)


def test_fit_rejects_a_single_row() -> None:
    """Fit needs at least two rows."""
    with pytest.raises(ValueError, match="minimum of 2"):
        TollDetector(**FAST).fit(np.ones((1, 3)))


def test_decision_function_rejects_wrong_feature_count(fitted: TollDetector) -> None:
    """The message names both feature counts."""
    with pytest.raises(ValueError, match="X has 3 features, but TollDetector was fitted with 10"):
        fitted.decision_function(np.zeros((2, 3)))


def test_decision_function_rejects_nan(fitted: TollDetector) -> None:
    """NaN at scoring time is refused, not scored."""
    with pytest.raises(ValueError, match="NaN"):
        fitted.decision_function(np.full((2, 10), np.nan))


def test_unfitted_detector_says_to_fit_first() -> None:
    """Scoring before fit says to call fit."""
    with pytest.raises(ValueError, match="call fit"):
        TollDetector().decision_function(np.zeros((2, 2)))


def test_import_does_not_load_anomalib_or_lightning() -> None:
    """``import anomalib_toll`` and the detector load neither anomalib nor Lightning."""
    code = (
        "import sys, anomalib_toll; anomalib_toll.TollDetector; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'anomalib', 'lightning', 'pytorch_lightning'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
