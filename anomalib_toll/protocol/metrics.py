# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The paper's metrics: AUROC for images, F1 with the top 15 % of scores flagged for Arrhythmia.

Beside them, for the data people bring: AUPR (average precision, as ADBench reports),
F1 at the test set's contamination rate, and anomalib's pixel AUROC and AUPRO of anomaly
maps against ground-truth masks.

Example:
    >>> import numpy as np
    >>> f1_at_top(np.array([0.1, 0.2, 0.9, 0.3]), np.array([0, 0, 1, 0]), fraction=0.25)
    1.0
    >>> aupr(np.array([0.1, 0.2, 0.9, 0.3]), np.array([0, 0, 1, 1]))
    1.0
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

if TYPE_CHECKING:
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


def aupr(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the precision-recall curve as average precision (ADBench's AUCPR; anomalies labelled 1)."""
    return float(average_precision_score(np.asarray(labels).astype(int), np.asarray(scores, dtype=np.float64)))


def f1_at_rate(scores: np.ndarray, labels: np.ndarray) -> float:
    """F1 when as many top scores are flagged as the test set holds anomalies (its contamination rate)."""
    labels = np.asarray(labels).astype(int)
    return f1_at_top(scores, labels, fraction=float(labels.mean()))


EXTRA_METRICS = {"aupr": aupr, "f1_at_rate": f1_at_rate}


def pixel_metrics(maps: np.ndarray, masks: np.ndarray) -> dict[str, float]:
    """Pixel ``AUROC`` and ``AUPRO`` (FPR limit 0.3), anomalib's, of ``(N, H, W)`` maps against 0/1 masks.

    The maps are rescaled to [0, 1] over the whole test set in float64 first: one
    monotone map, so both metrics are those of the raw maps, and torchmetrics does not
    squash raw values with a sigmoid (which saturates in float32). Returns ``{}`` when the
    masks hold no anomalous pixel.

    Raises:
        ValueError: maps and masks of different shapes.
    """
    import torch
    from anomalib.metrics import AUPRO, AUROC

    maps, masks = np.asarray(maps, dtype=np.float64), np.asarray(masks)
    if maps.shape != masks.shape:
        msg = f"anomaly maps {maps.shape} and masks {masks.shape} must have the same (N, H, W) shape."
        raise ValueError(msg)
    if not masks.any() or masks.all():
        return {}
    low, high = maps.min(), maps.max()
    scaled = (maps - low) / (high - low) if high > low else np.zeros_like(maps)
    batch = SimpleNamespace(anomaly_map=torch.from_numpy(scaled), gt_mask=torch.from_numpy(masks.astype(np.int64)))
    values = {}
    for name, metric in (("pixel_auroc", AUROC(fields=["anomaly_map", "gt_mask"])),
                         ("aupro", AUPRO(fields=["anomaly_map", "gt_mask"]))):
        metric.update(batch)  # type: ignore[arg-type]  # duck-typed: the metrics read only their two fields
        values[name] = float(metric.compute())
    return values
