"""Sec. 3.3 checked numerically: Theorem 1, Theorem 2 and Figure 2."""

import numpy as np
import pytest
import torch

from anomalib_toll.analysis.linear_dynamics import (
    covariance,
    eq9_loss,
    figure2_score_field,
    gaussian_samples,
    gradient_descent_autoencoder,
    gradient_descent_encoder,
    theorem1_closed_form,
    theorem2_rhs,
    theorem2_solve,
    train_linear_autoencoder,
)

F64 = torch.float64


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Thousands of tiny steps: one thread avoids synchronisation overhead."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 400, generator=gen, dtype=F64) * torch.tensor([[2.0], [1.0], [0.5]], dtype=F64)
    x = x - x.mean(dim=1, keepdim=True)
    return x, torch.randn(2, 3, generator=gen, dtype=F64)


def test_gradient_descent_follows_theorem1_closed_form(data):
    x, w0 = data
    t = 0.6  # the largest direction has decayed to exp(-4 * 0.6) ~ 9 %
    numeric = gradient_descent_encoder(w0, x, t=t, step=1e-4)
    closed = theorem1_closed_form(w0, x, t)
    assert torch.linalg.norm(numeric - closed) / torch.linalg.norm(closed) < 1e-3
    # the check can fail: a wrong sign in the exponent or a missing U is far off
    eigenvalues, u = torch.linalg.eigh(covariance(x))
    wrong_sign = w0 @ u @ torch.diag(torch.exp(eigenvalues * t)) @ u.T
    no_rotation = w0 @ torch.diag(torch.exp(-eigenvalues * t))
    for wrong in (wrong_sign, no_rotation):
        assert torch.linalg.norm(numeric - wrong) / torch.linalg.norm(closed) > 0.1


def test_high_variance_directions_collapse_first(data):
    x, w0 = data
    eigenvalues, u = torch.linalg.eigh(covariance(x))  # ascending
    w = gradient_descent_encoder(w0, x, t=0.5, step=1e-4)
    decay = torch.linalg.norm(w @ u, dim=0) / torch.linalg.norm(w0 @ u, dim=0)
    assert torch.all(decay[:-1] > decay[1:])  # larger eigenvalue, smaller remaining fraction
    torch.testing.assert_close(decay, torch.exp(-eigenvalues * 0.5), rtol=2e-3, atol=0)


def test_theorem2_rhs_is_minus_the_autograd_gradient(data):
    x, _ = data
    gen = torch.Generator().manual_seed(1)
    for beta in (0.0, 0.7):
        w1 = torch.randn(2, 3, generator=gen, dtype=F64, requires_grad=True)
        w2 = torch.randn(3, 2, generator=gen, dtype=F64, requires_grad=True)
        g1, g2 = torch.autograd.grad(eq9_loss(w1, w2, x, beta), (w1, w2))
        r1, r2 = theorem2_rhs(w1.detach(), w2.detach(), covariance(x), beta)
        torch.testing.assert_close(r1, -g1, rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(r2, -g2, rtol=1e-10, atol=1e-12)


def test_theorem2_ode_matches_gradient_descent(data):
    x, _ = data
    gen = torch.Generator().manual_seed(2)
    w1, w2 = (0.3 * torch.randn(2, 3, generator=gen, dtype=F64), 0.3 * torch.randn(3, 2, generator=gen, dtype=F64))
    times = np.array([0.25, 0.5, 1.0])
    ode = theorem2_solve(w1, w2, x, beta=0.5, times=times)
    gd = gradient_descent_autoencoder(w1, w2, x, beta=0.5, times=times, step=1e-4)
    for (a_ode, b_ode), (a_gd, b_gd) in zip(ode, gd, strict=True):
        assert torch.linalg.norm(a_ode - a_gd) / torch.linalg.norm(a_ode) < 1e-3
        assert torch.linalg.norm(b_ode - b_gd) / torch.linalg.norm(b_ode) < 1e-3
    assert torch.linalg.norm(ode[-1][0] - w1) / torch.linalg.norm(w1) > 0.1  # the weights really moved


def test_figure2_norm_term_makes_the_score_see_the_first_axis():
    x = gaussian_samples(2000)
    origin_and_axes = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]], dtype=F64)
    ratios = {}
    for beta in (0.0, 0.5):
        w1, w2 = train_linear_autoencoder(x, beta, steps=1500)
        s = figure2_score_field(w1, w2, beta, origin_and_axes)
        ratios[beta] = ((s[1] - s[0]) / (s[2] - s[0])).item()
    w1, _ = train_linear_autoencoder(x, 0.0, steps=1500)
    assert abs(w1[0, 0]) > 20 * abs(w1[0, 1])  # beta = 0 encodes the first principal axis only
    assert ratios[0.0] < 0.05  # ... so the score ignores x1
    assert ratios[0.5] > 2.5 * ratios[0.0]  # the norm term makes it grow along x1 too
