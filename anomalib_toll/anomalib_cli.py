# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""anomalib's CLI with the plugin's models registered: ``anomalib-toll train --model Toll ...``.

anomalib's CLI (jsonargparse) resolves ``--model Toll`` among the imported
``AnomalibModule`` subclasses; importing :mod:`anomalib_toll.models` first makes the
plugin's models resolvable by their short names, like built-in ones.

Example:
    $ anomalib-toll train --model Toll --data anomalib_toll.data.OneClass --data.dataset mnist
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


def register_models() -> None:
    """Import the plugin's anomalib models so their short names resolve."""
    import anomalib_toll.models  # noqa: F401


def anomalib_main(argv: Sequence[str] | None = None) -> None:
    """Run anomalib's CLI (train/fit/validate/test/predict/export) with the plugin's models."""
    from anomalib.cli.cli import AnomalibCLI
    from anomalib.loggers import configure_logger

    register_models()
    configure_logger()
    AnomalibCLI(args=list(argv) if argv is not None else None)
