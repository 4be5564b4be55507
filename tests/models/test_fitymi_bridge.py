"""FITYMI+Toll in the benchmark bridge as the paper ran it: FITYMI's data and epochs, the normal class's fakes."""

import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("anomalib", reason="the anomalib extra is not installed")
pytest.importorskip("timm", reason="timm is not installed")

from anomalib_toll.benchmark import cell, grid, run_benchmark
from anomalib_toll.models.data import fakes as fakes_module
from anomalib_toll.protocol import Budget, make_split
from anomalib_toll.runners import make_runner

PER_CLASS_TRAIN, PER_CLASS_TEST, CLASSES = 12, 4, 10
TINY_VIT = {
    "backbone": "vit_tiny_patch16_224", "pre_trained": False, "image_size": 16, "frozen_blocks": 0, "lr": 0.01,
    "backbone_kwargs": {"patch_size": 4, "embed_dim": 32, "depth": 2, "num_heads": 2},
}


def fake_value(k: int) -> int:
    """The pixel value filling every fake of class k's block."""
    return 20 * k + 5


@pytest.fixture(scope="module")
def cifar_root(tmp_path_factory) -> Path:
    """A tiny CIFAR-10 in the ``.npz`` layout: 12 training and 4 test images per class."""
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    y_train = np.repeat(np.arange(CLASSES, dtype=np.uint8), PER_CLASS_TRAIN)
    y_test = np.repeat(np.arange(CLASSES, dtype=np.uint8), PER_CLASS_TEST)
    x_train = rng.integers(0, 256, size=(len(y_train), 32, 32, 3), dtype=np.uint8)
    x_test = rng.integers(0, 256, size=(len(y_test), 32, 32, 3), dtype=np.uint8)
    (root / "cifar10").mkdir()
    np.savez(root / "cifar10" / "cifar10.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return root


@pytest.fixture(scope="module")
def blocked_fakes(tmp_path_factory) -> Path:
    """FITYMI's layout: one block per class in class order, one fake per normal training image; block k = 20k + 5."""
    values = np.repeat([fake_value(k) for k in range(CLASSES)], PER_CLASS_TRAIN).astype(np.uint8)
    path = tmp_path_factory.mktemp("fakes") / "fakes.npy"
    np.save(path, np.broadcast_to(values[:, None, None, None], (len(values), 32, 32, 3)).copy())
    return path


@pytest.fixture
def served_fakes(monkeypatch) -> list[np.ndarray]:
    """Every fake image the file source hands to training, as uint8 pixel values."""
    served: list[np.ndarray] = []
    call = fakes_module.FileFakes.__call__

    def recording(self, normals):
        fakes = call(self, normals)
        served.extend(np.round(fakes.numpy() * 255).astype(int))
        return fakes

    monkeypatch.setattr(fakes_module.FileFakes, "__call__", recording)
    return served


def test_bridge_cell_trains_fitymi_epochs_on_all_normals_with_the_normal_class_fakes_block(
    cifar_root, blocked_fakes, served_fakes, tmp_path,
):
    normal_class, epochs = 3, 2
    args = {**TINY_VIT, "fake_source": str(blocked_fakes), "fakes_by_class": True, "epochs": epochs}
    rows = run_benchmark("cifar10", ["fitymi_toll"], tmp_path / "out", classes=[normal_class], seeds=[0],
                         data_root=str(cifar_root), model_args={"fitymi_toll": args}, workers=1, progress=False,
                         device="cpu")
    (row,) = rows
    steps_per_epoch = math.ceil(PER_CLASS_TRAIN / 8)  # all 12 normals (none held out), 8 + 8 per step
    assert row.model == "fitymi_toll"
    assert (row.iterations, row.batch_size) == (epochs * steps_per_epoch, 8)
    assert row.training.startswith(f"{epochs} epochs = {epochs * steps_per_epoch} steps of 8 normal + 8 fake")
    assert f"{PER_CLASS_TRAIN} normal training images" in row.training
    assert f"block {normal_class} of {CLASSES}" in row.training
    assert "cross-entropy" in row.training
    assert "collapse term" in row.training
    assert len(served_fakes) == epochs * PER_CLASS_TRAIN  # one fake per normal image seen
    assert {int(v) for fake in served_fakes for v in np.unique(fake)} == {fake_value(normal_class)}
    assert (row.n_test_normal, row.n_test_anomalous) == (PER_CLASS_TEST, (CLASSES - 1) * PER_CLASS_TEST)
    assert f"epochs={epochs}" in row.settings
    assert "data=fitymi" in row.settings
    assert "all normal training images as pixels" in row.note
    assert "not the paper's fakes" not in row.note
    assert 0.0 <= row.auroc <= 1.0


def test_fitymi_scores_its_pixel_copy_of_the_official_test_set(cifar_root, blocked_fakes):
    split = make_split("cifar10", normal_class=1, data_root=str(cifar_root))
    runner = make_runner(
        "fitymi", fake_source=str(blocked_fakes), fakes_by_class=True, epochs=1, device="cpu", **TINY_VIT,
    )
    runner.fit(split, seed=0, budget=runner.resolve_budget(Budget(), "cifar10", split))
    assert len(runner.model.train_losses()) == math.ceil(PER_CLASS_TRAIN / 8)  # trained on 12 normals, not the split's
    with np.load(cifar_root / "cifar10" / "cifar10.npz") as data:
        pixels = data["x_test"].transpose(0, 3, 1, 2) / 255.0
    np.testing.assert_allclose(runner.test_images, pixels, rtol=1e-6)
    scores = runner.score_test(split)
    np.testing.assert_allclose(scores, runner.score(pixels.astype(np.float32)), rtol=1e-5)
    assert not np.allclose(scores, runner.score(split.x_test))  # the Toll preprocessing is another input


def test_a_step_budget_replaces_the_epochs_and_the_note_says_so(cifar_root, tmp_path):
    args = {**TINY_VIT, "fake_source": "cutpaste", "epochs": None}
    (row,) = run_benchmark("cifar10", ["fitymi"], tmp_path / "out", classes=[0], seeds=[0], data_root=str(cifar_root),
                           budget=Budget(iterations=3), model_args={"fitymi": args}, workers=1, progress=False,
                           device="cpu")
    assert row.iterations == 3
    assert row.training.startswith("3 steps = 1.5 epochs of 8 normal + 8 fake")
    assert "3 steps: a step budget, not FITYMI's 30 epochs" in row.note
    assert "cutpaste fakes: not the paper's fakes" in row.note


def test_a_fakes_file_without_identifiable_class_blocks_is_refused(cifar_root, tmp_path):
    path = tmp_path / "one_class.npy"
    np.save(path, np.zeros((PER_CLASS_TRAIN, 32, 32, 3), np.uint8))  # one class's fakes only: 12, not 10 blocks of 12
    split = make_split("cifar10", normal_class=2, data_root=str(cifar_root))
    runner = make_runner("fitymi_toll", fake_source=str(path), fakes_by_class=True, epochs=1, device="cpu", **TINY_VIT)
    with pytest.raises(ValueError, match=r"cannot identify the class blocks.*10 blocks of 12.*fakes_by_class=False"):
        runner.fit(split, seed=0, budget=runner.resolve_budget(Budget(), "cifar10", split))


@pytest.mark.parametrize("option", ["fake_source", "weights_file"])
def test_a_missing_file_refuses_the_grid_before_any_data_is_read(monkeypatch, tmp_path, option):
    def no_data(*_args, **_kwargs):
        pytest.fail("data were read before the missing file was reported")

    monkeypatch.setattr(cell, "make_split", no_data)
    monkeypatch.setattr(cell, "cell_split", no_data)
    monkeypatch.setattr(grid, "cell_split", no_data)
    args = {**TINY_VIT, option: str(tmp_path / "missing.npy")}
    if option == "weights_file":
        args["pre_trained"] = True
    with pytest.raises(FileNotFoundError, match=r"missing\.npy"):
        run_benchmark("cifar10", ["fitymi_toll"], tmp_path / "out", classes=[0], seeds=[0, 1],
                      model_args={"fitymi_toll": args}, progress=False)


def test_an_unreadable_fakes_file_is_refused_when_the_adapter_is_made(tmp_path):
    path = tmp_path / "fakes.npy"
    path.write_bytes(b"not an array")
    with pytest.raises(ValueError, match=r"fakes.npy.*not a \.npy"):
        make_runner("fitymi", fake_source=str(path), **TINY_VIT)
