# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Linear models of Sec. 3.3: Theorem 1, Theorem 2 and Figure 2, checked against autograd.

* Theorem 1: a linear encoder ``Z = W X`` trained on ``L = 1/(2n) Σ Z²`` alone follows
  ``W(t) = W(0) U exp(−Λ t) Uᵀ`` under gradient flow (``S = X Xᵀ / n = U Λ Uᵀ``): every
  principal direction collapses at the rate of its eigenvalue.
* Theorem 2: with a linear decoder and the loss of Eq. 9, the weights follow the coupled
  ODEs 10a/10b; integrating them must match gradient descent with a small step.
* Figure 2: a 2→1→2 linear autoencoder on a Gaussian with variances 4 and 1; with the
  norm term the score's contours follow the data instead of ignoring the first axis.

All in float64 so that tolerances can be tight. Data matrices are ``(m, n)``: columns
are samples, as in the paper.

Example:
    >>> import torch
    >>> x = torch.randn(3, 50, dtype=torch.float64)
    >>> w0 = torch.eye(3, dtype=torch.float64)
    >>> closed = theorem1_closed_form(w0, x, t=0.5)
    >>> gd = gradient_descent_encoder(w0, x, t=0.5, step=1e-4)
    >>> bool(torch.allclose(closed, gd, rtol=1e-3, atol=1e-6))
    True
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.integrate import solve_ivp
from torch import Tensor

from anomalib_toll.core.loss import toll_loss, toll_score


def covariance(x: Tensor) -> Tensor:
    """``S = X Xᵀ / n`` for zero-mean data with samples in columns."""
    return x @ x.T / x.shape[1]


def theorem1_closed_form(w0: Tensor, x: Tensor, t: float) -> Tensor:
    """``W(t) = W(0) U exp(−Λ t) Uᵀ`` (paper Eq. 7)."""
    eigenvalues, u = torch.linalg.eigh(covariance(x))
    return w0 @ u @ torch.diag(torch.exp(-eigenvalues * t)) @ u.T


def gradient_descent_encoder(w0: Tensor, x: Tensor, t: float, step: float) -> Tensor:
    """Gradient descent with autograd on ``L_norm = 1/(2n) Σ (W X)²`` for time ``t``."""
    w = w0.clone().requires_grad_()
    for _ in range(round(t / step)):
        loss = (w @ x).pow(2).sum() / (2 * x.shape[1])
        (grad,) = torch.autograd.grad(loss, w)
        with torch.no_grad():
            w -= step * grad
    return w.detach()


def eq9_loss(w1: Tensor, w2: Tensor, x: Tensor, beta: float) -> Tensor:
    """Eq. 9: ``1/(2n) Σ (W2 W1 X − X)² + β/(2n) Σ (W1 X)²``."""
    n = x.shape[1]
    z = w1 @ x
    return ((w2 @ z - x).pow(2).sum() + beta * z.pow(2).sum()) / (2 * n)


def theorem2_rhs(w1: Tensor, w2: Tensor, s: Tensor, beta: float) -> tuple[Tensor, Tensor]:
    """Eq. 10a/10b: ``Ẇ1 = [W2ᵀ − W2ᵀW2W1 − βW1] S``, ``Ẇ2 = [I − W2W1] S W1ᵀ``."""
    eye = torch.eye(w2.shape[0], dtype=w2.dtype)
    return (w2.T - w2.T @ w2 @ w1 - beta * w1) @ s, (eye - w2 @ w1) @ s @ w1.T


def theorem2_solve(w1: Tensor, w2: Tensor, x: Tensor, beta: float, times: np.ndarray) -> list[tuple[Tensor, Tensor]]:
    """Integrate the ODEs of Theorem 2 (tight tolerances); ``(W1, W2)`` at ``times``."""
    s = covariance(x)
    shapes = (w1.shape, w2.shape)
    split = w1.numel()

    def rhs(_t: float, flat: np.ndarray) -> np.ndarray:
        a = torch.from_numpy(flat[:split]).reshape(shapes[0])
        b = torch.from_numpy(flat[split:]).reshape(shapes[1])
        da, db = theorem2_rhs(a, b, s, beta)
        return np.concatenate([da.ravel().numpy(), db.ravel().numpy()])

    y0 = np.concatenate([w1.ravel().numpy(), w2.ravel().numpy()])
    sol = solve_ivp(rhs, (0.0, float(times[-1])), y0, t_eval=times, rtol=1e-10, atol=1e-12, method="DOP853")
    return [
        (torch.from_numpy(sol.y[:split, k]).reshape(shapes[0]), torch.from_numpy(sol.y[split:, k]).reshape(shapes[1]))
        for k in range(len(times))
    ]


def gradient_descent_autoencoder(
    w1: Tensor, w2: Tensor, x: Tensor, beta: float, times: np.ndarray, step: float,
) -> list[tuple[Tensor, Tensor]]:
    """Gradient descent with autograd on Eq. 9, recording ``(W1, W2)`` at ``times``."""
    a, b = w1.clone().requires_grad_(), w2.clone().requires_grad_()
    out, t = [], 0.0
    for target in times:
        while t < target - step / 2:
            ga, gb = torch.autograd.grad(eq9_loss(a, b, x, beta), (a, b))
            with torch.no_grad():
                a -= step * ga
                b -= step * gb
            t += step
        out.append((a.detach().clone(), b.detach().clone()))
    return out


def gaussian_samples(n: int = 2000, variances: tuple[float, float] = (4.0, 1.0), seed: int = 0) -> Tensor:
    """Zero-mean 2-D Gaussian samples as rows ``(n, 2)`` (Figure 2's data)."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, 2, generator=gen, dtype=torch.float64) * torch.tensor(variances, dtype=torch.float64).sqrt()


def train_linear_autoencoder(
    x: Tensor, beta: float, steps: int = 3000, lr: float = 0.02, seed: int = 0,
) -> tuple[Tensor, Tensor]:
    """A bias-free 2→1→2 linear autoencoder trained with the core's Toll loss.

    Figure 2 weights the two terms as ``(1 − β)·reconstruction + β·norm``
    (``weighting="convex"``) and uses the core's unsquared norms, so the contours are
    those of the score Toll actually computes.
    """
    gen = torch.Generator().manual_seed(seed)
    w1 = (0.5 * torch.randn(1, x.shape[1], generator=gen, dtype=torch.float64)).requires_grad_()
    w2 = (0.5 * torch.randn(x.shape[1], 1, generator=gen, dtype=torch.float64)).requires_grad_()
    opt = torch.optim.Adam([w1, w2], lr=lr)
    for _ in range(steps):
        z = x @ w1.T
        loss = toll_loss(z @ w2.T, x, z, beta, weighting="convex")
        opt.zero_grad()
        loss.backward()
        opt.step()
    return w1.detach(), w2.detach()


def figure2_score_field(w1: Tensor, w2: Tensor, beta: float, grid: Tensor) -> Tensor:
    """Toll scores of grid points ``(k, 2)`` under the trained linear autoencoder."""
    z = grid @ w1.T
    return toll_score(z @ w2.T, grid, z, beta, weighting="convex")
