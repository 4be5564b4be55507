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

# PyOD's spelling (``X``) and numpydoc headings (``Returns`` without a colon), as PyOD documents its detectors.
# ruff: file-ignore[invalid-argument-name, non-lowercase-variable-in-function, missing-section-name-colon]

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Literal

import numpy as np
from pyod.models.base import BaseDetector
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from anomalib_toll.core import score_in_batches
from anomalib_toll.core.checks import check_positive_int
from anomalib_toll.core.training import batches_per_epoch, check_precision, score_batch_size, toll_batch_scores
from anomalib_toll.detector import checks
from anomalib_toll.detector.fit import beta_for_rows, default_hidden_dims, fit_rows, hold_out
from anomalib_toll.protocol.beta import BETA_GRID

if TYPE_CHECKING:
    from collections.abc import Generator, Sequence

    import torch

MIN_VALIDATION_ROWS = 10
"""Fewest rows held out to measure ``trained_score_scale_``; with fewer, every row trains and PyOD's threshold stays."""


class TollDetector(BaseDetector):
    """Toll: an autoencoder whose loss and score add β·‖z‖ₚ to the reconstruction error.

    The anomaly score of a row is ``‖x̂ - x‖₂ + β‖z‖ₚ``, the quantity the network was
    trained to keep small on (mostly) normal rows. The network is trained by
    :func:`anomalib_toll.detector.fit.fit_rows`; rows held out from training
    (``validation_fraction``) put ``threshold_`` on the scale of unseen rows, so
    ``predict`` flags about ``contamination`` of new rows. See :cite:`ghafourian2024toll`.

    Parameters
    ----------
    beta : float or 'auto', optional (default='auto')
        Weight β of the latent-norm term in the loss and the score, in [0, 3.4e38]; ``0`` is
        a plain autoencoder. ``'auto'`` (the default: no labels are needed) trains one
        network per value of ``beta_grid``, all as one stacked model whose βs not ahead of
        β = 0 stop at 1/8, 1/4 and 1/2 of the steps (about 1.6 fits of one network on tables),
        scores each on held-out rows and synthetic anomalies made from them, and keeps
        ``beta=0`` unless a larger β separates them better by more than its bootstrap
        uncertainty (:func:`anomalib_toll.protocol.beta.choose_beta`; with fewer than 30
        held-out rows it keeps 0). The value is ``beta_``. It holds out at least 10 rows; with
        fewer than 20 rows it cannot, and falls back to ``beta=0`` with a warning.
        ``docs/results.md`` ("β without labels") measures it against fixed β across data families.

    beta_grid : sequence of float, optional (default=(0, 1, 10, 100, 1000))
        The β values ``beta='auto'`` tries (each in [0, 3.4e38]); ignored otherwise.

    norm : {1, 2, 'inf'}, optional (default=2)
        Order of the latent norm ‖z‖ₚ.

    latent_dim : int, optional (default=16)
        Size of the bottleneck code z, ≥ 1.

    hidden_dims : sequence of int, optional (default=None)
        Widths (each ≥ 1) of the encoder's hidden layers, mirrored in the decoder; ``None``
        sizes them from the features (:func:`anomalib_toll.detector.fit.default_hidden_dims`).

    contamination : float in (0., 0.5], optional (default=0.1)
        The amount of contamination of the data set, i.e. the proportion of outliers in
        the data set. Used when fitting to define the threshold on the decision function.

    validation_fraction : float in [0., 0.5], optional (default=0.2)
        Fraction of the rows held out from training, which set ``trained_score_scale_``;
        ``0`` takes ``threshold_`` from the trained rows' (lower) scores, as PyOD does.
        Fewer than 10 rows to hold out: every row trains, with a warning (``beta='auto'``
        holds out 10 instead).

    preprocessing : bool, optional (default=True)
        If True, standardise each feature with a ``StandardScaler`` fitted on the training rows.

    lr : float, optional (default=1e-3)
        Learning rate of Adam (kept fixed, as in the paper), finite and > 0.

    epoch_num : int, optional (default=50)
        Number of passes over the training rows, ≥ 1. Ignored when ``n_iter`` is set.

    n_iter : int, optional (default=None)
        Train for exactly this many (≥ 1) independently drawn random batches instead of
        epochs (the paper's protocol: 2000 iterations).

    batch_size : int, optional (default=128)
        Rows per training step, ≥ 2 (BatchNorm needs two), capped at the number of rows.

    precision : {'32', 'bf16-mixed', '16-mixed'}, optional (default='32')
        Numeric precision of the forward pass, as Lightning names it.

    device : str, optional (default=None)
        Torch device, e.g. ``'cpu'`` or ``'cuda:1'``. ``None`` picks CUDA when available.

    random_state : int, numpy.random.RandomState or None, optional (default=42)
        Seed of the weights, the held-out rows and the batch order: an int in [0, 2**32 - 1]
        (identical fits), a ``RandomState`` (a seed drawn from it) or ``None`` (fresh). The
        global random states are left untouched.

    n_jobs : int, optional (default=None)
        Accepted for PyOD compatibility (``None``, a positive integer or ``-1``); it changes
        nothing: ``beta='auto'``'s networks train as one stacked model in this process.

    verbose : int, optional (default=1)
        0 = silent, 1 = progress bars (and, with ``beta='auto'``, the line reporting the choice).

    Attributes
    ----------
    model_ : TollAutoencoder
        The trained network.

    scaler_ : sklearn.preprocessing.StandardScaler or None
        The standardisation fitted on the training rows (``None`` without preprocessing).

    hidden_dims_ : tuple of int
        The hidden widths actually used.

    beta_ : float
        The β used: ``beta``, or the value ``beta='auto'`` chose.

    beta_search_ : dict of float to float or None
        ``beta='auto'``: each β's synthetic validation AUROC (``nan``: diverged); else ``None``.

    beta_choice_ : anomalib_toll.protocol.beta.BetaChoice or None
        ``beta='auto'``: the choice and its evidence (each candidate's lower bound of its gain
        over ``beta=0``, the number of held-out rows); else ``None``.

    validation_indices_ : numpy array of shape (n_held_out,)
        Indices of the rows of ``X`` held out from training (empty when none).

    trained_score_scale_ : float
        How much lower the network scores the rows it has seen: the held-out rows' upper-quartile
        score over the trained rows' (medians when ``contamination`` ≥ 0.25), at least 1.

    fit_result_ : anomalib_toll.core.FitResult
        Steps, seconds and the training-loss curve of the kept network.

    n_features_in_ : int
        Number of features seen during ``fit``.

    decision_scores_ : numpy array of shape (n_samples,)
        The outlier scores of the training data.
        The higher, the more abnormal. Outliers tend to have higher
        scores. This value is available once the detector is fitted.

    threshold_ : float
        The threshold is based on ``contamination``. It is the
        ``n_samples * contamination`` most abnormal samples in
        ``decision_scores_``, taken with the trained rows' scores times
        ``trained_score_scale_`` (the scale of unseen rows). The threshold is
        calculated for generating binary outlier labels.

    labels_ : int, either 0 or 1
        The binary labels of the training data. 0 stands for inliers
        and 1 for outliers/anomalies. It is generated by applying
        ``threshold_`` on ``decision_scores_``.
    """

    contamination: float | np.floating  # set by PyOD's BaseDetector.__init__

    def __init__(
        self,
        beta: float | Literal["auto"] = "auto",
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
        super().__init__(contamination=contamination)
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

        Every hyperparameter and ``X`` are checked before any work (:mod:`.checks`).

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
            A hyperparameter or ``X`` is invalid, training diverged, or a score is not finite.
        """
        checks.check_params(self)
        self.device_ = checks.check_device(self.device)
        self.precision_ = check_precision(self.precision, self.device_)
        X = checks.check_input(X)
        self._set_n_classes(y)
        self.norm_ = checks.norm_order(self.norm)
        self.n_features_in_ = X.shape[1]
        self.hidden_dims_ = (
            default_hidden_dims(self.n_features_in_) if self.hidden_dims is None else tuple(map(int, self.hidden_dims))
        )
        seed = checks.seed_of(self.random_state)
        beta = beta_for_rows(self.beta, len(X), self.validation_fraction, MIN_VALIDATION_ROWS)
        train_rows, self.validation_indices_ = hold_out(
            len(X), self.validation_fraction, seed, auto=beta == "auto", minimum=MIN_VALIDATION_ROWS,
        )
        self.scaler_ = StandardScaler().fit(X[train_rows]) if self.preprocessing else None
        x, held_out = (np.asarray(self._standardise(X[i]), np.float32) for i in (train_rows, self.validation_indices_))
        steps = self.n_iter if self.n_iter is not None else self.epoch_num * batches_per_epoch(len(x), self.batch_size)
        fitted = fit_rows(
            x, held_out,
            beta=beta, beta_grid=self.beta_grid, seed=seed,
            norm=self.norm_, latent_dim=int(self.latent_dim), hidden_dims=self.hidden_dims_, lr=float(self.lr),
            steps=int(steps), batch_size=int(self.batch_size), sampling="random" if self.n_iter else "epochs",
            precision=self.precision_, device=str(self.device_), progress=bool(self.verbose),
        )
        self.model_, self.beta_, self.fit_result_ = fitted.model, fitted.beta, fitted.fit
        self.beta_choice_ = fitted.choice
        self.beta_search_ = None if fitted.choice is None else fitted.choice.values
        self.decision_scores_ = self._score(X, batch_size=None, what="the training rows")
        with self._numeric_contamination():
            self._process_decision_scores()  # PyOD: threshold_, labels_ and predict_proba's statistics
        self._calibrate_threshold(train_rows)
        return self

    def decision_function(self, X: np.ndarray, batch_size: int | None = None) -> np.ndarray:
        """Predict raw anomaly score of X using the fitted detector.

        The anomaly score of a row is ``‖x̂ - x‖₂ + β‖z‖ₚ`` on the standardised row, scored
        ``batch_size`` rows at a time (memory stays bounded by one batch).

        Parameters
        ----------
        X : numpy array of shape (n_samples, n_features)
            The input samples: finite numbers within float32's range.

        batch_size : int, optional (default=None)
            Rows scored at a time (≥ 1); ``None`` uses the scorer's default for an MLP.

        Returns
        -------
        anomaly_scores : numpy array of shape (n_samples,)
            The anomaly score of the input samples, always finite.

        Raises
        ------
        ValueError
            ``X`` or ``batch_size`` is invalid, or a row's score is not finite.
        """
        if not hasattr(self, "model_"):
            msg = "This TollDetector is not fitted yet: call fit(X) before decision_function(X)."
            raise NotFittedError(msg)
        if batch_size is not None:
            batch_size = check_positive_int("batch_size", batch_size)
        return self._score(checks.check_input(X, self.n_features_in_), batch_size=batch_size, what="X")

    def predict(self, X: np.ndarray, return_confidence: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Predict if a particular sample is an outlier or not (PyOD's ``predict``: scores above ``threshold_``)."""
        with self._numeric_contamination():
            return super().predict(X, return_confidence=return_confidence)

    def predict_confidence(self, X: np.ndarray) -> np.ndarray:
        """Predict the model's confidence in making the same prediction (PyOD's, :cite:`perini2020quantifying`)."""
        with self._numeric_contamination():
            return super().predict_confidence(X)

    def _calibrate_threshold(self, train_rows: np.ndarray) -> None:
        """``threshold_`` on the unseen rows' scale, so that ``predict()`` holds on new rows; ``labels_`` from it."""
        scores, contamination = self.decision_scores_, float(self.contamination)
        held_out = self.validation_indices_
        self.trained_score_scale_ = trained_score_scale(scores[held_out], scores[train_rows], contamination)
        if len(held_out):
            unseen = scores.copy()
            unseen[train_rows] *= self.trained_score_scale_
            self.threshold_ = float(np.percentile(unseen, 100 * (1 - contamination)))
            self.labels_ = (scores > self.threshold_).astype(int).ravel()

    @contextlib.contextmanager
    def _numeric_contamination(self) -> Generator[None]:
        """Show PyOD a numpy-scalar ``contamination`` as a float: PyOD takes any other type for a thresholder."""
        given = self.contamination
        if isinstance(given, np.generic):
            self.contamination = float(given)
        try:
            yield
        finally:
            self.contamination = given

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
        return X if self.scaler_ is None or not len(X) else self.scaler_.transform(X)

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
        checks.check_finite_scores(scores, X, self._standardise, what, lr=self.lr, beta=self.beta)
        return scores


def trained_score_scale(held_out: np.ndarray, trained: np.ndarray, contamination: float) -> float:
    """Held-out over trained score at the upper quartile, at least 1; 1 without held-out rows.

    A quartile of the bulk holds while fewer than a quarter of the rows are anomalous (the
    median above that), so contamination barely moves the ratio. The upper quartile rather
    than the median because a network memorises its high-scoring rows most.
    """
    if not len(held_out) or not len(trained):
        return 1.0
    q = 75 if contamination < 0.25 else 50
    seen = float(np.percentile(trained, q))
    unseen = float(np.percentile(held_out, q))
    return max(1.0, unseen / seen) if seen > 0 else 1.0  # a perfect fit of the trained rows: no ratio to take
