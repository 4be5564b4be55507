"""The paper's Appendix B networks and the shape-driven builder."""

import pytest
import torch

from anomalib_toll.core import build_autoencoder, count_parameters


def conv(c_in, c_out, k, bias=True):
    return c_in * c_out * k * k + (c_out if bias else 0)


def linear(n_in, n_out):
    return n_in * n_out + n_out


def bn(c):
    return 2 * c


def test_b1_mnist_encoder_and_decoder_match_appendix_b1_layer_by_layer():
    net = build_autoencoder((1, 28, 28), latent_dim=128)
    enc = conv(1, 64, 4) + bn(64) + conv(64, 128, 4) + bn(128) + conv(128, 256, 4) + bn(256)
    enc += conv(256, 512, 4) + bn(512) + conv(512, 64, 4) + linear(1024, 128)
    dec = linear(128, 1024) + conv(64, 512, 4) + bn(512) + conv(512, 256, 4) + bn(256)
    dec += conv(256, 128, 4) + bn(128) + conv(128, 64, 4) + bn(64) + conv(64, 1, 4)
    assert count_parameters(net.encoder) == enc
    assert count_parameters(net.decoder) == dec
    x_hat, z = net(torch.zeros(3, 1, 28, 28))
    assert x_hat.shape == (3, 1, 28, 28)
    assert z.shape == (3, 128)


def test_b1_fashion_mnist_uses_latent_256():
    _, z = build_autoencoder((1, 28, 28), latent_dim=256)(torch.zeros(2, 1, 28, 28))
    assert z.shape == (2, 256)


def test_b2_cifar_has_no_conv_bias_before_batchnorm():
    net = build_autoencoder((3, 32, 32))
    enc = conv(3, 32, 5, False) + bn(32) + conv(32, 64, 4, False) + bn(64) + conv(64, 128, 4, False) + bn(128)
    enc += conv(128, 256, 4, False) + bn(256) + conv(256, 512, 4, False) + bn(512)
    enc += conv(512, 512, 1, False) + bn(512) + conv(512, 64, 1)
    dec = conv(64, 256, 4, False) + bn(256) + conv(256, 128, 4, False) + bn(128) + conv(128, 64, 4, False) + bn(64)
    dec += conv(64, 32, 4, False) + bn(32) + conv(32, 32, 5, False) + bn(32) + conv(32, 32, 1, False) + bn(32)
    dec += conv(32, 3, 1)
    assert count_parameters(net.encoder) == enc
    assert count_parameters(net.decoder) == dec
    convs = [m for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    biased = [m for m in convs if m.bias is not None]
    assert len(biased) == 2  # the code layer and the output layer only
    x_hat, z = net(torch.zeros(2, 3, 32, 32))
    assert x_hat.shape == (2, 3, 32, 32)
    assert z.shape == (2, 64)


def test_b3_arrhythmia_mlp_274_256_128_16():
    net = build_autoencoder((274,))
    enc = linear(274, 256) + bn(256) + linear(256, 128) + bn(128) + linear(128, 16)
    dec = linear(16, 128) + bn(128) + linear(128, 256) + bn(256) + linear(256, 274)
    assert count_parameters(net.encoder) == enc
    assert count_parameters(net.decoder) == dec
    x_hat, z = net(torch.zeros(4, 274))
    assert x_hat.shape == (4, 274)
    assert z.shape == (4, 16)


@pytest.mark.parametrize("shape", [(3, 64, 64), (1, 37, 53), (3, 8, 8), (1, 5, 5), (3, 224, 224)])
def test_builder_reconstructs_any_image_shape_exactly(shape):
    net = build_autoencoder(shape, latent_dim=8)
    x_hat, z = net(torch.zeros(2, *shape))
    assert x_hat.shape == (2, *shape)
    assert z.shape == (2, 8)


def test_builder_rejects_unsupported_shapes():
    with pytest.raises(ValueError, match="input_shape"):
        build_autoencoder((2, 3))
