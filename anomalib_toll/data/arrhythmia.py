# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""ODDS Arrhythmia: 452 × 274, the 66 rows of classes 3, 4, 5, 7, 8, 9, 14, 15 are outliers.

Read from the ODDS ``arrhythmia.mat`` or derived from the raw UCI ``arrhythmia.data``; the
derivation (drop the five attributes with missing values, zero-based columns 10–14, no
imputation or scaling) reproduces the ODDS matrix exactly.

Example:
    >>> x, y = load_arrhythmia()  # doctest: +SKIP
    >>> x.shape, int(y.sum())     # doctest: +SKIP
    ((452, 274), 66)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from anomalib_toll.data.root import HOW_TO_GET, resolve_data_root

if TYPE_CHECKING:
    import os

OUTLIER_CLASSES = (3, 4, 5, 7, 8, 9, 14, 15)
DROPPED_COLUMNS = (10, 11, 12, 13, 14)  # vector angles T, P, QRST, J and heart rate: have '?'


def arrhythmia_from_uci(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """The ODDS ``(X, y)`` from the raw UCI file (279 attributes + class per line)."""
    rows = [line.strip().split(",") for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    table = np.array([[np.nan if v == "?" else float(v) for v in row] for row in rows])
    features, classes = table[:, :-1], table[:, -1].astype(int)
    keep = [c for c in range(features.shape[1]) if c not in DROPPED_COLUMNS]
    x = features[:, keep]
    if np.isnan(x).any():
        msg = f"{path}: missing values outside columns {DROPPED_COLUMNS}; is this the UCI arrhythmia.data?"
        raise ValueError(msg)
    return x, np.isin(classes, OUTLIER_CLASSES).astype(np.int64)


def load_arrhythmia(data_root: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(X float64 (452, 274), y int64)`` from ``arrhythmia.mat``, else the raw UCI file."""
    root = resolve_data_root(data_root)
    if root is None:
        msg = (
            "Arrhythmia needs a data root holding arrhythmia/arrhythmia.mat (ODDS) or arrhythmia.data (UCI). "
            f"{HOW_TO_GET}"
        )
        raise FileNotFoundError(msg)
    candidates = [root / "arrhythmia" / "arrhythmia.mat", root / "arrhythmia.mat"]
    raw = [root / "arrhythmia" / "arrhythmia.data", root / "arrhythmia.data"]
    for path in candidates:
        if path.exists():
            from scipy.io import loadmat

            mat = loadmat(path)
            return mat["X"].astype(np.float64), mat["y"].ravel().astype(np.int64)
    for path in raw:
        if path.exists():
            return arrhythmia_from_uci(path)
    where = "\n  ".join(str(p) for p in candidates + raw)
    msg = (
        f"Could not find Arrhythmia. Looked in:\n  {where}\n"
        "Get arrhythmia.mat from ODDS (odds.cs.stonybrook.edu) or arrhythmia.data from the UCI repository."
    )
    raise FileNotFoundError(msg)
