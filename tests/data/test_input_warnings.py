"""Inputs that are read but look wrong or are partly skipped are said, naming the file and why."""

import numpy as np
import pytest

from anomalib_toll.data import read_table, table_names
from anomalib_toll.notices import InputWarning


def test_a_tabular_folder_names_the_files_it_skips(tmp_path):
    np.savez(tmp_path / "a.npz", X=np.eye(4), y=np.array([0, 0, 0, 1]))
    (tmp_path / "a.csv").write_text("x,y\n")
    (tmp_path / "README").write_text("notes")
    with pytest.warns(InputWarning, match=r"skipping README, a.csv: the tabular dataset reads only .mat and .npz"):
        assert table_names(tmp_path) == ("a.npz",)


def test_labels_that_are_mostly_ones_are_warned_about_as_probably_inverted(tmp_path):
    path = tmp_path / "inverted.npz"
    np.savez(path, X=np.arange(20.0).reshape(10, 2), y=np.array([0] + [1] * 9))
    with pytest.warns(InputWarning, match=r"inverted.npz: y marks 90 % of the rows as anomalies.*inverted"):
        _, y = read_table(path)
    assert y.sum() == 9  # read as given


def test_a_truncated_table_is_named(tmp_path):
    path = tmp_path / "cut.npz"
    np.savez(path, X=np.eye(4), y=np.array([0, 0, 0, 1]))
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(ValueError, match=r"cut.npz: not a readable .npz file"):
        read_table(path)
