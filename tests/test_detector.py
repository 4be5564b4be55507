"""TollDetector follows PyOD's and scikit-learn's contracts."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.base import clone

from anomalib_toll import TollDetector
from anomalib_toll.core import score_toll

FAST = dict(epoch_num=3, batch_size=32, verbose=0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    normal = rng.normal(size=(300, 10))
    outliers = rng.normal(loc=6.0, size=(15, 10))
    return normal, outliers


@pytest.fixture(scope="module")
def fitted(data):
    return TollDetector(epoch_num=30, batch_size=64, verbose=0).fit(data[0])


def test_fitted_attributes_follow_pyod(fitted, data):
    normal, _ = data
    assert fitted.decision_scores_.shape == (len(normal),)
    assert set(np.unique(fitted.labels_)) <= {0, 1}
    assert fitted.labels_.mean() == pytest.approx(0.1, abs=0.01)  # contamination
    assert np.all(fitted.decision_scores_[fitted.labels_ == 1] > fitted.threshold_)


def test_far_outliers_score_higher_than_normals(fitted, data):
    normal, outliers = data
    assert fitted.decision_function(outliers).min() > np.median(fitted.decision_function(normal))
    assert fitted.predict(outliers).mean() == 1.0


def test_predict_proba_rows_sum_to_one(fitted, data):
    proba = fitted.predict_proba(data[1])
    assert proba.shape == (15, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (proba[:, 1] > 0.5).all()


def test_scores_are_the_core_toll_score(fitted, data):
    x = torch.as_tensor((data[1] - fitted.X_mean_) / fitted.X_std_, dtype=torch.float32)
    expected = score_toll(fitted.model_, x, beta=fitted.beta, norm=fitted.norm).numpy()
    np.testing.assert_allclose(fitted.decision_function(data[1]), expected, rtol=1e-6)


def test_clone_keeps_params_unchanged():
    det = TollDetector(beta=3.0, norm="inf", hidden_dims=(8, 4), device=None, random_state=7)
    copy = clone(det)
    assert copy.get_params() == det.get_params()
    assert copy.device is None and copy.hidden_dims == (8, 4)


def test_set_params_then_fit_uses_new_value(data):
    det = TollDetector(**FAST).set_params(latent_dim=3)
    det.fit(data[0])
    assert det.model_.encoder[-1].out_features == 3


def test_fewer_rows_than_batch_size_trains(data):
    det = TollDetector(epoch_num=2, batch_size=128, verbose=0).fit(data[0][:5])
    assert det.decision_scores_.shape == (5,) and np.isfinite(det.decision_scores_).all()


def test_batch_with_a_single_leftover_row_does_not_break_batchnorm(data):
    det = TollDetector(epoch_num=1, batch_size=16, verbose=0).fit(data[0][:33])  # 16 + 17, not 16 + 16 + 1
    assert det.fit_result_.steps == 2


def test_n_iter_counts_random_batches(data):
    det = TollDetector(n_iter=7, batch_size=16, verbose=0).fit(data[0])
    assert det.fit_result_.steps == 7 and len(det.fit_result_.losses) == 7


def test_same_seed_gives_identical_scores(data):
    a = TollDetector(**FAST, random_state=3).fit(data[0]).decision_function(data[1])
    b = TollDetector(**FAST, random_state=3).fit(data[0]).decision_function(data[1])
    c = TollDetector(**FAST, random_state=4).fit(data[0]).decision_function(data[1])
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_fit_leaves_global_rng_untouched(data):
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    TollDetector(**FAST).fit(data[0][:40])
    assert torch.rand(1) == expected


def test_constant_feature_does_not_produce_nan():
    X = np.random.default_rng(1).normal(size=(50, 4))
    X[:, 2] = 5.0
    assert np.isfinite(TollDetector(**FAST).fit(X).decision_scores_).all()


def test_batched_decision_function_matches_one_shot(fitted, data):
    np.testing.assert_allclose(fitted.decision_function(data[0], batch_size=7), fitted.decision_function(data[0]), rtol=1e-6)


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.array([[1.0, np.nan], [0.0, 1.0]]), "NaN"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), "infinity"),
        (np.array([1.0, 2.0, 3.0]), "Expected 2D array"),
        (np.empty((0, 3)), "0 sample"),
        (np.array([["a", "b"], ["c", "d"]]), "could not convert|numeric|number"),
    ],
)
def test_fit_rejects_bad_input(X, match):
    with pytest.raises(ValueError, match=match):
        TollDetector(**FAST).fit(X)


def test_fit_rejects_a_single_row():
    with pytest.raises(ValueError, match="minimum of 2"):
        TollDetector(**FAST).fit(np.ones((1, 3)))


def test_decision_function_rejects_wrong_feature_count(fitted):
    with pytest.raises(ValueError, match="X has 3 features, but TollDetector was fitted with 10"):
        fitted.decision_function(np.zeros((2, 3)))


def test_decision_function_rejects_nan(fitted):
    with pytest.raises(ValueError, match="NaN"):
        fitted.decision_function(np.full((2, 10), np.nan))


def test_unfitted_detector_says_to_fit_first():
    with pytest.raises(ValueError, match="call fit"):
        TollDetector().decision_function(np.zeros((2, 2)))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"beta": -1.0}, "beta"),
        ({"norm": 3}, "norm"),
        ({"batch_size": 0}, "batch_size"),
        ({"epoch_num": 1.5}, "epoch_num"),
        ({"n_iter": 0}, "n_iter"),
        ({"lr": 0.0}, "lr"),
        ({"precision": "64"}, "precision"),
        ({"precision": "16-mixed", "device": "cpu"}, "CUDA"),
    ],
)
def test_bad_parameters_are_named_at_fit(params, match, data):
    with pytest.raises(ValueError, match=match):
        TollDetector(**{**FAST, **params}).fit(data[0][:20])


def test_contamination_out_of_range_is_rejected():
    with pytest.raises(ValueError, match="contamination"):
        TollDetector(contamination=0.9)


def test_pyod_training_hooks_train_and_score(data):
    det = TollDetector(**FAST).fit(data[0][:64])
    before = det.decision_function(data[0][:64]).mean()
    x = torch.as_tensor((data[0][:64] - det.X_mean_) / det.X_std_, dtype=torch.float32)
    for _ in range(20):
        det.training_forward(x)
    det.model_.eval()
    with torch.no_grad():
        hooked = det.evaluating_forward(x)
    np.testing.assert_allclose(hooked, det.decision_function(data[0][:64]), rtol=1e-5)
    assert hooked.mean() < before


def test_import_does_not_load_anomalib_or_lightning():
    code = "import sys, anomalib_toll; anomalib_toll.TollDetector; print(sorted(m for m in sys.modules if m.split('.')[0] in {'anomalib', 'lightning', 'pytorch_lightning'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
