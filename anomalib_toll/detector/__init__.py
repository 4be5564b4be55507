# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""PyOD surface of Toll.

Example:
    >>> from anomalib_toll.detector import TollDetector
"""

from anomalib_toll.detector.toll import TollDetector

__all__ = ["TollDetector"]
