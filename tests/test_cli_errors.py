"""The command line's errors: one line naming the problem, exit 2 for usage, before any cell trains."""

import subprocess
import sys
import traceback
import warnings
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

from anomalib_toll.benchmark import grid
from anomalib_toll.cli import main
from anomalib_toll.cli_errors import error_line, error_path, exit_status, split_debug

USER = "tests.benchmark.user_detector"


@pytest.fixture(scope="module")
def bad_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folders a new user might point the command at: damaged tables, a non-image, a file as output."""
    root = tmp_path_factory.mktemp("bad")
    good = {"X": np.random.default_rng(0).normal(size=(40, 3)), "y": np.r_[np.zeros(36), np.ones(4)]}
    (root / "cut").mkdir()
    np.savez(root / "cut" / "good.npz", **good)
    np.savez(root / "cut" / "cut.npz", **good)
    data = (root / "cut" / "cut.npz").read_bytes()
    (root / "cut" / "cut.npz").write_bytes(data[: len(data) // 2])
    (root / "zeros").mkdir()
    np.savez(root / "zeros" / "t.npz", X=good["X"], y=np.zeros(40))
    (root / "nan").mkdir()
    np.savez(root / "nan" / "t.npz", X=np.full((40, 3), np.nan), y=good["y"])
    (root / "nokeys").mkdir()
    np.savez(root / "nokeys" / "t.npz", data=good["X"])
    (root / "empty").mkdir()
    for sub in ("normal", "abnormal"):
        (root / "images" / sub).mkdir(parents=True)
        from PIL import Image

        for i in range(4):
            Image.fromarray(np.full((8, 8), 40 * i, np.uint8)).save(root / "images" / sub / f"{i}.png")
    (root / "images" / "normal" / "notes.png").write_text("not an image")
    (root / "a_file").write_text("")
    (root / "foreign").mkdir()
    (root / "foreign" / "summary.md").write_text("my own notes")
    (root / "mnist_bad" / "mnist").mkdir(parents=True)
    (root / "mnist_bad" / "mnist" / "mnist.npz").write_bytes(b"PK\x03\x04 cut")
    return root


FAST = ["--iterations", "5", "--eval_every", "5", "--batch_size", "8"]
# (what the user typed after ``anomalib-toll``, a piece of the one-line message). {root}: the bad_data folder.
BAD_INPUTS = [
    (["benchmark", "--dataset", "svhn"], "dataset must be one of"),
    (["benchmark", "--models", "nosuchmodel"], "unknown model 'nosuchmodel'"),
    (["benchmark", "--models", "pyod.models.nosuch.Nope"], "cannot import model class"),
    (["benchmark", "--models", ""], "models must name at least one model"),
    (["benchmark", "--models", "iforest", "--model_args", '{"iforest": {"n_estimatorz": 5}}'], "n_estimatorz"),
    (["benchmark", "--models", "iforest", "--model_args", '{"iforest": {"n_estimators": "ten"}}'],
     "model 'iforest' with model_args"),
    (["benchmark", "--models", "ocsvm", "--model_args", '{"ocsvm": {"kernel": "bogus"}}'], "kernel"),
    (["benchmark", "--models", "padim", "--model_args", '{"padim": {"backbone": "nosuchnet"}}'], "nosuchnet"),
    (["benchmark", "--models", "iforest", "--model_args", '{"ocsvm": {"nu": 0.1}}'], "not among the models"),
    (["benchmark", "--models", "toll", "--model_args", '{"toll": {"latent_dim": 0}}'], "latent_dim must be"),
    (["benchmark", "--models", "toll", "--model_args", '{"toll": {"beta": -1}}'], "beta must be"),
    (["benchmark", "--models", "toll", "--model_args", '{"toll": {"norm": 7}}'], "norm"),
    (["benchmark", "--models", "fitymi_toll", "--model_args", '{"fitymi_toll": {"pre_trained": false, "norm": 3}}'],
     "norm must be 1, 2 or 'inf' (the paper's Table 8), got 3"),
    (["benchmark", "--models", "fitymi_toll", "--classes", "[3]", "--model_args",
      '{"fitymi_toll": {"pre_trained": false, "epochs": 1}}'],
     ("model 'fitymi_toll' on digits: fake_source='perlin' needs images of at least 17 x 17 pixels (anomalib's "
      "Perlin noise), got 8 x 8; use fake_source='cutpaste'")),
    (["benchmark", "--models", "toll", "--model_args", '{"toll": {"protocol": "clean"}}'], "the grid's own"),
    (["benchmark", "--models", "iforest,pyod.models.iforest.IForest"], "both named 'iforest'"),
    (["benchmark", "--models", "iforest", "--classes", "[99]"], "classes must be in 0..9"),
    (["benchmark", "--models", "iforest", "--classes", "[1]", "--category", "x"], "not both"),
    (["benchmark", "--models", "iforest", "--image_size", "16"], "takes no data option image_size"),
    (["benchmark", "--models", "iforest", "--seeds", "0"], "seeds must be an integer >= 1"),
    (["benchmark", "--models", "iforest", "--iterations", "0"], "iterations must be an integer >= 1"),
    (["benchmark", "--models", "iforest", "--batch_size", "0"], "batch_size must be an integer >= 1"),
    (["benchmark", "--models", "iforest", "--workers", "0"], "workers must be an integer >= 1"),
    (["benchmark", "--models", "iforest", "--workers", "-3"], "workers must be an integer >= 1"),
    (["benchmark", "--models", "iforest", "--device", "bogus"], "device='bogus' is not a torch device"),
    (["benchmark", "--models", "iforest", "--device", "cuda:99"], "device='cuda:99': "),
    *([(["benchmark", "--models", "iforest", "--executor", "ray"], "needs Ray")] if find_spec("ray") is None else []),
    (["benchmark", "--dataset", "mnist", "--data_root", "{root}/nowhere"], "Could not find mnist"),
    (["benchmark", "--dataset", "mnist", "--data_root", "{root}/mnist_bad"], "mnist.npz is not a readable"),
    (["benchmark", "--dataset", "mvtec", "--category", "bottlee"], "no category ['bottlee']"),
    (["benchmark", "--dataset", "tabular"], "needs data_root"),
    (["benchmark", "--dataset", "tabular", "--data_root", "{root}/empty"], "no .mat or .npz file"),
    (["benchmark", "--dataset", "tabular", "--data_root", "{root}/cut"], "cut.npz: not a readable .npz file"),
    (["benchmark", "--dataset", "tabular", "--data_root", "{root}/cut", "--category", "nope.npz"], "nope.npz"),
    (["benchmark", "--dataset", "tabular", "--data_root", "{root}/zeros"], "both labels 0 (normal) and 1"),
    (["benchmark", "--dataset", "tabular", "--data_root", "{root}/nan"], "NaN or infinite"),
    (["benchmark", "--dataset", "tabular", "--data_root", "{root}/nokeys"], "no X or y in the file"),
    (["benchmark", "--dataset", "folder", "--data_root", "{root}/images"], "notes.png: not an image Pillow"),
    (["benchmark", "--dataset", "folder", "--data_root", "{root}/empty"], "no images in"),
    (["benchmark", "--models", "iforest", "--output", "{root}/a_file"], "is a file, not a folder"),
    (["benchmark", "--models", "iforest", "--output", "{root}/foreign"], "summary.md, which anomalib-toll did not"),
    (["run", "--classes", "[10]"], "classes must be in 0..9"),
    (["run", "--seeds", "0"], "seeds must be an integer >= 1"),
    (["run", "--lr", "0"], "lr must be a finite number > 0"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS, ids=[" ".join(a[1:])[:60] for a, _ in BAD_INPUTS])
def test_bad_input_is_one_line_naming_it_before_any_cell(args, message, bad_data, tmp_path, monkeypatch, capsys):
    def no_cell(*args, **kwargs):
        msg = "a cell started: the input should have been refused before any work"
        raise AssertionError(msg)

    monkeypatch.setattr(grid, "execute", no_cell)
    monkeypatch.delenv("ANOMALIB_TOLL_DATA", raising=False)  # the user gave no data root unless the case does
    argv = [a.replace("{root}", str(bad_data)) for a in args]
    if "--output" not in argv:
        argv += ["--output", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as exit_:
        main([argv[0], *FAST, *argv[1:]])  # the bad value comes last: it wins
    stderr = capsys.readouterr().err
    lines = [line for line in stderr.splitlines() if line.startswith("anomalib-toll: error:")]
    assert exit_.value.code == 2, stderr
    assert len(lines) == 1, stderr
    assert message in stderr, stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "out").exists()  # nothing written, not even an empty folder


def test_the_console_script_prints_one_line_and_debug_a_traceback(tmp_path):
    """In a fresh process, where importing anomalib's models is what makes timm and anomalib warn."""
    command = [sys.executable, "-m", "anomalib_toll.cli", "benchmark", "--models", "nosuchmodel", "--output",
               str(tmp_path / "o")]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr  # no FutureWarning of timm or anomalib before it
    assert lines[0].startswith("anomalib-toll: error: unknown model 'nosuchmodel'")
    debug = subprocess.run([*command, "--debug"], capture_output=True, text=True, check=False)
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr
    assert "nosuchmodel" in debug.stderr


def test_library_future_warnings_are_not_printed_and_others_are():
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with error_path():
            for module in ("timm.models.layers", "anomalib.models.image.dinomaly.components.layers", "mine"):
                warnings.warn_explicit(f"{module} is deprecated", FutureWarning, f"{module}.py", 1, module=module)
    assert [str(w.message) for w in shown] == ["mine is deprecated"]


def test_debug_shows_where_the_failing_cell_failed(tmp_path, capsys):
    with pytest.raises(grid.BenchmarkError) as err:
        main(["benchmark", "--models", f"{USER}.Boom", "--classes", "[0]", "--output", str(tmp_path / "o"), "--debug"])
    shown = "".join(traceback.format_exception(err.value))
    assert 'user_detector.py", line' in shown
    assert "in fit" in shown
    assert "RuntimeError: boom on" in shown
    assert "in the cell boom class 0 seed 0" in shown  # which cell, when several failed
    assert "1 cell(s) failed" in shown  # and the grid's own error after it
    capsys.readouterr()


def test_usage_errors_exit_2_and_failed_runs_exit_1():
    class CellsFailedError(RuntimeError):
        exit_status = 1

    assert exit_status(FileNotFoundError("no data")) == 2
    assert exit_status(CellsFailedError("2 cell(s) failed")) == 1
    assert exit_status(KeyboardInterrupt()) == 130
    assert exit_status(ZeroDivisionError()) == 1
    assert error_line(ZeroDivisionError("x")) == (
        "anomalib-toll: error: ZeroDivisionError: x (rerun with --debug for the traceback)")
    assert split_debug(["benchmark", "--debug"])[0] == ["benchmark"]


def test_debug_from_the_environment(monkeypatch):
    monkeypatch.setenv("ANOMALIB_TOLL_DEBUG", "1")
    assert split_debug(["run"]) == (["run"], True)


def test_an_input_warning_is_one_line_said_once(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "t.npz", X=rng.normal(size=(60, 3)), y=np.r_[np.zeros(50), np.ones(10)])
    (tmp_path / "notes.csv").write_text("x")
    command = [sys.executable, "-m", "anomalib_toll.cli", "benchmark", "--dataset", "tabular", "--data_root",
               str(tmp_path), "--models", "iforest", "--output", str(tmp_path / "out")]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    warned = [line for line in proc.stderr.splitlines() if "skipping" in line]  # the folder is listed three times
    expected = f"{tmp_path}: skipping notes.csv: the tabular dataset reads only .mat and .npz files (X, y)."
    assert warned == [f"anomalib-toll: warning: {expected}"]
