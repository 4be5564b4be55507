# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""``Toll(beta="auto")``'s choice of β as a Lightning callback: the protocol's criterion, rule and report.

While the module trains one network per β as one stacked model on the same batches, the
callback gathers the validation set's normal images at the first validation, makes the
synthetic validation set from them once (:func:`anomalib_toll.protocol.beta.synthetic_validation`),
and at every validation scores it with every network at once, keeping each network's weights
and scores of best synthetic AUROC; the current choice scores in the meantime. At the first
validation past each rung (:func:`~anomalib_toll.protocol.beta.rung_steps` of the trainer's
budget) the networks behind β = 0 stop training (:func:`~anomalib_toll.protocol.beta.behind_reference`),
as in every other surface. When fitting
ends it chooses β with :func:`~anomalib_toll.protocol.beta.choose_beta` (the rule every
surface uses: β = 0 unless a larger β's gain beats its uncertainty), turns the module into
that fixed-β Toll, reports the choice and rewrites the checkpoints. The validation set's
anomalies are never looked at.

Example:
    >>> from anomalib_toll.models import Toll
    >>> Toll(beta="auto").configure_callbacks()[-1].__class__.__name__
    'BetaSearch'
"""

import time
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_info

from anomalib_toll.core import NetworkStack, score_stack
from anomalib_toll.protocol.beta import (
    BetaChoice,
    behind_reference,
    choose_beta,
    describe_choice,
    rung_steps,
    synthetic_aurocs,
    synthetic_validation,
)

SCORE_BATCH = 256


class SearchingToll(Protocol):
    """What the callback needs of the module: its grid, its stacked networks, and the two moves it makes."""

    beta_grid: tuple[float, ...]
    candidates: NetworkStack | None
    norm: int | str
    device: torch.device

    def inputs(self, images: torch.Tensor) -> torch.Tensor:
        """The images as the networks see them."""

    def lead(self, index: int) -> None:
        """Let ``beta_grid[index]``'s network score until the search ends."""

    def keep(self, index: int, state: dict[str, torch.Tensor], choice: BetaChoice) -> None:
        """Become the fixed-β Toll of ``beta_grid[index]`` with the weights ``state``."""


class BetaSearch(Callback):
    """Keeps each β's weights and scores of best synthetic AUROC; installs the chosen β when fitting ends."""

    def __init__(self) -> None:
        self.normal: list[torch.Tensor] = []
        self.validation: torch.Tensor | None = None  # the synthetic validation rows: normals, then their anomalies
        self.best: list[float] = []
        self.states: list[dict[str, torch.Tensor]] = []
        self.scores: list[np.ndarray | None] = []
        self.rungs: list[int] = []
        self.stopped: dict[float, int] = {}
        self.start = 0.0

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Start afresh: no validation set yet, no best value for any β, every network training."""
        self.normal, self.validation, self.start = [], None, time.perf_counter()
        stack = _stack(pl_module)
        stack.set_active(range(stack.size))
        steps = trainer.estimated_stepping_batches
        # modules only: stacked weights laid out anew would leave Lightning's optimizer behind
        self.rungs = list(rung_steps(int(steps))) if np.isfinite(steps) and stack.members is not None else []
        self.stopped = {}
        self.best = [float("-inf")] * stack.size
        self.states = [{} for _ in self.best]
        self.scores = [None for _ in self.best]

    def on_validation_batch_end(
        self,
        trainer: Trainer,
        pl_module: LightningModule,
        outputs: Any,  # noqa: ANN401 - Lightning's hook signature
        batch: Any,  # noqa: ANN401
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        """At the first validation, keep the batch's normal (pre-processed) images."""
        del pl_module, outputs, batch_idx, dataloader_idx  # unused
        if trainer.sanity_checking or self.validation is not None or batch.image is None:
            return
        images = batch.image if batch.gt_label is None else batch.image[batch.gt_label == 0]
        self.normal.append(images.detach().float().cpu())

    def on_validation_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Score the synthetic validation set with every network; keep new bests; the leader scores from now on."""
        if trainer.sanity_checking:
            return
        if self.validation is None:
            normal = torch.cat(self.normal) if self.normal else torch.empty(0)
            self.normal = []
            if len(normal) < 2:  # too few to make synthetic anomalies from
                return
            self.validation = torch.from_numpy(synthetic_validation(normal.numpy())[0])
        rows = self.validation
        stack = _stack(pl_module)
        module: SearchingToll = pl_module  # type: ignore[assignment]  # a Toll, checked by _stack
        scores = score_stack(
            stack, module.inputs(rows), module.beta_grid, norm=module.norm, batch_size=SCORE_BATCH,
            device=pl_module.device,
        )
        values = synthetic_aurocs(scores)
        for i, (value, network_scores) in enumerate(zip(values, scores, strict=True)):
            if np.isfinite(value) and value > self.best[i]:
                self.best[i], self.scores[i], self.states[i] = value, network_scores, stack.state(i)
        if self.rungs and trainer.global_step >= self.rungs[0]:
            self.rungs = [r for r in self.rungs if r > trainer.global_step]
            behind = set(behind_reference(module.beta_grid, values))
            self.stopped |= {module.beta_grid[k]: trainer.global_step for k in behind}
            stack.set_active([k for k in stack.active if k not in behind])
        if not any(s is not None for s in self.scores):  # no network scores finitely yet
            return
        choice = choose_beta(dict(zip(module.beta_grid, self.scores, strict=True)), self.stopped)
        module.lead(module.beta_grid.index(choice.beta))
        pl_module.log("synthetic_AUROC", choice.values[choice.beta], prog_bar=True)

    def on_fit_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Install the chosen β's best weights, report the choice and rewrite the checkpoints as that fixed-β Toll."""
        _stack(pl_module)
        module: SearchingToll = pl_module  # type: ignore[assignment]
        if not any(self.states):
            msg = (
                "Toll(beta='auto') chooses β at validation, but no validation ran on at least 2 normal images: "
                "give the data module a validation set and let the trainer validate (val_check_interval, "
                "check_val_every_n_epoch), or pass a fixed beta."
            )
            raise RuntimeError(msg)
        choice = choose_beta(dict(zip(module.beta_grid, self.scores, strict=True)), self.stopped)
        chosen = module.beta_grid.index(choice.beta)
        module.keep(chosen, self.states[chosen], choice)
        rank_zero_info(describe_choice("Toll", choice, time.perf_counter() - self.start))
        callback = trainer.checkpoint_callback
        for path in {getattr(callback, "best_model_path", ""), getattr(callback, "last_model_path", "")}:
            if path and Path(path).is_file():
                trainer.save_checkpoint(path)


def _stack(pl_module: LightningModule) -> NetworkStack:
    """The module's stacked networks while it searches; anything else is an error naming what it got."""
    stack = getattr(pl_module, "candidates", None)
    if not isinstance(stack, NetworkStack):
        msg = f"BetaSearch chooses the β of a searching Toll(beta='auto'), got {type(pl_module).__name__}."
        raise TypeError(msg)
    return stack


__all__ = ["BetaSearch"]
