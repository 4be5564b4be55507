# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The benchmark grid: dataset × normal class × seed × model, one independent cell each (:mod:`.cell`).

Every result of the package comes through here (``anomalib-toll run`` is a preset of
this grid): cells run through the one executor (this process, local worker processes
or Ray), each finished cell is appended to the result store, and a restarted run skips
what is done.

Example:
    >>> rows = run_benchmark("digits", models=["toll", "iforest"], output=Path(tempfile.mkdtemp()), classes=[0],
    ...                      budget=Budget(iterations=20, batch_size=32), progress=False)
    >>> sorted(r.model for r in rows)
    ['iforest', 'toll']
"""

from __future__ import annotations

import sys
import tempfile  # noqa: F401  (used in the example)
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Required, TypedDict, Unpack

import numpy as np

from anomalib_toll.benchmark import checks
from anomalib_toll.benchmark.cell import Cell, Scores, cell_settings, cell_split, resume_key, run_cell
from anomalib_toll.benchmark.failures import failed_rows
from anomalib_toll.benchmark.progress import GridProgress
from anomalib_toll.benchmark.store import ResultStore
from anomalib_toll.core.executor import check_executor, default_workers, execute
from anomalib_toll.data import get_dataset
from anomalib_toll.protocol import Budget, check_protocol

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from anomalib_toll.record import Row


class CellOptions(TypedDict, total=False):
    """The settings of ``make_grid`` that every cell of the grid carries (fields of ``Cell``)."""

    data_root: Required[str | None]
    device: Required[str | None]
    download: bool
    vary_split: bool


class BenchmarkError(RuntimeError):
    """Some cells failed; every other cell finished and is saved (a rerun retries only these).

    Raised from the cells' own errors (:func:`cell_errors`): ``--debug`` shows where each cell failed.
    """

    exit_status = 1  # the command line's status: the run failed (its usage was fine)

    def __init__(self, failures: list[tuple[Cell, BaseException]], rows: list[Row], names: Mapping[str, str]) -> None:
        self.failures = failures
        self.rows = rows
        lines = [f"  {cell_name(c, names)}: {type(e).__name__}: {e}" for c, e in failures]
        super().__init__(f"{len(failures)} cell(s) failed (the others are saved; rerun to retry):\n" + "\n".join(lines))


def cell_name(cell: Cell, names: Mapping[str, str], where: str | None = None) -> str:
    """How progress lines and errors name a cell: its model's column in the results, ``where`` (its class), seed."""
    return f"{names[cell.model]} {where or f'class {cell.normal_class}'} seed {cell.seed}"


def cell_errors(failures: list[tuple[Cell, BaseException]], names: Mapping[str, str]) -> BaseException:
    """The failed cells' own exceptions, each noted with its cell: the cause the grid's error is raised from.

    Chained so, a traceback (``--debug``) shows where each cell failed, not only where the grid gave up.
    """
    for cell, error in failures:
        error.add_note(f"in the cell {cell_name(cell, names)}")
    errors = [error for _, error in failures]
    return errors[0] if len(errors) == 1 else BaseExceptionGroup(f"the {len(errors)} failed cells' errors", errors)


def make_grid(
    dataset: str,
    models: Iterable[str],
    classes: Iterable[int | str] | None = None,
    seeds: Iterable[int] = (0,),
    protocol: str = "paper",
    budget: Budget = Budget(),
    model_args: dict[str, dict[str, Any]] | None = None,
    data_options: dict[str, Any] | None = None,
    max_rows: int | None = None,
    **cell_options: Unpack[CellOptions],
) -> list[Cell]:
    """The cells of a grid, every argument checked before any work (unknown model, bad option, class).

    ``classes`` holds class indices or names (``"bottle"``, a table's file name, an ADBench
    name or family); ``None`` is every class of the data set (every file of a folder of
    tables). ``data_options`` go to the data set's reader (``image_size``, a folder's
    directories); ``max_rows`` leaves out the tables holding more rows (ADBench).
    """
    spec = get_dataset(dataset)
    check_protocol(protocol)
    data_options = {key: value for key, value in (data_options or {}).items() if value is not None}
    if unknown := sorted(set(data_options) - set(spec.options)):
        takes = f"it takes {', '.join(spec.options)}" if spec.options else "it takes none"
        msg = f"dataset {dataset!r} takes no data option {', '.join(unknown)} ({takes})."
        raise ValueError(msg)
    frozen = tuple((key, tuple(v) if isinstance(v, list) else v) for key, v in sorted(data_options.items()))
    models = checks.fold_duplicates("models", [m.strip() for m in models if m.strip()])
    if not models:
        msg = "models must name at least one model, e.g. 'toll,iforest'."
        raise ValueError(msg)
    model_args = dict(model_args or {})
    if extra := sorted(set(model_args) - set(models)):
        msg = f"model_args names {extra}, which are not among the models {models}."
        raise ValueError(msg)
    for model, args in model_args.items():
        if shared := sorted({"protocol", "device"} & set(args)):
            msg = (
                f"model_args of {model!r} set {shared}: the grid's own arguments (--protocol, --device), "
                "not a model's."
            )
            raise ValueError(msg)
    requested = checks.fold_duplicates("classes", classes) if classes is not None else None
    indices, _ = spec.select_classes(requested, cell_options.get("data_root"), max_rows)
    seeds = checks.fold_duplicates("seeds", seeds)
    cell_options["device"] = checks.check_device(cell_options.get("device"))
    if not seeds or not indices:
        msg = f"the grid is empty: seeds={seeds}, classes={indices}; give at least one of each."
        raise ValueError(msg)
    grid = [
        Cell(dataset, normal_class, seed, model, protocol, budget, keep_scores=seed == seeds[0],
             options=model_args.get(model, {}), data_options=frozen, **cell_options)
        for normal_class in indices for seed in seeds for model in models
    ]
    # fail fast on an unknown model or a bad model argument
    checks.check_distinct_models(models, [cell.runner() for cell in grid[: len(models)]])
    return grid


def run_benchmark(
    dataset: str,
    models: Iterable[str],
    output: Path,
    classes: Iterable[int | str] | None = None,
    seeds: Iterable[int] = (0,),
    protocol: str = "paper",
    budget: Budget = Budget(),
    data_root: str | None = None,
    device: str | None = None,
    workers: int | None = 1,
    executor: str = "local",
    progress: bool = True,
    model_args: dict[str, dict[str, Any]] | None = None,
    download: bool = False,
    vary_split: bool = False,
    data_options: dict[str, Any] | None = None,
    max_rows: int | None = None,
) -> list[Row]:
    """Run every missing cell of the grid, appending each result to the store (``output/results.jsonl``).

    ``classes=None`` runs every class of the dataset (every file of a folder of tables);
    ``model_args`` maps a model name of ``models`` to its keyword arguments;
    ``data_options`` go to the data set's reader (``image_size``, a folder's
    directories); ``max_rows`` leaves out tables holding more rows (ADBench); ``download``
    lets torchvision or anomalib fetch a missing image data set into ``data_root``;
    ``workers=None`` uses one process per core for small networks (Arrhythmia, digits,
    tables) and one process otherwise (the CLI's default).
    """
    check_executor(executor)
    workers = checks.check_workers(workers, executor)
    grid = make_grid(
        dataset, models, classes, seeds, protocol, budget, model_args, data_options, max_rows,
        data_root=data_root, device=device, download=download, vary_split=vary_split,
    )
    checks.check_output(output)
    runners = {cell.model: cell.runner() for cell in grid[: len({c.model for c in grid})]}  # one cell per model
    names = {model: runner.name for model, runner in runners.items()}  # the column of its results: one name
    # Reading every split here proves the data readable before any cell trains, and keys
    # each result by the data it read: other data in the same folder is recomputed.
    settings = [cell_settings(cell) for cell in grid]
    keys = [resume_key(cell, cell_split(cell).digest, used) for cell, used in zip(grid, settings, strict=True)]
    for cell in grid[: len(runners)]:  # the last split read is cached: try the models on it
        checks.check_model_arguments(cell.model, runners[cell.model], cell.options, cell_split(grid[-1]))
    store = ResultStore(output)
    store.check_writable()
    order = {key: i for i, key in enumerate(keys)}  # rows come back in grid (``models``) order
    done = {r.key for r in store.rows()}
    todo = [cell for cell, key in zip(grid, keys, strict=True) if key not in done]
    spec = get_dataset(dataset)
    if workers is None:
        workers = default_workers(spec.small_network, len(todo))
    bar = GridProgress(len(grid), len(grid) - len(todo), f"benchmark {dataset}", enabled=progress)
    failures: list[tuple[Cell, BaseException]] = []
    # one cell at a time: its bar too
    show_steps = progress and workers <= 1 and executor == "local" and sys.stderr.isatty()
    todo = [replace(cell, show_steps=show_steps) for cell in todo]
    classes_named = spec.class_names(data_root) if spec.reads_class else None  # a category or a file: say which
    for cell, outcome in execute(run_cell, todo, workers, executor):
        name = cell_name(cell, names, None if classes_named is None else classes_named[cell.normal_class])
        if isinstance(outcome, BaseException):
            failures.append((cell, outcome))
            bar.failed(name, outcome)
            continue
        row, scores = outcome
        bar.finished(name, f"{row.metric} {100 * row.value:.1f} % ({row.fit_seconds:.1f} s)")
        store.append(row)
        if scores is not None:
            save_scores(output, row, scores)
    bar.close()
    rows = sorted((r for r in store.rows() if r.key in order), key=lambda r: order[r.key])
    if failures:  # failed cells are results too: rows with their error, in the exports, never in the store
        identity = {(c.normal_class, c.seed, c.model): (k, s) for c, k, s in zip(grid, keys, settings, strict=True)}
        failed = failed_rows(failures, names, identity)
        store.export(failed)
        all_rows = sorted([*rows, *failed], key=lambda r: order[r.key])
        raise BenchmarkError(failures, all_rows, names) from cell_errors(failures, names)
    return rows


def save_scores(output: Path, row: Row, scores: Scores) -> None:
    """Test scores of the plotted cell (ROC curves, histograms)."""
    folder = Path(output) / "scores"
    folder.mkdir(exist_ok=True)
    cell = f"{row.dataset}, normal class {row.normal_class}, seed {row.seed}"
    path = folder / f"{row.dataset}_{row.normal_class}_{row.seed}_{row.model}.npz"
    np.savez(path, model=row.model, cell=cell, **scores)


__all__ = ["BenchmarkError", "Cell", "CellOptions", "make_grid", "run_benchmark", "run_cell", "save_scores"]
