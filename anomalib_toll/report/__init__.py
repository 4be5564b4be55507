# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Report: paper-style Markdown tables and matplotlib plots of benchmark results.

Example:
    >>> from anomalib_toll.report import summary_markdown, write_plots
"""

from anomalib_toll.report.plots import write_plots
from anomalib_toll.report.tables import summary_markdown, summary_table

__all__ = ["summary_markdown", "summary_table", "write_plots"]
