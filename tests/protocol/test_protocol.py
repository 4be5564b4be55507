"""The one-class protocol: splits, selection, determinism, parallel seeds."""

import numpy as np
import pytest
import torch

from anomalib_toll.protocol import (
    Budget,
    TollSettings,
    evaluate,
    make_criteria,
    make_split,
    resolve_precision,
    train_toll,
)
from tests.conftest import require

TINY = Budget(iterations=30, batch_size=64, eval_every=10)


@pytest.fixture(scope="module")
def digits_split():
    return make_split("digits", normal_class=3)


def test_image_split_trains_on_normals_only_and_labels_anomalies(digits_split):
    from anomalib_toll.data import load_images

    images = load_images("digits")
    n_train_normal = int((images.y_train == 3).sum())
    n_val_normal = int((digits_split.y_val == 0).sum())
    assert len(digits_split.x_train) + n_val_normal == n_train_normal  # held-out normals leave training
    assert digits_split.y_test.sum() == (images.y_test != 3).sum()
    assert len(digits_split.x_val) == len(images.y_train) // 6
    assert digits_split.x_train.shape[1:] == (1, 8, 8)
    assert (digits_split.x_val_normal.shape[0], digits_split.metric) == (n_val_normal, "auroc")


def test_split_is_the_same_for_every_run_unless_asked(digits_split):
    np.testing.assert_array_equal(make_split("digits", 3).x_val, digits_split.x_val)
    assert not np.array_equal(make_split("digits", 3, split_seed=1).x_val, digits_split.x_val)


def test_bad_dataset_and_class_are_rejected():
    with pytest.raises(ValueError, match="dataset must be one of"):
        make_split("svhn")
    with pytest.raises(ValueError, match=r"normal_class must be in 0\.\.9"):
        make_split("digits", normal_class=10)
    with pytest.raises(ValueError, match="protocol must be one of"):
        train_toll(make_split("digits", 0), protocol="oracle", budget=TINY)


def test_clean_selector_sees_only_normal_validation_rows(digits_split):
    seen = []
    select = make_criteria(digits_split, lambda x: seen.append(len(x)) or np.ones(len(x)))["clean"]
    assert select() == -1.0
    assert seen == [int((digits_split.y_val == 0).sum())]


def test_paper_selector_scores_labelled_validation(digits_split):
    perfect = make_criteria(digits_split, lambda x: np.zeros(len(x)))["paper"]
    assert perfect() == 0.5  # constant scores: chance AUROC on labelled validation


@pytest.mark.parametrize("protocol", ["paper", "clean"])
def test_training_keeps_a_validated_checkpoint_and_beats_chance(digits_split, protocol):
    trained = train_toll(digits_split, seed=0, protocol=protocol, budget=Budget(120, 64, 20))
    assert evaluate("auroc", trained.score(digits_split.x_test), digits_split.y_test) > 0.8
    assert trained.fit.best_step in range(20, 121, 20)


def test_same_seed_same_scores_other_seed_differs(digits_split):
    a, b, c = (train_toll(digits_split, seed=s, budget=TINY).score(digits_split.x_test) for s in (5, 5, 6))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_training_uses_paper_defaults_unless_overridden(digits_split):
    trained = train_toll(digits_split, settings=TollSettings(latent_dim=5), budget=TINY)
    assert trained.beta == 10.0
    assert trained.model.encoder[-1].out_features == 5
    assert (trained.settings.lr, trained.settings.latent_dim) == (1e-3, 5)  # what was used, recorded


@pytest.mark.parametrize("native", [True, False], ids=["avx512-bf16", "avx2-only"])
def test_auto_precision_is_bf16_only_for_conv_nets_on_large_enough_images_where_the_cpu_runs_bf16(
    monkeypatch: pytest.MonkeyPatch, native: bool,
):
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: native)
    cpu = torch.device("cpu")
    assert resolve_precision("auto", (1, 28, 28), True, cpu) == ("bf16-mixed" if native else "32")
    assert resolve_precision("auto", (1, 8, 8), True, cpu) == "32"
    assert resolve_precision("auto", (274,), False, cpu) == "32"
    assert resolve_precision("32", (1, 28, 28), True, cpu) == "32"


def test_arrhythmia_split_fractions(data_root):
    require(data_root / "arrhythmia" / "arrhythmia.mat")
    split = make_split("arrhythmia", data_root=data_root)
    assert len(split.x_test) == round(0.2 * 386) + round(0.2 * 66)
    assert len(split.x_val) == round(0.3 * 386) + round(0.3 * 66)
    assert len(split.x_train) == 386 - round(0.2 * 386) - round(0.3 * 386)
    assert split.metric == "f1"
    assert split.x_train.shape[1] == 274


def test_arrhythmia_cell_reaches_the_paper_range(data_root):
    require(data_root / "arrhythmia" / "arrhythmia.mat")
    split = make_split("arrhythmia", data_root=str(data_root))
    trained = train_toll(split, seed=0, budget=Budget(iterations=600))
    assert split.metric == "f1"
    # 600 of the paper's 2000 steps: well above chance (F1 ~0.15 at 15 % anomalies), on one thread or two
    assert 0.25 <= evaluate("f1", trained.score(split.x_test), split.y_test) <= 1.0
