# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""``python -m anomalib_toll.benchmark`` = ``anomalib-toll benchmark``."""

from anomalib_toll.cli import main

main(["benchmark", *__import__("sys").argv[1:]])
