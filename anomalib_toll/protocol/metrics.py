# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The paper's metrics: AUROC for images, F1 with the top 15 % of scores flagged for Arrhythmia.

Example:
    >>> import numpy as np
    >>> f1_at_top(np.array([0.1, 0.2, 0.9, 0.3]), np.array([0, 0, 1, 0]), fraction=0.25)
    1.0
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score, roc_auc_score

from anomalib_toll.data.registry import Metric

TOP_FRACTION = 0.15


def f1_at_top(scores: np.ndarray, labels: np.ndarray, fraction: float = TOP_FRACTION) -> float:
    """F1 when the ``fraction`` highest scores are labelled anomalous.

    The threshold is the ``1 − fraction`` quantile of these scores, so the metric does not
    depend on a detector's ``contamination`` or ``predict`` (paper Sec. 4.1).
    """
    scores = np.asarray(scores, dtype=np.float64)
    threshold = np.quantile(scores, 1.0 - fraction)
    return float(f1_score(np.asarray(labels).astype(int), (scores > threshold).astype(int), zero_division=0.0))


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (anomalies labelled 1, larger scores more anomalous)."""
    return float(roc_auc_score(np.asarray(labels).astype(int), np.asarray(scores, dtype=np.float64)))


def evaluate(metric: Metric, scores: np.ndarray, labels: np.ndarray) -> float:
    """The named metric of ``scores`` against binary ``labels``."""
    if metric == "auroc":
        return auroc(scores, labels)
    if metric == "f1":
        return f1_at_top(scores, labels)
    msg = f"metric must be 'auroc' or 'f1', got {metric!r}."
    raise ValueError(msg)
