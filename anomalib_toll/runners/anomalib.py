# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""anomalib image models through ``Engine``, on the same in-memory split as every model.

Adapting the paper's small images to anomalib's models happens here and only here: gray
images become three equal channels (anomalib items are RGB) and images smaller than
``image_size`` are resized up (CNN backbones need room for their strides). Offline there
are no pretrained backbones: ``pre_trained=False`` is passed to models that take it, and
``note`` says so in the results.

Example:
    >>> AnomalibRunner("padim").name
    'padim'
"""

from __future__ import annotations

import inspect
import tempfile

import numpy as np
import torch

from anomalib_toll.protocol import Budget, DEFAULTS, OneClassSplit
from anomalib_toll.protocol.run import as_tensor
from anomalib_toll.runners.base import Runner
from anomalib_toll.runners.pyod import import_class

SHORT_NAMES = {
    "ganomaly": "anomalib.models.Ganomaly",
    "padim": "anomalib.models.Padim",
    "dfm": "anomalib.models.Dfm",
    "dfkde": "anomalib.models.Dfkde",
    "fastflow": "anomalib.models.Fastflow",
}
SCORE_BATCH = 256


class AnomalibRunner(Runner):
    """An anomalib model by short name (``padim``, ``ganomaly``, ...) or class path."""

    def __init__(self, model: str, image_size: int = 64, pre_trained: bool = False, device: str | None = None, **kwargs: object) -> None:
        self.path = SHORT_NAMES.get(model.lower(), model)
        self.name = model.lower() if model.lower() in SHORT_NAMES else self.path.rpartition(".")[2].lower()
        self.image_size = image_size
        self.pre_trained = pre_trained
        self.device = device
        self.kwargs = kwargs
        self.model = None

    def _build(self, split: OneClassSplit, batch_size: int) -> object:
        from anomalib.pre_processing import PreProcessor
        from torchvision.transforms.v2 import Resize

        cls = import_class(self.path)
        accepted = inspect.signature(cls.__init__).parameters
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
        from anomalib.engine import Engine
        from lightning.pytorch import seed_everything

        from anomalib_toll.data.one_class_datamodule import SplitDataModule

        seed_everything(seed, verbose=False)
        batch_size = min(budget.batch_size or DEFAULTS[split.dataset].batch_size, len(split.x_train))
        self.model = self._build(split, batch_size)
        datamodule = SplitDataModule(split, train_batch_size=batch_size, eval_batch_size=SCORE_BATCH)
        with tempfile.TemporaryDirectory() as root:
            engine = Engine(
                max_steps=budget.iterations, accelerator=self.device or "auto", devices=1, logger=False,
                enable_progress_bar=False, enable_model_summary=False, default_root_dir=root, barebones=True,
            )
            engine.fit(self.model, datamodule=datamodule)
        return self

    @torch.inference_mode()
    def score(self, x: np.ndarray) -> np.ndarray:
        self.model.eval()
        device = next(self.model.parameters()).device
        scores = []
        for start in range(0, len(x), SCORE_BATCH):
            batch = as_tensor(x[start : start + SCORE_BATCH]).to(device)
            batch = batch.expand(-1, 3, -1, -1) if batch.shape[1] == 1 else batch
            scores.append(self.model.model(self.model.pre_processor(batch)).pred_score.float().flatten().cpu())
        return torch.cat(scores).numpy().astype(np.float64)

    def settings(self) -> str:
        return f"{self.path}(image_size={self.image_size}, pre_trained={self.pre_trained}, {self.kwargs})"
