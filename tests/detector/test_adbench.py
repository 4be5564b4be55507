"""Toll as an ADBench model class: ``TollADBench(seed, model_name).fit(X_train, y_train).predict_score(X)``."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from anomalib_toll import TollDetector
from anomalib_toll.detector.adbench import TollADBench

FAST = {"beta": 10.0, "epoch_num": 2, "batch_size": 64}


def split(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Normal rows on a 2-D plane in 8-D, anomalies spread off it; 30 of 330 training rows are anomalies."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(2, 8))
    X_train = np.vstack([rng.normal(size=(300, 2)) @ basis, rng.normal(scale=3.0, size=(30, 8))])
    y_train = np.r_[np.zeros(300), np.ones(30)].astype(int)
    X_test = np.vstack([rng.normal(size=(100, 2)) @ basis, rng.normal(scale=3.0, size=(20, 8))])
    y_test = np.r_[np.zeros(100), np.ones(20)].astype(int)
    return X_train, y_train, X_test, y_test


def test_fit_trains_on_rows_labelled_normal_only():
    X_train, y_train, X_test, _ = split()
    scores = TollADBench(seed=3, model_name="Toll", **FAST).fit(X_train, y_train).predict_score(X_test)
    expected = TollDetector(random_state=3, verbose=0, **FAST).fit(X_train[y_train == 0]).decision_function(X_test)
    np.testing.assert_array_equal(scores, expected)


def test_unlabelled_rows_are_all_trained_on_as_in_adbenchs_unsupervised_setting():
    X_train, _, X_test, _ = split()
    unlabelled = np.zeros(len(X_train), dtype=int)  # ADBench gives unlabelled anomalies y = 0
    with_zeros = TollADBench(seed=3, **FAST).fit(X_train, unlabelled).predict_score(X_test)
    without_labels = TollADBench(seed=3, **FAST).fit(X_train, None).predict_score(X_test)
    np.testing.assert_array_equal(with_zeros, without_labels)
    only_normal = TollADBench(seed=3, **FAST).fit(*split()[:2]).predict_score(X_test)
    assert not np.array_equal(with_zeros, only_normal)


def test_predict_score_ranks_anomalies_higher():
    X_train, y_train, X_test, y_test = split()
    scores = TollADBench(seed=0, epoch_num=10, batch_size=64).fit(X_train, y_train).predict_score(X_test)
    assert roc_auc_score(y_test, scores) > 0.9


def test_same_seed_same_scores_and_global_rng_untouched():
    X_train, y_train, X_test, _ = split()
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    a = TollADBench(seed=7, **FAST).fit(X_train, y_train).predict_score(X_test)
    assert torch.rand(1) == expected
    b = TollADBench(seed=7, **FAST).fit(X_train, y_train).predict_score(X_test)
    np.testing.assert_array_equal(a, b)
    c = TollADBench(seed=8, **FAST).fit(X_train, y_train).predict_score(X_test)
    assert not np.array_equal(a, c)


def test_model_name_selects_the_beta0_ablation_and_params_override_it():
    assert TollADBench(seed=0, model_name="Toll").detector.beta == TollDetector().beta
    assert TollADBench(seed=0, model_name="Toll_beta0").detector.beta == 0.0
    assert TollADBench(seed=0, model_name="Toll", beta=250.0).detector.beta == 250.0
    assert TollADBench(seed=5).detector.random_state == 5


def test_unknown_model_name_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"model_name='IForest'.*Toll_beta0"):
        TollADBench(seed=0, model_name="IForest")


def test_fit_rejects_labels_that_do_not_match_the_rows_or_leave_no_normal_row():
    X_train, y_train, _, _ = split()
    with pytest.raises(ValueError, match="y_train has 10 labels for 330 rows"):
        TollADBench(seed=0).fit(X_train, y_train[:10])
    with pytest.raises(ValueError, match="labels every row an anomaly"):
        TollADBench(seed=0).fit(X_train, np.ones(len(X_train)))
