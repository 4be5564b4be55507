# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""One-class splits of the paper's protocol: one class normal, every other class anomalous.

Two ways to pick the checkpoint, named by what the validation set holds:

* ``paper`` — as the authors did: a validation set of labelled samples from all classes
  (10,000 training images for the image sets; 30 % of Arrhythmia), scored with the test
  metric. It sees anomaly labels before test time.
* ``clean`` — never sees an anomaly label before test: the validation set keeps only the
  normal samples of the same held-out rows, and the checkpoint with the lowest mean Toll
  score on them (the held-out training loss) is kept.

The training rows are the same in both, so the two protocols differ only in selection.

Example:
    >>> split = make_split("digits", normal_class=3)
    >>> split.x_train.shape[1:], set(split.y_val) == {0, 1}
    ((1, 8, 8), True)
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from anomalib_toll.data import ImageSet, get_dataset

if TYPE_CHECKING:
    from anomalib_toll.data.registry import Metric

Protocol = Literal["paper", "clean"]
PROTOCOLS: tuple[str, ...] = ("paper", "clean")
VAL_SIZE = 10_000  # labelled training images held out by the authors (paper Sec. 4.1)
SPLIT_SEED = 42  # one split for every seed, as in the authors' code: seeds vary init and batches


@dataclass(frozen=True)
class OneClassSplit:
    """Preprocessed arrays of one (dataset, normal class, seed) cell; anomalies labelled 1."""

    dataset: str
    normal_class: int
    x_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    metric: Metric

    @functools.cached_property
    def digest(self) -> str:
        """A digest of every array of the split: results are reused only on the same data."""
        h = hashlib.blake2b(digest_size=8)
        for array in (self.x_train, self.x_val, self.y_val, self.x_test, self.y_test):
            h.update(str((array.dtype, array.shape)).encode())
            h.update(np.ascontiguousarray(array).data)
        return h.hexdigest()

    @property
    def x_val_normal(self) -> np.ndarray:
        """The normal validation rows: all the ``clean`` protocol may select on."""
        return self.x_val[self.y_val == 0]


def check_protocol(protocol: str) -> str:
    """Reject unknown protocol names with the valid choices."""
    if protocol not in PROTOCOLS:
        msg = f"protocol must be one of {PROTOCOLS}, got {protocol!r}."
        raise ValueError(msg)
    return protocol


def make_split(
    dataset: str,
    normal_class: int = 0,
    split_seed: int = SPLIT_SEED,
    data_root: str | None = None,
    download: bool = False,
) -> OneClassSplit:
    """Build the cell's split; see the module docstring for what each protocol uses.

    ``split_seed`` draws the held-out rows; the authors used one fixed split for all
    seeds (the default). Passing the run's seed instead adds the split's variance.
    """
    spec = get_dataset(dataset)
    if not 0 <= normal_class < spec.n_classes:
        msg = f"normal_class must be in 0..{spec.n_classes - 1} for {dataset}, got {normal_class}."
        raise ValueError(msg)
    data = spec.read(data_root, download)
    if isinstance(data, ImageSet):
        x_train, y_train, x_val, y_val, x_test, y_test = _official_split(data, normal_class, split_seed)
    else:
        x, y = data
        train, val, test = _labelled_split(dataset, y, split_seed)
        x_train, y_train, x_val, y_val, x_test, y_test = x[train], y[train], x[val], y[val], x[test], y[test]
    del y_train  # all normal
    transform = spec.preprocess(normal_class, x_train)
    return OneClassSplit(
        dataset=dataset, normal_class=normal_class, x_train=transform(x_train), x_val=transform(x_val),
        y_val=y_val.astype(np.int64), x_test=transform(x_test), y_test=y_test.astype(np.int64), metric=spec.metric,
    )


def _official_split(images: ImageSet, normal_class: int, split_seed: int) -> tuple[np.ndarray, ...]:
    """The official test set; 10,000 labelled training images (a sixth of smaller sets) held out; normal rest trains."""
    n_train = len(images.y_train)
    val_size = min(VAL_SIZE, n_train // 6)  # 10,000 of 60,000 in the paper; a sixth of smaller sets
    val_idx = np.random.default_rng(split_seed).choice(n_train, size=val_size, replace=False)
    keep = np.ones(n_train, dtype=bool)
    keep[val_idx] = False
    train_idx = np.flatnonzero(keep & (images.y_train == normal_class))
    anomalous = lambda labels: (labels != normal_class).astype(np.int64)  # noqa: E731
    return (
        images.x_train[train_idx], anomalous(images.y_train[train_idx]),
        images.x_train[val_idx], anomalous(images.y_train[val_idx]),
        images.x_test, anomalous(images.y_test),
    )


def _labelled_split(dataset: str, y: np.ndarray, split_seed: int) -> tuple[np.ndarray, ...]:
    """Row indices: 20 % test and 30 % validation of each label, the remaining normals train.

    The paper's Arrhythmia split (Sec. 4.1), also used for a user's folder of images. On
    Arrhythmia the test set holds only ~13 anomalies, so F1 moves in steps of ~7 points
    with the split: compare protocols on the same ``split_seed``.
    """
    rng = np.random.default_rng(split_seed)
    parts: dict[str, list[np.ndarray]] = {"test": [], "val": [], "train": []}
    for label in (0, 1):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_test, n_val = round(0.2 * len(idx)), round(0.3 * len(idx))
        parts["test"].append(idx[:n_test])
        parts["val"].append(idx[n_test : n_test + n_val])
        if label == 0:
            parts["train"].append(idx[n_test + n_val :])
    test, val, train = (np.concatenate(parts[k]) for k in ("test", "val", "train"))
    if len(train) < 2 or not (y[test] == 1).any():
        msg = (
            f"{dataset}: too few samples to split ({int((y == 0).sum())} normal, {int((y == 1).sum())} anomalous); "
            "need ≥ 4 normal and ≥ 2 anomalous."
        )
        raise ValueError(msg)
    return train, val, test
