"""Shared pieces of the GPU tests: the skip condition and a tiny Folder data set written here."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import torch

from anomalib_toll.data.synthetic import write_folder_dataset

if TYPE_CHECKING:
    from pathlib import Path

NO_CUDA = "needs a CUDA GPU (torch.cuda.is_available() is False); bench/gpu_check.sh runs these on one"
GPU = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_CUDA)]
SIZE = 32


@pytest.fixture(scope="session")
def folder_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 normal and 8 anomalous 32 x 32 images, with masks."""
    return write_folder_dataset(tmp_path_factory.mktemp("gpu_folder"))
