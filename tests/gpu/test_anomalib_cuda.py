"""anomalib's ``Engine`` with ``accelerator="gpu"``: fit and test of ``Toll`` and of a tiny ``FitymiToll``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest
import torch

from tests.gpu.conftest import GPU

if TYPE_CHECKING:
    from pathlib import Path

    from anomalib.data import Batch, Folder
    from lightning.pytorch import Callback, LightningModule, Trainer

pytestmark = GPU

TINY_VIT = {"backbone": "vit_tiny_patch16_224", "pre_trained": False, "image_size": 32, "frozen_blocks": 1,
            "backbone_kwargs": {"patch_size": 8, "embed_dim": 32, "depth": 2, "num_heads": 2}}


@pytest.fixture(autouse=True)
def _anomalib() -> None:
    """Skip where the anomalib extra (and so timm and Lightning) is not installed."""
    pytest.importorskip("anomalib", reason="the anomalib extra is not installed")
    pytest.importorskip("timm", reason="timm is not installed")


def device_log() -> Callback:
    """A Lightning callback whose ``seen`` records the devices of the module, batches and kNN bank, per stage."""
    from lightning.pytorch import Callback

    class DeviceLog(Callback):
        def __init__(self) -> None:
            self.seen: dict[str, set[str]] = {"train": set(), "test": set(), "bank": set()}

        def record(self, stage: str, pl_module: LightningModule, batch: Batch) -> None:
            self.seen[stage] |= {pl_module.device.type, batch.image.device.type}
            bank = getattr(pl_module.model, "feature_bank", None)
            if stage == "test" and bank is not None:
                self.seen["bank"].add(bank.device.type)

        def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: Batch, *args: int) -> None:
            del trainer, args  # unused
            self.record("train", pl_module, batch)

        def on_test_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: Batch, *args: int) -> None:
            del trainer, args  # unused
            self.record("test", pl_module, batch)

    return DeviceLog()


def folder(root: Path, *, masks: bool = True) -> Folder:
    """Return anomalib's Folder data module on the images under ``root``, in batches of 8."""
    from anomalib.data import Folder

    return Folder(name="tiny", root=root, normal_dir="good", abnormal_dir="bad", mask_dir="masks" if masks else None,
                  train_batch_size=8, eval_batch_size=8, num_workers=0)


@pytest.mark.parametrize("precision", ["32", "16-mixed"])
def test_toll_fits_and_tests_on_the_gpu(folder_root: Path, tmp_path: Path, precision: str) -> None:
    """``Engine.train`` (fit, then test of the best checkpoint) runs Toll on the GPU and localises the squares."""
    from anomalib.engine import Engine

    from anomalib_toll.models import Toll

    log = device_log()
    engine = Engine(default_root_dir=tmp_path, accelerator="gpu", devices=1, logger=False, precision=precision,
                    max_steps=30, val_check_interval=3, check_val_every_n_epoch=None, callbacks=[log])
    results = engine.train(Toll(beta=1.0, lr=1e-3), datamodule=folder(folder_root))[0]
    assert log.seen["train"] == {"cuda"}
    assert log.seen["test"] == {"cuda"}
    assert engine.trainer.global_step == 30
    assert all(math.isfinite(results[k]) for k in ("image_AUROC", "pixel_AUROC"))
    assert results["pixel_AUROC"] > 0.7  # the bright squares are where reconstruction fails (0.997 on the CPU)


def test_tiny_fitymi_toll_fits_and_tests_on_the_gpu(folder_root: Path, tmp_path: Path) -> None:
    """A tiny random ViT trains against CutPaste fakes on the GPU, and its kNN bank is built and scored there."""
    from anomalib.engine import Engine

    from anomalib_toll.models import FitymiToll

    torch.manual_seed(0)
    log = device_log()
    model = FitymiToll(**TINY_VIT, fake_source="cutpaste", lr=0.05)
    engine = Engine(default_root_dir=tmp_path, accelerator="gpu", devices=1, logger=False, max_steps=3,
                    num_sanity_val_steps=0, callbacks=[log])
    datamodule = folder(folder_root, masks=False)
    engine.fit(model, datamodule=datamodule)
    assert engine.trainer.global_step == 3
    results = engine.test(model, datamodule=datamodule)[0]
    assert log.seen == {"train": {"cuda"}, "test": {"cuda"}, "bank": {"cuda"}}
    assert 0.0 <= results["image_AUROC"] <= 1.0
    bank = model.model.feature_bank
    assert bank.shape == (len(datamodule.train_data), TINY_VIT["backbone_kwargs"]["embed_dim"])
    assert torch.isfinite(bank).all()
