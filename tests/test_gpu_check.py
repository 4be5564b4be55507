"""``bench/gpu_check.py --smoke``: every section of the GPU check runs, tiny, on the CPU and reports one RESULT line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("anomalib", reason="the anomalib extra is not installed (the check trains FITYMI+Toll)")

ROOT = Path(__file__).parents[1]
RATES = ("b1_b4_fp32_sps", "b1_b4_bf16_sps", "b2_b4_fp32_sps", "b2_b4_bf16_sps", "b1_score_bf16_ips", "fitymi_fp32_ips")


def test_smoke_mode_runs_every_section_on_the_cpu_and_ends_with_one_result_line(tmp_path: Path) -> None:
    """Tests (skipped: CUDA is hidden), throughput, FITYMI+Toll and both digits cells all report, none fails."""
    proc = subprocess.run(
        [sys.executable, "bench/gpu_check.py", "--smoke"], cwd=ROOT, env={**os.environ, "OUT": str(tmp_path)},
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT ")
    assert sum(line.startswith("RESULT ") for line in proc.stdout.splitlines()) == 1
    values = dict(item.split("=", 1) for item in last.split()[1:])
    assert (values["mode"], values["device"]) == ("smoke", "cpu")
    assert [key for key in values if key.endswith("_error")] == []
    assert values["tests_failed"] == "0"
    assert values["tests_passed"] == "0"  # CUDA is hidden in smoke mode: every GPU test skips...
    assert int(values["tests_skipped"]) > 0  # ...and was collected
    assert all(float(values[key]) > 0 for key in RATES)
    assert 70 < float(values["toll_auroc"]) <= 100  # digits, class 8, 20 steps: 95.5 measured
    assert 70 < float(values["beta0_auroc"]) <= 100  # 97.2 measured
    assert float(values["total_s"]) < 120  # the smoke budget: under 2 minutes
    saved = json.loads((tmp_path / "gpu_check.json").read_text())
    assert saved["toll_auroc"] == pytest.approx(float(values["toll_auroc"]))
    assert (tmp_path / "gpu_tests.log").read_text().count("SKIPPED") > 0
