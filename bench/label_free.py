# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Label-free selection measured against the paper's label-peeking protocol (issue "Toll on data without labels").

For each normal class: Toll at the dataset's β and at β = 0, each run once with every
checkpoint criterion recorded (``paper``: labelled validation metric; ``clean``: mean
held-out normal score; ``synthetic``: AUROC of held-out normals vs synthetic anomalies
made from them), and ``beta="auto"`` under the synthetic protocol (the β it chose is
printed). Prints one table of test metrics per criterion; results are resumable in
``--output``.

Example:
    $ python bench/label_free.py --dataset mnist --classes 3 8 --iterations 300 --batch_size 128 --eval_every 50
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

from anomalib_toll.benchmark import run_benchmark
from anomalib_toll.data import get_dataset
from anomalib_toll.protocol import Budget


def criteria_table(rows: list, dataset: str) -> str:
    """Mean ± std over seeds of the test metric each criterion's checkpoint reached, per class and β."""
    lines = [f"{dataset}: test {rows[0].metric.upper()} % by checkpoint criterion (mean ± std over seeds)",
             f"{'class':<8} {'model':<11} {'paper':>14} {'clean':>14} {'synthetic':>14}   beta=auto (synthetic)"]
    for k in sorted({r.normal_class for r in rows}):
        auto = [r for r in rows if r.normal_class == k and r.model == "toll_auto"]
        chosen = [re.search(r"chose ([0-9.e+]+)", r.note).group(1) for r in auto if "chose" in r.note]  # type: ignore[union-attr]
        auto_text = f"{100 * np.mean([r.value for r in auto]):.2f} (β: {', '.join(chosen)})" if auto else "-"
        for model in ("toll", "toll_beta0"):
            values: dict[str, list[float]] = {}
            for r in rows:
                if r.normal_class == k and r.model == model:
                    for name, value, _ in re.findall(r"(\w+)=([0-9.]+)@(\d+)", r.criteria):
                        values.setdefault(name, []).append(float(value))
            cells = [f"{np.mean(values[c]):6.2f} ± {np.std(values[c]):4.2f}" if c in values else f"{'-':>14}"
                     for c in ("paper", "clean", "synthetic")]
            lines.append(f"{k:<8} {model:<11} {' '.join(cells)}   {auto_text if model == 'toll' else ''}")
    return "\n".join(lines)


def main() -> None:
    """Run the grid and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--classes", type=int, nargs="+", default=[3, 8])
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--batch_size", type=int, default=None)
    parser.add_argument("--eval_every", type=int, default=50)
    parser.add_argument("--beta_grid", type=float, nargs="+", default=[0, 1, 10, 100, 1000])
    parser.add_argument("--device", default=None)
    parser.add_argument("--data_root", default=None)
    parser.add_argument("--output", type=Path, default=Path("results/label_free"))
    args = parser.parse_args()
    get_dataset(args.dataset)
    budget = Budget(iterations=args.iterations, batch_size=args.batch_size, eval_every=args.eval_every)
    common = {"classes": args.classes, "seeds": range(args.seeds), "budget": budget, "device": args.device,
              "data_root": args.data_root, "workers": None}
    compared = run_benchmark(
        args.dataset, ["toll", "toll_beta0"], args.output / f"{args.dataset}_criteria",
        model_args={"toll": {"compare_criteria": True}, "toll_beta0": {"compare_criteria": True}}, **common,
    )
    auto = run_benchmark(
        args.dataset, ["toll_auto"], args.output / f"{args.dataset}_auto", protocol="synthetic",
        model_args={"toll_auto": {"beta_grid": tuple(args.beta_grid)}}, **common,
    )
    print(criteria_table(compared + auto, args.dataset))
    print(f"RESULT label_free dataset={args.dataset} cells={len(compared) + len(auto)} "
          f"fit_seconds={sum(r.fit_seconds for r in compared + auto):.0f}")


if __name__ == "__main__":
    main()
