# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""``python -m anomalib_toll.benchmark`` = ``anomalib-toll benchmark`` (the same one-line errors)."""

import sys

from jsonargparse import CLI

from anomalib_toll.benchmark.cli import benchmark
from anomalib_toll.cli_errors import error_path, split_debug

argv, debug = split_debug(sys.argv[1:])
with error_path(debug):
    CLI(benchmark, args=argv, as_positional=False)
