"""The shipped YAML configs build the paper's settings."""

import importlib
from pathlib import Path

import pytest
import yaml

from anomalib_toll.data import DATASETS

pytest.importorskip("anomalib", reason="the anomalib extra is not installed")
CONFIGS = Path(__file__).parents[2] / "configs"


def build(spec: dict) -> object:
    module, _, name = spec["class_path"].rpartition(".")
    return getattr(importlib.import_module(module), name)(**spec.get("init_args", {}))


@pytest.mark.parametrize("dataset", ["mnist", "fashion_mnist", "cifar10", "cifar100"])
def test_paper_configs_match_the_authors_hyperparameters(dataset):
    config = yaml.safe_load((CONFIGS / f"toll_{dataset}.yaml").read_text())
    model, data = build(config["model"]), build(config["data"])
    paper = DATASETS[dataset].defaults
    assert (model.beta, model.latent_dim, model.lr) == (paper.beta, paper.latent_dim, paper.lr)
    assert (data.dataset, data.train_batch_size) == (dataset, paper.batch_size)
    trainer = config["trainer"]
    assert (trainer["max_steps"], trainer["val_check_interval"]) == (2000, 20)
    assert trainer["callbacks"][0]["init_args"] == {"monitor": "image_AUROC", "mode": "max", "filename": "best"}


def test_folder_config_builds_a_masked_folder_module(tmp_path):
    config = yaml.safe_load((CONFIGS / "toll_folder.yaml").read_text())
    assert build(config["model"]).image_size == [128, 128]
    assert config["data"]["init_args"]["mask_dir"] == "masks"
