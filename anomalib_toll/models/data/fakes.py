# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""FITYMI's training data: fake anomalies, and the one-class images in pixel space they join.

FITYMI ("Fake It Till You Make It") trains a classifier to tell the normal training
images (label 0) from fakes (label 1): images close to the normal ones that are not
quite normal. A fake source maps a batch of N normal images (float ``(N, C, H, W)``, as
the data module serves them) to N fakes in the same space; the model concatenates the
two, so every step sees N normal and N fake images (FITYMI concatenates the two sets and
shuffles, so its batches hold a random mix of the two; the expected mix is the same).
Sources, chosen by name:

* a path: FITYMI's released fakes, a uint8 ``(N, H, W, 3)`` ``.npy`` (or a folder of
  image files), served one pass in random order after another. The release concatenates
  one block per class, in class order, each as large as that class's normal training
  set (FITYMI takes ``fakes[n * k : n * (k + 1)]`` for class k with n normal training
  images: 5,000 per CIFAR-10 class, 2,500 per CIFAR-100 superclass); ``by_class`` picks
  the normal class's block, and a file that is not such blocks is refused
  (:func:`class_block`). Files hold pixels; :func:`fake_presenter`
  turns them into what the data module serves (pixels in [0, 1], or the Toll paper's
  preprocessing for :class:`~anomalib_toll.models.OneClass`);
* ``"perlin"``: anomalib's ``PerlinAnomalyGenerator`` (DRAEM's Perlin-noise blends) on
  the batch's own normal images: offline, no file;
* ``"cutpaste"``: a rectangle of each image, jittered in brightness and contrast and
  pasted elsewhere (Li et al., CutPaste). anomalib's only CutPaste is FoundAD's, written
  for ImageNet-normalised tensors, so this is a small torch version for any value range.

The pixels they are made from come from the data module (``PixelOneClass``, in
:mod:`anomalib_toll.models.data.one_class`, serves FITYMI's data: pixels in [0, 1]).

Example:
    >>> import torch
    >>> fakes = make_fake_source("cutpaste")
    >>> fakes(torch.rand(4, 3, 32, 32)).shape
    torch.Size([4, 3, 32, 32])

Paper:
    Fake It Till You Make It: Towards Accurate Near-Distribution Novelty Detection
    (Mirzaei et al., ICLR 2023).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F  # noqa: N812

from anomalib_toll.data import IMAGE_DATASETS, preprocess_images, to_pixels
from anomalib_toll.data.folder import IMAGE_SUFFIXES, image_files, read_images
from anomalib_toll.models.data.one_class import PixelOneClass
from anomalib_toll.protocol import OneClassSplit

GENERATORS = ("perlin", "cutpaste")
PERLIN_MIN_SIDE = 17
"""Smallest image side anomalib's Perlin noise works on: it pads each side to a power of two and draws noise
scales up to 32, so a side of 16 or less gets no noise cells (a size mismatch deep inside anomalib)."""
Presenter = Callable[[np.ndarray], np.ndarray]


def data_identity(source: object) -> tuple[str | None, int | None]:
    """The data set name and normal class of a data module or split, ``(None, None)`` where unknown.

    Known for :class:`~anomalib_toll.protocol.OneClassSplit`, ``OneClass``,
    ``PixelOneClass`` and a ``SplitDataModule`` over a split; not for ``Folder``.
    """
    split = source if isinstance(source, OneClassSplit) else getattr(source, "split", None)
    dataset = getattr(split, "dataset", None) or getattr(source, "dataset", None)
    normal_class = getattr(split, "normal_class", getattr(source, "normal_class", None))
    if not isinstance(dataset, str) or normal_class is None:
        return None, None
    return dataset, int(normal_class)


def fake_presenter(source: object) -> Presenter:
    """How uint8 fake images must be converted to look like ``source``'s normal images.

    Args:
        source: A data module or an :class:`~anomalib_toll.protocol.OneClassSplit`. The
            Toll paper's one-class data (``OneClass``, a split) get the same
            preprocessing as their normal class; anything else (``PixelOneClass``,
            ``Folder``) serves pixels in [0, 1].
    """
    if isinstance(source, PixelOneClass):
        return to_pixels
    dataset, normal_class = data_identity(source)
    if dataset in IMAGE_DATASETS and normal_class is not None:
        return lambda images: preprocess_images(dataset, images, normal_class)
    return to_pixels


def load_fake_images(path: str | Path) -> np.ndarray:
    """FITYMI's fakes as uint8 ``(N, H, W, C)``: a ``.npy`` file or a folder of images.

    Raises:
        FileNotFoundError: ``path`` does not exist or the folder holds no images.
        ValueError: the ``.npy`` is not uint8 ``(N, H, W)`` / ``(N, H, W, C)``.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        files = image_files(path)
        if not files:
            msg = f"no image files ({', '.join(IMAGE_SUFFIXES)}) under {path}."
            raise FileNotFoundError(msg)
        from PIL import Image

        with Image.open(files[0]) as first:
            return read_images(files, "RGB", first.size)
    if not path.is_file():
        msg = (
            f"fake source {str(path)!r} is neither {' nor '.join(map(repr, GENERATORS))} nor an existing "
            ".npy file or image folder (FITYMI's released fakes: see the rohban-lab/FITYMI README)."
        )
        raise FileNotFoundError(msg)
    try:
        images = np.load(path, mmap_mode="r")  # reads the header only
    except PermissionError as err:
        msg = f"fake source {str(path)!r} is not readable ({err.strerror}): fix its permissions."
        raise PermissionError(msg) from err
    except (ValueError, OSError) as err:  # not a .npy (pickle, zip, truncated header)
        msg = f"fake source {str(path)!r} is not a .npy array file ({err}); FITYMI's fakes are a uint8 .npy."
        raise ValueError(msg) from err
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim not in {3, 4}:
        found = f"{images.dtype} {images.shape}" if isinstance(images, np.ndarray) else type(images).__name__
        msg = f"{path} must hold uint8 images (N, H, W) or (N, H, W, C), got {found}."
        raise ValueError(msg)
    return images


def check_fake_source(source: str | Path) -> str:
    """``source`` as a string, once it names a generator or a readable fakes file or image folder.

    Cheap (a ``.npy``'s header, a folder's file names): adapters call it when they are
    made, so a grid refuses a missing or unreadable file before any cell loads data.

    Raises:
        FileNotFoundError: no such file or folder, or a folder without images.
        PermissionError: the file or folder cannot be read.
        ValueError: the file is not a uint8 image ``.npy``.
    """
    name = str(source)
    if name.lower() in GENERATORS:
        return name
    path = Path(name).expanduser()
    if path.is_dir():
        if not os.access(path, os.R_OK | os.X_OK):
            msg = f"fake source folder {str(path)!r} is not readable: fix its permissions."
            raise PermissionError(msg)
        if not image_files(path):
            msg = f"no image files ({', '.join(IMAGE_SUFFIXES)}) under {path}."
            raise FileNotFoundError(msg)
        return name
    load_fake_images(path)
    return name


def check_fake_size(source: str, height: int, width: int) -> None:
    """Refuse, before training, images too small for the fake source to make fakes of.

    Raises:
        ValueError: ``"perlin"`` on images with a side under :data:`PERLIN_MIN_SIDE`; the message names the
            size and the fix.
    """
    if source.lower() == "perlin" and min(height, width) < PERLIN_MIN_SIDE:
        msg = (
            f"fake_source='perlin' needs images of at least {PERLIN_MIN_SIDE} x {PERLIN_MIN_SIDE} pixels (anomalib's "
            f"Perlin noise), got {height} x {width}; use fake_source='cutpaste' (any size) or larger images."
        )
        raise ValueError(msg)


def class_block(
    images: np.ndarray, normal_class: int, num_classes: int, block_size: int | None = None, name: str = "the fakes",
) -> np.ndarray:
    """The normal class's block of a fakes file laid out as FITYMI's release: one block per class, in class order.

    Args:
        images: All the fakes.
        normal_class: The block to take.
        num_classes: Number of classes (blocks) in the file.
        block_size: Fakes per class when known: FITYMI's release holds one fake per
            normal training image, so the data module's normal training set size.
            ``None``: the file must split into ``num_classes`` equal blocks. Defaults to ``None``.
        name: The file, for messages. Defaults to ``"the fakes"``.

    Raises:
        ValueError: the class blocks cannot be identified (the file is not ``num_classes``
            blocks of ``block_size``), or ``normal_class`` is out of range.
    """
    if not 0 <= normal_class < num_classes:
        msg = f"normal_class must be in 0..{num_classes - 1} to pick a block of {name}, got {normal_class}."
        raise ValueError(msg)
    n = len(images)
    size = n // num_classes if block_size is None else block_size
    if size < 1 or n != num_classes * size:
        expected = f"{num_classes} blocks of {block_size} (one fake per normal training image)" if block_size else (
            f"{num_classes} equal blocks"
        )
        msg = (
            f"cannot identify the class blocks of {name}: {n} fakes are not {expected}. FITYMI's release holds "
            "one block per class in class order, each as large as the class's normal training set (5,000 per "
            "CIFAR-10 class, 2,500 per CIFAR-100 superclass). For a file of one class's fakes pass "
            "fakes_by_class=False."
        )
        raise ValueError(msg)
    return images[normal_class * size : (normal_class + 1) * size]


class FakeSource:
    """Maps N normal images ``(N, C, H, W)`` to N fakes of the same shape, device and dtype.

    ``origin`` says where the fakes come from (for logs and results); ``synthetic`` is
    true for fakes made here from the normal images (not FITYMI's diffusion fakes).
    """

    origin: str = ""
    synthetic: bool = False

    def __call__(self, normals: Tensor) -> Tensor:
        """The fakes for one batch of normal images."""
        raise NotImplementedError


class FileFakes(FakeSource):
    """Fakes from a fixed set of images, each used once per pass, in a new random order per pass.

    Args:
        images: The fakes as float ``(M, C, H, W)``, already in the data's space.
        origin: Where they come from, e.g. ``"block 3 of 10 (fakes 15000-19999) of cifar10.npy"``.
            Defaults to ``"a fixed set"``.
    """

    def __init__(self, images: Tensor, origin: str = "a fixed set") -> None:
        if len(images) == 0:
            msg = "the fake set is empty."
            raise ValueError(msg)
        self.images = images
        self.origin = origin
        self.order = torch.empty(0, dtype=torch.long)

    def _next(self, n: int) -> Tensor:
        while len(self.order) < n:
            self.order = torch.cat([self.order, torch.randperm(len(self.images))])
        taken, self.order = self.order[:n], self.order[n:]
        return taken

    def __call__(self, normals: Tensor) -> Tensor:
        """``len(normals)`` fakes, resized and channel-matched to the normal images."""
        fakes = self.images[self._next(len(normals))].to(device=normals.device, dtype=normals.dtype)
        if fakes.shape[1] == 1 and normals.shape[1] != 1:
            fakes = fakes.expand(-1, normals.shape[1], -1, -1)
        if fakes.shape[-2:] != normals.shape[-2:]:
            fakes = F.interpolate(fakes, size=normals.shape[-2:], mode="bilinear", antialias=True, align_corners=False)
        return fakes


class PerlinFakes(FakeSource):
    """anomalib's ``PerlinAnomalyGenerator`` applied to every normal image (probability 1)."""

    origin = "perlin (synthetic)"
    synthetic = True

    def __init__(self) -> None:
        from anomalib.data.utils.generators.perlin import PerlinAnomalyGenerator

        self.generator = PerlinAnomalyGenerator(probability=1.0)

    def __call__(self, normals: Tensor) -> Tensor:
        """One Perlin-noise blend per normal image."""
        check_fake_size("perlin", *normals.shape[-2:])
        fakes, _ = self.generator(normals)
        return fakes


class CutPasteFakes(FakeSource):
    """CutPaste: a jittered rectangle of each image pasted at another place of the same image.

    Args:
        area: Patch area as a fraction of the image, drawn uniformly. Defaults to ``(0.02, 0.15)``.
        aspect: Patch aspect ratio (width / height), drawn log-uniformly. Defaults to ``(0.3, 3.3)``.
        jitter: Brightness and contrast factors are drawn from ``1 ± jitter``; both act
            about the patch mean, so any value range works. Defaults to ``0.1``.
    """

    origin = "cutpaste (synthetic)"
    synthetic = True

    def __init__(
        self, area: tuple[float, float] = (0.02, 0.15), aspect: tuple[float, float] = (0.3, 3.3), jitter: float = 0.1,
    ) -> None:
        self.area = area
        self.aspect = aspect
        self.jitter = jitter

    @staticmethod
    def _uniform(low: float, high: float) -> float:
        return low + (high - low) * torch.rand(()).item()

    @staticmethod
    def _position(limit: int) -> int:
        return int(torch.randint(0, limit + 1, ()).item())

    def __call__(self, normals: Tensor) -> Tensor:
        """One pasted patch per normal image."""
        fakes = normals.clone()
        _, _, height, width = normals.shape
        for image, fake in zip(normals, fakes, strict=True):
            area = self._uniform(*self.area) * height * width
            ratio = math.exp(self._uniform(math.log(self.aspect[0]), math.log(self.aspect[1])))
            h = min(max(round(math.sqrt(area / ratio)), 1), height - 1)
            w = min(max(round(math.sqrt(area * ratio)), 1), width - 1)
            top, left = self._position(height - h), self._position(width - w)
            patch = image[:, top : top + h, left : left + w]
            mean = patch.mean()
            low, high = 1 - self.jitter, 1 + self.jitter
            contrast, brightness = self._uniform(low, high), self._uniform(low, high)
            patch = (patch - mean) * contrast + mean * brightness
            top, left = self._position(height - h), self._position(width - w)
            fake[:, top : top + h, left : left + w] = patch
        return fakes


def make_fake_source(
    source: str | Path,
    present: Presenter = to_pixels,
    normal_class: int | None = None,
    num_classes: int | None = None,
    block_size: int | None = None,
) -> FakeSource:
    """The fake source named ``"perlin"``, ``"cutpaste"`` or by a path (see the module docstring).

    Args:
        source: ``"perlin"``, ``"cutpaste"``, or a ``.npy`` file / image folder of fakes.
        present: Turns the file's uint8 images into the data's space (see
            :func:`fake_presenter`). Defaults to pixels in [0, 1].
        normal_class: With ``num_classes``, use only this class's block of the file.
            Defaults to ``None`` (the whole file).
        num_classes: Number of per-class blocks in the file. Defaults to ``None``.
        block_size: Fakes per class (FITYMI: the normal training set's size); ``None``:
            equal blocks. See :func:`class_block`. Defaults to ``None``.
    """
    name = str(source)
    if name.lower() == "perlin":
        return PerlinFakes()
    if name.lower() == "cutpaste":
        return CutPasteFakes()
    images = load_fake_images(name)
    origin = f"all {len(images)} fakes of {Path(name).name}"
    if num_classes is not None and normal_class is not None:
        total = len(images)
        images = class_block(images, normal_class, num_classes, block_size, name=repr(name))
        start = normal_class * len(images)
        origin = (
            f"block {normal_class} of {num_classes} (fakes {start}-{start + len(images) - 1} of {total}) "
            f"of {Path(name).name}"
        )
    return FileFakes(torch.from_numpy(present(np.asarray(images))), origin=origin)


__all__ = [
    "GENERATORS",
    "CutPasteFakes",
    "FakeSource",
    "FileFakes",
    "PerlinFakes",
    "check_fake_size",
    "check_fake_source",
    "class_block",
    "data_identity",
    "fake_presenter",
    "load_fake_images",
    "make_fake_source",
]
