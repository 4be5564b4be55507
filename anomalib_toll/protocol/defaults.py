# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Per-dataset settings of the paper (Sec. 4.1, Appendix B) and the authors' code.

Example:
    >>> DEFAULTS["mnist"].beta
    1000.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Metric = Literal["auroc", "f1"]
DatasetName = Literal["mnist", "fashion_mnist", "cifar10", "cifar100", "arrhythmia", "digits", "folder"]


@dataclass(frozen=True)
class DatasetDefaults:
    """Hyperparameters the authors kept fixed across the normal classes of a dataset."""

    batch_size: int
    beta: float
    latent_dim: int
    lr: float
    metric: Metric = "auroc"
    n_classes: int = 10


DEFAULTS: dict[str, DatasetDefaults] = {
    "mnist": DatasetDefaults(batch_size=1000, beta=1000.0, latent_dim=128, lr=1e-4),
    "fashion_mnist": DatasetDefaults(batch_size=500, beta=100.0, latent_dim=256, lr=1e-4),
    "cifar10": DatasetDefaults(batch_size=50, beta=10.0, latent_dim=64, lr=1e-2),
    "cifar100": DatasetDefaults(batch_size=100, beta=100.0, latent_dim=64, lr=1e-3, n_classes=20),
    "arrhythmia": DatasetDefaults(batch_size=100, beta=10.0, latent_dim=16, lr=1e-3, metric="f1", n_classes=1),
    # Not in the paper: scikit-learn's bundled 8x8 digits, the no-download demo.
    "digits": DatasetDefaults(batch_size=64, beta=10.0, latent_dim=16, lr=1e-3),
    # Not in the paper: a user's normal/ and abnormal/ images (resized to 32×32, the B.2 network).
    "folder": DatasetDefaults(batch_size=64, beta=10.0, latent_dim=64, lr=1e-3, n_classes=1),
}

PAPER_ITERATIONS = 2000
PAPER_EVAL_EVERY = 20
PAPER_SEEDS = 10
