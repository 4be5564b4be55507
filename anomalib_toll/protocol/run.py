# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Train and test Toll on one protocol cell, or on a grid of seeds/classes.

A cell is (dataset, normal class, seed): random batches for ``iterations`` steps with
Adam at a fixed lr, validation every ``eval_every`` steps, the best checkpoint kept, then
the test metric. Small networks run one cell per process on one thread each (both cores
busy, no oversubscription); conv networks run in one process on all threads.

Example:
    >>> budget = Budget(iterations=20, batch_size=32, eval_every=10)
    >>> cell = run_toll_cell("digits", normal_class=0, seed=0, budget=budget)
    >>> cell.metric, 0.0 <= cell.value <= 1.0
    ('auroc', True)
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import Tensor
from tqdm.auto import tqdm

from anomalib_toll.core import FitResult, build_autoencoder, fit_toll, resolve_device, score_toll
from anomalib_toll.protocol.defaults import DEFAULTS, PAPER_EVAL_EVERY, PAPER_ITERATIONS
from anomalib_toll.protocol.metrics import evaluate
from anomalib_toll.protocol.splits import SPLIT_SEED, OneClassSplit, check_protocol, make_split

SMALL_NETWORK_DATASETS = ("arrhythmia", "digits")  # cells too small to use two threads well


@dataclass(frozen=True)
class Budget:
    """How much training a cell gets; the defaults are the paper's full budget.

    ``batch_size=None`` takes the dataset's paper value (MNIST 1000, CIFAR-10 50, ...).
    """

    iterations: int = PAPER_ITERATIONS
    batch_size: int | None = None
    eval_every: int = PAPER_EVAL_EVERY


@dataclass(frozen=True)
class TollSettings:
    """Toll hyperparameters; ``None`` takes the dataset's paper value."""

    beta: float | None = None
    norm: int | str = 2
    latent_dim: int | None = None
    lr: float | None = None
    precision: str = "auto"


@dataclass(frozen=True)
class CellResult:
    """One row of results: what was run and what it scored."""

    dataset: str
    normal_class: int
    seed: int
    protocol: str
    model: str
    metric: str
    value: float
    auroc: float
    best_step: int
    fit_seconds: float
    score_seconds: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


BF16_MIN_PIXELS = 16 * 16


def resolve_precision(precision: str, input_shape: tuple[int, ...], convolutional: bool, device: torch.device) -> str:
    """``"auto"``: bf16-mixed for conv nets on images of 16×16 or more where bf16 is native.

    Measured here (2 cores): the B.1 net at batch 128 trains at 67 samples/s in fp32,
    114 in bf16, 128 in bf16 + channels_last, with the same AUROC (README, "Speed"); the
    8×8 digits net runs 3.6× *slower* in bf16 (cast overhead dominates tiny convs), and a
    274-wide MLP gains nothing.
    """
    if precision != "auto":
        return precision
    bf16_ok = device.type == "cpu" or (device.type == "cuda" and torch.cuda.is_bf16_supported())
    big_images = len(input_shape) == 3 and input_shape[1] * input_shape[2] >= BF16_MIN_PIXELS
    return "bf16-mixed" if convolutional and big_images and bf16_ok else "32"


def as_tensor(x: np.ndarray) -> Tensor:
    """A float32 view of preprocessed rows/images (no copy when they already are float32)."""
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))


def make_selector(
    split: OneClassSplit, protocol: str, score: Callable[[Tensor], np.ndarray], device: torch.device | None = None,
) -> Callable[[], float]:
    """The checkpoint criterion of a protocol, higher is better (see ``splits``).

    The validation rows go to ``device`` once here, not at each of the ~100 checks.
    """
    if protocol == "paper":
        x_val = as_tensor(split.x_val).to(device)
        return lambda: evaluate(split.metric, score(x_val), split.y_val)
    x_normal = as_tensor(split.x_val_normal).to(device)
    return lambda: -float(np.mean(score(x_normal)))


@dataclass
class TrainedToll:
    """A network trained by the protocol, with the settings its scores depend on."""

    model: torch.nn.Module
    beta: float
    norm: int | str
    precision: str
    device: torch.device
    fit: FitResult

    def score(self, x: np.ndarray | Tensor) -> np.ndarray:
        """Toll scores of preprocessed rows/images, in bounded-memory batches."""
        x = x if isinstance(x, Tensor) else as_tensor(x)
        return score_toll(
            self.model, x, beta=self.beta,
            norm=self.norm, precision=self.precision, device=self.device,
        ).numpy()


def train_toll(
    split: OneClassSplit,
    seed: int = 0,
    *,
    protocol: str = "paper",
    settings: TollSettings = TollSettings(),
    budget: Budget = Budget(),
    device: str | None = None,
    progress: bool | str = False,
) -> TrainedToll:
    """Train Toll on a split's normal rows, keeping the checkpoint the protocol selects."""
    check_protocol(protocol)
    paper = DEFAULTS[split.dataset]
    dev = resolve_device(device)
    with torch.random.fork_rng(devices=[]):  # seeded init without touching the caller's RNG
        torch.manual_seed(seed)
        model = build_autoencoder(split.x_train.shape[1:], latent_dim=settings.latent_dim or paper.latent_dim)
    model.to(dev)
    trained = TrainedToll(
        model=model, beta=paper.beta if settings.beta is None else settings.beta, norm=settings.norm,
        precision=resolve_precision(settings.precision, split.x_train.shape[1:], model.is_convolutional, dev), device=dev,
        fit=FitResult(steps=0, best_step=0, best_value=None, seconds=0.0),
    )
    select = make_selector(split, protocol, trained.score, dev)
    trained.fit = fit_toll(
        model, as_tensor(split.x_train).to(dev), beta=trained.beta, norm=settings.norm,
        lr=paper.lr if settings.lr is None else settings.lr, steps=budget.iterations,
        batch_size=budget.batch_size or paper.batch_size, eval_every=budget.eval_every,
        validate=lambda _model: select(), generator=torch.Generator().manual_seed(seed),
        precision=trained.precision, progress=progress,
    )
    return trained


def run_toll_cell(
    dataset: str,
    normal_class: int = 0,
    seed: int = 0,
    *,
    protocol: str = "paper",
    settings: TollSettings = TollSettings(),
    budget: Budget = Budget(),
    data_root: str | None = None,
    download: bool = False,
    device: str | None = None,
    split: OneClassSplit | None = None,
    vary_split: bool = False,
    progress: bool = False,
) -> CellResult:
    """Train Toll on one cell with the paper protocol and return its test result.

    ``vary_split=True`` draws the held-out rows with the cell's seed instead of the
    authors' one fixed split, so the spread over seeds includes the split's variance.
    """
    split = split or make_split(dataset, normal_class, seed if vary_split else SPLIT_SEED, data_root=data_root, download=download)
    label = f"{dataset}/{normal_class}/seed{seed}" if progress else False
    trained = train_toll(split, seed, protocol=protocol, settings=settings, budget=budget, device=device, progress=label)
    start = time.perf_counter()
    test_scores = trained.score(split.x_test)
    score_seconds = time.perf_counter() - start
    return CellResult(
        dataset=dataset, normal_class=normal_class, seed=seed, protocol=protocol,
        model="toll" if trained.beta else "toll_beta0", metric=split.metric,
        value=evaluate(split.metric, test_scores, split.y_test),
        auroc=evaluate("auroc", test_scores, split.y_test),
        best_step=trained.fit.best_step, fit_seconds=trained.fit.seconds, score_seconds=score_seconds,
    )


def default_workers(dataset: str, n_cells: int) -> int:
    """Processes for a grid: one per core (one thread each) for small networks, else one using every thread.

    Small MLP cells cannot keep two threads busy, so parallel processes use both cores; the
    paper's image networks already do, and two processes of two threads each ran 4× slower here.
    """
    return min(n_cells, os.cpu_count() or 1) if dataset in SMALL_NETWORK_DATASETS else 1


def _single_thread_cell(kwargs: dict) -> CellResult:
    torch.set_num_threads(1)
    return run_toll_cell(**kwargs)


def run_toll_grid(
    dataset: str,
    classes: Iterable[int] = (0,),
    seeds: Iterable[int] = (0,),
    *,
    workers: int | None = None,
    progress: bool = True,
    **cell_kwargs: object,
) -> list[CellResult]:
    """Run every (class, seed) cell; small MLP cells in parallel processes, one thread each.

    ``workers=None`` uses one process per core for the small networks (Arrhythmia's MLP,
    the 8×8 digits) and a single process (all threads) for the paper's image networks,
    whose ops already use every core.
    """
    cells = [dict(cell_kwargs, dataset=dataset, normal_class=c, seed=s) for c in classes for s in seeds]
    if workers is None:
        workers = default_workers(dataset, len(cells))
    bar = tqdm(total=len(cells), desc=f"Toll {dataset}", disable=not progress)
    results: list[CellResult] = []
    if workers <= 1:
        for kwargs in cells:
            results.append(run_toll_cell(**kwargs, progress=progress))
            bar.update()
    else:
        context = multiprocessing.get_context("spawn")  # fork after torch threads start can hang
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            for result in pool.map(_single_thread_cell, cells):
                results.append(result)
                bar.update()
    bar.close()
    return results


def summarize(results: Iterable[CellResult]) -> dict[str, tuple[float, float, int]]:
    """``"model/class" -> (mean, std, n)`` of the metric over seeds (population std, as the authors)."""
    groups: dict[str, list[float]] = {}
    for r in results:
        groups.setdefault(f"{r.model}/{r.normal_class}", []).append(r.value)
    return {k: (float(np.mean(v)), float(np.std(v)), len(v)) for k, v in groups.items()}


__all__ = ["Budget", "CellResult", "default_workers", "TollSettings", "TrainedToll", "run_toll_cell", "run_toll_grid", "summarize", "train_toll"]
