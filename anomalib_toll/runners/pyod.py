# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Any PyOD detector, on flattened pixels for images (as the paper's baselines).

Tabular rows (Arrhythmia's raw ECG attributes span five orders of magnitude) are
standardised with the training rows' mean and std first: kernel and distance models
(OCSVM, KDE) are meaningless on raw scales. Images are already normalised by the
protocol and are passed as they are.

Deep PyOD models get epochs from the budget so that they see about as many samples as
Toll does (``iterations × batch_size``), capped to keep CPU runs short; seeds go to
``random_state`` where a detector takes one.

Example:
    >>> PyODRunner("pyod.models.iforest.IForest").name
    'iforest'
    >>> PyODRunner("pyod.models.lof.LOF").name
    'lof'
"""

from __future__ import annotations

import importlib
import inspect
from typing import TYPE_CHECKING

import numpy as np

from anomalib_toll.runners.base import Runner

if TYPE_CHECKING:
    from pyod.models.base import BaseDetector
    from sklearn.preprocessing import StandardScaler

    from anomalib_toll.protocol import Budget, OneClassSplit

PYOD_MODELS = {
    "iforest": "pyod.models.iforest.IForest",
    "ocsvm": "pyod.models.ocsvm.OCSVM",
    "kde": "pyod.models.kde.KDE",
    "ecod": "pyod.models.ecod.ECOD",
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


class PyODRunner(Runner):
    """A PyOD detector by class path (the registry maps short names like ``iforest`` to theirs).

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
        self.scaler: StandardScaler | None = None

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
        if "n_features" in accepted:  # DeepSVDD needs the input width
            params.setdefault("n_features", int(np.prod(split.x_train.shape[1:])))
        return params

    @property
    def uses_budget(self) -> bool:
        """Only deep PyOD models (with ``epoch_num``) train by steps; IForest, OCSVM, ... ignore the budget."""
        return "epoch_num" in inspect.signature(self.cls).parameters

    def fit(self, split: OneClassSplit, seed: int, budget: Budget) -> PyODRunner:
        """Fit the detector on the training rows (standardised first if tabular), seeded where it takes a seed."""
        from sklearn.preprocessing import StandardScaler

        self.scaler = StandardScaler().fit(split.x_train) if split.x_train.ndim == 2 else None
        detector = self.cls(**self._params(split, seed, budget))
        detector.fit(self._rows(split.x_train))
        self.detector = detector
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        """The detector's ``decision_function`` on the rows (flattened, standardised like the training rows)."""
        if self.detector is None:
            msg = f"{self.name}: fit the model before scoring."
            raise RuntimeError(msg)
        return np.asarray(self.detector.decision_function(self._rows(x)), dtype=np.float64)

    def _rows(self, x: np.ndarray) -> np.ndarray:
        rows = x.reshape(len(x), -1)
        return rows if self.scaler is None else self.scaler.transform(rows)

    def settings(self, dataset: str) -> str:
        """The class path and the arguments given (PyOD's defaults for the rest)."""
        del dataset  # PyOD's defaults do not depend on the data set
        return f"{self.path}({self.kwargs})"
