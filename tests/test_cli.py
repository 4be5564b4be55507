"""The anomalib-toll console script."""

import json
import subprocess
import sys


def run_cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "anomalib_toll.cli", *args], capture_output=True, text=True, **kwargs)


def test_run_compares_toll_with_its_ablation_and_writes_json(tmp_path):
    out = tmp_path / "cells.json"
    proc = run_cli("run", "--dataset", "digits", "--classes", "[1]", "--seeds", "2", "--iterations", "20",
                   "--eval_every", "10", "--batch_size", "32", "--with_beta0", "true", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "toll/1" in proc.stdout and "toll_beta0/1" in proc.stdout and "(n=2)" in proc.stdout
    cells = json.loads(out.read_text())
    assert {(c["model"], c["seed"]) for c in cells} == {("toll", 0), ("toll", 1), ("toll_beta0", 0), ("toll_beta0", 1)}


def test_run_accepts_a_yaml_config(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("dataset: digits\nclasses: [4]\niterations: 10\neval_every: 5\nbatch_size: 16\n")
    proc = run_cli("run", "--config", str(config))
    assert proc.returncode == 0, proc.stderr
    assert "toll/4" in proc.stdout


def test_bad_choice_is_named(tmp_path):
    proc = run_cli("run", "--dataset", "svhn")
    assert proc.returncode != 0 and "dataset" in proc.stderr
