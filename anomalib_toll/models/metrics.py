# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""AUROC on raw anomaly scores of any scale, for checkpoint selection on validation.

anomalib's ``AUROC`` hands scores to torchmetrics, which treats any score outside [0, 1]
as a logit and applies a sigmoid at each update. Unnormalised scores are what validation
sees (anomalib's post-processor normalises only at test time, with statistics gathered
on validation), and Toll scores (‖x̂ − x‖ + β‖z‖: tens to thousands) or kNN distances all
saturate to 1.0 in float32: every validation AUROC comes out as exactly 0.5, and a
``ModelCheckpoint`` monitoring it keeps the first checkpoint forever. ``ScoreAUROC`` keeps
the raw scores and rescales them once, over the whole epoch, to [0, 1] in float64 before
the ROC: the ranking, and so the AUROC, is that of the raw scores.

Example:
    >>> import torch
    >>> from anomalib.data import ImageBatch
    >>> metric = ScoreAUROC(fields=["pred_score", "gt_label"], prefix="image_")
    >>> batch = ImageBatch(image=torch.zeros(3, 3, 8, 8), gt_label=torch.tensor([0, 1, 1]),
    ...                    pred_score=torch.tensor([1500.0, 2500.0, 1800.0]))
    >>> metric.update(batch)
    >>> float(metric.compute())
    1.0
"""

from __future__ import annotations

import torch
from anomalib.metrics.auroc import _AUROC
from anomalib.metrics.base import AnomalibMetric
from torchmetrics.functional.classification import binary_roc
from torchmetrics.utilities import dim_zero_cat


class _RawScoreAUROC(_AUROC):
    """anomalib's torchmetrics-level AUROC, storing raw scores instead of sigmoid-squashed ones."""

    scores: list[torch.Tensor]  # states registered by add_state, concatenated across processes
    labels: list[torch.Tensor]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.add_state("scores", default=[], dist_reduce_fx="cat")
        self.add_state("labels", default=[], dist_reduce_fx="cat")

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        """Keep the raw scores (float64) and labels of a batch."""
        self.scores.append(preds.detach().flatten().double())
        self.labels.append(target.detach().flatten().int())

    def _compute(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(FPR, TPR) of the scores rescaled over all updates: one monotone map, ranks kept."""
        scores, labels = dim_zero_cat(self.scores), dim_zero_cat(self.labels)
        low, high = scores.min(), scores.max()
        scaled = (scores - low) / (high - low) if high > low else torch.zeros_like(scores)
        fpr, tpr, _ = binary_roc(scaled, labels)
        return fpr, tpr


class ScoreAUROC(AnomalibMetric, _RawScoreAUROC):  # type: ignore[misc]
    """anomalib's ``AUROC`` (same fields, prefix, batch interface, figure), exact on raw scores of any scale.

    Logged as ``<prefix>AUROC`` like anomalib's, so ``ModelCheckpoint(monitor="image_AUROC")``
    and configs need no change.
    """

    def __init__(self, fields: list[str] | None = None, prefix: str = "", **kwargs) -> None:
        super().__init__(fields=fields, prefix=prefix, **kwargs)
        self.name = f"{prefix}AUROC"
