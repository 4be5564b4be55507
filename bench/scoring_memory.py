# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Peak memory of ``TollDetector.decision_function`` as the number of rows grows.

Each size runs in a fresh process: fit on 2,000 rows, then score N rows of 274 features
(float64 input, as PyOD users pass it). Prints the peak RSS above the input itself; scoring
works in batches, so that excess should stay flat from 1e5 to 1e6 rows.

Usage:
    python bench/scoring_memory.py [--sizes 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = """
import json, resource, sys
import numpy as np
from anomalib_toll import TollDetector
n = int(sys.argv[1])
det = TollDetector(epoch_num=1, verbose=0).fit(np.random.default_rng(0).normal(size=(2000, 274)))
X = np.random.default_rng(1).normal(size=(n, 274))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
det.decision_function(X)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": n, "input_mb": X.nbytes / 2**20, "extra_peak_mb": max(peak - before, 0) / 1024}))
"""


def main(argv: list[str] | None = None) -> list[dict[str, float]]:
    """Measure each size in a fresh interpreter and print the peaks; return one row per size.

    Args:
        argv: The command line's arguments (``sys.argv[1:]`` when ``None``).
    """
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args(argv)
    rows: list[dict[str, float]] = []
    for n in args.sizes:
        # this interpreter on the fixed CHILD program
        out = subprocess.run([sys.executable, "-c", CHILD, str(n)], capture_output=True, text=True, check=True)  # noqa: S603
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        row = rows[-1]
        print(f"{n:>9} rows: input {row['input_mb']:8.1f} MB, scoring peak above input {row['extra_peak_mb']:7.1f} MB")
    print("RESULT " + " ".join(f"extra_mb_{r['rows']}={r['extra_peak_mb']:.1f}" for r in rows))
    return rows


if __name__ == "__main__":
    main()
