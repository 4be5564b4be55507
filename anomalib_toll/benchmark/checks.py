# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Every check of a grid that needs more than a signature, done once before any cell trains.

The device is resolved once; a name listed twice runs once (said so); the number of
workers, the output folder and the models' arguments are proved usable. A model's
arguments are bound to its signature when its adapter is made; here each model given
arguments is also built (anomalib) or fitted on a few of the grid's own training rows
(PyOD, whose constructors store arguments unchecked, as scikit-learn's do), so that a
value of the wrong type or an unknown backbone stops the grid before its first cell,
not after others trained.

Example:
    >>> fold_duplicates("classes", [3, 3, 5])  # doctest: +SKIP
    [3, 5]
    >>> check_workers(0)
    Traceback (most recent call last):
    ...
    ValueError: workers must be an integer >= 1, got 0.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from anomalib_toll.core.checks import check_positive_int
from anomalib_toll.core.devices import check_device as check_torch_device
from anomalib_toll.notices import InputWarning
from anomalib_toll.protocol import Budget
from anomalib_toll.runners import AnomalibRunner, FitymiRunner, PyODRunner

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from anomalib_toll.protocol import OneClassSplit
    from anomalib_toll.runners import Runner

T = TypeVar("T")
TRIAL_ROWS = 512  # training rows a PyOD model with arguments is fitted on before the grid runs
TRIAL_BUDGET = Budget(iterations=1, batch_size=8, eval_every=1)  # deep PyOD models: one short epoch
# Files a run writes into its output folder, besides the store (results.jsonl) and scores/.
EXPORTS = ("results.csv", "results.json", "summary.md", "bars.png", "roc.png", "histograms.png")


def fold_duplicates(name: str, values: Iterable[T]) -> list[T]:
    """``values`` in order, each once; a value listed more than once is said (an ``InputWarning``)."""
    values = list(values)
    unique = list(dict.fromkeys(values))
    if repeated := [v for v in unique if values.count(v) > 1]:
        listed = ", ".join(repr(v) for v in repeated)
        warnings.warn(f"{name} lists {listed} more than once: each runs once.", InputWarning, stacklevel=2)
    return unique


def check_workers(workers: int | None, executor: str = "local") -> int | None:
    """``None`` (the default per data set) or a whole number of processes >= 1; Ray installed for ``"ray"``."""
    if executor == "ray" and "ray" not in sys.modules and importlib.util.find_spec("ray") is None:
        msg = "executor='ray' needs Ray: pip install 'anomalib-toll[ray]' (or use --executor local)."
        raise ImportError(msg)
    return None if workers is None else check_positive_int("workers", workers)


def check_device(device: str | None) -> str | None:
    """The device, once: a torch device this machine has (``None``: CUDA when available, decided by each model).

    The check is TollDetector's too (:func:`anomalib_toll.core.devices.check_device`), with the flag's fix.

    Raises:
        ValueError: not a device name, or a device this machine does not have (named, with what it has).
    """
    if device is None or device in {"auto", "cpu"}:
        return device
    check_torch_device(device, fix="use --device cpu, cuda, cuda:N or mps, or leave it unset (CUDA when available)")
    return device


def check_output(output: Path) -> None:
    """Refuse an ``output`` that is a file, or a folder holding results this tool did not write.

    A folder of this tool's has ``results.jsonl`` (the store) beside its exports; exports
    without it are someone else's and are not overwritten.

    Raises:
        NotADirectoryError: ``output`` is a file.
        FileExistsError: the folder holds exports but no store (the files are named).
    """
    output = Path(output)
    if output.exists() and not output.is_dir():
        msg = f"output {output} is a file, not a folder; pass a folder to --output (it is made if missing)."
        raise NotADirectoryError(msg)
    foreign = [name for name in EXPORTS if (output / name).exists()] if output.is_dir() else []
    if foreign and not (output / "results.jsonl").exists():
        msg = (
            f"output {output} holds {', '.join(foreign)}, which anomalib-toll did not write (no results.jsonl "
            "beside them) and would overwrite; pass another --output, or move them away."
        )
        raise FileExistsError(msg)


def check_distinct_models(models: Sequence[str], runners: Sequence[Runner]) -> None:
    """Two spellings of one model (``iforest``, ``pyod.models.iforest.IForest``) would share a column: refuse."""
    seen: dict[str, str] = {}
    for model, runner in zip(models, runners, strict=True):
        if runner.name in seen:
            msg = (
                f"models {seen[runner.name]!r} and {model!r} are both named {runner.name!r} in the results; "
                "list the model once."
            )
            raise ValueError(msg)
        seen[runner.name] = model


def check_model_arguments(model: str, runner: Runner, options: dict[str, Any], split: OneClassSplit) -> None:
    """Build an anomalib model, or fit a PyOD model on a few training rows, with the arguments given.

    Models without arguments are not tried (their defaults are the library's); the
    global random state is left as it was. FITYMI's images are checked against its fake source.

    Raises:
        ValueError: the model refused its arguments, or FITYMI's fakes cannot be made of the
            split's images; the message names the model, the arguments and the library's own complaint.
    """
    if isinstance(runner, FitymiRunner):
        runner.check_images(split)  # fakes need images of some size: known once the data are read
    if not options or not (isinstance(runner, PyODRunner) or type(runner) is AnomalibRunner):
        return  # Toll and FITYMI check their arguments when their adapters are made
    tried = f"fitted on {min(len(split.x_train), TRIAL_ROWS)} training rows" if isinstance(
        runner, PyODRunner) else "built"
    try:
        _try_model(runner, split)
    except Exception as err:
        msg = f"model {model!r} with model_args {options}: {type(err).__name__}: {err} ({tried} before any cell)."
        raise ValueError(msg) from err


def _try_model(runner: AnomalibRunner | PyODRunner, split: OneClassSplit) -> None:
    """Fit (PyOD) or build (anomalib) once, quietly, leaving the global random states as they were."""
    import torch

    state = np.random.get_state()  # noqa: NPY002  the legacy global state is what a library may reseed
    try:
        with warnings.catch_warnings(), torch.random.fork_rng():
            warnings.simplefilter("ignore")
            if isinstance(runner, PyODRunner):
                runner.fit(replace(split, x_train=split.x_train[:TRIAL_ROWS]), 0, TRIAL_BUDGET)
            else:
                build_anomalib_model(runner)
    finally:
        np.random.set_state(state)  # noqa: NPY002


def build_anomalib_model(runner: AnomalibRunner) -> object:
    """The anomalib model the runner would train, with its arguments (no data, no training)."""
    import inspect

    params = dict(runner.kwargs)
    if "pre_trained" in inspect.signature(runner.cls).parameters:
        params.setdefault("pre_trained", runner.pre_trained)
    return runner.cls(evaluator=False, visualizer=False, **params)
