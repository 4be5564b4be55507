# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The anomalib side of the data: in-memory one-class data modules and FITYMI's fake sources.

They live with the models because they need anomalib; :mod:`anomalib_toll.data` stays
free of anomalib and Lightning.

Example:
    >>> from anomalib_toll.models.data import OneClass, make_fake_source
"""

from anomalib_toll.models.data.fakes import (
    GENERATORS,
    CutPasteFakes,
    FakeSource,
    FileFakes,
    PerlinFakes,
    check_fake_source,
    class_block,
    data_identity,
    fake_presenter,
    load_fake_images,
    make_fake_source,
)
from anomalib_toll.models.data.one_class import OneClass, OneClassDataset, PixelOneClass, SplitDataModule

__all__ = [
    "GENERATORS",
    "CutPasteFakes",
    "FakeSource",
    "FileFakes",
    "OneClass",
    "OneClassDataset",
    "PerlinFakes",
    "PixelOneClass",
    "SplitDataModule",
    "check_fake_source",
    "class_block",
    "data_identity",
    "fake_presenter",
    "load_fake_images",
    "make_fake_source",
]
