"""Shared fixtures: the real data root, when one is configured; one torch thread per test process."""

import os
from pathlib import Path

import pytest
import torch

from anomalib_toll.data import ENV_VAR, resolve_data_root

# The tests' tensors are tiny: a second thread saves little on a quiet machine, and on a busy one
# OpenMP's threads wait on each other (a 32 x 32 Toll step: 0.1 s on one thread, 1-2 s on two at
# load 5 on 2 cores). The variable reaches the processes tests start (CLI, notebook kernels, workers).
os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))

# A relative root (the README's ``ANOMALIB_TOLL_DATA=../shared/data``) means "relative to where
# pytest was started"; notebook kernels and CLI subprocesses run elsewhere, so pin it here.
if os.environ.get(ENV_VAR):
    os.environ[ENV_VAR] = str(Path(os.environ[ENV_VAR]).expanduser().resolve())


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real data folder ($ANOMALIB_TOLL_DATA); tests using it skip when there is none."""
    root = resolve_data_root()
    if root is None or not root.is_dir():
        pytest.skip("no data root: set ANOMALIB_TOLL_DATA to a folder like ../shared/data to run real-data tests")
    return root


def require(path: Path) -> Path:
    """Skip, naming the file, when the data root lacks it."""
    if not path.exists():
        pytest.skip(f"{path} not in the data root")
    return path
