# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Where the data live: an explicit argument, else ``$ANOMALIB_TOLL_DATA``.

Example:
    >>> resolve_data_root("~/data").name
    'data'
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "ANOMALIB_TOLL_DATA"
HOW_TO_GET = (
    f"Pass data_root (CLI: --data_root) or set {ENV_VAR} to a folder holding the data, "
    "or pass download=True (CLI: --download true) when online."
)


def resolve_data_root(data_root: str | os.PathLike | None = None) -> Path | None:
    """The data folder from the argument or the environment; ``None`` when neither is set."""
    chosen = data_root or os.environ.get(ENV_VAR) or None  # None or "": the environment's
    return None if chosen is None else Path(chosen).expanduser()
