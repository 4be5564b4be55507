# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""A synthetic Folder data set with masks, to try pixel-level Toll without data of your own.

Normal images are smooth blocky textures; anomalous ones carry a bright square, and its
mask is written beside them (anomalib's ``Folder`` layout: ``good/``, ``bad/``, ``masks/``).

Example:
    $ python -m anomalib_toll.data.synthetic results/folder_demo
    $ anomalib train --config configs/toll_folder.yaml --data.init_args.root results/folder_demo
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import os


def texture(rng: np.random.Generator, size: int) -> np.ndarray:
    """A gray-blue texture of 4×4-pixel blocks in [0, 1], shape ``(size, size, 3)``."""
    base = rng.normal(0.4, 0.05, size=(size // 4, size // 4, 3)).clip(0, 1)
    return np.kron(base, np.ones((4, 4, 1)))


def write_folder_dataset(
    root: str | os.PathLike,
    n_normal: int = 24,
    n_abnormal: int = 8,
    size: int = 32,
    seed: int = 0,
) -> Path:
    """Write ``good/``, ``bad/`` and ``masks/`` PNGs under ``root``; squares cover ~10 % of an image."""
    from PIL import Image

    root = Path(root)
    for sub in ("good", "bad", "masks"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    side = max(2, round(size * 0.3))
    for i in range(n_normal):
        Image.fromarray((texture(rng, size) * 255).astype(np.uint8)).save(root / "good" / f"{i:03d}.png")
    for i in range(n_abnormal):
        image, mask = texture(rng, size), np.zeros((size, size), dtype=np.uint8)
        r, c = rng.integers(2, size - side - 2, size=2)
        image[r : r + side, c : c + side] = 1.0
        mask[r : r + side, c : c + side] = 255
        Image.fromarray((image * 255).astype(np.uint8)).save(root / "bad" / f"{i:03d}.png")
        Image.fromarray(mask).save(root / "masks" / f"{i:03d}.png")
    return root


def main() -> None:
    """Write the data set where the command line says (``python -m anomalib_toll.data.synthetic ROOT``)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, help="folder to write good/, bad/ and masks/ into")
    parser.add_argument("--normal", type=int, default=200, help="number of normal images")
    parser.add_argument("--abnormal", type=int, default=50, help="number of anomalous images (with masks)")
    parser.add_argument("--size", type=int, default=64, help="image side in pixels")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(write_folder_dataset(args.root, args.normal, args.abnormal, args.size, args.seed))


if __name__ == "__main__":
    main()
