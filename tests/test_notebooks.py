"""Both notebooks run top to bottom (small budgets), in a scratch folder."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebooks extra is not installed")
nbclient = pytest.importorskip("nbclient", reason="the notebooks extra is not installed")

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"


@pytest.mark.parametrize("name", ["learning_dynamics.ipynb", "quickstart.ipynb"])
def test_notebook_runs_top_to_bottom(name, tmp_path, monkeypatch):
    monkeypatch.setenv("ANOMALIB_TOLL_FIGURES", str(tmp_path / "figures"))
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")  # none stale
    resources = {"metadata": {"path": str(tmp_path)}}
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", resources=resources)
    client.execute()
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    if name == "learning_dynamics.ipynb":
        assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
            "learning_dynamics_figure2.png", "learning_dynamics_theorem1.png", "learning_dynamics_theorem2.png",
        ]
