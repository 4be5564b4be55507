"""``bench/scoring_memory.py`` on 1,000 rows (its child process fits on 2,000 rows for one epoch)."""

import pytest

from bench import scoring_memory
from tests.bench.results import result_line


def test_scoring_memory_reports_the_input_size_and_a_peak_per_size(capsys: pytest.CaptureFixture[str]) -> None:
    rows = scoring_memory.main(["--sizes", "1000"])

    assert len(rows) == 1
    assert rows[0]["rows"] == 1000
    assert rows[0]["input_mb"] == pytest.approx(1000 * 274 * 8 / 2**20)  # float64 rows of 274 features
    assert rows[0]["extra_peak_mb"] >= 0
    result = result_line(capsys.readouterr().out)
    assert set(result) == {"extra_mb_1000"}
    assert float(result["extra_mb_1000"]) == pytest.approx(rows[0]["extra_peak_mb"], abs=0.05)
