"""anomalib's model registry resolves every model of the package by its name."""

import pytest

pytest.importorskip("anomalib", reason="the anomalib extra is not installed")

from anomalib.models import get_model, list_models
from anomalib.models.components import AnomalibModule

from anomalib_toll.models import MODELS, Fitymi, FitymiToll, Toll
from anomalib_toll.models.image.fitymi_toll.torch_model import DEFAULT_COLLAPSE_WEIGHT

TINY_VIT = {
    "backbone": "vit_tiny_patch16_224", "pre_trained": False, "image_size": 32, "frozen_blocks": 0,
    "backbone_kwargs": {"depth": 1, "embed_dim": 16, "num_heads": 2, "patch_size": 8},
}


def test_every_model_is_a_direct_anomalib_module_subclass_as_get_model_requires():
    # anomalib.models.get_model searches AnomalibModule.__subclasses__() only, not their subclasses
    direct = AnomalibModule.__subclasses__()
    assert [name for name, cls in MODELS.items() if cls not in direct] == []


@pytest.mark.parametrize("name", sorted(MODELS))
def test_list_models_names_every_model(name):
    assert name in list_models()


def test_get_model_resolves_toll_by_snake_and_pascal_name():
    assert type(get_model("toll", beta=3.0)) is Toll
    assert get_model("Toll", beta=3.0).beta == 3.0


@pytest.mark.parametrize(
    ("name", "cls", "collapse_weight"), [("fitymi", Fitymi, 0.0), ("fitymi_toll", FitymiToll, DEFAULT_COLLAPSE_WEIGHT)],
)
def test_get_model_resolves_fitymi_and_fitymi_toll(name, cls, collapse_weight):
    model = get_model(name, **TINY_VIT)
    assert type(model) is cls
    assert model.model.collapse_weight == collapse_weight
