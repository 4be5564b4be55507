# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Model adapters for the benchmark, and the one model registry.

A model is named by a row of :data:`MODELS` (``toll``, ``iforest``, ``fitymi_toll``), by a
PyOD class path (``pyod.models.lof.LOF``), or by any anomalib model's own name or class
path (``padim``, ``patchcore``, ``anomalib.models.Cfa``). Adding a model family is one
:class:`Runner` adapter and its rows here.

Example:
    >>> [make_runner(name).name for name in ("toll", "toll_beta0", "iforest")]
    ['toll', 'toll_beta0', 'iforest']
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from anomalib_toll.runners.anomalib import AnomalibRunner
from anomalib_toll.runners.base import Runner
from anomalib_toll.runners.fitymi import FitymiRunner, collapse_weight_in_name
from anomalib_toll.runners.pyod import PYOD_MODELS, PyODRunner
from anomalib_toll.runners.toll import TollRunner

if TYPE_CHECKING:
    from collections.abc import Callable

MODELS: dict[str, Callable[..., Runner]] = {
    "toll": TollRunner,
    "toll_beta0": partial(TollRunner, beta=0.0),
    "toll_auto": partial(TollRunner, beta="auto"),
    "fitymi": partial(FitymiRunner, collapse_weight=0.0),
    "fitymi_toll": FitymiRunner,
    **{name: partial(PyODRunner, path) for name, path in PYOD_MODELS.items()},
}


def make_runner(name: str, protocol: str = "paper", device: str | None = None, **options) -> Runner:
    """The adapter for a model name or class path; ``options`` go to the model.

    E.g. ``n_estimators=50`` for ``iforest``, ``latent_dim=8`` for ``toll``,
    ``fake_source="fakes.npy"`` for ``fitymi_toll``, ``pre_trained=True`` for ``padim``.
    ``fitymi_toll_<weight>`` (``fitymi_toll_0.1``) is FITYMI+Toll with that collapse weight.
    Anything not in :data:`MODELS` or under ``pyod.`` is looked up among anomalib's models.

    Raises:
        ValueError: unknown model, or an argument the model does not take (named).
    """
    name = name.strip()
    factory = MODELS.get(name.lower())
    if factory is None and (weight := collapse_weight_in_name(name)) is not None:  # fitymi_toll_0.1: a sweep
        factory = partial(FitymiRunner, collapse_weight=weight)
    if factory is None:
        factory = partial(PyODRunner, name) if name.startswith("pyod.") else partial(AnomalibRunner, name)
    try:
        return factory(protocol=protocol, device=device, **options)
    except TypeError as err:  # an argument the adapter does not take
        msg = f"model {name!r}: {err}; see the model's documentation for its arguments."
        raise ValueError(msg) from err


__all__ = ["MODELS", "AnomalibRunner", "FitymiRunner", "PyODRunner", "Runner", "TollRunner", "make_runner"]
