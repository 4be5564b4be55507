"""Arrhythmia: the ODDS matrix from the raw UCI file."""

import numpy as np
import pytest

from anomalib_toll.data import arrhythmia_from_uci, load_arrhythmia
from tests.conftest import require


def write_uci(path, classes):
    """Rows of 279 attributes + class; columns 10..14 hold '?' now and then, as in UCI."""
    lines = []
    for i, cls in enumerate(classes):
        values = [str(i * 1000 + c) for c in range(279)]
        values[10 + i % 5] = "?"
        lines.append(",".join([*values, str(cls)]))
    path.write_text("\n".join(lines) + "\n")


def test_uci_derivation_drops_columns_10_to_14_and_maps_classes(tmp_path):
    classes = [1, 3, 16, 4, 5, 7, 8, 9, 14, 15, 2, 10, 6]
    write_uci(tmp_path / "arrhythmia.data", classes)
    x, y = arrhythmia_from_uci(tmp_path / "arrhythmia.data")
    assert x.shape == (13, 274)
    np.testing.assert_array_equal(x[2, :12], [2000 + c for c in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16)])
    np.testing.assert_array_equal(y, [0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0])


def test_missing_value_outside_dropped_columns_is_reported(tmp_path):
    write_uci(tmp_path / "a.data", [1, 2])
    text = (tmp_path / "a.data").read_text().replace("1000,1001", "?,1001", 1)
    (tmp_path / "a.data").write_text(text)
    with pytest.raises(ValueError, match="missing values"):
        arrhythmia_from_uci(tmp_path / "a.data")


def test_raw_file_is_used_when_there_is_no_mat(tmp_path):
    (tmp_path / "arrhythmia").mkdir()
    write_uci(tmp_path / "arrhythmia" / "arrhythmia.data", [3, 1])
    x, y = load_arrhythmia(tmp_path)
    assert x.shape == (2, 274)
    assert y.tolist() == [1, 0]


def test_missing_arrhythmia_names_the_paths(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_arrhythmia(tmp_path)
    assert str(tmp_path / "arrhythmia" / "arrhythmia.mat") in str(err.value)
    assert "arrhythmia.data" in str(err.value)


def test_real_odds_matrix_is_reproduced_exactly_from_uci(data_root):
    mat = require(data_root / "arrhythmia" / "arrhythmia.mat")
    x, y = load_arrhythmia(data_root)
    assert x.shape == (452, 274)
    assert y.sum() == 66
    assert mat.exists()
    x_uci, y_uci = arrhythmia_from_uci(require(data_root / "arrhythmia" / "arrhythmia.data"))
    np.testing.assert_array_equal(x_uci, x)
    np.testing.assert_array_equal(y_uci, y)


def test_real_mnist_has_the_official_class_counts(data_root):
    from anomalib_toll.data import load_images

    require(data_root / "mnist" / "mnist.npz")
    mnist = load_images("mnist", data_root)
    assert np.bincount(mnist.y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(mnist.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
