# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
r"""How large FITYMI+Toll's collapse term is next to the cross-entropy, at initialisation and in training.

The paper adds the collapse term to FITYMI's cross-entropy without a weight. Its scale is
set by the embedding (the final-LayerNorm CLS token, unsquared L2 distance to the batch
mean), the cross-entropy's by the two-class head (ln 2 at initialisation), so the ratio
of the two is a property of the backbone, not of the method. This script measures, for
each logged step of FITYMI's training loop (8 real CIFAR-10 normals + 8 fakes, FITYMI's
transforms and SGD):

* ``ce`` and ``collapse`` (the unweighted term) and their ratio;
* the gradient norms of each term over the trainable parameters, ``grad_ce`` and
  ``grad_collapse``: the weight at which the collapse term pulls as hard as the
  cross-entropy is ``grad_ce / grad_collapse``;
* the mean norm of the normal embeddings.

Training follows ``ce + train_weight × collapse``; every term is measured on the same
batch before the update. Prints one JSON line per logged step and a summary per weight.

Usage:
    ANOMALIB_TOLL_DATA=/path/to/data python -m studies.fitymi_collapse_scale.measure --model vit_b16 --steps 4
    ... --model vit_b16 --device cuda --steps 400 --weights_file ViT-B_16.npz   # the pretrained backbone
    ANOMALIB_TOLL_DATA=/path/to/data python -m studies.fitymi_collapse_scale.measure --model small --steps 300 \
        --train_weights 0 0.1 1
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from anomalib_toll.data import load_images, to_pixels
from anomalib_toll.models.data import make_fake_source
from anomalib_toll.models.image.fitymi_toll import FitymiPreProcessor, FitymiToll

if TYPE_CHECKING:
    from collections.abc import Iterable


@dataclass(frozen=True)
class Backbone:
    """A backbone measured, with FITYMI's optimiser settings for it."""

    name: str
    image_size: int
    frozen_blocks: int
    lr: float
    momentum: float
    kwargs: dict[str, Any] | None = None


MODELS = {
    # FITYMI's ViT-B/16 at 224 px, blocks 0-5 frozen, SGD 4e-4 (random weights: none offline)
    "vit_b16": Backbone("vit_base_patch16_224.orig_in21k", image_size=224, frozen_blocks=6, lr=4e-4, momentum=0.0),
    # bench/fitymi_cpu_demo.py's small ViT at 32 px
    "small": Backbone("vit_tiny_patch16_224", image_size=32, frozen_blocks=0, lr=0.01, momentum=0.9,
                      kwargs={"patch_size": 4, "embed_dim": 64, "depth": 4, "num_heads": 4}),
}


def grad_norm(grads: Iterable[torch.Tensor | None]) -> float:
    """L2 norm of a gradient over every parameter (``None``: a parameter the term does not reach)."""
    return math.sqrt(sum(float(g.float().square().sum()) for g in grads if g is not None))


def run(args: argparse.Namespace, train_weight: float) -> list[dict]:
    """Train with ``ce + train_weight × collapse`` and measure both terms at every logged step."""
    torch.manual_seed(args.seed)
    spec = MODELS[args.model]
    device = torch.device(args.device)
    module = FitymiToll(
        backbone=spec.name, pre_trained=args.weights_file is not None, weights_file=args.weights_file,
        image_size=spec.image_size, frozen_blocks=spec.frozen_blocks,
        backbone_kwargs=spec.kwargs, collapse_weight=train_weight, visualizer=False,
    )
    model = module.model.to(device).train()
    assert isinstance(module.pre_processor, FitymiPreProcessor)  # FitymiToll always builds one
    augment = module.pre_processor.augment
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum, weight_decay=5e-5)
    images = load_images("cifar10", data_root=args.data_root)
    normals = torch.from_numpy(to_pixels(images.x_train[images.y_train == args.normal_class]))
    fakes = make_fake_source(args.fakes)
    generator = torch.Generator().manual_seed(args.seed)
    order = torch.empty(0, dtype=torch.long)
    log_steps = {0, args.steps - 1} | set(range(0, args.steps, args.log_every))
    rows = []
    for step in range(args.steps):
        if len(order) < args.batch_size:
            order = torch.cat([order, torch.randperm(len(normals), generator=generator)])
        batch, order = normals[order[: args.batch_size]], order[args.batch_size :]
        x = augment(torch.cat([batch, fakes(batch)])).to(device)
        labels = torch.cat([torch.zeros(len(batch)), torch.ones(len(batch))]).long().to(device)
        ce, collapse = model.loss_terms(x, labels)
        grad_ce = torch.autograd.grad(ce, params, retain_graph=True, allow_unused=True)
        grad_collapse = torch.autograd.grad(collapse, params, allow_unused=True)
        for p, g_ce, g_col in zip(params, grad_ce, grad_collapse, strict=True):
            g = torch.zeros_like(p) if g_ce is None else g_ce
            p.grad = g if g_col is None else g + train_weight * g_col
        if step in log_steps:
            with torch.no_grad():
                z = model.embed(x[: len(batch)])
            row = {
                "model": args.model, "train_weight": train_weight, "step": step, "ce": ce.item(),
                "collapse": collapse.item(), "collapse_over_ce": collapse.item() / ce.item(),
                "grad_ce": grad_norm(grad_ce), "grad_collapse": grad_norm(grad_collapse),
                "embedding_norm": float(z.norm(dim=1).mean()),
            }
            row["grad_ratio"] = row["grad_collapse"] / row["grad_ce"]
            rows.append(row)
            print(json.dumps({k: round(v, 5) if isinstance(v, float) else v for k, v in row.items()}), flush=True)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return rows


def summary(rows: list[dict], steps: int) -> dict:
    """Values at step 0 and the mean over the last fifth of the logged steps."""
    late = [r for r in rows if r["step"] >= 0.8 * (steps - 1)] or rows[-1:]
    keys = ("ce", "collapse", "collapse_over_ce", "grad_ce", "grad_collapse", "grad_ratio", "embedding_norm")
    out = {"model": rows[0]["model"], "train_weight": rows[0]["train_weight"], "steps": steps}
    out |= {f"init_{k}": round(rows[0][k], 4) for k in keys}
    out |= {f"late_{k}": round(statistics.fmean(r[k] for r in late), 4) for k in keys}
    return out


def main(argv: list[str] | None = None) -> None:
    """Measure each training weight in turn; print the logged steps and a summary per weight.

    Args:
        argv: The command line's arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=sorted(MODELS), default="small")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--log_every", type=int, default=1)
    parser.add_argument("--batch_size", type=int, default=8, help="normal images per step (as many fakes)")
    parser.add_argument("--train_weights", type=float, nargs="+", default=[0.0], help="collapse weights to train with")
    parser.add_argument("--fakes", default="perlin", help="perlin or cutpaste")
    parser.add_argument("--normal_class", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data_root", default=None)
    parser.add_argument("--weights_file", default=None, help="pretrained ViT weights (default: random weights)")
    args = parser.parse_args(argv)
    for weight in args.train_weights:
        start = time.perf_counter()
        rows = run(args, weight)
        print(json.dumps({"summary": summary(rows, args.steps), "seconds": round(time.perf_counter() - start, 1)}),
              flush=True)


if __name__ == "__main__":
    main()
