# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""A result store that never loses or invents a row.

``results.jsonl`` is the store: one line per finished cell, holding the row and a
checksum of it, appended and fsync'ed before the next cell starts. A line cut by a kill
or damaged later fails its checksum: it is reported once and its cell recomputed, never
read as a row. ``results.csv`` and ``results.json`` are exports, rewritten atomically
from the store after each cell, so they always parse.

Example:
    >>> store = ResultStore(Path(tempfile.mkdtemp()))
    >>> store.rows()
    []
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path

from anomalib_toll.record import COLUMNS, Row


def _checksum(payload: str) -> str:
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _write_atomically(path: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False, newline="",
    ) as tmp:
        tmp.write(text)
        tmp.flush()
        os.fsync(tmp.fileno())
    Path(tmp.name).replace(path)


class ResultStore:
    """``results.jsonl`` (the store) and its ``results.csv`` / ``results.json`` exports in ``output``."""

    def __init__(self, output: Path) -> None:
        self.output = Path(output)
        self.output.mkdir(parents=True, exist_ok=True)
        self.path = self.output / "results.jsonl"
        self._reported: set[int] = set()

    def check_writable(self) -> None:
        """Prove the folder takes files now, before any cell trains."""
        try:
            _write_atomically(self.output / ".write_check", "ok")
            (self.output / ".write_check").unlink()
        except OSError as err:
            msg = f"output folder {self.output} is not writable ({err.strerror}); pass another --output."
            raise PermissionError(msg) from err

    def rows(self) -> list[Row]:
        """Every intact row, in the order written; damaged lines are reported once and skipped."""
        if not self.path.exists():
            return []
        rows = []
        for number, line in enumerate(self.path.read_bytes().split(b"\n"), start=1):
            if not line.strip():
                continue
            row = self._parse(line)
            if row is None and number not in self._reported:
                self._reported.add(number)
                msg = f"{self.path}:{number}: damaged record skipped (cut by a kill?); its cell will rerun."
                warnings.warn(msg, stacklevel=2)
            elif row is not None:
                rows.append(row)
        return rows

    @staticmethod
    def _parse(line: bytes) -> Row | None:
        try:
            record = json.loads(line)
            payload = json.dumps(record["row"], sort_keys=True)
            if record["checksum"] != _checksum(payload):
                return None
            return Row.from_dict(record["row"])
        except (ValueError, KeyError, TypeError):
            return None

    def append(self, row: Row) -> None:
        """Add one row durably (fsync'ed), then refresh the exports."""
        payload = json.dumps(row.as_dict(), sort_keys=True)
        line = json.dumps({"row": row.as_dict(), "checksum": _checksum(payload)}) + "\n"
        torn = self.path.exists() and self.path.stat().st_size > 0 and not self.path.read_bytes().endswith(b"\n")
        with self.path.open("a", encoding="utf-8") as f:
            f.write(("\n" if torn else "") + line)  # a cut last line stays on its own line, damaged
            f.flush()
            os.fsync(f.fileno())
        self.export()

    def export(self) -> None:
        """Rewrite ``results.csv`` and ``results.json`` from the store (atomically: always parseable)."""
        rows = [r.as_dict() for r in self.rows()]
        with tempfile.SpooledTemporaryFile(mode="w+", encoding="utf-8", newline="") as buffer:
            writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
            buffer.seek(0)
            _write_atomically(self.output / "results.csv", buffer.read())
        _write_atomically(self.output / "results.json", json.dumps(rows, indent=2))
