# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
r"""Toll's evidence for PyOD's ADEngine, from a bridge results folder on ADBench tables.

Reads ``results.json`` of ``anomalib-toll benchmark --dataset adbench ...`` and writes
``anomalib_toll/detector/toll_profile.json``, which :func:`anomalib_toll.detector.adengine.register_toll`
loads into an engine's knowledge base the way PyOD stores its detectors' evidence:

* a ``benchmarks`` entry (scope, data sets, detectors, ranking, key finding, plus the
  protocol, seeds, versions, Toll's settings, the command and every data set's results);
* Toll's ``benchmark_refs`` and ``benchmark_rank`` (its place by average rank);
* routing rules beside PyOD's: for each of PyOD's tabular rules (speed-priority ones
  excepted: Toll trains a network, and its rules ask for priority ``balanced`` or
  ``accuracy``) whose conditions at least ``MIN_DATASETS`` measured tables meet (profiled
  by ``ADEngine.profile_data`` on the whole table), a rule with the same conditions
  recommending Toll. Its confidence places Toll among that rule's own detectors on those
  tables: just above the best-confidence detector it beats significantly (the Friedman test
  rejects and Wilcoxon-Holm separates them, as in ``cd.png``), else below all the measured
  ones (a candidate, not a pick: a better average rank alone is no evidence).

Example:
    $ anomalib-toll benchmark --dataset adbench --data_root ../shared/data/adbench --category classical \\
        --models toll,iforest,ecod,knn,ocsvm --seeds 3 --protocol adbench --output results/adbench_dev_unsupervised
    $ python bench/adengine_profile.py --results results/adbench_dev_unsupervised --data_root ../shared/data/adbench
    $ bash bench/adbench_dev.sh ../shared/data/adbench   # both grids of docs/results.md, then this
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anomalib_toll.benchmark import ResultStore
from anomalib_toll.data import get_dataset
from anomalib_toll.detector.adengine import TOLL_NAME, TOLL_PROFILE
from anomalib_toll.report.significance import ALPHA, compare, format_p
from anomalib_toll.runners.pyod import PYOD_MODELS

if TYPE_CHECKING:
    from anomalib_toll.record import Row

BENCHMARK = "anomalib_toll_ADBench"
MIN_DATASETS = 3  # fewer tables meeting a rule's conditions: no rule for Toll there
BELOW = 0.05  # how far below the rule's measured detectors Toll goes when it out-ranks none
ABOVE = 0.01  # how far above the detector it out-ranks
NOT_FOR_SPEED = {"field": "priority", "op": "in", "value": ["balanced", "accuracy"]}  # Toll trains a network


def engine_names() -> dict[str, str]:
    """The bridge's model names → ADEngine's detector names (``iforest`` → ``IForest``, ``toll`` → ``Toll``)."""
    return {"toll": TOLL_NAME, **{short: path.rsplit(".", 1)[1] for short, path in PYOD_MODELS.items()}}


def ordered(rows: list[Row]) -> list[Row]:
    """The rows of detectors ADEngine knows (``toll_beta0``, an ablation, is none): Toll first, then by name.

    Data sets stay in grid order.
    """
    names = engine_names()
    keep = [r for r in rows if r.model in names]
    return sorted(keep, key=lambda r: (r.normal_class, r.seed, r.model != "toll", names[r.model]))


def profiles(rows: list[Row], data_root: str | None) -> dict[str, dict[str, Any]]:
    """ADEngine's ``profile_data`` of each whole table the rows name."""
    from pyod.utils.ad_engine import ADEngine

    spec = get_dataset(rows[0].dataset)
    engine = ADEngine()
    out = {}
    for name in dict.fromkeys(r.class_name for r in rows):
        data = spec.read(data_root, download=False, category=name)
        if not isinstance(data, tuple):  # an image set: ADEngine's tabular profile does not apply
            msg = f"dataset {spec.name!r} holds images, not tables: pass the results of a tabular data set."
            raise TypeError(msg)
        out[name] = engine.profile_data(data[0], data_type="tabular")
    return out


def matches(conditions: list[dict[str, Any]], profile: dict[str, Any]) -> bool:
    """Whether a table's profile meets a rule's conditions, its priority aside (PyOD's own condition check)."""
    from pyod.utils._kb_router import rule_matches

    return rule_matches({"conditions": [c for c in conditions if c["field"] != "priority"]}, profile, "")


def toll_rules(rows: list[Row], tables: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Toll's routing rules: one beside each of PyOD's tabular rules the evidence covers (see the module)."""
    from pyod.utils.knowledge import KnowledgeBase

    names = engine_names()
    rules = []
    for rule in KnowledgeBase().routing_rules["rules"]:
        conditions = rule["conditions"]
        if {"field": "data_type", "op": "eq", "value": "tabular"} not in conditions or any(
            c["field"] == "priority" and c["value"] == "speed" for c in conditions
        ):
            continue
        covered = {name for name, profile in tables.items() if matches(conditions, profile)}
        comparison = compare([r for r in rows if r.class_name in covered])
        if len(comparison.datasets) < MIN_DATASETS:
            continue
        rank = {names.get(m, m): float(v) for m, v in zip(comparison.models, comparison.average_ranks, strict=True)}
        measured = {r["detector"]: r["confidence"] for r in rule["recommendations"] if r["detector"] in rank}
        if TOLL_NAME not in rank or not measured:
            continue
        # out-ranked with significance (Friedman, then Wilcoxon-Holm: the cd.png bars), never by a rank gap alone
        index = [names.get(m, m) for m in comparison.models]
        toll, separated = index.index(TOLL_NAME), comparison.tied_matrix < ALPHA
        beaten = [c for d, c in measured.items() if separated[toll, index.index(d)] and rank[TOLL_NAME] < rank[d]]
        confidence = max(beaten) + ABOVE if beaten else min(measured.values()) - BELOW
        order = ", ".join(f"{d} {rank[d]:.2f}" for d in sorted(rank, key=rank.__getitem__))
        friedman = comparison.friedman
        test = f"Friedman p {format_p(friedman.p)}" if friedman.p is not None else friedman.reason
        rules.append({
            "id": f"toll_{rule['id']}",
            "conditions": [*conditions, NOT_FOR_SPEED],
            "recommendations": [{"detector": TOLL_NAME, "params": {}, "confidence": round(min(confidence, 0.99), 3)}],
            "reason": (
                f"anomalib-toll's ADBench evidence on the {len(comparison.datasets)} tables where PyOD's rule "
                f"'{rule['id']}' applies: average AUROC rank {order} ({test}; see the benchmark entry for the "
                f"pairwise tests); "
                + (f"placed above {', '.join(d for d, c in measured.items() if c in beaten)}, which it beats "
                   "significantly" if beaten else "placed below this rule's measured detectors: it beats none "
                   "significantly")
            ),
            "evidence": [BENCHMARK],
        })
    return rules


def profile(rows: list[Row], data_root: str | None, command: str) -> dict[str, Any]:
    """The knowledge-base fragment :func:`anomalib_toll.detector.adengine.register_toll` loads."""
    names = engine_names()
    tables = profiles(rows, data_root)
    comparison = compare(rows)
    ranks = {names.get(m, m): round(float(v), 3) for m, v in zip(comparison.models, comparison.average_ranks,
                                                                  strict=True)}
    ranking = sorted(ranks, key=ranks.__getitem__)
    toll_pairs = [p for p in comparison.pairs if TOLL_NAME in {names.get(p.a), names.get(p.b)}]
    significant = [f"{names.get(p.a, p.a)} vs {names.get(p.b, p.b)}" for p in toll_pairs if p.significant]
    friedman = comparison.friedman
    datasets = []
    for k, name in enumerate(comparison.datasets):
        datasets.append({
            "name": name,
            "family": next(r.family for r in rows if r.class_name == name),
            "n_samples": tables[name]["n_samples"],
            "n_features": tables[name]["n_features"],
            "auroc_mean": {names.get(m, m): round(float(v), 2) for m, v in zip(comparison.models,
                                                                               comparison.means[k], strict=True)},
            "auroc_std": {names.get(m, m): round(float(v), 2) for m, v in zip(comparison.models,
                                                                              comparison.spreads[k], strict=True)},
        })
    toll_settings = sorted({r.settings for r in rows if r.model == "toll"})
    entry = {
        "paper": {"id": "adbench", "short": "Han et al., NeurIPS 2022 (data); measured by anomalib-toll"},
        "scope": "tabular",
        "n_datasets": len(comparison.datasets),
        "n_algorithms": len(comparison.models),
        "rankings": {"overall_by_average_rank": ranking},
        "average_rank": ranks,
        "key_finding": (
            f"Toll ranks {ranking.index(TOLL_NAME) + 1} of {len(ranking)} by average AUROC rank over "
            f"{len(comparison.datasets)} ADBench tables ({comparison.seeds} seeds); Friedman "
            + (f"p {format_p(friedman.p)}" if friedman.p is not None else f"not run: {friedman.reason}")
            + "; Toll's pairwise differences significant at "
            + f"α = {ALPHA} (Wilcoxon, Holm): {', '.join(significant) if significant else 'none'}"
        ),
        "protocol": f"{rows[0].protocol} (anomalib-toll's split of each table; metric AUROC on the test rows)",
        "metric": rows[0].metric,
        "seeds": comparison.seeds,
        "toll_settings": toll_settings,
        "versions": sorted({r.versions for r in rows})[-1],
        "command": command,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d"),
        "pairwise_toll": [
            {"a": names.get(p.a, p.a), "b": names.get(p.b, p.b), "wins": p.wins, "ties": p.ties, "losses": p.losses,
             "p_holm": None if p.test.p is None else round(p.test.p, 4)} for p in toll_pairs
        ],
        "datasets": datasets,
    }
    return {
        "benchmark": BENCHMARK,
        "entry": entry,
        "benchmark_rank": {f"{BENCHMARK}_overall": ranking.index(TOLL_NAME) + 1},
        "rules": toll_rules(rows, tables),
    }


def main(argv: list[str] | None = None) -> int:
    """Read the results folder, write the profile, print what it says."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, required=True, help="a bridge results folder (results.json)")
    parser.add_argument("--data_root", default=None, help="the ADBench datasets folder the results were measured on")
    parser.add_argument("--output", type=Path, default=TOLL_PROFILE, help="default: the profile shipped in the package")
    args = parser.parse_args(argv)
    stored = [r for r in ResultStore(args.results).rows() if r.dataset in {"adbench", "tabular"}]
    if "toll" not in {r.model for r in stored}:
        print(f"adengine_profile: error: no toll results on ADBench tables in {args.results}", file=sys.stderr)
        return 1
    rows = ordered(stored)
    left_out = sorted({r.model for r in stored} - {r.model for r in rows})
    command = (
        f"anomalib-toll benchmark --dataset {rows[0].dataset} --models {','.join(dict.fromkeys(r.model for r in rows))}"
        f" --protocol {rows[0].protocol} --seeds {len({r.seed for r in rows})} "
        f"(tables: {', '.join(dict.fromkeys(r.class_name for r in rows))})"
    )
    if left_out:
        print(f"not ADEngine detectors, left out of the evidence: {', '.join(left_out)}")
    out = profile(rows, args.data_root, command)
    args.output.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"{args.output}: {out['entry']['key_finding']}")
    for rule in out["rules"]:
        print(f"  rule {rule['id']}: Toll at confidence {rule['recommendations'][0]['confidence']}: {rule['reason']}")
    if not out["rules"]:
        print(f"  no rule: no PyOD tabular rule is met by ≥ {MIN_DATASETS} measured tables")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
