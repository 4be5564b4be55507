"""The report's modules import in one direction: no circle, hidden inside a function or not (issue 33)."""

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

REPORT = Path(__file__).parents[2] / "anomalib_toll" / "report"


def report_imports(path: Path) -> set[str]:
    """The report modules ``path`` imports, anywhere in the file (inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[2] for a in node.names if a.name.startswith("anomalib_toll.report.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("anomalib_toll.report."):
            found.add(node.module.split(".")[2])
        elif isinstance(node, ast.ImportFrom) and node.level == 1:  # from .cells import ...
            found.add((node.module or "").split(".")[0])
    return found - {"", path.stem}


def test_report_modules_import_without_a_circle():
    graph = {path.stem: report_imports(path) for path in REPORT.glob("*.py") if path.stem != "__init__"}
    assert "cells" in graph["significance"]  # the check reads the imports it is meant to see
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as err:
        pytest.fail(f"report modules import in a circle: {err.args[1]}")
    assert order.index("cells") < order.index("significance") < order.index("tables")
