"""``bench/throughput.py --smoke``: every section runs, bounded by counts, and the RESULT line holds ratios."""

import pytest

from bench import throughput
from tests.bench.results import assert_positive_finite, result_line

RATIOS = ("b1_fp32", "b1_best", "speedup", "toll_overhead", "pyod_ratio", "val_overhead")


def test_smoke_run_prints_every_figure_and_a_result_line_of_positive_ratios(
    capsys: pytest.CaptureFixture[str],
) -> None:
    figures = throughput.main(["--smoke"])

    out = capsys.readouterr().out
    assert set(figures) == set(RATIOS)
    assert_positive_finite(figures)
    assert figures["b1_best"] >= figures["b1_fp32"]  # the best of three variants, fp32 among them
    for variant in ("b1 fp32", "b1 bf16_cl", "b2 fp32", "b2 bf16_cl"):
        assert f"{variant} " in out
    assert "(200x274, batch 100)" in out  # the smoke budget's table, not the 2000 rows of a real run
    result = result_line(out)
    assert set(result) == {*RATIOS, "cpu_capability", "auto_precision"}
    assert result["auto_precision"] in {"32", "bf16-mixed"}
    assert float(result["toll_overhead"]) == pytest.approx(figures["toll_overhead"], abs=0.0005)


def test_quick_and_smoke_exclude_each_other() -> None:
    with pytest.raises(SystemExit):
        throughput.main(["--quick", "--smoke"])
