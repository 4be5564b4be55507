"""The β-without-labels study on tiny data: each script's ``main`` runs in seconds; the default is the package's."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from anomalib_toll.protocol.beta import BETA_GRID, MIN_EVIDENCE_PAIRS
from studies.beta_without_labels import baselines, images, label_free, policies, tables
from tests.data.writers import table

ROOT = Path(__file__).parents[2]
TABLES = ("1_alpha", "2_beta")
EARLIER_RULE = "select adbench_mix on 0,1,10,100,1000 (the rule before choose_beta)"


@pytest.fixture(scope="module")
def tables_run(tmp_path_factory):
    """Two ADBench-like tables and the study's networks on them: every β of the package's grid, seed 0."""
    root = tmp_path_factory.mktemp("beta_study")
    data = root / "Classical"
    data.mkdir()
    for seed, name in enumerate(TABLES):
        x, y = table(n=300, shift=1.5, seed=seed)
        np.savez(data / f"{name}.npz", X=x, y=y)
    out = root / "out"
    tables.main(["--data", str(data), "--out", str(out), "--seeds", "0", "--betas", *(f"{b:g}" for b in BETA_GRID)])
    return data, out


def test_tables_store_each_rows_parts_and_the_package_synthetic_validation(tables_run):
    data, out = tables_run
    assert sorted(f.name for f in out.glob("*.npz")) == sorted(
        f"{name}__clean__s0__b{b:g}.npz" for name in TABLES for b in BETA_GRID
    )
    stored = np.load(out / "1_alpha__clean__s0__b10.npz")
    source = np.load(data / "1_alpha.npz")
    fit_rows, x_test, _ = tables.split_rows(source["X"], source["y"], 0, "clean")
    assert len(stored["held"]) + len(stored["train"]) == len(fit_rows)  # held out + trained = the rows fitted on
    assert stored["test"].shape == (len(x_test), 2)
    assert stored["syn_package"].shape == stored["held"].shape  # one anomaly per held-out row, as beta="auto" makes
    assert all(np.isfinite(stored[key]).all() for key in stored.files)


def test_tables_resume_without_training_again(tables_run, capsys):
    data, out = tables_run
    before = {f: f.stat().st_mtime_ns for f in out.glob("*.npz")}
    tables.main(["--data", str(data), "--out", str(out), "--seeds", "0", "--betas", *(f"{b:g}" for b in BETA_GRID)])
    assert capsys.readouterr().out == ""
    assert {f: f.stat().st_mtime_ns for f in out.glob("*.npz")} == before


def parts(scores):
    """Stored parts whose Toll score is ``scores`` at every β (‖z‖ = 0)."""
    return np.stack([scores, np.zeros_like(scores)], axis=1)


def nets_where_beta_10_separates_better(pairs):
    """Stored arrays per β: β = 10 tells synthetic anomalies (and test anomalies) apart far better than the others."""
    rng = np.random.default_rng(0)
    y_test = np.repeat([0, 1], 50)
    nets = {}
    for b in BETA_GRID:
        shift = 3.0 if b == 10.0 else 0.3
        synthetic = parts(rng.normal(size=pairs) + 5 + shift)
        nets[b] = {
            "held": parts(rng.normal(size=pairs) + 5),
            "train": parts(rng.normal(size=4 * pairs) + 5),
            "test": parts(rng.normal(size=100) + 5 + shift * y_test),
            "y_test": y_test,
        } | {f"syn_{kind}": synthetic for kind in ("package", "adbench_mix", "scaled_1.5", "local_1", "global",
                                                  "local5", "dependency", "clustered")}
    return nets


@pytest.mark.parametrize(("pairs", "package_beta"), [(MIN_EVIDENCE_PAIRS - 10, 0.0), (200, 10.0)])
def test_the_default_policy_is_the_package_rule_and_the_earlier_rule_an_alternative(pairs, package_beta):
    """With too few held-out rows the package keeps β = 0 where the highest AUROC picks β = 10; with enough, both 10."""
    out = policies.policies(nets_where_beta_10_separates_better(pairs), default=10.0)
    assert out["fixed 10"] > out["fixed 0"]
    assert out[policies.DEFAULT_POLICY] == out[f"fixed {package_beta:g}"]
    assert out[EARLIER_RULE] == out["fixed 10"]


def test_policies_print_each_family_and_the_leave_one_out(tables_run, capsys):
    _, out = tables_run
    policies.main([str(out), "--show", policies.DEFAULT_POLICY])
    text = capsys.readouterr().out
    assert f"## classical, protocol clean: {len(TABLES)} tables, seeds 1" in text
    assert f"| {policies.DEFAULT_POLICY} | " in text
    assert f"- {policies.DEFAULT_POLICY}: alpha " in text  # --show lists it per table
    assert "## leave one data set out, protocol clean" in text


def test_baselines_score_knn_and_iforest_on_the_same_splits(tables_run, capsys):
    data, _ = tables_run
    baselines.main(["--data", str(data), "--seeds", "0"])
    means = dict(re.findall(r"== Classical (\w+ \w+): mean ([\d.]+) over 2 tables", capsys.readouterr().out))
    assert sorted(means) == ["adbench iforest", "adbench knn", "clean iforest", "clean knn"]
    assert all(50 < float(value) <= 100 for value in means.values())  # anomalies shifted 1.5 stds: better than chance


def test_images_store_each_checkpoint_and_policies_report_the_package_choice(tmp_path, capsys):
    out = tmp_path / "images"
    images.main(["--dataset", "digits", "--classes", "8", "--betas", "0", "10", "--iterations", "4",
                 "--batch_size", "16", "--eval_every", "2", "--out", str(out)])
    stored = np.load(out / "digits_c8__s0__b10__it4.npz")
    for checkpoint in ("paper", "clean", "synthetic"):
        assert stored[f"{checkpoint}__syn_package"].shape == stored[f"{checkpoint}__held"].shape
    capsys.readouterr()
    policies.main(["--images", str(out)])
    text = capsys.readouterr().out
    # digits holds fewer held-out images of class 8 than choose_beta needs to weigh evidence: it keeps β = 0
    assert len(stored["synthetic__held"]) < MIN_EVIDENCE_PAIRS
    assert re.search(r"\| beta='auto' \(choose_beta on the package's mix\) \| - \| 0 \| [\d.]+ \|", text)
    assert "| the package's mix, highest AUROC (the rule before choose_beta) |" in text


def test_label_free_prints_each_criterion_and_the_auto_choice(tmp_path, capsys):
    label_free.main(["--dataset", "digits", "--classes", "3", "--iterations", "4", "--batch_size", "16",
                     "--eval_every", "2", "--beta_grid", "0", "10", "--workers", "1", "--output", str(tmp_path)])
    text = capsys.readouterr().out
    assert re.search(r"^3\s+0\s+[\d.]+ ± ", text, re.MULTILINE)
    assert re.search(r"^3\s+10\s+[\d.]+ ± ", text, re.MULTILINE)
    assert re.search(r"^3\s+auto .* β chosen per seed: (0|10);", text, re.MULTILINE)
    assert "RESULT label_free dataset=digits cells=1 " in text


def test_a_study_runs_as_a_module_from_the_repository_root():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "studies.beta_without_labels.policies", "--help"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "every candidate policy" in done.stdout
