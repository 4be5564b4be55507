"""``Toll(beta="auto")`` in anomalib: one network per β trained side by side, β chosen on synthetic anomalies."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

anomalib = pytest.importorskip("anomalib", reason="the anomalib extra is not installed")

from anomalib.engine import Engine  # noqa: E402

from anomalib_toll.models import OneClass, Toll  # noqa: E402
from anomalib_toll.models.image.toll import TollModel  # noqa: E402

GRID = (0.0, 10.0, 1000.0)


def engine(tmp_path: Path, **kwargs) -> Engine:
    return Engine(default_root_dir=tmp_path, accelerator="cpu", devices=1, logger=False, **kwargs)


def digits() -> OneClass:
    return OneClass(dataset="digits", normal_class=3, train_batch_size=64)


def test_auto_picks_the_beta_whose_network_separates_synthetic_anomalies(tmp_path, monkeypatch):
    """A constructed case: only β = 10's network ranks every synthetic anomaly above every normal image."""
    real = TollModel.scores

    def planted(self: TollModel, images: torch.Tensor) -> torch.Tensor:
        order = torch.arange(len(images), dtype=torch.float32)  # selection scores normals first, then their fakes
        return real(self, images) * 0 + (order if self.beta == 10.0 else -order)

    monkeypatch.setattr(TollModel, "scores", planted)
    model = Toll(beta="auto", beta_grid=GRID, lr=1e-3)
    engine(tmp_path, max_steps=4, val_check_interval=2, check_val_every_n_epoch=None).fit(model, datamodule=digits())
    assert model.beta == 10.0
    assert model.beta_search == {0.0: 0.0, 10.0: 1.0, 1000.0: 0.0}


def test_auto_becomes_the_chosen_fixed_beta_toll_and_its_checkpoint_reloads(tmp_path):
    """After fitting: one network, ``beta`` holds the choice, and the saved checkpoint scores the same."""
    model = Toll(beta="auto", beta_grid=GRID, lr=1e-3)
    eng = engine(tmp_path, max_steps=20, val_check_interval=10, check_val_every_n_epoch=None)
    eng.fit(model, datamodule=digits())
    assert model.beta in GRID
    assert set(model.beta_search) == set(GRID)
    assert model.candidates is None
    assert model.hparams["beta"] == model.beta
    assert model.model.beta == model.beta
    checkpoint = eng.trainer.checkpoint_callback.best_model_path
    reloaded = Toll.load_from_checkpoint(checkpoint)
    assert reloaded.beta == model.beta
    assert reloaded.candidates is None
    x = torch.randn(5, 3, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(reloaded.model.eval()(x).pred_score, model.model.eval()(x).pred_score)


def test_each_network_trains_as_if_alone(tmp_path):
    """The summed loss of weight-disjoint networks gives each one the step it would take alone."""
    torch.manual_seed(0)
    auto = Toll(beta="auto", beta_grid=(0.0, 10.0), input_shape=(3, 8, 8))
    alone = Toll(beta=10.0, input_shape=(3, 8, 8))
    alone.model.load_state_dict(auto.networks[1].state_dict())
    images = torch.randn(16, 3, 8, 8)
    for module in (auto, alone):
        optimizer = module.configure_optimizers()
        module.training_step(type("Batch", (), {"image": images})())["loss"].backward()
        optimizer.step()
    for name, tensor in auto.networks[1].state_dict().items():
        torch.testing.assert_close(tensor, alone.model.state_dict()[name], msg=name)


def test_auto_without_validation_says_how_to_validate(tmp_path):
    """No validation ran: nothing to choose with, said with the fix instead of a silent pick."""
    model = Toll(beta="auto", beta_grid=(0.0, 10.0))
    eng = engine(tmp_path, max_steps=2, limit_val_batches=0)
    with pytest.raises(RuntimeError, match="no validation ran"):
        eng.fit(model, datamodule=digits())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"beta": "tuned"}, "beta must be"), ({"beta": "auto", "beta_grid": ()}, "beta_grid must hold"),
     ({"beta": "auto", "beta_grid": (1.0, -2.0)}, "beta_grid")],
)
def test_bad_auto_arguments_are_named_when_the_model_is_made(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Toll(**kwargs)


def test_cli_takes_beta_auto(tmp_path):
    """``anomalib train --model Toll --model.beta auto`` trains, chooses and tests."""
    args = [str(Path(sys.executable).parent / "anomalib"), "train", "--model", "Toll", "--model.beta", "auto",
            "--model.beta_grid", "[0, 10]", "--data", "anomalib_toll.models.OneClass", "--data.dataset", "digits",
            "--data.normal_class", "8", "--data.train_batch_size", "64", "--trainer.max_steps", "6",
            "--trainer.val_check_interval", "3", "--trainer.check_val_every_n_epoch", "null",
            "--trainer.accelerator", "cpu", "--default_root_dir", str(tmp_path)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"beta='auto' chose beta=(0|10) ", proc.stdout + proc.stderr), (proc.stdout + proc.stderr)[-3000:]
    assert "image_AUROC" in proc.stdout
