# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""``Toll(beta="auto")``'s choice of β as a Lightning callback: the protocol's criterion, rule and report.

While the module trains one network per β on the same batches, the callback gathers the
validation set's normal images at the first validation, makes the synthetic validation set
from them once (:func:`anomalib_toll.protocol.beta.synthetic_validation`), and at every
validation keeps each network's weights of best synthetic AUROC; the leader scores in the
meantime. When fitting ends it chooses β with :func:`~anomalib_toll.protocol.beta.choose_beta`
(the rule every surface uses), turns the module into that fixed-β Toll, reports the choice
and rewrites the checkpoints. The validation set's anomalies are never looked at.

Example:
    >>> from anomalib_toll.models import Toll
    >>> Toll(beta="auto").configure_callbacks()[-1].__class__.__name__
    'BetaSearch'
"""

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_info

from anomalib_toll.core import score_in_batches
from anomalib_toll.protocol.beta import choose_beta, describe_choice, synthetic_auroc, synthetic_validation

if TYPE_CHECKING:
    from anomalib_toll.models.image.toll.lightning_model import Toll

SCORE_BATCH = 256


class BetaSearch(Callback):
    """Tracks each β's best synthetic validation AUROC and its weights; installs the chosen β when fitting ends."""

    def __init__(self) -> None:
        self.normal: list[torch.Tensor] = []
        self.validation: tuple[torch.Tensor, np.ndarray] | None = None
        self.best: list[float] = []
        self.states: list[dict[str, torch.Tensor]] = []
        self.start = 0.0

    def on_fit_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Start afresh: no validation set yet, no best value for any β."""
        del trainer  # unused
        self.normal, self.validation, self.start = [], None, time.perf_counter()
        self.best = [float("-inf")] * len(_toll(pl_module).networks)
        self.states = [{} for _ in self.best]

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
        module = _toll(pl_module)
        if self.validation is None:
            normal = torch.cat(self.normal) if self.normal else torch.empty(0)
            self.normal = []
            if len(normal) < 2:  # too few to make synthetic anomalies from
                return
            made, labels = synthetic_validation(normal.numpy())
            self.validation = torch.from_numpy(made), labels
        rows, labels = self.validation
        for i, network in enumerate(module.networks):
            value = synthetic_auroc(score_in_batches(network.scores, rows, SCORE_BATCH, module.device).numpy(), labels)
            if np.isfinite(value) and value > self.best[i]:
                self.best[i] = value
                self.states[i] = {k: v.detach().cpu().clone() for k, v in network.state_dict().items()}
        leader = module.beta_grid.index(choose_beta(dict(zip(module.beta_grid, self.best, strict=True))))
        module.lead(leader)
        module.log("synthetic_AUROC", self.best[leader], prog_bar=True)

    def on_fit_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Install the chosen β's best weights, report the choice and rewrite the checkpoints as that fixed-β Toll."""
        module = _toll(pl_module)
        if not any(self.states):
            msg = (
                "Toll(beta='auto') chooses β at validation, but no validation ran on at least 2 normal images: "
                "give the data module a validation set and let the trainer validate (val_check_interval, "
                "check_val_every_n_epoch), or pass a fixed beta."
            )
            raise RuntimeError(msg)
        values = {b: v if np.isfinite(v) else float("nan") for b, v in zip(module.beta_grid, self.best, strict=True)}
        chosen = module.beta_grid.index(choose_beta(values))
        module.keep(chosen, self.states[chosen], values)
        seconds = time.perf_counter() - self.start
        rank_zero_info(describe_choice("Toll", module.beta_grid[chosen], values, seconds, "side by side"))
        callback = trainer.checkpoint_callback
        for path in {getattr(callback, "best_model_path", ""), getattr(callback, "last_model_path", "")}:
            if path and Path(path).is_file():
                trainer.save_checkpoint(path)


def _toll(pl_module: LightningModule) -> "Toll":
    from anomalib_toll.models.image.toll.lightning_model import Toll

    if not isinstance(pl_module, Toll):
        msg = f"BetaSearch chooses the β of a Toll model, got {type(pl_module).__name__}."
        raise TypeError(msg)
    return pl_module


__all__ = ["BetaSearch"]
