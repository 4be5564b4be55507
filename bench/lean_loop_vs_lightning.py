# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Why the core protocol has its own loop: Lightning's per-step overhead on the B.3 MLP.

Trains the same Arrhythmia-sized Toll MLP for the same number of steps and batch size
with ``anomalib_toll.core.fit_toll`` and with a ``lightning.Trainer`` (no logger, no
checkpointing, no progress bar, data as an in-memory TensorDataset), alternating the two,
and prints the time ratio. Needs the ``anomalib`` extra (Lightning).

Usage:
    python bench/lean_loop_vs_lightning.py [--steps 400]
"""

from __future__ import annotations

import argparse
import time

import torch

from anomalib_toll.core import build_autoencoder, fit_toll, toll_loss


def lightning_fit(x: torch.Tensor, steps: int, batch_size: int) -> float:
    """Seconds for ``steps`` Toll steps through a minimal LightningModule and Trainer."""
    import lightning.pytorch as pl

    class Module(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = build_autoencoder((x.shape[1],))

        def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
            del batch_idx  # unused
            x_hat, z = self.net(batch[0])
            return toll_loss(x_hat, batch[0], z, beta=10.0)

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.Adam(self.parameters(), lr=1e-3, fused=True)

    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x), batch_size=batch_size, shuffle=True, drop_last=True,
    )
    trainer = pl.Trainer(
        max_steps=steps, accelerator="cpu", logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False,
    )
    start = time.perf_counter()
    trainer.fit(Module(), loader)
    return time.perf_counter() - start


def lean_fit(x: torch.Tensor, steps: int, batch_size: int) -> float:
    """Seconds for ``steps`` Toll steps through the core's lean loop (``fit_toll``)."""
    start = time.perf_counter()
    fit_toll(build_autoencoder((x.shape[1],)), x, beta=10.0, steps=steps, batch_size=batch_size)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> float:
    """Time both loops, three times each after a warm-up, and print their ratio; return it.

    Args:
        argv: The command line's arguments (``sys.argv[1:]`` when ``None``).
    """
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=400)
    args = parser.parse_args(argv)
    x = torch.randn(4000, 274)
    lightning_fit(x, 10, 100)  # warm-up both
    lean_fit(x, 10, 100)
    lightning_s = lean_s = 0.0
    for _ in range(3):
        lightning_s += lightning_fit(x, args.steps, 100)
        lean_s += lean_fit(x, args.steps, 100)
    print(f"{args.steps} steps x 3, batch 100, B.3 MLP: lightning {lightning_s:.2f}s, lean loop {lean_s:.2f}s")
    print(f"RESULT lightning_over_lean={lightning_s / lean_s:.2f}")
    return lightning_s / lean_s


if __name__ == "__main__":
    main()
