"""The bridge benchmarks what users call: TollDetector on non-paper tables, any PyOD-API class by path."""

import numpy as np
import pytest

from anomalib_toll.benchmark import run_benchmark
from anomalib_toll.data import get_dataset
from anomalib_toll.detector import TollDetector
from anomalib_toll.protocol import Budget, make_split
from anomalib_toll.report import summary_markdown
from anomalib_toll.runners import PyODRunner, TollRunner, make_runner
from tests.data.writers import write_tables

TINY = Budget(iterations=20, batch_size=32, eval_every=10)


@pytest.mark.parametrize("dataset", ["tabular", "adbench"])
@pytest.mark.parametrize(("name", "beta"), [("toll", "auto"), ("toll_beta0", 0.0), ("toll_auto", "auto")])
def test_toll_on_a_non_paper_table_is_the_pyod_detector_with_its_defaults(name, beta, dataset):
    runner = make_runner(name, dataset=dataset)
    assert isinstance(runner, PyODRunner)
    assert runner.cls is TollDetector
    assert runner.name == name
    assert runner.cls(**runner.kwargs).beta == beta  # the detector the cell fits
    assert get_dataset(dataset).defaults.beta == "auto"  # what the data set's entry says agrees


@pytest.mark.parametrize("dataset", ["arrhythmia", "digits", "mnist", None])
def test_toll_on_the_papers_data_keeps_the_paper_protocol(dataset):
    assert isinstance(make_runner("toll", dataset=dataset), TollRunner)


def test_classes_with_pyods_api_are_reached_by_class_path():
    assert make_runner("anomalib_toll.TollDetector").cls is TollDetector
    user = make_runner("tests.benchmark.user_detector.DistanceToMean")
    assert isinstance(user, PyODRunner)
    assert user.name == "distancetomean"
    assert type(make_runner("padim")).__name__ == "AnomalibRunner"  # anomalib's models stay anomalib's


def test_toll_and_the_class_path_of_tolldetector_give_the_same_scores(tmp_path):
    root = write_tables(tmp_path / "tables")
    rows = run_benchmark("tabular", ["toll", "anomalib_toll.TollDetector"], tmp_path / "out", data_root=str(root),
                         classes=[1], budget=TINY, progress=False)
    assert [r.model for r in rows] == ["toll", "tolldetector"]
    assert rows[0].value == rows[1].value
    assert rows[0].aupr == rows[1].aupr


def test_every_auto_cell_records_its_choice_and_the_summary_counts_them(tmp_path):
    """Table cells of ``toll_auto`` (TollDetector) carry the chosen β and the line saying why; fixed β cells none."""
    root = write_tables(tmp_path / "tables")
    out = tmp_path / "out"
    rows = run_benchmark("tabular", ["toll_auto", "toll_beta0"], out, data_root=str(root), classes=[1], seeds=(0, 1),
                         budget=TINY, progress=False)
    auto = [r for r in rows if r.model == "toll_auto"]
    assert len(auto) == 2
    assert all(r.chosen_beta in {0.0, 1.0, 10.0, 100.0, 1000.0} for r in auto)
    assert all(f"chose beta={r.chosen_beta:g}:" in r.note for r in auto)
    assert all(r.chosen_beta is None for r in rows if r.model == "toll_beta0")
    summary = summary_markdown(rows, "tables")
    assert "## β chosen by `beta='auto'`" in summary
    chosen = [r.chosen_beta for r in auto]
    counts = ", ".join(f"{b:g} ×{chosen.count(b)}" for b in sorted(set(chosen)))
    assert f"| toll_auto | {counts} |" in summary


def test_a_users_detector_runs_in_the_grid(tmp_path):
    rows = run_benchmark("digits", ["tests.benchmark.user_detector.DistanceToMean"], tmp_path, classes=[0],
                         budget=TINY, progress=False)
    assert rows[0].model == "distancetomean"
    assert rows[0].value > 0.8


def test_rows_are_standardised_once_for_pyod_models():
    """Tables the data set standardised already are passed as they are; raw tables are standardised here."""
    split = make_split("digits", 0)
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(50, 3)) * np.array([1.0, 1e4, 1e-3])).astype(np.float32)
    raw = type(split)("arrhythmia", 0, x, x[:5], np.zeros(5), x[:5], np.zeros(5), "f1")
    runner = make_runner("iforest").fit(raw, 0, TINY)
    np.testing.assert_allclose(runner._rows(x).std(axis=0), 1.0, rtol=1e-4)
    standardised = type(split)("tabular", 0, x, x[:5], np.zeros(5), x[:5], np.zeros(5), "auroc")
    assert make_runner("iforest").fit(standardised, 0, TINY).scaler is None


@pytest.mark.parametrize("dataset", ["tabular", "arrhythmia"])
def test_detectors_that_standardise_do_not_standardise_the_bridges_rows_again(dataset):
    """The rows are standardised once (by the data set or the runner); TollDetector's own scaler stays off."""
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(60, 3)) * np.array([1.0, 1e4, 1e-3])).astype(np.float32)
    split = type(make_split("digits", 0))(dataset, 0, x, x[:5], np.zeros(5), x[:5], np.zeros(5), "auroc")
    runner = PyODRunner("anomalib_toll.TollDetector", beta=0.0, epoch_num=1, verbose=0).fit(split, 0, TINY)
    assert runner.detector.preprocessing is False
    assert runner.detector.scaler_ is None
