# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The one result type: what one cell of a grid was, what it actually used and what it scored.

A neutral record with no dependency: the benchmark writes it, reports and users read it
without importing torch, the runners or the protocol. ``key`` is the cell's identity
(dataset, a digest of the data it read, class, seed, protocol, model settings and
budget as used): a stored result is reused only under the same key.

Example:
    >>> row = Row("digits", 3, 0, "toll", "paper", "auroc", 0.99, 0.99, 2.5, 0.1, 300.0, "toll(beta=10)", "")
    >>> row.model, row.value, Row.from_dict(row.as_dict()) == row
    ('toll', 0.99, True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass(frozen=True)
class Row:
    """One cell's result (the columns of ``results.csv``)."""

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
    settings: str  # the model's settings as used (β = 10, never None)
    note: str
    key: str = ""  # identity of the cell: see the module docstring
    data_digest: str = ""  # digest of the split's arrays the cell read
    iterations: int = 0  # the budget as used
    batch_size: int = 0
    eval_every: int = 0
    precision: str = ""
    device: str = ""
    n_test_normal: int = 0
    n_test_anomalous: int = 0
    input_shape: str = ""  # one sample, e.g. "1x28x28" or "274"
    versions: str = ""  # anomalib-toll, torch, anomalib, pyod
    training: str = ""  # what training did, where the model logs it (FITYMI: epochs, fakes used, CE and collapse term)
    class_name: str = ""  # the normal class's name: a digit, an MVTec category, a table's file name
    aupr: float | None = None  # metrics some data sets record beside ``metric`` (None: not recorded)
    f1_at_rate: float | None = None  # F1 with as many top scores flagged as the test set has anomalies
    pixel_auroc: float | None = None  # anomalib's pixel metrics, where masks exist and the model gives maps
    aupro: float | None = None
    criteria: str = ""  # compare_criteria: each selection criterion's test metric and step, e.g. "paper=97.3@1800 ..."
    error: str = ""  # a failed cell: its error (value and auroc NaN); such rows are reported, never stored
    family: str = ""  # the group the data set belongs to, where there are groups (ADBench: classical, cv_vit, ...)
    threads: int = 0  # torch's threads at fit time (``torch.get_num_threads()``): results depend on it; 0: not recorded
    chosen_beta: float | None = None  # beta="auto": the β it chose (None: not an auto cell)

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for JSON and CSV."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Row:
        """The row of :meth:`as_dict`'s output; a missing or mistyped field raises."""
        types = {f.name: str(f.type) for f in fields(cls)}  # annotations are strings (``from __future__``)
        casts: dict[str, Callable[[Any], Any]] = {
            "int": int, "float": float, "str": str, "float | None": _optional_float,
        }
        return cls(**{name: casts[types[name]](value) for name, value in values.items()})


def _optional_float(value: float | str | None) -> float | None:
    """``None`` for a missing value (``None`` in JSON, ``""`` in CSV), else the float."""
    return None if value is None or value == "" else float(value)


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Row))
