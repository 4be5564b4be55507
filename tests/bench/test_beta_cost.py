"""``bench/beta_cost.py`` on two tiny ADBench tables: one fit of each β per table, one epoch."""

import re
from pathlib import Path

import numpy as np
import pytest

from bench import beta_cost
from tests.bench.results import assert_positive_finite, result_line


def write_table(path: Path, seed: int) -> None:
    """An ADBench ``.npz``: 60 rows × 4 features, 6 anomalies shifted by 3."""
    rng = np.random.default_rng(seed)
    y = np.zeros(60, dtype=np.int64)
    y[:6] = 1
    x = rng.normal(size=(60, 4)) + 3.0 * y[:, None]
    np.savez(path, X=x, y=y)


def test_beta_cost_prints_a_row_per_table_and_a_result_of_positive_ratios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "Classical").mkdir()
    write_table(tmp_path / "Classical" / "1_alpha.npz", seed=0)
    write_table(tmp_path / "Classical" / "2_beta.npz", seed=1)

    summary = beta_cost.main(["--data_root", str(tmp_path), "--epoch_num", "1", "--repeats", "1"])

    out = capsys.readouterr().out
    assert_positive_finite(summary)
    assert summary["max_ratio"] >= summary["geomean_ratio"]
    assert "| alpha | 38 × 4 |" in out  # 70 % of the 54 normal rows
    assert "| beta | 38 × 4 |" in out
    result = result_line(out)
    assert set(result) == {"geomean_ratio", "max_ratio", "tables", "cpu_capability", "threads"}
    assert result["tables"] == "2"
    assert float(result["max_ratio"]) == pytest.approx(summary["max_ratio"], abs=0.005)


@pytest.mark.parametrize(
    ("argv", "match"),
    [(["--repeats", "0"], "--repeats must be an integer >= 1"), (["--epoch_num", "0"], "--epoch_num must be"),
     (["--tables", "nosuch"], r"--tables names \['nosuch'\]")],
)
def test_bad_arguments_are_named_before_any_fit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], match: str,
) -> None:
    (tmp_path / "Classical").mkdir()
    write_table(tmp_path / "Classical" / "1_alpha.npz", seed=0)
    with pytest.raises(SystemExit):
        beta_cost.main(["--data_root", str(tmp_path), *argv])
    captured = capsys.readouterr()
    assert re.search(match, captured.err)
    assert "|" not in captured.out  # no table row: nothing was fitted
