# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""One-class data: the paper's data sets as arrays, and their preprocessing.

Importing this package never imports anomalib or Lightning; ``OneClass`` (the anomalib
data module) is loaded on first use.

Example:
    >>> from anomalib_toll.data import load_images, preprocess_images
    >>> images = load_images("digits")
    >>> preprocess_images("digits", images.x_train[:2], normal_class=0).shape
    (2, 1, 8, 8)
"""

from anomalib_toll.data.arrhythmia import arrhythmia_from_uci, load_arrhythmia
from anomalib_toll.data.folder import load_folder
from anomalib_toll.data.images import CIFAR100_COARSE, CLASSES, IMAGE_DATASETS, ImageSet, load_images
from anomalib_toll.data.preprocessing import (
    MIN_MAX,
    class_min_max,
    global_contrast_normalization,
    preprocess_images,
    standardize_channels,
    to_pixels,
)
from anomalib_toll.data.root import ENV_VAR, resolve_data_root

DATASETS = (*IMAGE_DATASETS, "arrhythmia", "folder")


def __getattr__(name: str) -> object:
    if name in {"OneClass", "OneClassDataset", "PixelOneClass", "SplitDataModule"}:
        from anomalib_toll.data import one_class_datamodule

        return getattr(one_class_datamodule, name)
    msg = f"module 'anomalib_toll.data' has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [
    "CIFAR100_COARSE",
    "CLASSES",
    "DATASETS",
    "ENV_VAR",
    "IMAGE_DATASETS",
    "MIN_MAX",
    "ImageSet",
    "OneClass",
    "PixelOneClass",
    "arrhythmia_from_uci",
    "class_min_max",
    "global_contrast_normalization",
    "load_arrhythmia",
    "load_folder",
    "load_images",
    "preprocess_images",
    "resolve_data_root",
    "standardize_channels",
    "to_pixels",
]
