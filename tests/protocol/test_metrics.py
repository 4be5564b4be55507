"""The paper's metrics."""

import numpy as np
import pytest

from anomalib_toll.protocol import auroc, evaluate, f1_at_top


def test_f1_flags_the_top_fifteen_percent():
    scores = np.arange(100, dtype=float)  # top 15 = 85..99
    labels = np.zeros(100, dtype=int)
    labels[85:] = 1
    assert f1_at_top(scores, labels) == 1.0
    labels[:] = 0
    labels[80:90] = 1  # 5 of 10 anomalies flagged, 5 of 15 flags right: P = 1/3, R = 1/2
    assert f1_at_top(scores, labels) == pytest.approx(2 * (1 / 3) * 0.5 / (1 / 3 + 0.5))


def test_f1_ignores_score_scale_and_offset():
    rng = np.random.default_rng(0)
    scores, labels = rng.normal(size=90), (rng.random(90) < 0.15).astype(int)
    assert f1_at_top(scores, labels) == f1_at_top(3 * scores + 7, labels)


def test_auroc_of_perfect_and_reversed_scores():
    labels = np.array([0, 0, 1, 1])
    assert auroc(np.array([0.1, 0.2, 0.8, 0.9]), labels) == 1.0
    assert auroc(-np.array([0.1, 0.2, 0.8, 0.9]), labels) == 0.0


def test_unknown_metric_is_rejected():
    with pytest.raises(ValueError, match="metric"):
        evaluate("accuracy", np.zeros(2), np.array([0, 1]))
