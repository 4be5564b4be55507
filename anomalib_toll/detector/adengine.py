# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""Toll in PyOD's ``ADEngine``: its knowledge-base entry, its benchmark evidence, and an engine that knows both.

``ADEngine`` builds only detectors its knowledge base lists with ``"status": "shipped"``;
PyOD's bundled base does not list Toll. :data:`TOLL_KB_ENTRY` is the entry (tabular data,
``anomalib_toll.detector.TollDetector``), and :func:`toll_adengine` returns an engine whose
knowledge base holds it, so ``make_plan(["Toll"])`` and ``run_detection`` work.

``ADEngine``'s automatic plan (``plan_detection``) chooses by routing rules backed by
benchmark evidence. :data:`TOLL_PROFILE` (package data, written by
``bench/adengine_profile.py`` from a bridge run on ADBench tables) holds Toll's: a
``benchmarks`` entry (protocol, seeds, versions, Toll's settings, per-data-set AUROC,
the tests), Toll's ``benchmark_rank`` and routing rules beside PyOD's, whose confidence
places Toll among each PyOD rule's detectors by its measured rank. :func:`register_toll`
loads it, so the automatic plan considers Toll where that evidence reaches. Everything is
added to that engine's own knowledge base only: PyOD's files and other engines are left
as they are.

Example:
    >>> import numpy as np
    >>> from anomalib_toll.detector.adengine import toll_adengine
    >>> engine = toll_adengine(random_state=0)
    >>> plan = engine.make_plan(["Toll"], params=[{"epoch_num": 2, "verbose": 0}])
    >>> X = np.random.default_rng(0).normal(size=(100, 4))
    >>> engine.run_detection(X, plan)["scores_train"].shape
    (100,)

See Also:
    :class:`anomalib_toll.detector.TollDetector`; ``pyod.utils.ad_engine.ADEngine``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyod.utils.ad_engine import ADEngine

if TYPE_CHECKING:
    import os

TOLL_NAME = "Toll"
"""The name ``ADEngine`` knows Toll by (``make_plan(["Toll"])``)."""

TOLL_PAPER_ID = "toll"

TOLL_PROFILE = Path(__file__).with_name("toll_profile.json")
"""Toll's benchmark evidence for ``ADEngine`` (see the module docstring; ``bench/adengine_profile.py`` writes it)."""

TOLL_PAPER: dict[str, str] = {
    "title": "Targeted collapse regularized autoencoder for anomaly detection: black hole at the center",
    "authors": "Ghafourian et al.",
}
"""The paper, as an entry of the knowledge base's ``papers`` table."""

TOLL_KB_ENTRY: dict[str, Any] = {
    "class_path": "anomalib_toll.detector.TollDetector",
    "full_name": "Targeted Collapse Regularized Autoencoder (Toll)",
    "status": "shipped",
    "data_types": ["tabular"],
    "category": "deep_learning",
    "complexity": {
        "time": "O(n * d * h * epochs) where h is hidden size",
        "space": "O(d * h)",
    },
    "strengths": [
        (
            "Scores by reconstruction error plus the norm of the latent code, so anomalies that the decoder "
            "reconstructs well still stand out by a code far from the origin"
        ),
        "One extra term on a plain autoencoder: same network, same cost per step",
        "Threshold taken on rows held out from training, so predict() flags about `contamination` of unseen rows",
    ],
    "weaknesses": [
        "Needs training data that are (mostly) normal",
        "beta, the weight of the latent-norm term, needs choosing (the paper's values range from 10 to 1000)",
        "Training time grows with epochs and network size, unlike shallow detectors",
    ],
    "best_for": "Tabular data with mostly normal training rows and nonlinear structure, where a plain autoencoder "
    "misses anomalies it reconstructs well",
    "avoid_when": "Training rows are heavily contaminated, or the data set is small and a shallow detector suffices",
    "benchmark_refs": [],
    "benchmark_rank": {},
    "paper": {"id": TOLL_PAPER_ID, "short": "Ghafourian et al."},
    "default_params": {"contamination": 0.1},
    "preprocessing_mode": "external",
    "requires": ["torch", "anomalib-toll"],
    "version_added": "anomalib-toll 0.1.0",
}
"""Toll's ``ADEngine`` knowledge-base entry: the fields of PyOD's ``algorithms.json`` entries (its benchmark
fields are filled from :data:`TOLL_PROFILE` when registered)."""


def load_profile(profile: str | os.PathLike = TOLL_PROFILE) -> dict[str, Any]:
    """Toll's evidence: ``benchmark`` (its name), ``entry``, ``benchmark_rank`` and ``rules``.

    Raises:
        ValueError: a file without those keys (the message names the file and how to regenerate it).
    """
    evidence = json.loads(Path(profile).read_text(encoding="utf-8"))
    if missing := sorted({"benchmark", "entry", "benchmark_rank", "rules"} - set(evidence)):
        msg = f"{profile}: no {', '.join(missing)}; regenerate it with bench/adengine_profile.py."
        raise ValueError(msg)
    return evidence


def register_toll(engine: ADEngine, profile: str | os.PathLike | None = TOLL_PROFILE) -> ADEngine:
    """Add Toll's entry, its paper and its benchmark evidence to ``engine``'s knowledge base.

    Only this engine's knowledge base changes; an entry already named ``Toll`` is replaced.

    Args:
        engine (ADEngine): The engine to extend.
        profile (str | os.PathLike | None): Toll's evidence (:func:`load_profile`): its
            benchmark entry, rank and routing rules. ``None`` adds the entry alone (``plan_detection``
            then never picks Toll). Defaults to :data:`TOLL_PROFILE`.

    Returns:
        ADEngine: The same engine, for chaining.

    Example:
        >>> from pyod.utils.ad_engine import ADEngine
        >>> register_toll(ADEngine()).explain_detector("Toll")["status"]
        'shipped'
    """
    entry = copy.deepcopy(TOLL_KB_ENTRY)
    if profile is not None:
        evidence = copy.deepcopy(load_profile(profile))
        engine.kb.benchmarks[evidence["benchmark"]] = evidence["entry"]
        entry["benchmark_refs"] = [evidence["benchmark"]]
        entry["benchmark_rank"] = evidence["benchmark_rank"]
        rules = engine.kb.routing_rules["rules"]
        ids = {rule["id"] for rule in evidence["rules"]}
        rules[:] = [rule for rule in rules if rule["id"] not in ids] + evidence["rules"]  # registering twice: once
    engine.kb.algorithms[TOLL_NAME] = entry
    engine.kb.papers.setdefault(TOLL_PAPER_ID, dict(TOLL_PAPER))
    return engine


def toll_adengine(
    knowledge_dir: str | None = None, random_state: int | None = None,
    profile: str | os.PathLike | None = TOLL_PROFILE,
) -> ADEngine:
    """A PyOD ``ADEngine`` whose knowledge base lists Toll as a shipped tabular detector, with its evidence.

    Args:
        knowledge_dir (str | None): ``ADEngine``'s knowledge directory; ``None`` takes PyOD's
            bundled one. Defaults to ``None``.
        random_state (int | None): Seed the engine passes to each detector it builds
            (``TollDetector``'s ``random_state``). Defaults to ``None``.
        profile (str | os.PathLike | None): Toll's benchmark evidence (see :func:`register_toll`).
            Defaults to :data:`TOLL_PROFILE`.

    Returns:
        ADEngine: The engine, with ``Toll`` registered.

    Example:
        >>> engine = toll_adengine()
        >>> engine.make_plan(["Toll", "IForest"])["detector_name"]
        'Toll'
    """
    return register_toll(ADEngine(knowledge_dir=knowledge_dir, random_state=random_state), profile)


__all__ = ["TOLL_KB_ENTRY", "TOLL_NAME", "TOLL_PROFILE", "load_profile", "register_toll", "toll_adengine"]
