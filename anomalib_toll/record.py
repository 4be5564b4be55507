# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The one result type: what one cell of a grid was, what it used and what it scored.

A neutral record with no dependency: the benchmark writes it, reports and users read it
without importing torch, the runners or the protocol.

Example:
    >>> row = Row("digits", 3, 0, "toll", "paper", "auroc", 0.99, 0.99, 2.5, 0.1, 300.0, "", "")
    >>> row.model, row.value
    ('toll', 0.99)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One cell's result (the columns of results.csv)."""

    dataset: str
    normal_class: int
    seed: int
    model: str
    protocol: str
    metric: str
    value: float
    auroc: float
    fit_seconds: float
    score_seconds: float
    peak_rss_mb: float
    settings: str
    note: str
