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
    >>> get_dataset("svhn")
    Traceback (most recent call last):
    ...
    ValueError: dataset must be one of ('mnist', 'fashion_mnist', 'cifar10', 'cifar100', 'digits', 'arrhythmia', 'folder'), got 'svhn'.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np

from anomalib_toll.data.arrhythmia import load_arrhythmia
from anomalib_toll.data.folder import load_folder_labelled
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
    standardized,
)

Metric = Literal["auroc", "f1"]
SplitKind = Literal["official", "labelled"]
Reader = Callable[[str | os.PathLike | None, bool], "ImageSet | tuple[np.ndarray, np.ndarray]"]


@dataclass(frozen=True)
class PaperDefaults:
    """Hyperparameters the authors kept fixed across the normal classes of a data set."""

    batch_size: int
    beta: float
    latent_dim: int
    lr: float


@dataclass(frozen=True)
class DatasetSpec:
    """One data set.

    ``split="official"``: the reader returns the official train/test images and the
    protocol holds labelled training images out for validation; ``"labelled"``: the
    reader returns ``(x, y)`` with ``y = 1`` for anomalies and the protocol draws the
    paper's 20 % test / 30 % validation split of each label.
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

    @property
    def n_classes(self) -> int:
        """Number of normal-class settings (1 for data sets with one normal set)."""
        return len(self.classes)


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
            read=lambda root, download: load_arrhythmia(root), preprocess=raw_float32, split="labelled", metric="f1",
            small_network=True,
        ),
        # Not in the paper: a user's normal/ and abnormal/ images (resized to 32×32, the B.2 network).
        DatasetSpec(
            "folder", ONE_NORMAL_SET, PaperDefaults(batch_size=64, beta=10.0, latent_dim=64, lr=1e-3),
            read=lambda root, download: load_folder_labelled(root), preprocess=channel_standardized, split="labelled",
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
