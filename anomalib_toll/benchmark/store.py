# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""A result store that never loses or invents a row.

``results.jsonl`` is the store: one line per finished cell, holding the row and a
checksum of it, appended and fsync'ed before the next cell starts. A line cut by a kill
or damaged later fails its checksum: it is never read as a row, its cell is recomputed,
and it is moved to ``results.jsonl.damaged`` (kept, never deleted), so it is reported
once. ``results.csv`` and ``results.json`` are exports, rewritten atomically from the
store (and the run's failed cells) after each cell, so they always parse; every file
gets the mode ``open`` would give it.

Example:
    >>> store = ResultStore(Path(tempfile.mkdtemp()))
    >>> store.rows()
    []
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import math
import os
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from anomalib_toll.notices import InputWarning
from anomalib_toll.record import COLUMNS, Row

if TYPE_CHECKING:
    from collections.abc import Sequence


def _checksum(payload: str) -> str:
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _file_mode(path: Path) -> int:
    """The mode ``path`` has, or the one ``open`` would give a new file (0o666 less the umask)."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_atomically(path: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False, newline="",
    ) as tmp:
        tmp.write(text)
        tmp.flush()
        os.fsync(tmp.fileno())
    Path(tmp.name).chmod(_file_mode(path))  # temporary files are 0600: every result file gets the same mode
    Path(tmp.name).replace(path)


def _why_damaged(line: bytes, last: bool) -> str:
    """What a line that is not an intact record probably is."""
    try:
        record = json.loads(line)
    except ValueError:
        return "cut by a kill" if last else "not a record of anomalib-toll"
    if isinstance(record, dict) and {"row", "checksum"} <= set(record):
        return "checksum mismatch: changed after it was written"
    return "not a record of anomalib-toll"


class ResultStore:
    """``results.jsonl`` (the store) and its ``results.csv`` / ``results.json`` exports in ``output``."""

    def __init__(self, output: Path) -> None:
        self.output = Path(output)
        self.created = not self.output.exists()
        self.output.mkdir(parents=True, exist_ok=True)
        self.path = self.output / "results.jsonl"
        self.damaged_path = self.output / "results.jsonl.damaged"

    def check_writable(self) -> None:
        """Prove the folder takes files now, before any cell trains."""
        try:
            _write_atomically(self.output / ".write_check", "ok")
            (self.output / ".write_check").unlink()
        except OSError as err:
            if self.created:  # leave no empty folder behind
                with contextlib.suppress(OSError):
                    self.output.rmdir()
            msg = f"output folder {self.output} is not writable ({err.strerror}); pass another --output."
            raise PermissionError(msg) from err

    def rows(self) -> list[Row]:
        """Every intact row, in the order written; damaged lines are moved aside once (:meth:`set_aside`)."""
        if not self.path.exists():
            return []
        lines = self.path.read_bytes().split(b"\n")
        rows, damaged = [], []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            if (row := self._parse(line)) is None:  # the last piece has no newline: a cut write
                damaged.append((number, line, _why_damaged(line, last=number == len(lines))))
            else:
                rows.append(row)
        if damaged:
            self.set_aside(damaged)
        return rows

    def set_aside(self, damaged: list[tuple[int, bytes, str]]) -> None:
        """Move damaged lines (number, bytes, why) to ``results.jsonl.damaged``, kept, never deleted; say so once.

        Their cells rerun; the store keeps only intact records, so the next run has nothing to report.
        """
        with self.damaged_path.open("ab") as f:
            f.write(b"".join(line + b"\n" for _, line, _ in damaged))
            f.flush()
            os.fsync(f.fileno())
        numbers = {number for number, _, _ in damaged}
        kept = [line for number, line in enumerate(self.path.read_bytes().split(b"\n"), start=1)
                if line.strip() and number not in numbers]
        _write_atomically(self.path, "".join(line.decode() + "\n" for line in kept))
        why = "; ".join(f"line {number}: {reason}" for number, _, reason in damaged)
        msg = f"{self.path}: damaged record(s) moved to {self.damaged_path} ({why}); their cells will rerun."
        warnings.warn(msg, InputWarning, stacklevel=3)

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

    def export(self, failed: Sequence[Row] = ()) -> None:
        """Rewrite ``results.csv`` and ``results.json`` from the store and the ``failed`` cells (atomically).

        A failed cell's missing values are empty in the CSV and ``null`` in the JSON.
        """
        rows = [r.as_dict() for r in self.rows()]
        rows += [{k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.as_dict().items()}
                 for r in failed]
        with tempfile.SpooledTemporaryFile(mode="w+", encoding="utf-8", newline="") as buffer:
            writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
            buffer.seek(0)
            _write_atomically(self.output / "results.csv", buffer.read())
        _write_atomically(self.output / "results.json", json.dumps(rows, indent=2))
