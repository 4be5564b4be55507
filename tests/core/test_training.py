# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The shared scorer: batching is an implementation detail, never a change in scores."""

from __future__ import annotations

import pytest
import torch

from anomalib_toll.core import build_autoencoder, score_toll
from anomalib_toll.core.training import score_batch_size


@pytest.mark.parametrize("shape", [(3, 16, 16), (12,)])
def test_scores_do_not_depend_on_the_scoring_batch(shape):
    torch.manual_seed(0)
    net = build_autoencoder(shape, latent_dim=4)
    net.train()
    net(torch.randn(16, *shape))  # non-trivial BatchNorm statistics
    x = torch.randn(score_batch_size(net) + 37, *shape)  # a full default batch and a partial one
    default = score_toll(net, x, beta=2.0)
    for batch_size in (len(x), 97):
        torch.testing.assert_close(score_toll(net, x, beta=2.0, batch_size=batch_size), default, rtol=1e-4, atol=1e-5)
