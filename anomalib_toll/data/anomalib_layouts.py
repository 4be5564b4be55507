# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Image folders in anomalib's layouts (MVTec AD, VisA, ``Folder``), read through anomalib's own data modules.

anomalib's data module finds the files, pairs each anomalous test image with its mask
and fixes the train/test split (``MVTecAD``, ``Visa``, ``Folder``); this module reads
those files into uint8 arrays resized to ``image_size`` (gray kept gray when every image
is gray; masks resized with nearest neighbours, 1 = anomalous pixel) so that every model
of the benchmark gets the same arrays. anomalib is imported only when such a data set is
read: ``import anomalib_toll.data`` stays free of it.

Nothing is downloaded unless ``download=True``: anomalib's ``prepare_data`` downloads
only when the category folder is missing, and the readers refuse to call it then.

Example:
    >>> images = load_mvtec("~/datasets/MVTecAD", category="bottle", image_size=256)  # doctest: +SKIP
    >>> images.x_train.shape, images.mask_test.shape  # doctest: +SKIP
    ((209, 256, 256, 3), (83, 256, 256))
    >>> mvtec_layout(Path("/nowhere")) is None
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from anomalib_toll.data.folder import (
    FOLDER_IMAGE_SIZE,
    IMAGE_SUFFIXES,
    image_files,
    image_mode,
    load_folder_labelled,
    read_images,
)
from anomalib_toll.data.root import HOW_TO_GET, resolve_data_root

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping

    import pandas as pd
    from anomalib.data import AnomalibDataModule

MVTEC_CATEGORIES = (
    "bottle", "cable", "capsule", "carpet", "grid", "hazelnut", "leather", "metal_nut", "pill", "screw", "tile",
    "toothbrush", "transistor", "wood", "zipper",
)  # fmt: skip
VISA_CATEGORIES = (
    "candle", "capsules", "cashew", "chewinggum", "fryum", "macaroni1", "macaroni2", "pcb1", "pcb2", "pcb3", "pcb4",
    "pipe_fryum",
)  # fmt: skip
ANOMALIB_IMAGE_SIZE = 256  # anomalib's default input size for MVTec AD and VisA
Dirs = str | Sequence[str] | None


@dataclass(frozen=True)
class FixedSplit:
    """Images whose train/test split the data fix: train all normal, test labelled, masks where known.

    ``mask_test`` is ``(N, H, W)`` uint8 (1 = anomalous pixel; all 0 for normal images), or
    ``None`` when the data have no masks.
    """

    x_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mask_test: np.ndarray | None = None


def read_masks(paths: Sequence[str], size: tuple[int, int]) -> np.ndarray:
    """``(N, H, W)`` uint8 masks (1 where the mask file is non-zero), all 0 where the path is empty."""
    from PIL import Image

    masks = np.zeros((len(paths), size[1], size[0]), dtype=np.uint8)
    for i, path in enumerate(paths):
        if path:
            with Image.open(path) as image:
                masks[i] = np.asarray(image.convert("L").resize(size, Image.Resampling.NEAREST)) > 0
    return masks


def _mask_paths(samples: pd.DataFrame) -> list[str]:
    if "mask_path" not in samples:
        return [""] * len(samples)
    return ["" if not isinstance(p, str) else p for p in samples["mask_path"]]


def read_datamodule(datamodule: AnomalibDataModule, image_size: int) -> FixedSplit:
    """The train and test images (and masks) of a set-up anomalib image data module, resized to ``image_size``."""
    train, test = datamodule.train_data.samples, datamodule.test_data.samples
    if not len(train) or not len(test):
        msg = f"{type(datamodule).__name__}: found {len(train)} training and {len(test)} test images; need both."
        raise FileNotFoundError(msg)
    files = [Path(p) for p in (*train["image_path"], *test["image_path"])]
    mode = image_mode(files)
    size = (image_size, image_size)
    y_test = np.asarray(test["label_index"], dtype=np.int64)
    masks = _mask_paths(test)
    return FixedSplit(
        x_train=read_images(files[: len(train)], mode, size),
        x_test=read_images(files[len(train) :], mode, size),
        y_test=y_test,
        mask_test=read_masks(masks, size) if any(masks) else None,
    )


def _dataset_root(
    data_root: str | os.PathLike | None, names: tuple[str, ...], subs: tuple[str, ...], what: str, download: bool,
) -> Path | None:
    """The first of ``data_root`` and ``data_root/<name>`` holding one of ``subs``.

    Without one: ``data_root`` (``None``: anomalib's default folder) when ``download`` is on.

    Raises:
        FileNotFoundError: none holds any of ``subs`` and ``download`` is off; the message
            lists every place looked at.
    """
    root = resolve_data_root(data_root)
    bases = [] if root is None else [root, *(root / name for name in names)]
    for base in bases:
        if any((base / sub).is_dir() for sub in subs):
            return base
    if download:
        return root
    where = "\n  ".join(str(base / sub) for base in bases for sub in subs) or "(no data root given)"
    msg = f"{what} not found. Looked for its folder in:\n  {where}\n{HOW_TO_GET}"
    raise FileNotFoundError(msg)


def _check_category(dataset: str, category: str, categories: tuple[str, ...]) -> None:
    if category not in categories:
        msg = f"category must be one of {categories} for {dataset}, got {category!r}."
        raise ValueError(msg)


def load_mvtec(
    data_root: str | os.PathLike | None = None,
    download: bool = False,
    *,
    category: str = "bottle",
    image_size: int = ANOMALIB_IMAGE_SIZE,
) -> FixedSplit:
    """One MVTec AD category through anomalib's ``MVTecAD`` data module.

    ``data_root`` holds the category folders (``bottle/train/good``, ...) directly or in
    ``MVTecAD/`` or ``mvtec_anomaly_detection/``.

    Raises:
        ValueError: an unknown category.
        FileNotFoundError: the category folder is missing and ``download`` is off.
    """
    _check_category("MVTec AD", category, MVTEC_CATEGORIES)
    names = ("MVTecAD", "mvtec_anomaly_detection", "mvtec")
    root = _dataset_root(data_root, names, (category,), f"MVTec AD category {category!r}", download)
    from anomalib.data import MVTecAD

    datamodule = MVTecAD(root=root, category=category, num_workers=0)
    datamodule.prepare_data()  # the category folder exists: anomalib only checks; else download=True asked for it
    datamodule.setup()
    return read_datamodule(datamodule, image_size)


def load_visa(
    data_root: str | os.PathLike | None = None,
    download: bool = False,
    *,
    category: str = "candle",
    image_size: int = ANOMALIB_IMAGE_SIZE,
) -> FixedSplit:
    """One VisA category through anomalib's ``Visa`` data module.

    ``data_root`` (or its ``visa/`` or ``VisA/``) holds anomalib's prepared split
    ``visa_pytorch/<category>``, or the raw ``<category>/`` folders with ``split_csv/1cls.csv``,
    which anomalib's ``prepare_data`` splits into ``visa_pytorch/`` (no download).

    Raises:
        ValueError: an unknown category.
        FileNotFoundError: the category is missing and ``download`` is off.
    """
    _check_category("VisA", category, VISA_CATEGORIES)
    subs = (f"visa_pytorch/{category}", category)
    root = _dataset_root(data_root, ("visa", "VisA"), subs, f"VisA category {category!r}", download)
    from anomalib.data import Visa

    datamodule = Visa(root=root, category=category, num_workers=0)
    datamodule.prepare_data()  # prepared: a check; raw: anomalib's split into visa_pytorch/; neither: download=True
    datamodule.setup()
    return read_datamodule(datamodule, image_size)


def mvtec_layout(root: Path) -> dict[str, list[str] | str] | None:
    """The anomalib ``Folder`` arguments of a folder in the MVTec layout; ``None`` when it is not one.

    The layout: ``train/good/`` (normal training images), ``test/good/`` (normal test
    images, optional), ``test/<defect>/`` (anomalous) and ``ground_truth/<defect>/``
    (masks named like the images, e.g. ``000_mask.png``; optional).
    """
    if not (root / "train" / "good").is_dir() or not (root / "test").is_dir():
        return None
    defects = sorted(p.name for p in (root / "test").iterdir() if p.is_dir() and p.name != "good")
    layout: dict[str, list[str] | str] = {"normal_dir": "train/good", "abnormal_dir": [f"test/{d}" for d in defects]}
    if (root / "test" / "good").is_dir():
        layout["normal_test_dir"] = "test/good"
    masks = [f"ground_truth/{d}" for d in defects if (root / "ground_truth" / d).is_dir()]
    if masks:
        layout["mask_dir"] = masks
    return layout


def load_folder_split(
    root: Path,
    normal_dir: Dirs,
    abnormal_dir: Dirs = None,
    normal_test_dir: Dirs = None,
    mask_dir: Dirs = None,
    image_size: int = ANOMALIB_IMAGE_SIZE,
    seed: int = 0,
) -> FixedSplit:
    """A user's folder through anomalib's ``Folder`` data module (its arguments, relative to ``root``).

    Without ``normal_test_dir`` anomalib moves 20 % of the normal images to the test set
    (drawn with ``seed``).
    """
    from anomalib.data import Folder

    def as_list(dirs: Dirs) -> list[str] | None:
        return None if dirs is None else [dirs] if isinstance(dirs, str) else list(dirs)

    datamodule = Folder(
        name=root.name or "folder", root=root, normal_dir=as_list(normal_dir) or [], abnormal_dir=as_list(abnormal_dir),
        normal_test_dir=as_list(normal_test_dir), mask_dir=as_list(mask_dir), num_workers=0, seed=seed,
        val_split_mode="same_as_test",  # Folder's default moves half of the test images to validation
    )
    datamodule.setup()
    return read_datamodule(datamodule, image_size)


FOLDER_SPLIT_SEED = 42  # anomalib's draw of normal test images when a folder has none of its own


def read_folder(
    data_root: str | os.PathLike | None = None,
    download: bool = False,
    *,
    normal_dir: Dirs = None,
    abnormal_dir: Dirs = None,
    normal_test_dir: Dirs = None,
    mask_dir: Dirs = None,
    image_size: int = FOLDER_IMAGE_SIZE,
) -> FixedSplit | tuple[np.ndarray, np.ndarray]:
    """A user's folder of images, with anomalib ``Folder``'s arguments (paths relative to ``data_root``).

    * The MVTec layout (``train/good``, ``test/<defect>``, ``ground_truth/<defect>``) is
      detected when no directory is given; given directories override what it finds.
    * With a test directory of normal images or masks (so also the MVTec layout): the
      split is the data's own, read through anomalib's ``Folder`` → :class:`FixedSplit`.
    * Otherwise ``normal_dir`` (default ``normal``) and ``abnormal_dir`` (default
      ``abnormal``) are one pool of labelled images → ``(images, labels)``, which the
      protocol splits like Arrhythmia (20 % test, 30 % validation of each label).

    Raises:
        ValueError: ``download`` (a user's folder has nothing to download).
        FileNotFoundError: no root, or a folder without images (named).
    """
    if download:
        msg = "dataset 'folder' reads your own images: download=True has nothing to fetch."
        raise ValueError(msg)
    root = resolve_data_root(data_root)
    if root is None:
        msg = (
            "dataset 'folder' needs data_root (CLI: --data_root DIR) holding normal/ and abnormal/ image folders, "
            "the MVTec layout (train/good, test/<defect>, ground_truth/<defect>), or the folders named by "
            "--normal_dir, --abnormal_dir, --normal_test_dir and --mask_dir."
        )
        raise FileNotFoundError(msg)
    given = {"normal_dir": normal_dir, "abnormal_dir": abnormal_dir, "normal_test_dir": normal_test_dir,
             "mask_dir": mask_dir}
    dirs: Mapping[str, str | Sequence[str]] = {key: value for key, value in given.items() if value is not None}
    if not dirs and (layout := mvtec_layout(root)) is not None:
        dirs = layout
    if "normal_test_dir" in dirs or "mask_dir" in dirs:
        for value in dirs.values():
            for sub in [value] if isinstance(value, str) else value:
                if not (root / sub).is_dir() or not image_files(root / sub):
                    msg = f"no images in {root / sub}: the folder dataset reads {', '.join(IMAGE_SUFFIXES)} files."
                    raise FileNotFoundError(msg)
        return load_folder_split(root, image_size=image_size, seed=FOLDER_SPLIT_SEED, **dirs)
    if several := {key: value for key, value in dirs.items() if not isinstance(value, str)}:
        msg = (
            f"{several}: the normal/ + abnormal/ split takes one folder each; lists of folders need "
            "normal_test_dir or mask_dir (anomalib Folder's split)."
        )
        raise ValueError(msg)
    return load_folder_labelled(root, normal_dir or "normal", abnormal_dir or "abnormal", image_size)  # type: ignore[arg-type]
