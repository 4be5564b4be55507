# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The Toll core: the loss/score, the paper's networks and the shared training loop.

Example:
    >>> from anomalib_toll.core import build_autoencoder, toll_score
"""

from anomalib_toll.core.loop import GridFit, fit_grid, fit_toll, score_stack
from anomalib_toll.core.loss import (
    NORMS,
    collapse_distance,
    parse_norm,
    reconstruction_error,
    toll_loss,
    toll_score,
)
from anomalib_toll.core.networks import (
    TollAutoencoder,
    build_autoencoder,
    cifar_autoencoder,
    conv_autoencoder,
    count_parameters,
    mlp_autoencoder,
    mnist_autoencoder,
)
from anomalib_toll.core.stack import NetworkStack, grid_from_seed
from anomalib_toll.core.training import (
    FitResult,
    TrainingDivergedError,
    as_tensor,
    resolve_device,
    score_in_batches,
    score_toll,
    toll_batch_scores,
)

__all__ = [
    "NORMS",
    "FitResult",
    "GridFit",
    "NetworkStack",
    "TrainingDivergedError",
    "as_tensor",
    "TollAutoencoder",
    "build_autoencoder",
    "cifar_autoencoder",
    "collapse_distance",
    "conv_autoencoder",
    "count_parameters",
    "fit_grid",
    "fit_toll",
    "grid_from_seed",
    "mlp_autoencoder",
    "mnist_autoencoder",
    "parse_norm",
    "reconstruction_error",
    "resolve_device",
    "score_in_batches",
    "score_stack",
    "score_toll",
    "toll_batch_scores",
    "toll_loss",
    "toll_score",
]
