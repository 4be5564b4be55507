"""``bench/fitymi_cpu_demo.py`` on real CIFAR-10 with a one-block ViT for two steps."""

import json
import math
from pathlib import Path

import pytest

from bench import fitymi_cpu_demo
from tests.conftest import require

pytest.importorskip("anomalib", reason="the anomalib extra is not installed")

TINY = [
    "--steps", "2", "--seeds", "0", "--collapse_weights", "0.1", "--batch_size", "4",
    "--depth", "1", "--embed_dim", "16", "--heads", "2", "--patch_size", "8",
]


def test_fitymi_cpu_demo_prints_a_row_per_run_and_the_mean_per_weight(
    data_root: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    require(data_root / "cifar10")

    rows = fitymi_cpu_demo.main(TINY)

    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert printed == rows
    run, mean = rows
    assert (run["collapse_weight"], run["seed"]) == (0.1, 0)
    assert math.isfinite(run["image_AUROC"])
    assert 0 <= run["image_AUROC"] <= 1
    assert mean == {"collapse_weight": 0.1, "mean_image_AUROC": run["image_AUROC"], "runs": 1}
