# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Append-only results: a killed run restarted with the same arguments loses no finished cell.

Each finished cell is one CSV line, written and fsync'ed before the next cell starts; a
line cut off by a kill is ignored on reading. ``results.json`` is rewritten from the CSV.

Example:
    >>> store = ResultStore(Path(tempfile.mkdtemp()))
    >>> store.rows()
    []
"""

from __future__ import annotations

import csv
import json
import os
import tempfile  # noqa: F401  (used in the example)
from dataclasses import asdict, fields
from pathlib import Path

from anomalib_toll.record import Row


COLUMNS = [f.name for f in fields(Row)]
TYPES = {f.name: f.type for f in fields(Row)}


def _parse(line: dict[str, str]) -> Row | None:
    try:
        values = {k: (int(v) if TYPES[k] == "int" else float(v) if TYPES[k] == "float" else v) for k, v in line.items()}
        return Row(**values)
    except (TypeError, ValueError, KeyError):
        return None  # a line cut off by a kill


class ResultStore:
    """``results.csv`` (append-only, one line per cell) and ``results.json`` in ``output``."""

    def __init__(self, output: Path) -> None:
        self.output = Path(output)
        self.output.mkdir(parents=True, exist_ok=True)
        self.csv = self.output / "results.csv"

    def rows(self) -> list[Row]:
        if not self.csv.exists():
            return []
        with self.csv.open(newline="") as f:
            return [row for line in csv.DictReader(f) if (row := _parse(line)) is not None]

    def append(self, row: Row) -> None:
        new = not self.csv.exists() or self.csv.stat().st_size == 0
        torn = not new and not self.csv.read_bytes().endswith(b"\n")  # a kill cut the last line
        with self.csv.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            if new:
                writer.writeheader()
            if torn:
                f.write("\n")
            writer.writerow(asdict(row))
            f.flush()
            os.fsync(f.fileno())

    def write_json(self) -> Path:
        path = self.output / "results.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps([asdict(r) for r in self.rows()], indent=2))
        tmp.replace(path)
        return path
