# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Toll for anomalib.

Example:
    >>> from anomalib_toll.models.image.toll import Toll
    >>> model = Toll(beta=10.0)
"""

from anomalib_toll.models.image.toll.lightning_model import Toll
from anomalib_toll.models.image.toll.torch_model import TollModel

__all__ = ["Toll", "TollModel"]
