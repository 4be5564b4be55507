# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""anomalib-toll: Toll (targeted collapse) for PyOD, anomalib and the paper's benchmarks.

Public names are imported lazily, so ``import anomalib_toll`` stays cheap and never
imports anomalib or Lightning; PyOD users pay only for what they use.

Example:
    >>> from anomalib_toll import TollDetector, toll_score
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    "TollDetector": "anomalib_toll.detector",
    "toll_score": "anomalib_toll.core",
    "toll_loss": "anomalib_toll.core",
    "collapse_distance": "anomalib_toll.core",
    "build_autoencoder": "anomalib_toll.core",
    "fit_toll": "anomalib_toll.core",
    "score_toll": "anomalib_toll.core",
}

__all__ = ["__version__", *_LAZY]  # noqa: PLE0604 - the lint cannot see that the table's keys are strings


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    msg = f"module 'anomalib_toll' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(__all__)
