# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""FITYMI and FITYMI+Toll in the benchmark: the anomalib model through ``Engine``, on the shared split.

The split's images are preprocessed as in the Toll paper; fakes from a file get the same
preprocessing, Perlin and CutPaste fakes are made from the batch's own normal images.
Each step holds ``batch_size`` normal images and as many fakes (8 + 8 unless the budget
says otherwise: FITYMI's 16). FITYMI selects no checkpoint: the last weights are scored.

Example:
    >>> FitymiRunner(collapse_weight=0.0).name
    'fitymi'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from anomalib_toll.runners.anomalib import AnomalibRunner

if TYPE_CHECKING:
    from anomalib.models.components import AnomalibModule

    from anomalib_toll.protocol import OneClassSplit

FITYMI_BATCH = 8  # normal images per step; the fakes double it to FITYMI's 16


class FitymiRunner(AnomalibRunner):
    """:class:`~anomalib_toll.models.FitymiToll` with the fake source and backbone as options.

    Args:
        collapse_weight: ``0`` is plain FITYMI (``name`` ``fitymi``). Defaults to ``1.0``.
        fake_source: ``"perlin"``, ``"cutpaste"`` or a fakes ``.npy`` / image folder.
            Defaults to ``"perlin"``.
        backbone: timm ViT name. Defaults to ``"vit_base_patch16_224.orig_in21k"``.
        weights_file: Local ViT weights. Defaults to ``None`` (timm's cache or the hub).
        pretrained: ``False`` for a random ViT (offline). Defaults to ``True``.
        image_size: Crop size fed to the ViT. Defaults to ``224``.
        device: ``"cpu"``, ``"gpu"``, ...; ``None`` picks one. Defaults to ``None``.
        **kwargs: More :class:`~anomalib_toll.models.FitymiToll` arguments
            (``backbone_kwargs``, ``frozen_blocks``, ``lr``, ...).
    """

    default_batch_size = FITYMI_BATCH

    def __init__(
        self,
        collapse_weight: float = 1.0,
        fake_source: str = "perlin",
        backbone: str = "vit_base_patch16_224.orig_in21k",
        weights_file: str | None = None,
        pretrained: bool = True,
        image_size: int = 224,
        protocol: str = "paper",
        device: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(
            "anomalib_toll.models.FitymiToll", image_size=image_size, pre_trained=pretrained, protocol=protocol,
            device=device, **kwargs,
        )
        self.name = "fitymi" if collapse_weight == 0 else "fitymi_toll"
        self.collapse_weight = collapse_weight
        self.fake_source = fake_source
        self.backbone = backbone
        self.weights_file = weights_file
        self.note = f"{'pretrained' if pretrained else 'random'} {backbone}, {fake_source} fakes"

    def _build(self, split: OneClassSplit, batch_size: int) -> AnomalibModule:
        del split, batch_size  # the model sizes itself from image_size; the data module batches
        from anomalib_toll.models import FitymiToll

        return FitymiToll(
            backbone=self.backbone, weights_file=self.weights_file, pretrained=self.pre_trained, image_size=self.image_size,
            collapse_weight=self.collapse_weight, fake_source=self.fake_source, visualizer=False, **self.kwargs,
        )

    def settings(self, dataset: str) -> str:
        """Collapse weight, fakes, backbone and crop size."""
        del dataset  # FITYMI's settings do not depend on the data set
        return (
            f"{self.name}(collapse_weight={self.collapse_weight}, fakes={self.fake_source}, backbone={self.backbone}, "
            f"weights={self.weights_file}, pretrained={self.pre_trained}, image_size={self.image_size}, {self.kwargs})"
        )
