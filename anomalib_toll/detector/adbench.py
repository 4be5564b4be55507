# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Toll as an ADBench model: ``__init__(seed, model_name)``, ``fit(X_train, y_train)``, ``predict_score(X)``.

ADBench runs each model class through these three calls. Like ADBench's own autoencoders
(its PyOD wrapper fits ``AutoEncoder`` and ``VAE`` on ``y_train == 0`` only), Toll trains on the
rows labelled normal. In ADBench's unsupervised setting the unlabelled anomalies carry
``y_train = 0`` too, so Toll then trains on every row, contamination included; with labels it
trains on the normal rows (the paper's one-class protocol). ``predict_score`` returns
``TollDetector.decision_function``: higher is more anomalous.

Example:
    >>> import numpy as np
    >>> from anomalib_toll.detector.adbench import TollADBench
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(200, 6)), np.zeros(200, dtype=int)
    >>> model = TollADBench(seed=0, model_name="Toll", epoch_num=2).fit(X_train=X, y_train=y)
    >>> model.predict_score(X[:3]).shape
    (3,)

See Also:
    :class:`anomalib_toll.detector.TollDetector`; ADBench's ``adbench/baseline/Customized/run.py``.
"""

# ADBench and scikit-learn name the data ``X``: keep their spelling.
# ruff: file-ignore[invalid-argument-name, non-lowercase-variable-in-function]

from __future__ import annotations

from typing import Any

import numpy as np

from anomalib_toll.detector.toll import TollDetector

ADBENCH_MODELS: dict[str, dict[str, Any]] = {
    "Toll": {},
    "Toll_beta0": {"beta": 0.0},
}
"""``model_name`` → the ``TollDetector`` settings it stands for (``Toll_beta0`` is the paper's ablation)."""


class TollADBench:
    """ADBench's model interface around :class:`~anomalib_toll.detector.TollDetector`.

    Args:
        seed (int): Seed of the detector (its ``random_state``); the global random
            states are left untouched.
        model_name (str): ``"Toll"`` or ``"Toll_beta0"`` (β = 0, a plain autoencoder).
            Defaults to ``"Toll"``.
        **params: More ``TollDetector`` arguments (``beta``, ``epoch_num``, ...); they
            override the ones ``model_name`` sets. ``verbose`` defaults to ``0``.

    Raises:
        ValueError: If ``model_name`` is not one of :data:`ADBENCH_MODELS`.

    Example:
        >>> TollADBench(seed=1, model_name="Toll_beta0").detector.beta
        0.0
    """

    def __init__(self, seed: int, model_name: str = "Toll", **params: Any) -> None:  # ruff: ignore[any-type]
        if model_name not in ADBENCH_MODELS:
            msg = f"model_name={model_name!r} is not a Toll model; use one of {sorted(ADBENCH_MODELS)}."
            raise ValueError(msg)
        self.seed = seed
        self.model_name = model_name
        settings = {"verbose": 0, **ADBENCH_MODELS[model_name], **params, "random_state": seed}
        self.detector = TollDetector(**settings)

    def fit(self, X_train: np.ndarray, y_train: np.ndarray | None = None) -> TollADBench:
        """Train on the rows with ``y_train == 0`` (every row when ``y_train`` is ``None``).

        Args:
            X_train (np.ndarray): Training rows ``(n_samples, n_features)``.
            y_train (np.ndarray | None): ADBench's labels, 1 for a labelled anomaly.
                Defaults to ``None``.

        Returns:
            TollADBench: ``self``, as ADBench expects.

        Raises:
            ValueError: If ``y_train`` does not have one label per row, or labels every
                row an anomaly.
        """
        X_train = np.asarray(X_train)
        if y_train is not None:
            y_train = np.asarray(y_train).ravel()
            if len(y_train) != len(X_train):
                msg = f"y_train has {len(y_train)} labels for {len(X_train)} rows of X_train; give one per row."
                raise ValueError(msg)
            normal = y_train == 0
            if not normal.any():
                msg = "y_train labels every row an anomaly (1): Toll needs rows labelled 0 to train on."
                raise ValueError(msg)
            X_train = X_train[normal]
        self.detector.fit(X_train)
        return self

    def predict_score(self, X: np.ndarray) -> np.ndarray:
        """Anomaly scores of ``X``: ``‖x̂ - x‖₂ + β‖z‖ₚ`` on standardised rows, higher is more anomalous.

        Args:
            X (np.ndarray): Rows ``(n_samples, n_features)``.

        Returns:
            np.ndarray: One score per row.
        """
        return self.detector.decision_function(X)


__all__ = ["ADBENCH_MODELS", "TollADBench"]
