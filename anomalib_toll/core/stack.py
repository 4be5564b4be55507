# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""K networks of one architecture as one model: stacked weights and one vectorised forward.

``beta="auto"`` trains one network per β, and a grid of seeds one per seed. Trained one
after another they cost K fits; stacked (``torch.func.stack_module_state``) and run
through ``torch.vmap`` they run as one model whose every operator works on K networks at
once, while each network keeps its own weights, BatchNorm statistics and (in the
training loop) its own batches. A network trained in a grid and alone with the same seed
get the same weights up to rounding (``tests/core/test_stack.py`` states the tolerance).

Two cases keep one module per network, called in turn inside the same loop, optimizer and
checkpoints: a stack of one (a fixed β pays nothing for the mechanism), and convolutional
networks, whose vectorised form runs as grouped convolutions that lose oneDNN's fast bf16 and
channels_last kernels (measured on the CPU: 1.8× slower than the networks one after another
in bf16, ``docs/results.md``).

Example:
    >>> import torch
    >>> from anomalib_toll.core import build_autoencoder
    >>> nets = [build_autoencoder((6,), hidden_dims=(8,), latent_dim=2) for _ in range(3)]
    >>> stack = NetworkStack(nets).eval()
    >>> x_hat, z = stack(torch.randn(4, 6), shared=True)  # the same rows through every network
    >>> tuple(x_hat.shape), tuple(z.shape)
    ((3, 4, 6), (3, 4, 2))
    >>> torch.allclose(stack.network(1)(torch.ones(2, 6))[0], nets[1].eval()(torch.ones(2, 6))[0])
    True
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn
from torch.func import functional_call, stack_module_state

from anomalib_toll.core.training import prepare_input

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


class NetworkStack(nn.Module):
    """K networks of one architecture, trained and scored as one model.

    Args:
        networks: The networks (same class and shapes), each initialised as it should
            start; their weights are copied into the stack (kept as modules: one network, or
            convolutional ones).
    """

    def __init__(self, networks: Sequence[nn.Module]) -> None:
        super().__init__()
        if not networks:
            msg = "NetworkStack needs at least one network."
            raise ValueError(msg)
        self.size = len(networks)
        self.is_convolutional = bool(getattr(networks[0], "is_convolutional", False))
        self.members: nn.ModuleList | None = None
        if self.size == 1 or self.is_convolutional:  # the modules themselves (module docstring)
            self.members = nn.ModuleList(networks)
            if self.is_convolutional:
                self.members.to(memory_format=torch.channels_last)  # faster on CPU and GPU
            return
        params, buffers = stack_module_state(list(networks))
        self.param_names, self.buffer_names = list(params), list(buffers)
        self.stacked_params = nn.ParameterList(nn.Parameter(p) for p in params.values())
        for i, value in enumerate(buffers.values()):
            self.register_buffer(f"stacked_buffer_{i}", value)
        # not registered (a list hides them): the architecture to call, and one to copy for export
        self._template = [copy.deepcopy(networks[0])]
        self._skeleton = [copy.deepcopy(networks[0]).to("meta")]

    def train(self, mode: bool = True) -> NetworkStack:
        """Set training mode; the skeleton the stacked weights run through follows (BatchNorm reads it)."""
        super().train(mode)
        if self.members is None:
            self._skeleton[0].train(mode)
        return self

    def _weights(self) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        params = dict(zip(self.param_names, self.stacked_params, strict=True))
        buffers = {name: getattr(self, f"stacked_buffer_{i}") for i, name in enumerate(self.buffer_names)}
        return params, buffers

    def forward(self, x: Tensor, shared: bool = False) -> tuple[Tensor, Tensor]:
        """``(x_hat, z)`` of every network, each with a leading dimension of K.

        Args:
            x: ``(K, B, ...)``, network k's own rows in ``x[k]``; or ``(B, ...)`` with ``shared``.
            shared: Send the same rows through every network (scoring, validation). Defaults to ``False``.
        """
        if self.members is not None:
            outputs = [member(prepare_input(member, x if shared else x[k])) for k, member in enumerate(self.members)]
            return torch.stack([x_hat for x_hat, _ in outputs]), torch.stack([z for _, z in outputs])
        skeleton = self._skeleton[0]

        def one(params: dict[str, Tensor], buffers: dict[str, Tensor], rows: Tensor) -> tuple[Tensor, Tensor]:
            return functional_call(skeleton, (params, buffers), (rows,))

        params, buffers = self._weights()
        return torch.vmap(one, in_dims=(0, 0, None if shared else 0))(params, buffers, x)

    def state(self, k: int) -> dict[str, Tensor]:
        """Network k's weights as its own ``state_dict`` (cloned: a checkpoint)."""
        if self.members is not None:
            return {name: value.detach().clone() for name, value in self.members[k].state_dict().items()}
        params, buffers = self._weights()
        return {name: value[k].detach().clone() for name, value in {**params, **buffers}.items()}

    @torch.no_grad()
    def load_state(self, k: int, state: dict[str, Tensor]) -> None:
        """Put a ``state_dict`` of one network (e.g. a checkpoint of :meth:`state`) into slot k."""
        if self.members is not None:
            self.members[k].load_state_dict(state)
            return
        params, buffers = self._weights()
        for name, value in {**params, **buffers}.items():
            value[k].copy_(state[name])

    def network(self, k: int) -> nn.Module:
        """Network k as a module: the member itself where the stack keeps modules, else a copy on its device."""
        if self.members is not None:
            return self.members[k]
        device = self.stacked_params[0].device
        network = copy.deepcopy(self._template[0]).to(device)
        network.load_state_dict(self.state(k))
        return network.train(self.training)


def grid_from_seed(
    build: Callable[[], nn.Module], size: int, seed: int,
) -> tuple[NetworkStack, list[torch.Generator]]:
    """A grid whose networks differ only in β: one network built from ``seed``, ``size`` copies, batches drawn alike.

    Returns the stack of the copies and one batch generator per network, each seeded with
    ``seed``; the caller's random state is left untouched.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        network = build()
    stack = NetworkStack([network] + [copy.deepcopy(network) for _ in range(size - 1)])
    return stack, [torch.Generator().manual_seed(seed) for _ in range(size)]


__all__ = ["NetworkStack", "grid_from_seed"]
