"""The anomalib-toll console script."""

import json
import subprocess
import sys


def run_cli(*args, **kwargs):
    command = [sys.executable, "-m", "anomalib_toll.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)


def test_run_is_the_benchmark_grid_with_toll_and_its_ablation(tmp_path):
    out = tmp_path / "run"
    args = ("run", "--dataset", "digits", "--classes", "[1]", "--seeds", "2", "--iterations", "20",
            "--eval_every", "10", "--batch_size", "32", "--with_beta0", "true", "--latent_dim", "8",
            "--output", str(out))
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    assert "| normal class | toll | toll_beta0 |" in proc.stdout
    assert "2 seed(s)" in proc.stdout
    cells = json.loads((out / "results.json").read_text())
    assert {(c["model"], c["seed"]) for c in cells} == {("toll", 0), ("toll", 1), ("toll_beta0", 0), ("toll_beta0", 1)}
    assert all("latent_dim=8" in c["settings"] for c in cells)
    again = run_cli(*args)  # same store: resumed, nothing recomputed, same numbers
    assert again.returncode == 0
    assert json.loads((out / "results.json").read_text()) == cells


def test_run_accepts_a_yaml_config(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("dataset: digits\nclasses: [4]\niterations: 10\neval_every: 5\nbatch_size: 16\n")
    proc = run_cli("run", "--config", str(config), "--output", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "| 4 |" in proc.stdout


def test_bad_choice_is_named(tmp_path):
    proc = run_cli("run", "--dataset", "svhn")
    assert proc.returncode != 0
    assert "dataset" in proc.stderr
