"""Toll as an anomalib model: Engine, CLI forms, anomaly maps, predict and export."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from anomalib_toll.core import build_autoencoder, score_toll
from tests.models.conftest import SIZE, folder_args

anomalib = pytest.importorskip("anomalib", reason="the anomalib extra is not installed")

from anomalib.callbacks import ModelCheckpoint  # noqa: E402
from anomalib.data import Folder  # noqa: E402
from anomalib.engine import Engine  # noqa: E402

from anomalib_toll.models import Toll  # noqa: E402
from anomalib_toll.models.image.toll import TollModel  # noqa: E402
from anomalib_toll.models.image.toll.anomaly_map import toll_anomaly_map  # noqa: E402

BIN = Path(sys.executable).parent
STEPS = ["--trainer.max_steps", "2", "--trainer.val_check_interval", "2", "--trainer.check_val_every_n_epoch", "null"]


def folder(root: Path) -> Folder:
    return Folder(name="tiny", root=root, normal_dir="good", abnormal_dir="bad", mask_dir="masks",
                  train_batch_size=8, eval_batch_size=8, num_workers=0)


def engine(tmp_path: Path, **kwargs) -> Engine:
    return Engine(default_root_dir=tmp_path, accelerator="cpu", devices=1, logger=False, **kwargs)


def test_model_scores_equal_the_core_scores_on_the_same_network():
    torch.manual_seed(0)
    model = TollModel(input_shape=(3, SIZE, SIZE), beta=7.0, norm="inf").eval()
    x = torch.randn(4, 3, SIZE, SIZE)
    with torch.no_grad():
        anomalib_scores = model(x).pred_score
    core_scores = score_toll(model.network, x, beta=7.0, norm="inf")
    torch.testing.assert_close(anomalib_scores, core_scores)


def test_anomalib_model_and_pyod_detector_agree_on_same_weights():
    from anomalib_toll import TollDetector

    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 12))
    det = TollDetector(epoch_num=2, verbose=0, preprocessing=False, beta=3.0).fit(X)
    model = TollModel(input_shape=(12,), beta=3.0, hidden_dims=det.hidden_dims_)
    model.network.load_state_dict(det.model_.state_dict())
    with torch.no_grad():
        scores = model.eval()(torch.as_tensor(X[:5], dtype=torch.float32)).pred_score
    np.testing.assert_allclose(scores.numpy(), det.decision_function(X[:5]), rtol=1e-5)


def test_anomaly_map_sums_to_the_score_and_peaks_where_reconstruction_fails():
    x = torch.zeros(2, 3, 8, 8)
    x_hat = x.clone()
    x_hat[0, :, 2, 5] = 1.0
    x_hat[1, :, 6, 1] = 2.0
    maps = toll_anomaly_map(x_hat, x, torch.tensor([3.0, 5.0]), sigma=0.0)
    torch.testing.assert_close(maps.flatten(1).sum(1), torch.tensor([3.0, 5.0]))
    assert maps[0, 0].argmax().item() == 2 * 8 + 5
    assert maps[1, 0].argmax().item() == 6 * 8 + 1


def test_grayscale_images_use_one_channel_and_the_paper_network():
    model = TollModel(input_shape=(1, 28, 28), grayscale=True).eval()
    out = model(torch.randn(2, 3, 28, 28))
    assert out.anomaly_map.shape == (2, 1, 28, 28)
    assert sum(p.numel() for p in model.network.parameters()) == sum(
        p.numel() for p in build_autoencoder((1, 28, 28)).parameters()
    )


def test_engine_on_folder_with_masks_reports_image_and_pixel_auroc(folder_dataset, tmp_path):
    model = Toll(beta=1.0, lr=1e-3)
    eng = engine(tmp_path, max_steps=30, val_check_interval=3, check_val_every_n_epoch=None)
    results = eng.train(model, datamodule=folder(folder_dataset))[0]
    assert {"image_AUROC", "pixel_AUROC"} <= set(results)
    assert results["pixel_AUROC"] > 0.7  # the bright squares are where reconstruction fails
    assert list(model.hparams["input_shape"]) == [3, SIZE, SIZE]


def test_monitored_checkpoint_is_what_gets_tested(tmp_path):
    from anomalib_toll.models import OneClass

    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpt", monitor="image_AUROC", mode="max", filename="best")
    model = Toll(beta=10.0, lr=1e-3)
    eng = engine(tmp_path, max_steps=40, val_check_interval=10, check_val_every_n_epoch=None, callbacks=[checkpoint])
    eng.fit(model, datamodule=OneClass(dataset="digits", normal_class=3, train_batch_size=64))
    best = torch.load(checkpoint.best_model_path, weights_only=False)["state_dict"]
    for name, tensor in model.state_dict().items():
        if name.startswith("model."):
            torch.testing.assert_close(tensor, best[name])


def test_predict_and_export_from_a_trained_checkpoint(folder_dataset, tmp_path):
    from anomalib.deploy import ExportType

    eng = engine(tmp_path, max_steps=4, val_check_interval=2, check_val_every_n_epoch=None)
    model = Toll(beta=1.0)
    eng.fit(model, datamodule=folder(folder_dataset))
    ckpt = eng.trainer.checkpoint_callback.best_model_path or eng.trainer.checkpoint_callback.last_model_path
    fresh = Toll(beta=1.0)  # no network yet: rebuilt from the checkpoint's stored shape
    predictions = eng.predict(fresh, data_path=folder_dataset / "bad", ckpt_path=ckpt)
    scores = torch.cat([p.pred_score for p in predictions])
    assert scores.shape == (8,)
    assert torch.isfinite(scores).all()
    exported = eng.export(model, ExportType.TORCH, export_root=tmp_path / "export")
    assert Path(exported).is_file()
    loaded = torch.load(exported, weights_only=False)["model"].eval()
    image = torch.rand(1, 3, SIZE, SIZE)
    assert loaded(image).pred_score.shape == (1,)


def test_export_to_onnx(folder_dataset, tmp_path):
    for module in ("onnx", "onnxscript"):
        pytest.importorskip(module, reason=f"{module} is not installed: pip install 'anomalib-toll[export]'")
    from anomalib.deploy import ExportType

    model = Toll(beta=1.0, input_shape=(3, SIZE, SIZE))
    exported = engine(tmp_path).export(model, ExportType.ONNX, export_root=tmp_path, input_size=(SIZE, SIZE))
    assert Path(exported).is_file()


def test_anomalib_command_resolves_the_short_name_through_the_startup_hook(folder_dataset, tmp_path):
    """The one behaviour that needs its own process: ``anomalib train --model Toll`` finds Toll at start-up."""
    args = [str(BIN / "anomalib"), "train", "--model", "Toll", *folder_args(folder_dataset), *STEPS,
            "--trainer.accelerator", "cpu", "--default_root_dir", str(tmp_path)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "image_AUROC" in proc.stdout


def test_anomalib_cli_takes_class_paths_for_the_model_and_the_one_class_datamodule(tmp_path, capsys):
    """anomalib's own CLI (in this process) with ``anomalib_toll.models.Toll`` and ``OneClass`` by class path."""
    from anomalib.cli.cli import AnomalibCLI

    AnomalibCLI(args=["train", "--model", "anomalib_toll.models.Toll", "--data", "anomalib_toll.models.OneClass",
                      "--data.dataset", "digits", "--data.normal_class", "8", "--data.train_batch_size", "64",
                      *STEPS, "--trainer.accelerator", "cpu",
                      "--default_root_dir", str(tmp_path)])
    out = capsys.readouterr().out
    auroc = re.search(r"image_AUROC\s*│\s*([0-9.]+)", out)
    assert auroc is not None, out[-2000:]
    assert 0.0 <= float(auroc.group(1)) <= 1.0


def test_drop_in_command_trains_toll_by_its_short_name(folder_dataset, tmp_path, capsys, cli_logging):
    """``anomalib-toll train --model Toll ...`` (its entry point, in this process) trains and tests."""
    from anomalib_toll.cli import main

    main(["train", "--model", "Toll", *folder_args(folder_dataset), *STEPS, "--trainer.accelerator", "cpu",
          "--default_root_dir", str(tmp_path)])
    assert "image_AUROC" in capsys.readouterr().out


def test_startup_hook_acts_only_for_anomalibs_cli():
    from anomalib_toll._startup import is_anomalib_cli

    assert is_anomalib_cli(["/venv/bin/anomalib", "train"])
    assert not is_anomalib_cli(["/venv/bin/python", "-c"])
    assert not is_anomalib_cli(["-c"])
    assert not is_anomalib_cli([])
    code = "import sys; print(any(m.startswith(('anomalib.', 'torch')) for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"  # an unrelated process imports nothing heavy


def test_score_auroc_is_exact_on_large_raw_scores_where_anomalibs_saturates():
    from anomalib.data import ImageBatch
    from anomalib.metrics import AUROC
    from sklearn.metrics import roc_auc_score

    from anomalib_toll.models.metrics import ScoreAUROC

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 300)
    scores = 1000.0 + 50.0 * labels + rng.normal(0, 40, 300)  # Toll-sized scores, overlapping classes
    ours, stock = ScoreAUROC(fields=["pred_score", "gt_label"]), AUROC(fields=["pred_score", "gt_label"])
    for part in np.array_split(np.arange(300), 3):  # several batches: one rescaling over all of them
        batch = ImageBatch(image=torch.zeros(len(part), 3, 4, 4), gt_label=torch.from_numpy(labels[part]),
                           pred_score=torch.from_numpy(scores[part]).float())
        ours.update(batch)
        stock.update(batch)
    assert float(ours.compute()) == pytest.approx(roc_auc_score(labels, scores.astype(np.float32)), abs=1e-6)
    assert float(stock.compute()) == 0.5  # what validation reported before: every score squashed to 1.0


def test_validation_auroc_that_selects_checkpoints_is_the_raw_score_auroc(tmp_path):
    from anomalib_toll.models import OneClass
    from anomalib_toll.protocol import auroc

    datamodule = OneClass(dataset="digits", normal_class=8, train_batch_size=64)
    model = Toll(beta=1000.0, lr=1e-3)
    eng = engine(tmp_path, max_steps=10, val_check_interval=10, check_val_every_n_epoch=None, num_sanity_val_steps=0)
    eng.fit(model, datamodule=datamodule)
    logged = float(eng.trainer.callback_metrics["image_AUROC"])
    split = datamodule.split
    raw = score_toll(model.model.network, torch.from_numpy(split.x_val), beta=1000.0)
    assert logged == pytest.approx(auroc(raw.numpy(), split.y_val), abs=1e-4)
    assert logged != 0.5


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"beta": -1.0}, "beta must be a finite number >= 0"), ({"beta": float("nan")}, "beta must be a finite number"),
     ({"latent_dim": 0}, "latent_dim must be an integer >= 1"), ({"lr": 0.0}, "lr must be a finite number > 0"),
     ({"hidden_dims": [0]}, "hidden_dims must be an integer >= 1"), ({"norm": 3}, "norm must be 1, 2 or 'inf'")],
)
def test_bad_hyperparameters_are_named_when_the_model_is_made(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Toll(**kwargs)
