# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""KNN and IForest on the splits of :mod:`studies.beta_without_labels.tables` (same seeds, 70/30, standardisation).

Usage:
    python -m studies.beta_without_labels.baselines --data /path/adbench/Classical /path/adbench/CV_by_ViT --seeds 0 1 2
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from pyod.models.iforest import IForest
from pyod.models.knn import KNN
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler

from studies.beta_without_labels.tables import split_rows  # the same splits as the Toll networks


def main(argv: list[str] | None = None) -> None:
    """Print mean test AUROC per family and protocol.

    Args:
        argv: The command line's arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    for folder in args.data:
        for protocol in ("clean", "adbench"):
            results: dict[str, list[float]] = {"knn": [], "iforest": []}
            for file in sorted(folder.glob("*.npz")):
                data = np.load(file)
                x, y = data["X"].astype(np.float64), data["y"].astype(int)
                per: dict[str, list[float]] = {"knn": [], "iforest": []}
                for seed in args.seeds:
                    fit_rows, x_te, y_te = split_rows(x, y, seed, protocol)
                    scaler = StandardScaler().fit(fit_rows)
                    for name, model in (("knn", KNN()), ("iforest", IForest(random_state=seed))):
                        model.fit(scaler.transform(fit_rows))
                        per[name].append(100 * roc_auc_score(y_te, model.decision_function(scaler.transform(x_te))))
                for name, values in per.items():
                    results[name].append(float(np.mean(values)))
                    print(f"{folder.name} {protocol} {file.stem} {name} {np.mean(values):.2f}")
            for name, values in results.items():
                print(f"== {folder.name} {protocol} {name}: mean {np.mean(values):.2f} over {len(values)} tables")


if __name__ == "__main__":
    main()
