"""The Toll loss/score against hand computations."""

import math

import pytest
import torch

from anomalib_toll.core import collapse_distance, reconstruction_error, toll_loss, toll_score

X = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
X_HAT = torch.tensor([[1.0, 0.0], [3.0, 4.0]])  # errors: 2 and 5
Z = torch.tensor([[3.0, -4.0, 0.0], [1.0, 1.0, -1.0]])


@pytest.mark.parametrize(
    ("norm", "expected_norms"),
    [(1, [7.0, 3.0]), (2, [5.0, math.sqrt(3.0)]), ("inf", [4.0, 1.0]), (math.inf, [4.0, 1.0])],
)
def test_score_is_reconstruction_plus_beta_times_latent_norm(norm, expected_norms):
    scores = toll_score(X_HAT, X, Z, beta=10.0, norm=norm)
    expected = torch.tensor([2.0 + 10 * expected_norms[0], 5.0 + 10 * expected_norms[1]])
    torch.testing.assert_close(scores, expected)


def test_loss_is_batch_mean_of_unsquared_scores():
    loss = toll_loss(X_HAT, X, Z, beta=2.0)
    assert loss.item() == pytest.approx(((2 + 2 * 5) + (5 + 2 * math.sqrt(3))) / 2)


def test_beta_zero_is_plain_reconstruction_error():
    torch.testing.assert_close(toll_score(X_HAT, X, Z, beta=0.0), torch.tensor([2.0, 5.0]))


def test_convex_weighting_of_figure_2():
    scores = toll_score(X_HAT, X, Z, beta=0.25, weighting="convex")
    torch.testing.assert_close(scores, torch.tensor([0.75 * 2 + 0.25 * 5, 0.75 * 5 + 0.25 * math.sqrt(3)]))


def test_batch_mean_target_measures_distance_to_mean():
    z = torch.tensor([[1.0, 0.0], [3.0, 0.0]])
    torch.testing.assert_close(collapse_distance(z, target="batch_mean"), torch.tensor([1.0, 1.0]))
    torch.testing.assert_close(collapse_distance(z, target=torch.tensor([1.0, 0.0])), torch.tensor([0.0, 2.0]))


def test_coinciding_codes_have_zero_batch_mean_distance():
    z = torch.ones(4, 3) * 2.5
    assert collapse_distance(z, target="batch_mean").abs().max().item() == 0.0


def test_reconstruction_flattens_images():
    x = torch.zeros(2, 1, 2, 2)
    x_hat = torch.ones(2, 1, 2, 2)
    torch.testing.assert_close(reconstruction_error(x_hat, x), torch.tensor([2.0, 2.0]))


@pytest.mark.parametrize("bad", [3, "l3", 0, None, True])
def test_unknown_norm_is_rejected_with_choices(bad):
    with pytest.raises(ValueError, match="norm must be 1, 2 or 'inf'"):
        toll_score(X_HAT, X, Z, beta=1.0, norm=bad)


def test_unknown_weighting_and_target_are_rejected():
    with pytest.raises(ValueError, match="weighting"):
        toll_score(X_HAT, X, Z, beta=1.0, weighting="product")
    with pytest.raises(ValueError, match="target"):
        collapse_distance(Z, target="median")


def test_gradients_reach_encoder_and_decoder():
    from anomalib_toll.core import build_autoencoder

    torch.manual_seed(0)
    net = build_autoencoder((6,), hidden_dims=(5,), latent_dim=2)
    x = torch.randn(8, 6)
    x_hat, z = net(x)
    toll_loss(x_hat, x, z, beta=3.0).backward()
    for part in (net.encoder, net.decoder):
        grads = [p.grad for p in part.parameters()]
        assert all(g is not None and g.abs().sum() > 0 for g in grads)


def test_latent_term_pushes_codes_toward_origin():
    """The β term's gradient on z is β·z/‖z‖ for p=2: a step along it shrinks ‖z‖."""
    z = torch.tensor([[3.0, 4.0]], requires_grad=True)
    toll_loss(torch.zeros(1, 1), torch.zeros(1, 1), z, beta=2.0).backward()
    torch.testing.assert_close(z.grad, torch.tensor([[2 * 0.6, 2 * 0.8]]))
