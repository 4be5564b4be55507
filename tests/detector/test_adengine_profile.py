"""Toll in ADEngine's automatic plan: the shipped evidence, and the script that regenerates it from results."""

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from anomalib_toll.benchmark import ResultStore
from anomalib_toll.detector.adengine import TOLL_PROFILE, load_profile, toll_adengine
from anomalib_toll.record import Row
from tests.data.writers import write_adbench

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def script() -> ModuleType:
    """``bench/adengine_profile.py``, loaded once and run in this process (its ``main`` takes the command line)."""
    spec = importlib.util.spec_from_file_location("adengine_profile", ROOT / "bench" / "adengine_profile.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def candidates(plan: dict) -> list[str]:
    return [plan["detector_name"], *(a["detector_name"] for a in plan["alternatives"])]


def low_dim_table(n: int = 800, d: int = 8) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(n, d))


def test_the_shipped_evidence_puts_toll_among_the_automatic_plans_candidates():
    evidence = load_profile(TOLL_PROFILE)
    assert evidence["rules"], "the shipped profile has no routing rule for Toll"
    engine = toll_adengine()
    profile = engine.profile_data(low_dim_table())
    plan = engine.plan_detection(profile, top_k=20)
    assert "Toll" in candidates(plan)
    toll = next(p for p in [plan, *plan["alternatives"]] if p["detector_name"] == "Toll")
    assert toll["evidence"] == [evidence["benchmark"]]
    assert engine.get_benchmarks(evidence["benchmark"])[evidence["benchmark"]]["seeds"] >= 1
    assert engine.explain_detector("Toll")["benchmark_refs"] == [evidence["benchmark"]]
    # the evidence reaches no speed-priority plan, and an engine without it never plans Toll
    assert "Toll" not in candidates(engine.plan_detection(profile, priority="speed", top_k=20))
    assert "Toll" not in candidates(toll_adengine(profile=None).plan_detection(profile, top_k=20))


def write_results(folder: Path, toll_auroc: float, tables: int = 10) -> None:
    """Tables × 3 seeds: Toll at ``toll_auroc`` beside IForest 0.8, KNN 0.75, ECOD 0.7 (and the ablation).

    The ``1e-4 * k * m`` term makes every pair's per-table differences distinct: without ties SciPy's
    Wilcoxon test takes its exact distribution (the same p-values) instead of a slow permutation test.
    """
    store = ResultStore(folder)
    models = {"toll": toll_auroc, "toll_beta0": 0.99, "iforest": 0.8, "knn": 0.75, "ecod": 0.7}
    for k in range(tables):
        for seed in range(3):
            for m, (model, value) in enumerate(models.items()):
                v = value + 0.01 * k + 0.001 * seed + 1e-4 * k * m
                store.append(Row("adbench", k, seed, model, "paper", "auroc", v, v, 1.0, 0.1, 100.0,
                                 f"{model} settings", "", key=f"{k}-{seed}-{model}", class_name=f"t{k + 1}",
                                 family="classical", versions="pyod x"))


@pytest.mark.parametrize(
    ("toll_auroc", "tables", "first"),
    [
        (0.9, 10, True),  # best on all 10 tables: Friedman and Wilcoxon-Holm (p = 4 × 2/2^10) separate it
        (0.9, 6, False),  # best on 6 tables only: the best rank, but no test can separate it (Holm's p ≥ 0.19)
        (0.6, 10, False),
    ],
)
def test_the_script_turns_a_results_folder_into_evidence_the_plan_follows(
    script, capsys, tmp_path, toll_auroc, tables, first,
):
    root = write_adbench(tmp_path / "datasets", classical=tables)
    write_results(tmp_path / "results", toll_auroc, tables)
    out = tmp_path / "profile.json"
    code = script.main(["--results", str(tmp_path / "results"), "--data_root", str(root), "--output", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err[-3000:]
    assert "left out of the evidence: toll_beta0" in printed.out  # an ablation is no ADEngine detector
    evidence = json.loads(out.read_text())
    entry = evidence["entry"]
    assert entry["n_datasets"] == tables
    assert entry["seeds"] == 3
    assert [d["name"] for d in entry["datasets"]] == [f"t{k}" for k in range(1, tables + 1)]
    assert entry["rankings"]["overall_by_average_rank"][0] == ("Toll" if toll_auroc > 0.8 else "IForest")
    engine = toll_adengine(profile=out)
    plan = engine.plan_detection(engine.profile_data(low_dim_table(120, 6)), top_k=20)
    assert "Toll" in candidates(plan)
    assert (plan["detector_name"] == "Toll") is first  # first only where it beats the rule's detectors significantly
