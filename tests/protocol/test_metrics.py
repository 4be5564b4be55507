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


def test_aupr_is_average_precision_of_the_anomalies():
    from anomalib_toll.protocol.metrics import aupr

    labels = np.array([0, 1, 0, 1])
    # ranked 0.9 (anomaly), 0.8 (normal), 0.3 (anomaly): precision 1 at recall 1/2, 2/3 at recall 1
    assert aupr(np.array([0.1, 0.9, 0.8, 0.3]), labels) == pytest.approx((1 + 2 / 3) / 2)


def test_f1_at_rate_flags_as_many_scores_as_there_are_anomalies():
    from anomalib_toll.protocol.metrics import f1_at_rate

    scores, labels = np.arange(10, dtype=float), np.zeros(10, dtype=int)
    labels[[9, 8, 2]] = 1  # the top 3 flagged: 9, 8 right, 7 wrong → P = R = 2/3
    assert f1_at_rate(scores, labels) == pytest.approx(2 / 3)


def masks_and_maps(scale: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    masks = np.zeros((6, 16, 16), np.uint8)
    masks[1, 2:7, 3:9] = 1
    masks[4, 9:14, 1:5] = 1
    return masks, scale * (rng.normal(size=masks.shape) + masks)


def test_pixel_auroc_is_exact_on_raw_maps_of_any_scale():
    from sklearn.metrics import roc_auc_score

    from anomalib_toll.protocol.metrics import pixel_metrics

    masks, maps = masks_and_maps(scale=5000.0)  # a sigmoid would squash these to 1.0: AUROC 0.5
    expected = roc_auc_score(masks.ravel(), maps.ravel())
    assert pixel_metrics(maps, masks)["pixel_auroc"] == pytest.approx(expected, abs=1e-6)


def test_aupro_is_one_for_maps_that_mark_every_region_first_and_lower_otherwise():
    from anomalib_toll.protocol.metrics import pixel_metrics

    masks, noisy = masks_and_maps(scale=1.0)
    assert pixel_metrics(masks.astype(float) + 0.01 * np.arange(16), masks)["aupro"] == pytest.approx(1.0)
    assert 0.0 < pixel_metrics(noisy, masks)["aupro"] < 1.0


def test_pixel_metrics_need_anomalous_pixels_and_matching_shapes():
    from anomalib_toll.protocol.metrics import pixel_metrics

    masks, maps = masks_and_maps(scale=1.0)
    assert pixel_metrics(maps, np.zeros_like(masks)) == {}
    with pytest.raises(ValueError, match="same"):
        pixel_metrics(maps[:, :8], masks)
