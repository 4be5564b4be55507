"""The benchmark grid puts its cells on the GPU when there is one (``device=None``), and on the CPU when told.

A cell ran on the GPU when CUDA memory was allocated while it ran: the peak of allocated
CUDA memory rises above what was allocated before. With ``device="cpu"`` the same cell
leaves the peak where it was, so the measure tells the two apart.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest
import torch

from anomalib_toll.benchmark import run_benchmark
from anomalib_toll.protocol import Budget
from tests.gpu.conftest import GPU

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = GPU

BUDGET = Budget(iterations=20, batch_size=32, eval_every=10)
TINY_FITYMI = {"fake_source": "cutpaste", "backbone": "vit_tiny_patch16_224", "pre_trained": False, "image_size": 16,
               "frozen_blocks": 0, "backbone_kwargs": {"patch_size": 4, "embed_dim": 32, "depth": 2, "num_heads": 2}}


def cuda_bytes_used_by(run: Callable[[], list]) -> tuple[int, list]:
    """Run ``run`` and measure the CUDA memory it took.

    Returns:
        The peak of allocated CUDA bytes while it ran, above what was allocated before, and what it returned.
    """
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    rows = run()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - before, rows


def grid(output: Path, model: str, device: str | None, args: dict | None = None) -> list:
    """Run one benchmark cell (digits, class 3, seed 0) of ``model`` on ``device`` in this process."""
    return run_benchmark("digits", models=[model], output=output, classes=[3], seeds=[0], budget=BUDGET, device=device,
                         workers=1, progress=False, model_args={model: args} if args else None)


@pytest.mark.parametrize(("model", "args"), [("toll", {}), ("toll_beta0", {}), ("fitymi_toll", TINY_FITYMI)])
def test_grid_cells_run_on_the_gpu_by_default(tmp_path: Path, model: str, args: dict) -> None:
    """With ``device=None`` a Toll, Toll β = 0 or FITYMI+Toll cell trains on the GPU and gives a finite AUROC."""
    if model.startswith("fitymi"):
        pytest.importorskip("anomalib", reason="the anomalib extra is not installed")
    used, rows = cuda_bytes_used_by(lambda: grid(tmp_path, model, None, args))
    assert used > 100_000  # the 18k-parameter digits net's weights, gradients and Adam moments alone are ~290 kB
    assert [row.model for row in rows] == [model]
    assert math.isfinite(rows[0].auroc)


def test_cells_told_to_use_the_cpu_leave_cuda_memory_untouched(tmp_path: Path) -> None:
    """The measure above tells the devices apart: a ``device="cpu"`` cell allocates no CUDA memory."""
    used, rows = cuda_bytes_used_by(lambda: grid(tmp_path, "toll", "cpu"))
    assert used == 0
    assert [row.model for row in rows] == ["toll"]
    assert math.isfinite(rows[0].auroc)
