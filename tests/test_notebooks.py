"""Both notebooks run top to bottom (tiny budgets), in a scratch folder."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebooks extra is not installed")
nbclient = pytest.importorskip("nbclient", reason="the notebooks extra is not installed")

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
# Run after a notebook's "parameters" cell, as papermill does: every cell still runs, on a tiny budget.
TINY_BUDGETS = {"quickstart.ipynb": "EPOCHS = 2\nSTEPS, EVAL_EVERY = 4, 2\nITERATIONS = 4"}


def with_tiny_budget(notebook, name: str):
    """The notebook with a cell setting tiny budgets right after its one cell tagged ``parameters``."""
    if name not in TINY_BUDGETS:
        return notebook
    tagged = [i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name} needs exactly one cell tagged 'parameters' for its budgets"
    notebook.cells.insert(tagged[0] + 1, nbformat.v4.new_code_cell(TINY_BUDGETS[name]))
    return notebook


@pytest.mark.parametrize("name", ["learning_dynamics.ipynb", "quickstart.ipynb"])
def test_notebook_runs_top_to_bottom(name, tmp_path, monkeypatch):
    monkeypatch.setenv("ANOMALIB_TOLL_FIGURES", str(tmp_path / "figures"))
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")  # none stale
    notebook = with_tiny_budget(notebook, name)
    resources = {"metadata": {"path": str(tmp_path)}}
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", resources=resources)
    client.execute()
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    if name == "learning_dynamics.ipynb":
        assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
            "learning_dynamics_figure2.png", "learning_dynamics_theorem1.png", "learning_dynamics_theorem2.png",
        ]
    else:  # the benchmark's table closes the notebook: both classes, Toll beside IForest
        table = notebook.cells[-1].outputs[-1]["data"]["text/markdown"]
        assert ("| 3 |" in table, "| 8 |" in table, "toll" in table.lower(), "iforest" in table.lower()) == (
            True, True, True, True)
