# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""anomalib data module for the paper's one-class benchmarks, held in memory.

One class is normal, every other class anomalous; images are preprocessed as in the
paper (``anomalib_toll.data``) and split as in ``anomalib_toll.protocol``:
train = normal training images, validation = the authors' 10,000 labelled training
images (``paper`` protocol), test = the official test set. Items are tensor views, so
no image files are read and no DataLoader workers are needed.

Example:
    >>> from anomalib_toll.models import OneClass
    >>> datamodule = OneClass(dataset="digits", normal_class=3)
    >>> datamodule.setup()
    >>> datamodule.train_data[0].image.shape  # gray images are presented as RGB
    torch.Size([3, 8, 8])
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from anomalib.data import AnomalibDataModule, AnomalibDataset, ImageItem
from anomalib.data.utils import LabelName

from anomalib_toll.core import as_tensor
from anomalib_toll.data import get_dataset, load_images, to_pixels
from anomalib_toll.protocol.splits import SPLIT_SEED, OneClassSplit, make_split


class OneClassDataset(AnomalibDataset):
    """Preprocessed images and 0/1 labels in memory, presented as anomalib items.

    anomalib items must be RGB: a gray image is presented as three views of its one
    channel (no copy), and models that know (``Toll(grayscale=True)``) use one of them.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, split: str) -> None:
        super().__init__()
        self.images = as_tensor(images)
        self.labels = torch.from_numpy(np.asarray(labels, dtype=np.int64))
        frame = pd.DataFrame({
            "image_path": [f"{split}/{i:07d}" for i in range(len(labels))],  # ids; sorted order = row order
            "label_index": np.where(labels == 0, LabelName.NORMAL, LabelName.ABNORMAL),
            "split": split,
            "mask_path": "",
        })
        frame.attrs["task"] = "classification"
        self.samples = frame

    @property
    def samples(self) -> pd.DataFrame:
        """One row per image; ``image_path`` holds the row id (there are no files)."""
        return self._samples

    @samples.setter
    def samples(self, samples: pd.DataFrame) -> None:
        self._samples = samples.sort_values(by="image_path", ignore_index=True)  # no file check: no files

    def __getitem__(self, index: int) -> ImageItem:
        """The ``index``-th image (a view, RGB) with its label; its ``image_path`` is its id."""
        image_id = self.samples["image_path"].iloc[index]
        row = int(image_id.rsplit("/", 1)[1])
        image = self.images[row]
        image = image.expand(3, -1, -1) if image.shape[0] == 1 else image
        return ImageItem(image=image, gt_label=self.labels[row], image_path=image_id)


class SplitDataModule(AnomalibDataModule):
    """An anomalib data module over a ready :class:`~anomalib_toll.protocol.OneClassSplit`.

    Lets any anomalib model train through ``Engine`` on exactly the arrays the core
    protocol uses (the benchmark bridge runs every model on the same split).

    Args:
        split (OneClassSplit): Preprocessed train/validation/test arrays.
        train_batch_size (int): Defaults to ``128``.
        eval_batch_size (int): Defaults to ``1000``.
        num_workers (int): In-memory items need none. Defaults to ``0``.
    """

    def __init__(
        self,
        split: OneClassSplit | None = None,
        train_batch_size: int = 128,
        eval_batch_size: int = 1000,
        num_workers: int = 0,
    ) -> None:
        super().__init__(
            train_batch_size=train_batch_size,
            eval_batch_size=eval_batch_size,
            num_workers=num_workers,
            val_split_mode="from_dir",
            test_split_mode="from_dir",
        )
        self.split = split

    def load_split(self) -> OneClassSplit:
        """The arrays to serve; subclasses build them on demand."""
        if self.split is None:
            msg = "SplitDataModule needs a split: pass split=..., or use a data module that builds one (OneClass)."
            raise ValueError(msg)
        return self.split

    @property
    def grayscale(self) -> bool:
        """Whether the images are gray (presented as RGB with three equal channels)."""
        split = self.split or self.load_split()
        return split.x_train.ndim == 4 and split.x_train.shape[1] == 1

    @property
    def category(self) -> str:
        """Used by anomalib for result folders: ``<dataset>_<class>``."""
        split = self.split or self.load_split()
        return f"{split.dataset}_{split.normal_class}"

    @category.setter
    def category(self, category: str) -> None:  # noqa: PLR6301 - anomalib assigns it; a setter needs self
        del category  # derived from the split

    def _create_test_split(self) -> None:
        """The official test set is already complete (normal and anomalous): keep it as is."""

    def _setup(self, _stage: str | None = None) -> None:
        self.split = self.split or self.load_split()
        split = self.split
        self.train_data = OneClassDataset(split.x_train, np.zeros(len(split.x_train), dtype=np.int64), "train")
        self.val_data = OneClassDataset(split.x_val, split.y_val, "val")
        self.test_data = OneClassDataset(split.x_test, split.y_test, "test")


class OneClass(SplitDataModule):
    """MNIST, Fashion-MNIST, CIFAR-10, CIFAR-100 (20 superclasses) or digits, one class normal.

    Args:
        dataset (str): ``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100`` or ``digits``.
            Defaults to ``"mnist"``.
        normal_class (int): The normal class. Defaults to ``0``.
        data_root (str | None): Folder with the data; ``None`` uses ``$ANOMALIB_TOLL_DATA``.
            Defaults to ``None``.
        download (bool): Let torchvision download missing data. Defaults to ``False``.
        split_seed (int): Seed of the held-out validation rows (the authors used one fixed
            split). Defaults to ``42``.
        train_batch_size (int): Defaults to ``128``.
        eval_batch_size (int): Defaults to ``1000``.
        num_workers (int): In-memory items need none. Defaults to ``0``.
    """

    def __init__(
        self,
        dataset: str = "mnist",
        normal_class: int = 0,
        data_root: str | None = None,
        download: bool = False,
        split_seed: int = SPLIT_SEED,
        train_batch_size: int = 128,
        eval_batch_size: int = 1000,
        num_workers: int = 0,
    ) -> None:
        super().__init__(
            split=None, train_batch_size=train_batch_size, eval_batch_size=eval_batch_size, num_workers=num_workers,
        )
        self.dataset = dataset
        self.normal_class = normal_class
        self.data_root = data_root
        self.download = download
        self.split_seed = split_seed

    def load_split(self) -> OneClassSplit:
        """The paper's split of the configured data set and class."""
        return make_split(
            self.dataset, self.normal_class, self.split_seed, data_root=self.data_root, download=self.download,
        )

    @property
    def grayscale(self) -> bool:
        """Gray data sets, known without loading them."""
        return get_dataset(self.dataset).grayscale

    @property
    def category(self) -> str:
        """Used by anomalib for result folders: ``<dataset>_<class>``."""
        return f"{self.dataset}_{self.normal_class}"

    @category.setter
    def category(self, category: str) -> None:  # noqa: PLR6301 - anomalib assigns it; a setter needs self
        del category  # derived from dataset and class


class PixelOneClass(OneClass):
    """The one-class benchmarks as FITYMI trains on them: pixels in [0, 1], all normal training images.

    Train = every training image of the normal class (5,000 for a CIFAR-10 class, 2,500
    for a CIFAR-100 superclass); validation and test = the official test set, normal
    class 0, every other class 1. FITYMI selects no checkpoint, so validation only
    reports. Same arguments as :class:`OneClass` (``split_seed`` is unused: nothing is
    held out).
    """

    def _setup(self, _stage: str | None = None) -> None:
        n_classes = get_dataset(self.dataset).n_classes
        if not 0 <= self.normal_class < n_classes:
            msg = f"normal_class must be in 0..{n_classes - 1} for {self.dataset}, got {self.normal_class}."
            raise ValueError(msg)
        images = load_images(self.dataset, data_root=self.data_root, download=self.download)
        x_train = to_pixels(images.x_train[images.y_train == self.normal_class])
        x_test, y_test = to_pixels(images.x_test), (images.y_test != self.normal_class).astype(np.int64)
        self.train_data = OneClassDataset(x_train, np.zeros(len(x_train), dtype=np.int64), "train")
        self.val_data = OneClassDataset(x_test, y_test, "val")  # shares x_test's memory with test_data
        self.test_data = OneClassDataset(x_test, y_test, "test")
