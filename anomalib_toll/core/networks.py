# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The paper's autoencoders (Appendix B) and a builder for inputs of other shapes.

Every network is a :class:`TollAutoencoder`: ``forward(x)`` returns ``(x_hat, z)`` so
that :func:`anomalib_toll.core.loss.toll_score` can be applied to any of them.

Example:
    >>> import torch
    >>> net = build_autoencoder((1, 28, 28))          # Appendix B.1, z = 128
    >>> x_hat, z = net(torch.zeros(2, 1, 28, 28))
    >>> tuple(x_hat.shape), tuple(z.shape)
    ((2, 1, 28, 28), (2, 128))
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from torch import Tensor, nn

if TYPE_CHECKING:
    from collections.abc import Sequence


class TollAutoencoder(nn.Module):
    """An encoder/decoder pair whose forward pass returns the reconstruction and the code."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(x_hat, z)``: the reconstruction of ``x`` and its code."""
        z = self.encoder(x)
        return self.decoder(z), z

    @property
    def is_convolutional(self) -> bool:
        """Whether ``channels_last`` memory format can speed the network up."""
        return any(isinstance(m, nn.Conv2d) for m in self.modules())


def _conv_block(conv: nn.Module, channels: int, slope: float) -> list[nn.Module]:
    return [conv, nn.BatchNorm2d(channels), nn.LeakyReLU(slope)]


def mnist_autoencoder(latent_dim: int = 128) -> TollAutoencoder:
    """Appendix B.1: the 28×28×1 network (z = 128 for MNIST, 256 for Fashion-MNIST)."""
    enc: list[nn.Module] = []
    for c_in, c_out, stride in ((1, 64, 1), (64, 128, 1), (128, 256, 2), (256, 512, 1)):
        enc += _conv_block(nn.Conv2d(c_in, c_out, 4, stride), c_out, 0.2)
    enc += [nn.Conv2d(512, 64, 4, 1), nn.Flatten(), nn.Linear(64 * 4 * 4, latent_dim)]
    dec: list[nn.Module] = [nn.Linear(latent_dim, 1024), nn.Unflatten(1, (64, 4, 4))]
    for c_in, c_out, stride in ((64, 512, 1), (512, 256, 1), (256, 128, 2), (128, 64, 1)):
        dec += _conv_block(nn.ConvTranspose2d(c_in, c_out, 4, stride), c_out, 0.2)
    dec.append(nn.ConvTranspose2d(64, 1, 4, 1))
    return TollAutoencoder(nn.Sequential(*enc), nn.Sequential(*dec))


def cifar_autoencoder(latent_dim: int = 64) -> TollAutoencoder:
    """Appendix B.2: the 32×32×3 network; no conv biases in front of BatchNorm."""
    enc: list[nn.Module] = []
    enc_layers = ((3, 32, 5, 1), (32, 64, 4, 2), (64, 128, 4, 1), (128, 256, 4, 2), (256, 512, 4, 1), (512, 512, 1, 1))
    for c_in, c_out, k, s in enc_layers:
        enc += _conv_block(nn.Conv2d(c_in, c_out, k, s, bias=False), c_out, 0.1)
    enc += [nn.Conv2d(512, latent_dim, 1, 1), nn.Flatten()]
    dec: list[nn.Module] = [nn.Unflatten(1, (latent_dim, 1, 1))]
    dec_layers = ((latent_dim, 256, 4, 1), (256, 128, 4, 2), (128, 64, 4, 1), (64, 32, 4, 2), (32, 32, 5, 1))
    for c_in, c_out, k, s in dec_layers:
        dec += _conv_block(nn.ConvTranspose2d(c_in, c_out, k, s, bias=False), c_out, 0.1)
    dec += _conv_block(nn.Conv2d(32, 32, 1, 1, bias=False), 32, 0.1)
    dec.append(nn.Conv2d(32, 3, 1, 1))
    return TollAutoencoder(nn.Sequential(*enc), nn.Sequential(*dec))


def mlp_autoencoder(
    in_features: int,
    hidden_dims: Sequence[int] = (256, 128),
    latent_dim: int = 16,
) -> TollAutoencoder:
    """Appendix B.3 for Arrhythmia (274→256→128→16), generalised to any width.

    Linear-BatchNorm-ReLU blocks, a linear code and a linear output, mirrored.
    """
    widths = [in_features, *hidden_dims]
    enc: list[nn.Module] = []
    for w_in, w_out in itertools.pairwise(widths):
        enc += [nn.Linear(w_in, w_out), nn.BatchNorm1d(w_out), nn.ReLU()]
    enc.append(nn.Linear(widths[-1], latent_dim))
    back = [latent_dim, *reversed(hidden_dims)]
    dec: list[nn.Module] = []
    for w_in, w_out in itertools.pairwise(back):
        dec += [nn.Linear(w_in, w_out), nn.BatchNorm1d(w_out), nn.ReLU()]
    dec.append(nn.Linear(back[-1], in_features))
    return TollAutoencoder(nn.Sequential(*enc), nn.Sequential(*dec))


def conv_autoencoder(
    input_shape: Sequence[int],
    hidden_dims: Sequence[int] = (32, 64, 128, 256),
    latent_dim: int = 128,
) -> TollAutoencoder:
    """A conv autoencoder for any ``(C, H, W)``: stride-2 stages, then a linear code.

    Each stage halves the resolution (k=4, s=2, p=1) while it stays ≥ 4 pixels; the
    decoder mirrors it with transposed convs whose ``output_padding`` restores odd sizes
    exactly, so the output always has the input's shape.
    """
    channels, height, width = (int(v) for v in input_shape)
    sizes = [(height, width)]
    enc: list[nn.Module] = []
    c_in = channels
    for c_out in hidden_dims:
        h, w = sizes[-1]
        if min(h, w) < 8:
            break
        enc += _conv_block(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), c_out, 0.2)
        sizes.append((h // 2, w // 2))
        c_in = c_out
    h, w = sizes[-1]
    enc += [nn.Flatten(), nn.Linear(c_in * h * w, latent_dim)]
    dec: list[nn.Module] = [nn.Linear(latent_dim, c_in * h * w), nn.Unflatten(1, (c_in, h, w))]
    used = [channels, *hidden_dims[: len(sizes) - 1]]
    for stage in range(len(sizes) - 1, 0, -1):
        (h_out, w_out), (h_in, w_in) = sizes[stage - 1], sizes[stage]
        c_out = used[stage - 1]
        last = stage == 1
        deconv = nn.ConvTranspose2d(
            used[stage], c_out, 4, 2, 1, output_padding=(h_out - 2 * h_in, w_out - 2 * w_in), bias=last,
        )
        dec += [deconv] if last else _conv_block(deconv, c_out, 0.2)
    if len(sizes) == 1:  # too small to downsample: the linear layers do all the work
        dec = [nn.Linear(latent_dim, channels * height * width), nn.Unflatten(1, (channels, height, width))]
    return TollAutoencoder(nn.Sequential(*enc), nn.Sequential(*dec))


def build_autoencoder(
    input_shape: Sequence[int],
    latent_dim: int | None = None,
    hidden_dims: Sequence[int] | None = None,
) -> TollAutoencoder:
    """Pick the network for an input shape (without the batch dimension).

    ``(1, 28, 28)`` and ``(3, 32, 32)`` give the paper's B.1 and B.2 networks (unless
    ``hidden_dims`` asks for another); ``(F,)`` gives the B.3-style MLP; other images get
    :func:`conv_autoencoder`. ``latent_dim=None`` uses the paper's value for the shape.
    """
    shape = tuple(int(v) for v in input_shape)
    if len(shape) == 1:
        dims = (256, 128) if hidden_dims is None else tuple(hidden_dims)
        return mlp_autoencoder(shape[0], dims, 16 if latent_dim is None else latent_dim)
    if len(shape) != 3:
        msg = f"input_shape must be (features,) or (channels, height, width), got {shape}."
        raise ValueError(msg)
    if hidden_dims is None and shape == (1, 28, 28):
        return mnist_autoencoder(128 if latent_dim is None else latent_dim)
    if hidden_dims is None and shape == (3, 32, 32):
        return cifar_autoencoder(64 if latent_dim is None else latent_dim)
    dims = (32, 64, 128, 256) if hidden_dims is None else tuple(hidden_dims)
    return conv_autoencoder(shape, dims, 128 if latent_dim is None else latent_dim)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


__all__ = [
    "TollAutoencoder",
    "build_autoencoder",
    "cifar_autoencoder",
    "conv_autoencoder",
    "count_parameters",
    "mlp_autoencoder",
    "mnist_autoencoder",
]
