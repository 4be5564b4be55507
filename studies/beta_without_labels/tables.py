# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""β without labels, step 1 (tables): train TollDetector at fixed β and keep each row's score parts.

For every table (ADBench ``.npz``), seed and β of ``--betas`` one ``TollDetector`` is
trained exactly as a user would (its defaults, ``random_state=seed``) under ADBench's
stratified 70/30 split, either on the normal rows of the 70 % (``--protocol clean``,
one-class) or on all of them (``--protocol adbench``, contaminated). The reconstruction
error and the code norm ‖z‖ are stored separately for the test rows, the held-out
training rows and several kinds of synthetic anomalies made from the held-out rows, so
that every label-free policy (selection criteria, scale-free β, ensembles) is computed
offline from the same networks by :mod:`studies.beta_without_labels.policies`; test labels
are stored for reporting only. ``syn_package`` holds exactly the anomalies ``beta="auto"``
compares (:func:`~anomalib_toll.protocol.beta.synthetic_validation`), so the default policy
is the package's :func:`~anomalib_toll.protocol.beta.choose_beta` on the same networks.

    python -m studies.beta_without_labels.tables --data /path/adbench/Classical --out results/beta_study --seeds 0 1 2

Resumable: a finished (table, protocol, seed, β) file is not recomputed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import train_test_split

from anomalib_toll.core.loss import collapse_distance, reconstruction_error
from anomalib_toll.core.training import toll_forward
from anomalib_toll.detector import TollDetector
from anomalib_toll.protocol.beta import synthetic_validation
from anomalib_toll.protocol.synthetic import TABLE_CORRUPTIONS, synthetic_anomalies

ADBENCH_KINDS = dict(zip(("global", "local5", "dependency"), TABLE_CORRUPTIONS, strict=True))
CLUSTER_SCALE = 5.0  # ADBench's clustered anomalies: the mixture's means scaled by alpha = 5


def split_rows(
    x: np.ndarray, y: np.ndarray, seed: int, protocol: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ADBench's stratified 70/30 split: ``(rows to fit on, test rows, test labels)``.

    ``clean`` fits on the normal rows of the 70 % (one-class), ``adbench`` on all of them.
    """
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.3, stratify=y, random_state=seed)
    return (x_tr[y_tr == 0] if protocol == "clean" else x_tr), x_te, y_te


def parts(detector: TollDetector, rows: np.ndarray) -> np.ndarray:
    """``(n, 2)``: reconstruction error and ‖z‖ of standardised rows."""
    model = detector.model_.eval()
    with torch.inference_mode():
        x, x_hat, z = toll_forward(model, torch.as_tensor(np.asarray(rows, dtype=np.float32)))
        return torch.stack([reconstruction_error(x_hat, x), collapse_distance(z, norm=2)], 1).double().numpy()


def standardise(detector: TollDetector, rows: np.ndarray) -> np.ndarray:
    """Rows as the detector's network sees them (its fitted ``scaler_``)."""
    return rows if detector.scaler_ is None else detector.scaler_.transform(rows)


def clustered(normal: np.ndarray, seed: int) -> np.ndarray:
    """ADBench's clustered type: a Gaussian mixture of the normals (BIC, 1-5 parts) with its means scaled 5×.

    Diagonal covariances, so that it also fits 1000-d features from a hundred rows.
    """
    fits = [
        GaussianMixture(k, covariance_type="diag", reg_covar=1e-3, random_state=seed).fit(normal)
        for k in range(1, min(5, len(normal) // 2) + 1)
    ]
    mixture = min(fits, key=lambda fit: fit.bic(normal))
    mixture.means_ = CLUSTER_SCALE * mixture.means_
    return mixture.sample(len(normal))[0]


def synthetic_sets(normal: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Synthetic anomalies of several kinds, each made from the (standardised) held-out normal rows only."""
    rng = np.random.default_rng(seed)
    n, d = normal.shape
    partner = (np.arange(n) + rng.integers(1, max(n, 2), size=n)) % n
    lam = rng.uniform(0.3, 0.7, size=(n, 1))
    std = normal.std(axis=0) + 1e-12
    out = {
        "package": synthetic_validation(normal)[0][n:],  # exactly what beta="auto" compares
        "adbench_mix": synthetic_anomalies(normal, seed=seed),
        "interp": lam * normal + (1 - lam) * normal[partner],  # between two normals: inside the hull
        "local_0.5": normal + 0.5 * std * rng.normal(size=(n, d)),  # small jitter of each normal
        "local_1": normal + 1.0 * std * rng.normal(size=(n, d)),
        "scaled_1.5": normal.mean(0) + 1.5 * (normal - normal.mean(0)),  # stretched away from the centre
        "shrunk_0.3": normal.mean(0) + 0.3 * (normal - normal.mean(0)),  # pulled towards the centre
        "clustered": clustered(normal, seed),  # a tight group away from the normals' modes
    }
    for name, corrupt in ADBENCH_KINDS.items():  # each ADBench type alone, one per held-out row
        out[name] = corrupt(normal, np.random.default_rng(seed + 1))[:n]
    return {k: np.asarray(v, dtype=np.float32) for k, v in out.items()}


def main(argv: list[str] | None = None) -> None:
    """Train and store; one line per network.

    Args:
        argv: The command line's arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder of ADBench .npz tables")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--betas", type=float, nargs="+", default=[0.0, 1.0, 10.0, 100.0])
    parser.add_argument("--protocol", choices=["clean", "adbench"], default="clean")
    parser.add_argument("--tables", nargs="*", default=None, help="file stems to run (default: all)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    files = sorted(args.data.glob("*.npz"))
    if args.tables:
        files = [f for f in files if f.stem in args.tables]
    for seed in args.seeds:
        for file in files:
            data = np.load(file)
            x, y = data["X"].astype(np.float64), data["y"].astype(int)
            fit_rows, x_te, y_te = split_rows(x, y, seed, args.protocol)
            for beta in args.betas:
                target = args.out / f"{file.stem}__{args.protocol}__s{seed}__b{beta:g}.npz"
                if target.exists():
                    continue
                start = time.perf_counter()
                det = TollDetector(beta=beta, random_state=seed, verbose=0).fit(fit_rows)
                seconds = time.perf_counter() - start
                held = np.asarray(standardise(det, fit_rows[det.validation_indices_]), dtype=np.float32)
                trained_mask = np.ones(len(fit_rows), bool)
                trained_mask[det.validation_indices_] = False
                record: dict[str, Any] = {
                    "test": parts(det, standardise(det, x_te)),
                    "y_test": y_te,
                    "held": parts(det, held),
                    "train": parts(det, standardise(det, fit_rows[trained_mask])),
                    "seconds": np.array(seconds),
                    "n_features": np.array(x.shape[1]),
                }
                for name, rows in synthetic_sets(held, seed).items():
                    record[f"syn_{name}"] = parts(det, rows)
                np.savez(target, **record)
                print(f"{file.stem} {args.protocol} seed {seed} beta {beta:g}: {seconds:.1f} s", flush=True)


if __name__ == "__main__":
    main()
