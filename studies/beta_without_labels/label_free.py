# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
r"""Label-free selection measured against the paper's label-peeking protocol (issue "Toll on data without labels").

One ``beta="auto"`` cell per class and seed (protocol ``synthetic``, ``compare_criteria``):
it trains every β of the grid once, records the test metric of the checkpoint each
criterion kept in each run (``paper``: labelled validation metric; ``clean``: mean
held-out normal score; ``synthetic``: AUROC of held-out normals vs synthetic anomalies
made from them) and keeps the β whose synthetic validation AUROC is best. So the
criteria at the paper's β and at β = 0, and ``beta="auto"``, all come from the same
runs. Prints one table; results are resumable in ``--output``.

Example:
    $ python -m studies.beta_without_labels.label_free --dataset mnist --classes 3 8 --iterations 300 \
        --batch_size 128 --eval_every 50
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from anomalib_toll.benchmark import run_benchmark
from anomalib_toll.data import get_dataset
from anomalib_toll.protocol import Budget

if TYPE_CHECKING:
    from anomalib_toll.record import Row


def _mean_std(values: list[float]) -> str:
    return f"{np.mean(values):6.2f} ± {np.std(values):4.2f}" if values else f"{'-':>14}"


def criteria_table(rows: list[Row], dataset: str) -> str:
    """Per class and β: mean ± std over seeds of each criterion's test metric, then what ``beta="auto"`` chose."""
    metric = rows[0].metric.upper()
    lines = [
        (
            f"{dataset}: test {metric} % of the checkpoint each criterion kept (mean ± std over seeds), "
            "and the synthetic validation AUROC % that beta=auto compares"
        ),
        f"{'class':<6} {'beta':>6} {'paper':>14} {'clean':>14} {'synthetic':>14} {'synthetic val':>14}",
    ]
    for k in sorted({r.normal_class for r in rows}):
        cell_rows = [r for r in rows if r.normal_class == k]
        tests: dict[tuple[float, str], list[float]] = {}
        validation: dict[float, list[float]] = {}
        for r in cell_rows:
            for name, beta, value in re.findall(r"(\w+?)_beta([0-9.e+-]+)=([0-9.]+)@\d+", r.criteria):
                tests.setdefault((float(beta), name), []).append(float(value))
            tried = r.note.split("per beta: ")[-1].split(")")[0]
            for beta, value in re.findall(r"([0-9.e+-]+): ([0-9.]+)", tried):
                validation.setdefault(float(beta), []).append(float(value))
        for beta in sorted(validation):
            cells = [_mean_std(tests.get((beta, c), [])) for c in ("paper", "clean", "synthetic")]
            lines.append(f"{k:<6} {beta:>6g} {' '.join(cells)} {_mean_std(validation[beta])}")
        chosen = [re.search(r"chose (?:beta=)?([0-9.e+-]+)", r.note).group(1) for r in cell_rows]  # type: ignore[union-attr]
        lines.append(
            f"{k:<6} {'auto':>6} {'':>14} {'':>14} {_mean_std([100 * r.value for r in cell_rows])}"
            f"   β chosen per seed: {', '.join(chosen)}; AUROC {_mean_std([100 * r.auroc for r in cell_rows])}",
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the grid and print the comparison.

    Args:
        argv: The command line's arguments (default: ``sys.argv[1:]``).
    """
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
    parser.add_argument("--workers", type=int, default=None, help="processes (default: one per core, small networks)")
    parser.add_argument("--output", type=Path, default=Path("results/label_free"))
    args = parser.parse_args(argv)
    get_dataset(args.dataset)
    budget = Budget(iterations=args.iterations, batch_size=args.batch_size, eval_every=args.eval_every)
    rows = run_benchmark(
        args.dataset, ["toll_auto"], args.output / args.dataset, classes=args.classes, seeds=range(args.seeds),
        protocol="synthetic", budget=budget, device=args.device, data_root=args.data_root, workers=args.workers,
        model_args={"toll_auto": {"beta_grid": tuple(args.beta_grid), "compare_criteria": True}},
    )
    print(criteria_table(rows, args.dataset))
    print(f"RESULT label_free dataset={args.dataset} cells={len(rows)} "
          f"fit_seconds={sum(r.fit_seconds for r in rows):.0f}")


if __name__ == "__main__":
    main()
