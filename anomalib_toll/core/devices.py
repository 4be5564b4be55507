# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Whether this machine has the torch device asked for, said before any work: one check for every surface.

Without it torch fails at the first tensor moved to a missing device ("Found no NVIDIA
driver"), after the data were read, and names neither the argument nor the fix.
TollDetector (``device=``) and the command line (``--device``) both call
:func:`check_device`, each with the fix spelled as its users write it.

Example:
    >>> check_device("cpu")
    device(type='cpu')
    >>> check_device("bogus")
    Traceback (most recent call last):
    ...
    ValueError: device='bogus' is not a torch device (...); use device='cpu', 'cuda', 'cuda:N' or 'mps', ...
"""

from __future__ import annotations

import torch

from anomalib_toll.core.training import resolve_device

DEVICE_FIX = "use device='cpu', 'cuda', 'cuda:N' or 'mps', or leave device=None (CUDA when available)"


def check_device(device: object, fix: str = DEVICE_FIX) -> torch.device:
    """``device`` resolved (``None``/``"auto"``: CUDA when available) once this machine is seen to have it.

    Args:
        device: A torch device or its name; ``"gpu"`` is CUDA, as Lightning spells it.
        fix: What to do instead, as the caller's users spell it. Defaults to the Python argument's.

    Raises:
        ValueError: not a torch device, or one this machine lacks; the message names ``device`` and the fix.
    """
    try:
        resolved = resolve_device(device)  # type: ignore[arg-type]
    except (RuntimeError, TypeError, ValueError) as err:
        msg = f"device={device!r} is not a torch device ({err}); {fix}."
        raise ValueError(msg) from None
    if lacking := _lacking(resolved):
        msg = f"device={device!r}: {lacking}; {fix}."
        raise ValueError(msg)
    return resolved


def _lacking(device: torch.device) -> str:
    """What this machine lacks to compute on ``device``; ``""`` when it has it."""
    if device.type == "cuda" and not torch.cuda.is_available():
        return "torch sees no CUDA device here (torch.cuda.is_available() is False)"
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        return f"this machine has {torch.cuda.device_count()} CUDA device(s)"
    if device.type == "mps" and not torch.backends.mps.is_available():
        return "torch sees no MPS device on this machine"
    return ""
