# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""One-class data: the data set registry, the readers and the paper's preprocessing.

Importing this package never imports anomalib or Lightning; the anomalib data modules
(``OneClass``, ``PixelOneClass``) live with the models in :mod:`anomalib_toll.models`,
and the readers of anomalib's layouts (MVTec AD, VisA, ``Folder``) import anomalib only
when they are called.

Example:
    >>> from anomalib_toll.data import load_images, preprocess_images
    >>> images = load_images("digits")
    >>> preprocess_images("digits", images.x_train[:2], normal_class=0).shape
    (2, 1, 8, 8)
"""

from anomalib_toll.data.anomalib_layouts import FixedSplit, load_mvtec, load_visa, read_folder
from anomalib_toll.data.arrhythmia import arrhythmia_from_uci, load_arrhythmia
from anomalib_toll.data.folder import load_folder
from anomalib_toll.data.images import CIFAR100_COARSE, ImageSet
from anomalib_toll.data.preprocessing import (
    MIN_MAX,
    class_min_max,
    global_contrast_normalization,
    min_max_scaled,
    to_pixels,
)
from anomalib_toll.data.registry import (
    DATASETS,
    IMAGE_DATASETS,
    DatasetSpec,
    PaperDefaults,
    get_dataset,
    load_images,
    preprocess_images,
)
from anomalib_toll.data.root import ENV_VAR, resolve_data_root
from anomalib_toll.data.tables import load_table, read_table, table_names

__all__ = [
    "CIFAR100_COARSE",
    "DATASETS",
    "ENV_VAR",
    "IMAGE_DATASETS",
    "MIN_MAX",
    "DatasetSpec",
    "FixedSplit",
    "ImageSet",
    "PaperDefaults",
    "arrhythmia_from_uci",
    "class_min_max",
    "get_dataset",
    "global_contrast_normalization",
    "load_arrhythmia",
    "load_folder",
    "load_images",
    "load_mvtec",
    "load_table",
    "load_visa",
    "min_max_scaled",
    "preprocess_images",
    "read_folder",
    "read_table",
    "resolve_data_root",
    "table_names",
    "to_pixels",
]
