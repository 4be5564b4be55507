# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Any detector with PyOD's API (``fit``, ``decision_function``), on flattened pixels for images.

PyOD's own (``pyod.models.lof.LOF``, or a short name such as ``iforest``), Toll's PyOD
detector (``anomalib_toll.TollDetector``) or a user's class, by class path. Table rows are
standardised with the training rows' mean and std by the one row standardisation
(:func:`anomalib_toll.data.preprocessing.row_standardized`), unless the data set's own
preprocessing is that already (``tabular``): Arrhythmia's raw ECG attributes span five
orders of magnitude, and kernel and distance models (OCSVM, KDE) are meaningless on raw
scales. That is the rows' only standardisation: detectors that would standardise again
(``TollDetector``, PyOD's ``AutoEncoder``: ``preprocessing``) get ``preprocessing=False``.
Images are already normalised by the protocol and are passed as they are.

Deep PyOD models get epochs from the budget so that they see about as many samples as
Toll does (``iterations × batch_size``), capped to keep CPU runs short; seeds go to
``random_state`` where a detector takes one.

Example:
    >>> PyODRunner("pyod.models.iforest.IForest").name
    'iforest'
    >>> PyODRunner("pyod.models.lof.LOF").name
    'lof'
    >>> PyODRunner("anomalib_toll.TollDetector").name
    'tolldetector'
"""

from __future__ import annotations

import importlib
import inspect
from typing import TYPE_CHECKING

import numpy as np

from anomalib_toll.data.preprocessing import row_standardized
from anomalib_toll.data.registry import DATASETS
from anomalib_toll.protocol.beta import BetaChoice, describe_choice
from anomalib_toll.runners.base import Runner

if TYPE_CHECKING:
    from pyod.models.base import BaseDetector

    from anomalib_toll.data.preprocessing import Transform
    from anomalib_toll.protocol import Budget, OneClassSplit

PYOD_MODELS = {
    "iforest": "pyod.models.iforest.IForest",
    "ocsvm": "pyod.models.ocsvm.OCSVM",
    "kde": "pyod.models.kde.KDE",
    "ecod": "pyod.models.ecod.ECOD",
    "knn": "pyod.models.knn.KNN",
    "autoencoder": "pyod.models.auto_encoder.AutoEncoder",
    "vae": "pyod.models.vae.VAE",
    "deepsvdd": "pyod.models.deep_svdd.DeepSVDD",
}
MAX_EPOCHS = 100


def import_class(path: str) -> type:
    """``"package.module.Class"`` → the class, with an error that names the path."""
    module, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as err:
        msg = f"cannot import model class {path!r}: {err}"
        raise ValueError(msg) from err


def has_pyod_api(path: str) -> bool:
    """Whether ``path`` names an importable class with PyOD's ``fit`` and ``decision_function``."""
    if "." not in path:
        return False
    try:
        cls = import_class(path)
    except ValueError:
        return False
    return isinstance(cls, type) and all(callable(getattr(cls, m, None)) for m in ("fit", "decision_function"))


class PyODRunner(Runner):
    """A detector with PyOD's API by class path (the registry maps short names like ``iforest`` to theirs).

    ``protocol`` and ``device`` are accepted for a uniform adapter interface: PyOD models
    select no checkpoint and choose their own device.
    """

    def __init__(self, model: str, protocol: str = "paper", device: str | None = None, **kwargs: object) -> None:
        del protocol, device  # see the class docstring
        self.path = model
        self.cls = import_class(self.path)
        try:
            inspect.signature(self.cls).bind_partial(**kwargs)
        except TypeError as err:
            msg = f"{self.path}: {err} (see its documentation for the accepted arguments)"
            raise ValueError(msg) from err
        self.kwargs = kwargs
        self.name = self.cls.__name__.lower()
        self.detector: BaseDetector | None = None
        self.scaler: Transform | None = None

    def _params(self, split: OneClassSplit, seed: int, budget: Budget) -> dict[str, object]:
        accepted = inspect.signature(self.cls).parameters
        params = dict(self.kwargs)
        if "random_state" in accepted:
            params.setdefault("random_state", seed)
        if "epoch_num" in accepted:
            epochs = round(budget.iterations * (budget.batch_size or 1) / max(len(split.x_train), 1))
            params.setdefault("epoch_num", int(np.clip(epochs, 1, MAX_EPOCHS)))
        if "verbose" in accepted:
            params.setdefault("verbose", 0)
        if "preprocessing" in accepted and split.x_train.ndim == 2:  # table rows arrive standardised: once
            params.setdefault("preprocessing", False)
        if "n_features" in accepted:  # DeepSVDD needs the input width
            params.setdefault("n_features", int(np.prod(split.x_train.shape[1:])))
        return params

    @property
    def uses_budget(self) -> bool:
        """Only deep PyOD models (with ``epoch_num``) train by steps; IForest, OCSVM, ... ignore the budget."""
        return "epoch_num" in inspect.signature(self.cls).parameters

    def fit(self, split: OneClassSplit, seed: int, budget: Budget) -> PyODRunner:
        """Fit the detector on the training rows (standardised first if tabular), seeded where it takes a seed."""
        spec = DATASETS.get(split.dataset)
        standardised = spec is not None and spec.preprocess is row_standardized  # by the data set already
        tables = split.x_train.ndim == 2 and not standardised
        self.scaler = row_standardized(split.normal_class, split.x_train) if tables else None
        detector = self.cls(**self._params(split, seed, budget))
        detector.fit(self._rows(split.x_train))
        self.detector = detector
        self.device_used = str(getattr(detector, "device_", "cpu"))
        choice = getattr(detector, "beta_choice_", None)  # TollDetector(beta="auto"): say what it chose
        if isinstance(choice, BetaChoice):
            self.note = describe_choice(self.name, choice, detector.fit_result_.seconds)
            self.chosen_beta = choice.beta
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        """The detector's ``decision_function`` on the rows (flattened, standardised like the training rows)."""
        if self.detector is None:
            msg = f"{self.name}: fit the model before scoring."
            raise RuntimeError(msg)
        return np.asarray(self.detector.decision_function(self._rows(x)), dtype=np.float64)

    def _rows(self, x: np.ndarray) -> np.ndarray:
        rows = x.reshape(len(x), -1)
        return rows if self.scaler is None else self.scaler(rows)

    def settings(self, dataset: str) -> str:
        """The class path and the arguments given (the detector's defaults for the rest)."""
        del dataset  # the detectors' defaults do not depend on the data set
        return f"{self.path}({self.kwargs})"
