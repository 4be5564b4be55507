# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""TollDetector's checks: every hyperparameter and ``X`` before any work, one ``ValueError`` naming each.

Example:
    >>> check_range("contamination", 0.1, 0.0, 0.5, low_open=True)
    0.1
    >>> seed_of(7)
    7
"""

# PyOD and scikit-learn name the data ``X``: keep their spelling.
# ruff: file-ignore[invalid-argument-name, non-lowercase-variable-in-function]

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np
from sklearn.utils import check_array

from anomalib_toll.core import devices, parse_norm
from anomalib_toll.core.checks import FLOAT32_MAX, check_number, check_positive_int
from anomalib_toll.protocol.beta import check_beta, check_beta_grid

if TYPE_CHECKING:
    from collections.abc import Callable

    import torch
    from sklearn.base import BaseEstimator

MAX_SEED = 2**32 - 1


def check_params(detector: BaseEstimator) -> None:
    """Check every hyperparameter of ``detector``; one ``ValueError`` names the argument, the value and the range.

    ``detector`` is a TollDetector, read through scikit-learn's ``get_params`` (its constructor's arguments as
    given), so that these checks need not import the detector that calls them.
    """
    params = detector.get_params(deep=False)
    if check_beta(params["beta"]) == "auto":
        check_beta_grid(params["beta_grid"])
    n_jobs = params["n_jobs"]
    if n_jobs is not None and not (isinstance(n_jobs, numbers.Integral) and not isinstance(n_jobs, bool) and n_jobs):
        msg = f"n_jobs must be None, a positive integer or -1 (one per core), got {n_jobs!r}."
        raise ValueError(msg)
    check_number("lr", params["lr"], 0.0, strict=True)
    check_range("contamination", params["contamination"], 0.0, 0.5, low_open=True)
    check_range("validation_fraction", params["validation_fraction"], 0.0, 0.5)
    norm_order(params["norm"])
    for name in ("latent_dim", "epoch_num"):
        check_positive_int(name, params[name])
    check_positive_int("batch_size", params["batch_size"], minimum=2)  # BatchNorm trains on 2 rows or more
    if params["n_iter"] is not None:
        check_positive_int("n_iter", params["n_iter"])
    check_hidden_dims(params["hidden_dims"])
    preprocessing = params["preprocessing"]
    if not isinstance(preprocessing, bool | np.bool_):
        msg = f"preprocessing must be True or False, got {preprocessing!r}."
        raise ValueError(msg)  # ruff: ignore[type-check-without-type-error] - every bad argument is a ValueError
    verbose = params["verbose"]
    if not isinstance(verbose, bool | np.bool_ | numbers.Integral) or verbose < 0:
        msg = f"verbose must be 0 (silent) or 1 (progress bar), got {verbose!r}."
        raise ValueError(msg)
    check_random_state(params["random_state"])


def check_device(device: object) -> torch.device:
    """``device`` resolved once this machine is seen to have it (the one check: :mod:`anomalib_toll.core.devices`).

    Raises:
        ValueError: not a torch device, or one this machine lacks (``device='cuda:7'`` without CUDA), with the fix.
    """
    return devices.check_device(device)


def check_input(data: object, n_features: int | None = None) -> np.ndarray:
    """``data`` as a float64 2-D array of finite numbers within float32's range; ``n_features`` when scoring.

    A message gives the data's shape, never its values (scikit-learn's would print the whole array).
    """
    check_two_dimensional(data)
    try:
        X = check_array(data, dtype=np.float64, ensure_min_samples=2 if n_features is None else 1, input_name="X")
    except (TypeError, ValueError) as err:  # also dicts, sparse matrices, objects that are not numbers
        said = " ".join(line for line in str(err).splitlines() if not line.startswith("array="))
        msg = f"X must be a 2-D array of finite numbers (rows x features): {said}"
        raise ValueError(msg) from err
    if n_features is not None and X.shape[1] != n_features:
        msg = f"X has {X.shape[1]} features, but TollDetector was fitted with {n_features} features."
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


def check_two_dimensional(data: object) -> None:
    """A ``ValueError`` giving the shape of an array or nested list that is not rows x features (its values unsaid)."""
    if not (hasattr(data, "shape") or isinstance(data, list | tuple)):
        return  # dicts, strings, scalars: scikit-learn's check names their type
    try:
        shape = tuple(np.shape(data))
    except ValueError:  # ragged lists: scikit-learn's check says so
        return
    if len(shape) != 2:  # rows x features
        fix = "X.reshape(-1, 1) for one feature or X.reshape(1, -1) for one row" if len(shape) < 2 else (
            "X.reshape(len(X), -1) to flatten each row")
        msg = f"X must be a 2-D array (rows x features), got shape {shape}; reshape it, e.g. {fix}."
        raise ValueError(msg)


def norm_order(norm: object) -> float:
    """The order ``p`` of ``norm`` (numpy scalars included), else a ``ValueError`` naming it."""
    value = norm.item() if isinstance(norm, np.generic) else norm
    if isinstance(value, int | float | str):
        try:
            return parse_norm(value)
        except ValueError:
            pass
    msg = f"norm must be 1, 2 or 'inf' (the paper's Table 8), got {norm!r}."
    raise ValueError(msg)


def check_range(name: str, value: object, low: float, high: float, *, low_open: bool = False) -> float:
    """``value`` as a float in [low, high] ((low, high] with ``low_open``), else a ``ValueError``."""
    number = check_number(name, value, low, strict=low_open)
    if number > high:
        bracket = "(" if low_open else "["
        msg = f"{name} must be a finite number in {bracket}{low:g}, {high:g}], got {value!r}."
        raise ValueError(msg)
    return number


def check_hidden_dims(hidden_dims: object) -> None:
    """``None`` or a sequence of integers ≥ 1, else a ``ValueError``."""
    if hidden_dims is None:
        return
    if isinstance(hidden_dims, str | bytes) or not isinstance(hidden_dims, list | tuple | range | np.ndarray):
        msg = f"hidden_dims must be None or a sequence of integers >= 1 such as (64, 32), got {hidden_dims!r}."
        raise ValueError(msg)  # ruff: ignore[type-check-without-type-error] - every bad argument is a ValueError
    for width in hidden_dims:
        if not (isinstance(width, numbers.Integral) and not isinstance(width, bool | np.bool_) and int(width) >= 1):
            msg = f"hidden_dims must hold integers >= 1 (layer widths), got {list(hidden_dims)!r}."
            raise ValueError(msg)


def check_random_state(random_state: object) -> None:
    """``None``, an int in [0, 2**32 - 1], a ``RandomState`` or a ``Generator``, else a ``ValueError``."""
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


def seed_of(random_state: int | np.random.RandomState | np.random.Generator | None) -> int:
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


def check_finite_scores(
    scores: np.ndarray, X: np.ndarray, standardise: Callable[[np.ndarray], object], what: str, *, lr: object,
    beta: object,
) -> None:
    """A ``ValueError`` naming the rows whose score is not finite, and why: a non-finite score is never normal."""
    bad = np.flatnonzero(~np.isfinite(scores))
    if not len(bad):
        return
    with np.errstate(over="ignore"):
        largest = float(np.abs(np.asarray(standardise(X[bad[:1000]]))).max())
    cause = (
        "their standardised values exceed float32's range (3.4e38): these rows lie far outside the training data"
        if largest > FLOAT32_MAX
        else f"the trained network overflows float32 on them: refit with a lower lr (lr={lr!r}) or beta (beta={beta!r})"
    )
    msg = (
        f"TollDetector gave a non-finite score to {len(bad)} of {len(X)} rows of {what} (first: row {bad[0]}; "
        f"largest |standardised value| {largest:.3g}); {cause}. A non-finite score is never taken as normal."
    )
    raise ValueError(msg)
