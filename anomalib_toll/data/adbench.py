# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""ADBench's data sets as ADBench ships them: ``<root>/<Family folder>/<file>.npz`` holding ``X`` and ``y``.

ADBench (Han et al., NeurIPS 2022) keeps its data in ``adbench/datasets/``: ``Classical/``
(``6_cardio.npz``: ADBench's number, then the name), ``CV_by_ViT/`` and ``CV_by_ResNet18/``
(``MVTec-AD_bottle.npz``: image features), ``NLP_by_BERT/`` and ``NLP_by_RoBERTa/`` (text
embeddings). ``data_root`` is that ``datasets`` folder (or any folder holding some of the
family folders). A table is named by ADBench's name (``cardio``, ``MVTec-AD_bottle``); where
one name is found in two families (the CV sets exist as ViT and as ResNet-18 features) each
is named ``<family>/<name>``. A selection (``--category``) lists ADBench names, family
names (:data:`FAMILIES`: ``classical``, ``cv_vit``, ...) or both, case-insensitively.

Example:
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "Classical").mkdir()
    >>> np.savez(root / "Classical" / "6_cardio.npz", X=np.eye(4), y=np.array([0, 0, 0, 1]))
    >>> [(t.name, t.family, t.rows) for t in adbench_tables(root)]
    [('cardio', 'classical', 4)]
    >>> select_tables(root, ["classical"]), select_tables(root, ["CARDIO"], max_rows=3)
    ((('cardio',), ()), ((), (('cardio', 4),)))

See Also:
    :mod:`anomalib_toll.data.tables` (one file or a folder of files, named by file name).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path  # noqa: TC003  (used in the example)
from typing import TYPE_CHECKING

import numpy as np

from anomalib_toll.data.root import resolve_data_root
from anomalib_toll.data.tables import read_table

if TYPE_CHECKING:
    import os
    from collections.abc import Iterable

FAMILIES: dict[str, str] = {
    "classical": "Classical",
    "cv_vit": "CV_by_ViT",
    "cv_resnet18": "CV_by_ResNet18",
    "nlp_bert": "NLP_by_BERT",
    "nlp_roberta": "NLP_by_RoBERTa",
}
"""ADBench's families: our short name → ADBench's folder name."""

_NUMBERED = re.compile(r"^(\d+)_(.+)$")


@dataclass(frozen=True)
class AdbenchTable:
    """One ADBench file: its name in the grid, ADBench's name, family, path and row count."""

    name: str  # unique under the root: ADBench's name, or <family>/<name> where the name is in two families
    adbench_name: str
    family: str
    path: Path
    rows: int


def _root(data_root: str | os.PathLike | None) -> Path:
    root = resolve_data_root(data_root)
    folders = [] if root is None or not root.is_dir() else [f for f in FAMILIES.values() if (root / f).is_dir()]
    if not folders:
        msg = (
            f"dataset 'adbench' needs data_root (CLI: --data_root DIR): ADBench's datasets folder, holding "
            f"{', '.join(FAMILIES.values())} or some of them; got {root}."
        )
        raise FileNotFoundError(msg)
    assert root is not None  # folders found under it
    return root


def npz_rows(path: Path) -> int:
    """Rows of ``X`` in an ``.npz`` file, read from the array's header only (no data loaded).

    Raises:
        ValueError: not an ``.npz`` file holding ``X`` (the message names the file).
    """
    readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    try:
        with zipfile.ZipFile(path) as archive, archive.open("X.npy") as member:
            version = np.lib.format.read_magic(member)
            shape = readers[version](member)[0] if version in readers else None
    except (KeyError, zipfile.BadZipFile, ValueError) as err:
        msg = f"{path}: not an .npz file holding X ({err}); ADBench files hold X and y."
        raise ValueError(msg) from err
    if shape is None:  # a header numpy has no public reader for: load the array
        with np.load(path, allow_pickle=False) as npz:
            shape = npz["X"].shape
    return int(shape[0]) if shape else 0


def adbench_tables(data_root: str | os.PathLike | None) -> tuple[AdbenchTable, ...]:
    """Every ``.npz`` of the family folders under ``data_root``: by family, then ADBench's number, then name.

    Raises:
        FileNotFoundError: no family folder under ``data_root`` (the message lists them).
    """
    root = _root(data_root)
    found: list[tuple[str, str, int, Path]] = []
    for family, folder in FAMILIES.items():
        if not (root / folder).is_dir():
            continue
        for path in (root / folder).glob("*.npz"):
            match = _NUMBERED.match(path.stem) if family == "classical" else None
            number, name = (int(match[1]), match[2]) if match else (0, path.stem)
            found.append((family, name, number, path))
    order = list(FAMILIES)
    found.sort(key=lambda t: (order.index(t[0]), t[2], t[1].lower()))
    counts: dict[str, int] = {}
    for _, name, _, _ in found:
        counts[name] = counts.get(name, 0) + 1
    return tuple(
        AdbenchTable(name if counts[name] == 1 else f"{family}/{name}", name, family, path, npz_rows(path))
        for family, name, _, path in found
    )


def adbench_names(data_root: str | os.PathLike | None) -> tuple[str, ...]:
    """The names of :func:`adbench_tables`: the data sets of an ADBench grid."""
    return tuple(t.name for t in adbench_tables(data_root))


def select_tables(
    data_root: str | os.PathLike | None, selection: Iterable[str] | None = None, max_rows: int | None = None,
) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...]]:
    """The names ``selection`` stands for, and the ``(name, rows)`` of those skipped for holding > ``max_rows``.

    Each entry of ``selection`` is a family (all its tables), ADBench's name of a table (in
    every family holding it) or a grid name (``cv_vit/MVTec-AD_bottle``), case-insensitively;
    ``None`` selects every table. The result keeps the order of :func:`adbench_tables`.

    Raises:
        ValueError: an entry that names nothing found (the message lists the families and names).
    """
    tables = adbench_tables(data_root)
    wanted: set[str] = set()
    for entry in [t.name for t in tables] if selection is None else selection:
        key = entry.strip().lower()
        chosen = {
            t.name for t in tables if key in {t.family, t.name.lower(), t.adbench_name.lower()}
        }
        if not chosen:
            families = sorted({t.family for t in tables})
            msg = (
                f"no ADBench family or data set {entry!r} under {_root(data_root)}; families found: {families}, "
                f"data sets: {[t.name for t in tables]}."
            )
            raise ValueError(msg)
        wanted |= chosen
    keep = tuple(t.name for t in tables if t.name in wanted and (max_rows is None or t.rows <= max_rows))
    skipped = tuple((t.name, t.rows) for t in tables if t.name in wanted and max_rows is not None and t.rows > max_rows)
    return keep, skipped


def adbench_family(data_root: str | os.PathLike | None, name: str) -> str:
    """The family (:data:`FAMILIES`) of the table named ``name``."""
    return _table(data_root, name).family


def _table(data_root: str | os.PathLike | None, name: str | None) -> AdbenchTable:
    tables = {t.name: t for t in adbench_tables(data_root)}
    if name not in tables:
        msg = f"no ADBench data set {name!r} under {_root(data_root)}; the data sets are {tuple(tables)}."
        raise ValueError(msg)
    return tables[name]


def load_adbench(
    data_root: str | os.PathLike | None = None, download: bool = False, *, category: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of the ADBench table named ``category`` (a name of :func:`adbench_names`), checked.

    Raises:
        ValueError: ``download`` (ADBench's files are fetched with ADBench's own tools), an
            unknown name, or a bad file (see :func:`anomalib_toll.data.tables.read_table`).
    """
    if download:
        msg = (
            "dataset 'adbench' reads local files only: download=True has nothing to fetch; get ADBench's "
            "datasets folder (GitHub Minqi824/ADBench, adbench/datasets) and pass it as data_root."
        )
        raise ValueError(msg)
    return read_table(_table(data_root, category).path)
