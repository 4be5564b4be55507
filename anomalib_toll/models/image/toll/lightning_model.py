# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Toll: targeted collapse regularized autoencoder, as an anomalib model.

The training loss and the image score are ``‖x̂ − x‖₂ + β‖z‖ₚ`` (the core's
``toll_score``); the anomaly map spreads each score over the pixels by their
reconstruction error, so anomalib's pixel metrics and visualizer work too.

Example:
    >>> from anomalib.engine import Engine
    >>> from anomalib_toll.models import OneClass
    >>> from anomalib_toll.models import Toll
    >>> model = Toll(beta=1000.0, lr=1e-4, latent_dim=128)
    >>> datamodule = OneClass(dataset="mnist", normal_class=8)
    >>> engine = Engine(max_steps=2000, val_check_interval=20, check_val_every_n_epoch=None)
    >>> engine.fit(model, datamodule=datamodule)  # doctest: +SKIP

Paper:
    Targeted collapse regularized autoencoder for anomaly detection: black hole at the
    center (Ghafourian et al.).

See Also:
    :class:`anomalib_toll.models.image.toll.torch_model.TollModel`
    :class:`anomalib_toll.detector.TollDetector`: the same network and score for PyOD.
"""

# No ``from __future__ import annotations``: anomalib's CLI (jsonargparse) reads ``Toll``'s
# signature at run time, so its annotations stay real objects.

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import torch
from anomalib import LearningType
from anomalib.data import Batch
from anomalib.metrics import AUROC, AnomalibMetric, Evaluator, F1Score
from anomalib.models.components import AnomalibModule
from anomalib.post_processing import PostProcessor
from anomalib.pre_processing import PreProcessor
from anomalib.visualization import Visualizer
from lightning.pytorch import Callback
from lightning.pytorch.utilities.types import STEP_OUTPUT
from torchvision.transforms.v2 import Resize

from anomalib_toll.core import NetworkStack, parse_norm
from anomalib_toll.core.checks import check_number, check_positive_int, check_shape
from anomalib_toll.core.loop import stack_scores
from anomalib_toll.models.image.toll.beta_search import BetaSearch
from anomalib_toll.models.image.toll.torch_model import TollModel
from anomalib_toll.models.metrics import ScoreAUROC
from anomalib_toll.models.visualizer import FileImageVisualizer
from anomalib_toll.protocol.beta import BETA_GRID, BetaChoice, betas_to_train, check_beta, check_beta_grid


def _images(batch: Batch) -> torch.Tensor:
    """The batch's images; a batch without any is an error."""
    if batch.image is None:
        msg = "Toll trains and scores images: the batch has none."
        raise ValueError(msg)
    return batch.image


class Toll(AnomalibModule):
    """Toll autoencoder for anomalib's ``Engine`` and CLI.

    The network is built for the images it first sees (or ``input_shape``): the paper's
    B.1 net for 28×28×1, B.2 for 32×32×3, a conv autoencoder for other sizes. Its shape
    is stored in the checkpoint, so ``predict``/``export`` rebuild it.

    ``beta="auto"`` chooses β without labels: one network per value of ``beta_grid``,
    from the same initial weights, trains on the same batches as one stacked model
    (:class:`~anomalib_toll.core.NetworkStack`), and the
    :class:`~anomalib_toll.models.image.toll.beta_search.BetaSearch` callback chooses with
    the criterion and rule every surface uses (``beta`` then holds the choice,
    ``beta_choice`` its evidence); the module becomes that fixed-β Toll.

    Args:
        beta (float | "auto"): Collapse weight β; ``0`` is the plain autoencoder;
            ``"auto"`` chooses it without labels (above; it needs validation images).
            The paper's values reproduce its tables (``configs/toll_mnist.yaml``: 1000).
            Defaults to ``"auto"``.
        beta_grid (Sequence[float]): The β values ``beta="auto"`` tries.
            Defaults to ``(0, 1, 10, 100, 1000)``.
        norm (int | str): Latent norm, 1, 2 or "inf". Defaults to ``2``.
        latent_dim (int | None): Code size; ``None`` takes the paper's for the shape.
            Defaults to ``None``.
        hidden_dims (Sequence[int] | None): Conv channels per stage of a non-paper
            network. Defaults to ``None``.
        lr (float): Adam learning rate (fixed, as in the paper). Defaults to ``1e-3``.
        image_size (tuple[int, int] | None): Resize images to this size in the default
            pre-processor; ``None`` keeps their size. Defaults to ``None``.
        input_shape (Sequence[int] | None): ``(C, H, W)`` to build the network now
            instead of from the first batch. Defaults to ``None``.
        sigma (float): Smoothing of the anomaly map in pixels, >= 0 (0: none). Defaults to ``4.0``.
        grayscale (bool): Train on the first channel only; set automatically for data
            modules with ``grayscale = True`` (anomalib items are RGB). Defaults to ``False``.
        pre_processor (PreProcessor | bool, optional): Defaults to ``True``.
        post_processor (PostProcessor | bool, optional): Defaults to ``True``.
        evaluator (Evaluator | bool, optional): Defaults to ``True``.
        visualizer (Visualizer | bool, optional): Defaults to ``True``.
    """

    model: TollModel  # built for the first images seen (``setup``), from ``input_shape`` or from a checkpoint

    def __init__(
        self,
        beta: float | Literal["auto"] = "auto",
        beta_grid: Sequence[float] = BETA_GRID,
        norm: int | str = 2,
        latent_dim: int | None = None,
        hidden_dims: Sequence[int] | None = None,
        lr: float = 1e-3,
        image_size: tuple[int, int] | None = None,
        input_shape: Sequence[int] | None = None,
        sigma: float = 4.0,
        grayscale: bool = False,
        pre_processor: PreProcessor | bool = True,
        post_processor: PostProcessor | bool = True,
        evaluator: Evaluator | bool = True,
        visualizer: Visualizer | bool = True,
    ) -> None:
        if image_size is not None:
            check_shape("image_size", image_size, 2)
        if input_shape is not None:
            check_shape("input_shape", input_shape, 3)
        check_number("sigma", sigma, minimum=0.0)  # 0: no smoothing
        if pre_processor is True:
            pre_processor = self.configure_pre_processor(image_size)
        super().__init__(
            pre_processor=pre_processor,
            post_processor=post_processor,
            evaluator=evaluator,
            visualizer=visualizer,
        )
        self.image_size = image_size
        self.beta: float | str = check_beta(beta)
        self.beta_grid = check_beta_grid(beta_grid)
        self.candidates: NetworkStack | None = None  # beta="auto": one network per β as one model, until fitting ends
        self.beta_choice: BetaChoice | None = None  # beta="auto", once fitted: the choice and its evidence
        self.norm = norm
        parse_norm(norm)
        self.latent_dim = None if latent_dim is None else check_positive_int("latent_dim", latent_dim)
        self.hidden_dims = None if hidden_dims is None else [check_positive_int("hidden_dims", h) for h in hidden_dims]
        self.lr = check_number("lr", lr, minimum=0.0, strict=True)
        self.sigma = sigma
        self.grayscale = grayscale
        if input_shape is not None:
            self._build(input_shape)

    @property
    def _built(self) -> bool:
        """Whether the network exists (it is built once the input shape is known)."""
        return isinstance(getattr(self, "model", None), TollModel)

    def _build(self, input_shape: Sequence[int]) -> None:
        shape = [int(v) for v in input_shape]
        if self.grayscale:
            shape[0] = 1
        betas = betas_to_train(self.beta, self.beta_grid)
        self.model = TollModel(
            shape, betas[0], self.norm, self.latent_dim, self.hidden_dims, self.sigma, self.grayscale,
        )
        if self.beta == "auto":  # one network per β from the same initial weights, stacked
            self.candidates = NetworkStack([copy.deepcopy(self.model.network) for _ in betas])
        # saved in checkpoints, so predict/export rebuild the same network
        self.hparams.update(input_shape=shape, grayscale=self.grayscale)

    def setup(self, stage: str | None = None) -> None:
        """Build the network for the shape of the data module's (pre-processed) images."""
        del stage  # unused
        if self._built or self.trainer is None:
            return
        datamodule = getattr(self.trainer, "datamodule", None)  # set by Lightning when fitting with a data module
        if datamodule is None:
            return
        self.grayscale = self.grayscale or bool(getattr(datamodule, "grayscale", False))
        for name in ("train_data", "val_data", "test_data"):
            dataset = getattr(datamodule, name, None)
            if dataset is not None and len(dataset) > 0:
                image = dataset[0].image.unsqueeze(0)
                if self.pre_processor is not None:
                    image = self.pre_processor(image)
                self._build(image.shape[1:])
                return

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Rebuild the network from the stored shape before the weights are loaded."""
        hparams = checkpoint.get("hyper_parameters", {})
        shape = hparams.get("input_shape")
        if not self._built and shape is not None:
            self.grayscale = bool(hparams.get("grayscale", self.grayscale))
            self._build(shape)
        if self.candidates is not None:  # written while beta="auto" was searching: the leader's weights score
            self.model.beta = float(hparams.get("beta_leader", self.beta_grid[0]))
        super().on_load_checkpoint(checkpoint)

    def configure_callbacks(self) -> list[Callback]:
        """Anomalib's component callbacks, and the β search of ``beta="auto"``."""
        callbacks = super().configure_callbacks()
        callbacks = list(callbacks) if isinstance(callbacks, Sequence) else [callbacks]
        return [*callbacks, BetaSearch()] if self.beta == "auto" else callbacks

    def lead(self, index: int) -> None:
        """``beta="auto"``: ``beta_grid[index]``'s network scores (validation, checkpoints) until the search ends."""
        assert self.candidates is not None
        self.model.network.load_state_dict(self.candidates.state(index))
        self.model.beta = self.beta_grid[index]
        self.hparams.update(beta_leader=self.beta_grid[index])

    def inputs(self, images: torch.Tensor) -> torch.Tensor:
        """The images as the networks see them (the first channel of gray data)."""
        return self.model.inputs(images)

    def keep(self, index: int, state: dict[str, torch.Tensor], choice: BetaChoice) -> None:
        """``beta="auto"`` is over: become the fixed-β Toll of ``beta_grid[index]`` with the weights ``state``."""
        self.model.network.load_state_dict(state)
        self.beta, self.beta_choice, self.candidates = self.beta_grid[index], choice, None
        self.model.beta = self.beta
        self.hparams.update(beta=self.beta)
        self.hparams.pop("beta_leader", None)

    @property
    def beta_search(self) -> dict[float, float]:
        """``beta="auto"`` once fitted: each β's best synthetic validation AUROC (NaN: diverged); else empty."""
        return {} if self.beta_choice is None else self.beta_choice.values

    def on_fit_end(self) -> None:
        """Keep the weights a monitoring ``ModelCheckpoint`` selected (the paper's best on validation).

        With ``ModelCheckpoint(monitor="image_AUROC", mode="max")`` in the trainer's
        callbacks, testing right after fitting (``anomalib train``, ``Engine.train``) then
        scores the best checkpoint, not the last step. After ``beta="auto"`` the
        ``BetaSearch`` callback has installed the chosen β's weights already.
        """
        callback = self.trainer.checkpoint_callback if self.trainer is not None else None
        best = getattr(callback, "best_model_path", "") if getattr(callback, "monitor", None) else ""
        if best and Path(best).is_file() and self.beta_choice is None:
            state = torch.load(best, map_location=self.device, weights_only=False)["state_dict"]
            self.load_state_dict(state)

    @staticmethod
    def configure_pre_processor(image_size: tuple[int, int] | None = None) -> PreProcessor:
        """Resize to ``image_size`` if set; no normalisation (the data modules normalise).

        The resize is plain bilinear, without antialiasing: anomalib's exports drop antialiasing
        (OpenVINO has none), and a checkpoint that resized with it scores differently from its
        exports (``docs/results.md`` has the measurement).
        """
        return PreProcessor(transform=Resize(tuple(image_size), antialias=False) if image_size else None)

    @classmethod
    def configure_visualizer(cls) -> FileImageVisualizer:
        """Anomalib's image visualizer, which passes over images held in memory."""
        return FileImageVisualizer()

    @staticmethod
    def configure_evaluator() -> Evaluator:
        """Image AUROC on validation (for checkpoint selection); image and pixel metrics on test."""
        val_metrics = [ScoreAUROC(fields=["pred_score", "gt_label"], prefix="image_")]
        test_metrics: list[AnomalibMetric] = [
            AUROC(fields=["pred_score", "gt_label"], prefix="image_"),
            F1Score(fields=["pred_label", "gt_label"], prefix="image_"),
            AUROC(fields=["anomaly_map", "gt_mask"], prefix="pixel_", strict=False),
            F1Score(fields=["pred_mask", "gt_mask"], prefix="pixel_", strict=False),
        ]
        return Evaluator(val_metrics=val_metrics, test_metrics=test_metrics)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        """Adam with a fixed learning rate, as in the paper."""
        if not self._built:
            msg = "Toll has no network yet: pass input_shape=(C, H, W) or train with a datamodule."
            raise RuntimeError(msg)
        trained = self.candidates if self.candidates is not None else self.model
        return torch.optim.Adam(trained.parameters(), lr=self.lr)

    def training_step(self, batch: Batch, *args, **kwargs) -> STEP_OUTPUT:
        """One step on the Toll loss (batch mean of the score); ``beta="auto"``: every β's network on the batch.

        The networks share no weight, so the sum of their losses trains each as if alone.
        """
        del args, kwargs  # unused
        images = _images(batch)
        if self.candidates is None:
            loss = self.model.loss(images)
        else:
            scores = stack_scores(self.candidates, self.inputs(images), self.beta_grid, shared=True, norm=self.norm)
            loss = scores.mean(1).sum()
        size = 1 if self.candidates is None else len(self.candidates.active)
        self.log("train_loss", loss.detach() / size, on_step=True, on_epoch=False, prog_bar=True, logger=True)
        return {"loss": loss}

    def validation_step(self, batch: Batch, *args, **kwargs) -> STEP_OUTPUT:
        """Score a validation batch; anomalib's evaluator computes the image AUROC (``BetaSearch`` its own)."""
        del args, kwargs  # unused
        predictions = self.model(_images(batch))
        return batch.update(**predictions._asdict())

    # anomalib's ExportMixin signature, which already differs from LightningModule.to_onnx
    def to_onnx(  # type: ignore[override]
        self,
        export_root: Path | str,
        model_file_name: str = "model",
        input_size: tuple[int, int] | None = None,
        **kwargs: object,  # passed on to torch.onnx.export
    ) -> Path:
        """Export to ONNX as anomalib does, at opset 18 unless ``opset_version`` is given (OpenVINO export uses it too).

        anomalib asks for opset 14, but torch's dynamo exporter writes opset 18 and then tries to
        convert down; the conversion fails on the ``ReduceL2``/``ReduceSum`` nodes of the Toll score
        (their axes are inputs from opset 18) and logs a traceback, leaving the model at opset 18
        anyway. Asking for 18 writes the same graph without the failed conversion.

        Args:
            export_root (Path | str): Output folder (the file goes to ``weights/onnx/``).
            model_file_name (str): File name without suffix. Defaults to ``"model"``.
            input_size (tuple[int, int] | None): Fixed ``(H, W)`` of the input images.
                Defaults to ``None``.
            **kwargs: ``torch.onnx.export`` options, e.g. ``opset_version``.

        Returns:
            Path: The ``.onnx`` file.

        Example:
            >>> Toll(input_shape=(3, 32, 32)).to_onnx("export", input_size=(32, 32))  # doctest: +SKIP
            PosixPath('export/weights/onnx/model.onnx')
        """
        kwargs.setdefault("opset_version", 18)
        return super().to_onnx(export_root, model_file_name, input_size, **kwargs)

    @property
    def trainer_arguments(self) -> dict[str, Any]:
        """Nothing forced: step budget, validation interval and precision stay the user's."""
        return {}

    @property
    def learning_type(self) -> LearningType:
        """Toll trains on normal images only."""
        return LearningType.ONE_CLASS
