# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""``anomalib-toll benchmark``: Toll beside PyOD and anomalib models, with the paper's protocol.

Example:
    $ anomalib-toll benchmark --dataset arrhythmia --models toll,iforest,ocsvm --seeds 1 --output results/arr
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal


def benchmark(
    dataset: str = "digits",
    models: str = "toll,toll_beta0,iforest,ocsvm",
    model_args: dict[str, dict] | None = None,
    classes: list[int] | None = None,
    seeds: int = 1,
    protocol: Literal["paper", "clean"] = "paper",
    iterations: int = 2000,
    batch_size: int | None = None,
    eval_every: int = 20,
    vary_split: bool = False,
    data_root: str | None = None,
    download: bool = False,
    device: str | None = None,
    workers: int | None = None,
    executor: Literal["local", "ray"] = "local",
    output: Path = Path("results/benchmark"),
) -> None:
    """Run a dataset × class × seed × model grid and write results, tables and plots.

    Writes ``results.csv`` (appended cell by cell: rerun the same command after an
    interruption and finished cells are skipped), ``results.json``, ``summary.md`` and
    PNG plots into ``output``.

    Args:
        dataset: mnist, fashion_mnist, cifar10, cifar100, arrhythmia, digits or folder;
            ``digits`` (scikit-learn's bundled 8×8 digits) needs no download;
            ``folder`` reads your images from ``data_root``/normal and ``data_root``/abnormal.
        models: Comma-separated: toll, toll_beta0, fitymi, fitymi_toll, iforest, ocsvm, kde, ecod,
            autoencoder, vae, deepsvdd, any anomalib model by its name (padim, ganomaly, patchcore, ...),
            or class paths (pyod.models.lof.LOF, anomalib.models.Cfa).
        model_args: Keyword arguments per model, e.g.
            ``'{"toll": {"latent_dim": 8}, "iforest": {"n_estimators": 50}}'``.
        classes: Normal classes (default: all classes of the dataset; Arrhythmia has one).
        seeds: Number of seeds, 0..seeds-1.
        protocol: ``paper`` selects checkpoints on labelled validation data, ``clean`` on
            held-out normal samples only.
        iterations: Training steps for Toll and anomalib models (paper: 2000); deep PyOD
            models get epochs seeing about as many samples.
        batch_size: Rows per step (default: the model's own, else the paper's per dataset).
        eval_every: Validation interval of Toll, in steps (paper: 20).
        vary_split: Draw the held-out rows per seed instead of the authors' one fixed split.
        data_root: Folder with the data (default: $ANOMALIB_TOLL_DATA).
        download: Let torchvision download a missing image data set into ``data_root`` (online).
        device: Torch device (default: CUDA when available).
        workers: Local processes running cells in parallel, one thread each (default: one
            per core for the small networks of Arrhythmia and digits, else 1).
        executor: ``local`` processes, or ``ray`` for a cluster (pip install 'anomalib-toll[ray]').
        output: Folder for results, summary and plots.
    """
    run_grid(
        dataset, models.split(","), output, model_args=model_args, classes=classes, seeds=seeds, protocol=protocol,
        iterations=iterations, batch_size=batch_size, eval_every=eval_every, vary_split=vary_split,
        data_root=data_root, download=download, device=device, workers=workers, executor=executor,
    )


def run_grid(
    dataset: str, models: list[str], output: Path, *, seeds: int, iterations: int, batch_size: int | None,
    eval_every: int, **options: Any,
) -> None:
    """Run a grid, then write and print the summary and plots (also after failed cells, then exit 1)."""
    from anomalib_toll.benchmark.grid import BenchmarkError, run_benchmark
    from anomalib_toll.data import get_dataset
    from anomalib_toll.protocol import Budget
    from anomalib_toll.report import summary_markdown, write_plots

    from anomalib_toll.core.checks import check_positive_int

    budget = Budget(iterations=iterations, batch_size=batch_size, eval_every=eval_every)
    seeds = check_positive_int("seeds", seeds)
    failed = None
    try:
        rows = run_benchmark(dataset, models, output, seeds=range(seeds), budget=budget, **options)
    except BenchmarkError as err:  # report what finished, then fail
        failed, rows = err, err.rows
    class_names = get_dataset(dataset).classes
    summary = summary_markdown(rows, f"{dataset} one-class benchmark", class_names)
    (output / "summary.md").write_text(summary)
    plots = write_plots(rows, output, class_names)
    print(summary)
    print(f"results: {output / 'results.csv'}, {output / 'results.json'}, {output / 'summary.md'}, "
          + ", ".join(str(p) for p in plots))
    if failed is not None:
        raise SystemExit(str(failed))
