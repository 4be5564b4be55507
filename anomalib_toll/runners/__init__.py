# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Model adapters for the benchmark, and the one model registry.

A model is named by a row of :data:`MODELS` (``toll``, ``iforest``, ``fitymi_toll``), by the
class path of any detector with PyOD's API (``pyod.models.lof.LOF``,
``anomalib_toll.TollDetector``, a user's own class), or by any anomalib model's own name or
class path (``padim``, ``patchcore``, ``anomalib.models.Cfa``). On the tables that are not the
paper's (:data:`DETECTOR_TABLES`), ``toll`` is the PyOD :class:`~anomalib_toll.TollDetector`
with its own defaults, run like every PyOD model; on the paper's data sets it is the paper
protocol (:class:`TollRunner`). Adding a model family is one :class:`Runner` adapter and its
rows here.

Example:
    >>> [make_runner(name).name for name in ("toll", "toll_beta0", "iforest")]
    ['toll', 'toll_beta0', 'iforest']
    >>> type(make_runner("toll", dataset="tabular")).__name__, type(make_runner("toll", dataset="arrhythmia")).__name__
    ('PyODRunner', 'TollRunner')
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from anomalib_toll.runners.anomalib import AnomalibRunner
from anomalib_toll.runners.base import Runner
from anomalib_toll.runners.fitymi import FitymiRunner, collapse_weight_in_name
from anomalib_toll.runners.pyod import PYOD_MODELS, PyODRunner, has_pyod_api
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

DETECTOR_TABLES = frozenset({"tabular", "adbench"})
"""Tables outside the paper: there the Toll models are :class:`~anomalib_toll.TollDetector` (``TOLL_ON_TABLES``)."""

TOLL_DETECTOR = "anomalib_toll.detector.TollDetector"
TOLL_ON_TABLES: dict[str, dict[str, object]] = {"toll": {}, "toll_beta0": {"beta": 0.0}, "toll_auto": {"beta": "auto"}}


def make_runner(
    name: str, protocol: str = "paper", device: str | None = None, dataset: str | None = None, **options,
) -> Runner:
    """The adapter for a model name or class path on ``dataset``; ``options`` go to the model.

    E.g. ``n_estimators=50`` for ``iforest``, ``latent_dim=8`` for ``toll``,
    ``fake_source="fakes.npy"`` for ``fitymi_toll``, ``pre_trained=True`` for ``padim``.
    ``fitymi_toll_<weight>`` (``fitymi_toll_0.1``) is FITYMI+Toll with that collapse weight.
    A class path with PyOD's API runs as a PyOD model; anything else not in :data:`MODELS` is
    looked up among anomalib's models.

    Raises:
        ValueError: unknown model, or an argument the model does not take (named).
    """
    name = name.strip()
    if dataset in DETECTOR_TABLES and name.lower() in TOLL_ON_TABLES:
        options = {**TOLL_ON_TABLES[name.lower()], **options}
        runner = _make(partial(PyODRunner, TOLL_DETECTOR), name, protocol, device, options)
        runner.name = name.lower()  # the model asked for: the PyOD surface is how it runs on these tables
        return runner
    factory = MODELS.get(name.lower())
    if factory is None and (weight := collapse_weight_in_name(name)) is not None:  # fitymi_toll_0.1: a sweep
        factory = partial(FitymiRunner, collapse_weight=weight)
    if factory is None:
        pyod = name.startswith("pyod.") or (not name.startswith("anomalib.") and has_pyod_api(name))
        factory = partial(PyODRunner, name) if pyod else partial(AnomalibRunner, name)
    return _make(factory, name, protocol, device, options)


def _make(factory: Callable[..., Runner], name: str, protocol: str, device: str | None, options: dict) -> Runner:
    try:
        return factory(protocol=protocol, device=device, **options)
    except TypeError as err:  # an argument the adapter does not take
        msg = f"model {name!r}: {err}; see the model's documentation for its arguments."
        raise ValueError(msg) from err


__all__ = [
    "DETECTOR_TABLES",
    "MODELS",
    "AnomalibRunner",
    "FitymiRunner",
    "PyODRunner",
    "Runner",
    "TollRunner",
    "make_runner",
]
