# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""What ``beta="auto"`` costs: ``TollDetector(beta="auto").fit`` ÷ ``TollDetector(beta=0).fit``, side by side.

On each ADBench table under the data root (the development subset in ``../shared`` by
default), both fits run on the same normal training rows (ADBench's 70 % of the normal rows,
as the bridge's one-class split), with ``n_jobs=1`` and the detector's defaults, alternating
which goes first, ``--repeats`` times; the ratio of the median times is the table's cost. The
goal of issue 32 is a ratio of at most 1.5 (five sequential fits cost 5.0). The CPU, its
capability and the torch thread count are printed with the figures.

The last line is machine-readable: ``RESULT geomean_ratio=… max_ratio=… tables=… cpu_capability=… threads=…``.

Usage:
    python -m bench.beta_cost --data_root ../shared/data/adbench            # about 5 min on 2 cores
    python -m bench.beta_cost --data_root ../shared/data/adbench --tables cardio --repeats 1 --epoch_num 2
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from anomalib_toll.data.adbench import adbench_tables, load_adbench
from anomalib_toll.detector import TollDetector

Beta = float | Literal["auto"]


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo``), or the platform's word for it."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def normal_training_rows(x: np.ndarray, y: np.ndarray, seed: int = 0) -> np.ndarray:
    """70 % of the normal rows, drawn with ``seed`` (the one-class training rows of a bridge cell)."""
    normal = x[y == 0]
    order = np.random.default_rng(seed).permutation(len(normal))
    return normal[order[: round(0.7 * len(normal))]]


def fit_seconds(rows: np.ndarray, beta: Beta, epoch_num: int) -> float:
    """Wall seconds of one ``TollDetector.fit`` with the detector's defaults but ``beta`` and ``epoch_num``."""
    start = time.perf_counter()
    TollDetector(beta=beta, epoch_num=epoch_num, n_jobs=1, verbose=0, random_state=0).fit(rows)
    return time.perf_counter() - start


def measure(rows: np.ndarray, repeats: int, epoch_num: int) -> tuple[float, float]:
    """Median seconds of the β = 0 fit and of the auto fit, alternating their order."""
    plain: list[float] = []
    auto: list[float] = []
    for repeat in range(repeats):
        pair: tuple[tuple[Beta, list[float]], ...] = ((0.0, plain), ("auto", auto))
        order = pair if repeat % 2 == 0 else pair[::-1]
        for beta, times in order:
            times.append(fit_seconds(rows, beta, epoch_num))
    return statistics.median(plain), statistics.median(auto)


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Measure every table, print a line per table and the summary; return the summary's numbers."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data_root", default=None, help="ADBench's datasets folder (default: ANOMALIB_TOLL_DATA)")
    parser.add_argument("--tables", nargs="*", default=None, help="ADBench names (default: every Classical table)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epoch_num", type=int, default=50, help="TollDetector's epochs (50: its default)")
    args = parser.parse_args(argv)
    for flag in ("repeats", "epoch_num"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be an integer >= 1, got {getattr(args, flag)}")
    known = {t.name for t in adbench_tables(args.data_root)}
    if unknown := sorted(set(args.tables or ()) - known):
        parser.error(f"--tables names {unknown}, not ADBench data sets under the data root; it has {sorted(known)}")
    names = args.tables or [t.name for t in adbench_tables(args.data_root) if t.family == "classical"]
    capability = torch.backends.cpu.get_cpu_capability()
    print(f"{cpu_name()} ({capability}), {torch.get_num_threads()} torch threads, torch {torch.__version__}")
    print("| table | training rows × features | β = 0 fit s | auto fit s | auto ÷ β = 0 |")
    print("|---|---|---|---|---|")
    ratios = []
    for name in names:
        x, y = load_adbench(args.data_root, category=name)
        rows = normal_training_rows(x, y)
        plain, auto = measure(rows, args.repeats, args.epoch_num)
        ratios.append(auto / plain)
        print(f"| {name} | {len(rows)} × {rows.shape[1]} | {plain:.2f} | {auto:.2f} | {auto / plain:.2f} |", flush=True)
    summary = {"geomean_ratio": float(np.exp(np.mean(np.log(ratios)))), "max_ratio": max(ratios)}
    print(
        f"RESULT geomean_ratio={summary['geomean_ratio']:.2f} max_ratio={summary['max_ratio']:.2f} "
        f"tables={len(ratios)} cpu_capability={capability} threads={torch.get_num_threads()}",
    )
    return summary


if __name__ == "__main__":
    main()
