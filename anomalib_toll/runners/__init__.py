# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Model adapters for the benchmark: Toll, any PyOD detector, any anomalib model.

Adding a model family = adding one :class:`Runner`; a single model is named by a short
name (``toll``, ``iforest``, ``padim``) or by class path (``pyod.models.lof.LOF``,
``anomalib.models.Cfa``).

Example:
    >>> [make_runner(name).name for name in ("toll", "toll_beta0", "iforest")]
    ['toll', 'toll_beta0', 'iforest']
"""

from __future__ import annotations

from typing import Any

from anomalib_toll.runners.anomalib import SHORT_NAMES as ANOMALIB_MODELS
from anomalib_toll.runners.anomalib import AnomalibRunner
from anomalib_toll.runners.base import Runner
from anomalib_toll.runners.fitymi import FitymiRunner
from anomalib_toll.runners.pyod import SHORT_NAMES as PYOD_MODELS
from anomalib_toll.runners.pyod import PyODRunner
from anomalib_toll.runners.toll import TollRunner


def make_runner(name: str, protocol: str = "paper", device: str | None = None, **options: Any) -> Runner:
    """The runner for a model name or class path; ``options`` go to the model.

    E.g. ``n_estimators=50`` for ``iforest``, ``fake_source="fakes.npy"`` for ``fitymi_toll``,
    ``pre_trained=True`` for ``padim``, ``precision="32"`` for ``toll``.
    """
    key = name.strip().lower()
    if key in ("toll", "toll_beta0"):
        return TollRunner(protocol=protocol, device=device, **({"beta": 0.0} if key == "toll_beta0" else {}), **options)
    if key in ("fitymi", "fitymi_toll"):
        return FitymiRunner(collapse_weight=0.0 if key == "fitymi" else 1.0, device=device, **options)
    if key in PYOD_MODELS or key.startswith("pyod."):
        return PyODRunner(name.strip(), **options)
    if key in ANOMALIB_MODELS or key.startswith("anomalib."):
        return AnomalibRunner(name.strip(), device=device, **options)
    known = ["toll", "toll_beta0", "fitymi", "fitymi_toll", *PYOD_MODELS, *ANOMALIB_MODELS]
    msg = f"unknown model {name!r}: use one of {known} or a class path like pyod.models.lof.LOF"
    raise ValueError(msg)


__all__ = ["AnomalibRunner", "FitymiRunner", "PyODRunner", "Runner", "TollRunner", "make_runner"]
