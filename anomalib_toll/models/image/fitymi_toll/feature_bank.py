# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""FITYMI's kNN feature bank as a component: embeddings of the normal training images, kept in step with the weights.

The bank itself is a buffer of the torch model (``FitymiTollModel.feature_bank``, saved in
checkpoints); this component decides when to rebuild it (the weights changed since it was
built) and builds it, so the Lightning module's hooks only delegate, as anomalib's memory-bank
models keep their bank logic out of the module.

Example:
    >>> bank = FeatureBank()
    >>> bank.step is None
    True
"""

from typing import TYPE_CHECKING, Any, cast

import torch
from torch.utils.data import DataLoader, Dataset

if TYPE_CHECKING:
    from anomalib.models.components import AnomalibModule
    from anomalib.pre_processing import PreProcessor

    from anomalib_toll.models.image.fitymi_toll.torch_model import FitymiTollModel

BANK_BATCH = 256


class FeatureBank:
    """Builds the kNN bank from the training images and rebuilds it whenever the weights changed."""

    def __init__(self) -> None:
        self.step: int | None = None  # global step of the weights the bank was computed with

    @staticmethod
    def training_images(module: "AnomalibModule") -> Dataset | None:
        """The data module's normal training images (or the training loader's), if the module is in a trainer."""
        if module._trainer is None:  # noqa: SLF001 - Lightning's own way to ask without raising
            return None
        dataset = getattr(getattr(module.trainer, "datamodule", None), "train_data", None)
        if dataset is None and module.trainer.train_dataloader is not None:
            dataset = module.trainer.train_dataloader.dataset
        return dataset

    @torch.no_grad()
    def build(self, module: "AnomalibModule", dataset: Dataset | None = None, max_batches: int | None = None) -> None:
        """Embed the normal training images (evaluation transform, eval mode) into the bank.

        Args:
            module: The FITYMI(+Toll) module whose network (a ``FitymiTollModel``) embeds the images.
            dataset: anomalib dataset of normal images; ``None`` takes the data module's
                training set. Defaults to ``None``.
            max_batches: Embed only this many batches (sanity checks). Defaults to ``None``.
        """
        dataset = dataset if dataset is not None else self.training_images(module)
        if dataset is None:
            msg = "no training images to build the feature bank from: pass a dataset or train with a data module."
            raise RuntimeError(msg)
        collate = getattr(dataset, "collate_fn", None)
        loader = DataLoader(dataset, batch_size=BANK_BATCH, shuffle=False, collate_fn=collate)
        network = cast("FitymiTollModel", module.model)  # the bank's owner knows only the module it serves
        was_training = network.training
        network.eval()
        pre_processor = cast("PreProcessor | None", module.pre_processor)  # anomalib types it as an nn.Module
        embeddings = []
        for index, batch in enumerate(loader):
            if max_batches is not None and index >= max_batches:
                break
            images = batch.image.to(module.device)
            if pre_processor is not None and pre_processor.transform:
                images = pre_processor.transform(images)
            embeddings.append(network.embed(images).float())
        network.set_feature_bank(torch.cat(embeddings))
        network.train(was_training)

    def refresh(self, module: "AnomalibModule") -> None:
        """Rebuild the bank if the weights changed since it was built (and training images exist)."""
        if self.training_images(module) is None:
            return  # e.g. predicting from a checkpoint: use the stored bank
        if module.trainer.sanity_checking:
            self.build(module, max_batches=1)
            self.step = None
        elif self.step != module.trainer.global_step:
            self.build(module)
            self.step = module.trainer.global_step

    def save(self, module: "AnomalibModule", checkpoint: dict[str, Any]) -> None:
        """Put a bank that matches the saved weights into ``checkpoint``."""
        stale = module._trainer is not None and self.step != module.trainer.global_step  # noqa: SLF001
        if stale and not module.trainer.sanity_checking:
            self.refresh(module)
            checkpoint["state_dict"]["model.feature_bank"] = cast("FitymiTollModel", module.model).feature_bank


__all__ = ["FeatureBank"]
