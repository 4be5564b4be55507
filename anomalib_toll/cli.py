# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The ``anomalib-toll`` command.

* ``anomalib-toll run ...`` — the paper protocol for Toll (and its β = 0 ablation);
* ``anomalib-toll benchmark ...`` — Toll beside PyOD and anomalib models, tables and plots;
* ``anomalib-toll train|fit|validate|test|predict|export ...`` — anomalib's CLI with the
  plugin's models registered (a drop-in for the ``anomalib`` command).

Arguments come from flags or a YAML ``--config`` (jsonargparse, as anomalib does). An error
is one line, ``anomalib-toll: error: ...`` (exit status 2 for usage errors, 1 for a failed
run); ``--debug`` or ``ANOMALIB_TOLL_DEBUG=1`` shows its traceback (:mod:`anomalib_toll.cli_errors`).

Example:
    $ anomalib-toll run --dataset digits --classes '[3]' --seeds 3 --with_beta0 true
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Literal

ANOMALIB_SUBCOMMANDS = {"train", "fit", "validate", "test", "predict", "export"}


def run(
    dataset: str = "digits",
    classes: list[int] | None = None,
    seeds: int = 1,
    protocol: Literal["paper", "clean", "synthetic"] = "paper",
    beta: float | None = None,
    with_beta0: bool = False,
    norm: Literal["1", "2", "inf"] = "2",
    latent_dim: int | None = None,
    lr: float | None = None,
    iterations: int = 2000,
    batch_size: int | None = None,
    eval_every: int = 20,
    precision: Literal["auto", "32", "bf16-mixed", "16-mixed"] = "auto",
    vary_split: bool = False,
    workers: int | None = None,
    device: str | None = None,
    data_root: str | None = None,
    download: bool = False,
    output: Path = Path("results/run"),
) -> None:
    """Run Toll with the paper's one-class protocol: the benchmark grid with models ``toll`` (and ``toll_beta0``).

    The same grid, executor, resumable results, failure reporting and tables as
    ``anomalib-toll benchmark``; the flags below are ``toll``'s model arguments.

    Args:
        dataset: mnist, fashion_mnist, cifar10, cifar100, arrhythmia, digits or folder;
            ``digits`` (scikit-learn's bundled 8×8 digits) needs no download;
            ``folder`` reads your images from ``data_root``/normal and ``data_root``/abnormal.
        classes: Normal classes to run (default: class 0; Arrhythmia has one setting).
        seeds: Number of seeds, 0..seeds-1 (the paper uses 10).
        protocol: ``paper`` selects the checkpoint on labelled validation data, ``clean``
            on held-out normal samples only, ``synthetic`` on held-out normals against
            synthetic anomalies made from them (no anomaly label seen).
        beta: Collapse weight β (default: the paper's value for the dataset).
        with_beta0: Also run the plain autoencoder (β = 0) for comparison.
        norm: Latent norm order.
        latent_dim: Bottleneck size (default: the paper's).
        lr: Adam learning rate (default: the paper's).
        iterations: Training steps per cell (paper: 2000).
        batch_size: Rows per step (default: the paper's per dataset).
        eval_every: Validate every this many steps (paper: 20).
        precision: ``auto`` = bf16-mixed for conv nets on CPU/bf16 GPUs, 32 otherwise.
        vary_split: Draw the held-out rows per seed instead of the authors' one fixed split.
        workers: Parallel processes (default: one per core for Arrhythmia and digits, else 1).
        device: Torch device (default: CUDA when available).
        data_root: Folder with the data (default: $ANOMALIB_TOLL_DATA).
        download: Let torchvision download a missing image data set into ``data_root`` (online).
        output: Folder for results.csv, results.json, summary.md and plots.
    """
    from anomalib_toll.benchmark.cli import run_grid

    toll = {"norm": norm, "latent_dim": latent_dim, "lr": lr, "precision": precision}
    model_args = {"toll": {"beta": beta, **toll}} | ({"toll_beta0": toll} if with_beta0 else {})
    run_grid(
        dataset, list(model_args), output, model_args=model_args, classes=classes or [0], seeds=seeds,
        protocol=protocol, iterations=iterations, batch_size=batch_size, eval_every=eval_every,
        vary_split=vary_split, data_root=data_root, download=download, device=device, workers=workers,
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``anomalib-toll`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ANOMALIB_SUBCOMMANDS:
        from anomalib_toll.anomalib_cli import anomalib_main

        anomalib_main(argv)
        return
    from jsonargparse import CLI

    from anomalib_toll.benchmark.cli import benchmark
    from anomalib_toll.cli_errors import error_path, split_debug

    argv, debug = split_debug(argv)
    with error_path(debug):
        CLI({"run": run, "benchmark": benchmark}, args=argv, as_positional=False)


if __name__ == "__main__":
    main()
