"""Shared pieces of the GPU tests: the skip condition and a tiny Folder data set written here."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
import torch

if TYPE_CHECKING:
    from pathlib import Path

NO_CUDA = "needs a CUDA GPU (torch.cuda.is_available() is False); bench/gpu_check.sh runs these on one"
GPU = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_CUDA)]
SIZE = 32


def write_folder(root: Path, n_normal: int = 24, n_abnormal: int = 8, size: int = SIZE, seed: int = 0) -> Path:
    """Write anomalib's Folder layout under ``root``: textures, textures with a bright square, its masks.

    Args:
        root: Folder to write ``good/``, ``bad/`` and ``masks/`` into.
        n_normal: Normal images (smooth textures of 4-pixel blocks). Defaults to ``24``.
        n_abnormal: Anomalous images (a bright square on ~10 % of the image). Defaults to ``8``.
        size: Image side in pixels. Defaults to ``32``.
        seed: Random seed. Defaults to ``0``.

    Returns:
        ``root``.
    """
    from PIL import Image

    rng = np.random.default_rng(seed)
    for sub in ("good", "bad", "masks"):
        (root / sub).mkdir(parents=True, exist_ok=True)

    def texture() -> np.ndarray:
        return np.kron(rng.normal(0.4, 0.05, size=(size // 4, size // 4, 3)).clip(0, 1), np.ones((4, 4, 1)))

    side = round(size * 0.3)
    for i in range(n_normal):
        Image.fromarray((texture() * 255).astype(np.uint8)).save(root / "good" / f"{i:03d}.png")
    for i in range(n_abnormal):
        image, mask = texture(), np.zeros((size, size), dtype=np.uint8)
        r, c = rng.integers(2, size - side - 2, size=2)
        image[r : r + side, c : c + side] = 1.0
        mask[r : r + side, c : c + side] = 255
        Image.fromarray((image * 255).astype(np.uint8)).save(root / "bad" / f"{i:03d}.png")
        Image.fromarray(mask).save(root / "masks" / f"{i:03d}.png")
    return root


@pytest.fixture(scope="session")
def folder_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 normal and 8 anomalous 32 x 32 images, with masks."""
    return write_folder(tmp_path_factory.mktemp("gpu_folder"))
