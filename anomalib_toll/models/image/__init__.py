# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Image models of the plugin."""

from anomalib_toll.models.image.fitymi_toll import Fitymi, FitymiToll
from anomalib_toll.models.image.toll import Toll

__all__ = ["Fitymi", "FitymiToll", "Toll"]
