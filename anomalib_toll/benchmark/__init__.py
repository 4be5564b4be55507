# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The benchmark bridge: the paper's one-class benchmarks, Toll beside PyOD and anomalib models.

Example:
    >>> from anomalib_toll.benchmark import run_benchmark
"""

from anomalib_toll.benchmark.cell import Cell, run_cell
from anomalib_toll.benchmark.grid import BenchmarkError, run_benchmark
from anomalib_toll.benchmark.store import ResultStore
from anomalib_toll.record import Row

__all__ = ["BenchmarkError", "Cell", "ResultStore", "Row", "run_benchmark", "run_cell"]
