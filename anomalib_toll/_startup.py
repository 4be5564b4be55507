# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Start-up hook (run from ``anomalib_toll.pth``): make ``anomalib train --model Toll`` work.

Every Python process runs this, so it only looks at ``sys.argv`` and returns. When the
program is anomalib's CLI, it arranges for :mod:`anomalib_toll.models` to be imported
right after ``anomalib.cli.cli`` (no earlier: anomalib itself must load first), so the
plugin's models resolve by their short names.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing into every process
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType


def is_anomalib_cli(argv: list[str]) -> bool:
    """Whether the program is the ``anomalib`` console script or ``python -m anomalib``."""
    if not argv:
        return False
    # os.path, not pathlib: this runs in every Python process, where os is loaded already
    program = os.path.basename(argv[0]).removesuffix(".exe")  # noqa: PTH119
    return program == "anomalib" or (program == "__main__.py" and "anomalib" in argv[0].split(os.sep)[-2:-1])  # noqa: PTH206


class _RegisterAfterAnomalibCli:
    """Meta-path finder that imports the plugin's models once anomalib's CLI module loads."""

    target = "anomalib.cli.cli"

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        """Hand out anomalib's CLI module, set to import the plugin's models after it loads."""
        del path, target  # only the name matters; the search itself is left to the other finders
        if name != self.target:
            return None
        sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_then_register(module: ModuleType) -> None:
            exec_module(module)
            import anomalib_toll.models  # noqa: F401

        spec.loader.exec_module = exec_then_register  # type: ignore[method-assign]
        return spec


def install() -> None:
    """Install the finder for anomalib's CLI; a no-op for every other program."""
    if is_anomalib_cli(sys.argv) and not any(isinstance(f, _RegisterAfterAnomalibCli) for f in sys.meta_path):
        sys.meta_path.insert(0, _RegisterAfterAnomalibCli())
