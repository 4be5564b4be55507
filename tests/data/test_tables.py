"""Tables from files: ODDS .mat and ADBench .npz, the one-class and ADBench splits of them."""

import numpy as np
import pytest
from scipy.io import savemat

from anomalib_toll.data import get_dataset
from anomalib_toll.data.tables import load_table, read_table, table_names
from anomalib_toll.protocol import make_split
from tests.conftest import require
from tests.data.writers import table, write_tables


def test_every_table_file_of_a_folder_is_a_dataset_in_name_order(tmp_path):
    write_tables(tmp_path)
    assert table_names(tmp_path) == ("6_near.npz", "blobs.mat")  # README.txt is no table
    assert get_dataset("tabular").class_names(str(tmp_path)) == ("6_near.npz", "blobs.mat")
    assert table_names(tmp_path / "blobs.mat") == ("blobs.mat",)  # a file is a grid of one


def test_mat_and_npz_give_the_written_rows_and_labels(tmp_path):
    write_tables(tmp_path)
    x, y = load_table(tmp_path, category="blobs.mat")
    expected_x, expected_y = table()
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)  # ODDS stores y as a column: flattened
    assert y.dtype == np.int64
    assert x.dtype == np.float64
    assert load_table(tmp_path, category="6_near.npz")[0].shape == (200, 6)


@pytest.mark.parametrize(
    ("arrays", "match"),
    [({"X": np.ones((4, 2))}, "no y"), ({"X": np.ones((4, 2)), "y": np.array([0, 1, 0])}, "one row per label"),
     ({"X": np.array([[np.nan, 1.0], [1, 1], [1, 1], [1, 1]]), "y": np.array([0, 1, 0, 0])}, "1 NaN"),
     ({"X": np.ones((4, 2)), "y": np.array([0, 2, 0, 0])}, r"both labels 0 .* got \[0, 2\]"),
     ({"X": np.ones((4, 2)), "y": np.zeros(4)}, r"got \[0\]")],
)
def test_bad_tables_are_refused_naming_the_file_and_the_problem(tmp_path, arrays, match):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=f"bad.npz.*{match}"):
        read_table(tmp_path / "bad.npz")


def test_missing_or_unknown_tables_say_what_there_is(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no \.mat or \.npz file"):
        table_names(tmp_path)
    write_tables(tmp_path)
    with pytest.raises(ValueError, match=r"no table 'x.mat'.*6_near.npz"):
        load_table(tmp_path, category="x.mat")
    with pytest.raises(ValueError, match=r"reads \.mat and \.npz"):
        table_names(tmp_path / "README.txt")


def test_one_class_split_trains_on_normals_and_standardises_with_them(tmp_path):
    write_tables(tmp_path)
    split = make_split("tabular", 1, data_root=str(tmp_path))  # blobs.mat
    _, y = table()
    normal, anomalous = int((y == 0).sum()), int((y == 1).sum())
    assert split.class_name == "blobs.mat"
    assert split.metric == "auroc"
    assert len(split.x_train) == normal - round(0.2 * normal) - round(0.3 * normal)
    test_normal, test_anomalous = round(0.2 * normal), round(0.2 * anomalous)
    assert (len(split.y_test), int(split.y_test.sum())) == (test_normal + test_anomalous, test_anomalous)
    np.testing.assert_allclose(split.x_train.mean(axis=0), 0.0, atol=1e-5)  # columns of 0.1 … 1000: now comparable
    np.testing.assert_allclose(split.x_train.std(axis=0), 1.0, rtol=1e-5)


def test_adbench_split_is_stratified_70_30_by_seed_and_trains_on_everything(tmp_path):
    write_tables(tmp_path)
    _, y = table()
    splits = [make_split("tabular", 1, split_seed=s, data_root=str(tmp_path), protocol="adbench") for s in (0, 0, 1)]
    first = splits[0]
    assert (len(first.x_train), len(first.x_test)) == (140, 60)
    assert int(first.y_test.sum()) == round(0.3 * int(y.sum()))  # stratified: the anomaly rate kept
    assert first.y_val.tolist() == [0] * 140  # no label seen
    assert np.array_equal(first.x_val, first.x_train)
    assert first.digest == splits[1].digest  # the seed draws the split
    assert first.digest != splits[2].digest


def test_adbench_protocol_needs_one_labelled_pool():
    with pytest.raises(ValueError, match=r"protocol 'adbench'.*fixed test set"):
        make_split("digits", 0, protocol="adbench")


def test_arrhythmia_mat_as_a_table_splits_exactly_like_the_arrhythmia_dataset(data_root):
    path = require(data_root / "arrhythmia" / "arrhythmia.mat")
    table_split = make_split("tabular", data_root=str(path))
    paper = make_split("arrhythmia", data_root=str(data_root))
    np.testing.assert_array_equal(table_split.y_test, paper.y_test)
    assert table_split.x_train.shape == paper.x_train.shape == (193, 274)
    # the same rows, standardised with the training rows' statistics instead of raw
    mean, std = paper.x_train.astype(np.float64).mean(axis=0), paper.x_train.astype(np.float64).std(axis=0)
    expected = (paper.x_test - mean) / np.where(std > 0, std, 1.0)
    np.testing.assert_allclose(table_split.x_test, expected, atol=1e-4)


def test_odds_mat_with_a_row_label_vector_is_read(tmp_path):
    savemat(tmp_path / "row.mat", {"X": np.eye(4), "y": np.array([0, 0, 1, 1])})
    assert read_table(tmp_path / "row.mat")[1].tolist() == [0, 0, 1, 1]
