"""A tiny Folder data set with masks: smooth gray-blue textures, anomalies are bright squares."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SIZE = 32


def texture(rng: np.random.Generator) -> np.ndarray:
    base = rng.normal(0.4, 0.05, size=(SIZE // 4, SIZE // 4, 3)).clip(0, 1)
    return np.kron(base, np.ones((4, 4, 1)))  # 4x4 blocks: easy to reconstruct


@pytest.fixture(scope="session")
def folder_dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("folder_data")
    for sub in ("good", "bad", "masks"):
        (root / sub).mkdir()
    rng = np.random.default_rng(0)
    for i in range(24):
        Image.fromarray((texture(rng) * 255).astype(np.uint8)).save(root / "good" / f"{i:03d}.png")
    for i in range(8):
        image, mask = texture(rng), np.zeros((SIZE, SIZE), dtype=np.uint8)
        r, c = rng.integers(2, SIZE - 12, size=2)
        image[r : r + 10, c : c + 10] = 1.0
        mask[r : r + 10, c : c + 10] = 255
        Image.fromarray((image * 255).astype(np.uint8)).save(root / "bad" / f"{i:03d}.png")
        Image.fromarray(mask).save(root / "masks" / f"{i:03d}.png")
    return root


def folder_args(root: Path) -> list[str]:
    """CLI arguments selecting the Folder data set with masks."""
    return [
        "--data", "Folder", "--data.name", "tiny", "--data.root", str(root), "--data.normal_dir", "good",
        "--data.abnormal_dir", "bad", "--data.mask_dir", "masks", "--data.train_batch_size", "8",
        "--data.eval_batch_size", "8", "--data.num_workers", "0",
    ]
