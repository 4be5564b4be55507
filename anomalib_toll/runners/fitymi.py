# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""FITYMI and FITYMI+Toll in the benchmark, trained as FITYMI trained them; the anomalib model through ``Engine``.

On the data sets with an official train/test split (CIFAR-10, CIFAR-100, MNIST, ...) a
cell does not train on the Toll split: it trains on what FITYMI trained on,
:class:`~anomalib_toll.models.PixelOneClass` read from the split's data folder — every
normal training image (none held out), pixels in [0, 1] with FITYMI's transforms (not the
Toll paper's GCN + min-max) — and scores the same official test images, so its AUROC
sits beside the other models'. Training runs FITYMI's 30 epochs of 8 normal + 8 fake
images (the step count follows from the data and the batch: 30 × 625 = 18,750 for a
CIFAR-10 class) unless ``epochs`` says otherwise; ``epochs=None`` trains for the
bridge's step budget instead. Fakes: FITYMI's released file with ``fakes_by_class`` (the
normal class's block), or Perlin / CutPaste, which the result's note flags as not the
paper's fakes. Other data sets (a folder of images) train on the split as the other
models do. FITYMI selects no checkpoint: the last weights are scored.

Each cell's record holds what training did (``Row.training``): epochs and steps, the
fakes used, and the cross-entropy and the unweighted collapse term at the first step and
over the last epoch.

Example:
    >>> FitymiRunner(collapse_weight=0.0, pre_trained=False).name
    'fitymi'
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np

from anomalib_toll.core import parse_norm
from anomalib_toll.core.checks import check_number, check_positive_int
from anomalib_toll.data import IMAGE_DATASETS
from anomalib_toll.runners.anomalib import SCORE_BATCH, AnomalibRunner

if TYPE_CHECKING:
    from anomalib.data import AnomalibDataModule
    from anomalib.models.components import AnomalibModule

    from anomalib_toll.models import FitymiToll
    from anomalib_toll.models.data import OneClassDataset
    from anomalib_toll.protocol import Budget, OneClassSplit
    from anomalib_toll.runners.anomalib import Schedule

FITYMI_BATCH = 8  # normal images per step; the fakes double it to FITYMI's 16
FITYMI_EPOCHS = 30
DEFAULT_BACKBONE = "vit_base_patch16_224.orig_in21k"
WEIGHT_NAME = re.compile(r"fitymi_toll_(\d+(?:\.\d*)?(?:e-?\d+)?)")


def uses_fitymi_data(dataset: str) -> bool:
    """Whether FITYMI cells on ``dataset`` train on FITYMI's data (every normal training image, pixels).

    True for the data sets with an official train/test split (CIFAR-10, CIFAR-100, MNIST,
    Fashion-MNIST, digits); other data sets train on the cell's split.
    """
    return dataset in IMAGE_DATASETS


def fitymi_train_size(split: OneClassSplit) -> int:
    """How many normal images a FITYMI cell trains on: all the normal training images of the split's data.

    With an official split those are the split's training rows plus the normal rows it
    held out for validation (5,000 for a CIFAR-10 class); elsewhere the training rows.
    """
    if uses_fitymi_data(split.dataset):
        return len(split.x_train) + int((split.y_val == 0).sum())
    return len(split.x_train)


def collapse_weight_in_name(name: str) -> float | None:
    """The collapse weight a model name carries (``fitymi_toll_0.1`` → 0.1), ``None`` for other names."""
    match = WEIGHT_NAME.fullmatch(name.strip().lower())
    return float(match.group(1)) if match else None


def model_name(collapse_weight: float, default: float) -> str:
    """``fitymi`` (weight 0), ``fitymi_toll`` (the default) or ``fitymi_toll_<weight>``: one column per weight."""
    if collapse_weight == 0:
        return "fitymi"
    return "fitymi_toll" if collapse_weight == default else f"fitymi_toll_{collapse_weight:g}"


@functools.lru_cache(maxsize=8)
def check_weights(backbone: str, weights_file: str | None) -> None:
    """Raise now if the pretrained ViT's weights cannot be found or read (cached: a grid makes many adapters)."""
    from anomalib_toll.models.image.fitymi_toll.torch_model import resolve_weights

    resolve_weights(backbone, weights_file)


class FitymiRunner(AnomalibRunner):
    """:class:`~anomalib_toll.models.FitymiToll` as FITYMI trained it, with the fakes, schedule and backbone as options.

    The fakes file and the weights file are checked when the adapter is made, so a grid
    with a missing one is refused before any cell reads data.

    Args:
        collapse_weight: Weight of the collapse term; ``0`` is plain FITYMI (``name``
            ``fitymi``). Defaults to the model's measured default (docs/results.md).
        fake_source: ``"perlin"``, ``"cutpaste"`` (synthetic: the results say "not the
            paper's fakes") or a fakes ``.npy`` / image folder. Defaults to ``"perlin"``.
        fakes_by_class: The file is FITYMI's release (one block per class, each as large
            as the class's normal training set): use the normal class's block. Defaults to ``False``.
        epochs: Passes over the normal training images (FITYMI: 30); the step count is
            ``epochs × ⌈images / batch⌉``. ``None`` trains for the bridge's ``iterations``
            instead (a step budget, stated in the results' note). Defaults to ``30``.
        backbone: timm ViT name. Defaults to ``"vit_base_patch16_224.orig_in21k"``.
        weights_file: Local ViT weights. Defaults to ``None`` (timm's cache or the hub).
        pre_trained: ``False`` for a random ViT (offline). Defaults to ``True``.
        image_size: Crop size fed to the ViT. Defaults to ``224``.
        protocol: Unused: FITYMI selects no checkpoint. Defaults to ``"paper"``.
        device: ``"cpu"``, ``"gpu"``, ...; ``None`` picks one. Defaults to ``None``.
        **kwargs: More :class:`~anomalib_toll.models.FitymiToll` arguments
            (``backbone_kwargs``, ``frozen_blocks``, ``lr``, ...).

    Raises:
        ValueError: a bad argument (named), or a fakes file that is not uint8 images.
        FileNotFoundError: a missing fakes or weights file, or no weights for a pretrained ViT.
        PermissionError: a fakes or weights file that cannot be read.
    """

    default_batch_size = FITYMI_BATCH

    def __init__(
        self,
        collapse_weight: float | None = None,
        fake_source: str = "perlin",
        fakes_by_class: bool = False,
        epochs: int | None = FITYMI_EPOCHS,
        backbone: str = DEFAULT_BACKBONE,
        weights_file: str | None = None,
        pre_trained: bool = True,
        image_size: int = 224,
        protocol: str = "paper",
        device: str | None = None,
        **kwargs,
    ) -> None:
        from anomalib_toll.models.data import GENERATORS, check_fake_source
        from anomalib_toll.models.image.fitymi_toll.torch_model import DEFAULT_COLLAPSE_WEIGHT

        super().__init__(
            "anomalib_toll.models.FitymiToll", image_size=image_size, pre_trained=pre_trained, protocol=protocol,
            device=device, **kwargs,
        )
        weight = DEFAULT_COLLAPSE_WEIGHT if collapse_weight is None else collapse_weight
        self.collapse_weight = check_number("collapse_weight", weight, minimum=0.0)
        self.epochs = None if epochs is None else check_positive_int("epochs", epochs)
        self.fake_source = check_fake_source(fake_source)  # before any data is read: a grid makes its adapters first
        if "norm" in kwargs:
            parse_norm(kwargs["norm"])  # the model is built only when a cell trains
        self.synthetic_fakes = self.fake_source.lower() in GENERATORS
        self.fakes_by_class = bool(fakes_by_class) and not self.synthetic_fakes
        if pre_trained:
            check_weights(backbone, None if weights_file is None else str(weights_file))
        self.name = model_name(self.collapse_weight, DEFAULT_COLLAPSE_WEIGHT)
        self.backbone = backbone
        self.weights_file = weights_file
        self.test_images: np.ndarray | None = None  # FITYMI's own copy of the official test images
        self.note = self._note(fitymi_data=True, step_budget=None)

    def check_images(self, split: OneClassSplit) -> None:
        """Refuse, before any cell trains, images the fake source cannot make fakes of (Perlin: sides under 17).

        FITYMI's own data (:func:`uses_fitymi_data`) has the split's image size.
        """
        from anomalib_toll.models.data.fakes import check_fake_size

        try:
            check_fake_size(self.fake_source, *split.x_train.shape[-2:])
        except ValueError as err:
            msg = f"model {self.name!r} on {split.dataset}: {err}"
            raise ValueError(msg) from None

    def _note(self, fitymi_data: bool, step_budget: int | None) -> str:
        """What a reader of the results must know: weights, fakes, data and schedule against the paper's."""
        weights = f"pretrained {self.backbone}" if self.pre_trained else f"random {self.backbone} (not pretrained)"
        if self.synthetic_fakes:
            fakes = f"{self.fake_source} fakes: not the paper's fakes"
        else:
            fakes = f"fakes {Path(self.fake_source).name}" + (
                ", the normal class's block" if self.fakes_by_class else ", the whole file"
            )
        data = "all normal training images as pixels (FITYMI's)" if fitymi_data else "the Toll split's training rows"
        if step_budget is not None:
            schedule = f"{step_budget} steps: a step budget, not FITYMI's {FITYMI_EPOCHS} epochs"
        elif self.epochs == FITYMI_EPOCHS:
            schedule = f"{FITYMI_EPOCHS} epochs (FITYMI's)"
        else:
            schedule = f"{self.epochs} epoch{'s' * (self.epochs != 1)}, not FITYMI's {FITYMI_EPOCHS}"
        return f"{weights}; {fakes}; {data}; {schedule}"

    def resolve_budget(self, budget: Budget, dataset: str, split: OneClassSplit | None = None) -> Budget:
        """The batch (8 normal + 8 fakes unless the budget sets it) and the steps: ``epochs`` passes over the data.

        Raises:
            ValueError: ``epochs`` is set and ``split`` is not given (the step count needs the data).
        """
        resolved = budget.resolve(dataset, self.default_batch_size)
        if self.epochs is None:
            return resolved
        if split is None:
            msg = (
                f"{self.name} trains for {self.epochs} epochs: its step count (epochs × ⌈training images / batch⌉) "
                "needs the cell's data; call resolve_budget(budget, dataset, split)."
            )
            raise ValueError(msg)
        batch_size = int(resolved.batch_size or FITYMI_BATCH)
        return replace(resolved, iterations=self.epochs * math.ceil(fitymi_train_size(split) / batch_size))

    @staticmethod
    def _datamodule(split: OneClassSplit, batch_size: int) -> AnomalibDataModule:
        """FITYMI's data for the split's data set and class where it has an official split, else the split itself."""
        from anomalib_toll.models import PixelOneClass, SplitDataModule

        if uses_fitymi_data(split.dataset):
            return PixelOneClass(
                dataset=split.dataset, normal_class=split.normal_class, data_root=split.data_root,
                download=split.download, train_batch_size=batch_size, eval_batch_size=SCORE_BATCH,
            )
        return SplitDataModule(split, train_batch_size=batch_size, eval_batch_size=SCORE_BATCH)

    def fit(self, split: OneClassSplit, seed: int, budget: Budget) -> FitymiRunner:
        """Train ``epochs`` over FITYMI's data (with ``epochs=None``: the budget's steps); keep the last weights."""
        from lightning.pytorch import seed_everything

        seed_everything(seed, verbose=False)
        batch_size = int(budget.batch_size or FITYMI_BATCH)
        datamodule = self._datamodule(split, batch_size)
        self.model = model = self._build(split, batch_size)
        schedule: Schedule = {"limit_val_batches": 0, "num_sanity_val_steps": 0}
        if self.epochs is not None:
            schedule |= {"max_epochs": self.epochs, "max_steps": -1}
        else:
            schedule |= {"max_epochs": -1, "max_steps": budget.iterations}
        trainer = self.train_with_engine(model, datamodule, **schedule)
        steps, epochs_done = int(trainer.global_step), int(trainer.current_epoch)
        fitymi_data = uses_fitymi_data(split.dataset)
        test_data = cast("OneClassDataset", datamodule.test_data)
        if fitymi_data and not np.array_equal(test_data.labels.numpy(), split.y_test):
            msg = f"{split.dataset}: FITYMI's test images do not match the split's official test set (order or labels)."
            raise RuntimeError(msg)
        self.test_images = test_data.images.numpy() if fitymi_data else None
        n_train = len(datamodule.train_data)
        self.note = self._note(fitymi_data, step_budget=None if self.epochs is not None else steps)
        self.training = self._describe(cast("FitymiToll", model), n_train, batch_size, steps, epochs_done)
        return self

    def _describe(self, model: FitymiToll, n_train: int, batch_size: int, steps: int, epochs_done: int) -> str:
        """Epochs and steps run, the fakes used, and the two loss terms at the start and over the last epoch."""
        per_epoch = math.ceil(n_train / batch_size)
        losses = model.train_losses().numpy()  # (steps, 2): cross-entropy, unweighted collapse term
        fakes = getattr(model.fakes, "origin", "") or self.fake_source
        if self.epochs:
            schedule = f"{epochs_done} epoch{'s' * (epochs_done != 1)} = {steps} steps"
        else:
            schedule = f"{steps} steps = {steps / per_epoch:.3g} epochs"
        images = f"{batch_size} normal + {batch_size} fake images"
        parts = [
            f"{schedule} of {images} ({n_train} normal training images, {per_epoch} steps per epoch)",
            f"fakes: {fakes}",
        ]
        if len(losses):
            first, last = losses[0], losses[-min(per_epoch, len(losses)) :].mean(axis=0)
            parts.append(
                f"cross-entropy {first[0]:.4g} -> {last[0]:.4g}, collapse term {first[1]:.4g} -> {last[1]:.4g} "
                f"(first step -> mean of the last epoch; collapse weight {self.collapse_weight:g})",
            )
        return "; ".join(parts)

    def score_test(self, split: OneClassSplit) -> np.ndarray:
        """Scores of the official test images: FITYMI's pixel copy where it trained on its own data."""
        if self.test_images is None:
            return self.score(split.x_test)
        if len(self.test_images) != len(split.y_test):
            msg = (
                f"{self.name} was fitted on another data set "
                f"({len(self.test_images)} test images, not {len(split.y_test)})."
            )
            raise RuntimeError(msg)
        return self.score(self.test_images)

    def _build(self, split: OneClassSplit, batch_size: int) -> AnomalibModule:
        del split, batch_size  # the model sizes itself from image_size; the data module batches
        from anomalib_toll.models import FitymiToll

        return FitymiToll(
            backbone=self.backbone, weights_file=self.weights_file, pre_trained=self.pre_trained,
            image_size=self.image_size, collapse_weight=self.collapse_weight, fake_source=self.fake_source,
            fakes_by_class=self.fakes_by_class, visualizer=False, **self.kwargs,
        )

    def settings(self, dataset: str) -> str:
        """Collapse weight, fakes, schedule, data, backbone and crop size."""
        data = "fitymi" if uses_fitymi_data(dataset) else "split"
        return (
            f"{self.name}(collapse_weight={self.collapse_weight:g}, fakes={self.fake_source}, "
            f"fakes_by_class={self.fakes_by_class}, epochs={self.epochs}, data={data}, backbone={self.backbone}, "
            f"weights={self.weights_file}, pre_trained={self.pre_trained}, image_size={self.image_size}, {self.kwargs})"
        )
