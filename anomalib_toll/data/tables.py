# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Tables from files: ODDS ``.mat`` and ADBench ``.npz``, each holding ``X`` (rows) and ``y`` (1 = anomaly).

``data_root`` is one file or a folder; every ``.mat`` / ``.npz`` file of a folder (not
its sub-folders) is one data set of the benchmark grid, named by its file name, in name
order (other files are skipped, with a warning naming them). Rows must be finite numbers
and ``y`` must hold both labels, 0 and 1; more ones than zeros is warned about (inverted
labels?).

Example:
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> np.savez(folder / "toy.npz", X=np.eye(4), y=np.array([0, 0, 0, 1]))
    >>> table_names(folder)
    ('toy.npz',)
    >>> x, y = load_table(folder, category="toy.npz")
    >>> x.shape, int(y.sum())
    ((4, 4), 1)
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from anomalib_toll.data.root import resolve_data_root
from anomalib_toll.notices import InputWarning

if TYPE_CHECKING:
    import os

TABLE_SUFFIXES = (".mat", ".npz")
MAX_ANOMALY_SHARE = 0.5  # more anomalies than normal rows: the labels are probably inverted (warned about)


def _root(data_root: str | os.PathLike | None) -> Path:
    root = resolve_data_root(data_root)
    if root is None or not root.exists():
        msg = (
            f"dataset 'tabular' needs data_root (CLI: --data_root FILE_OR_DIR): an ODDS .mat or ADBench .npz "
            f"file holding X and y, or a folder of them; got {root}."
        )
        raise FileNotFoundError(msg)
    return root


def table_files(data_root: str | os.PathLike | None) -> list[Path]:
    """The table files ``data_root`` names: itself if a file, else its ``.mat`` / ``.npz`` files by name.

    Raises:
        FileNotFoundError: no such path, or a folder without any table file.
        ValueError: a file of another type.
    """
    root = _root(data_root)
    if root.is_file():
        if root.suffix.lower() not in TABLE_SUFFIXES:
            msg = f"{root}: the tabular dataset reads {' and '.join(TABLE_SUFFIXES)} files (X, y), not {root.suffix!r}."
            raise ValueError(msg)
        return [root]
    files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES)
    if skipped := sorted(p.name for p in root.iterdir()
                         if p.is_file() and p.suffix.lower() not in TABLE_SUFFIXES and not p.name.startswith(".")):
        msg = f"{root}: skipping {', '.join(skipped)}: the tabular dataset reads only .mat and .npz files (X, y)."
        warnings.warn(msg, InputWarning, stacklevel=2)
    if not files:
        msg = f"no .mat or .npz file in {root}: put ODDS .mat or ADBench .npz files (X and y) there."
        raise FileNotFoundError(msg)
    return files


def table_names(data_root: str | os.PathLike | None) -> tuple[str, ...]:
    """The file names of :func:`table_files`: the data sets of a tabular grid."""
    return tuple(p.name for p in table_files(data_root))


def read_table(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """``(X float64 (n, d), y int64 (n,))`` of one ODDS ``.mat`` or ADBench ``.npz`` file, checked.

    Raises:
        ValueError: no ``X`` / ``y``, a MATLAB v7.3 file, shapes that disagree, values that
            are not finite numbers, or labels other than 0/1 or without both; the message
            names the file.
    """
    path = Path(path)
    arrays = _arrays(path)
    missing = [key for key in ("X", "y") if key not in arrays]
    if missing:
        found = sorted(k for k in arrays if not k.startswith("__"))
        msg = f"{path}: no {' or '.join(missing)} in the file (found {found}); ODDS and ADBench files hold X and y."
        raise ValueError(msg)
    x, y = np.asarray(arrays["X"]), np.asarray(arrays["y"]).ravel()
    if x.ndim != 2 or len(x) != len(y):
        msg = f"{path}: X must be 2-D with one row per label, got X {x.shape} and y {y.shape}."
        raise ValueError(msg)
    try:
        x = x.astype(np.float64)
    except (TypeError, ValueError) as err:
        msg = f"{path}: X must hold numbers, got dtype {x.dtype}."
        raise ValueError(msg) from err
    if not np.isfinite(x).all():
        msg = f"{path}: X holds {int((~np.isfinite(x)).sum())} NaN or infinite values; impute or drop them first."
        raise ValueError(msg)
    labels = np.unique(y).tolist()
    if set(labels) != {0, 1}:
        shown = [int(v) if isinstance(v, float) and v.is_integer() else v for v in labels]
        msg = f"{path}: y must hold both labels 0 (normal) and 1 (anomaly), got {shown}."
        raise ValueError(msg)
    if (anomalies := float(np.mean(y == 1))) > MAX_ANOMALY_SHARE:
        msg = (
            f"{path}: y marks {100 * anomalies:.0f} % of the rows as anomalies (1); anomalies are the minority "
            "in every ODDS and ADBench table, so the labels may be inverted (1 = normal). Read as given."
        )
        warnings.warn(msg, InputWarning, stacklevel=2)
    return x, y.astype(np.int64)


def _arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of one ``.mat`` / ``.npz`` file; a file that is not one is named in the error."""
    try:
        if path.suffix.lower() == ".mat":
            from scipy.io import loadmat

            return loadmat(path)
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except NotImplementedError as err:  # scipy reads MATLAB files up to v7.2
        msg = f"{path}: a MATLAB v7.3 (HDF5) file, which scipy cannot read; save X and y to an .npz file instead."
        raise ValueError(msg) from err
    except (OSError, ValueError, TypeError, EOFError, zipfile.BadZipFile) as err:
        msg = (
            f"{path}: not a readable {path.suffix} file ({type(err).__name__}: {err}); replace it with a good copy "
            "or move it out of the folder."
        )
        raise ValueError(msg) from err


def load_table(
    data_root: str | os.PathLike | None = None, download: bool = False, *, category: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of the file named ``category`` (a file name of :func:`table_names`; the only file if ``None``).

    Raises:
        ValueError: ``download`` (tables are never downloaded), or an unknown or ambiguous name.
    """
    if download:
        msg = "dataset 'tabular' reads local files only: download=True has nothing to fetch."
        raise ValueError(msg)
    files = {p.name: p for p in table_files(data_root)}
    if category is None and len(files) == 1:
        category = next(iter(files))
    if category not in files:
        msg = f"no table {category!r} in {_root(data_root)}; the tables are {tuple(files)}."
        raise ValueError(msg)
    return read_table(files[category])
