# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The one interface every model of the benchmark has: fit on a split's normal rows, score rows.

Example:
    >>> import numpy as np
    >>> from anomalib_toll.protocol import Budget
    >>> class Constant(Runner):
    ...     name = "constant"
    ...     def fit(self, split, seed, budget):
    ...         return self
    ...     def score(self, x):
    ...         return np.zeros(len(x))
    >>> Constant().resolve_budget(Budget(iterations=10), "mnist").batch_size
    1000
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from anomalib_toll.protocol import Budget, OneClassSplit


class Runner(ABC):
    """An adapter: one model family behind ``fit(split, seed, budget)`` and ``score(x)``.

    ``note`` says anything a reader of the results must know (e.g. random backbone weights).
    """

    name: str = "runner"
    note: str = ""
    default_batch_size: int | None = None  # None: the dataset's paper batch size
    precision_used: str = "32"  # what the last fit actually ran in; adapters that know better set these
    device_used: str = "cpu"
    show_progress: bool = False  # a bar over training steps, where the adapter has one
    training: str = ""  # what the last fit did, where the adapter logs it (FITYMI: epochs, fakes, loss terms)
    chosen_beta: float | None = None  # beta="auto": the β the last fit chose (recorded in every auto cell)

    @abstractmethod
    def fit(self, split: OneClassSplit, seed: int, budget: Budget) -> Runner:
        """Train on ``split.x_train`` (normal only); may use the validation rows as the protocol allows."""

    @abstractmethod
    def score(self, x: np.ndarray) -> np.ndarray:
        """Anomaly scores of preprocessed rows/images; larger is more anomalous."""

    @property
    def uses_budget(self) -> bool:
        """Whether training steps and batch size change this model's results."""
        return True

    def criterion_scores(self, x: np.ndarray) -> dict[str, tuple[int, np.ndarray]]:  # noqa: PLR6301  adapters override
        """Scores under the checkpoint each validation criterion kept: ``name -> (step, scores)``; ``{}`` if none."""
        del x  # most models keep one checkpoint
        return {}

    def resolve_budget(self, budget: Budget, dataset: str, split: OneClassSplit | None = None) -> Budget:
        """The budget this model actually trains with on ``dataset`` (what results record).

        ``split`` is the cell's data, for adapters whose step count depends on it (FITYMI
        trains for epochs); most models train by steps and ignore it.
        """
        del split  # see above
        return budget.resolve(dataset, self.default_batch_size)

    def score_test(self, split: OneClassSplit) -> np.ndarray:
        """Scores of the split's test images, in the order of ``split.y_test``.

        Adapters that train on their own copy of the data (FITYMI: pixels, not the
        split's preprocessing) score their copy of the same official test images.
        """
        return self.score(split.x_test)

    def anomaly_maps(self, x: np.ndarray) -> np.ndarray | None:  # noqa: PLR6301  adapters override
        """Pixel anomaly maps ``(N, H, W)`` of preprocessed images, at their size; ``None``: image scores only.

        The grid asks for maps only when the split has ground-truth masks (pixel AUROC,
        AUPRO); adapters of models that localise (Toll, anomalib's) override this.
        """
        del x  # this model scores whole images
        return None

    def settings(self, dataset: str) -> str:
        """The settings that change the results on ``dataset``, resolved (part of the resume key)."""
        del dataset  # most models have no per-dataset defaults
        return self.name
