# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""``python -m anomalib_toll.benchmark`` = ``anomalib-toll benchmark``."""

from jsonargparse import CLI

from anomalib_toll.benchmark.cli import benchmark

CLI(benchmark, as_positional=False)
