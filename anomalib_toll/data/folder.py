# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""A user's own images as a one-class benchmark: ``<root>/normal/*`` and ``<root>/abnormal/*``.

The layout is anomalib's ``Folder`` convention (a folder of normal images, a folder of
anomalous ones). Images are read with Pillow, converted to RGB (or kept gray when every
image is gray) and resized to ``image_size`` so they stack into one array. Folders with
test images of their own or masks (the MVTec layout) are read through anomalib's
``Folder`` instead: :func:`anomalib_toll.data.anomalib_layouts.read_folder` chooses.

Example:
    >>> x_normal, x_abnormal = load_folder("my_images", image_size=32)  # doctest: +SKIP
    >>> x_normal.dtype, x_normal.shape[1:]                              # doctest: +SKIP
    (dtype('uint8'), (32, 32, 3))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from anomalib_toll.data.root import resolve_data_root

if TYPE_CHECKING:
    import os
    from pathlib import Path

    import PIL.Image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
FOLDER_IMAGE_SIZE = 32


def image_files(folder: Path) -> list[Path]:
    """Image files under ``folder`` (recursively), in name order."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def _open(path: Path) -> PIL.Image.Image:
    """Pillow's image of ``path``; a file it cannot read is named in the error."""
    from PIL import Image

    try:
        return Image.open(path)
    except OSError as err:  # PIL.UnidentifiedImageError, a truncated or unreadable file
        msg = f"{path}: not an image Pillow can read ({err}); replace it or move it out of the folder."
        raise ValueError(msg) from err


def _mode(path: Path) -> str:
    with _open(path) as image:
        return image.mode


def image_mode(files: list[Path]) -> str:
    """``"L"`` when every file is a gray image, else ``"RGB"``: the mode all of them are read in."""
    return "L" if all(_mode(p) in {"L", "1", "I;16"} for p in files) else "RGB"


def read_images(files: list[Path], mode: str, size: tuple[int, int]) -> np.ndarray:
    """uint8 array of the files converted to ``mode`` ("L" or "RGB"), resized to ``size`` = (width, height)."""
    from PIL import Image

    images = []
    for path in files:
        with _open(path) as image:
            try:
                images.append(np.asarray(image.convert(mode).resize(size, Image.Resampling.BILINEAR)))
            except OSError as err:  # the header read, the pixels did not (a cut file)
                msg = f"{path}: not an image Pillow can read ({err}); replace it or move it out of the folder."
                raise ValueError(msg) from err
    return np.stack(images).astype(np.uint8)


def load_folder(
    data_root: str | os.PathLike | None = None,
    normal_dir: str = "normal",
    abnormal_dir: str = "abnormal",
    image_size: int = FOLDER_IMAGE_SIZE,
) -> tuple[np.ndarray, np.ndarray]:
    """``(normal, abnormal)`` uint8 images, ``(N, S, S)`` when all are gray, else ``(N, S, S, 3)``.

    Raises:
        FileNotFoundError: no root, or a sub-folder is missing or holds no image; the
            message says which folder and which file types are read.
    """
    root = resolve_data_root(data_root)
    if root is None:
        msg = "dataset 'folder' needs data_root (CLI: --data_root DIR) holding normal/ and abnormal/ image folders."
        raise FileNotFoundError(msg)
    files = {}
    for sub in (normal_dir, abnormal_dir):
        found = image_files(root / sub) if (root / sub).is_dir() else []
        if not found:
            msg = (
                f"no images in {root / sub}: the folder dataset reads {', '.join(IMAGE_SUFFIXES)} files "
                f"from {root}/{normal_dir}/ and {root}/{abnormal_dir}/."
            )
            raise FileNotFoundError(msg)
        files[sub] = found
    gray = all(_mode(p) in {"L", "1", "I;16"} for found in files.values() for p in found)
    mode = "L" if gray else "RGB"
    size = (image_size, image_size)
    return read_images(files[normal_dir], mode, size), read_images(files[abnormal_dir], mode, size)


def load_folder_labelled(
    data_root: str | os.PathLike | None = None,
    normal_dir: str = "normal",
    abnormal_dir: str = "abnormal",
    image_size: int = FOLDER_IMAGE_SIZE,
) -> tuple[np.ndarray, np.ndarray]:
    """``(images, labels)``: the normal images (label 0) followed by the abnormal ones (label 1)."""
    normal, abnormal = load_folder(data_root, normal_dir, abnormal_dir, image_size)
    labels = np.concatenate([np.zeros(len(normal), np.int64), np.ones(len(abnormal), np.int64)])
    return np.concatenate([normal, abnormal]), labels
