# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""K networks of one architecture as one model: stacked weights and one vectorised forward.

``beta="auto"`` trains one network per β, and a grid of seeds one per seed. Trained one
after another they cost K fits; stacked (``torch.func.stack_module_state``) and run
through ``torch.vmap`` they run as one model whose every operator works on K networks at
once, while each network keeps its own weights, BatchNorm statistics and (in the
training loop) its own batches. A network trained in a grid and alone with the same seed
get the same weights up to rounding (``tests/core/test_stack.py`` states the tolerance).

Networks can leave training (:meth:`NetworkStack.set_active`, e.g. the βs ``beta="auto"``
stops early): the running ones are laid out anew, so the others cost nothing and keep their
weights.

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
        self.active: list[int] = list(range(self.size))
        """The networks that run (train, score), in order; :meth:`set_active` changes it."""
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
        self._solo: list[nn.Module] = []  # one network left running: a module holding the stacked tensors
        self._resting: dict[int, dict[str, Tensor]] = {}  # the weights of the networks that do not run

    def train(self, mode: bool = True) -> NetworkStack:
        """Set training mode; the skeleton the stacked weights run through follows (BatchNorm reads it)."""
        super().train(mode)
        if self.members is None:
            self._skeleton[0].train(mode)
            for solo in self._solo:
                solo.train(mode)
        return self

    def _weights(self) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        params = dict(zip(self.param_names, self.stacked_params, strict=True))
        buffers = {name: getattr(self, f"stacked_buffer_{i}") for i, name in enumerate(self.buffer_names)}
        return params, buffers

    def forward(self, x: Tensor, shared: bool = False) -> tuple[Tensor, Tensor]:
        """``(x_hat, z)`` of every active network, each with a leading dimension of ``len(active)``.

        Args:
            x: ``(A, B, ...)``, active network a's own rows in ``x[a]``; or ``(B, ...)`` with ``shared``.
            shared: Send the same rows through every network (scoring, validation). Defaults to ``False``.
        """
        if self.members is not None or self._solo:
            modules = [self.members[k] for k in self.active] if self.members is not None else self._solo
            outputs = [m(prepare_input(m, x if shared else x[a])) for a, m in enumerate(modules)]
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
        if k in self._resting:
            return {name: value.clone() for name, value in self._resting[k].items()}
        a = self.active.index(k)
        params, buffers = self._weights()
        return {name: _slot(value, a, self._solo).detach().clone() for name, value in {**params, **buffers}.items()}

    @torch.no_grad()
    def load_state(self, k: int, state: dict[str, Tensor]) -> None:
        """Put a ``state_dict`` of one network (e.g. a checkpoint of :meth:`state`) into slot k."""
        if self.members is not None:
            self.members[k].load_state_dict(state)
            return
        if k in self._resting:
            self._resting[k] = {name: state[name].detach().clone() for name in self._resting[k]}
            return
        a = self.active.index(k)
        params, buffers = self._weights()
        for name, value in {**params, **buffers}.items():
            _slot(value, a, self._solo).copy_(state[name])

    def network(self, k: int) -> nn.Module:
        """Network k as a module: the member itself where the stack keeps modules, else a copy on its device."""
        if self.members is not None:
            return self.members[k]
        device = self.stacked_params[0].device
        network = copy.deepcopy(self._template[0]).to(device)
        network.load_state_dict(self.state(k))
        return network.train(self.training)

    @torch.no_grad()
    def set_active(self, networks: Sequence[int], optimizer: torch.optim.Optimizer | None = None) -> None:
        """Run only ``networks`` from now on; the others keep their weights and cost nothing.

        Stacked networks are laid out anew, as new parameters, for the ones that run (one
        left runs as a plain module): pass the optimizer that trains them and it trains the
        new parameters, its state (Adam's moments) laid out alike, so training goes on as before.

        Raises:
            ValueError: no network, one outside the stack, or an optimizer with networks that were not running.
        """
        keep = sorted(set(networks))
        if not keep or keep[0] < 0 or keep[-1] >= self.size:
            msg = f"set_active needs network indices in [0, {self.size - 1}], got {list(networks)}."
            raise ValueError(msg)
        if optimizer is not None and not set(keep) <= set(self.active):
            msg = "set_active can lay out an optimizer's state only for networks that were running."
            raise ValueError(msg)
        if self.members is not None or keep == self.active:  # modules: the ones not running get no gradient
            self.active = keep
            return
        states = {k: self.state(k) for k in range(self.size)}
        positions = [self.active.index(k) for k in keep] if optimizer is not None else []
        one_ran = len(self.active) == 1

        def lay_out_moment(moment: Tensor) -> Tensor:  # an optimizer's per-parameter state, laid out as the weights
            stacked = moment.unsqueeze(0) if one_ran else moment
            return _lay_out([stacked[a] for a in positions])

        for i, (name, old) in enumerate(zip(self.param_names, self.stacked_params, strict=True)):
            new = nn.Parameter(_lay_out([states[k][name] for k in keep]))
            if optimizer is not None:
                _move_state(optimizer, old, new, lay_out_moment)
            self.stacked_params[i] = new
        for i, name in enumerate(self.buffer_names):
            setattr(self, f"stacked_buffer_{i}", _lay_out([states[k][name] for k in keep]))
        params, buffers = self._weights()
        self.active = keep
        self._resting = {k: states[k] for k in range(self.size) if k not in keep}
        self._solo = []
        if len(keep) == 1:  # a plain module holding the same tensors (vmap over one network costs ~2×)
            solo = copy.deepcopy(self._skeleton[0])
            for name, value in {**params, **buffers}.items():
                _install(solo, name, value)
            self._solo = [solo.train(self.training)]


def _lay_out(values: list[Tensor]) -> Tensor:
    """One network's tensor as it is (one running), else the networks' tensors stacked."""
    return values[0].clone() if len(values) == 1 else torch.stack(values)


def _move_state(
    optimizer: torch.optim.Optimizer,
    old: nn.Parameter,
    new: nn.Parameter,
    lay_out: Callable[[Tensor], Tensor],
) -> None:
    """Let ``optimizer`` train ``new`` in place of ``old``, its per-parameter state laid out by ``lay_out``."""
    for group in optimizer.param_groups:
        group["params"] = [new if p is old else p for p in group["params"]]
    if old in optimizer.state:
        state = optimizer.state.pop(old)
        optimizer.state[new] = {
            key: lay_out(value) if isinstance(value, Tensor) and value.dim() > 0 else value
            for key, value in state.items()
        }


def _slot(value: Tensor, a: int, solo: list[nn.Module]) -> Tensor:
    """The running network a's part of a stacked tensor (the whole tensor when one runs alone)."""
    return value if solo else value[a]


def _install(module: nn.Module, name: str, value: Tensor) -> None:
    """Put ``value`` (a parameter or a buffer) at the dotted ``name`` of ``module``, replacing what is there."""
    owner_name, _, leaf = name.rpartition(".")
    owner = module.get_submodule(owner_name)
    if isinstance(value, nn.Parameter):
        owner.register_parameter(leaf, value)
    else:
        owner.register_buffer(leaf, value)


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
