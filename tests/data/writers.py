"""Small data sets written by the tests: an MVTec AD category folder, ODDS / ADBench tables."""

from pathlib import Path

import numpy as np
from PIL import Image
from scipy.io import savemat

DEFECTS = ("broken", "crack")


def write_mvtec(
    root: Path, category: str = "bottle", n_train: int = 20, n_good: int = 6, n_bad: int = 4, size: int = 16,
    masks: bool = True,
) -> Path:
    """``root/<category>/`` in the MVTec layout: smooth RGB ramps; defects are a bright square, masked.

    ``train/good`` (``n_train``), ``test/good`` (``n_good``), ``test/<defect>`` and
    ``ground_truth/<defect>/*_mask.png`` (``n_bad`` each of ``DEFECTS``). Returns ``root``.
    """
    rng = np.random.default_rng(0)
    base = root / category
    square = np.zeros((size, size), bool)
    square[size // 4 : size // 2, size // 4 : size // 2] = True

    def save(image: np.ndarray, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image.clip(0, 255).astype(np.uint8)).save(path)

    def ramp() -> np.ndarray:
        gray = np.tile(np.linspace(60, 120, size), (size, 1)) + rng.normal(0, 3, (size, size))
        return np.stack([gray, gray * 0.9, gray * 0.8], axis=-1)

    for sub, count in (("train/good", n_train), ("test/good", n_good)):
        for i in range(count):
            save(ramp(), base / sub / f"{i:03d}.png")
    for defect in DEFECTS:
        for i in range(n_bad):
            image = ramp()
            image[square] = 250
            save(image, base / "test" / defect / f"{i:03d}.png")
            if masks:
                save(255 * square.astype(np.uint8), base / "ground_truth" / defect / f"{i:03d}_mask.png")
    return root


def table(n: int = 200, rate: float = 0.1, shift: float = 3.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)``: 6 columns on scales 0.1 … 1000; anomalies shifted by ``shift`` column stds."""
    rng = np.random.default_rng(seed)
    scales = np.array([1.0, 10.0, 100.0, 1.0, 0.1, 1000.0])
    y = (rng.random(n) < rate).astype(np.int64)
    y[:3] = 1
    x = rng.normal(size=(n, len(scales))) * scales
    x[y == 1] += shift * scales
    return x, y


def write_tables(root: Path) -> Path:
    """``root/blobs.mat`` (ODDS: ``y`` a column) and ``root/6_near.npz`` (ADBench), and a file that is no table."""
    root.mkdir(parents=True, exist_ok=True)
    x, y = table()
    savemat(root / "blobs.mat", {"X": x, "y": y[:, None]})
    x, y = table(shift=1.0, seed=1)
    np.savez(root / "6_near.npz", X=x, y=y)
    (root / "README.txt").write_text("not a table")
    return root


def write_adbench(root: Path, classical: int = 6, rows: int = 120) -> Path:
    """ADBench's layout: ``Classical/<n>_t<n>.npz`` (``classical`` tables, the last twice as large) and the one
    name ``MVTec-AD_bottle`` in two CV families; every table ``rows`` rows unless said."""
    for family in ("Classical", "CV_by_ViT", "CV_by_ResNet18"):
        (root / family).mkdir(parents=True, exist_ok=True)
    for i in range(classical):
        x, y = table(n=2 * rows if i == classical - 1 else rows, shift=1.0 + i / 2, seed=i)
        np.savez(root / "Classical" / f"{i + 1}_t{i + 1}.npz", X=x, y=y)
    for family in ("CV_by_ViT", "CV_by_ResNet18"):
        x, y = table(n=rows, seed=9)
        np.savez(root / family / "MVTec-AD_bottle.npz", X=x, y=y)
    return root
