# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""FITYMI+Toll: a ViT taught to tell normal images from fakes, with a collapse term, for anomalib.

Each training step takes a batch of N normal images from the data module, makes N fakes
(``fake_source``: FITYMI's released ``.npy``, or Perlin / CutPaste offline, see
:mod:`anomalib_toll.models.data.fakes`), applies FITYMI's train transform to all 2N images and
minimises the cross-entropy normal-vs-fake plus ``collapse_weight`` times the mean
distance of the normal embeddings to their batch mean. Scoring uses the normal training
images' embeddings as a kNN bank, rebuilt from the data module's training set with the
test transform whenever the weights changed (before validation, testing and checkpoints).
``collapse_weight=0`` (or :class:`Fitymi`) is plain FITYMI.

Example:
    >>> from anomalib.engine import Engine
    >>> from anomalib_toll.models import PixelOneClass
    >>> from anomalib_toll.models import FitymiToll
    >>> model = FitymiToll(weights_file="ViT-B_16.npz", fake_source="perlin")  # doctest: +SKIP
    >>> datamodule = PixelOneClass(dataset="cifar10", normal_class=0, train_batch_size=8)
    >>> Engine(max_epochs=30).train(model, datamodule=datamodule)  # doctest: +SKIP

Paper:
    Targeted collapse regularized autoencoder for anomaly detection: black hole at the
    center (Ghafourian et al.), Sec. 4.1; Fake It Till You Make It (Mirzaei et al., ICLR 2023).

See Also:
    :class:`anomalib_toll.models.image.fitymi_toll.torch_model.FitymiTollModel`
"""

# No ``from __future__ import annotations``: anomalib's CLI (jsonargparse) reads ``FitymiToll``'s
# signature at run time, so its annotations stay real objects.

from typing import TYPE_CHECKING, Any, cast

import torch
from anomalib import LearningType
from anomalib.data import Batch
from anomalib.metrics import Evaluator, F1Score
from anomalib.models.components import AnomalibModule
from anomalib.post_processing import PostProcessor
from anomalib.pre_processing import PreProcessor
from anomalib.visualization import Visualizer
from lightning.pytorch.utilities.types import STEP_OUTPUT
from torch import Tensor
from torch.utils.data import Dataset
from torchvision.transforms.v2 import (
    CenterCrop,
    Compose,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    Resize,
    Transform,
)

from anomalib_toll.models.image.fitymi_toll.feature_bank import FeatureBank
from anomalib_toll.models.image.fitymi_toll.torch_model import (
    DEFAULT_BACKBONE,
    DEFAULT_COLLAPSE_WEIGHT,
    FitymiTollModel,
)
from anomalib_toll.models.metrics import ScoreAUROC
from anomalib_toll.models.visualizer import FileImageVisualizer

if TYPE_CHECKING:
    from anomalib_toll.models.data.fakes import FakeSource

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class FitymiPreProcessor(PreProcessor):
    """FITYMI's transforms: ``transform`` for evaluation, ``train_transform`` per image in training.

    Training batches pass the callback untouched: the model first adds the fakes, then
    applies ``train_transform`` to normal and fake images alike (:meth:`augment`).
    Validation, test, predict and export use ``transform``.

    Args:
        transform: Evaluation transform. Defaults to ``None``.
        train_transform: Training transform, drawn independently per image; ``None``
            uses ``transform``. Defaults to ``None``.
    """

    def __init__(self, transform: Transform | None = None, train_transform: Transform | None = None) -> None:
        super().__init__(transform=transform)
        self.train_transform = train_transform or transform

    def on_train_batch_start(self, *args: object, **kwargs: object) -> None:  # noqa: PLR6301 - overrides a hook
        """Leave training images as served: :meth:`augment` transforms them with the fakes."""
        del args, kwargs  # unused

    def augment(self, images: Tensor) -> Tensor:
        """``train_transform`` applied to each image with its own random crop and flip."""
        if self.train_transform is None:
            return images
        return torch.stack([self.train_transform(image) for image in images])


class FitymiToll(AnomalibModule):
    """FITYMI+Toll for anomalib's ``Engine`` and CLI; defaults are FITYMI's.

    Args:
        backbone (str): timm ViT name. Defaults to ``"vit_base_patch16_224.orig_in21k"``.
        weights_file (str | None): Local weights (``.safetensors``, ``.pth`` or Google's
            ``.npz``); ``None`` uses timm's cache or the hub, and fails at once, with what
            to download, when neither is available. Defaults to ``None``.
        pre_trained (bool): ``False`` initialises the ViT randomly. Defaults to ``True``.
        frozen_blocks (int): Leading encoder blocks kept frozen. Defaults to ``6``.
        image_size (int): Crop size fed to the ViT. Defaults to ``224``.
        resize_size (int | None): Resize before cropping; ``None`` is
            ``image_size × 256 / 224`` (256 for 224). Defaults to ``None``.
        lr (float): SGD learning rate, no schedule. Defaults to ``4e-4``.
        weight_decay (float): SGD weight decay. Defaults to ``5e-5``.
        momentum (float): SGD momentum. Defaults to ``0.0``.
        k (int): Nearest neighbours in the score. Defaults to ``2``.
        collapse_weight (float): Weight of the collapse term; ``0`` is plain FITYMI.
            Defaults to ``0.1``, chosen from measurements (docs/results.md).
        norm (int | str): Norm of the collapse term, 1, 2 or "inf". Defaults to ``2``.
        fake_source (str): ``"perlin"``, ``"cutpaste"`` or a ``.npy`` / image folder of
            fakes. Defaults to ``"perlin"``.
        fakes_by_class (bool): The fake file holds one equal block per class of the data
            module's data set (FITYMI's release); use the normal class's block.
            Defaults to ``False``.
        dropout (float): Embedding and MLP dropout. Defaults to ``0.1``.
        backbone_kwargs (dict[str, Any] | None): More ``timm.create_model`` arguments,
            e.g. ``{"depth": 2, "embed_dim": 32, "num_heads": 2, "patch_size": 8}``.
            Defaults to ``None``.
        pre_processor (PreProcessor | bool, optional): A plain ``PreProcessor``'s
            transform is used for training too. Defaults to ``True``.
        post_processor (PostProcessor | bool, optional): Defaults to ``True``.
        evaluator (Evaluator | bool, optional): Defaults to ``True``.
        visualizer (Visualizer | bool, optional): Defaults to ``True``.
    """

    def __init__(
        self,
        backbone: str = DEFAULT_BACKBONE,
        weights_file: str | None = None,
        pre_trained: bool = True,
        frozen_blocks: int = 6,
        image_size: int = 224,
        resize_size: int | None = None,
        lr: float = 4e-4,
        weight_decay: float = 5e-5,
        momentum: float = 0.0,
        k: int = 2,
        collapse_weight: float = DEFAULT_COLLAPSE_WEIGHT,
        norm: int | str = 2,
        fake_source: str = "perlin",
        fakes_by_class: bool = False,
        dropout: float = 0.1,
        backbone_kwargs: dict[str, Any] | None = None,
        pre_processor: PreProcessor | bool = True,
        post_processor: PostProcessor | bool = True,
        evaluator: Evaluator | bool = True,
        visualizer: Visualizer | bool = True,
    ) -> None:
        self.image_size = image_size  # read by configure_pre_processor inside super().__init__
        self.resize_size = resize_size
        super().__init__(
            pre_processor=pre_processor,
            post_processor=post_processor,
            evaluator=evaluator,
            visualizer=visualizer,
        )
        if type(self.pre_processor) is PreProcessor:  # a plain one: its transform serves training too
            self.pre_processor = FitymiPreProcessor(transform=self.pre_processor.transform)
        self.lr = lr
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.fake_source = str(fake_source)  # read in on_fit_start: predicting from a checkpoint needs no fakes
        self.fakes_by_class = fakes_by_class
        self.model: FitymiTollModel = FitymiTollModel(
            backbone, weights_file, pre_trained, frozen_blocks, image_size, k, collapse_weight, norm, dropout,
            backbone_kwargs,
        )
        self.fakes: FakeSource | None = None
        self.loss_history: list[Tensor] = []  # per training step: (cross-entropy, collapse term), unweighted
        self.bank = FeatureBank()  # when the kNN bank is rebuilt, and how

    def configure_pre_processor(  # type: ignore[override]  # FITYMI crops squares: one int, not anomalib's (h, w)
        self, image_size: int | None = None,
    ) -> FitymiPreProcessor:
        """FITYMI's transforms, ImageNet-normalised.

        Train: Resize(256) → RandomCrop(224) → RandomHorizontalFlip; evaluation:
        Resize(256) → CenterCrop(224) (for ``image_size`` 224).
        """
        default_crop: int = getattr(self, "image_size", 224)
        crop = image_size or default_crop
        size = getattr(self, "resize_size", None) or round(crop * 256 / 224)
        normalize = Normalize(mean=IMAGENET_MEAN, std=IMAGENET_STD)
        return FitymiPreProcessor(
            transform=Compose([Resize(size, antialias=True), CenterCrop(crop), normalize]),
            train_transform=Compose(
                [Resize(size, antialias=True), RandomCrop(crop), RandomHorizontalFlip(), normalize],
            ),
        )

    @classmethod
    def configure_visualizer(cls) -> FileImageVisualizer:
        """Anomalib's image visualizer, passing over images held in memory."""
        return FileImageVisualizer()

    @staticmethod
    def configure_evaluator() -> Evaluator:
        """Image AUROC on validation; image AUROC and F1 on test (scores only: no pixel metrics)."""
        image_auroc = ScoreAUROC(fields=["pred_score", "gt_label"], prefix="image_")
        image_f1 = F1Score(fields=["pred_label", "gt_label"], prefix="image_")
        test_auroc = cast("ScoreAUROC", image_auroc.clone())  # torchmetrics types clone() as a plain Metric
        return Evaluator(val_metrics=[image_auroc], test_metrics=[test_auroc, image_f1])

    def configure_optimizers(self) -> torch.optim.Optimizer:
        """SGD on the trainable parameters, fixed learning rate (FITYMI's)."""
        params = [p for p in self.model.parameters() if p.requires_grad]
        return torch.optim.SGD(params, lr=self.lr, momentum=self.momentum, weight_decay=self.weight_decay)

    def on_fit_start(self) -> None:
        """Build the fake source for the data module's images.

        With ``fakes_by_class`` the file's block of the data module's normal class is
        used; for ``PixelOneClass`` (all normal training images, FITYMI's data) the
        blocks must be as large as that training set, as in FITYMI's release.
        Generated fakes (Perlin, CutPaste) are made from each batch's own normal images,
        so ``fakes_by_class`` does not apply to them.
        """
        from anomalib_toll.data import IMAGE_DATASETS, get_dataset
        from anomalib_toll.models.data import GENERATORS, PixelOneClass, data_identity, fake_presenter, make_fake_source

        datamodule = getattr(self.trainer, "datamodule", None)
        normal_class, num_classes, block_size = None, None, None
        if self.fakes_by_class and self.fake_source.lower() not in GENERATORS:
            dataset, normal_class = data_identity(datamodule)
            if dataset not in IMAGE_DATASETS or normal_class is None:
                msg = (
                    f"fakes_by_class=True needs a data module that knows its data set and normal class (OneClass, "
                    f"PixelOneClass), got {type(datamodule).__name__}; for a file of this class's fakes only, pass "
                    "fakes_by_class=False."
                )
                raise ValueError(msg)
            num_classes = get_dataset(str(dataset)).n_classes
            if isinstance(datamodule, PixelOneClass) and datamodule.train_data is not None:
                block_size = len(datamodule.train_data)  # FITYMI: one fake per normal training image
        present = fake_presenter(datamodule)
        self.fakes = make_fake_source(self.fake_source, present, normal_class, num_classes, block_size)
        self.loss_history = []

    def training_step(self, batch: Batch, *args, **kwargs) -> STEP_OUTPUT:
        """One step on N normal images and N fakes (labels 0 and 1).

        Logs ``train_ce`` (cross-entropy), ``train_collapse`` (the collapse term, before
        its weight) and ``train_loss`` (their weighted sum, what is minimised).
        """
        del args, kwargs  # unused
        normals = batch.image
        if self.fakes is None or normals is None:
            msg = "no fake source or no images: FitymiToll builds its fakes in on_fit_start from image batches."
            raise RuntimeError(msg)
        fakes = self.fakes(normals)
        images = torch.cat([normals, fakes.to(normals)])
        if isinstance(self.pre_processor, FitymiPreProcessor):
            images = self.pre_processor.augment(images)
        labels = torch.cat([torch.zeros(len(normals)), torch.ones(len(fakes))]).long().to(images.device)
        ce, collapse = self.model.loss_terms(images, labels)
        weight = self.model.collapse_weight
        loss = ce if weight == 0 else ce + weight * collapse
        self.loss_history.append(torch.stack([ce.detach(), collapse.detach()]))
        if self._trainer is None or not self._trainer.barebones:  # barebones trainers refuse logging
            self.log("train_ce", ce.detach(), on_step=True, on_epoch=False, logger=True)
            self.log("train_collapse", collapse.detach(), on_step=True, on_epoch=False, logger=True)
            self.log("train_loss", loss.detach(), on_step=True, on_epoch=False, prog_bar=True, logger=True)
        return {"loss": loss}

    def train_losses(self) -> Tensor:
        """Cross-entropy and the unweighted collapse term of every training step so far, ``(steps, 2)`` on the CPU."""
        if not self.loss_history:
            return torch.empty(0, 2)
        return torch.stack(self.loss_history).float().cpu()

    def update_feature_bank(self, dataset: Dataset | None = None, max_batches: int | None = None) -> None:
        """Embed the normal training images into the kNN bank (:meth:`FeatureBank.build`)."""
        self.bank.build(self, dataset, max_batches)

    def on_validation_start(self) -> None:
        """Score validation images against a bank computed with the current weights."""
        self.bank.refresh(self)

    def on_test_start(self) -> None:
        """Score test images against a bank computed with the current weights."""
        self.bank.refresh(self)

    def on_train_end(self) -> None:
        """Leave the trained model with a current bank (for scoring outside a trainer)."""
        self.bank.refresh(self)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Save a bank that matches the saved weights."""
        super().on_save_checkpoint(checkpoint)
        self.bank.save(self, checkpoint)

    def validation_step(self, batch: Batch, *args, **kwargs) -> STEP_OUTPUT:
        """Score a validation batch by kNN, as in testing; anomalib's evaluator computes the image AUROC."""
        return self.test_step(batch, *args, **kwargs)

    @property
    def trainer_arguments(self) -> dict[str, Any]:
        """Nothing forced: epochs, validation interval and precision stay the user's."""
        return {}

    @property
    def learning_type(self) -> LearningType:
        """Trained on normal images only; the fakes are made, not labelled anomalies."""
        return LearningType.ONE_CLASS


class Fitymi(FitymiToll, AnomalibModule):  # type: ignore[misc]  # AnomalibModule named for anomalib's get_model
    """Plain FITYMI: :class:`FitymiToll` with ``collapse_weight=0`` (same arguments otherwise)."""

    def __init__(self, *args: Any, collapse_weight: float = 0.0, **kwargs: Any) -> None:  # noqa: ANN401 - FitymiToll's
        # mypy cannot know that ``args`` stop before collapse_weight (a clash raises TypeError at run time)
        super().__init__(*args, collapse_weight=collapse_weight, **kwargs)  # type: ignore[misc]


__all__ = ["Fitymi", "FitymiPreProcessor", "FitymiToll"]
