# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Throughput of the Toll core, measured side by side in one run.

Prints, each as a ratio of two things timed here and now (never an absolute goal):

* samples/s of the B.1 (MNIST) and B.2 (CIFAR) nets in fp32, bf16, bf16 + channels_last;
* ``toll_overhead``: a Toll step ÷ a plain-autoencoder step on the same network;
* ``pyod_ratio``: ``TollDetector.fit`` ÷ PyOD ``AutoEncoder.fit`` at the same width, rows,
  batch size and epochs (same number of samples seen: a fixed β = 10, as ``beta="auto"``
  would hold rows out and train a grid);
* ``val_overhead``: validation time ÷ training time at the paper's MNIST settings
  (batch 1000, 10,000 validation images every 20 steps), projected from measured rates
  (``--quick`` takes the training rate at batch 128 instead of 1000);
* the projected wall time of one paper-budget MNIST class-seed on this machine, in the
  precision ``precision="auto"`` picks here (bf16 only where the CPU runs it natively);
* the CPU's capability (``torch.backends.cpu.get_cpu_capability()``: AVX2, AVX512, ...) and
  that precision, so a figure can be read beside the machine that gave it;
* with ``--layers``: each B.1 conv layer alone, fp32 vs bf16 + channels_last (what bounds
  the mixed-precision speedup of a whole step).

``--smoke`` bounds every timing by counts instead of seconds (two timed steps per rate, one
round of the Toll ÷ plain-AE ratio, tiny batches and tables): it checks that the script runs
end to end in seconds, and its figures mean nothing.

The last line is machine-readable:
``RESULT b1_fp32=… b1_best=… speedup=… toll_overhead=… pyod_ratio=… val_overhead=… cpu_capability=…
auto_precision=…``.

Usage:
    python bench/throughput.py --quick      # about a minute
    python bench/throughput.py              # longer timings, steadier ratios
    python bench/throughput.py --quick --layers
    python bench/throughput.py --smoke      # seconds: does it run? (the figures mean nothing)
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from anomalib_toll.core import build_autoencoder, fit_toll, score_toll, toll_loss
from anomalib_toll.core.training import autocast, native_bf16
from anomalib_toll.detector import TollDetector
from anomalib_toll.protocol.toll import resolve_precision

if TYPE_CHECKING:
    from collections.abc import Callable

    from anomalib_toll.core import FitResult


@dataclass(frozen=True)
class Budget:
    """How much each timing runs: ``--quick`` and ``--smoke`` shrink the default."""

    seconds: float  # per rate (each rate also runs at least two timed steps)
    rounds: int  # interleaved rounds of the Toll ÷ plain-AE ratio
    overhead_steps: int  # training steps per timed block of that ratio
    pyod_rows: int  # rows of the TollDetector ÷ PyOD table
    pyod_epochs: int
    batch: int  # training batch of the rates
    val_images: int  # images per timed validation forward (the protocol scores 2048 at a time)


BUDGETS = {
    "full": Budget(
        seconds=10.0, rounds=10, overhead_steps=50, pyod_rows=2000, pyod_epochs=10, batch=128, val_images=2048,
    ),
    "quick": Budget(
        seconds=3.0, rounds=3, overhead_steps=50, pyod_rows=2000, pyod_epochs=2, batch=128, val_images=2048,
    ),
    "smoke": Budget(seconds=0.0, rounds=1, overhead_steps=2, pyod_rows=200, pyod_epochs=1, batch=8, val_images=32),
}


def train_rate(shape: tuple[int, ...], precision: str, channels_last: bool, batch: int, seconds: float) -> float:
    """Training samples/s of the paper network for ``shape`` (warm-up excluded)."""
    torch.manual_seed(0)
    net = build_autoencoder(shape)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    x = torch.randn(batch, *shape)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    device = torch.device("cpu")

    def step() -> None:
        with autocast(device, precision):
            x_hat, z = net(x)
        loss = toll_loss(x_hat.float(), x, z.float(), beta=10.0)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or n < 2:
        step()
        n += 1
    return n * batch / elapsed


def interleaved_ratio(a: Callable[[], object], b: Callable[[], object], rounds: int) -> float:
    """time(a) ÷ time(b), alternating blocks so drift and noise hit both alike."""
    a()
    b()
    ta = tb = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        a()
        ta += time.perf_counter() - start
        start = time.perf_counter()
        b()
        tb += time.perf_counter() - start
    return ta / tb


def toll_overhead(rounds: int, steps: int) -> float:
    """Toll step ÷ plain-AE step on the same B.3 MLP (β = 10 vs β = 0), ``steps`` steps per timed block."""
    torch.manual_seed(0)
    x = torch.randn(4096, 274)

    def block(beta: float) -> Callable[[], FitResult]:
        net = build_autoencoder((274,))
        gen = torch.Generator().manual_seed(0)
        return lambda: fit_toll(net, x, beta=beta, steps=steps, batch_size=256, generator=gen)

    return interleaved_ratio(block(10.0), block(0.0), rounds)


def pyod_ratio(rows: int, epochs: int) -> float:
    """``TollDetector.fit`` ÷ PyOD ``AutoEncoder.fit``, same width, rows, batch and epochs."""
    from pyod.models.auto_encoder import AutoEncoder

    x = np.random.default_rng(0).normal(size=(rows, 274))
    toll = lambda: TollDetector(beta=10.0, epoch_num=epochs, batch_size=100, validation_fraction=0.0, verbose=0).fit(x)  # noqa: E731
    pyod = lambda: AutoEncoder(epoch_num=epochs, batch_size=100, hidden_neuron_list=[256, 128, 16], verbose=0).fit(x)  # noqa: E731
    return interleaved_ratio(toll, pyod, rounds=2)


def auto_precision() -> str:
    """What ``precision="auto"`` picks for the paper's MNIST network on this CPU."""
    return resolve_precision("auto", (1, 28, 28), convolutional=True, device=torch.device("cpu"))


def validation_overhead(
    seconds: float, train_rate: float, train_batch: int, precision: str, images: int = 2048,
) -> tuple[float, float, float]:
    """(val ÷ train time, projected seconds, training ÷ forward cost per image) for one paper MNIST cell.

    Paper: 2000 steps of batch 1000, 10,000 validation images scored every 20 steps, i.e.
    half a validation forward per training image; so the fraction is 0.5 ÷ (training cost ÷
    forward cost per image): ≤ 0.10 needs a training image to cost ≥ 5 forwards. Scored in
    ``precision``, the one ``auto`` picks, as the protocol does, ``images`` at a time.
    """
    torch.manual_seed(0)
    net = build_autoencoder((1, 28, 28)).to(memory_format=torch.channels_last)
    val = torch.randn(images, 1, 28, 28)
    score_toll(net, val[:256], beta=1000.0, precision=precision)
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or n < 1:
        score_toll(net, val, beta=1000.0, precision=precision)  # the protocol's scoring batch
        n += 1
    val_rate = n * len(val) / elapsed
    print(f"validation forward {val_rate:.0f} images/s; training {train_rate:.0f} images/s at batch {train_batch}")
    train_s = 2000 * 1000 / train_rate
    val_s = 100 * 10_000 / val_rate
    return val_s / train_s, train_s + val_s, val_rate / train_rate


def conv_layer_times(shape: tuple[int, ...], batch: int) -> None:
    """Forward + backward ms of each conv layer alone, fp32 vs bf16 + channels_last.

    The sum bounds what mixed precision can give the whole step: convolutions are ~90 % of it.
    """
    torch.manual_seed(0)
    net = build_autoencoder(shape)
    inputs: dict[str, tuple[int, ...]] = {}
    convs = {name: m for name, m in net.named_modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))}
    hooks = [
        m.register_forward_hook(lambda _m, i, _o, n=name: inputs.setdefault(n, tuple(i[0].shape)) and None)
        for name, m in convs.items()
    ]
    net(torch.randn(batch, *shape))
    for hook in hooks:
        hook.remove()

    def ms(layer: torch.nn.Module, in_shape: tuple[int, ...], precision: str, channels_last: bool) -> float:
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        layer = layer.to(memory_format=fmt)
        x = torch.randn(in_shape).contiguous(memory_format=fmt).requires_grad_()

        def step() -> None:
            with autocast(torch.device("cpu"), precision):
                out = layer(x)
            out.float().sum().backward()

        step()
        start = time.perf_counter()
        for _ in range(3):
            step()
        return 1000 * (time.perf_counter() - start) / 3

    totals = [0.0, 0.0]
    for name, layer in convs.items():
        fp32 = ms(layer, inputs[name], "32", channels_last=False)
        best = ms(layer, inputs[name], "bf16-mixed", channels_last=True)
        totals[0] += fp32
        totals[1] += best
        print(
            f"  {name:<12} {type(layer).__name__:<16} in {inputs[name]!s:<20} "
            f"fp32 {fp32:7.1f} ms  bf16+cl {best:7.1f} ms  {fp32 / best:4.2f}x",
        )
    print(f"  all conv layers: fp32 {totals[0]:.0f} ms, bf16+cl {totals[1]:.0f} ms → {totals[0] / totals[1]:.2f}x")


def compile_speedup(shape: tuple[int, ...], batch: int, steps: int) -> tuple[float, float]:
    """(eager step time ÷ compiled step time, seconds spent compiling) for one network."""
    torch.manual_seed(0)
    net = build_autoencoder(shape)
    x = torch.randn(max(batch * 4, 512), *shape)

    def fit(n_steps: int, *, compile_model: bool) -> FitResult:
        return fit_toll(net, x, beta=10.0, batch_size=batch, precision="32", steps=n_steps, compile_model=compile_model)

    start = time.perf_counter()
    fit(2, compile_model=True)
    compile_s = time.perf_counter() - start
    ratio = interleaved_ratio(
        lambda: fit(steps, compile_model=False), lambda: fit(steps, compile_model=True), rounds=2,
    )
    return ratio, compile_s


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options (``argv``: ``sys.argv[1:]`` when ``None``)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="short timings (about a minute)")
    size.add_argument("--smoke", action="store_true", help="tiny, bounded by counts: does it run? (no real figures)")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (slow to compile)")
    parser.add_argument(
        "--layers", action="store_true", help="also time each B.1 conv layer, fp32 vs bf16 + channels_last",
    )
    return parser.parse_args(argv)


def precision_rates(budget: Budget) -> dict[str, float]:
    """Training samples/s of B.1 and B.2 in fp32, bf16 and bf16 + channels_last, printed as they come."""
    rates: dict[str, float] = {}
    for name, shape in (("b1", (1, 28, 28)), ("b2", (3, 32, 32))):
        variants = (("fp32", "32", False), ("bf16", "bf16-mixed", False), ("bf16_cl", "bf16-mixed", True))
        for label, precision, cl in variants:
            rates[f"{name}_{label}"] = rate = train_rate(shape, precision, cl, budget.batch, budget.seconds)
            print(f"{name} {label:<8} {rate:8.1f} samples/s (batch {budget.batch})")
    return rates


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the timings and print them, then one ``RESULT`` line; return its figures."""
    args = parse_args(argv)
    budget = BUDGETS["smoke" if args.smoke else "quick" if args.quick else "full"]
    capability, auto = torch.backends.cpu.get_cpu_capability(), auto_precision()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU capability {capability}, "
          f"native bf16 {native_bf16(torch.device('cpu'))}: precision='auto' picks {auto!r} for B.1")
    rates = precision_rates(budget)
    b1_best = max(v for k, v in rates.items() if k.startswith("b1"))
    overhead = toll_overhead(rounds=budget.rounds, steps=budget.overhead_steps)
    print(f"toll step / plain-AE step (B.3 MLP): {overhead:.3f}")
    ratio = pyod_ratio(rows=budget.pyod_rows, epochs=budget.pyod_epochs)
    print(f"TollDetector.fit / PyOD AutoEncoder.fit ({budget.pyod_rows}x274, batch 100): {ratio:.3f}")
    measured = args.quick or args.smoke  # the rate at the paper's batch 1000 is measured only in the full run
    train_batch = budget.batch if measured else 1000
    bf16 = auto == "bf16-mixed"  # channels_last only helps bf16
    auto_rate = (
        rates["b1_bf16_cl" if bf16 else "b1_fp32"] if measured
        else train_rate((1, 28, 28), auto, channels_last=bf16, batch=train_batch, seconds=budget.seconds)
    )
    val_frac, projected, cost_ratio = validation_overhead(
        budget.seconds, auto_rate, train_batch, auto, images=budget.val_images,
    )
    print(f"validation / training time at paper MNIST settings: {val_frac:.3f} "
          f"(a training image costs {cost_ratio:.1f} forwards; validation runs 0.5 per training image)")
    print(f"projected paper-budget MNIST class-seed (precision {auto!r}): {projected / 3600:.2f} h")
    if args.layers:
        print(f"B.1 conv layers alone, forward + backward at batch {budget.batch}:")
        conv_layer_times((1, 28, 28), budget.batch)
    if args.compile:
        nets: tuple[tuple[str, tuple[int, ...], int], ...] = (("b3 mlp", (274,), 100), ("b1", (1, 28, 28), 32))
        for name, shape, batch in nets:
            speedup, compile_s = compile_speedup(shape, batch, steps=20)
            print(f"torch.compile {name}: eager/compiled step time {speedup:.2f}, compile {compile_s:.0f}s")
    result = {
        "b1_fp32": rates["b1_fp32"], "b1_best": b1_best, "speedup": b1_best / rates["b1_fp32"],
        "toll_overhead": overhead, "pyod_ratio": ratio, "val_overhead": val_frac,
    }
    print(
        f"RESULT b1_fp32={result['b1_fp32']:.1f} b1_best={b1_best:.1f} speedup={result['speedup']:.2f} "
        f"toll_overhead={overhead:.3f} pyod_ratio={ratio:.3f} val_overhead={val_frac:.3f} "
        f"cpu_capability={capability} auto_precision={auto}",
    )
    return result


if __name__ == "__main__":
    main()
