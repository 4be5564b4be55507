# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""anomalib models of the plugin and their data modules; importing this module registers them with anomalib's CLI.

jsonargparse resolves ``--model Toll`` among the imported ``AnomalibModule`` subclasses,
so once this module is imported (the ``anomalib-toll`` command and the start-up hook do
it) the short name works like a built-in model's.

Example:
    >>> from anomalib_toll.models import OneClass, Toll
"""

from anomalib_toll.models.data import OneClass, PixelOneClass, SplitDataModule
from anomalib_toll.models.image import Fitymi, FitymiToll, Toll

MODELS = {"fitymi": Fitymi, "fitymi_toll": FitymiToll, "toll": Toll}

__all__ = ["MODELS", "Fitymi", "FitymiToll", "OneClass", "PixelOneClass", "SplitDataModule", "Toll"]
