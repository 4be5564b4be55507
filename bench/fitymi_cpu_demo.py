# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""FITYMI vs. FITYMI+Toll on real CIFAR-10 at a CPU budget (one thread, minutes).

A randomly initialised small ViT at 32 px (no pretrained weights offline), offline fakes
(Perlin or CutPaste), a few hundred SGD steps; ``collapse_weight`` 0 (FITYMI) against 0.1
(FITYMI+Toll's default) and 1, same seeds. Runs the anomalib model through ``Engine`` on
``PixelOneClass`` (all normal training images, the whole test set) and prints one JSON
row per run plus the mean per collapse weight. This says nothing about the paper's
numbers (pretrained ViT-B/16 at 224 px, FITYMI's fakes, 30 epochs): see
``configs/fitymi_toll_cifar10.yaml`` for those.

Usage:
    ANOMALIB_TOLL_DATA=/path/to/data python bench/fitymi_cpu_demo.py [--steps 400 --seeds 0 1]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time


def run(args: argparse.Namespace, collapse_weight: float, seed: int) -> dict[str, float]:
    """Train and test one model; the test image AUROC and the wall time."""
    from anomalib.engine import Engine
    from lightning.pytorch import seed_everything

    from anomalib_toll.models import FitymiToll, PixelOneClass

    seed_everything(seed, verbose=False)
    backbone_kwargs = {
        "patch_size": args.patch_size, "embed_dim": args.embed_dim, "depth": args.depth, "num_heads": args.heads,
    }
    model = FitymiToll(
        pre_trained=False, image_size=args.image_size, frozen_blocks=args.frozen_blocks, lr=args.lr,
        momentum=args.momentum, collapse_weight=collapse_weight, fake_source=args.fakes, visualizer=False,
        backbone_kwargs=backbone_kwargs,
    )
    datamodule = PixelOneClass(
        dataset="cifar10", normal_class=args.normal_class, train_batch_size=args.batch_size, eval_batch_size=500,
    )
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as root:
        engine = Engine(
            max_steps=args.steps, limit_val_batches=0, num_sanity_val_steps=0, accelerator="cpu", devices=1,
            logger=False, enable_progress_bar=False, enable_model_summary=False, default_root_dir=root,
        )
        engine.fit(model, datamodule=datamodule)
        auroc = float(engine.test(model, datamodule=datamodule, verbose=False)[0]["image_AUROC"])
    seconds = round(time.perf_counter() - start)
    return {"collapse_weight": collapse_weight, "seed": seed, "image_AUROC": round(auroc, 4), "seconds": seconds}


def main(argv: list[str] | None = None) -> list[dict[str, float]]:
    """Run every (collapse weight, seed) pair, print one JSON line each, then the mean per weight.

    Args:
        argv: The command line's arguments (``sys.argv[1:]`` when ``None``).

    Returns:
        The rows printed: one per run, then one mean per collapse weight.
    """
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--normal_class", type=int, default=0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--collapse_weights", type=float, nargs="+", default=[0.0, 0.1, 1.0])
    parser.add_argument("--steps", type=int, default=400, help="SGD steps (each: batch_size normals + as many fakes)")
    parser.add_argument("--batch_size", type=int, default=32, help="normal images per step")
    parser.add_argument("--fakes", default="perlin", help="perlin, cutpaste or a fakes .npy")
    parser.add_argument("--lr", type=float, default=0.01, help="FITYMI's 4e-4 barely moves a random ViT in minutes")
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--image_size", type=int, default=32)
    parser.add_argument("--patch_size", type=int, default=4)
    parser.add_argument("--embed_dim", type=int, default=64)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--frozen_blocks", type=int, default=0, help="a random ViT has nothing worth freezing")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch

    torch.set_num_threads(args.threads)
    rows: list[dict[str, float]] = []
    for seed in args.seeds:
        for weight in args.collapse_weights:
            rows.append(run(args, weight, seed))
            print(json.dumps(rows[-1]), flush=True)
    means: list[dict[str, float]] = []
    for weight in args.collapse_weights:
        values = [r["image_AUROC"] for r in rows if r["collapse_weight"] == weight]
        means.append({"collapse_weight": weight, "mean_image_AUROC": round(sum(values) / len(values), 4),
                      "runs": len(values)})
        print(json.dumps(means[-1]))
    return rows + means


if __name__ == "__main__":
    main()
