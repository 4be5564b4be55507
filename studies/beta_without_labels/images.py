# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""β without labels, step 1 (images): train the paper protocol at fixed β and keep each image's score parts.

One run per (data set, normal class, seed, β) through ``protocol.train_toll`` with
``compare_criteria`` (the paper's, clean and synthetic checkpoints of one run). For each
kept checkpoint the reconstruction error and ‖z‖ are stored for the test images, the
held-out normal images and several kinds of synthetic anomalies made from them only
(:mod:`studies.beta_without_labels.tables` does the same for tables;
:mod:`studies.beta_without_labels.policies` reads both).

    python -m studies.beta_without_labels.images --dataset mnist --classes 8 3 --betas 0 1000 --iterations 300

Resumable: a finished file is not recomputed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torchvision.transforms.v2 import functional as tvf

from anomalib_toll.core import build_autoencoder
from anomalib_toll.core.loss import collapse_distance, reconstruction_error
from anomalib_toll.core.training import toll_forward
from anomalib_toll.protocol import Budget, OneClassSplit, TollSettings, make_split, train_toll
from anomalib_toll.protocol.beta import SYNTHETIC_SEED
from anomalib_toll.protocol.synthetic import IMAGE_CORRUPTIONS, synthetic_anomalies
from anomalib_toll.protocol.toll import resolve_precision


def parts(model: torch.nn.Module, images: np.ndarray, precision: str, batch: int = 500) -> np.ndarray:
    """``(n, 2)``: reconstruction error and ‖z‖ per image."""
    model.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch):
            x, x_hat, z = toll_forward(model, torch.as_tensor(images[start : start + batch]), precision)
            out.append(torch.stack([reconstruction_error(x_hat, x), collapse_distance(z, norm=2)], 1))
    return torch.cat(out).double().numpy()


def synthetic_sets(normal: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """Synthetic anomalies of several kinds, each made from the held-out normal images only."""
    rng = np.random.default_rng(seed)
    n = len(normal)
    images = torch.as_tensor(normal)
    partner = (np.arange(n) + rng.integers(1, max(n, 2), size=n)) % n
    lam = rng.uniform(0.3, 0.7, size=(n, 1, 1, 1)).astype(np.float32)
    out = {corrupt.__name__.strip("_"): corrupt(normal, rng) for corrupt in IMAGE_CORRUPTIONS}
    out["package"] = synthetic_anomalies(normal, seed=SYNTHETIC_SEED)  # exactly what beta="auto" compares
    out["interp"] = lam * normal + (1 - lam) * normal[partner]
    background = float(normal.min())  # what a normalised empty pixel is: a fill of 0 would be a visible frame
    out["shift3"] = tvf.affine(images, angle=0.0, translate=[3, 3], scale=1.0, shear=[0.0], fill=background).numpy()
    out["rot45"] = tvf.rotate(images, 45.0, fill=background).numpy()
    out["noise0.5"] = normal + 0.5 * normal.std() * rng.normal(size=normal.shape).astype(np.float32)
    h, w = normal.shape[-2:]
    half = h // 2
    out["halves"] = np.concatenate([normal[:, :, :half], normal[partner][:, :, half:]], axis=2)
    out["thick"] = torch.nn.functional.max_pool2d(images, 3, stride=1, padding=1).numpy()
    displacement = torch.as_tensor(rng.normal(size=(n, h, w, 2)).astype(np.float32))
    smooth = tvf.gaussian_blur(displacement.permute(0, 3, 1, 2), [9, 9], [3.0, 3.0]).permute(0, 2, 3, 1)
    smooth = smooth / smooth.std() * (1.2 * 2 / max(h, w))  # ~1.2 pixels, in grid units ([-1, 1] per side)
    out["elastic"] = torch.stack([tvf.elastic(images[i], smooth[i : i + 1], fill=background) for i in range(n)]).numpy()
    # Simpler than a normal image, like the package's erase/thin/fade: a plain autoencoder reconstructs it well.
    out["blur"] = tvf.gaussian_blur(images, [5, 5], [1.5, 1.5]).numpy()
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def main(argv: list[str] | None = None) -> None:
    """Train and store; one line per run.

    Args:
        argv: The command line's arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--classes", type=int, nargs="+", default=[8, 3])
    parser.add_argument("--betas", type=float, nargs="+", default=[0.0, 1000.0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--batch_size", type=int, default=128)
    parser.add_argument("--eval_every", type=int, default=20, help="validation period (the paper's: 20)")
    parser.add_argument("--out", type=Path, default=Path("results/beta_study_images"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for cls in args.classes:
        split = make_split(args.dataset, normal_class=cls)
        normal = split.x_val_normal
        synthetic = synthetic_sets(normal, args.seed)
        for beta in args.betas:
            target = args.out / f"{args.dataset}_c{cls}__s{args.seed}__b{beta:g}__it{args.iterations}.npz"
            if target.exists():
                add_missing_kinds(target, split, synthetic)
                continue
            start = time.perf_counter()
            trained = train_toll(
                split,
                args.seed,
                protocol="synthetic",
                settings=TollSettings(beta=beta),
                budget=Budget(iterations=args.iterations, batch_size=args.batch_size, eval_every=args.eval_every),
                compare_criteria=True,
            )
            seconds = time.perf_counter() - start
            states = {name: checkpoint.state for name, checkpoint in trained.fit.checkpoints.items()}
            sets = {"test": split.x_test, "held": normal} | {f"syn_{k}": v for k, v in synthetic.items()}
            record: dict[str, Any] = {"y_test": split.y_test, "seconds": np.array(seconds)}
            record |= score_checkpoints(trained.model, states, trained.settings.precision, sets)
            np.savez(target, **record)
            torch.save(states, target.with_suffix(".pt"))
            print(f"{args.dataset} {cls} beta {beta:g}: {seconds:.0f} s", flush=True)


def score_checkpoints(
    model: torch.nn.Module,
    states: dict[str, dict],
    precision: str,
    sets: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """``{checkpoint}__{set}`` -> the set's score parts under that checkpoint."""
    out: dict[str, np.ndarray] = {}
    for name, state in states.items():
        model.load_state_dict(state)
        out |= {f"{name}__{set_name}": parts(model, images, precision) for set_name, images in sets.items()}
    return out


def add_missing_kinds(target: Path, split: OneClassSplit, synthetic: dict[str, np.ndarray]) -> None:
    """Score synthetic kinds added since ``target`` was written, from its saved checkpoints (no retraining)."""
    stored: dict[str, Any] = dict(np.load(target))
    missing = {f"syn_{k}": v for k, v in synthetic.items() if not any(key.endswith(f"__syn_{k}") for key in stored)}
    if not missing or not target.with_suffix(".pt").exists():
        return
    shape = split.x_train.shape[1:]
    model = build_autoencoder(shape, latent_dim=TollSettings().resolve(split.dataset).latent_dim)
    precision = resolve_precision("auto", shape, model.is_convolutional, torch.device("cpu"))
    states = torch.load(target.with_suffix(".pt"), weights_only=True)
    np.savez(target, **(stored | score_checkpoints(model, states, precision, missing)))
    print(f"{target.name}: scored {sorted(missing)} from its checkpoints", flush=True)


if __name__ == "__main__":
    main()
