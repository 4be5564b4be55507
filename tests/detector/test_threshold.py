"""``predict()`` holds on unseen rows: about ``contamination`` of unseen normals flagged (issue 12, case 6).

``bench/threshold.py`` measures the same on more data sets and seeds, beside PyOD's AutoEncoder and IForest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pyod.utils.data import generate_data
from sklearn.metrics import roc_auc_score

from anomalib_toll import TollDetector

if TYPE_CHECKING:
    import numpy as np

FAST = {"beta": 10.0, "epoch_num": 20, "verbose": 0}


@pytest.fixture(scope="module")
def tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """PyOD's synthetic table: 450 normal + 50 anomalous training rows, 450 + 50 test rows."""
    return generate_data(n_train=500, n_test=500, n_features=10, contamination=0.1, random_state=0)


def test_unseen_normals_flagged_near_contamination_when_trained_on_normals(tables: tuple) -> None:
    """Fitted on the normal rows, the default flags at most 2 x contamination of the test normals (was 82 %)."""
    x_train, x_test, y_train, y_test = tables
    det = TollDetector(**FAST).fit(x_train[y_train == 0])
    flagged = det.predict(x_test)
    assert flagged[y_test == 0].mean() <= 0.2
    assert flagged[y_test == 1].mean() >= 0.7
    assert roc_auc_score(y_test, det.decision_function(x_test)) >= 0.95


def test_threshold_from_memorised_training_scores_is_what_failed(tables: tuple) -> None:
    """The old default (a (256, 128) network, threshold from its own training scores) flags most unseen normals."""
    x_train, x_test, y_train, y_test = tables
    det = TollDetector(**FAST, hidden_dims=(256, 128), validation_fraction=0.0).fit(x_train[y_train == 0])
    assert det.predict(x_test)[y_test == 0].mean() > 0.4


def test_labels_still_find_the_outliers_of_contaminated_training_data(tables: tuple) -> None:
    """Fitted on all rows (10 % outliers), ``labels_`` flags them, as PyOD's contract says, and so does predict."""
    x_train, x_test, y_train, y_test = tables
    det = TollDetector(**FAST).fit(x_train)
    assert det.labels_.mean() == pytest.approx(0.1, abs=0.02)
    assert det.labels_[y_train == 1].mean() >= 0.9
    flagged = det.predict(x_test)
    assert flagged[y_test == 0].mean() <= 0.2
    assert flagged[y_test == 1].mean() >= 0.9
