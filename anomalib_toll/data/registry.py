# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Every data set the package knows, one entry each: the only place dataset facts live.

An entry holds the class names, the paper's per-dataset hyperparameters, the metric, how
the split is drawn, the reader and the preprocessing, and two flags (gray images, a
network small enough to run one cell per core). Names, defaults and class lists
everywhere else derive from :data:`DATASETS`. Adding a data set is one entry here plus
its reader.

Example:
    >>> DATASETS["mnist"].defaults.beta, DATASETS["arrhythmia"].metric
    (1000.0, 'f1')
    >>> get_dataset("svhn")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: dataset must be one of ('mnist', 'fashion_mnist', ..., 'tabular'), got 'svhn'.
    >>> DATASETS["mvtec"].class_names()[:2], DATASETS["mvtec"].class_label
    (('bottle', 'cable'), 'category')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Literal

from anomalib_toll.data.adbench import adbench_family, adbench_names, load_adbench, select_tables
from anomalib_toll.data.anomalib_layouts import (
    MVTEC_CATEGORIES,
    VISA_CATEGORIES,
    FixedSplit,
    load_mvtec,
    load_visa,
    read_folder,
)
from anomalib_toll.data.arrhythmia import load_arrhythmia
from anomalib_toll.data.images import (
    CIFAR10_LAYOUT,
    CIFAR100_LAYOUT,
    FASHION_MNIST_LAYOUT,
    MNIST_LAYOUT,
    ImageSet,
    load_digits_images,
    read_image_set,
)
from anomalib_toll.data.preprocessing import (
    DIGITS_MEAN_STD,
    FASHION_MNIST_MEAN_STD,
    MIN_MAX,
    MNIST_MEAN_STD,
    Preprocessing,
    channel_standardized,
    gcn_min_max,
    raw_float32,
    row_standardized,
    standardized,
)
from anomalib_toll.data.tables import load_table, table_names

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable

    import numpy as np

Metric = Literal["auroc", "f1"]
SplitKind = Literal["official", "labelled", "fixed"]
Reader = Callable[..., "ImageSet | FixedSplit | tuple[np.ndarray, np.ndarray]"]
"""``read(data_root, download, **options)``: ``options`` are the entry's ``options`` (and ``category``)."""
Selector = Callable[..., "tuple[tuple[str, ...], tuple[tuple[str, int], ...]]"]
"""``select(data_root, selection, max_rows)``: the class names a selection stands for, and ``(name, rows)`` skipped."""
IMAGE_OPTIONS = ("image_size",)
FOLDER_OPTIONS = ("normal_dir", "abnormal_dir", "normal_test_dir", "mask_dir", "image_size")


@dataclass(frozen=True)
class PaperDefaults:
    """Hyperparameters the authors kept fixed across the normal classes of a data set.

    Data sets the paper did not tune take ``beta="auto"``: the label-free choice
    (:mod:`anomalib_toll.protocol.beta`), the package's default wherever no paper value exists.
    """

    batch_size: int
    beta: float | Literal["auto"]
    latent_dim: int
    lr: float


@dataclass(frozen=True)
class DatasetSpec:
    """One data set.

    ``split="official"``: the reader returns the official train/test images and the
    protocol holds labelled training images out for validation; ``"labelled"``: the
    reader returns ``(x, y)`` with ``y = 1`` for anomalies and the protocol draws the
    paper's 20 % test / 30 % validation split of each label; ``"fixed"``: the reader
    returns a :class:`FixedSplit` (normal training images, labelled test images, masks
    where known) and the protocol holds normal training images out for validation.

    ``options`` names the keyword arguments the reader takes besides the root (a
    folder's directories, the image size); with ``reads_class`` the reader also gets
    ``category=`` the class's name and reads only that class (an MVTec category, a file
    of a folder of tables). ``list_classes`` lists the classes found under a data root
    when they depend on it (the files of a folder). ``extra_metrics`` are the fields of
    a result recorded beside ``metric`` and AUROC (``aupr``, ``f1_at_rate``);
    ``class_label`` names a class in reports; ``rank_across`` adds the average rank of
    each model across the classes to the summary (each class is a data set of its own).
    ``select`` lets a selection name groups of classes (ADBench's families) and skip
    classes above a row count; ``family`` names the group a class belongs to (recorded
    with each result).
    """

    name: str
    classes: tuple[str, ...]
    defaults: PaperDefaults
    read: Reader
    preprocess: Preprocessing
    split: SplitKind = "official"
    metric: Metric = "auroc"
    grayscale: bool = False
    small_network: bool = False  # too small to use two threads well: one cell per core
    options: tuple[str, ...] = ()
    reads_class: bool = False
    list_classes: Callable[[str | os.PathLike | None], tuple[str, ...]] | None = None
    extra_metrics: tuple[str, ...] = ()
    class_label: str = "normal class"
    rank_across: bool = False
    select: Selector | None = None
    family: Callable[[str | os.PathLike | None, str], str] | None = None

    @property
    def n_classes(self) -> int:
        """Number of normal-class settings (1 for data sets with one normal set)."""
        return len(self.classes)

    def class_names(self, data_root: str | os.PathLike | None = None) -> tuple[str, ...]:
        """The classes: the fixed list, or those found under ``data_root`` (e.g. the files of a folder)."""
        return self.classes if self.list_classes is None else self.list_classes(data_root)

    def select_classes(
        self, classes: Iterable[int | str] | None = None, data_root: str | os.PathLike | None = None,
        max_rows: int | None = None,
    ) -> tuple[list[int], tuple[tuple[str, int], ...]]:
        """Indices (into :meth:`class_names`) of the classes asked for, and ``(name, rows)`` of those skipped.

        ``classes`` holds indices or names (``"bottle"``, a table's file name; with ``select``
        also group names such as ADBench's ``classical``); ``None`` is every class. Only data
        sets with ``select`` take ``max_rows``: classes holding more rows are skipped.

        Raises:
            ValueError: an unknown name or an index out of range (naming the valid ones), or
                ``max_rows`` for a data set without ``select``.
        """
        if max_rows is not None and self.select is None:
            msg = f"dataset {self.name!r} takes no max_rows (only data sets of many tables do: adbench)."
            raise ValueError(msg)
        names = self.class_names(data_root)
        requested = list(classes) if classes is not None else None
        skipped: tuple[tuple[str, int], ...] = ()
        if self.select is not None:
            by_name = [c for c in requested or [] if isinstance(c, str)]
            indices = [c for c in requested or [] if not isinstance(c, str)]
            if requested is None or by_name:
                chosen, skipped = self.select(data_root, by_name if requested is not None else None, max_rows)
                indices += [names.index(name) for name in chosen]
        else:
            requested = requested if requested is not None else list(range(len(names)))
            if bad := [c for c in requested if isinstance(c, str) and c not in names]:
                msg = f"no {self.class_label} {bad} in {self.name}; its {self.class_label} names are {names}."
                raise ValueError(msg)
            indices = [names.index(c) if isinstance(c, str) else c for c in requested]
        if out_of_range := [c for c in indices if not 0 <= c < len(names)]:
            msg = f"classes must be in 0..{len(names) - 1} for {self.name}, got {out_of_range}."
            raise ValueError(msg)
        return list(dict.fromkeys(indices)), skipped


DIGIT_CLASSES = tuple(str(d) for d in range(10))
ONE_NORMAL_SET = ("normal",)

DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            "mnist", DIGIT_CLASSES, PaperDefaults(batch_size=1000, beta=1000.0, latent_dim=128, lr=1e-4),
            read=partial(read_image_set, "mnist", MNIST_LAYOUT), preprocess=standardized(*MNIST_MEAN_STD),
            grayscale=True,
        ),
        DatasetSpec(
            "fashion_mnist",
            ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
            PaperDefaults(batch_size=500, beta=100.0, latent_dim=256, lr=1e-4),
            read=partial(read_image_set, "fashion_mnist", FASHION_MNIST_LAYOUT),
            preprocess=standardized(*FASHION_MNIST_MEAN_STD), grayscale=True,
        ),
        DatasetSpec(
            "cifar10",
            ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
            PaperDefaults(batch_size=50, beta=10.0, latent_dim=64, lr=1e-2),
            read=partial(read_image_set, "cifar10", CIFAR10_LAYOUT), preprocess=gcn_min_max(MIN_MAX["cifar10"]),
        ),
        DatasetSpec(
            "cifar100",
            (
                "aquatic mammals", "fish", "flowers", "food containers", "fruit and vegetables",
                "household electrical devices", "household furniture", "insects", "large carnivores",
                "large man-made outdoor things", "large natural outdoor scenes", "large omnivores and herbivores",
                "medium-sized mammals", "non-insect invertebrates", "people", "reptiles", "small mammals", "trees",
                "vehicles 1", "vehicles 2",
            ),
            PaperDefaults(batch_size=100, beta=100.0, latent_dim=64, lr=1e-3),
            read=partial(read_image_set, "cifar100", CIFAR100_LAYOUT), preprocess=gcn_min_max(MIN_MAX["cifar100"]),
        ),
        # Not in the paper: scikit-learn's bundled 8x8 digits, the no-download demo.
        DatasetSpec(
            "digits", DIGIT_CLASSES, PaperDefaults(batch_size=64, beta=10.0, latent_dim=16, lr=1e-3),
            read=load_digits_images, preprocess=standardized(*DIGITS_MEAN_STD), grayscale=True, small_network=True,
        ),
        DatasetSpec(
            "arrhythmia", ONE_NORMAL_SET, PaperDefaults(batch_size=100, beta=10.0, latent_dim=16, lr=1e-3),
            read=lambda root, _download: load_arrhythmia(root), preprocess=raw_float32, split="labelled", metric="f1",
            small_network=True,
        ),
        # Not in the paper: a user's images (resized to 32×32 by default, the B.2 network), anomalib
        # Folder's arguments; normal/ + abnormal/ split as Arrhythmia, the MVTec layout as given.
        DatasetSpec(
            "folder", ONE_NORMAL_SET, PaperDefaults(batch_size=64, beta="auto", latent_dim=64, lr=1e-3),
            read=read_folder, preprocess=channel_standardized, split="labelled", options=FOLDER_OPTIONS,
            extra_metrics=("f1_at_rate",),
        ),
        # Not in the paper: anomalib's industrial data sets, one category per class, 256×256 by default.
        DatasetSpec(
            "mvtec", MVTEC_CATEGORIES, PaperDefaults(batch_size=32, beta="auto", latent_dim=64, lr=1e-3),
            read=load_mvtec, preprocess=channel_standardized, split="fixed", options=IMAGE_OPTIONS, reads_class=True,
            extra_metrics=("f1_at_rate",), class_label="category",
        ),
        DatasetSpec(
            "visa", VISA_CATEGORIES, PaperDefaults(batch_size=32, beta="auto", latent_dim=64, lr=1e-3),
            read=load_visa, preprocess=channel_standardized, split="fixed", options=IMAGE_OPTIONS, reads_class=True,
            extra_metrics=("f1_at_rate",), class_label="category",
        ),
        # Not in the paper: ADBench's data sets in ADBench's own layout, by ADBench's names and families; β is
        # chosen per data set (beta="auto", TollDetector's default), as on every data set the paper did not tune.
        DatasetSpec(
            "adbench", (), PaperDefaults(batch_size=100, beta="auto", latent_dim=16, lr=1e-3),
            read=load_adbench, preprocess=row_standardized, split="labelled", small_network=True, reads_class=True,
            list_classes=adbench_names, extra_metrics=("aupr", "f1_at_rate"), class_label="dataset", rank_across=True,
            select=select_tables, family=adbench_family,
        ),
        # Not in the paper: ODDS .mat / ADBench .npz tables (X, y), each file a data set; Arrhythmia's settings.
        DatasetSpec(
            "tabular", (), PaperDefaults(batch_size=100, beta="auto", latent_dim=16, lr=1e-3),
            read=load_table, preprocess=row_standardized, split="labelled", small_network=True, reads_class=True,
            list_classes=table_names, extra_metrics=("aupr", "f1_at_rate"), class_label="dataset", rank_across=True,
        ),
    )
}
IMAGE_DATASETS = tuple(name for name, spec in DATASETS.items() if spec.split == "official")


def get_dataset(name: str) -> DatasetSpec:
    """The entry of ``name``, or a ``ValueError`` listing the known names."""
    if name not in DATASETS:
        msg = f"dataset must be one of {tuple(DATASETS)}, got {name!r}."
        raise ValueError(msg)
    return DATASETS[name]


def load_images(name: str, data_root: str | os.PathLike | None = None, download: bool = False) -> ImageSet:
    """The official split of an image data set as uint8 arrays (see :mod:`anomalib_toll.data.images`).

    Raises:
        ValueError: ``name`` is not one of :data:`IMAGE_DATASETS`.
        FileNotFoundError: nothing found; the message lists every place looked at.
    """
    if name not in IMAGE_DATASETS:
        msg = f"dataset must be one of {IMAGE_DATASETS}, got {name!r}."
        raise ValueError(msg)
    images = DATASETS[name].read(data_root, download)
    assert isinstance(images, ImageSet)  # official splits are read as image sets
    return images


def preprocess_images(name: str, x: np.ndarray, normal_class: int) -> np.ndarray:
    """The paper's preprocessing of uint8 images of an image data set for a normal class; float32 NCHW."""
    if name not in IMAGE_DATASETS:
        msg = f"no preprocessing known for dataset {name!r}; expected one of {IMAGE_DATASETS}."
        raise ValueError(msg)
    return DATASETS[name].preprocess(normal_class, x[:0])(x)
