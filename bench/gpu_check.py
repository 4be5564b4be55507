# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""One GPU check of anomalib-toll, run where a GPU is lent: tests, the paper's MNIST budget, ViT-B/16, throughput.

Budget: 8 minutes of wall time on the lent GPU (``--budget 480``), wheel installation included.
Every section runs under its own time limit and inside a guard, so a failing or slow one
records ``<section>_error=...`` and the others still run; the last line printed is always
one ``RESULT key=value ...`` line (``PARTIAL ...`` lines after each section carry what was
measured so far, and ``OUT/gpu_check.json`` holds the same).

Sections, in order (GPU mode):

1. ``tests``: ``pytest -m gpu tests/gpu`` (CPU/GPU parity of B.1-B.3, every precision mode,
   anomalib ``Engine`` on the GPU, benchmark cells on the GPU); limit 240 s.
2. ``throughput``: training samples/s of the paper's B.1 (1x28x28) and B.2 (3x32x32) networks
   on synthetic tensors, in fp32, bf16-mixed and 16-mixed, at batch 128 (docs/results.md's CPU
   figures) and at the paper's batch (MNIST 1000, CIFAR-10 50); B.1 scoring images/s; 90 s.
3. ``fitymi``: FITYMI+Toll with a randomly initialised ViT-B/16 at 224 px
   (``vit_base_patch16_224``, ``pre_trained=False``, 6 frozen blocks), 50 timed training steps
   (after 5 warm-up steps) at FITYMI's batch of 16 (8 normal + 8 CutPaste fakes), fp32 and
   bf16-mixed, through anomalib's ``Engine``: images/s and peak GPU memory
   (``torch.cuda.max_memory_allocated``); 120 s.
4. ``toll``, ``auto`` and ``beta0``: the paper's full budget on MNIST, normal class 8, seed 0:
   2000 random batches of 1000, validation every 20 steps on the authors' 10,000 labelled
   images, β = 1000 (Toll), ``beta="auto"`` (the five βs as one stacked model: ``auto_chose``,
   and ``auto_cost_ratio``, its fit ÷ Toll's, against issue 32's goal of 2.5) and β = 0 (the
   plain autoencoder), ``precision="auto"`` (bf16-mixed on a GPU with bf16); test AUROC %
   beside the paper's Table 7 (97.3 ± 0.5 and 82.9 ± 0.2) and seconds. Each is skipped, saying
   so, when the throughput measured above predicts that it cannot finish in the time left.

Data needed: ``.gpu/`` filled by ``bench/gpu_prepare.sh`` on a machine with internet:
``.gpu/data/mnist/mnist.npz`` (11 MB; or ``$ANOMALIB_TOLL_DATA``) and ``.gpu/whl/*.whl``
(Python 3.12 wheels of anomalib, PyOD, jsonargparse and their dependencies the GPU host
lacks, ~10 MB). Where ``anomalib``, ``pyod`` or ``jsonargparse`` cannot be imported, the wheels
are installed with ``pip install --no-index --no-deps --target /tmp/site`` first, and
``/tmp/site`` and the repository root go on ``sys.path`` and ``PYTHONPATH``.

Each section's measured wall time is in the JSON it writes; ``docs/results.md`` keeps the
runs that were made.

``--smoke`` runs the same sections tiny on the CPU (CUDA hidden): the GPU tests (they skip),
2 timed steps per network and precision at batch 4, a tiny ViT at 32 px for 3 timed steps,
and the digits data set (scikit-learn's, no download) for 20 iterations of 32. Its sections
are bounded by these counts, never by seconds, so a slow or busy host takes longer but
never fails for it; and it leaves out bf16 where the CPU only emulates it (AVX2 without
AVX-512 bf16, ~20x slower than float32: ``precision="auto"`` picks float32 there too),
recording ``bf16_native=False`` and the CPU's capability.

Usage:
    bash bench/gpu_check.sh --out "$OUT"            # on the GPU host (the device tool's output folder)
    bash bench/gpu_check.sh --smoke                  # anywhere, CPU only
    python bench/gpu_check.py --only toll,beta0      # rerun some sections
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import importlib.util
import json
import logging
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Generator
    from types import FrameType

    from lightning.pytorch import Callback, Trainer

    from anomalib_toll.protocol import OneClassSplit

ROOT = Path(__file__).resolve().parents[1]
MISSING_ON_GPU_HOST = ("anomalib", "pyod", "jsonargparse")
SECTIONS = ("tests", "throughput", "fitymi", "toll", "auto", "beta0")
PAPER_TABLE7 = {"toll": "97.3+-0.5", "auto": "97.3+-0.5", "beta0": "82.9+-0.2"}
AUTO_COST_GOAL = 2.5  # issue 32: beta="auto" at most this many times one network's fit on a GPU
PRECISION_NAMES = {"32": "fp32", "bf16-mixed": "bf16", "16-mixed": "fp16"}
FITYMI_NORMALS = 8  # normal images per step; as many fakes make FITYMI's batch of 16
TINY_VIT = {"patch_size": 8, "embed_dim": 32, "depth": 2, "num_heads": 2}
RESERVE_S = 5.0  # kept back at the end for the RESULT line and the JSON file
LOG = logging.getLogger("gpu_check")


@dataclass(frozen=True)
class Plan:
    """What each section does in one mode (GPU or smoke)."""

    mode: str
    device: str
    accelerator: str
    budget_s: float  # math.inf: no wall-time budget, the counts below bound every section
    limits: dict[str, float]
    networks: tuple[tuple[str, tuple[int, ...], int], ...]  # name, input shape, batch
    precisions: tuple[str, ...]
    warm_steps: int
    timed_samples: int  # per throughput measurement, in at least min_steps and at most 200 steps
    min_steps: int
    score_images: int
    vit: str
    vit_kwargs: dict[str, int]
    vit_size: int
    vit_frozen: int
    vit_warm: int
    vit_steps: int
    vit_precisions: tuple[str, ...]
    dataset: str
    normal_class: int
    seed: int
    iterations: int
    batch_size: int
    eval_every: int
    betas: dict[str, float | str] = field(default_factory=lambda: {"toll": 1000.0, "auto": "auto", "beta0": 0.0})


GPU_PLAN = Plan(
    mode="gpu", device="cuda", accelerator="gpu", budget_s=480.0,
    limits={"tests": 240.0, "throughput": 90.0, "fitymi": 120.0},
    networks=(("b1", (1, 28, 28), 128), ("b1", (1, 28, 28), 1000), ("b2", (3, 32, 32), 128), ("b2", (3, 32, 32), 50)),
    precisions=("32", "bf16-mixed", "16-mixed"), warm_steps=5, timed_samples=20_000, min_steps=20, score_images=10_000,
    vit="vit_base_patch16_224", vit_kwargs={}, vit_size=224, vit_frozen=6, vit_warm=5, vit_steps=50,
    vit_precisions=("32", "bf16-mixed"),
    dataset="mnist", normal_class=8, seed=0, iterations=2000, batch_size=1000, eval_every=20,
)
SMOKE_PLAN = Plan(
    mode="smoke", device="cpu", accelerator="cpu", budget_s=math.inf,  # counts, not seconds: any host passes
    limits={"tests": math.inf, "throughput": math.inf, "fitymi": math.inf},
    networks=(("b1", (1, 28, 28), 4), ("b2", (3, 32, 32), 4)),
    precisions=("32", "bf16-mixed"), warm_steps=1, timed_samples=8, min_steps=2, score_images=64,
    vit="vit_tiny_patch16_224", vit_kwargs=TINY_VIT, vit_size=32, vit_frozen=1, vit_warm=1, vit_steps=3,
    vit_precisions=("32",),
    dataset="digits", normal_class=8, seed=0, iterations=20, batch_size=32, eval_every=10,
)


class SectionTimeoutError(Exception):
    """A section ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Generator[None, None, None]:
    """Raise :class:`SectionTimeoutError` in the main thread once ``seconds`` have passed."""

    def expire(signum: int, frame: FrameType | None) -> None:
        del signum, frame  # unused
        msg = f"over its {seconds:.0f} s limit"
        raise SectionTimeoutError(msg)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1.0))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def value_text(value: object) -> str:
    """A RESULT value: rounded numbers, no spaces or ``=`` in strings."""
    if isinstance(value, float):
        return "nan" if not math.isfinite(value) else f"{value:.4g}" if abs(value) < 100 else f"{value:.1f}"
    return "_".join(str(value).replace("=", ":").split())[:120]


class Recorder:
    """The measured values, printed as ``PARTIAL``/``RESULT`` lines and written to ``gpu_check.json``."""

    def __init__(self, out: Path, plan: Plan) -> None:
        self.out = out
        self.start = time.perf_counter()
        self.deadline = self.start + plan.budget_s
        self.values: dict[str, object] = {"mode": plan.mode}

    def remaining(self) -> float:
        """Seconds left of the budget."""
        return self.deadline - time.perf_counter()

    def line(self, tag: str) -> str:
        """``tag key=value ...`` of everything recorded so far."""
        return " ".join([tag, *(f"{k}={value_text(v)}" for k, v in self.values.items())])

    def save(self) -> None:
        """Write the values to ``gpu_check.json`` in the output folder."""
        (self.out / "gpu_check.json").write_text(json.dumps(self.values, indent=1, default=str) + "\n")

    def section(self, name: str, run: Callable[[], None], limit: float) -> None:
        """Run one section under ``limit`` seconds (``math.inf``: none); record its error and seconds, never raise."""
        limit = min(limit, self.remaining() - RESERVE_S)
        start = time.perf_counter()
        print(f"=== {name} ({f'limit {limit:.0f} s' if math.isfinite(limit) else 'bounded by counts'})", flush=True)
        if limit < 1:
            self.values[f"{name}_error"] = "skipped:no_time_left_in_the_budget"
            return
        try:
            with time_limit(limit) if math.isfinite(limit) else contextlib.nullcontext():
                run()
        except Exception as err:  # one failing section must not lose the others
            LOG.exception("section %s failed", name)
            self.values[f"{name}_error"] = f"{type(err).__name__}:{err}"
        self.values[f"{name}_s"] = round(time.perf_counter() - start, 1)
        print(self.line("PARTIAL"), flush=True)
        self.save()


def bootstrap(wheels: Path, site: Path, data: Path) -> dict[str, object]:
    """Make the package, its missing dependencies and the data findable, before anything imports them.

    Args:
        wheels: Folder of ``.whl`` files to install when a dependency is missing.
        site: ``pip install --target`` folder for them.
        data: Data root used when ``ANOMALIB_TOLL_DATA`` is not set.

    Returns:
        What was done, for the RESULT line.
    """
    done: dict[str, object] = {}
    missing = [name for name in MISSING_ON_GPU_HOST if importlib.util.find_spec(name) is None]
    paths = [str(ROOT)]
    found = sorted(wheels.glob("*.whl"))
    if missing and found:
        start = time.perf_counter()
        pip = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile", "--upgrade"]
        command = [*pip, "--target", str(site), *map(str, found)]
        proc = subprocess.run(  # ruff: ignore[subprocess-without-shell-equals-true]  (our own wheels)
            command, capture_output=True, text=True, check=False,
        )
        if proc.returncode:
            print(proc.stdout, proc.stderr, flush=True)
            done["wheels_error"] = f"pip_install_exited_{proc.returncode}"
        paths.append(str(site))
        done["wheels_installed"] = len(found)
        done["wheels_s"] = round(time.perf_counter() - start, 1)
    elif missing:
        done["wheels_error"] = f"missing:{','.join(missing)};no_wheels_in_{wheels}(run_bench/gpu_prepare.sh)"
    for path in reversed(paths):
        sys.path.insert(0, path)
    importlib.invalidate_caches()
    os.environ["PYTHONPATH"] = os.pathsep.join([*paths, *filter(None, [os.environ.get("PYTHONPATH")])])
    if not os.environ.get("ANOMALIB_TOLL_DATA") and data.is_dir():
        os.environ["ANOMALIB_TOLL_DATA"] = str(data.resolve())
    return done


def describe_device(plan: Plan) -> dict[str, object]:
    """Torch, CUDA and the device the check runs on, with whether it runs bf16 natively (what ``auto`` follows)."""
    import torch

    from anomalib_toll.core.training import native_bf16

    info: dict[str, object] = {"torch": torch.__version__, "python": sys.version.split()[0],
                               "cpu_capability": torch.backends.cpu.get_cpu_capability()}
    if plan.device == "cuda":
        if not torch.cuda.is_available():
            msg = "CUDA is not available: run with --smoke on a machine without a GPU"
            raise RuntimeError(msg)
        props = torch.cuda.get_device_properties(0)
        info |= {"device": props.name, "cuda": torch.version.cuda, "gpu_mib": props.total_memory // 2**20,
                 "bf16": torch.cuda.is_bf16_supported()}
    else:
        info |= {"device": "cpu", "threads": torch.get_num_threads()}
    info["bf16_native"] = native_bf16(torch.device(plan.device))
    return info


def pytest_counts(log: str) -> dict[str, int]:
    """Counts of pytest's closing line (``2 failed, 17 passed, 2 skipped in 40.1s``): passed, failed, skipped."""
    closing = [line for line in log.splitlines() if re.search(r"\d+ (passed|failed|skipped|errors?)\b.* in ", line)]
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for number, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)\b", closing[-1] if closing else ""):
        key = "failed" if word.startswith("error") else word
        counts[key] += int(number)
    return counts


def run_tests(rec: Recorder, limit: float) -> None:
    """``pytest -m gpu tests/gpu`` in a subprocess; its counts, and the full log in the output folder."""
    log_path = rec.out / "gpu_tests.log"
    cmd = [sys.executable, "-m", "pytest", "-m", "gpu", "tests/gpu", "-q", "-rfEs", "-p", "no:cacheprovider"]
    timeout = max(limit - 5, 1) if math.isfinite(limit) else None
    with log_path.open("w") as log:
        proc = subprocess.run(  # ruff: ignore[subprocess-without-shell-equals-true]  (a fixed pytest command)
            cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, timeout=timeout, check=False,
        )
    log_text = log_path.read_text()
    print("".join(log_text.splitlines(keepends=True)[-25:]), flush=True)
    counts = pytest_counts(log_text)
    rec.values |= {f"tests_{k}": v for k, v in counts.items()}
    if failed := re.findall(r"^(?:FAILED|ERROR) \S+::(\S+)", log_text, flags=re.MULTILINE):
        rec.values["tests_failed_names"] = ",".join(failed)
    if proc.returncode not in {0, 1} or not any(counts.values()):  # 1 = some tests failed (counted above)
        msg = f"pytest exited {proc.returncode} ({counts}); see gpu_tests.log"
        raise RuntimeError(msg)


def synchronize(device: str) -> None:
    """Wait for the device's queued work (no-op on the CPU)."""
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def native_precisions(precisions: tuple[str, ...], device: str) -> tuple[str, ...]:
    """``precisions`` without bf16 where ``device`` only emulates it: ~20x slower there, a rate nobody would use."""
    import torch

    from anomalib_toll.core.training import native_bf16

    if native_bf16(torch.device(device)):
        return precisions
    return tuple(p for p in precisions if p != "bf16-mixed")


def run_throughput(rec: Recorder, plan: Plan) -> None:
    """Training samples/s of B.1 and B.2 per precision and batch; B.1 scoring images/s."""
    import torch

    from anomalib_toll.core import build_autoencoder, fit_toll, score_toll

    for name, shape, batch in plan.networks:
        for precision in native_precisions(plan.precisions, plan.device):
            torch.manual_seed(0)
            net = build_autoencoder(shape).to(plan.device)
            x = torch.rand(2 * batch, *shape, device=plan.device)
            steps = min(max(plan.timed_samples // batch, plan.min_steps), 200)
            fit_toll(net, x, beta=10.0, steps=plan.warm_steps, batch_size=batch, precision=precision)
            result = fit_toll(net, x, beta=10.0, steps=steps, batch_size=batch, precision=precision)
            key = f"{name}_b{batch}_{PRECISION_NAMES[precision]}_sps"
            rec.values[key] = round(steps * batch / result.seconds, 1)
            print(f"{key}: {rec.values[key]} ({steps} steps in {result.seconds:.2f} s)", flush=True)
    torch.manual_seed(0)
    net = build_autoencoder((1, 28, 28)).to(plan.device)
    images = torch.rand(plan.score_images, 1, 28, 28, device=plan.device)
    precision = cell_precision(plan)
    score_toll(net, images[:256], beta=1000.0, precision=precision)  # warm-up
    synchronize(plan.device)
    start = time.perf_counter()
    score_toll(net, images, beta=1000.0, precision=precision)
    seconds = time.perf_counter() - start
    rec.values[f"b1_score_{PRECISION_NAMES[precision]}_ips"] = round(plan.score_images / seconds, 1)


def cell_precision(plan: Plan) -> str:
    """The precision ``precision="auto"`` gives B.1 on this device (for the time prediction)."""
    import torch

    from anomalib_toll.protocol.toll import resolve_precision

    return resolve_precision("auto", (1, 28, 28), convolutional=True, device=torch.device(plan.device))


def step_timer(warm: int, stop: int, device: str, out: dict[str, float]) -> Callback:
    """A Lightning callback timing training steps ``warm`` to ``stop`` and reading the peak GPU memory then.

    It writes ``out["seconds"]`` and ``out["peak_mib"]`` (the latter on CUDA only) when step ``stop`` starts.
    """
    import torch
    from lightning.pytorch import Callback

    class StepTimer(Callback):
        def on_train_batch_start(self, trainer: Trainer, *args: object) -> None:
            del args  # unused
            if trainer.global_step == warm:
                synchronize(device)
                if device == "cuda":
                    torch.cuda.reset_peak_memory_stats()
                self.start = time.perf_counter()

        def on_train_batch_end(self, trainer: Trainer, *args: object) -> None:
            del args  # unused
            if trainer.global_step == stop:
                synchronize(device)
                out["seconds"] = time.perf_counter() - self.start
                if device == "cuda":
                    out["peak_mib"] = torch.cuda.max_memory_allocated() / 2**20

    return StepTimer()


def fitymi_steps(plan: Plan, root: Path, work: Path, precision: str) -> tuple[float, float]:
    """Train FITYMI+Toll on the images under ``root`` for the plan's steps in ``precision``.

    Returns:
        Seconds of the timed steps and the peak GPU memory (MiB, NaN on the CPU) while they ran.
    """
    import torch
    from anomalib.data import Folder
    from anomalib.engine import Engine

    from anomalib_toll.models import FitymiToll

    total = plan.vit_warm + plan.vit_steps
    torch.manual_seed(0)
    model = FitymiToll(
        backbone=plan.vit, pre_trained=False, image_size=plan.vit_size, frozen_blocks=plan.vit_frozen,
        backbone_kwargs=plan.vit_kwargs or None, fake_source="cutpaste", evaluator=False, visualizer=False,
    )
    timed = {"seconds": math.nan, "peak_mib": math.nan}
    timer = step_timer(plan.vit_warm, total, plan.device, timed)
    engine = Engine(
        default_root_dir=work, accelerator=plan.accelerator, devices=1, logger=False, barebones=True,
        max_steps=total, limit_val_batches=0, num_sanity_val_steps=0, precision=precision, callbacks=[timer],
    )
    datamodule = Folder(name="synthetic", root=root, normal_dir="good", abnormal_dir="bad",
                        train_batch_size=FITYMI_NORMALS, eval_batch_size=64, num_workers=0)
    engine.fit(model, datamodule=datamodule)
    return timed["seconds"], timed["peak_mib"]


def run_fitymi(rec: Recorder, plan: Plan) -> None:
    """FITYMI+Toll's training steps through ``Engine``: images/s and peak GPU memory per precision."""
    import gc

    import torch

    with tempfile.TemporaryDirectory() as tmp:
        # anomalib's Folder moves a fifth of the normal images to the test set: one epoch must cover every step.
        n_normal = math.ceil((plan.vit_warm + plan.vit_steps + 2) * FITYMI_NORMALS / 0.75)
        from anomalib_toll.data.synthetic import write_folder_dataset

        root = write_folder_dataset(Path(tmp) / "images", n_normal=n_normal, n_abnormal=8)
        for precision in native_precisions(plan.vit_precisions, plan.device):
            seconds, peak_mib = fitymi_steps(plan, root, Path(tmp) / "engine", precision)
            gc.collect()  # the last run's ViT and optimizer state must not count in the next one's peak
            if plan.device == "cuda":
                torch.cuda.empty_cache()
            name = PRECISION_NAMES[precision]
            rec.values[f"fitymi_{name}_ips"] = round(2 * FITYMI_NORMALS * plan.vit_steps / seconds, 1)
            if plan.device == "cuda":
                rec.values[f"fitymi_{name}_peak_mib"] = round(peak_mib)
            print(f"fitymi {precision}: {rec.values[f'fitymi_{name}_ips']} images/s, peak {peak_mib} MiB", flush=True)
    rec.values["fitymi_model"] = f"{plan.vit}@{plan.vit_size}px,frozen{plan.vit_frozen},random_init,cutpaste"


def predicted_cell_seconds(rec: Recorder, plan: Plan) -> float | None:
    """Training plus validation time of one cell from the measured B.1 rates, or ``None`` without them."""
    name = PRECISION_NAMES[cell_precision(plan)]
    train = rec.values.get(f"b1_b{plan.batch_size}_{name}_sps")
    score = rec.values.get(f"b1_score_{name}_ips")
    if plan.dataset != "mnist" or not isinstance(train, float) or not isinstance(score, float):
        return None
    validations = plan.iterations // plan.eval_every + 1  # + the test set
    return plan.iterations * plan.batch_size / train + validations * 10_000 / score


def run_cell(rec: Recorder, plan: Plan, key: str, split: OneClassSplit) -> None:
    """Train one β of the cell at the plan's budget and record its test AUROC % and seconds."""
    from sklearn.metrics import roc_auc_score

    from anomalib_toll.protocol import Budget, TollSettings, train_toll

    start = time.perf_counter()
    budget = Budget(iterations=plan.iterations, batch_size=plan.batch_size, eval_every=plan.eval_every)
    settings = TollSettings(beta=plan.betas[key])  # type: ignore[arg-type]  # a float or "auto"
    trained = train_toll(split, plan.seed, settings=settings, budget=budget, device=plan.device)
    if trained.beta_choice is not None:  # beta="auto": what it chose, and its cost beside one network's
        rec.values[f"{key}_chose"] = trained.beta
        if isinstance(one := rec.values.get("toll_fit_s"), float) and one > 0:
            rec.values[f"{key}_cost_ratio"] = round(trained.fit.seconds / one, 2)
    scores = trained.score(split.x_test)
    rec.values |= {
        f"{key}_auroc": round(100 * float(roc_auc_score(split.y_test, scores)), 2),
        f"{key}_best_step": trained.fit.best_step,
        f"{key}_fit_s": round(trained.fit.seconds, 3),  # ms: a smoke cell fits in a fraction of a second
        f"{key}_cell_s": round(time.perf_counter() - start, 1),
        # the resolved precision ("auto" → bf16-mixed on a bf16 GPU); where it is kept moved during a refactor
        "cell_precision": getattr(trained, "precision", None) or getattr(trained.settings, "precision", "?"),
    }
    if plan.dataset == "mnist":
        rec.values[f"paper_{key}"] = PAPER_TABLE7[key]


def run_cells(rec: Recorder, plan: Plan, only: set[str]) -> None:
    """The full-budget cell for each β, each its own guarded section, skipped when it cannot finish in time."""
    from anomalib_toll.protocol import make_split

    rec.values["cell"] = (f"{plan.dataset}/class{plan.normal_class}/seed{plan.seed}/"
                          f"{plan.iterations}x{plan.batch_size}/val_every{plan.eval_every}")
    splits: list[OneClassSplit] = []

    def load() -> OneClassSplit:
        """The cell's split, loaded once for both β."""
        if not splits:
            splits.append(make_split(plan.dataset, plan.normal_class))
        return splits[0]

    def run_loaded(key: str) -> None:
        """One cell on the split, loaded when the first cell runs."""
        run_cell(rec, plan, key, load())

    for key in ("toll", "auto", "beta0"):
        if key not in only:
            continue
        predicted = predicted_cell_seconds(rec, plan)
        if predicted is not None and key == "auto":  # the grid as one stacked model, at the goal's cost
            predicted *= AUTO_COST_GOAL
        left = rec.remaining() - RESERVE_S
        if predicted is not None:
            rec.values[f"{key}_predicted_s"] = round(predicted)
            if predicted > left:
                rec.values[f"{key}_error"] = f"skipped:predicted_{predicted:.0f}s>left_{left:.0f}s"
                continue
        rec.section(key, functools.partial(run_loaded, key), left)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="the same sections tiny, on the CPU, bounded by counts")
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or ROOT / "runs" / "gpu_check"),
                        help="folder for gpu_check.json and the test log (default: $OUT, else runs/gpu_check)")
    parser.add_argument("--budget", type=float, default=None, help="wall-time budget in seconds (GPU 480, smoke none)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {SECTIONS}")
    parser.add_argument("--wheels", type=Path, default=ROOT / ".gpu" / "whl", help="wheels to install if needed")
    parser.add_argument("--site", type=Path, default=Path(tempfile.gettempdir()) / "site", help="pip --target folder")
    parser.add_argument("--data", type=Path, default=ROOT / ".gpu" / "data",
                        help="data root used when ANOMALIB_TOLL_DATA is not set")
    args = parser.parse_args(argv)
    if unknown := set(args.only.split(",")) - set(SECTIONS):
        parser.error(f"--only names {sorted(unknown)}; choose from {SECTIONS}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the check; exit status 0 when every section ran and every test passed."""
    args = parse_args(argv)
    plan = SMOKE_PLAN if args.smoke else GPU_PLAN
    if args.smoke:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # the CPU, even on a GPU machine (the GPU tests then skip)
        os.environ.setdefault("OMP_NUM_THREADS", "1")  # tiny ops: threads only add barrier waits, worst on a busy CPU
    if args.budget:
        plan = dataclasses.replace(plan, budget_s=args.budget)
    only = set(args.only.split(","))
    args.out.mkdir(parents=True, exist_ok=True)
    rec = Recorder(args.out, plan)
    rec.values |= bootstrap(args.wheels, args.site, args.data)
    rec.section("env", lambda: rec.values.update(describe_device(plan)), 60)
    rec.values["budget_s"] = plan.budget_s if math.isfinite(plan.budget_s) else "none:bounded_by_counts"
    if "tests" in only:
        rec.section("tests", lambda: run_tests(rec, plan.limits["tests"]), plan.limits["tests"])
    if "throughput" in only:
        rec.section("throughput", lambda: run_throughput(rec, plan), plan.limits["throughput"])
    if "fitymi" in only:
        rec.section("fitymi", lambda: run_fitymi(rec, plan), plan.limits["fitymi"])
    run_cells(rec, plan, only)
    rec.values["total_s"] = round(time.perf_counter() - rec.start, 1)
    rec.save()
    print(rec.line("RESULT"), flush=True)
    failed = any(k.endswith("_error") for k in rec.values) or bool(rec.values.get("tests_failed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
