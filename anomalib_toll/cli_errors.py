# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The command line's one error path: ``anomalib-toll: error: <message>``, never a traceback.

As argparse and anomalib do: a usage error (a bad value, a missing file, an unknown
name; everything the package checks before work) exits with status 2, a failure of the
run (cells that failed, an unexpected error) with 1, Ctrl-C with 130 and one line saying
what was kept. ``--debug`` anywhere on the command line, or ``ANOMALIB_TOLL_DEBUG=1``,
lets the exception through with its traceback. The package's own warnings about its
input (:class:`~anomalib_toll.core.checks.InputWarning`) print as one line too; the
FutureWarnings timm and anomalib give each other at import are not printed.

Example:
    >>> exit_status(ValueError("seeds must be an integer >= 1, got 0."))
    2
    >>> split_debug(["benchmark", "--debug", "--seeds", "2"])
    (['benchmark', '--seeds', '2'], True)
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from typing import TYPE_CHECKING, TextIO

from anomalib_toll.notices import InputWarning

if TYPE_CHECKING:
    from collections.abc import Generator

PROG = "anomalib-toll"
DEBUG_FLAG = "--debug"
DEBUG_ENV = "ANOMALIB_TOLL_DEBUG"
USAGE, FAILURE, INTERRUPTED = 2, 1, 130
# What the package raises on purpose about its input: a usage error (exit 2). Anything else failed the run.
USAGE_ERRORS: tuple[type[BaseException], ...] = (ValueError, TypeError, LookupError, ImportError, FileNotFoundError,
                                                 FileExistsError, NotADirectoryError, IsADirectoryError,
                                                 PermissionError)
# Modules whose FutureWarnings are one library's notice to another (timm's to anomalib, anomalib's to itself),
# printed when anomalib's models are imported: nothing a user of this command can act on.
LIBRARY_NOTICES = r"(anomalib|timm)(\.|$)"


def split_debug(argv: list[str]) -> tuple[list[str], bool]:
    """``argv`` without ``--debug``, and whether a traceback was asked for (the flag or ``ANOMALIB_TOLL_DEBUG=1``)."""
    debug = DEBUG_FLAG in argv or os.environ.get(DEBUG_ENV, "").strip().lower() in {"1", "true", "yes"}
    return [arg for arg in argv if arg != DEBUG_FLAG], debug


def exit_status(error: BaseException) -> int:
    """2 for a usage error, 130 for Ctrl-C, 1 for a failure of the run; an ``exit_status`` attribute wins."""
    status = getattr(error, "exit_status", None)
    if isinstance(status, int):
        return status
    if isinstance(error, KeyboardInterrupt):
        return INTERRUPTED
    return USAGE if isinstance(error, USAGE_ERRORS) else FAILURE


def error_line(error: BaseException) -> str:
    """``anomalib-toll: error: <message>``; an error the package did not raise on purpose also names its type."""
    if isinstance(error, KeyboardInterrupt):
        return f"{PROG}: interrupted" + (f": {error}" if str(error) else "")
    message = str(error) or type(error).__name__
    if not isinstance(error, USAGE_ERRORS) and getattr(error, "exit_status", None) is None:
        message = f"{type(error).__name__}: {message} (rerun with {DEBUG_FLAG} for the traceback)"
    return f"{PROG}: error: {message}"


_format_warning = warnings.formatwarning


def _one_line_warning(
    message: Warning | str, category: type[Warning], filename: str, lineno: int, line: str | None = None,
) -> str:
    """The package's warnings about its input as one line (the message names its subject); others as Python does."""
    if issubclass(category, InputWarning):
        return f"{PROG}: warning: {message}\n"
    return _format_warning(message, category, filename, lineno, line)


@contextlib.contextmanager
def error_path(debug: bool = False) -> Generator[None]:
    """Run a command: its errors end it with one line on stderr and the exit status above.

    Raises:
        SystemExit: with the status of the error (nothing is raised on success).
    """
    previous = warnings.formatwarning, warnings.showwarning
    said: set[str] = set()

    def show_once(
        message: Warning | str, category: type[Warning], filename: str, lineno: int, file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        """Say an input warning once (a file read twice is one warning); others as before."""
        if issubclass(category, InputWarning):
            if str(message) in said:
                return
            said.add(str(message))
        previous[1](message, category, filename, lineno, file, line)

    warnings.formatwarning, warnings.showwarning = _one_line_warning, show_once
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning, module=LIBRARY_NOTICES)
            yield
    except (Exception, KeyboardInterrupt) as err:
        if debug:
            raise
        print(error_line(err), file=sys.stderr, flush=True)
        raise SystemExit(exit_status(err)) from None
    finally:
        warnings.formatwarning, warnings.showwarning = previous
