"""FITYMI+Toll as an anomalib model: collapse term, freezing, weights, kNN scores, fakes, CLI."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from tests.models.conftest import SIZE, folder_args

pytest.importorskip("anomalib", reason="the anomalib extra is not installed")
timm = pytest.importorskip("timm", reason="timm is not installed")

from anomalib_toll.data import preprocess_images  # noqa: E402
from anomalib_toll.models import Fitymi, FitymiToll  # noqa: E402
from anomalib_toll.models.data.fakes import CutPasteFakes, fake_presenter, make_fake_source  # noqa: E402
from anomalib_toll.models.image.fitymi_toll import torch_model  # noqa: E402
from anomalib_toll.models.image.fitymi_toll.torch_model import (  # noqa: E402
    FitymiTollModel,
    collapse_term,
    knn_score,
    loss_terms,
)

BIN = Path(sys.executable).parent
CONFIGS = Path(__file__).parents[2] / "configs"
TINY_NAME = "vit_tiny_patch16_224"
TINY = {"patch_size": 8, "embed_dim": 32, "depth": 2, "num_heads": 2}


def tiny_model(**kwargs) -> FitymiTollModel:
    kwargs = {"pre_trained": False, "image_size": SIZE, "frozen_blocks": 1, "backbone_kwargs": TINY, **kwargs}
    return FitymiTollModel(TINY_NAME, **kwargs)


def test_collapse_term_pulls_only_normal_embeddings_toward_their_mean():
    torch.manual_seed(0)
    labels = torch.tensor([0, 1, 0, 1, 0, 1])
    z = torch.randn(6, 5, requires_grad=True)
    term = collapse_term(z, labels)
    normal = z[labels == 0].detach()
    expected = (normal - normal.mean(0)).pow(2).sum(1).sqrt().mean()
    torch.testing.assert_close(term, expected)
    term.backward()
    assert torch.all(z.grad[labels == 1] == 0)
    assert torch.all(z.grad[labels == 0].abs().sum(1) > 0)
    moved_fakes = z.detach().clone()
    moved_fakes[labels == 1] += 100.0
    torch.testing.assert_close(collapse_term(moved_fakes, labels), expected)


def test_collapse_term_is_zero_for_coinciding_normals_and_small_batches():
    z = torch.randn(5, 4)
    labels = torch.tensor([0, 0, 0, 1, 1])
    z[:3] = torch.tensor([1.0, -2.0, 3.0, 0.5])  # the normals coincide, the fakes do not
    assert collapse_term(z, labels).item() == 0.0
    assert collapse_term(z, torch.tensor([1, 1, 1, 1, 0])).item() == 0.0  # one normal
    assert collapse_term(z, torch.ones(5, dtype=torch.long)).item() == 0.0  # none: no NaN


def test_loss_terms_are_the_cross_entropy_and_the_collapse_term_of_the_normals():
    torch.manual_seed(1)
    logits, z, labels = torch.randn(6, 2), torch.randn(6, 3), torch.tensor([0, 1, 0, 0, 1, 1])
    ce, collapse = loss_terms(logits, z, labels, norm="inf")
    torch.testing.assert_close(ce, torch.nn.functional.cross_entropy(logits, labels))
    torch.testing.assert_close(collapse, collapse_term(z, labels, norm="inf"))


def test_frozen_blocks_get_no_gradient_and_the_rest_trains():
    torch.manual_seed(0)
    model = tiny_model(frozen_blocks=1)
    sum(model.loss_terms(torch.rand(6, 3, SIZE, SIZE), torch.tensor([0, 0, 0, 1, 1, 1]))).backward()
    assert all(p.grad is None and not p.requires_grad for p in model.vit.blocks[0].parameters())
    trained = [model.vit.patch_embed.proj.weight, model.vit.pos_embed, model.vit.cls_token,
               *model.vit.blocks[1].parameters(), model.vit.norm.weight, model.vit.head.weight]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in trained)


def test_embedding_is_the_normalised_cls_token_and_dropout_matches_fitymi():
    model = tiny_model().eval()
    x = torch.rand(3, 3, SIZE, SIZE)
    tokens = model.vit.forward_features(x)
    torch.testing.assert_close(model.embed(x), tokens[:, 0])
    assert model.vit.pos_drop.p == 0.1
    assert model.vit.head_drop.p == 0.0
    block = model.vit.blocks[1]
    assert (block.mlp.drop1.p, block.mlp.drop2.p, block.attn.proj_drop.p) == (0.1, 0.1, 0.0)


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_local_weights_load_into_the_backbone_and_the_head_is_new(tmp_path, suffix):
    torch.manual_seed(0)
    source = timm.create_model(TINY_NAME, pretrained=False, img_size=SIZE, num_classes=10, **TINY)
    state = {k: v.contiguous() for k, v in source.state_dict().items()}
    path = tmp_path / f"vit{suffix}"
    if suffix == ".pth":
        torch.save(state, path)
    else:
        from safetensors.torch import save_file

        save_file(state, str(path))
    torch.manual_seed(1)
    loaded = tiny_model(pre_trained=True, weights_file=str(path)).vit.state_dict()
    for name, tensor in state.items():
        if not name.startswith("head."):
            torch.testing.assert_close(loaded[name], tensor, msg=name)
    assert loaded["head.weight"].shape == (2, TINY["embed_dim"])


@pytest.mark.parametrize("why", ["HF_HUB_OFFLINE", "unreachable"])
def test_missing_weights_fail_before_any_download_and_name_the_fix(monkeypatch, tmp_path, why):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))  # nothing cached
    if why == "HF_HUB_OFFLINE":
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setattr(torch_model, "_reachable", lambda _url, _timeout=0: False)

    def download(*args, **kwargs):
        pytest.fail("timm was asked to download")

    monkeypatch.setattr(torch_model.timm, "create_model", download)
    with pytest.raises(FileNotFoundError) as error:
        FitymiToll()
    message = str(error.value)
    assert "weights_file" in message
    assert "pre_trained=False" in message
    assert "huggingface.co/timm/vit_base_patch16_224.orig_in21k" in message
    with pytest.raises(FileNotFoundError, match=r"missing\.npz"):
        FitymiToll(weights_file=str(tmp_path / "missing.npz"))


@pytest.mark.parametrize(("k", "query_chunk", "bank_chunk"), [(2, 1024, 8192), (2, 3, 5), (3, 4, 1), (50, 7, 6)])
def test_knn_scores_match_brute_force(k, query_chunk, bank_chunk):
    generator = torch.Generator().manual_seed(k + query_chunk)
    queries, bank = torch.randn(17, 6, generator=generator), torch.randn(23, 6, generator=generator)
    squared = ((queries[:, None, :] - bank[None, :, :]) ** 2).sum(-1)
    expected = squared.sort(dim=1).values[:, : min(k, len(bank))].sum(1)
    scores = knn_score(queries, bank, k=k, query_chunk=query_chunk, bank_chunk=bank_chunk)
    torch.testing.assert_close(scores, expected, rtol=1e-4, atol=1e-4)


def test_npy_fakes_take_the_normal_class_block_once_per_pass(tmp_path):
    fakes = np.repeat(np.arange(12, dtype=np.uint8)[:, None, None, None] * 10, 8, axis=1)  # 12 images of 8x8
    fakes = np.repeat(np.repeat(fakes, 8, axis=2), 3, axis=3)  # (12, 8, 8, 3), image i filled with 10*i
    np.save(tmp_path / "fakes.npy", fakes)
    source = make_fake_source(tmp_path / "fakes.npy", normal_class=1, num_classes=3)  # block 1 = images 4..7
    normals = torch.zeros(4, 3, 16, 16)
    served = [source(normals) for _ in range(2)]
    assert served[0].shape == normals.shape
    values = [sorted(round(v * 255) for v in batch[:, 0, 8, 8].tolist()) for batch in served]
    assert values == [[40, 50, 60, 70], [40, 50, 60, 70]]  # each fake of the class once per pass


def test_fakes_from_files_match_the_data_modules_preprocessing():
    class ToyOneClass:  # what OneClass exposes: the data set and normal class
        dataset, normal_class = "cifar10", 3

    images = np.random.default_rng(0).integers(0, 256, size=(2, 32, 32, 3), dtype=np.uint8)
    np.testing.assert_array_equal(fake_presenter(ToyOneClass())(images), preprocess_images("cifar10", images, 3))
    np.testing.assert_allclose(fake_presenter(object())(images), images.transpose(0, 3, 1, 2) / 255.0, rtol=1e-6)


def test_cutpaste_changes_only_one_small_rectangle():
    torch.manual_seed(0)
    normals = torch.rand(8, 3, 32, 32)
    fakes = CutPasteFakes(area=(0.02, 0.15))(normals)
    changed = (fakes != normals).any(dim=1)
    assert changed.flatten(1).any(1).all()
    for mask in changed:
        rows, cols = mask.any(1).nonzero(), mask.any(0).nonzero()
        box = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
        assert box <= 0.15 * 32 * 32 + 2 * 32  # one rectangle within the area range (+ rounding)


def test_fitymi_is_fitymi_toll_without_the_collapse_term():
    kwargs = {
        "backbone": TINY_NAME, "pre_trained": False, "image_size": SIZE, "frozen_blocks": 1, "backbone_kwargs": TINY,
    }
    assert Fitymi(**kwargs).model.collapse_weight == 0.0
    assert FitymiToll(**kwargs).model.collapse_weight == torch_model.DEFAULT_COLLAPSE_WEIGHT == 0.1


@pytest.mark.parametrize("weight", [-1.0, float("nan"), float("inf")])
def test_a_collapse_weight_that_is_not_finite_and_non_negative_is_refused(weight):
    with pytest.raises(ValueError, match=r"collapse_weight must be a finite number >= 0"):
        tiny_model(collapse_weight=weight)


def test_a_norm_toll_refuses_is_refused_before_the_vit_is_built(monkeypatch):
    def no_vit(*args, **kwargs):
        msg = "the ViT was built before the norm was checked"
        raise AssertionError(msg)

    monkeypatch.setattr(torch_model, "create_backbone", no_vit)
    with pytest.raises(ValueError, match=r"^norm must be 1, 2 or 'inf' \(the paper's Table 8\), got 3\.$"):
        FitymiToll(norm=3, pre_trained=False)


def test_perlin_fakes_refuse_images_under_17_pixels_in_one_line_and_cutpaste_takes_them():
    with pytest.raises(ValueError, match=r"at least 17 x 17 pixels .*got 8 x 16; use fake_source='cutpaste'"):
        make_fake_source("perlin")(torch.rand(2, 3, 8, 16))
    assert make_fake_source("perlin")(torch.rand(2, 3, 17, 17)).shape == (2, 3, 17, 17)  # the smallest it takes
    assert make_fake_source("cutpaste")(torch.rand(2, 3, 8, 8)).shape == (2, 3, 8, 8)  # the fix the message gives


def test_loss_terms_are_the_cross_entropy_and_the_unweighted_collapse_term():
    torch.manual_seed(2)
    model = tiny_model(collapse_weight=0.3)
    images, labels = torch.rand(6, 3, SIZE, SIZE), torch.tensor([0, 0, 0, 1, 1, 1])
    model.eval()  # no dropout: the same embeddings in both calls
    ce, collapse = model.loss_terms(images, labels)
    embeddings = model.embed(images)
    torch.testing.assert_close(ce, torch.nn.functional.cross_entropy(model.vit.get_classifier()(embeddings), labels))
    torch.testing.assert_close(collapse, collapse_term(embeddings, labels))


@pytest.mark.parametrize("dataset", ["cifar10", "cifar100"])
def test_paper_configs_hold_fitymis_settings(dataset):
    config = yaml.safe_load((CONFIGS / f"fitymi_toll_{dataset}.yaml").read_text())
    model = config["model"]["init_args"]
    assert config["model"]["class_path"] == "anomalib_toll.models.FitymiToll"
    assert (model["lr"], model["weight_decay"], model["k"], model["collapse_weight"]) == (4e-4, 5e-5, 2, 0.1)
    assert (model["frozen_blocks"], model["image_size"], model["fakes_by_class"]) == (6, 224, True)
    data = config["data"]["init_args"]
    assert config["data"]["class_path"] == "anomalib_toll.models.PixelOneClass"
    assert (data["dataset"], data["train_batch_size"], config["trainer"]["max_epochs"]) == (dataset, 8, 30)
    built = FitymiToll(**{**model, "pre_trained": False, "backbone_kwargs": {"depth": 6}})
    assert built.lr == 4e-4
    assert built.fake_source.endswith(f"{dataset}.npy")


def test_engine_mixes_fakes_in_and_keeps_a_bank_of_the_final_weights(folder_dataset, tmp_path):
    from anomalib.data import Folder
    from anomalib.engine import Engine

    torch.manual_seed(0)
    model = FitymiToll(backbone=TINY_NAME, pre_trained=False, image_size=SIZE, frozen_blocks=1, backbone_kwargs=TINY,
                       fake_source="cutpaste", lr=0.05)
    seen = []
    loss_terms = model.model.loss_terms
    model.model.loss_terms = lambda images, labels: seen.append(labels.clone()) or loss_terms(images, labels)
    datamodule = Folder(name="tiny", root=folder_dataset, normal_dir="good", abnormal_dir="bad", mask_dir="masks",
                        train_batch_size=8, eval_batch_size=8, num_workers=0)
    engine = Engine(default_root_dir=tmp_path, accelerator="cpu", devices=1, logger=False, max_steps=3,
                    num_sanity_val_steps=0)
    engine.fit(model, datamodule=datamodule)
    rest = len(datamodule.train_data) - 16  # one epoch: two full batches and the rest
    assert [(int((y == 0).sum()), int((y == 1).sum())) for y in seen] == [(8, 8), (8, 8), (rest, rest)]
    losses = model.train_losses()  # per step: cross-entropy and the unweighted collapse term
    assert losses.shape == (3, 2)
    logged = engine.trainer.callback_metrics  # the last step's terms, logged separately
    torch.testing.assert_close(logged["train_ce"], losses[-1, 0])
    torch.testing.assert_close(logged["train_collapse"], losses[-1, 1])
    torch.testing.assert_close(logged["train_loss"], losses[-1, 0] + 0.1 * losses[-1, 1])
    bank = model.model.feature_bank.clone()
    assert bank.shape == (len(datamodule.train_data), TINY["embed_dim"])
    model.update_feature_bank()  # recomputed with the final weights: the same bank
    torch.testing.assert_close(model.model.feature_bank, bank)
    saved = torch.load(engine.trainer.checkpoint_callback.best_model_path, weights_only=False)["state_dict"]
    torch.testing.assert_close(saved["model.feature_bank"], bank)


def test_benchmark_runner_trains_and_scores_the_split():
    from anomalib_toll.protocol import Budget, auroc, make_split
    from anomalib_toll.runners import make_runner
    from anomalib_toll.runners.fitymi import FitymiRunner

    names = [make_runner(name, pre_trained=False).name for name in ("fitymi", "FITYMI_Toll", "fitymi_toll_0.5")]
    assert names == ["fitymi", "fitymi_toll", "fitymi_toll_0.5"]  # one column per collapse weight
    assert make_runner("fitymi_toll_0.5", pre_trained=False).collapse_weight == 0.5
    assert make_runner("fitymi_toll", collapse_weight=1, pre_trained=False).name == "fitymi_toll_1"
    split = make_split("digits", normal_class=3)
    runner = FitymiRunner(fake_source="cutpaste", backbone=TINY_NAME, pre_trained=False, image_size=16, device="cpu",
                          backbone_kwargs={**TINY, "patch_size": 4}, frozen_blocks=0, lr=0.01, epochs=None)
    runner.fit(split, seed=0, budget=Budget(iterations=30, batch_size=16))
    n_normal = len(split.x_train) + int((split.y_val == 0).sum())  # FITYMI's data: every normal training image
    assert runner.model.model.feature_bank.shape == (n_normal, TINY["embed_dim"])
    scores = runner.score_test(split)
    assert scores.shape == (len(split.x_test),)
    assert auroc(scores, split.y_test) > 0.6  # 0.82 measured (seed 0)


def test_cli_trains_one_epoch_and_reports_image_auroc(folder_dataset, tmp_path):
    args = [
        str(BIN / "anomalib"), "train", "--model", "FitymiToll", "--model.backbone", TINY_NAME,
        "--model.pre_trained", "false", "--model.image_size", str(SIZE), "--model.frozen_blocks", "1",
        "--model.backbone_kwargs", '{"patch_size": 8, "embed_dim": 32, "depth": 2, "num_heads": 2}',
        "--model.fake_source", "cutpaste", *folder_args(folder_dataset), "--trainer.max_epochs", "1",
        "--trainer.accelerator", "cpu", "--default_root_dir", str(tmp_path),
    ]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "image_AUROC" in proc.stdout
