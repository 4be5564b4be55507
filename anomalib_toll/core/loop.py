# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The one Toll training loop: K networks of one architecture as one stacked model; a fixed β is K = 1.

Why not Lightning here: the paper's networks are small (the Arrhythmia MLP is 274 wide),
data sit in memory as tensors on the training device, and the protocol validates every
20 steps; a loop that draws batches by index has no per-step overhead to amortise
(``bench/lean_loop_vs_lightning.py`` measures it). The anomalib models use Lightning.

Each network of the grid keeps what it would have alone: its own β, its own batch draws
(its own generator), its own best checkpoint per validation criterion and its own
divergence check (a network whose loss stops being finite drops out; the others go on).
The losses are summed: the networks share no weight, so each gets the gradient it would
get alone, and Adam's update is elementwise. At the caller's rungs a network may stop
training (``beta="auto"`` stops the βs behind β = 0): it keeps its weights and checkpoints,
and the networks still running go on alone (:meth:`NetworkStack.set_active`).

Example:
    >>> from anomalib_toll.core import build_autoencoder
    >>> nets = [build_autoencoder((8,), hidden_dims=(8,), latent_dim=2) for _ in range(2)]
    >>> gens = [torch.Generator().manual_seed(0) for _ in nets]
    >>> grid = fit_grid(NetworkStack(nets), torch.randn(64, 8), betas=(0.0, 10.0), steps=5, batch_size=16,
    ...                 generators=gens)
    >>> [r.steps for r in grid.results], grid.failures
    ([5, 5], {})
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from anomalib_toll.core.loss import Weighting, toll_score
from anomalib_toll.core.stack import NetworkStack
from anomalib_toll.core.training import (
    Checkpoint,
    FitResult,
    Sampling,
    TrainingDivergedError,
    autocast,
    batch_indices,
    check_precision,
    score_in_batches,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Sequence


def stack_scores(
    stack: NetworkStack,
    rows: Tensor,
    betas: Sequence[float],
    *,
    shared: bool,
    norm: int | float | str = 2,
    weighting: Weighting = "sum",
    precision: str = "32",
) -> Tensor:
    """``(A, B)`` Toll scores of the A active networks: network a's rows (``rows[a]``, or ``rows`` when ``shared``).

    ``betas`` holds one β per network of the stack; each active network scores with its own.
    """
    with autocast(rows.device, precision):
        x_hat, z = stack(rows, shared=shared)
    k, batch = x_hat.shape[:2]
    x = rows.expand(k, *rows.shape) if shared else rows
    active = [float(betas[i]) for i in stack.active]
    scores = toll_score(
        x_hat.float().flatten(0, 1), x.flatten(0, 1), z.float().flatten(0, 1),
        torch.tensor(active, device=x_hat.device).repeat_interleave(batch) if k > 1 else active[0],
        norm=norm, weighting=weighting,
    )
    return scores.view(k, batch)


def score_stack(
    stack: NetworkStack,
    x: np.ndarray | Tensor,
    betas: Sequence[float],
    *,
    norm: int | float | str = 2,
    weighting: Weighting = "sum",
    precision: str = "32",
    batch_size: int = 4096,
    device: torch.device | None = None,
) -> np.ndarray:
    """``(K, N)`` scores of the rows ``x`` by every active network (NaN rows for the others), in eval mode, batched."""
    device = device or next(stack.parameters()).device
    beta = [float(b) for b in betas]
    was_training = stack.training
    stack.eval()
    try:
        scores = score_in_batches(
            lambda rows: stack_scores(
                stack, rows, beta, shared=True, norm=norm, weighting=weighting, precision=precision,
            ).T,
            x, batch_size, device,
        )
    finally:
        stack.train(was_training)
    out = np.full((stack.size, len(x)), np.nan, dtype=np.float32)
    out[stack.active] = scores.reshape(len(x), len(stack.active)).T.numpy()
    return out


@dataclass
class GridFit:
    """What :func:`fit_grid` did: one training record per network, and the networks whose training diverged."""

    results: list[FitResult]
    failures: dict[int, TrainingDivergedError] = field(default_factory=dict)
    seconds: float = 0.0


def _first_divergence(losses: Tensor, alive: Tensor, lr: float) -> dict[int, TrainingDivergedError]:
    """Per network still training whose loss stopped being finite: the error naming its step and the fix."""
    bad = (~torch.isfinite(losses)).any(0) & alive
    out = {}
    for k in bad.nonzero().flatten().tolist():
        step = int((~torch.isfinite(losses[:, k])).nonzero()[0, 0])
        msg = (
            f"training diverged at step {step + 1} (loss {float(losses[step, k]):g}): lower the learning rate "
            f"(lr={lr:g}), or check the input scale."
        )
        out[k] = TrainingDivergedError(msg)
    return out


def fit_grid(
    stack: NetworkStack,
    x: Tensor,
    *,
    betas: Sequence[float],
    generators: Sequence[torch.Generator],
    steps: int,
    batch_size: int,
    norm: int | float | str = 2,
    weighting: Weighting = "sum",
    lr: float = 1e-3,
    eval_every: int = 20,
    validate: Callable[[NetworkStack], dict[str, np.ndarray]] | None = None,
    select: str | None = None,
    sampling: Sampling = "random",
    precision: str = "32",
    optimizer: Callable[..., torch.optim.Optimizer] | None = None,
    progress: bool | str = False,
    rungs: Sequence[int] = (),
    stop: Callable[[NetworkStack], Collection[int]] | None = None,
) -> GridFit:
    """Train every network of ``stack`` on the rows of ``x`` with its own β; keep each one's best checkpoints.

    Args:
        stack: The networks, trained in place on the device of their weights; each ends
            holding its kept weights (the selected criterion's best, else its last).
        x: Training rows, already on the stack's device (no per-step copies).
        betas: One collapse weight per network (0 = plain autoencoder).
        generators: One source of batch draws per network, seeded by the caller.
        steps: Optimisation steps.
        batch_size: Rows per step (capped at ``len(x)``).
        norm: Latent norm: 1, 2 or "inf". Defaults to ``2``.
        weighting: ``"sum"`` or ``"convex"``, see :func:`~anomalib_toll.core.loss.toll_score`. Defaults to ``"sum"``.
        lr: Adam learning rate (fixed, as in the paper). Defaults to ``1e-3``.
        eval_every: Validate every this many steps. Defaults to ``20``.
        validate: Maps the stack (in eval mode) to ``criterion -> (K,)`` values, higher is
            better; each network keeps its best weights per criterion. ``None`` keeps the last weights.
        select: The criterion whose weights each network ends with. Defaults to ``None`` (the first).
        sampling: ``"random"`` batches or ``"epochs"``. Defaults to ``"random"``.
        precision: ``"32"``, ``"bf16-mixed"`` or ``"16-mixed"``. Defaults to ``"32"``.
        optimizer: Optimizer factory called with ``(params, lr=lr)``; ``None`` is Adam, fused
            on CPU/CUDA (one kernel for all parameters). Defaults to ``None``.
        progress: Show a progress bar (a string becomes its label). Defaults to ``False``.
        rungs: Steps after which ``stop`` is asked which networks leave training. Defaults to none.
        stop: Maps the stack (in eval mode; scores of the networks not running are NaN) to
            the networks that stop training here (``FitResult.stopped_at``); they keep their
            weights and checkpoints so far and cost nothing from then on. Defaults to ``None``.

    Returns:
        One :class:`FitResult` per network, and the networks that diverged (left with their last weights).
    """
    if not len(betas) == len(generators) == stack.size:
        msg = f"fit_grid needs one β and one generator per network: {stack.size} networks, {len(betas)} βs."
        raise ValueError(msg)
    device = next(stack.parameters()).device
    precision = check_precision(precision, device)
    stack.set_active(range(stack.size))  # every network trains (before the optimizer takes their parameters)
    params = list(stack.parameters())
    opt = (
        optimizer(params, lr=lr) if optimizer is not None
        else torch.optim.Adam(params, lr=lr, fused=device.type in {"cpu", "cuda"})
    )
    scaler = torch.amp.GradScaler(device.type) if precision == "16-mixed" else None
    beta = [float(b) for b in betas]
    draws = [batch_indices(len(x), batch_size, steps, g, sampling) for g in generators]
    results = [FitResult(steps=steps, best_step=steps, best_value=None, seconds=0.0) for _ in betas]
    failures: dict[int, TrainingDivergedError] = {}
    alive = torch.ones(stack.size, dtype=torch.bool, device=device)
    losses: list[Tensor] = []  # (K,) per step, kept on the device: no sync per step; 0 once a network stops
    start = time.perf_counter()
    bar = tqdm(total=steps, desc=progress if isinstance(progress, str) else "Toll", disable=not progress, leave=False)
    stack.train()
    running = torch.arange(stack.size, device=device)  # stack.active on the device, made anew only at a rung
    for step in range(1, steps + 1):
        idx = torch.stack([next(draws[k]) for k in stack.active]).to(x.device)
        per_network = stack_scores(
            stack, x[idx], beta, shared=False, norm=norm, weighting=weighting, precision=precision,
        ).mean(1)
        loss = torch.where(alive[running], per_network, 0.0).sum()
        opt.zero_grad(set_to_none=True)
        if scaler is None:
            loss.backward()
            opt.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        losses.append(per_network.new_zeros(stack.size).index_copy(0, running, per_network.detach()))
        bar.update()
        if validate is not None and (step % eval_every == 0 or step == steps):
            failures |= _first_divergence(torch.stack(losses), alive, lr)
            alive[list(failures)] = False
            select = _validate(stack, validate, select, step, results, alive)
            bar.set_postfix(val=" ".join(f"{r.best_value:.3f}" for r in results if r.best_value is not None))
        if stop is not None and step in rungs and step < steps:
            _stop(stack, stop, step, results, opt)
            running = torch.tensor(stack.active, device=device)
    bar.close()
    stack.set_active(range(stack.size))  # training is over: every network scores again
    curve = torch.stack(losses) if losses else torch.empty(0, stack.size)
    failures |= _first_divergence(curve, alive, lr)
    for k, result in enumerate(results):
        if select is not None and select in result.checkpoints:
            stack.load_state(k, result.checkpoints[select].state)
        result.losses = curve[: result.stopped_at or steps, k].tolist()
    stack.eval()
    seconds = time.perf_counter() - start
    for result in results:
        result.seconds = seconds
    return GridFit(results=results, failures=dict(sorted(failures.items())), seconds=seconds)


def _stop(
    stack: NetworkStack,
    stop: Callable[[NetworkStack], Collection[int]],
    step: int,
    results: list[FitResult],
    opt: torch.optim.Optimizer,
) -> None:
    """One rung: the networks ``stop`` names leave training (never all of them)."""
    if len(stack.active) == 1:
        return
    stack.eval()
    leaving = set(stop(stack)) & set(stack.active)
    stack.train()
    staying = [k for k in stack.active if k not in leaving]
    if not leaving or not staying:
        return
    for k in leaving:
        results[k].stopped_at = step
    stack.set_active(staying, opt)


def _validate(
    stack: NetworkStack,
    validate: Callable[[NetworkStack], dict[str, np.ndarray]],
    select: str | None,
    step: int,
    results: list[FitResult],
    alive: Tensor,
) -> str:
    """One validation: every criterion's value per network; each live network keeps its new bests."""
    stack.eval()
    values = validate(stack)
    stack.train()
    select = select or next(iter(values))
    for k, result in enumerate(results):
        if not bool(alive[k]) or k not in stack.active:
            continue
        for name, per_network in values.items():
            value = float(per_network[k])
            kept = result.checkpoints.get(name)
            if kept is None or value > kept.value:
                result.checkpoints[name] = Checkpoint(step, value, stack.state(k))
        result.history.append((step, float(values[select][k])))
        if select in result.checkpoints:
            result.best_step, result.best_value = result.checkpoints[select].step, result.checkpoints[select].value
    return select


def fit_toll(
    model: nn.Module,
    x: Tensor,
    *,
    beta: float,
    norm: int | float | str = 2,
    weighting: Weighting = "sum",
    lr: float = 1e-3,
    steps: int,
    batch_size: int,
    eval_every: int = 20,
    validate: Callable[[nn.Module], float | dict[str, float]] | None = None,
    select: str | None = None,
    generator: torch.Generator | None = None,
    sampling: Sampling = "random",
    precision: str = "32",
    optimizer: Callable[..., torch.optim.Optimizer] | None = None,
    progress: bool | str = False,
    compile_model: bool = False,
) -> FitResult:
    """Train one network with the Toll loss: :func:`fit_grid` with a grid of one.

    Args are :func:`fit_grid`'s for one network; ``validate`` maps the model (in eval mode)
    to a value or a dict of values (one per criterion), and the model ends holding the
    best weights of ``select`` (the first criterion) or, without ``validate``, its last.
    The model trains in place (a stack of one holds the module itself); ``compile_model``
    trains it through ``torch.compile(model)`` (opt-in: it pays back only on long runs;
    ``bench/throughput.py --compile`` measures it).

    Raises:
        TrainingDivergedError: the loss became NaN or infinite (the message names the step and the fix).
    """
    stack = NetworkStack([cast("nn.Module", torch.compile(model)) if compile_model else model])

    def validate_one(_stack: NetworkStack) -> dict[str, np.ndarray]:
        assert validate is not None
        values = validate(model)
        values = values if isinstance(values, dict) else {"value": values}
        return {name: np.array([float(value)]) for name, value in values.items()}

    grid = fit_grid(
        stack, x, betas=(beta,), generators=(generator if generator is not None else torch.Generator().manual_seed(0),),
        steps=steps, batch_size=batch_size, norm=norm, weighting=weighting, lr=lr, eval_every=eval_every,
        validate=validate_one if validate is not None else None, select=select, sampling=sampling,
        precision=precision, optimizer=optimizer, progress=progress,
    )
    if grid.failures:
        raise grid.failures[0]
    return grid.results[0]


__all__ = ["GridFit", "fit_grid", "fit_toll", "score_stack", "stack_scores"]
