# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""How much training a cell gets, checked when it is made and resolved to what was actually used.

Example:
    >>> Budget(iterations=300).resolve("mnist")
    Budget(iterations=300, batch_size=1000, eval_every=20)
    >>> Budget(iterations=0)
    Traceback (most recent call last):
    ...
    ValueError: iterations must be an integer >= 1, got 0.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from anomalib_toll.core.checks import check_positive_int
from anomalib_toll.data import get_dataset

PAPER_ITERATIONS = 2000
PAPER_EVAL_EVERY = 20


@dataclass(frozen=True)
class Budget:
    """Training steps, rows per step and the validation interval; the defaults are the paper's.

    ``batch_size=None`` takes the model's own default (FITYMI: 8 normal images) or the
    dataset's paper value (MNIST 1000, CIFAR-10 50, ...): see :meth:`resolve`.
    """

    iterations: int = PAPER_ITERATIONS
    batch_size: int | None = None
    eval_every: int = PAPER_EVAL_EVERY

    def __post_init__(self) -> None:
        """Reject budgets that would train nothing or fail late (checked before any work)."""
        object.__setattr__(self, "iterations", check_positive_int("iterations", self.iterations))
        if self.batch_size is not None:
            object.__setattr__(self, "batch_size", check_positive_int("batch_size", self.batch_size))
        object.__setattr__(self, "eval_every", check_positive_int("eval_every", self.eval_every))

    def resolve(self, dataset: str, model_batch_size: int | None = None) -> Budget:
        """The budget actually used: the batch from the user, else the model's default, else the dataset's."""
        if self.batch_size is not None:
            return self
        return replace(self, batch_size=model_batch_size or get_dataset(dataset).defaults.batch_size)
