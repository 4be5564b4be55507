# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Grid progress that reads well in a terminal and in a log.

In a terminal: one bar over the cells, naming the last finished one. Elsewhere (a log
file, CI): one plain line per finished cell, nothing else.

Example:
    >>> progress = GridProgress(total=2, done=1, label="digits", enabled=False)
    >>> progress.finished("toll class 0 seed 0", "auroc 98.6 %")
    >>> progress.close()
"""

from __future__ import annotations

import sys

from tqdm.auto import tqdm


class GridProgress:
    """Counts finished cells out of ``total`` (``done`` of them already stored)."""

    def __init__(self, total: int, done: int, label: str, enabled: bool = True) -> None:
        self.total, self.count, self.label = total, done, label
        self.enabled = enabled
        self.interactive = enabled and sys.stderr.isatty()
        self.bar = tqdm(total=total, initial=done, desc=label, disable=not self.interactive, dynamic_ncols=True)
        if enabled and not self.interactive:
            self._line(f"{total - done} cell(s) to run, {done} already done")

    def _line(self, text: str) -> None:
        print(f"{self.label} {text}", file=sys.stderr, flush=True)

    def finished(self, cell: str, outcome: str) -> None:
        """One more cell is done (or failed: ``outcome`` says which)."""
        self.count += 1
        if self.interactive:
            self.bar.set_postfix_str(f"{cell}: {outcome}", refresh=False)
            self.bar.update()
        elif self.enabled:
            self._line(f"[{self.count}/{self.total}] {cell}: {outcome}")

    def failed(self, cell: str, error: BaseException) -> None:
        """A cell raised: say so on its own line in both modes."""
        message = f"FAILED {cell}: {type(error).__name__}: {error}"
        if self.interactive:
            self.bar.write(message)
            self.bar.update()
            self.count += 1
        else:
            self.finished(cell, message)

    def close(self) -> None:
        """End the bar (a terminal) or nothing (a log)."""
        self.bar.close()
