# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Result rows read as cells (class and model): the values over seeds, the classes' names and ranks.

The lowest module of the report: the tables, the tests of significance and the plots all
read rows through it, so none of them needs another's internals (no import circle).

Example:
    >>> from anomalib_toll.record import Row
    >>> rows = [Row("digits", 0, s, "toll", "paper", "auroc", v, v, 1.0, 0.1, 100.0, "", "")
    ...         for s, v in enumerate([0.9, 0.8])]
    >>> classes, models, values = stats(rows, "value")
    >>> classes, models, values[0, "toll"]
    ([0], ['toll'], [90.0, 80.0])
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from anomalib_toll.record import Row


def stats(rows: Sequence[Row], field: str) -> tuple[list[int], list[str], dict[tuple[int, str], list[float]]]:
    """Classes, models (in row order) and the values of ``field`` in % per (class, model); unrecorded and failed out."""
    classes = sorted({r.normal_class for r in rows})
    models = list(dict.fromkeys(r.model for r in rows))
    values: dict[tuple[int, str], list[float]] = defaultdict(list)
    for r in rows:
        if not r.error and (value := getattr(r, field)) is not None:
            values[r.normal_class, r.model].append(100.0 * value)
    return classes, models, values


def class_labels(rows: Sequence[Row], class_names: Sequence[str] | None = None) -> dict[int, str]:
    """Each class's name: the one its results recorded, else ``class_names[k]``, else the index."""
    labels = {r.normal_class: r.class_name for r in rows if r.class_name}
    for k in {r.normal_class for r in rows} - set(labels):
        labels[k] = class_names[k] if class_names is not None and k < len(class_names) else str(k)
    return labels


def rank_matrix(means: np.ndarray) -> np.ndarray:
    """Ranks of the models (columns) within each data set (row): 1 = highest mean, ties share their mean rank."""
    from scipy.stats import rankdata

    return rankdata(-np.asarray(means, dtype=np.float64), axis=1) if np.size(means) else np.zeros(np.shape(means))
