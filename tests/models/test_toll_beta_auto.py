"""``Toll(beta="auto")`` in anomalib: one network per β trained side by side, β chosen on synthetic anomalies."""

import logging
import re
from pathlib import Path

import numpy as np
import pytest
import torch

anomalib = pytest.importorskip("anomalib", reason="the anomalib extra is not installed")

from anomalib.engine import Engine  # noqa: E402

from anomalib_toll.models import OneClass, Toll  # noqa: E402

GRID = (0.0, 10.0, 1000.0)


def engine(tmp_path: Path, **kwargs) -> Engine:
    return Engine(default_root_dir=tmp_path, accelerator="cpu", devices=1, logger=False, **kwargs)


def digits() -> OneClass:
    return OneClass(dataset="digits", normal_class=3, train_batch_size=64)


def test_auto_picks_the_beta_whose_network_separates_synthetic_anomalies(tmp_path, monkeypatch):
    """A constructed case: only β = 10's network ranks every synthetic anomaly above every normal image."""
    from anomalib_toll.models.image.toll import beta_search

    real = beta_search.score_stack

    def planted(stack, x, betas, **kwargs):
        scores = real(stack, x, betas, **kwargs) * 0  # the networks still score
        order = np.arange(len(x), dtype=np.float64)  # normals first, then their fakes
        return scores + np.stack([order if b == 10.0 else -order for b in betas])

    monkeypatch.setattr(beta_search, "score_stack", planted)
    monkeypatch.setattr("anomalib_toll.protocol.beta.MIN_EVIDENCE_PAIRS", 10)  # digits holds out 22 normals
    model = Toll(beta="auto", beta_grid=GRID, lr=1e-3)
    engine(tmp_path, max_steps=4, val_check_interval=2, check_val_every_n_epoch=None).fit(model, datamodule=digits())
    assert model.beta == 10.0
    assert model.beta_search == {0.0: 0.0, 10.0: 1.0, 1000.0: 0.0}
    assert model.beta_choice.gains[10.0] > 0
    assert model.beta_choice.stopped == {1000.0: 2}  # level with β = 0 at the rungs of 4 steps (1, 2): stopped


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


def test_each_network_trains_as_if_alone():
    """The summed loss of weight-disjoint stacked networks gives each one the step it would take alone."""
    torch.manual_seed(0)
    auto = Toll(beta="auto", beta_grid=(0.0, 10.0), input_shape=(3, 8, 8))
    alone = Toll(beta=10.0, input_shape=(3, 8, 8))
    alone.model.network.load_state_dict(auto.candidates.state(1))
    images = torch.randn(16, 3, 8, 8)
    for module in (auto, alone):
        optimizer = module.configure_optimizers()
        module.training_step(type("Batch", (), {"image": images})())["loss"].backward()
        optimizer.step()
    for name, tensor in auto.candidates.state(1).items():
        torch.testing.assert_close(tensor, alone.model.network.state_dict()[name], msg=name, rtol=1e-4, atol=1e-6)


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


def test_cli_takes_beta_auto(tmp_path, capsys, caplog, cli_logging):
    """``anomalib-toll train --model Toll --model.beta auto`` (in this process) trains, chooses and tests."""
    from anomalib_toll.cli import main

    caplog.set_level(logging.INFO)
    main(["train", "--model", "Toll", "--model.beta", "auto", "--model.beta_grid", "[0, 10]",
          "--data", "anomalib_toll.models.OneClass", "--data.dataset", "digits", "--data.normal_class", "8",
          "--data.train_batch_size", "64", "--trainer.max_steps", "2", "--trainer.val_check_interval", "2",
          "--trainer.check_val_every_n_epoch", "null", "--trainer.accelerator", "cpu", "--default_root_dir",
          str(tmp_path)])
    out = capsys.readouterr()
    said = out.out + out.err + caplog.text
    assert re.search(r"beta='auto' chose beta=(0|10): ", said), said[-3000:]
    assert "image_AUROC" in out.out
