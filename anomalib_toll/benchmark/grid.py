# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The benchmark grid: dataset × normal class × seed × model, one independent cell each.

Cells run in this process, in local worker processes (one thread each: small models
keep both cores busy without oversubscription), or on a Ray cluster
(``executor="ray"``, the optional ``ray`` extra). Results are appended cell by cell, so
a restarted run skips what is done.

Example:
    >>> rows = run_benchmark("digits", models=["toll", "iforest"], output=Path(tempfile.mkdtemp()),
    ...                      budget=Budget(iterations=20, batch_size=32))  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import multiprocessing
import resource
import sys
import tempfile  # noqa: F401  (used in the example)
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from anomalib_toll.benchmark.store import ResultStore, Row
from anomalib_toll.protocol import DEFAULTS, Budget, OneClassSplit, evaluate, make_split
from anomalib_toll.protocol.splits import check_protocol
from anomalib_toll.runners import Runner, make_runner

EXECUTORS = ("local", "ray")


class BenchmarkError(RuntimeError):
    """Some cells failed; every other cell finished and is saved (a rerun retries only these)."""

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
    options: dict[str, Any] = field(default_factory=dict)  # keyword arguments of the model


@functools.lru_cache(maxsize=1)
def _split(dataset: str, normal_class: int, data_root: str | None, download: bool) -> OneClassSplit:
    """Cells run class by class: consecutive cells share one loaded, preprocessed split."""
    return make_split(dataset, normal_class, data_root=data_root, download=download)


def run_cell(cell: Cell) -> tuple[Row, dict[str, np.ndarray] | None]:
    """Fit one model on one split and score the test set with the dataset's metric."""
    split = _split(cell.dataset, cell.normal_class, cell.data_root, cell.download)
    runner = make_runner(cell.model, protocol=cell.protocol, device=cell.device, **cell.options)
    start = time.perf_counter()
    runner.fit(split, cell.seed, cell.budget)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    scores = runner.score(split.x_test)
    score_seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # this process's high-water mark
    row = Row(
        dataset=cell.dataset, normal_class=cell.normal_class, seed=cell.seed, model=runner.name,
        protocol=cell.protocol, metric=split.metric, value=evaluate(split.metric, scores, split.y_test),
        auroc=evaluate("auroc", scores, split.y_test), fit_seconds=round(fit_seconds, 3),
        score_seconds=round(score_seconds, 3), peak_rss_mb=round(rss / (1024**2 if sys.platform == "darwin" else 1024), 1),
        settings=cell_settings(cell, runner), note=runner.note,
    )
    return row, ({"scores": scores, "labels": split.y_test} if cell.keep_scores else None)


def cell_settings(cell: Cell, runner: Runner | None = None) -> str:
    """Budget and model settings of a cell: a finished cell is skipped only if these match."""
    runner = runner or make_runner(cell.model, protocol=cell.protocol, device=cell.device, **cell.options)
    batch = cell.budget.batch_size or DEFAULTS[cell.dataset].batch_size
    return f"iterations={cell.budget.iterations} batch={batch} eval_every={cell.budget.eval_every} {runner.settings()}"


def resume_key(cell: Cell) -> tuple:
    """What makes a cell's result reusable: data, class, seed, protocol and settings."""
    return (cell.dataset, cell.normal_class, cell.seed, cell.protocol, cell_settings(cell))


def row_key(row: Row) -> tuple:
    """The :func:`resume_key` of the cell that wrote ``row``."""
    return (row.dataset, row.normal_class, row.seed, row.protocol, row.settings)


def _single_thread_cell(cell: Cell) -> tuple[Row, dict[str, np.ndarray] | None]:
    import torch

    torch.set_num_threads(1)
    return run_cell(cell)


Outcome = tuple[Cell, tuple[Row, dict | None] | BaseException]


def _attempt(run: Callable[[Cell], tuple[Row, dict | None]], cell: Cell) -> Outcome:
    try:
        return cell, run(cell)
    except Exception as err:  # noqa: BLE001  one failing model must not stop the grid
        return cell, err


def _local(cells: list[Cell], workers: int) -> Iterator[Outcome]:
    if workers <= 1:
        for cell in cells:
            yield _attempt(run_cell, cell)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_single_thread_cell, c): c for c in cells}
        for future in as_completed(futures):
            yield _attempt(lambda _cell, f=future: f.result(), futures[future])


def _ray(cells: list[Cell]) -> Iterator[Outcome]:
    try:
        import ray
    except ImportError as err:
        msg = "executor='ray' needs Ray: pip install 'anomalib-toll[ray]' (or use executor='local')."
        raise ImportError(msg) from err
    ray.init(ignore_reinit_error=True)
    remote = ray.remote(run_cell)
    pending = {remote.remote(c): c for c in cells}
    while pending:
        (ready,), _ = ray.wait(list(pending), num_returns=1)
        yield _attempt(lambda _cell, ref=ready: ray.get(ref), pending.pop(ready))


def run_benchmark(
    dataset: str,
    models: Iterable[str],
    output: Path,
    classes: Iterable[int] | None = None,
    seeds: Iterable[int] = (0,),
    protocol: str = "paper",
    budget: Budget = Budget(),
    data_root: str | None = None,
    device: str | None = None,
    workers: int = 1,
    executor: str = "local",
    progress: bool = True,
    model_args: dict[str, dict[str, Any]] | None = None,
    download: bool = False,
) -> list[Row]:
    """Run every missing cell of the grid, appending each result to ``output/results.csv``.

    ``model_args`` maps a model name of ``models`` to its keyword arguments; ``download``
    lets torchvision fetch a missing image data set into ``data_root``.
    """
    check_protocol(protocol)
    if executor not in EXECUTORS:
        msg = f"executor must be one of {EXECUTORS}, got {executor!r}."
        raise ValueError(msg)
    models = [m.strip() for m in models if m.strip()]
    model_args = dict(model_args or {})
    if unknown := set(model_args) - set(models):
        msg = f"model_args names {sorted(unknown)}, which are not among the models {models}."
        raise ValueError(msg)
    for name in models:
        make_runner(name, **model_args.get(name, {}))  # fail fast on an unknown model (or PyOD argument)
    classes = list(classes) if classes is not None else [0]
    seeds = list(seeds)
    grid = [
        Cell(dataset, normal_class, seed, model, protocol, budget, data_root, device,
             keep_scores=(normal_class == classes[0] and seed == seeds[0]), download=download,
             options=model_args.get(model, {}))
        for normal_class in classes for seed in seeds for model in models
    ]
    keys = {resume_key(cell) for cell in grid}
    store = ResultStore(output)
    done = {row_key(r) for r in store.rows()}
    todo = [cell for cell in grid if resume_key(cell) not in done]
    bar = tqdm(total=len(grid), initial=len(grid) - len(todo), desc=f"benchmark {dataset}", disable=not progress)
    failures: list[tuple[Cell, BaseException]] = []
    for cell, outcome in _ray(todo) if executor == "ray" else _local(todo, workers):
        bar.update()
        if isinstance(outcome, BaseException):
            failures.append((cell, outcome))
            bar.write(f"FAILED {cell.model} class {cell.normal_class} seed {cell.seed}: {type(outcome).__name__}: {outcome}")
            continue
        row, scores = outcome
        store.append(row)
        store.write_json()
        if scores is not None:
            save_scores(output, row, scores)
    bar.close()
    rows = [r for r in store.rows() if row_key(r) in keys]
    if failures:
        raise BenchmarkError(failures, rows)
    return rows


def save_scores(output: Path, row: Row, scores: dict[str, np.ndarray]) -> None:
    """Test scores of the plotted cell (ROC curves, histograms)."""
    folder = Path(output) / "scores"
    folder.mkdir(exist_ok=True)
    cell = f"{row.dataset}, normal class {row.normal_class}, seed {row.seed}"
    np.savez(folder / f"{row.dataset}_{row.normal_class}_{row.seed}_{row.model}.npz", model=row.model, cell=cell, **scores)
