# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Toll (targeted collapse regularized autoencoder) as a PyOD detector.

Example:
    >>> import numpy as np
    >>> from anomalib_toll import TollDetector
    >>> X = np.random.default_rng(0).normal(size=(200, 8))
    >>> clf = TollDetector(epoch_num=2, verbose=0).fit(X)
    >>> clf.decision_function(X[:3]).shape
    (3,)

Paper:
    Targeted collapse regularized autoencoder for anomaly detection: black hole at the
    center (Ghafourian et al.).
"""

# PyOD and scikit-learn name the data ``X`` (and document it so): keep their spelling.
# The public docstrings are numpydoc, as in PyOD, whose ``Returns``/``Attributes`` headings
# the Google-convention check would want to end with a colon.
# ruff: file-ignore[invalid-argument-name, non-lowercase-variable-in-function, missing-section-name-colon]

from __future__ import annotations

import contextlib
import functools
import math
import numbers
import os
import sys
import time
import warnings
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
import torch
from pyod.models.base import BaseDetector
from pyod.models.base_dl import BaseDeepLearningDetector
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_array

from anomalib_toll.core import (
    FitResult,
    TollAutoencoder,
    build_autoencoder,
    fit_toll,
    parse_norm,
    resolve_device,
    score_in_batches,
)
from anomalib_toll.core.checks import check_number, check_positive_int
from anomalib_toll.core.executor import execute
from anomalib_toll.core.training import (
    batches_per_epoch,
    check_precision,
    score_batch_size,
    toll_batch_scores,
)

if TYPE_CHECKING:
    from collections.abc import Generator, Sequence

FLOAT32_MAX = float(np.finfo(np.float32).max)
"""Largest magnitude a float32 network input or β can hold (≈ 3.4e38)."""

MIN_VALIDATION_ROWS = 10
"""Fewest rows held out to measure ``trained_score_scale_``; with fewer, every row trains and keeps its raw score."""

MAX_SEED = 2**32 - 1

BETA_GRID: tuple[float, ...] = (0.0, 1.0, 10.0, 100.0, 1000.0)
"""The β values ``beta="auto"`` tries by default: log-spaced, with the plain autoencoder (0)."""


def default_hidden_dims(n_features: int) -> tuple[int, int]:
    """Hidden widths used when ``hidden_dims=None``: sized from the number of features.

    The first width is the power of two at or above ``4 * n_features``, kept within
    [16, 256], the second half of it: ``(64, 32)`` for 10 features (PyOD
    ``AutoEncoder``'s default), the paper's ``(256, 128)`` from 64 features on (Arrhythmia
    has 274). A (256, 128) network on a 10-column table memorises its training rows
    (``bench/threshold.py`` measures it).

    Args:
        n_features: Number of input columns.

    Returns:
        ``(width, width // 2)``.

    Example:
        >>> default_hidden_dims(10), default_hidden_dims(274), default_hidden_dims(1)
        ((64, 32), (256, 128), (16, 8))
    """
    width = min(256, max(16, 1 << math.ceil(math.log2(4 * max(n_features, 1)))))
    return width, width // 2


class TollDetector(BaseDeepLearningDetector):
    """Toll: an autoencoder whose loss and score add β·‖z‖ₚ to the reconstruction error.

    Trains on (mostly) normal rows; the anomaly score of a row is
    ``‖x̂ - x‖₂ + β‖z‖ₚ``, the same quantity the network was trained to keep small, so
    anomalies stand out both by poor reconstruction and by codes far from the origin.
    A network scores the rows it was trained on lower than unseen rows (it memorises
    them); a few rows held out from training (``validation_fraction``) measure by how
    much, and the training scores are put on the unseen rows' scale before PyOD's
    threshold is taken, so that ``predict`` flags about ``contamination`` of unseen rows
    while ``labels_`` still flags ``contamination`` of the training rows.
    See :cite:`ghafourian2024toll`.

    Parameters
    ----------
    beta : float or 'auto', optional (default=10.0)
        Weight β of the latent-norm term in the loss and the score, in [0, 3.4e38]
        (it multiplies float32 tensors). ``0`` gives a plain autoencoder (the paper's
        ablation). ``'auto'`` chooses β without labels: one network is trained per
        value of ``beta_grid`` (same seed and batches) and the one whose scores best
        separate the held-out rows (``validation_fraction``) from synthetic anomalies
        made from them (ADBench's global, local and dependency types) is kept; the
        value is ``beta_``. The right β depends on the data's scale and the network, so
        the paper's per-dataset values do not transfer to a new table.

    beta_grid : sequence of float, optional (default=(0, 1, 10, 100, 1000))
        The β values ``beta='auto'`` tries (each in [0, 3.4e38]); ignored otherwise.

    norm : {1, 2, 'inf'}, optional (default=2)
        Order of the latent norm ‖z‖ₚ.

    latent_dim : int, optional (default=16)
        Size of the bottleneck code z, ≥ 1.

    hidden_dims : sequence of int, optional (default=None)
        Widths (each ≥ 1) of the hidden layers of the encoder, mirrored in the decoder.
        ``None`` sizes them from the number of features, see
        :func:`default_hidden_dims`: (64, 32) for 10 features, the paper's Arrhythmia
        network (256, 128) from 64 features on.

    contamination : float in (0., 0.5], optional (default=0.1)
        The amount of contamination of the data set, i.e. the proportion of outliers in
        the data set. Used when fitting to define the threshold on the decision function.

    validation_fraction : float in [0., 0.5], optional (default=0.2)
        Fraction of the rows given to ``fit`` that is held out from training. The ratio
        of their upper-quartile score to that of the rows trained on (at least 1) is
        ``trained_score_scale_``; the trained rows' scores are multiplied by it in
        ``decision_scores_``, from which ``threshold_`` follows as in PyOD. ``0`` trains
        on every row and keeps their raw scores (a network that memorises its rows then
        flags far more than ``contamination`` of unseen rows). When the fraction leaves
        fewer than 10 rows to hold out, every row is trained on and a warning says so.

    preprocessing : bool, optional (default=True)
        If True, standardise each feature with scikit-learn's ``StandardScaler`` fitted
        on the training rows.

    lr : float, optional (default=1e-3)
        Learning rate of Adam (kept fixed, as in the paper), finite and > 0.

    epoch_num : int, optional (default=50)
        Number of passes over the training rows, ≥ 1. Ignored when ``n_iter`` is set.

    n_iter : int, optional (default=None)
        Train for exactly this many (≥ 1) independently drawn random batches instead of
        epochs (the paper's protocol: 2000 iterations).

    batch_size : int, optional (default=128)
        Rows per training step, ≥ 2 (BatchNorm needs two), capped at the number of rows
        (fewer rows than ``batch_size`` is fine).

    precision : {'32', 'bf16-mixed', '16-mixed'}, optional (default='32')
        Numeric precision of the forward pass, as Lightning names it.

    device : str, optional (default=None)
        Torch device, e.g. ``'cpu'`` or ``'cuda:1'``. ``None`` picks CUDA when available.

    random_state : int, numpy.random.RandomState or None, optional (default=42)
        Seed of the weight initialisation, the held-out rows and the batch order. An int
        in [0, 2**32 - 1] gives identical results on every fit; a ``RandomState`` gives a
        seed drawn from it (as scikit-learn does); ``None`` a fresh seed from the
        operating system. The global random states are left untouched.

    n_jobs : int, optional (default=None)
        Processes that train the networks of ``beta='auto'`` side by side (one thread
        each); ``None`` means 1, ``-1`` one per core. Each process starts a fresh
        interpreter (a few seconds), so it pays on tables that take longer than that to
        fit.

    verbose : int, optional (default=1)
        0 = silent, 1 = progress bar over training steps (and, with ``beta='auto'``,
        one line saying which β was kept, from what, at what cost).

    Attributes
    ----------
    model_ : TollAutoencoder
        The trained network.

    scaler_ : sklearn.preprocessing.StandardScaler or None
        The standardisation fitted on the training rows; ``None`` when
        ``preprocessing=False``.

    hidden_dims_ : tuple of int
        The hidden widths actually used.

    beta_ : float
        The β used: ``beta``, or the value ``beta='auto'`` chose.

    beta_search_ : dict of float to float or None
        With ``beta='auto'``: the synthetic validation AUROC of each β tried (``nan``
        where training diverged); ``None`` otherwise.

    validation_indices_ : numpy array of shape (n_held_out,)
        Indices of the rows of ``X`` held out from training (empty when every row was
        trained on).

    trained_score_scale_ : float
        Upper-quartile score of the held-out rows over that of the rows trained on (the
        medians when ``contamination`` ≥ 0.25), at least 1, exactly 1 when no row is held
        out: how much lower the network scores the rows it has seen.

    fit_result_ : anomalib_toll.core.FitResult
        Steps, seconds and the training-loss curve of the kept network's training.

    n_features_in_ : int
        Number of features seen during ``fit``.

    decision_scores_ : numpy array of shape (n_samples,)
        The outlier scores of the training data.
        The higher, the more abnormal. Outliers tend to have higher
        scores. This value is available once the detector is fitted.
        They are on the scale of unseen rows: the held-out rows' scores, and the
        trained rows' scores times ``trained_score_scale_`` (so they differ from
        ``decision_function(X)`` by that factor, as a k-NN detector's training scores
        leave each row out of its own neighbours).

    threshold_ : float
        The threshold is based on ``contamination``. It is the
        ``n_samples * contamination`` most abnormal samples in
        ``decision_scores_``. The threshold is calculated for generating
        binary outlier labels.

    labels_ : int, either 0 or 1
        The binary labels of the training data. 0 stands for inliers
        and 1 for outliers/anomalies. It is generated by applying
        ``threshold_`` on ``decision_scores_``.
    """

    contamination: float | np.floating  # set by PyOD's BaseDetector.__init__

    def __init__(
        self,
        beta: float | Literal["auto"] = 10.0,
        beta_grid: Sequence[float] = BETA_GRID,
        norm: int | str = 2,
        latent_dim: int = 16,
        hidden_dims: Sequence[int] | None = None,
        contamination: float = 0.1,
        validation_fraction: float = 0.2,
        preprocessing: bool = True,
        lr: float = 1e-3,
        epoch_num: int = 50,
        n_iter: int | None = None,
        batch_size: int = 128,
        precision: str = "32",
        device: str | None = None,
        random_state: int | np.random.RandomState | None = 42,
        n_jobs: int | None = None,
        verbose: int = 1,
    ) -> None:
        # BaseDeepLearningDetector.__init__ reseeds the global RNGs and replaces
        # device=None by a torch.device; sklearn's clone needs parameters stored as given,
        # so only PyOD's BaseDetector initialiser runs here. Everything is validated in fit.
        BaseDetector.__init__(self, contamination=contamination)
        self.beta = beta
        self.beta_grid = beta_grid
        self.norm = norm
        self.latent_dim = latent_dim
        self.hidden_dims = hidden_dims
        self.validation_fraction = validation_fraction
        self.preprocessing = preprocessing
        self.lr = lr
        self.epoch_num = epoch_num
        self.n_iter = n_iter
        self.batch_size = batch_size
        self.precision = precision
        self.device = device
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> TollDetector:
        """Fit detector. y is ignored in unsupervised methods.

        Every hyperparameter and ``X`` are checked before any work; a ``ValueError``
        names the argument, the value and the accepted range.

        Parameters
        ----------
        X : numpy array of shape (n_samples, n_features)
            The input samples: at least 2 rows of finite numbers within float32's range.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            Fitted estimator.

        Raises
        ------
        ValueError
            A hyperparameter or ``X`` is invalid, training diverged (the message names
            the step and suggests a lower ``lr``), or a score is not finite.
        """
        self._check_params()
        device = self._resolve_device()
        precision = check_precision(self.precision, device)
        X = self._check_input(X, fitting=True)
        self._set_n_classes(y)
        self.device_, self.precision_ = device, precision
        self.norm_ = _norm_order(self.norm)
        self.n_features_in_ = X.shape[1]
        self.hidden_dims_ = (
            default_hidden_dims(self.n_features_in_) if self.hidden_dims is None else tuple(map(int, self.hidden_dims))
        )
        seed = _seed(self.random_state)
        auto = isinstance(self.beta, str)
        train_rows, self.validation_indices_ = self._split(len(X), seed, auto=auto)
        self.scaler_ = StandardScaler().fit(X[train_rows]) if self.preprocessing else None
        x = np.asarray(self._standardise(X[train_rows]), dtype=np.float32)
        steps = self.n_iter if self.n_iter is not None else self.epoch_num * batches_per_epoch(len(x), self.batch_size)
        jobs = [
            _NetworkJob(
                x=x, beta=beta, seed=seed, norm=self.norm_, latent_dim=int(self.latent_dim),
                hidden_dims=self.hidden_dims_, lr=float(self.lr), steps=int(steps), batch_size=int(self.batch_size),
                sampling="random" if self.n_iter is not None else "epochs", precision=self.precision_,
                device=str(self.device_), progress=f"TollDetector β={beta:g}" if self.verbose else False,
            )
            for beta in (_beta_grid(self.beta_grid) if auto else (float(self.beta),))
        ]
        networks = self._train(jobs)
        self.beta_search_: dict[float, float] | None = None
        self.beta_ = jobs[0].beta
        if auto:
            self.beta_, self.beta_search_ = self._choose_beta(networks, X[self.validation_indices_], seed)
        self.model, self.fit_result_ = networks[self.beta_]
        self.model_ = self.model.to(self.device_)
        scores = self._score(X, batch_size=None, what="the training rows")
        self.trained_score_scale_ = _trained_score_scale(
            scores[self.validation_indices_], scores[train_rows], float(self.contamination),
        )
        scores[train_rows] *= self.trained_score_scale_
        self.decision_scores_ = scores
        with self._numeric_contamination():
            self._process_decision_scores()  # PyOD: threshold_, labels_ and predict_proba's statistics
        return self

    def decision_function(self, X: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """Predict raw anomaly score of X using the fitted detector.

        The anomaly score of a row is ``‖x̂ - x‖₂ + β‖z‖ₚ`` on the standardised row;
        outliers are assigned larger anomaly scores. Rows are standardised and scored
        ``batch_size`` at a time, so memory stays bounded by one batch.

        Parameters
        ----------
        X : numpy array of shape (n_samples, n_features)
            The input samples: finite numbers within float32's range.

        batch_size : int, optional (default=None)
            Rows scored at a time (≥ 1); ``None`` uses the scorer's default for an MLP
            (:func:`anomalib_toll.core.training.score_batch_size`).

        Returns
        -------
        anomaly_scores : numpy array of shape (n_samples,)
            The anomaly score of the input samples, always finite.

        Raises
        ------
        ValueError
            ``X`` or ``batch_size`` is invalid, or a row's score is not finite (it is
            never returned as an inlier).
        """
        if not hasattr(self, "model_"):
            msg = "This TollDetector is not fitted yet: call fit(X) before decision_function(X)."
            raise NotFittedError(msg)
        if batch_size is not None:
            batch_size = check_positive_int("batch_size", batch_size)
        X = self._check_input(X, fitting=False)
        return self._score(X, batch_size=batch_size, what="X")

    def predict(self, X: np.ndarray, return_confidence: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Predict if a particular sample is an outlier or not.

        Parameters
        ----------
        X : numpy array of shape (n_samples, n_features)
            The input samples.

        return_confidence : boolean, optional(default=False)
            If True, also return the confidence of prediction.

        Returns
        -------
        outlier_labels : numpy array of shape (n_samples,)
            For each observation, tells whether
            it should be considered as an outlier according to the
            fitted model. 0 stands for inliers and 1 for outliers.
        confidence : numpy array of shape (n_samples,).
            Only if return_confidence is set to True.
        """
        with self._numeric_contamination():
            return super().predict(X, return_confidence=return_confidence)

    def predict_confidence(self, X: np.ndarray) -> np.ndarray:
        """Predict the model's confidence in making the same prediction.

        See PyOD's ``BaseDetector.predict_confidence`` and :cite:`perini2020quantifying`.

        Parameters
        ----------
        X : numpy array of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        confidence : numpy array of shape (n_samples,)
            For each observation, tells how consistently the model would
            make the same prediction if the training set was perturbed.
            Return a probability, ranging in [0,1].
        """
        with self._numeric_contamination():
            return super().predict_confidence(X)

    @contextlib.contextmanager
    def _numeric_contamination(self) -> Generator[None]:
        """Show PyOD a numpy-scalar ``contamination`` as a Python float for the duration.

        PyOD takes any ``contamination`` that is not a Python ``float`` or ``int`` for a
        thresholder object and calls its ``fit``/``predict``; ``np.float32(0.1)`` is a number.
        """
        given = self.contamination
        if isinstance(given, np.generic):
            self.contamination = float(given)
        try:
            yield
        finally:
            self.contamination = given

    def build_model(self) -> None:
        """Build the autoencoder for ``n_features_in_`` features (PyOD's hook)."""
        self.model = build_autoencoder(
            (self.n_features_in_,), latent_dim=int(self.latent_dim), hidden_dims=self.hidden_dims_,
        )

    def _train(self, jobs: list[_NetworkJob]) -> dict[float, tuple[TollAutoencoder, FitResult]]:
        """Train one network per job (``n_jobs`` processes at a time); ``beta -> (network, fit)``.

        With several β, a β whose training diverged is left out with a warning naming it;
        a single β, or every β diverging, raises.
        """
        workers = _workers(self.n_jobs, len(jobs))
        if workers > 1:
            jobs = [replace(job, progress=False) for job in jobs]  # bars of parallel processes would interleave
        start = time.perf_counter()
        networks: dict[float, tuple[TollAutoencoder, FitResult]] = {}
        failures: dict[float, BaseException] = {}
        for job, outcome in execute(_train_network, jobs, workers):
            if isinstance(outcome, BaseException):
                failures[job.beta] = outcome
            else:
                networks[job.beta] = outcome
        for job in jobs:  # the first failure in grid order, whatever finished first
            if job.beta in failures and (len(jobs) == 1 or not networks):
                raise failures[job.beta]
        if failures:
            warnings.warn(
                f"TollDetector beta='auto': training diverged for beta={sorted(failures)} (left out of the choice): "
                f"{next(iter(failures.values()))}",
                UserWarning,
                stacklevel=3,
            )
        self.fit_seconds_ = time.perf_counter() - start
        return {job.beta: networks[job.beta] for job in jobs if job.beta in networks}

    def _choose_beta(
        self, networks: dict[float, tuple[TollAutoencoder, FitResult]], held_out: np.ndarray, seed: int,
    ) -> tuple[float, dict[float, float]]:
        """The β whose network best separates the held-out rows from synthetic anomalies made from them.

        Ties go to the smaller β. No anomaly label is used: the synthetic anomalies are
        corruptions of held-out normal rows (:mod:`anomalib_toll.protocol.synthetic`).
        """
        from anomalib_toll.protocol.synthetic import synthetic_anomalies  # only beta='auto' needs it
        from anomalib_toll.protocol.toll import best_beta

        normal = np.asarray(self._standardise(held_out), dtype=np.float32)
        rows = np.concatenate([normal, synthetic_anomalies(normal, seed=seed)])
        labels = np.repeat([0, 1], len(normal))
        search = {beta: float("nan") for beta in _beta_grid(self.beta_grid)}
        for beta, (model, _) in networks.items():
            model.to(self.device_).eval()
            scores = score_in_batches(
                functools.partial(toll_batch_scores, model, beta=beta, norm=self.norm_, precision=self.precision_),
                rows, score_batch_size(model), self.device_,
            ).double().numpy()
            if np.isfinite(scores).all():
                search[beta] = float(roc_auc_score(labels, scores))
        finite = {beta: value for beta, value in search.items() if not math.isnan(value)}
        if not finite:
            msg = (
                f"TollDetector beta='auto': no β of beta_grid={list(search)} gave finite scores on the held-out rows; "
                f"lower lr (lr={self.lr!r}) or pass a fixed beta."
            )
            raise ValueError(msg)
        chosen = best_beta(finite)
        if self.verbose:
            tried = ", ".join(f"{beta:g}: {value:.3f}" for beta, value in search.items())
            print(  # PyOD's verbose output is printed
                f"TollDetector beta='auto' chose beta={chosen:g} (synthetic validation AUROC per beta: {tried}); "
                f"{len(networks)} networks trained in {self.fit_seconds_:.1f} s with "
                f"{_workers(self.n_jobs, len(networks))} process(es)",
                file=sys.stderr,
            )
        return chosen, search

    def training_forward(self, batch_data: torch.Tensor | Sequence[torch.Tensor]) -> float:
        """One Adam step on a batch of standardised rows (PyOD's hook, abstract in its base).

        Runs :func:`anomalib_toll.core.fit_toll` for one step; the optimizer persists
        across calls.

        Parameters
        ----------
        batch_data : torch.Tensor of shape (batch_size, n_features)
            Standardised rows (or a PyOD ``TorchDataset`` batch whose first item they are).

        Returns
        -------
        loss : float
            The Toll loss of the batch before the step.
        """
        x = _rows(batch_data).to(self.device_).float()
        if not hasattr(self, "optimizer"):
            self.optimizer = torch.optim.Adam(self.model_.parameters(), lr=float(self.lr))
        result = fit_toll(
            self.model_, x, beta=self.beta_, norm=self.norm_, lr=float(self.lr), steps=1, batch_size=len(x),
            sampling="epochs", precision=self.precision_, optimizer=lambda *_, **__: self.optimizer,
        )
        return result.losses[0]

    def evaluating_forward(self, batch_data: torch.Tensor | Sequence[torch.Tensor]) -> np.ndarray:
        """Toll scores of a batch of standardised rows (PyOD's hook, abstract in its base).

        Parameters
        ----------
        batch_data : torch.Tensor of shape (batch_size, n_features)
            Standardised rows (or a PyOD ``TorchDataset`` batch whose first item they are).

        Returns
        -------
        scores : numpy array of shape (batch_size,)
            The Toll scores of the rows, as :func:`anomalib_toll.core.toll_batch_scores`.
        """
        self.model_.eval()
        with torch.inference_mode():
            scores = toll_batch_scores(
                self.model_, _rows(batch_data).to(self.device_).float(), beta=self.beta_, norm=self.norm_,
                precision=self.precision_,
            )
        return scores.cpu().numpy()

    @property
    def X_mean_(self) -> np.ndarray:  # ruff: ignore[invalid-function-name] - the name existing code reads
        """Per-feature mean subtracted before scoring (``scaler_.mean_``; zeros without preprocessing)."""
        self._require_fitted("X_mean_")
        return np.zeros(self.n_features_in_) if self.scaler_ is None else self.scaler_.mean_

    @property
    def X_std_(self) -> np.ndarray:  # ruff: ignore[invalid-function-name] - the name existing code reads
        """Per-feature divisor applied before scoring (``scaler_.scale_``; ones without preprocessing)."""
        self._require_fitted("X_std_")
        return np.ones(self.n_features_in_) if self.scaler_ is None else self.scaler_.scale_

    def _require_fitted(self, name: str) -> None:
        if "scaler_" not in vars(self):
            msg = f"{name} exists once the TollDetector is fitted."
            raise AttributeError(msg)

    def _standardise(self, X: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
        return X if self.scaler_ is None else self.scaler_.transform(X)

    def _score(self, X: np.ndarray, batch_size: int | None, what: str) -> np.ndarray:
        """Scores of validated rows, ``batch_size`` at a time; a non-finite score is an error."""
        self.model_.eval()
        with np.errstate(over="ignore"):  # a row beyond float32 becomes inf: reported below, not warned about
            scores = score_in_batches(
                lambda batch: toll_batch_scores(
                    self.model_, batch, beta=self.beta_, norm=self.norm_, precision=self.precision_,
                ),
                X, batch_size or score_batch_size(self.model_), self.device_, prepare=self._standardise,
            ).double().numpy()
        bad = np.flatnonzero(~np.isfinite(scores))
        if len(bad):
            with np.errstate(over="ignore"):
                largest = float(np.abs(self._standardise(X[bad[:1000]])).max())
            cause = (
                "their standardised values exceed float32's range (3.4e38): these rows lie far outside the "
                "training data"
                if largest > FLOAT32_MAX
                else "the trained network overflows float32 on them: refit with a lower lr "
                f"(lr={self.lr!r}) or beta (beta={self.beta!r})"
            )
            msg = (
                f"TollDetector gave a non-finite score to {len(bad)} of {len(X)} rows of {what} (first: row {bad[0]}; "
                f"largest |standardised value| {largest:.3g}); {cause}. A non-finite score is never taken as normal."
            )
            raise ValueError(msg)
        return scores

    def _split(self, n: int, seed: int, *, auto: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Rows to train on and rows held out from training (sorted indices)."""
        n_held_out = round(float(self.validation_fraction) * n)
        too_few = n_held_out < MIN_VALIDATION_ROWS or n - n_held_out < 2
        if auto and too_few:
            msg = (
                f"beta='auto' chooses β on the rows held out by validation_fraction (synthetic anomalies are made from "
                f"them), but validation_fraction={self.validation_fraction!r} of {n} rows holds out {n_held_out}; it "
                f"needs at least {MIN_VALIDATION_ROWS}: raise validation_fraction, pass more rows, or a fixed beta."
            )
            raise ValueError(msg)
        if n_held_out == 0:
            return np.arange(n), np.arange(0)
        if too_few:
            warnings.warn(
                f"TollDetector: validation_fraction={self.validation_fraction!r} of {n} rows holds out "
                f"{n_held_out}, fewer than {MIN_VALIDATION_ROWS}: training on all rows and taking threshold_ from "
                "their raw scores, so predict() may flag more than contamination of unseen rows. Pass more rows, "
                "or validation_fraction=0 to accept this.",
                UserWarning,
                stacklevel=3,
            )
            return np.arange(n), np.arange(0)
        perm = np.random.default_rng(seed).permutation(n)
        return np.sort(perm[n_held_out:]), np.sort(perm[:n_held_out])

    def _resolve_device(self) -> torch.device:
        try:
            return resolve_device(self.device)
        except (RuntimeError, TypeError) as err:
            msg = f"device must be None, 'auto' or a torch device such as 'cpu' or 'cuda:0', got {self.device!r}."
            raise ValueError(msg) from err

    def _check_params(self) -> None:
        """Check every hyperparameter; one ``ValueError`` names the argument, the value and the range."""
        if isinstance(self.beta, str) and self.beta != "auto":
            msg = f"beta must be a number in [0, {FLOAT32_MAX:.3g}] or 'auto', got {self.beta!r}."
            raise ValueError(msg)
        if isinstance(self.beta, str):
            _beta_grid(self.beta_grid)
        else:
            _check_range("beta", self.beta, 0.0, FLOAT32_MAX)
        if self.n_jobs is not None and not (
            isinstance(self.n_jobs, numbers.Integral) and not isinstance(self.n_jobs, bool) and self.n_jobs != 0
        ):
            msg = f"n_jobs must be None, a positive integer or -1 (one per core), got {self.n_jobs!r}."
            raise ValueError(msg)
        check_number("lr", self.lr, 0.0, strict=True)
        _check_range("contamination", self.contamination, 0.0, 0.5, low_open=True)
        _check_range("validation_fraction", self.validation_fraction, 0.0, 0.5)
        _norm_order(self.norm)
        for name in ("latent_dim", "epoch_num"):
            check_positive_int(name, getattr(self, name))
        check_positive_int("batch_size", self.batch_size, minimum=2)  # BatchNorm trains on 2 rows or more
        if self.n_iter is not None:
            check_positive_int("n_iter", self.n_iter)
        _check_hidden_dims(self.hidden_dims)
        if not isinstance(self.preprocessing, bool | np.bool_):
            msg = f"preprocessing must be True or False, got {self.preprocessing!r}."
            raise ValueError(msg)  # ruff: ignore[type-check-without-type-error] - every bad argument is a ValueError
        if not isinstance(self.verbose, bool | np.bool_ | numbers.Integral) or self.verbose < 0:
            msg = f"verbose must be 0 (silent) or 1 (progress bar), got {self.verbose!r}."
            raise ValueError(msg)
        _check_random_state(self.random_state)

    def _check_input(self, X: np.ndarray, fitting: bool) -> np.ndarray:
        try:
            X = check_array(X, dtype=np.float64, ensure_min_samples=2 if fitting else 1, input_name="X")
        except (TypeError, ValueError) as err:  # also dicts, sparse matrices, objects that are not numbers
            msg = f"X must be a 2-D array of finite numbers (rows x features): {err}"
            raise ValueError(msg) from err
        if not fitting and X.shape[1] != self.n_features_in_:
            msg = f"X has {X.shape[1]} features, but TollDetector was fitted with {self.n_features_in_} features."
            raise ValueError(msg)
        too_large = np.abs(X) > FLOAT32_MAX
        if too_large.any():
            row, col = np.argwhere(too_large)[0]
            msg = (
                f"X holds {int(too_large.sum())} values beyond float32's range (|x| <= {FLOAT32_MAX:.3g}), which "
                f"the network computes in; first: {X[row, col]:g} at row {row}, column {col}. Rescale the data."
            )
            raise ValueError(msg)
        return X


@dataclass(frozen=True)
class _NetworkJob:
    """One network to train: what a worker process needs, and nothing of the detector."""

    x: np.ndarray  # standardised training rows, float32
    beta: float
    seed: int
    norm: float
    latent_dim: int
    hidden_dims: tuple[int, ...]
    lr: float
    steps: int
    batch_size: int
    sampling: Literal["random", "epochs"]
    precision: str
    device: str
    progress: bool | str


def _train_network(job: _NetworkJob) -> tuple[TollAutoencoder, FitResult]:
    """Build (seeded, the global RNGs untouched) and train one network; importable by worker processes."""
    device = torch.device(job.device)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(job.seed)
        model = build_autoencoder((job.x.shape[1],), latent_dim=job.latent_dim, hidden_dims=job.hidden_dims)
    model.to(device)
    # fit_toll raises a ValueError naming the step and suggesting a lower lr when the loss diverges.
    result = fit_toll(
        model, torch.as_tensor(job.x, device=device), beta=job.beta, norm=job.norm, lr=job.lr, steps=job.steps,
        batch_size=job.batch_size, generator=torch.Generator().manual_seed(job.seed), sampling=job.sampling,
        precision=job.precision, progress=job.progress,
    )
    return model, result


def _workers(n_jobs: int | None, n_networks: int) -> int:
    """Processes for ``n_networks``: ``n_jobs`` (``None`` = 1, negative counts back from the cores), capped."""
    cores = os.cpu_count() or 1
    wanted = 1 if n_jobs is None else (n_jobs if n_jobs > 0 else max(1, cores + 1 + n_jobs))
    return max(1, min(wanted, n_networks))


def _beta_grid(beta_grid: object) -> tuple[float, ...]:
    """``beta_grid`` as distinct floats in [0, 3.4e38], in the order given; else a ``ValueError`` naming it."""
    if isinstance(beta_grid, str | bytes) or not isinstance(beta_grid, list | tuple | range | np.ndarray):
        msg = f"beta_grid must be a sequence of numbers >= 0 such as (0, 1, 10, 100, 1000), got {beta_grid!r}."
        raise ValueError(msg)  # ruff: ignore[type-check-without-type-error] - every bad argument is a ValueError
    grid = tuple(dict.fromkeys(_check_range("beta_grid", b, 0.0, FLOAT32_MAX) for b in beta_grid))
    if not grid:
        msg = "beta_grid must hold at least one β value, e.g. (0, 1, 10, 100, 1000)."
        raise ValueError(msg)
    return grid


def _trained_score_scale(held_out: np.ndarray, trained: np.ndarray, contamination: float) -> float:
    """Held-out over trained score at the upper quartile, at least 1; 1 without held-out rows.

    A quartile of the bulk holds while fewer than a quarter of the rows are anomalous (the median
    is taken above that), so contamination barely moves the ratio; the quantile that makes
    ``threshold_`` is then taken over all rows, keeping the training set's exact share of
    anomalies. The upper quartile rather than the median because a network memorises its
    high-scoring rows most (``bench/threshold.py``: the median under-corrects, and up to 22 %
    of unseen normals were flagged at ``contamination=0.1``).
    """
    if not len(held_out) or not len(trained):
        return 1.0
    q = 75 if contamination < 0.25 else 50
    seen = float(np.percentile(trained, q))
    unseen = float(np.percentile(held_out, q))
    if not seen > 0:  # a perfect fit of the trained rows: no ratio to take
        return 1.0
    return max(1.0, unseen / seen)


def _norm_order(norm: object) -> float:
    """The order ``p`` of ``norm`` (numpy scalars included), else a ``ValueError`` naming it."""
    value = norm.item() if isinstance(norm, np.generic) else norm
    if isinstance(value, int | float | str):
        try:
            return parse_norm(value)
        except ValueError:
            pass
    msg = f"norm must be 1, 2 or 'inf' (the paper's Table 8), got {norm!r}."
    raise ValueError(msg)


def _rows(batch_data: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
    """The rows of a PyOD batch: a tensor, or the first item of a ``TorchDataset`` tuple."""
    return batch_data if isinstance(batch_data, torch.Tensor) else batch_data[0]


def _check_range(name: str, value: object, low: float, high: float, *, low_open: bool = False) -> float:
    """``value`` as a float in [low, high] ((low, high] with ``low_open``), else a ``ValueError``."""
    number = check_number(name, value, low, strict=low_open)
    if number > high:
        bracket = "(" if low_open else "["
        msg = f"{name} must be a finite number in {bracket}{low:g}, {high:g}], got {value!r}."
        raise ValueError(msg)
    return number


def _check_hidden_dims(hidden_dims: object) -> None:
    if hidden_dims is None:
        return
    if isinstance(hidden_dims, str | bytes) or not isinstance(hidden_dims, list | tuple | range | np.ndarray):
        msg = f"hidden_dims must be None or a sequence of integers >= 1 such as (64, 32), got {hidden_dims!r}."
        raise ValueError(msg)  # ruff: ignore[type-check-without-type-error] - every bad argument is a ValueError
    for width in hidden_dims:
        if not (isinstance(width, numbers.Integral) and not isinstance(width, bool | np.bool_) and int(width) >= 1):
            msg = f"hidden_dims must hold integers >= 1 (layer widths), got {list(hidden_dims)!r}."
            raise ValueError(msg)


def _check_random_state(random_state: object) -> None:
    if random_state is None or isinstance(random_state, np.random.RandomState | np.random.Generator):
        return
    is_int = isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool | np.bool_)
    if is_int and 0 <= int(random_state) <= MAX_SEED:  # type: ignore[call-overload]
        return
    msg = (
        f"random_state must be None, an integer in [0, {MAX_SEED}] or a numpy.random.RandomState, "
        f"got {random_state!r}."
    )
    raise ValueError(msg)


def _seed(random_state: int | np.random.RandomState | np.random.Generator | None) -> int:
    """An int seed for torch, as scikit-learn's ``check_random_state`` would give, without global state.

    An int is itself; a ``RandomState``/``Generator`` gives a draw (advancing it, as
    scikit-learn estimators do); ``None`` a fresh seed from the operating system.
    """
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(MAX_SEED, endpoint=True))
    return int(random_state)
