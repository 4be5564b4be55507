"""The core on CUDA: one training step and the scores match the CPU's; every precision mode trains.

Tolerances, stated once:

* ``LOSS_RTOL`` (1e-4): the loss of the first step (a forward pass in train mode), GPU vs
  CPU, with TF32 switched off so that both devices compute IEEE fp32.
* ``PARITY_RTOL`` (3e-3, relative, every score): the scores after that one Adam step, GPU vs
  CPU (TF32 off). Not tighter, because biases in front of a BatchNorm (B.1's convs, B.3's
  linears) have an exactly-zero gradient, computed as rounding noise that differs per device,
  and Adam's first step turns noise into ±lr: moving those biases by up to ±lr changes the
  scores by ≤ 0.09 % (measured on the CPU). The step itself moves the scores by 1.1-6 %, so a
  step that went wrong on one device cannot pass.
* ``TF32_RTOL`` (1e-2): the GPU's default fp32 (cuDNN convolutions in TF32, 10-bit mantissa)
  scores an untrained network like the CPU.
* ``MIXED_RTOL``: scores of a network trained in a mixed precision, scored in that precision,
  against the same weights scored in fp32 (measured on the CPU in bf16: ≤ 0.8 %).
"""

from __future__ import annotations

import contextlib
import copy
from typing import TYPE_CHECKING

import pytest
import torch

from anomalib_toll.core import build_autoencoder, fit_toll, score_toll
from tests.gpu.conftest import GPU

if TYPE_CHECKING:
    from collections.abc import Generator

pytestmark = GPU

LOSS_RTOL = 1e-4
PARITY_RTOL = 3e-3
TF32_RTOL = 1e-2
MIXED_RTOL = {"bf16-mixed": 5e-2, "16-mixed": 2e-2}
# The paper's networks with their datasets' β and learning rate (MNIST, CIFAR-10, Arrhythmia).
NETWORKS = {
    "B.1": ((1, 28, 28), 1000.0, 1e-4),
    "B.2": ((3, 32, 32), 10.0, 1e-2),
    "B.3": ((274,), 10.0, 1e-3),
}
CUDA = torch.device("cuda")


@contextlib.contextmanager
def ieee_fp32() -> Generator[None, None, None]:
    """TF32 off for cuDNN and matmuls (the legacy flags, set and restored together)."""
    saved = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def data(shape: tuple[int, ...], rows: int, seed: int) -> torch.Tensor:
    """Uniform [0, 1) rows of ``shape`` on the CPU (the range of the preprocessed images)."""
    return torch.rand(rows, *shape, generator=torch.Generator().manual_seed(seed))


def network(shape: tuple[int, ...]) -> torch.nn.Module:
    """The paper's network for ``shape``, initialised from seed 0 on the CPU."""
    torch.manual_seed(0)
    return build_autoencoder(shape)


def relative(a: torch.Tensor, b: torch.Tensor) -> float:
    """Largest relative difference of ``a`` from ``b``."""
    return float(((a - b).abs() / b.abs()).max())


def one_step(net: torch.nn.Module, device: torch.device, x: torch.Tensor, beta: float, lr: float) -> float:
    """Move ``net`` to ``device`` and train it one Toll step on 32 of the rows (the same rows on every device).

    Returns:
        The step's loss.
    """
    net.to(device)
    result = fit_toll(net, x.to(device), beta=beta, lr=lr, steps=1, batch_size=32,
                      generator=torch.Generator().manual_seed(0))
    return result.losses[0]


@pytest.mark.parametrize("name", list(NETWORKS))
def test_one_training_step_gives_the_cpu_scores(name: str) -> None:
    """One Adam step on the GPU (IEEE fp32) leaves the network scoring as the same step on the CPU."""
    shape, beta, lr = NETWORKS[name]
    x, x_test = data(shape, 64, seed=1), data(shape, 40, seed=2)
    cpu_net = network(shape)
    before = score_toll(cpu_net, x_test, beta=beta)
    gpu_net = copy.deepcopy(cpu_net)
    cpu_loss = one_step(cpu_net, torch.device("cpu"), x, beta, lr)
    cpu_scores = score_toll(cpu_net, x_test, beta=beta)
    with ieee_fp32():
        gpu_loss = one_step(gpu_net, CUDA, x, beta, lr)
        assert next(gpu_net.parameters()).device.type == CUDA.type
        gpu_scores = score_toll(gpu_net, x_test, beta=beta, batch_size=16)  # CPU rows, copied batch by batch
        resident = score_toll(gpu_net, x_test.to(CUDA), beta=beta, batch_size=16)
    assert relative(cpu_scores, before) > 2 * PARITY_RTOL  # the step changed the scores
    assert gpu_loss == pytest.approx(cpu_loss, rel=LOSS_RTOL)
    assert relative(gpu_scores, cpu_scores) < PARITY_RTOL
    torch.testing.assert_close(resident, gpu_scores, rtol=1e-6, atol=0.0)  # non_blocking copies read the right rows


@pytest.mark.parametrize("name", list(NETWORKS))
def test_default_gpu_fp32_scores_match_the_cpu(name: str) -> None:
    """The GPU's default fp32 (TF32 convolutions) scores an untrained network as the CPU does."""
    shape, beta, _ = NETWORKS[name]
    x_test = data(shape, 40, seed=3)
    net = network(shape).eval()
    cpu_scores = score_toll(net, x_test, beta=beta)
    gpu_scores = score_toll(net.to(CUDA), x_test, beta=beta)
    assert gpu_scores.device.type == "cpu"  # scores come back to the CPU
    assert relative(gpu_scores, cpu_scores) < TF32_RTOL


@pytest.mark.parametrize("precision", ["32", "bf16-mixed", "16-mixed"])
@pytest.mark.parametrize("name", list(NETWORKS))
def test_every_precision_trains_and_scores_finite_values_on_cuda(name: str, precision: str) -> None:
    """fp32, bf16-mixed and 16-mixed (GradScaler) lower the loss and score finite values, close to fp32's."""
    shape, beta, lr = NETWORKS[name]
    net = network(shape).to(CUDA)
    start = {k: v.clone() for k, v in net.state_dict().items()}
    x = data(shape, 128, seed=4).to(CUDA)
    # 30 steps: fp16's GradScaler skips the first ones while it lowers its scale (β = 1000 overflows fp16).
    result = fit_toll(net, x, beta=beta, lr=lr, steps=30, batch_size=32, precision=precision,
                      generator=torch.Generator().manual_seed(0))
    losses = torch.tensor(result.losses)
    assert torch.isfinite(losses).all()
    assert losses[-5:].mean() < 0.9 * losses[0]  # it learned (CPU, fp32 and bf16: down to 25-40 %)
    assert any(not torch.equal(v, start[k]) for k, v in net.state_dict().items() if v.is_floating_point())
    x_test = data(shape, 64, seed=5)
    scores = score_toll(net, x_test, beta=beta, precision=precision)
    assert scores.shape == (64,)
    assert torch.isfinite(scores).all()
    if precision != "32":
        assert relative(scores, score_toll(net, x_test, beta=beta)) < MIXED_RTOL[precision]
