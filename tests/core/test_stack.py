"""The stacked grid: each network gets what it would get trained alone with the same seed and batches.

Tolerance. In float64 the stacked operators (batched matmuls, BatchNorm over K networks' channels)
differ from one network's only by rounding, and the scores agree to 1e-6 relative after 40 Adam
steps. In float32 the same rounding (~1e-7) is amplified by Adam on parameters whose true gradient
is zero (the biases in front of BatchNorm take ±lr steps on noise), so after 40 steps scores agree
within 5 % and rank the rows alike (Spearman ≥ 0.99): the same network, not the same bits.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from anomalib_toll.core import NetworkStack, build_autoencoder, fit_grid, score_stack, toll_score
from anomalib_toll.core.loop import stack_scores
from anomalib_toll.core.training import batch_indices

STEPS, BATCH = 40, 32


@pytest.fixture
def float64():
    """Run the test in float64 (rounding is then far below anything training amplifies)."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def network(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_autoencoder((6,), hidden_dims=(16, 8), latent_dim=3)


def train_alone(net: torch.nn.Module, x: torch.Tensor, beta: float, seed: int, steps: int = STEPS) -> torch.nn.Module:
    """The reference: one network, a plain loop (Adam, the Toll loss), its own seeded batches."""
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, fused=True)
    net.train()
    for idx in batch_indices(len(x), BATCH, steps, torch.Generator().manual_seed(seed)):
        x_hat, z = net(x[idx])
        loss = toll_score(x_hat, x[idx], z, beta).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.eval()


def stacked_scores(stack: NetworkStack, x: torch.Tensor, betas: tuple[float, ...]) -> np.ndarray:
    """Every network's scores of ``x`` in the default dtype (``score_stack`` scores in float32)."""
    with torch.no_grad():
        return stack_scores(stack.eval(), x, betas, shared=True).numpy()


def alone_scores(net: torch.nn.Module, x: torch.Tensor, beta: float) -> np.ndarray:
    with torch.no_grad():
        x_hat, z = net(x)
        return toll_score(x_hat, x, z, beta).numpy()


@pytest.mark.usefixtures("float64")
def test_each_beta_of_a_stacked_grid_scores_as_if_trained_alone_with_the_same_seed():
    x = torch.randn(200, 6)
    betas = (0.0, 10.0, 1000.0)
    nets = [network(0) for _ in betas]
    stack = NetworkStack([copy.deepcopy(n) for n in nets])
    fit_grid(stack, x, betas=betas, generators=[torch.Generator().manual_seed(0) for _ in betas],
             steps=STEPS, batch_size=BATCH)
    stacked = stacked_scores(stack, x, betas)
    for k, beta in enumerate(betas):
        alone = alone_scores(train_alone(nets[k], x, beta, seed=0), x, beta)
        np.testing.assert_allclose(stacked[k], alone, rtol=1e-6)
        assert not np.allclose(stacked[k], stacked[(k + 1) % 3], rtol=1e-2)  # the βs did train apart


@pytest.mark.usefixtures("float64")
def test_a_grid_of_seeds_gives_each_seed_its_own_weights_and_batches():
    x = torch.randn(200, 6)
    seeds = (0, 1)
    stack = NetworkStack([network(s) for s in seeds])
    fit_grid(stack, x, betas=(10.0, 10.0), generators=[torch.Generator().manual_seed(s) for s in seeds],
             steps=STEPS, batch_size=BATCH)
    stacked = stacked_scores(stack, x, (10.0, 10.0))
    for k, seed in enumerate(seeds):
        np.testing.assert_allclose(stacked[k], alone_scores(train_alone(network(seed), x, 10.0, seed), x, 10.0),
                                   rtol=1e-6)


@pytest.mark.usefixtures("float64")
def test_a_diverging_network_drops_out_and_leaves_the_others_as_they_would_be_alone():
    x = torch.randn(200, 6)
    betas = (0.0, 1e308)  # the second loss overflows at the first step
    stack = NetworkStack([network(0) for _ in betas])
    grid = fit_grid(stack, x, betas=betas, generators=[torch.Generator().manual_seed(0) for _ in betas],
                    steps=STEPS, batch_size=BATCH)
    assert list(grid.failures) == [1]
    assert "training diverged at step 1" in str(grid.failures[1])
    np.testing.assert_allclose(stacked_scores(stack, x, (0.0, 0.0))[0],
                               alone_scores(train_alone(network(0), x, 0.0, 0), x, 0.0), rtol=1e-6)


def test_each_network_keeps_its_own_best_checkpoint():
    """Validation values that peak at different steps per network: each ends with its own best weights."""
    x = torch.randn(100, 6)
    stack = NetworkStack([network(0), network(0)])
    peaks = {0: 20, 1: 60}  # network k's value is best at step peaks[k]
    step = iter(range(20, 81, 20))

    def validate(_stack: NetworkStack) -> dict[str, np.ndarray]:
        now = next(step)
        return {"value": np.array([-abs(now - peaks[0]), -abs(now - peaks[1])], dtype=float)}

    grid = fit_grid(stack, x, betas=(0.0, 10.0), generators=[torch.Generator().manual_seed(0)] * 2, steps=80,
                    batch_size=BATCH, validate=validate)
    assert [r.best_step for r in grid.results] == [20, 60]
    for k, result in enumerate(grid.results):
        kept = result.checkpoints["value"].state
        assert all(torch.equal(stack.state(k)[name], kept[name]) for name in kept)  # each holds its own best


def test_float32_stacked_and_alone_agree_within_the_stated_tolerance():
    """The default precision: the same network up to rounding amplified by Adam (module docstring)."""
    x = torch.randn(200, 6)
    stack = NetworkStack([network(0), network(0)])
    fit_grid(stack, x, betas=(0.0, 10.0), generators=[torch.Generator().manual_seed(0) for _ in range(2)],
             steps=STEPS, batch_size=BATCH)
    stacked, alone = score_stack(stack, x, (0.0, 10.0))[1], alone_scores(train_alone(network(0), x, 10.0, 0), x, 10.0)
    np.testing.assert_allclose(stacked, alone, rtol=5e-2)
    assert spearmanr(stacked, alone).statistic >= 0.99


@pytest.mark.usefixtures("float64")
@pytest.mark.parametrize("leaving", [{1, 2}, {2}], ids=["one-left-runs-as-a-module", "two-left-stay-stacked"])
def test_networks_stopped_at_a_rung_keep_their_weights_and_the_others_train_on_as_alone(leaving):
    """A stopped network ends as if trained alone up to its rung; the others as if alone for the whole budget."""
    x = torch.randn(200, 6)
    betas, rung = (0.0, 10.0, 1000.0), 16
    stack = NetworkStack([network(0) for _ in betas])
    asked: list[list[int]] = []

    def stop(running: NetworkStack) -> set[int]:
        asked.append(list(running.active))
        return leaving

    grid = fit_grid(stack, x, betas=betas, generators=[torch.Generator().manual_seed(0) for _ in betas],
                    steps=STEPS, batch_size=BATCH, rungs=(rung, 30), stop=stop)
    staying = [k for k in range(3) if k not in leaving]
    assert asked == [[0, 1, 2]] + ([staying] if len(staying) > 1 else [])  # at 30 again, unless one is left
    assert stack.active == [0, 1, 2]  # every network scores once training is over
    stacked = stacked_scores(stack, x, betas)
    for k, beta in enumerate(betas):
        steps = rung if k in leaving else STEPS
        assert grid.results[k].stopped_at == (rung if k in leaving else None)
        assert len(grid.results[k].losses) == steps
        np.testing.assert_allclose(stacked[k], alone_scores(train_alone(network(0), x, beta, 0, steps), x, beta),
                                   rtol=1e-6)


def test_a_network_that_does_not_run_costs_no_forward_pass_and_scores_nan():
    x = torch.randn(50, 6)
    stack = NetworkStack([network(0), network(1), network(2)]).eval()
    stack.set_active([0, 2])
    x_hat, _ = stack(x, shared=True)
    assert x_hat.shape[0] == 2
    scores = score_stack(stack, x, (0.0, 1.0, 2.0))
    assert np.isnan(scores[1]).all()
    assert np.isfinite(scores[[0, 2]]).all()
    before = stack.state(1)
    stack.set_active([0, 1, 2])
    assert all(torch.equal(before[name], value) for name, value in stack.state(1).items())


def test_a_stopped_module_network_gets_no_update():
    """Convolutional stacks keep modules: one that does not run gets no gradient, so Adam leaves it alone."""
    torch.manual_seed(0)
    nets = [build_autoencoder((1, 16, 16), hidden_dims=(4, 8), latent_dim=4) for _ in range(2)]
    stack = NetworkStack(nets)
    assert stack.members is not None
    at_stop: dict[str, torch.Tensor] = {}

    def stop(running: NetworkStack) -> set[int]:
        at_stop.update(running.state(1))
        return {1}

    first = stack.state(0)
    grid = fit_grid(stack, torch.randn(40, 1, 16, 16), betas=(0.0, 10.0),
                    generators=[torch.Generator().manual_seed(0) for _ in range(2)], steps=6, batch_size=8,
                    rungs=(2,), stop=stop)
    assert grid.results[1].stopped_at == 2
    assert all(torch.equal(at_stop[name], value) for name, value in stack.state(1).items())  # frozen since step 2
    assert not all(torch.equal(first[name], value) for name, value in stack.state(0).items())  # the other trained on


@pytest.mark.parametrize(
    ("networks", "with_optimizer", "match"),
    [([], False, "network indices in"), ([3], False, "network indices in"), ([0, 1], True, "that were running")],
)
def test_set_active_names_what_it_cannot_do(networks, with_optimizer, match):
    stack = NetworkStack([network(0), network(1), network(2)])
    stack.set_active([0, 2])
    optimizer = torch.optim.Adam(stack.parameters()) if with_optimizer else None
    with pytest.raises(ValueError, match=match):
        stack.set_active(networks, optimizer)
