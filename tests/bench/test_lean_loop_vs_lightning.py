"""``bench/lean_loop_vs_lightning.py`` at two steps per timed fit."""

import math

import pytest

from bench import lean_loop_vs_lightning
from tests.bench.results import result_line

pytest.importorskip("lightning", reason="the anomalib extra (Lightning) is not installed")


def test_lean_loop_vs_lightning_prints_and_returns_a_positive_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    ratio = lean_loop_vs_lightning.main(["--steps", "2"])

    out = capsys.readouterr().out
    assert math.isfinite(ratio)
    assert ratio > 0
    assert "2 steps x 3, batch 100, B.3 MLP" in out
    assert result_line(out) == {"lightning_over_lean": f"{ratio:.2f}"}
