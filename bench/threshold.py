# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Does ``predict()`` hold on unseen rows? Share of test normals and anomalies flagged, and AUROC.

Issue 12, case 6: fitted on the 450 normal rows of PyOD's ``generate_data``, the former default
``TollDetector`` (a (256, 128) network, threshold from its own training scores) flagged 82 % of the
test normals at ``contamination=0.1``. This prints, for each data set, the mean over seeds of

* ``normals``: the share of test normals ``predict()`` flags (goal: <= 2 x contamination = 0.2),
  with the worst seed beside it;
* ``anomalies``: the share of test anomalies it flags;
* ``AUROC`` of ``decision_function`` on the test rows;
* ``fit s``: seconds per fit (on whatever machine runs this),

for TollDetector (the default, and the former default when ``--before``), PyOD's AutoEncoder and
IForest, all at PyOD's ``contamination=0.1`` and their default settings.

Data:

* ``generate_data``: ``pyod.utils.data.generate_data(n_train=500, n_test=500, n_features=10,
  contamination=0.1, random_state=s)`` for each seed ``s``;
* ``generate_data offset=2``: the same with ``offset=2`` (normals and anomalies overlap more);
* ``arrhythmia``: ODDS Arrhythmia (452 x 274, 14.6 % anomalies) from
  ``anomalib_toll.data.load_arrhythmia`` (``$ANOMALIB_TOLL_DATA`` or ``--data_root``), fixed
  splits ``train_test_split(test_size=0.4, stratify=y, random_state=s)`` for the same seeds ``s``
  (60 % to train on, 40 % to test: 155 normals and 26 anomalies); skipped without data.

Scenarios (``--scenario``):

* ``clean`` (the issue's): fit on the normal rows of the training split;
* ``contaminated`` (PyOD's own setting): fit on every training row, anomalies included; the table
  adds ``train anomalies``, the share of the training anomalies that ``labels_`` flags.

Each detector runs with ``random_state=0`` (IForest) or its default seed (the autoencoders), the
same on every data seed. CPU, one process, one torch thread unless ``--threads`` says otherwise (these
networks are too small to gain from more, and on a busy machine OpenMP waits then dominate the timings).

Usage:
    ANOMALIB_TOLL_DATA=../shared/data python bench/threshold.py [--seeds 5] [--before] [--threads 1]
    ANOMALIB_TOLL_DATA=../shared/data python bench/threshold.py --before --scenario clean contaminated
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np
from pyod.utils.data import generate_data
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

CONTAMINATION = 0.1


class Detector(Protocol):
    """What is used of a PyOD detector here."""

    threshold_: float
    labels_: np.ndarray

    def fit(self, X: np.ndarray) -> object:  # ruff: ignore[invalid-argument-name] - PyOD spells it X
        """Fit on the rows of ``X``."""

    def decision_function(self, X: np.ndarray) -> np.ndarray:  # ruff: ignore[invalid-argument-name] - PyOD spells it X
        """Anomaly scores of the rows of ``X``."""


@dataclass
class Split:
    """One train/test split: the rows a detector fits on depend on the scenario."""

    group: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@dataclass
class Tally:
    """Per-seed results of one detector on one data set group."""

    normals: list[float] = field(default_factory=list)
    anomalies: list[float] = field(default_factory=list)
    auroc: list[float] = field(default_factory=list)
    train_anomalies: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def detectors(*, before: bool) -> dict[str, Callable[[], Detector]]:
    """The detectors compared, by name, as factories (a fresh detector per fit)."""
    from pyod.models.auto_encoder import AutoEncoder
    from pyod.models.iforest import IForest

    from anomalib_toll.detector import TollDetector

    out: dict[str, Callable[[], Detector]] = {"TollDetector (default)": lambda: TollDetector(verbose=0)}
    if before:
        out["TollDetector (former default)"] = lambda: TollDetector(
            hidden_dims=(256, 128), validation_fraction=0.0, verbose=0,
        )
    out["PyOD AutoEncoder"] = lambda: AutoEncoder(verbose=0)
    out["PyOD IForest"] = lambda: IForest(random_state=0)
    return out


def splits(seeds: int, data_root: str | None) -> Iterator[Split]:
    """``generate_data`` at each seed, its ``offset=2`` variant, then Arrhythmia's fixed splits if present."""
    for group, extra in (("generate_data", {}), ("generate_data offset=2", {"offset": 2})):
        for seed in range(seeds):
            x_train, x_test, y_train, y_test = generate_data(
                n_train=500, n_test=500, n_features=10, contamination=CONTAMINATION, random_state=seed, **extra,
            )
            yield Split(group, x_train, y_train.astype(int), x_test, y_test.astype(int))
    from anomalib_toll.data import load_arrhythmia

    try:
        x, y = load_arrhythmia(data_root)
    except FileNotFoundError as err:
        print(f"arrhythmia skipped: {err}")
        return
    for seed in range(seeds):
        x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.4, stratify=y, random_state=seed)
        yield Split("arrhythmia", x_train, y_train, x_test, y_test)


def run(scenario: str, seeds: int, data_root: str | None, *, before: bool) -> dict[tuple[str, str], Tally]:
    """Fit every detector on every split; tally what ``predict`` flags and the AUROC."""
    tallies: dict[tuple[str, str], Tally] = {}
    makers = detectors(before=before)
    for split in splits(seeds, data_root):
        keep = split.y_train == 0 if scenario == "clean" else np.ones(len(split.y_train), dtype=bool)
        for name, make in makers.items():
            det = make()
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # PyOD's deprecation notes
                det.fit(split.x_train[keep])
            seconds = time.perf_counter() - start
            scores = det.decision_function(split.x_test)
            flagged = scores > det.threshold_  # what predict() returns
            tally = tallies.setdefault((split.group, name), Tally())
            tally.normals.append(float(flagged[split.y_test == 0].mean()))
            tally.anomalies.append(float(flagged[split.y_test == 1].mean()))
            tally.auroc.append(float(roc_auc_score(split.y_test, scores)))
            tally.seconds.append(seconds)
            if scenario == "contaminated":
                tally.train_anomalies.append(float(det.labels_[split.y_train == 1].mean()))
    return tallies


def table(scenario: str, tallies: dict[tuple[str, str], Tally]) -> str:
    """A Markdown table: means over seeds, the worst seed's share of normals flagged beside the mean."""
    extra = " train anomalies |" if scenario == "contaminated" else ""
    lines = [
        f"| data | detector | seeds | normals flagged (worst) | anomalies flagged | AUROC |{extra} fit s |",
        "|---|---|---|---|---|---|" + ("---|" if extra else "") + "---|",
    ]
    for (group, name), t in tallies.items():
        cells = [
            group, name, str(len(t.normals)),
            f"{np.mean(t.normals):.3f} ({np.max(t.normals):.3f})",
            f"{np.mean(t.anomalies):.3f}",
            f"{np.mean(t.auroc):.4f}",
        ]
        if extra:
            cells.append(f"{np.mean(t.train_anomalies):.3f}")
        cells.append(f"{np.mean(t.seconds):.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, dict[tuple[str, str], Tally]]:
    """Parse the flags (``argv``: ``sys.argv[1:]`` when ``None``), run each scenario and print its table.

    Returns:
        Each scenario's tallies by (data set group, detector name).
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", type=int, default=5, help="generate_data seeds 0..N-1 (default 5)")
    parser.add_argument("--data_root", default=None, help="folder holding arrhythmia/ (default $ANOMALIB_TOLL_DATA)")
    parser.add_argument("--before", action="store_true", help="also run the former default (256, 128), no hold-out")
    parser.add_argument("--scenario", nargs="+", default=["clean"], choices=["clean", "contaminated"])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: steady timings)")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds must be >= 1, got {args.seeds}")
    if args.threads < 1:
        parser.error(f"--threads must be >= 1, got {args.threads}")
    import torch

    torch.set_num_threads(args.threads)  # small MLPs gain nothing from more; OpenMP waits dominate a busy machine
    results = {}
    for scenario in args.scenario:
        results[scenario] = tallies = run(scenario, args.seeds, args.data_root, before=args.before)
        fitted_on = "the normal training rows" if scenario == "clean" else "every training row, anomalies included"
        print(f"\n### {scenario}: fitted on {fitted_on}; contamination={CONTAMINATION}\n")
        print(table(scenario, tallies))
    return results


if __name__ == "__main__":
    main()
