# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""One-class splits of the paper's protocol: one class normal, every other class anomalous.

Three ways to pick the checkpoint, named by what the validation set holds:

* ``paper`` — as the authors did: a validation set of labelled samples from all classes
  (10,000 training images for the image sets; 30 % of Arrhythmia), scored with the test
  metric. It sees anomaly labels before test time.
* ``clean`` — never sees an anomaly label before test: the validation set keeps only the
  normal samples of the same held-out rows, and the checkpoint with the lowest mean Toll
  score on them (the held-out training loss) is kept.

* ``synthetic`` — never sees an anomaly label either: the normal held-out rows against
  synthetic anomalies made from them (:mod:`~anomalib_toll.protocol.synthetic`), the
  checkpoint of highest AUROC kept.

The training rows are the same in all three, so they differ only in selection.

* ``adbench`` — ADBench's unsupervised protocol for labelled tables: a stratified 70/30
  train/test split drawn with the run's seed; every model trains on all training rows
  (anomalies included, unlabelled), and Toll keeps the checkpoint with the lowest mean
  score on them (its training loss): no label is seen before test.

Data sets whose split is fixed by the files (MVTec AD, VisA, a folder with test images
or masks) have no labelled anomalies outside the test set: 10 % of the normal training
images are held out, so ``paper`` and ``clean`` both select on held-out normals there.

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

from anomalib_toll.core.checks import check_positive_int
from anomalib_toll.data import ImageSet, get_dataset
from anomalib_toll.data.anomalib_layouts import FixedSplit

if TYPE_CHECKING:
    from anomalib_toll.data.registry import Metric

Protocol = Literal["paper", "clean", "synthetic", "adbench"]
PROTOCOLS: tuple[str, ...] = ("paper", "clean", "synthetic", "adbench")
VAL_SIZE = 10_000  # labelled training images held out by the authors (paper Sec. 4.1)
FIXED_VAL_FRACTION = 0.1  # normal training images held out where the files fix the split
ADBENCH_TEST_SIZE = 0.3  # ADBench's stratified 70/30 split
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
    mask_test: np.ndarray | None = None  # (N, H, W) uint8, 1 = anomalous pixel; None without masks
    class_name: str = ""  # the normal class's name: a digit, an MVTec category, a table's file name
    family: str = ""  # the group of the data set where its registry entry has groups (ADBench's families)
    data_root: str | None = None  # where the data were read (None: $ANOMALIB_TOLL_DATA); adapters that re-read
    download: bool = False  # the raw images (FITYMI trains on pixels) read them from the same place

    @functools.cached_property
    def digest(self) -> str:
        """A digest of every array of the split: results are reused only on the same data."""
        h = hashlib.blake2b(digest_size=8)
        masks = () if self.mask_test is None else (self.mask_test,)
        for array in (self.x_train, self.x_val, self.y_val, self.x_test, self.y_test, *masks):
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
    protocol: str = "paper",
    **options,
) -> OneClassSplit:
    """Build the cell's split; see the module docstring for what each protocol uses.

    ``split_seed`` draws the held-out rows; the authors used one fixed split for all
    seeds (the default). Passing the run's seed instead adds the split's variance.
    ``options`` go to the data set's reader (its entry's ``options``: a folder's
    directories, ``image_size``).

    Raises:
        ValueError: an unknown dataset, class, protocol or option (named), or
            ``protocol="adbench"`` on data that are not one labelled pool.
    """
    spec = get_dataset(dataset)
    check_protocol(protocol)
    if unknown := sorted(set(options) - set(spec.options)):
        takes = f"it takes {', '.join(spec.options)}" if spec.options else "it takes none"
        msg = f"dataset {dataset!r} takes no data option {', '.join(unknown)} ({takes})."
        raise ValueError(msg)
    names = spec.class_names(data_root)
    if not 0 <= normal_class < len(names):
        msg = f"normal_class must be in 0..{len(names) - 1} for {dataset}, got {normal_class}."
        raise ValueError(msg)
    if "image_size" in options:
        options["image_size"] = check_positive_int("image_size", options["image_size"])
    if spec.reads_class:
        options["category"] = names[normal_class]
    data = spec.read(data_root, download, **options)
    label = f"{dataset} {names[normal_class]}" if spec.reads_class else dataset
    mask_test = None
    if isinstance(data, (ImageSet, FixedSplit)) and protocol == "adbench":
        msg = (
            "protocol 'adbench' splits one labelled pool of rows (tables, a normal/ + abnormal/ folder); "
            f"{label} has a fixed test set."
        )
        raise ValueError(msg)
    if isinstance(data, ImageSet):
        x_train, x_val, y_val, x_test, y_test = _official_split(data, normal_class, split_seed)
    elif isinstance(data, FixedSplit):
        x_train, x_val, y_val, x_test, y_test = _fixed_split(label, data, split_seed)
        mask_test = data.mask_test
    else:
        x, y = data
        if protocol == "adbench":
            train, test = _adbench_split(label, y, split_seed)
            x_train, x_val, y_val = x[train], x[train], np.zeros(len(train), np.int64)  # unlabelled: presumed normal
        else:
            train, val, test = _labelled_split(label, y, split_seed)
            x_train, x_val, y_val = x[train], x[val], y[val]
        x_test, y_test = x[test], y[test]
    transform = spec.preprocess(normal_class, x_train)
    return OneClassSplit(
        dataset=dataset, normal_class=normal_class, x_train=transform(x_train), x_val=transform(x_val),
        y_val=y_val.astype(np.int64), x_test=transform(x_test), y_test=y_test.astype(np.int64), metric=spec.metric,
        mask_test=mask_test, class_name=names[normal_class],
        family=spec.family(data_root, names[normal_class]) if spec.family is not None else "",
        data_root=None if data_root is None else str(data_root), download=download,
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
        images.x_train[train_idx], images.x_train[val_idx], anomalous(images.y_train[val_idx]),
        images.x_test, anomalous(images.y_test),
    )


def _fixed_split(label: str, images: FixedSplit, split_seed: int) -> tuple[np.ndarray, ...]:
    """The data's own test set; 10 % of the normal training images held out (validation: normal only)."""
    n_train = len(images.x_train)
    if n_train < 2 or not (images.y_test == 1).any() or not (images.y_test == 0).any():
        msg = (
            f"{label}: need ≥ 2 normal training images and normal and anomalous test images, got {n_train} training, "
            f"{int((images.y_test == 0).sum())} normal and {int((images.y_test == 1).sum())} anomalous test images."
        )
        raise ValueError(msg)
    n_val = max(1, round(FIXED_VAL_FRACTION * n_train))
    order = np.random.default_rng(split_seed).permutation(n_train)
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    return images.x_train[train], images.x_train[val], np.zeros(n_val, np.int64), images.x_test, images.y_test


def _adbench_split(label: str, y: np.ndarray, split_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(train, test)``: ADBench's stratified 70/30 split, drawn with ``split_seed``."""
    from sklearn.model_selection import train_test_split

    if min(int((y == 0).sum()), int((y == 1).sum())) < 2:
        msg = (
            f"{label}: a stratified split needs ≥ 2 rows of each label, "
            f"got {int((y == 0).sum())} normal and {int((y == 1).sum())} anomalous."
        )
        raise ValueError(msg)
    train, test = train_test_split(np.arange(len(y)), test_size=ADBENCH_TEST_SIZE, stratify=y, random_state=split_seed)
    return train, test


def _labelled_split(label: str, y: np.ndarray, split_seed: int) -> tuple[np.ndarray, ...]:
    """Row indices: 20 % test and 30 % validation of each label, the remaining normals train.

    The paper's Arrhythmia split (Sec. 4.1), also used for a user's folder of images. On
    Arrhythmia the test set holds only ~13 anomalies, so F1 moves in steps of ~7 points
    with the split: compare protocols on the same ``split_seed``.
    """
    rng = np.random.default_rng(split_seed)
    parts: dict[str, list[np.ndarray]] = {"test": [], "val": [], "train": []}
    for value in (0, 1):  # not ``label``: that names the data set in the error below
        idx = rng.permutation(np.flatnonzero(y == value))
        n_test, n_val = round(0.2 * len(idx)), round(0.3 * len(idx))
        parts["test"].append(idx[:n_test])
        parts["val"].append(idx[n_test : n_test + n_val])
        if value == 0:
            parts["train"].append(idx[n_test + n_val :])
    test, val, train = (np.concatenate(parts[k]) for k in ("test", "val", "train"))
    if len(train) < 2 or not (y[test] == 1).any():
        msg = (
            f"{label}: too few samples to split ({int((y == 0).sum())} normal, {int((y == 1).sum())} anomalous); "
            "need ≥ 4 normal and ≥ 2 anomalous."
        )
        raise ValueError(msg)
    return train, val, test
