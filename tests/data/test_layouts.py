"""Every supported on-disk layout, on tiny files written in the official formats."""

import gzip
import pickle  # noqa: S403 - writes CIFAR's official (pickled) format
import struct

import numpy as np
import pytest

from anomalib_toll.data import CIFAR100_COARSE, get_dataset, load_images


def write_idx(path, array, compress=False):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)


def tiny_images(n, shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, *shape), dtype=np.uint8), rng.integers(0, 10, size=n).astype(np.uint8)


def cifar_rows(x):
    """NHWC → CIFAR's row layout: 1024 R, then G, then B values per image."""
    return x.transpose(0, 3, 1, 2).reshape(len(x), -1)


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "cifar10", "cifar100"])
@pytest.mark.parametrize("nested", [True, False])
def test_npz_layout(tmp_path, name, nested):
    shape = (28, 28) if "mnist" in name else (32, 32, 3)
    x_train, y_train = tiny_images(12, shape)
    x_test, y_test = tiny_images(5, shape, seed=1)
    folder = tmp_path / name if nested else tmp_path
    folder.mkdir(exist_ok=True)
    np.savez_compressed(folder / f"{name}.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    images = load_images(name, data_root=tmp_path)
    np.testing.assert_array_equal(images.x_train, x_train)
    np.testing.assert_array_equal(images.y_test, y_test)
    assert images.y_train.dtype == np.int64


def test_cifar100_npz_with_fine_labels_maps_to_superclasses(tmp_path):
    x, _ = tiny_images(100, (32, 32, 3))
    fine = np.arange(100, dtype=np.uint8)
    np.savez(tmp_path / "cifar100.npz", x_train=x, y_train=fine, x_test=x[:10], y_test=fine[:10])
    images = load_images("cifar100", data_root=tmp_path)
    assert images.y_train.max() == 19
    assert get_dataset("cifar100").n_classes == 20
    assert images.y_train[4] == 0  # beaver: aquatic mammals
    assert images.y_train[30] == 0  # dolphin: aquatic mammals
    assert images.y_train[99] == 13  # worm: non-insect invertebrates
    np.testing.assert_array_equal(np.bincount(CIFAR100_COARSE), np.full(20, 5))


@pytest.mark.parametrize(("name", "folder"), [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
@pytest.mark.parametrize("compress", [False, True])
def test_torchvision_idx_layout(tmp_path, name, folder, compress):
    raw = tmp_path / folder / "raw"
    raw.mkdir(parents=True)
    x_train, y_train = tiny_images(7, (28, 28))
    x_test, y_test = tiny_images(3, (28, 28), seed=1)
    write_idx(raw / "train-images-idx3-ubyte", x_train, compress)
    write_idx(raw / "train-labels-idx1-ubyte", y_train, compress)
    write_idx(raw / "t10k-images-idx3-ubyte", x_test, compress)
    write_idx(raw / "t10k-labels-idx1-ubyte", y_test, compress)
    images = load_images(name, data_root=tmp_path)
    np.testing.assert_array_equal(images.x_train, x_train)
    np.testing.assert_array_equal(images.y_train, y_train)
    np.testing.assert_array_equal(images.x_test, x_test)


def test_cifar10_python_layout(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    batches = [tiny_images(4, (32, 32, 3), seed=i) for i in range(6)]
    for i, (x, y) in enumerate(batches[:5], start=1):
        (folder / f"data_batch_{i}").write_bytes(pickle.dumps({b"data": cifar_rows(x), b"labels": y.tolist()}))
    x_test, y_test = batches[5]
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": cifar_rows(x_test), b"labels": y_test.tolist()}))
    images = load_images("cifar10", data_root=tmp_path)
    np.testing.assert_array_equal(images.x_train, np.concatenate([b[0] for b in batches[:5]]))
    np.testing.assert_array_equal(images.x_test, x_test)
    assert images.x_train.shape == (20, 32, 32, 3)


def test_cifar100_python_layout_uses_coarse_labels(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    x, _ = tiny_images(6, (32, 32, 3))
    coarse, fine = [19, 0, 5, 5, 7, 1], [99, 4, 3, 3, 6, 1]
    for split in ("train", "test"):
        payload = {b"data": cifar_rows(x), b"coarse_labels": coarse, b"fine_labels": fine}
        (folder / split).write_bytes(pickle.dumps(payload))
    images = load_images("cifar100", data_root=tmp_path)
    np.testing.assert_array_equal(images.y_train, coarse)
    np.testing.assert_array_equal(images.x_test, x)


def test_missing_data_names_every_place_looked(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_images("cifar10", data_root=tmp_path)
    text = str(err.value)
    assert str(tmp_path / "cifar10" / "cifar10.npz") in text
    assert str(tmp_path / "cifar-10-batches-py") in text
    assert "ANOMALIB_TOLL_DATA" in text
    assert "download=True" in text


def test_no_root_at_all_says_how_to_get_data(monkeypatch):
    monkeypatch.delenv("ANOMALIB_TOLL_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="ANOMALIB_TOLL_DATA"):
        load_images("mnist")


def test_environment_variable_is_the_default_root(tmp_path, monkeypatch):
    x, y = tiny_images(3, (28, 28))
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    monkeypatch.setenv("ANOMALIB_TOLL_DATA", str(tmp_path))
    assert load_images("mnist").x_train.shape == (3, 28, 28)


def test_download_asks_torchvision_with_the_root(tmp_path, monkeypatch):
    import torchvision.datasets as tvd

    calls = []

    def fake_mnist(root, train, download):
        calls.append((root, train, download))
        raw = tmp_path / "MNIST" / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        x, y = tiny_images(2, (28, 28))
        for stem, arr in (("train-images-idx3-ubyte", x), ("train-labels-idx1-ubyte", y),
                          ("t10k-images-idx3-ubyte", x), ("t10k-labels-idx1-ubyte", y)):
            write_idx(raw / stem, arr)

    monkeypatch.setattr(tvd, "MNIST", fake_mnist)
    images = load_images("mnist", data_root=tmp_path, download=True)
    assert calls == [(str(tmp_path), True, True), (str(tmp_path), False, True)]
    assert images.x_train.shape == (2, 28, 28)


def test_unknown_dataset_lists_choices():
    with pytest.raises(ValueError, match="dataset must be one of"):
        load_images("svhn")


def test_digits_need_no_data_root(monkeypatch):
    monkeypatch.delenv("ANOMALIB_TOLL_DATA", raising=False)
    images = load_images("digits")
    assert images.x_train.dtype == np.uint8
    assert images.x_train.max() == 255
    assert len(images.y_train) + len(images.y_test) == 1797
    assert set(np.unique(images.y_test)) == set(range(10))


@pytest.mark.parametrize("content", ["cut", "wrong_keys"])
def test_corrupt_npz_names_the_file_and_how_to_get_a_good_copy(tmp_path, content):
    path = tmp_path / "mnist" / "mnist.npz"
    path.parent.mkdir()
    if content == "cut":
        np.savez(path, x_train=np.zeros((4, 28, 28), np.uint8), y_train=np.zeros(4),
                 x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.zeros(2))
        path.write_bytes(path.read_bytes()[:200])
    else:
        np.savez(path, images=np.zeros((4, 28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"mnist\.npz is not a readable mnist archive .*good copy"):
        load_images("mnist", data_root=tmp_path)
