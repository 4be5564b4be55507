"""The GPU check, here: ``bench/gpu_check.py --smoke`` runs every section tiny on the CPU;
``bench/gpu_prepare.sh`` fills the folder the check carries to the GPU host.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from types import ModuleType

pytest.importorskip("anomalib", reason="the anomalib extra is not installed (the check trains FITYMI+Toll)")

ROOT = Path(__file__).parents[1]
FP32_RATES = ("b1_b4_fp32_sps", "b2_b4_fp32_sps", "fitymi_fp32_ips")
BF16_RATES = ("b1_b4_bf16_sps", "b2_b4_bf16_sps")


def test_smoke_mode_runs_every_section_on_the_cpu_and_ends_with_one_result_line(tmp_path: Path) -> None:
    """Tests (skipped: CUDA is hidden), throughput, FITYMI+Toll and both digits cells all report, none fails.

    No section has a time limit (counts bound them), and bf16 is measured only where the CPU runs it natively.
    """
    import torch

    from anomalib_toll.core.training import native_bf16

    native = native_bf16(torch.device("cpu"))
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
    assert (values["bf16_native"], values["cpu_capability"]) == (str(native), torch.backends.cpu.get_cpu_capability())
    assert values["budget_s"] == "none:bounded_by_counts"
    assert all(float(values[key]) > 0 for key in FP32_RATES)
    assert all((key in values) is native for key in BF16_RATES)  # emulated bf16 (~20x slower) is left out
    assert float(values["b1_score_bf16_ips" if native else "b1_score_fp32_ips"]) > 0  # in the precision auto picks
    assert values["cell_precision"] == "32"  # digits' 8 x 8 images stay in float32 on any CPU
    assert 70 < float(values["toll_auroc"]) <= 100  # digits, class 8, 20 steps: 95.5 measured
    assert 70 < float(values["beta0_auroc"]) <= 100  # 97.2 measured
    assert float(values["auto_chose"]) == 0.0  # digits holds out 22 normals: too few to leave β = 0
    assert float(values["auto_cost_ratio"]) > 0  # the stacked grid's fit beside Toll's, measured
    saved = json.loads((tmp_path / "gpu_check.json").read_text())
    assert saved["toll_auroc"] == pytest.approx(float(values["toll_auroc"]))
    assert (tmp_path / "gpu_tests.log").read_text().count("SKIPPED") > 0


def load_gpu_check() -> ModuleType:
    """``bench/gpu_check.py`` as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "bench" / "gpu_check.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("native", "expected"), [(True, ("32", "bf16-mixed")), (False, ("32",))])
def test_smoke_mode_measures_bf16_only_where_the_cpu_runs_it_natively(monkeypatch, native, expected) -> None:
    """An AVX2-only CPU emulates bf16 ~20x slower: the smoke check leaves it out and auto's precision is float32."""
    import anomalib_toll.core.training
    import anomalib_toll.protocol.toll

    gpu_check = load_gpu_check()
    for module in (anomalib_toll.core.training, anomalib_toll.protocol.toll):  # the answer where each reads it
        monkeypatch.setattr(module, "native_bf16", lambda _device: native)
    assert gpu_check.native_precisions(gpu_check.SMOKE_PLAN.precisions, "cpu") == expected
    assert gpu_check.cell_precision(gpu_check.SMOKE_PLAN) == expected[-1]
    assert all(math.isinf(limit) for limit in [gpu_check.SMOKE_PLAN.budget_s, *gpu_check.SMOKE_PLAN.limits.values()])


def test_prepare_fills_a_folder_the_gpu_host_can_install_from(tmp_path: Path) -> None:
    """The data file, one Python 3.12 x86_64 wheel per missing package, under 60 MiB, every import resolving.

    Downloads ~9 MB from the package index (CI has it).
    """
    data = tmp_path / "data" / "mnist"
    data.mkdir(parents=True)
    (data / "mnist.npz").write_bytes(b"stand-in for the MNIST arrays")
    dest = tmp_path / "gpu"
    env = {**os.environ, "GPU_DIR": str(dest), "ANOMALIB_TOLL_DATA": str(tmp_path / "data"), "PYTHON": sys.executable}
    proc = subprocess.run(
        [shutil.which("bash") or "/bin/bash", "bench/gpu_prepare.sh"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=900, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert (dest / "data" / "mnist" / "mnist.npz").read_bytes() == b"stand-in for the MNIST arrays"
    wheels = sorted(p.name for p in (dest / "whl").glob("*.whl"))
    names = {w.split("-")[0].lower() for w in wheels}
    assert {"anomalib", "pyod", "jsonargparse", "kornia", "freia"} <= names
    assert len(wheels) == 11
    assert all(w.endswith("-py3-none-any.whl") or ("cp312" in w or "abi3" in w) and "x86_64" in w for w in wheels)
    assert sum(p.stat().st_size for p in dest.rglob("*") if p.is_file()) < 60 * 2**20
    assert "host imports: 15/15 modules import" in proc.stdout
