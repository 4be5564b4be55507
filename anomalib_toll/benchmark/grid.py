# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The benchmark grid: dataset × normal class × seed × model, one independent cell each.

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

import functools
import hashlib
import json
import resource
import sys
import tempfile  # noqa: F401  (used in the example)
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Required, TypedDict, Unpack

import numpy as np

from anomalib_toll.benchmark import checks
from anomalib_toll.benchmark.failures import failed_rows
from anomalib_toll.benchmark.progress import GridProgress
from anomalib_toll.benchmark.store import ResultStore
from anomalib_toll.core.executor import check_executor, default_workers, execute
from anomalib_toll.data import get_dataset
from anomalib_toll.protocol import Budget, OneClassSplit, check_protocol, evaluate, make_split
from anomalib_toll.protocol.metrics import EXTRA_METRICS, pixel_metrics
from anomalib_toll.protocol.splits import SPLIT_SEED
from anomalib_toll.record import Row
from anomalib_toll.runners import Runner, make_runner

if TYPE_CHECKING:
    from collections.abc import Iterable


class Scores(TypedDict):
    """Test scores of a cell and their labels, as saved for the plots."""

    scores: np.ndarray
    labels: np.ndarray


class CellOptions(TypedDict, total=False):
    """The settings of ``make_grid`` that every cell of the grid carries (fields of ``Cell``)."""

    data_root: Required[str | None]
    device: Required[str | None]
    download: bool
    vary_split: bool


class BenchmarkError(RuntimeError):
    """Some cells failed; every other cell finished and is saved (a rerun retries only these)."""

    exit_status = 1  # the command line's status: the run failed (its usage was fine)

    def __init__(self, failures: list[tuple[Cell, BaseException]], rows: list[Row]) -> None:
        self.failures = failures
        self.rows = rows
        lines = [f"  {c.model} class {c.normal_class} seed {c.seed}: {type(e).__name__}: {e}" for c, e in failures]
        super().__init__(f"{len(failures)} cell(s) failed (the others are saved; rerun to retry):\n" + "\n".join(lines))


@dataclass(frozen=True)
class Cell:
    """One unit of work; everything it needs travels with it (it may run on another machine)."""

    dataset: str
    normal_class: int
    seed: int
    model: str
    protocol: str
    budget: Budget
    data_root: str | None
    device: str | None
    keep_scores: bool
    download: bool = False
    vary_split: bool = False  # draw the held-out rows with the seed instead of the authors' fixed split
    show_steps: bool = False  # a progress bar over the model's training steps (one cell at a time, in a terminal)
    options: dict[str, Any] = field(default_factory=dict)  # keyword arguments of the model
    data_options: tuple[tuple[str, Any], ...] = ()  # keyword arguments of the data set's reader (image_size, ...)

    @property
    def split_seed(self) -> int:
        """The seed of the held-out rows (ADBench's protocol draws its 70/30 split with the run's seed)."""
        return self.seed if self.vary_split or self.protocol == "adbench" else SPLIT_SEED

    def runner(self) -> Runner:
        """A fresh, unfitted model adapter for this cell."""
        return make_runner(self.model, protocol=self.protocol, device=self.device, dataset=self.dataset, **self.options)


@functools.lru_cache(maxsize=1)
def _split(
    dataset: str, normal_class: int, split_seed: int, data_root: str | None, download: bool, protocol: str,
    data_options: tuple[tuple[str, Any], ...],
) -> OneClassSplit:
    """Cells run class by class: consecutive cells share one loaded, preprocessed split."""
    return make_split(
        dataset, normal_class, split_seed, data_root=data_root, download=download, protocol=protocol,
        **dict(data_options),
    )


def cell_split(cell: Cell) -> OneClassSplit:
    """The split a cell reads (cached: consecutive cells of a class share it)."""
    return _split(
        cell.dataset, cell.normal_class, cell.split_seed, cell.data_root, cell.download, cell.protocol,
        cell.data_options,
    )


def data_metrics(cell: Cell, split: OneClassSplit, runner: Runner, scores: np.ndarray) -> dict[str, float]:
    """The metrics the data set records beside its own, and the pixel metrics where they apply.

    AUPR and F1 at the contamination rate where the data set's entry lists them; anomalib's
    pixel AUROC and AUPRO where the split has masks and the model gives anomaly maps.
    """
    values = {name: EXTRA_METRICS[name](scores, split.y_test) for name in get_dataset(cell.dataset).extra_metrics}
    if split.mask_test is not None and (maps := runner.anomaly_maps(split.x_test)) is not None:
        values |= pixel_metrics(maps, split.mask_test)
    return values


@functools.cache
def library_versions() -> str:
    """Versions of the libraries a result depends on."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("anomalib-toll", "torch", "anomalib", "pyod", "scikit-learn"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            found.append(f"{package} -")
    return ", ".join(found)


def run_cell(cell: Cell) -> tuple[Row, Scores | None]:
    """Fit one model on one split and score the test set with the dataset's metric."""
    split = cell_split(cell)
    runner = cell.runner()
    runner.show_progress = cell.show_steps
    budget = runner.resolve_budget(cell.budget, cell.dataset, split)
    start = time.perf_counter()
    runner.fit(split, cell.seed, budget)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    scores = runner.score_test(split)
    score_seconds = time.perf_counter() - start
    metrics = data_metrics(cell, split, runner, scores)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # this process's high-water mark
    row = Row(
        dataset=cell.dataset, normal_class=cell.normal_class, seed=cell.seed, model=runner.name,
        protocol=cell.protocol, metric=split.metric, value=evaluate(split.metric, scores, split.y_test),
        auroc=evaluate("auroc", scores, split.y_test), fit_seconds=round(fit_seconds, 3),
        score_seconds=round(score_seconds, 3),
        peak_rss_mb=round(rss / (1024**2 if sys.platform == "darwin" else 1024), 1),
        settings=cell_settings(cell, runner), note=runner.note, key=resume_key(cell, split.digest, runner),
        data_digest=split.digest, iterations=budget.iterations if runner.uses_budget else 0,
        batch_size=int(budget.batch_size or 0) if runner.uses_budget else 0,
        eval_every=budget.eval_every if runner.uses_budget else 0, precision=runner.precision_used,
        device=runner.device_used,
        n_test_normal=int((split.y_test == 0).sum()), n_test_anomalous=int((split.y_test == 1).sum()),
        input_shape="x".join(map(str, split.x_test.shape[1:])), versions=library_versions(),
        training=runner.training,
        class_name=split.class_name, criteria=criteria_summary(runner, split), error="", **metrics,
    )
    return row, ({"scores": scores, "labels": split.y_test} if cell.keep_scores else None)


def criteria_summary(runner: Runner, split: OneClassSplit) -> str:
    """The test metric (%) and step of the checkpoint each selection criterion kept, from the same run."""
    kept = runner.criterion_scores(split.x_test)
    return " ".join(
        f"{name}={100 * evaluate(split.metric, s, split.y_test):.2f}@{step}" for name, (step, s) in kept.items()
    )


def cell_settings(cell: Cell, runner: Runner | None = None) -> str:
    """Budget and model settings of a cell as used: a finished cell is skipped only if these match."""
    runner = runner or cell.runner()
    budget = runner.resolve_budget(cell.budget, cell.dataset, cell_split(cell))  # cached: the split just read
    used = f"iterations={budget.iterations} batch={budget.batch_size} eval_every={budget.eval_every} "
    split = f"split_seed={cell.split_seed} " if cell.vary_split else ""
    return f"{used if runner.uses_budget else ''}{split}{runner.settings(cell.dataset)}"


def resume_key(cell: Cell, data_digest: str, runner: Runner | None = None) -> str:
    """A cell's identity: dataset, the digest of its data, class, seed, protocol, model settings and budget as used."""
    identity = [cell.dataset, data_digest, cell.normal_class, cell.seed, cell.protocol, cell_settings(cell, runner)]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:16]


def make_grid(
    dataset: str,
    models: Iterable[str],
    classes: Iterable[int | str] | None = None,
    seeds: Iterable[int] = (0,),
    protocol: str = "paper",
    budget: Budget = Budget(),
    model_args: dict[str, dict[str, Any]] | None = None,
    data_options: dict[str, Any] | None = None,
    **cell_options: Unpack[CellOptions],
) -> list[Cell]:
    """The cells of a grid, every argument checked before any work (unknown model, bad option, class).

    ``classes`` holds class indices or names (``"bottle"``, a table's file name); ``None``
    is every class of the data set (every file of a folder of tables). ``data_options``
    go to the data set's reader (``image_size``, a folder's directories).
    """
    spec = get_dataset(dataset)
    check_protocol(protocol)
    data_options = {key: value for key, value in (data_options or {}).items() if value is not None}
    if unknown := sorted(set(data_options) - set(spec.options)):
        takes = f"it takes {', '.join(spec.options)}" if spec.options else "it takes none"
        msg = f"dataset {dataset!r} takes no data option {', '.join(unknown)} ({takes})."
        raise ValueError(msg)
    frozen = tuple((key, tuple(v) if isinstance(v, list) else v) for key, v in sorted(data_options.items()))
    names = spec.class_names(cell_options.get("data_root"))
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
    requested = list(classes) if classes is not None else list(range(len(names)))
    if bad := [c for c in requested if isinstance(c, str) and c not in names]:
        msg = f"no {spec.class_label} {bad} in {dataset}; its {spec.class_label} names are {names}."
        raise ValueError(msg)
    indices = checks.fold_duplicates("classes", [names.index(c) if isinstance(c, str) else c for c in requested])
    if out_of_range := [c for c in indices if not 0 <= c < len(names)]:
        msg = f"classes must be in 0..{len(names) - 1} for {dataset}, got {out_of_range}."
        raise ValueError(msg)
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
) -> list[Row]:
    """Run every missing cell of the grid, appending each result to the store (``output/results.jsonl``).

    ``classes=None`` runs every class of the dataset (every file of a folder of tables);
    ``model_args`` maps a model name of ``models`` to its keyword arguments;
    ``data_options`` go to the data set's reader (``image_size``, a folder's
    directories); ``download`` lets torchvision or anomalib fetch a missing image data
    set into ``data_root``; ``workers=None`` uses one process per core for small networks
    (Arrhythmia, digits, tables) and one process otherwise (the CLI's default).
    """
    check_executor(executor)
    workers = checks.check_workers(workers, executor)
    grid = make_grid(
        dataset, models, classes, seeds, protocol, budget, model_args, data_options,
        data_root=data_root, device=device, download=download, vary_split=vary_split,
    )
    checks.check_output(output)
    # Reading every split here proves the data readable before any cell trains, and keys
    # each result by the data it read: other data in the same folder is recomputed.
    keys = [resume_key(cell, cell_split(cell).digest) for cell in grid]
    for cell in grid[: len({c.model for c in grid})]:  # the last split read is cached: try the models on it
        checks.check_model_arguments(cell.model, cell.runner(), cell.options, cell_split(grid[-1]))
    store = ResultStore(output)
    store.check_writable()
    order = {key: i for i, key in enumerate(keys)}  # rows come back in grid (``models``) order
    done = {r.key for r in store.rows()}
    todo = [cell for cell, key in zip(grid, keys, strict=True) if key not in done]
    if workers is None:
        workers = default_workers(get_dataset(dataset).small_network, len(todo))
    bar = GridProgress(len(grid), len(grid) - len(todo), f"benchmark {dataset}", enabled=progress)
    failures: list[tuple[Cell, BaseException]] = []
    # one cell at a time: its bar too
    show_steps = progress and workers <= 1 and executor == "local" and sys.stderr.isatty()
    todo = [replace(cell, show_steps=show_steps) for cell in todo]
    spec = get_dataset(dataset)
    names = spec.class_names(data_root) if spec.reads_class else None  # a category or a file: say which
    for cell, outcome in execute(run_cell, todo, workers, executor):
        where = f"class {cell.normal_class}" if names is None else names[cell.normal_class]
        name = f"{cell.model} {where} seed {cell.seed}"
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
        failed = failed_rows(failures, grid, keys)
        store.export(failed)
        raise BenchmarkError(failures, sorted([*rows, *failed], key=lambda r: order[r.key]))
    return rows


def save_scores(output: Path, row: Row, scores: Scores) -> None:
    """Test scores of the plotted cell (ROC curves, histograms)."""
    folder = Path(output) / "scores"
    folder.mkdir(exist_ok=True)
    cell = f"{row.dataset}, normal class {row.normal_class}, seed {row.seed}"
    path = folder / f"{row.dataset}_{row.normal_class}_{row.seed}_{row.model}.npz"
    np.savez(path, model=row.model, cell=cell, **scores)
