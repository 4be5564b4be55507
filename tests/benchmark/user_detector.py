"""Users' own detectors with PyOD's API, reached by the bridge through their class paths."""


from __future__ import annotations

import numpy as np


class DistanceToMean:
    """Anomaly score: the distance of a row to the training rows' mean."""

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    def fit(self, X: np.ndarray) -> DistanceToMean:
        """Remember the training rows' mean."""
        self.mean_ = np.asarray(X).mean(axis=0)
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Distances to the mean: larger is more anomalous."""
        return np.linalg.norm(np.asarray(X) - self.mean_, axis=1)


class Boom:
    """A user's detector that fails when fitted: its cell fails, the grid goes on."""

    def fit(self, X: np.ndarray) -> Boom:
        """Fail as a user's bug would."""
        msg = f"boom on {len(X)} rows"
        raise RuntimeError(msg)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Never reached: ``fit`` fails."""
        return np.zeros(len(X))
