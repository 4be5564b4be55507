# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""anomalib image models through ``Engine``, on the same in-memory split as every model.

Adapting the paper's small images to anomalib's models happens here and only here: gray
images become three equal channels (anomalib items are RGB) and images smaller than
``image_size`` are resized up (CNN backbones need room for their strides). Offline there
are no pretrained backbones: ``pre_trained=False`` is passed to models that take it, and
``note`` says so in the results.

Example:
    >>> AnomalibRunner("padim").name, AnomalibRunner("anomalib.models.Cfa").name
    ('padim', 'cfa')
"""

from __future__ import annotations

import inspect
import tempfile
from typing import TYPE_CHECKING, TypedDict, Unpack

import numpy as np

from anomalib_toll.core import score_in_batches
from anomalib_toll.runners.base import Runner
from anomalib_toll.runners.pyod import import_class

if TYPE_CHECKING:
    import torch
    from anomalib.data import AnomalibDataModule, InferenceBatch
    from anomalib.models.components import AnomalibModule
    from lightning.pytorch import Trainer

    from anomalib_toll.protocol import Budget, OneClassSplit

SCORE_BATCH = 256


class Schedule(TypedDict, total=False):
    """Lightning ``Trainer`` arguments of how long to train and how much to validate."""

    max_epochs: int
    max_steps: int
    limit_val_batches: int | float
    num_sanity_val_steps: int


def anomalib_model_class(model: str) -> type:
    """An anomalib model class by anomalib's own name (``padim``, ``efficient_ad``; as ``get_model``) or class path."""
    if "." in model:
        return import_class(model)
    import anomalib.models
    from anomalib.models import list_models

    by_name = {name.lower(): name for name in list_models(case="pascal")}  # get_model's own matching
    key = model.lower().replace("_", "")
    if key not in by_name:
        names = sorted(_snake_name(getattr(anomalib.models, name, None), name) for name in by_name.values())
        msg = (
            f"unknown model {model!r}: not a model of this package, nor an anomalib model "
            f"({', '.join(names)}), nor a class path like pyod.models.lof.LOF."
        )
        raise ValueError(msg)
    return getattr(anomalib.models, by_name[key])


def _snake_name(cls: type | None, name: str) -> str:
    """Anomalib's name of model ``name`` (class ``cls``): its folder (``anomaly_dino``), else ``name`` lowered."""
    parts = cls.__module__.split(".") if cls is not None else []
    folder = parts[-2] if len(parts) > 1 else ""
    return folder if folder.replace("_", "") == name.lower() else name.lower()


class AnomalibRunner(Runner):
    """Any anomalib model, by anomalib's name (``padim``, ``ganomaly``, ``patchcore``, ...) or class path.

    Args:
        model: Name as ``anomalib.models.get_model`` takes it, or a class path.
        image_size: Images are resized up to at least this size. Defaults to ``64``.
        pre_trained: Pretrained backbone weights (needs them locally or online). Defaults to ``False``.
        protocol: Unused: anomalib models are scored at their last step. Defaults to ``"paper"``.
        device: Lightning accelerator (``"cpu"``, ``"gpu"``); ``None`` lets Lightning choose. Defaults to ``None``.
        **kwargs: More arguments of the model class.
    """

    def __init__(
        self, model: str, image_size: int = 64, pre_trained: bool = False, protocol: str = "paper",
        device: str | None = None, **kwargs,
    ) -> None:
        del protocol  # see Args
        self.cls = anomalib_model_class(model)
        self.path = f"{self.cls.__module__.split('.image.')[0]}.{self.cls.__name__}"
        self.name = self.cls.__name__.lower() if "." in model else model.lower()
        try:
            inspect.signature(self.cls).bind_partial(**kwargs)
        except TypeError as err:
            msg = f"{self.path}: {err} (see its documentation for the accepted arguments)"
            raise ValueError(msg) from err
        self.image_size = image_size
        self.pre_trained = pre_trained
        self.device = device
        self.kwargs = kwargs
        self.model: AnomalibModule | None = None

    def _build(self, split: OneClassSplit, batch_size: int) -> AnomalibModule:
        from anomalib.pre_processing import PreProcessor
        from torchvision.transforms.v2 import Resize

        cls = self.cls
        accepted = inspect.signature(cls).parameters
        params = dict(self.kwargs)
        if "pre_trained" in accepted:
            params.setdefault("pre_trained", self.pre_trained)
            self.note = "pretrained backbone" if self.pre_trained else "random backbone weights (offline)"
        if "batch_size" in accepted:
            params.setdefault("batch_size", batch_size)
        size = max(self.image_size, *split.x_train.shape[-2:])
        # The bridge scores the test set itself; anomalib's default evaluator would also ask
        # for pixel masks, which one-class image sets do not have.
        return cls(pre_processor=PreProcessor(transform=Resize((size, size), antialias=True)), evaluator=False,
                   visualizer=False, **params)

    def fit(self, split: OneClassSplit, seed: int, budget: Budget) -> AnomalibRunner:
        """Train the model with anomalib's ``Engine`` for the budget's steps; the last weights are kept."""
        from lightning.pytorch import seed_everything

        from anomalib_toll.models import SplitDataModule

        seed_everything(seed, verbose=False)
        batch_size = min(budget.batch_size or len(split.x_train), len(split.x_train))
        self.model = model = self._build(split, batch_size)
        datamodule = SplitDataModule(split, train_batch_size=batch_size, eval_batch_size=SCORE_BATCH)
        self.train_with_engine(model, datamodule, max_steps=budget.iterations)
        return self

    def train_with_engine(
        self, model: AnomalibModule, datamodule: AnomalibDataModule, **schedule: Unpack[Schedule],
    ) -> Trainer:
        """``Engine.fit`` without logs, checkpoints or bars; the model stays on the device it trained on."""
        from anomalib.engine import Engine

        with tempfile.TemporaryDirectory() as root:
            engine = Engine(
                **schedule, accelerator=self.device or "auto", devices=1, logger=False, enable_progress_bar=False,
                enable_model_summary=False, default_root_dir=root, barebones=True,
            )
            engine.fit(model, datamodule=datamodule)
        trainer = engine.trainer
        self.precision_used = str(trainer.precision)
        device = trainer.strategy.root_device
        model.to(device)  # Lightning hands the model back on the CPU: score where it trained
        self.device_used = str(device)
        return trainer

    def _predict(self, batch: torch.Tensor) -> InferenceBatch:
        """The model's torch network on preprocessed images in eval mode (gray ones as three equal channels)."""
        model = self.model
        if model is None:
            msg = f"{self.name}: fit the model before scoring."
            raise RuntimeError(msg)
        model.eval()
        batch = batch.expand(-1, 3, -1, -1) if batch.shape[1] == 1 else batch
        return model.model(model.pre_processor(batch) if model.pre_processor is not None else batch)

    def _device(self) -> torch.device:
        if self.model is None:
            msg = f"{self.name}: fit the model before scoring."
            raise RuntimeError(msg)
        return next(self.model.parameters()).device

    def score(self, x: np.ndarray) -> np.ndarray:
        """Image scores of the model's torch network on the images."""
        def image_scores(batch: torch.Tensor) -> torch.Tensor:
            scores = self._predict(batch).pred_score
            if scores is None:
                msg = f"{self.name} gives no image scores."
                raise RuntimeError(msg)
            return scores

        return score_in_batches(image_scores, x, SCORE_BATCH, self._device()).numpy().astype(np.float64)

    def anomaly_maps(self, x: np.ndarray) -> np.ndarray | None:
        """The model's anomaly maps, resized (bilinear) to the images' size; ``None`` if it gives none (Ganomaly)."""
        import torch
        from torch.nn.functional import interpolate

        from anomalib_toll.core import as_tensor

        device = self._device()
        with torch.inference_mode():
            if self._predict(as_tensor(x[:1]).to(device)).anomaly_map is None:
                return None

        def maps(batch: torch.Tensor) -> torch.Tensor:
            found = self._predict(batch).anomaly_map
            assert found is not None  # probed above
            found = found.float().reshape(len(batch), 1, *found.shape[-2:])
            return interpolate(found, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]

        return score_in_batches(maps, x, SCORE_BATCH, device).numpy()

    def settings(self, dataset: str) -> str:
        """The class, the image size, the backbone weights and the arguments given."""
        del dataset  # anomalib's defaults do not depend on the data set
        return f"{self.path}(image_size={self.image_size}, pre_trained={self.pre_trained}, {self.kwargs})"
