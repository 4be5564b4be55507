# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""FITYMI and FITYMI+Toll for anomalib.

Example:
    >>> from anomalib_toll.models.image.fitymi_toll import FitymiToll
    >>> model = FitymiToll(collapse_weight=1.0, fake_source="perlin")  # doctest: +SKIP
"""

from anomalib_toll.models.image.fitymi_toll.lightning_model import Fitymi, FitymiPreProcessor, FitymiToll
from anomalib_toll.models.image.fitymi_toll.torch_model import FitymiTollModel, knn_score

__all__ = ["Fitymi", "FitymiPreProcessor", "FitymiToll", "FitymiTollModel", "knn_score"]
