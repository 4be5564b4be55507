"""A row says what its numbers depend on beyond the seed: torch's thread count, recorded and reported."""

import pytest
import torch

from anomalib_toll.benchmark.cell import Cell, run_cell
from anomalib_toll.protocol import Budget
from anomalib_toll.record import Row
from anomalib_toll.report import summary_markdown
from tests.report.test_significance import results


@pytest.fixture
def restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("threads", [1, 2])
def test_a_cell_records_the_torch_threads_it_was_fitted_with(threads, restore_threads):
    del restore_threads  # only its teardown matters
    torch.set_num_threads(threads)
    cell = Cell("digits", 0, 0, "iforest", "paper", Budget(iterations=20), data_root=None, device=None,
                keep_scores=False)
    row, _ = run_cell(cell)
    assert row.threads == threads
    assert Row.from_dict({k: str(v) for k, v in row.as_dict().items() if v is not None}).threads == threads  # CSV


def test_rows_stored_before_threads_were_recorded_still_read():
    stored = results({"toll": [0.9]}, seeds=1)[0].as_dict()
    del stored["threads"]
    assert Row.from_dict(stored).threads == 0


def test_the_summary_says_where_the_cells_ran():
    rows = [Row(**{**r.as_dict(), "device": "cpu", "threads": 1}) for r in results({"toll": [0.9], "knn": [0.8]})]
    assert "- every cell ran on cpu, 1 torch thread\n" in summary_markdown(rows, "t")
    rows[0] = Row(**{**rows[0].as_dict(), "threads": 2})
    text = summary_markdown(rows, "t")
    assert "- cpu, 2 torch threads: toll\n" in text
    assert "- cpu, 1 torch thread: toll, knn\n" in text
    assert "torch thread" not in summary_markdown(results({"toll": [0.9]}), "t")  # old rows: nothing claimed
