# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Ship ``anomalib_toll.pth`` at the top of site-packages (see ``anomalib_toll/_startup.py``).

Both a regular wheel (``build_py``) and an editable install (``editable_wheel``) get the
file; everything else is declared in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

PTH = "anomalib_toll.pth"


class BuildWithPth(build_py):
    """build_py that also places the start-up hook at the root of the wheel."""

    def run(self) -> None:
        """Build as usual, then copy the hook file."""
        super().run()
        self.copy_file(PTH, str(Path(self.build_lib) / PTH), preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        """The usual outputs and the hook file."""
        return [*super().get_outputs(include_bytecode), str(Path(self.build_lib) / PTH)]


class _WithPth:
    """Wraps setuptools' editable strategy to add the hook file to the editable wheel."""

    def __init__(self, strategy: object) -> None:
        self.strategy = strategy

    def __call__(self, wheel, files, mapping) -> None:  # noqa: ANN001
        self.strategy(wheel, files, mapping)
        wheel.writestr(PTH, Path(PTH).read_text(encoding="utf-8"))

    def __enter__(self) -> "_WithPth":
        self.strategy.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.strategy.__exit__(*exc)


class EditableWithPth(editable_wheel):
    """editable_wheel whose strategy also writes the start-up hook into the editable wheel."""

    def _select_strategy(self, *args, **kwargs):  # noqa: ANN202
        return _WithPth(super()._select_strategy(*args, **kwargs))


setup(cmdclass={"build_py": BuildWithPth, "editable_wheel": EditableWithPth})
