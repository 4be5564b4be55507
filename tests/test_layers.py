"""Layers import only downward: core ← data ← protocol ← models/detector ← runners ← benchmark ← cli.

Checked on the static import graph (imports inside functions count too) and, for the
promises users rely on, in fresh interpreters.
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "anomalib_toll"

# Which of the package's layers each layer may import (besides itself).
ALLOWED = {
    "record": set(),
    "notices": set(),
    "core": {"notices"},
    "analysis": {"core"},
    "data": {"core", "notices"},
    "protocol": {"core", "data"},
    "detector": {"core", "protocol"},
    "models": {"core", "data", "protocol"},
    "runners": {"core", "data", "protocol", "models", "detector"},
    "report": {"record"},
    "benchmark": {"record", "notices", "core", "data", "protocol", "runners", "report", "cli_errors"},
    "cli": {"record", "core", "data", "protocol", "runners", "report", "benchmark", "anomalib_cli", "cli_errors"},
    "cli_errors": {"notices"},
    "anomalib_cli": {"models"},
    "_startup": {"models"},
    "__init__": {"core", "detector"},
}


def layer_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def package_imports(path: Path) -> set[str]:
    """The package layers ``path`` imports, anywhere in the file."""
    layers = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "anomalib_toll" and len(parts) > 1:
                layers.add(parts[1])
    return layers


def test_every_module_imports_only_lower_layers():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = layer_of(path)
        assert layer in ALLOWED, f"{path}: layer {layer!r} has no place in the layer rule; add it to ALLOWED"
        upward.extend(
            f"{path.relative_to(PACKAGE.parent)} ({layer}) imports {target}"
            for target in package_imports(path) - ALLOWED[layer] - {layer}
        )
    assert not upward, "imports against the layer order:\n" + "\n".join(upward)


def loaded_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}


@pytest.mark.parametrize(
    ("statement", "absent"),
    [
        ("import anomalib_toll", {"anomalib", "lightning", "torch", "pyod"}),
        ("from anomalib_toll import TollDetector", {"anomalib", "lightning"}),
        ("import anomalib_toll.data", {"anomalib", "lightning", "torch"}),
        ("import anomalib_toll.protocol", {"anomalib", "lightning"}),
        ("import anomalib_toll.report", {"anomalib", "lightning", "torch"}),
        ("import anomalib_toll.record", {"anomalib", "lightning", "torch", "numpy"}),
    ],
)
def test_cheap_imports_stay_cheap(statement, absent):
    assert not loaded_after(statement) & absent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_imports(path: Path, modules: set[str]) -> set[str]:
    """The package's modules ``path`` imports anywhere: at the top, in functions, under ``TYPE_CHECKING``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & modules
            found |= submodules or {node.module}  # ``from pkg import module`` ties to the module, not to pkg
    return found & modules


def test_no_import_circles_not_even_through_imports_inside_functions():
    """A circle hidden by an import inside a function still ties two modules together: there are none."""
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: module_imports(path, set(paths)) - {name} for name, path in paths.items()}
    circles = []
    for start in graph:  # a path back to ``start`` through its imports is a circle
        stack, seen = [(start, [start])], set()
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    circles.append(" -> ".join([*trail, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
    assert not circles, "\n".join(sorted(circles)[:20])
