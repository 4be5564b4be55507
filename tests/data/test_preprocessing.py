"""The paper's preprocessing, and the min-max constants against the published tables."""

import numpy as np
import pytest

from anomalib_toll.data import (
    MIN_MAX,
    class_min_max,
    global_contrast_normalization,
    load_images,
    min_max_scaled,
    preprocess_images,
)
from tests.conftest import require


def test_gcn_gives_zero_mean_and_unit_mean_absolute_value():
    x = np.random.default_rng(0).integers(0, 256, size=(4, 8, 8, 3)).astype(np.uint8)
    g = global_contrast_normalization(x).reshape(4, -1)
    np.testing.assert_allclose(g.mean(axis=1), 0.0, atol=1e-6)
    np.testing.assert_allclose(np.abs(g).mean(axis=1), 1.0, rtol=1e-6)


def test_gcn_by_hand():
    x = np.array([[0, 0, 0, 4]], dtype=np.uint8)  # mean 1, |x - 1| = 1, 1, 1, 3 → mean 1.5
    np.testing.assert_allclose(global_contrast_normalization(x), [[-1 / 1.5, -1 / 1.5, -1 / 1.5, 3 / 1.5]], rtol=1e-6)


def test_mnist_standardisation_constants():
    x = np.array([[[0, 255]]], dtype=np.uint8)
    out = preprocess_images("mnist", x, normal_class=3)
    np.testing.assert_allclose(out.ravel(), [-0.1307 / 0.3081, (1 - 0.1307) / 0.3081], rtol=1e-6)
    assert out.shape == (1, 1, 1, 2)
    assert out.dtype == np.float32
    fashion = preprocess_images("fashion_mnist", x, normal_class=0)
    np.testing.assert_allclose(fashion.ravel(), [-0.2860 / 0.3530, (1 - 0.2860) / 0.3530], rtol=1e-6)


def test_cifar_min_max_uses_the_normal_class_constants():
    x = np.random.default_rng(0).integers(0, 256, size=(3, 32, 32, 3)).astype(np.uint8)
    lo, hi = MIN_MAX["cifar10"][4]
    expected = (global_contrast_normalization(x) - lo) / (hi - lo)
    out = preprocess_images("cifar10", x, normal_class=4)
    assert out.shape == (3, 3, 32, 32)
    np.testing.assert_allclose(out, expected.transpose(0, 3, 1, 2), rtol=1e-5)
    assert not np.allclose(out, preprocess_images("cifar10", x, normal_class=5))


def test_explicit_min_max_for_classes_without_a_table_entry():
    x = np.random.default_rng(0).integers(0, 256, size=(5, 32, 32, 3)).astype(np.uint8)
    constants = class_min_max(x)
    out = min_max_scaled(*constants)(x)
    assert out.min() == pytest.approx(0.0, abs=1e-6)
    assert out.max() == pytest.approx(1.0, abs=1e-6)


def test_unknown_dataset_has_no_preprocessing():
    with pytest.raises(ValueError, match="no preprocessing"):
        preprocess_images("svhn", np.zeros((1, 2, 2), np.uint8), 0)


def test_cifar100_has_twenty_class_constants():
    assert len(MIN_MAX["cifar100"]) == 20
    with pytest.raises(ValueError, match="normal_class"):
        preprocess_images("cifar100", np.zeros((1, 32, 32, 3), np.uint8), normal_class=20)


@pytest.fixture(scope="module")
def cifar10(data_root):
    require(data_root / "cifar10" / "cifar10.npz")
    return load_images("cifar10", data_root)


@pytest.mark.parametrize("normal_class", [0, 7])
def test_computed_cifar10_constants_match_the_published_table(cifar10, normal_class):
    lo, hi = class_min_max(cifar10.x_train[cifar10.y_train == normal_class])
    assert (lo, hi) == pytest.approx(MIN_MAX["cifar10"][normal_class], rel=1e-9)


@pytest.mark.parametrize("normal_class", [0, 1, 8])
def test_computed_mnist_constants_match_deep_svdd_table(data_root, normal_class):
    require(data_root / "mnist" / "mnist.npz")
    mnist = load_images("mnist", data_root)
    lo, hi = class_min_max(mnist.x_train[mnist.y_train == normal_class])
    assert (lo, hi) == pytest.approx(MIN_MAX["mnist"][normal_class], rel=1e-9)
