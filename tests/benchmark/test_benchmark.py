"""The benchmark bridge: outputs, resume after a kill, paper-style tables, adapters."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from anomalib_toll.benchmark import BenchmarkError, ResultStore, Row, run_benchmark
from anomalib_toll.cli import main
from anomalib_toll.protocol import Budget, make_split
from anomalib_toll.report import summary_markdown, summary_table
from anomalib_toll.runners import PyODRunner, make_runner

TINY = Budget(iterations=20, batch_size=32, eval_every=10)


def benchmark_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "anomalib_toll.benchmark", *args]


def csv_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_minimal_command_writes_every_output(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        benchmark_cli("--dataset", "digits", "--classes", "[0, 1]", "--models", "toll,iforest,ocsvm", "--seeds", "2",
                      "--iterations", "20", "--batch_size", "32", "--eval_every", "10", "--output", str(out)),
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "bars.png", "histograms.png", "results.csv", "results.json", "results.jsonl", "roc.png", "scores", "summary.md",
    ]
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert len(rows) == 2 * 2 * 3
    assert len(json.loads((out / "results.json").read_text())) == 12
    assert set(rows[0]) >= {"dataset", "normal_class", "seed", "model", "protocol", "metric", "value",
                            "fit_seconds", "score_seconds", "peak_rss_mb"}
    assert {r["model"] for r in rows} == {"toll", "iforest", "ocsvm"}
    toll = next(r for r in rows if r["model"] == "toll")  # what was actually used is recorded
    assert (toll["batch_size"], toll["precision"], toll["device"], toll["input_shape"]) == ("32", "32", "cpu", "1x8x8")
    assert "beta=10," in toll["settings"]
    assert "torch " in toll["versions"]
    assert int(toll["n_test_normal"]) + int(toll["n_test_anomalous"]) == 540
    assert all(0.0 <= float(r["value"]) <= 1.0 and float(r["peak_rss_mb"]) > 0 for r in rows)
    assert "| Average |" in (out / "summary.md").read_text()


def test_killed_run_resumes_without_losing_or_repeating_cells(tmp_path):
    out = tmp_path / "out"
    args = benchmark_cli("--dataset", "digits", "--classes", "[0, 1, 2]", "--models", "toll,iforest", "--seeds", "2",
                         "--iterations", "40", "--batch_size", "32", "--eval_every", "10", "--workers", "1",
                         "--output", str(out))
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    results = out / "results.csv"
    deadline = time.monotonic() + 600  # generous: a loaded CI machine is slow, not wrong
    while time.monotonic() < deadline and proc.poll() is None and (not results.exists() or len(csv_lines(results)) < 3):
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed mid-grid"
    os.killpg(proc.pid, signal.SIGKILL)  # mid-grid, possibly mid-write
    proc.wait()
    before = ResultStore(out).rows()
    assert 2 <= len(before) < 12, f"the kill should land mid-grid, found {len(before)} finished cells"

    main(["benchmark", *args[3:]])  # the same command again, in this process: no second interpreter to start
    after = ResultStore(out).rows()
    keys = [(r.normal_class, r.seed, r.model) for r in after]
    assert len(keys) == len(set(keys)) == 3 * 2 * 2  # every cell once
    assert after[: len(before)] == before  # earlier results kept as written


def test_same_seed_gives_the_same_numbers(tmp_path):
    runs = [
        run_benchmark(
            "digits", ["toll", "iforest"], tmp_path / name, classes=[3], seeds=[1], budget=TINY, progress=False,
        )
        for name in ("a", "b")
    ]
    assert [(r.model, r.value) for r in runs[0]] == [(r.model, r.value) for r in runs[1]]


def test_rerun_with_another_budget_reports_only_its_own_cells(tmp_path):
    run_benchmark("digits", ["iforest"], tmp_path, classes=[0], seeds=[0], budget=TINY, progress=False)
    rows = run_benchmark("digits", ["toll"], tmp_path, classes=[0], seeds=[0], budget=TINY, progress=False)
    assert [r.model for r in rows] == ["toll"]
    assert len(list(csv.DictReader((tmp_path / "results.csv").open()))) == 2


def row(normal_class: int, seed: int, model: str, value: float) -> Row:
    return Row("digits", normal_class, seed, model, "paper", "auroc", value, value, 1.0, 0.1, 100.0, "s", "")


def test_summary_shows_mean_std_bold_best_and_average():
    rows = [row(0, 0, "toll", 0.90), row(0, 1, "toll", 0.80), row(0, 0, "iforest", 0.70), row(0, 1, "iforest", 0.70),
            row(1, 0, "toll", 0.50), row(1, 1, "toll", 0.50), row(1, 0, "iforest", 0.60), row(1, 1, "iforest", 0.80)]
    lines = summary_table(rows, "value", class_names=("zero", "one")).splitlines()
    assert lines[0] == "| normal class | toll | iforest |"
    assert lines[2] == "| zero | **85.0 ± 5.0** | 70.0 ± 0.0 |"
    assert lines[3] == "| one | 50.0 ± 0.0 | **70.0 ± 10.0** |"
    assert lines[4] == "| Average | 67.5 | **70.0** |"
    summary = summary_markdown(rows, "digits")
    assert "2 seed(s)" in summary
    assert summary.count("## AUROC") == 1  # AUROC is already the metric: no second table


def test_f1_summary_adds_an_auroc_table():
    rows = [Row("arrhythmia", 0, 0, "toll", "paper", "f1", 0.6, 0.8, 1.0, 0.1, 100.0, "s", "")]
    summary = summary_markdown(rows, "arrhythmia")
    assert "## F1 (top 15 % of test scores flagged)" in summary
    assert "## AUROC" in summary
    assert "**80.0 ± 0.0**" in summary


def test_unknown_model_is_named_before_any_work(tmp_path):
    with pytest.raises(ValueError, match=r"unknown model 'svdd2'.*pyod.models.lof.LOF"):
        run_benchmark("digits", ["toll", "svdd2"], tmp_path, budget=TINY, progress=False)
    assert not (tmp_path / "results.csv").exists()


def test_any_pyod_detector_by_class_path(tmp_path):
    rows = run_benchmark("digits", ["pyod.models.lof.LOF"], tmp_path, classes=[0], budget=TINY, progress=False)
    assert rows[0].model == "lof"
    assert rows[0].value > 0.8


def test_pyod_runner_standardises_tabular_rows_only():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3)) * np.array([1.0, 1e4, 1e-3])
    split = make_split("digits", 0)
    tabular = type(split)("t", 0, x.astype(np.float32), x[:5], np.zeros(5), x[:5], np.zeros(5), "auroc")
    runner = make_runner("iforest").fit(tabular, 0, TINY)
    np.testing.assert_allclose(runner._rows(x).std(axis=0), 1.0, rtol=1e-4)
    assert make_runner("iforest").fit(split, 0, TINY).scaler is None  # images: already normalised


def test_toll_runners_name_the_ablation():
    assert [make_runner(n).name for n in ("toll", "toll_beta0")] == ["toll", "toll_beta0"]
    assert make_runner("toll", beta=0.0).name == "toll_beta0"


def test_toll_takes_every_hyperparameter_through_model_args(tmp_path):
    args = {"toll": {"latent_dim": 8, "lr": 0.01, "norm": 1, "beta": 2.0}}
    rows = run_benchmark("digits", ["toll"], tmp_path, classes=[0], budget=TINY, progress=False, model_args=args)
    assert "beta=2, norm=1, latent_dim=8, lr=0.01" in rows[0].settings


def test_parallel_cells_match_serial_cells(tmp_path):
    """Workers run one thread each; on one thread here too, the numbers agree exactly."""
    import torch

    kwargs = {"classes": [2], "seeds": [0, 1], "budget": TINY, "progress": False}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        serial = run_benchmark("digits", ["toll"], tmp_path / "serial", workers=1, **kwargs)
    finally:
        torch.set_num_threads(threads)
    parallel = run_benchmark("digits", ["toll"], tmp_path / "parallel", workers=2, **kwargs)
    assert sorted((r.seed, r.value) for r in serial) == sorted((r.seed, r.value) for r in parallel)


def test_ray_executor_on_a_local_ray_instance_gives_the_local_rows(tmp_path):
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    try:
        kwargs = {"classes": [0], "seeds": [0], "budget": TINY, "progress": False}
        ray_rows = run_benchmark("digits", ["iforest", "ecod"], tmp_path / "ray", executor="ray", **kwargs)
        local_rows = run_benchmark("digits", ["iforest", "ecod"], tmp_path / "local", **kwargs)
        key = lambda r: (r.seed, r.model, r.value, r.settings)  # noqa: E731
        assert sorted(map(key, ray_rows)) == sorted(map(key, local_rows))

        # LSCP needs a list of detectors: a model without arguments is not tried before the grid, its cell fails
        lscp = "pyod.models.lscp.LSCP"
        with pytest.raises(BenchmarkError, match=r"lscp class 0 seed 0: TypeError: .*detector_list") as err:
            run_benchmark("digits", [lscp, "ecod"], tmp_path / "fail", executor="ray", **kwargs)
        assert [(r.model, bool(r.error)) for r in err.value.rows] == [("lscp", True), ("ecod", False)]  # as local
    finally:
        ray.shutdown()


@pytest.fixture
def image_folder(tmp_path) -> Path:
    return image_folder_at(tmp_path)


def image_folder_at(root: Path, brightness: int = 255) -> Path:
    """normal/: smooth gray ramps; abnormal/: the same with a square of ``brightness``."""
    rng = np.random.default_rng(0)
    for sub, count in (("normal", 30), ("abnormal", 10)):
        (root / sub).mkdir(parents=True)
        for i in range(count):
            image = np.tile(np.linspace(60, 120, 20), (20, 1)) + rng.normal(0, 3, (20, 20))
            if sub == "abnormal":
                image[5:12, 5:12] = brightness
            Image.fromarray(image.clip(0, 255).astype(np.uint8)).save(root / sub / f"{i:02d}.png")
    return root


def test_folder_dataset_splits_like_arrhythmia(image_folder):
    split = make_split("folder", data_root=str(image_folder))
    assert split.x_train.shape == (15, 1, 32, 32)  # 30 − 20 % test − 30 % val normals; gray kept gray, resized
    assert (len(split.y_val), int(split.y_val.sum())) == (12, 3)
    assert (len(split.y_test), int(split.y_test.sum())) == (8, 2)
    assert abs(float(split.x_train.mean())) < 1e-4  # standardised with the training normals


def test_folder_benchmark_detects_the_bright_squares(image_folder, tmp_path):
    rows = run_benchmark(
        "folder", ["iforest"], tmp_path / "out", data_root=str(image_folder), budget=TINY, progress=False,
    )
    assert rows[0].value == 1.0


def test_folder_without_images_says_where_it_looked(tmp_path):
    (tmp_path / "normal").mkdir()
    with pytest.raises(FileNotFoundError, match=r"no images in .*normal"):
        make_split("folder", data_root=str(tmp_path))


def test_a_failing_model_does_not_stop_the_grid(tmp_path, monkeypatch):
    def broken_fit(self, split, seed, budget):
        msg = "diverged"
        raise RuntimeError(msg)

    monkeypatch.setattr(PyODRunner, "fit", broken_fit)
    expected = r"(?s)1 cell\(s\) failed.*iforest class 0 seed 0: RuntimeError: diverged"
    with pytest.raises(BenchmarkError, match=expected) as err:
        run_benchmark("digits", ["iforest", "toll"], tmp_path, classes=[0], budget=TINY, progress=False)
    assert [(r.model, r.error) for r in err.value.rows] == [("iforest", "RuntimeError: diverged"), ("toll", "")]
    assert [r.model for r in ResultStore(tmp_path).rows()] == ["toll"]  # the failure is not: a rerun retries it


class OutOfOrderRay:
    """Stands in for Ray's API: tasks run at submission and complete newest first."""

    class Ref:
        def __init__(self, value):
            self.value = value

    def init(self, **kwargs):
        del kwargs

    def remote(self, function):
        ref = self.Ref
        return type("Remote", (), {"remote": staticmethod(lambda cell: ref(function(cell)))})

    def wait(self, refs, num_returns):
        return refs[-num_returns:], refs[:-num_returns]

    def get(self, ref):
        return ref.value


def test_ray_executor_collects_every_cell_whatever_the_completion_order(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", OutOfOrderRay())
    kwargs = {"classes": [0], "seeds": [0, 1], "budget": TINY, "progress": False}
    ray_rows = run_benchmark("digits", ["iforest", "ecod"], tmp_path / "ray", executor="ray", **kwargs)
    local_rows = run_benchmark("digits", ["iforest", "ecod"], tmp_path / "local", **kwargs)
    # grid order
    assert [(r.seed, r.model) for r in ray_rows] == [(0, "iforest"), (0, "ecod"), (1, "iforest"), (1, "ecod")]
    key = lambda r: (r.seed, r.model, r.value)  # noqa: E731
    assert sorted(map(key, ray_rows)) == sorted(map(key, local_rows))


def test_model_args_reach_the_model_and_key_the_results(tmp_path):
    rows = run_benchmark("digits", ["iforest"], tmp_path, classes=[0], budget=TINY, progress=False,
                         model_args={"iforest": {"n_estimators": 7}})
    assert "'n_estimators': 7" in rows[0].settings
    again = run_benchmark("digits", ["iforest"], tmp_path, classes=[0], budget=TINY, progress=False)
    assert "n_estimators" not in again[0].settings  # other arguments: another cell, not a skipped one
    assert len(ResultStore(tmp_path).rows()) == 2


@pytest.mark.parametrize(
    ("model_args", "match"),
    [({"ocsvm": {"nu": 0.1}}, r"model_args names \['ocsvm'\]"), ({"iforest": {"n_trees": 5}}, "IForest.*n_trees")],
)
def test_bad_model_args_are_named_before_any_work(tmp_path, model_args, match):
    with pytest.raises(ValueError, match=match):
        run_benchmark("digits", ["iforest"], tmp_path, budget=TINY, progress=False, model_args=model_args)
    assert not (tmp_path / "results.csv").exists()


def test_download_flag_reaches_the_data_loader(tmp_path, monkeypatch):
    from anomalib_toll.benchmark import cell

    seen = {}
    real = cell.make_split

    def spy(dataset, normal_class, split_seed, **kwargs):
        seen.update(kwargs)
        return real(dataset, normal_class, split_seed)

    monkeypatch.setattr(cell, "make_split", spy)
    cell._split.cache_clear()
    run_benchmark("digits", ["iforest"], tmp_path, classes=[2], budget=TINY, progress=False, download=True)
    cell._split.cache_clear()
    assert seen["download"] is True


def digits_rows(output: Path, **kwargs) -> list[Row]:
    return run_benchmark(
        "digits", ["iforest", "ecod"], output, classes=[0], seeds=[0, 1], budget=TINY, progress=False, **kwargs,
    )


def test_a_record_cut_at_any_byte_is_recomputed_never_invented(tmp_path):
    full = digits_rows(tmp_path / "full")
    store = (tmp_path / "full" / "results.jsonl").read_bytes()
    last_start = store.rstrip(b"\n").rfind(b"\n") + 1
    for cut in range(last_start + 1, len(store) - 1, max(1, (len(store) - last_start) // 12)):
        folder = tmp_path / f"cut{cut}"
        folder.mkdir()
        (folder / "results.jsonl").write_bytes(store[:cut])
        with pytest.warns(UserWarning, match="damaged record"):
            resumed = digits_rows(folder)
        assert [(r.key, r.value) for r in resumed] == [(r.key, r.value) for r in full]
        assert len(ResultStore(folder).rows()) == len(full)  # exactly the full set: none lost, none doubled
        assert len(json.loads((folder / "results.json").read_text())) == len(full)  # exports always parse
        assert len(list(csv.DictReader((folder / "results.csv").open()))) == len(full)


def test_other_data_in_the_same_output_is_recomputed_not_reused(tmp_path):
    first = image_folder_at(tmp_path / "a", brightness=255)
    second = image_folder_at(tmp_path / "b", brightness=120)
    out = tmp_path / "out"
    a = run_benchmark("folder", ["iforest"], out, data_root=str(first), budget=TINY, progress=False)
    b = run_benchmark("folder", ["iforest"], out, data_root=str(second), budget=TINY, progress=False)
    assert a[0].data_digest != b[0].data_digest
    assert a[0].key != b[0].key
    assert len(ResultStore(out).rows()) == 2  # B's cell trained; A's numbers were not reported for B
    again = run_benchmark("folder", ["iforest"], out, data_root=str(first), budget=TINY, progress=False)
    assert again == a  # same data: reused
    assert len(ResultStore(out).rows()) == 2


def test_unwritable_output_fails_before_any_cell_trains(tmp_path, monkeypatch):
    from anomalib_toll.benchmark import grid, store

    def refuse(*args, **kwargs):
        raise OSError(13, "Permission denied")

    started = []
    monkeypatch.setattr(store, "_write_atomically", refuse)  # the folder refuses files (root ignores chmod)
    monkeypatch.setattr(grid, "run_cell", started.append)
    with pytest.raises(PermissionError, match=r"not writable.*--output"):
        digits_rows(tmp_path / "out")
    assert not started


@pytest.mark.parametrize(
    ("flag", "value", "match"),
    [
        ("--iterations", "0", "iterations must be an integer >= 1"),
        ("--batch_size", "-1", "batch_size must be an integer >= 1"),
        ("--batch_size", "0", "batch_size must be an integer >= 1"),
        ("--eval_every", "0", "eval_every must be an integer >= 1"),
        ("--seeds", "0", "seeds must be an integer >= 1"),
    ],
)
def test_bad_budgets_are_refused_before_any_work(tmp_path, flag, value, match):
    proc = subprocess.run(
        benchmark_cli("--dataset", "digits", "--models", "iforest", flag, value, "--output", str(tmp_path / "o")),
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode != 0
    assert match in proc.stderr
    assert not (tmp_path / "o" / "results.jsonl").exists()


def test_reports_keep_the_models_order_colours_and_test_counts(tmp_path):
    from anomalib_toll.report.plots import model_colors

    rows = run_benchmark("digits", ["ocsvm", "iforest", "toll"], tmp_path, classes=[1, 2], budget=TINY, progress=False)
    summary = summary_markdown(rows, "digits")
    assert "| normal class | ocsvm | iforest | toll |" in summary  # the order asked for, not finishing order
    assert "| 1 | 55 | 485 | 1 × 8 × 8 |" in summary  # test counts and input size stated
    assert "- iforest: `pyod.models.iforest.IForest({})`" in summary  # no budget for a model that ignores it
    assert model_colors(["ocsvm", "iforest", "toll"])["toll"] == model_colors(["ocsvm", "iforest", "toll", "x"])["toll"]
    assert sorted(p.name for p in (tmp_path / "scores").iterdir()) == sorted(
        f"digits_{k}_0_{m}.npz" for k in (1, 2) for m in ("ocsvm", "iforest", "toll"))  # every class plotted


def test_grid_arguments_in_model_args_are_named(tmp_path):
    with pytest.raises(ValueError, match=r"model_args of 'toll' set \['protocol'\]: the grid's own arguments"):
        run_benchmark(
            "digits", ["toll"], tmp_path, budget=TINY, progress=False, model_args={"toll": {"protocol": "clean"}},
        )
    assert not (tmp_path / "results.jsonl").exists()
