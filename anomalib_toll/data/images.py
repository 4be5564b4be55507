# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The paper's image data sets as uint8 arrays, from whatever layout the user has.

Sources, first found wins:

1. the ``.npz`` layout (``<root>/<name>/<name>.npz`` or ``<root>/<name>.npz`` holding
   ``x_train, y_train, x_test, y_test``);
2. torchvision's on-disk layouts under ``<root>`` (``MNIST/raw``, ``FashionMNIST/raw``,
   ``cifar-10-batches-py``, ``cifar-100-python``), read directly;
3. with ``download=True``, torchvision downloads into ``<root>`` (or
   ``~/.cache/anomalib_toll``), then 2.

``digits`` is scikit-learn's bundled 8×8 digits and needs none of this.

Example:
    >>> images = read_image_set("mnist", MNIST_LAYOUT, data_root="/nowhere")  # doctest: +SKIP
    >>> load_digits_images().x_train.shape[1:]
    (8, 8)
"""

from __future__ import annotations

import gzip
import pickle  # noqa: S403 - CIFAR's official files are pickles; they are read from the user's data folder
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from anomalib_toll.data.root import HOW_TO_GET, resolve_data_root

if TYPE_CHECKING:
    import os
    from collections.abc import Callable

# CIFAR-100 fine label (0..99) → superclass (0..19), from the data set's meta file.
CIFAR100_COARSE = np.array([
    4, 1, 14, 8, 0, 6, 7, 7, 18, 3, 3, 14, 9, 18, 7, 11, 3, 9, 7, 11,
    6, 11, 5, 10, 7, 6, 13, 15, 3, 15, 0, 11, 1, 10, 12, 14, 16, 9, 11, 5,
    5, 19, 8, 8, 15, 13, 14, 17, 18, 10, 16, 4, 17, 4, 2, 0, 17, 4, 18, 17,
    10, 3, 2, 12, 12, 16, 12, 1, 9, 19, 2, 10, 0, 1, 16, 12, 9, 13, 15, 13,
    16, 19, 2, 4, 6, 19, 5, 5, 8, 19, 18, 1, 2, 15, 6, 0, 17, 8, 14, 13,
])  # fmt: skip


@dataclass(frozen=True)
class ImageSet:
    """A data set's official train/test split as uint8 images and integer labels."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def _from_npz(path: Path, name: str) -> ImageSet:
    try:
        with np.load(path) as d:
            arrays = [d[k] for k in NPZ_KEYS]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        msg = (
            f"{path} is not a readable {name} archive with arrays {', '.join(NPZ_KEYS)} ({type(err).__name__}: {err}). "
            f"Replace it with a good copy, or delete it and pass download=True (CLI: --download true) when online."
        )
        raise ValueError(msg) from err
    x_train, y_train, x_test, y_test = arrays
    y_train, y_test = y_train.astype(np.int64).ravel(), y_test.astype(np.int64).ravel()
    if name == "cifar100" and max(y_train.max(), y_test.max()) >= 20:  # fine labels: map to superclasses
        y_train, y_test = CIFAR100_COARSE[y_train], CIFAR100_COARSE[y_test]
    return ImageSet(name, x_train, y_train, x_test, y_test)


def _read_idx(path: Path) -> np.ndarray:
    """An IDX file (MNIST's format), optionally gzipped."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _find_idx(folder: Path, stem: str) -> Path | None:
    for candidate in (stem, stem.replace("-idx", ".idx")):
        for suffix in ("", ".gz"):
            if (folder / f"{candidate}{suffix}").exists():
                return folder / f"{candidate}{suffix}"
    return None


def _from_idx_folder(folder: Path, name: str) -> ImageSet | None:
    stems = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    paths = [_find_idx(folder, s) for s in stems]
    if any(p is None for p in paths):
        return None
    x_train, y_train, x_test, y_test = (_read_idx(p) for p in paths)  # type: ignore[arg-type]
    return ImageSet(name, x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64))


def _unpickle(path: Path) -> dict:
    with path.open("rb") as f:
        return pickle.load(f, encoding="bytes")  # noqa: S301 - see the import


def _cifar_images(batch: dict) -> np.ndarray:
    return np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def _from_cifar10_folder(folder: Path, name: str) -> ImageSet | None:
    files = [folder / f"data_batch_{i}" for i in range(1, 6)] + [folder / "test_batch"]
    if not all(f.exists() for f in files):
        return None
    batches = [_unpickle(f) for f in files]
    x_train = np.concatenate([_cifar_images(b) for b in batches[:5]])
    y_train = np.concatenate([np.asarray(b[b"labels"], dtype=np.int64) for b in batches[:5]])
    test = batches[5]
    return ImageSet(name, x_train, y_train, _cifar_images(test), np.asarray(test[b"labels"], dtype=np.int64))


def _from_cifar100_folder(folder: Path, name: str) -> ImageSet | None:
    if not ((folder / "train").exists() and (folder / "test").exists()):
        return None
    train, test = _unpickle(folder / "train"), _unpickle(folder / "test")
    return ImageSet(
        name, _cifar_images(train), np.asarray(train[b"coarse_labels"], dtype=np.int64),
        _cifar_images(test), np.asarray(test[b"coarse_labels"], dtype=np.int64),
    )


@dataclass(frozen=True)
class ImageLayout:
    """Where an image data set lives on disk besides the ``.npz`` layout, and how torchvision fetches it."""

    folder: str
    reader: Callable[[Path, str], ImageSet | None]
    torchvision_class: str


MNIST_LAYOUT = ImageLayout("MNIST/raw", _from_idx_folder, "MNIST")
FASHION_MNIST_LAYOUT = ImageLayout("FashionMNIST/raw", _from_idx_folder, "FashionMNIST")
CIFAR10_LAYOUT = ImageLayout("cifar-10-batches-py", _from_cifar10_folder, "CIFAR10")
CIFAR100_LAYOUT = ImageLayout("cifar-100-python", _from_cifar100_folder, "CIFAR100")


def _download(layout: ImageLayout, root: Path) -> None:
    """Fetch the official files with torchvision (online users only)."""
    import torchvision.datasets

    dataset = getattr(torchvision.datasets, layout.torchvision_class)
    for train in (True, False):
        dataset(root=str(root), train=train, download=True)


def load_digits_images(data_root: str | os.PathLike | None = None, download: bool = False) -> ImageSet:
    """scikit-learn's bundled 8×8 digits (no file, no download), 70/30 stratified."""
    del data_root, download  # bundled with scikit-learn
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = np.round(digits.images * 255.0 / 16.0).astype(np.uint8)
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target.astype(np.int64), test_size=0.3, random_state=0, stratify=digits.target,
    )
    return ImageSet("digits", x_train, y_train, x_test, y_test)


def read_image_set(
    name: str, layout: ImageLayout, data_root: str | os.PathLike | None = None, download: bool = False,
) -> ImageSet:
    """Load a data set's official split as uint8 images (see the module docstring for sources).

    Raises:
        FileNotFoundError: nothing found; the message lists every place looked at.
    """
    root = resolve_data_root(data_root)
    looked: list[str] = []
    if root is not None:
        for path in (root / name / f"{name}.npz", root / f"{name}.npz"):
            looked.append(str(path))
            if path.exists():
                return _from_npz(path, name)
        looked.append(str(root / layout.folder))
        if (root / layout.folder).is_dir() and (found := layout.reader(root / layout.folder, name)) is not None:
            return found
    if download:
        target = root or Path.home() / ".cache" / "anomalib_toll"
        _download(layout, target)
        if (found := layout.reader(target / layout.folder, name)) is not None:
            return found
        looked.append(f"{target / layout.folder} (after download)")
    where = "\n  ".join(looked) if looked else "(no data root given)"
    msg = f"Could not find {name}. Looked in:\n  {where}\n{HOW_TO_GET}"
    raise FileNotFoundError(msg)
