# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Argument checks shared by every surface: one message naming the argument, the value and the accepted range.

numpy scalars are numbers; ``bool`` is not (``True`` as a batch size is a mistake).

Example:
    >>> check_positive_int("iterations", np.int64(300))
    300
    >>> check_positive_int("batch_size", 0)
    Traceback (most recent call last):
    ...
    ValueError: batch_size must be an integer >= 1, got 0.
    >>> check_number("beta", np.float32(10.0), minimum=0.0)
    10.0
"""

from __future__ import annotations

import math
import numbers

import numpy as np

FLOAT32_MAX = float(np.finfo(np.float32).max)
"""Largest magnitude a float32 network input or β can hold (≈ 3.4e38)."""


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def check_positive_int(name: str, value: object, minimum: int = 1) -> int:
    """``value`` as an ``int`` when it is a whole number ≥ ``minimum``, else a ``ValueError``."""
    if not (isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_) and int(value) >= minimum):
        msg = f"{name} must be an integer >= {minimum}, got {value!r}."
        raise ValueError(msg)
    return int(value)


def check_number(name: str, value: object, minimum: float | None = None, *, strict: bool = False) -> float:
    """``value`` as a finite ``float`` ≥ ``minimum`` (> with ``strict``), else a ``ValueError``."""
    ok = _is_number(value) and math.isfinite(float(value))  # type: ignore[arg-type]
    if ok and minimum is not None:
        ok = float(value) > minimum if strict else float(value) >= minimum  # type: ignore[arg-type]
    if not ok:
        bound = "" if minimum is None else f" {'>' if strict else '>='} {minimum:g}"
        msg = f"{name} must be a finite number{bound}, got {value!r}."
        raise ValueError(msg)
    return float(value)  # type: ignore[arg-type]


def check_shape(name: str, value: object, length: int) -> tuple[int, ...]:
    """``value`` as a tuple of ``length`` whole numbers >= 1 (an image size, an input shape), else a ``ValueError``."""
    items = list(value) if isinstance(value, list | tuple | np.ndarray) else None
    if items is None or len(items) != length or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool | np.bool_) and int(v) >= 1 for v in items
    ):
        msg = f"{name} must be {length} integers >= 1, got {value!r}."
        raise ValueError(msg)
    return tuple(int(v) for v in items)
