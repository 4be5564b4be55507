# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""anomalib models of the plugin and their data modules; importing this module registers them with anomalib's CLI.

jsonargparse resolves ``--model Toll`` among the imported ``AnomalibModule`` subclasses,
so once this module is imported (the ``anomalib-toll`` command and the start-up hook do
it) the short name works like a built-in model's. ``anomalib.models.get_model`` resolves
every model of :data:`MODELS` by its name too (``"toll"``, ``"fitymi"``, ``"fitymi_toll"``):
it searches only the direct subclasses of ``AnomalibModule``, which each of them is.

Example:
    >>> from anomalib_toll.models import OneClass, Toll
    >>> from anomalib.models import get_model
    >>> type(get_model("toll")).__name__
    'Toll'
"""

from anomalib_toll.models.data import OneClass, PixelOneClass, SplitDataModule
from anomalib_toll.models.image import Fitymi, FitymiToll, Toll

MODELS = {"fitymi": Fitymi, "fitymi_toll": FitymiToll, "toll": Toll}

__all__ = ["MODELS", "Fitymi", "FitymiToll", "OneClass", "PixelOneClass", "SplitDataModule", "Toll"]
