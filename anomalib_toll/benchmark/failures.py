# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""How a grid ends when it does not finish: failed cells as rows, Ctrl-C in one line, no empty folder.

A failed cell is a result too: a row with its error (and no value) in ``results.csv``,
``results.json`` and the summary, never in the store (``results.jsonl``), so a rerun
retries it. An interrupted run says how many finished cells the store keeps and how to
resume.

Example:
    >>> str(interrupted(Path("nowhere"), existed=False))
    'no cell finished, nothing was kept; run the same command again to start over.'
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import TYPE_CHECKING

from anomalib_toll.benchmark.store import ResultStore
from anomalib_toll.data import get_dataset
from anomalib_toll.record import Row

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from anomalib_toll.benchmark.cell import Cell


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a grid; the message says what the store keeps and how to resume."""

    exit_status = 130


def remove_if_empty(output: Path, existed: bool) -> None:
    """Remove ``output`` if this run made it and left nothing in it."""
    output = Path(output)
    if not existed and output.is_dir() and not any(output.iterdir()):
        with contextlib.suppress(OSError):
            output.rmdir()


def interrupted(output: Path, existed: bool) -> RunInterrupted:
    """The error to end an interrupted run with (an empty folder it made is removed first)."""
    output = Path(output)
    store = output / "results.jsonl"
    kept = len(ResultStore(output).rows()) if store.exists() else 0
    remove_if_empty(output, existed)
    if not kept:
        return RunInterrupted("no cell finished, nothing was kept; run the same command again to start over.")
    return RunInterrupted(
        f"{kept} finished cell(s) kept in {store}; run the same command again to resume (they are not rerun).",
    )


def failed_rows(
    failures: Sequence[tuple[Cell, BaseException]], names: Mapping[str, str],
    identity: Mapping[tuple[int, int, str], tuple[str, str]],
) -> list[Row]:
    """A row per failed cell: its identity, settings and error, no value (NaN).

    Args:
        failures: The failed cells and their errors.
        names: The column each model's results go under (``badmod.Boom`` -> ``boom``), as in every other row.
        identity: ``(class, seed, model)`` -> the cell's resume key and settings, as the grid computed them.
    """
    rows = []
    for cell, error in failures:
        key, settings = identity[cell.normal_class, cell.seed, cell.model]
        rows.append(Row(
            dataset=cell.dataset, normal_class=cell.normal_class, seed=cell.seed, model=names[cell.model],
            protocol=cell.protocol, metric=get_dataset(cell.dataset).metric, value=math.nan, auroc=math.nan,
            fit_seconds=0.0, score_seconds=0.0, peak_rss_mb=0.0, settings=settings, note="", key=key,
            error=f"{type(error).__name__}: {error}",
        ))
    return rows
