"""The data people already have in the grid: anomalib's MVTec AD / Folder layouts with masks, tables from files."""

import numpy as np
import pytest

from anomalib_toll.benchmark import ResultStore, Row, run_benchmark
from anomalib_toll.benchmark.cli import benchmark
from anomalib_toll.cli import main
from anomalib_toll.protocol import Budget, make_split
from anomalib_toll.report import summary_markdown
from anomalib_toll.runners import make_runner
from tests.conftest import require
from tests.data.writers import table, write_mvtec, write_tables

TINY = Budget(iterations=20, batch_size=16, eval_every=10)


@pytest.fixture
def mvtec_root(tmp_path):
    return write_mvtec(tmp_path / "mvtec")


def test_mvtec_command_prints_image_and_pixel_metrics_for_toll_and_padim(mvtec_root, tmp_path, capsys):
    out = tmp_path / "out"
    main(["benchmark", "--dataset", "mvtec", "--category", "bottle", "--data_root", str(mvtec_root),
          "--models", "toll,padim", "--iterations", "20", "--batch_size", "16", "--eval_every", "10",
          "--image_size", "16", "--output", str(out)])  # the command, in this process: no interpreter to start
    printed = capsys.readouterr().out
    for heading in ("## AUROC", "## F1 at the contamination rate", "## Pixel AUROC", "## AUPRO"):
        assert heading in printed
    assert "| category | toll | padim |" in printed
    assert "| bottle | 6 | 8 | 3 × 16 × 16 |" in printed  # test counts and the size used
    rows = ResultStore(out).rows()
    assert [r.model for r in rows] == ["toll", "padim"]
    assert all(r.class_name == "bottle" and r.pixel_auroc is not None and 0 <= r.aupro <= 1 for r in rows)
    assert all(r.auroc > 0.9 for r in rows)  # a bright square on smooth ramps is easy


def test_toll_runner_maps_are_the_anomalib_toll_models_maps(mvtec_root):
    import torch

    from anomalib_toll.models.image.toll.torch_model import TollModel

    split = make_split("mvtec", 0, data_root=str(mvtec_root), image_size=16)
    runner = make_runner("toll", precision="32").fit(split, 0, TINY)
    model = TollModel(split.x_train.shape[1:], beta=runner.trained.beta)
    model.network = runner.trained.model  # the very network the runner trained
    with torch.inference_mode():
        expected = model.eval()(torch.from_numpy(split.x_test)).anomaly_map[:, 0].numpy()
    np.testing.assert_allclose(runner.anomaly_maps(split.x_test), expected, rtol=1e-5, atol=1e-6)
    assert make_runner("iforest").anomaly_maps(split.x_test) is None  # scores whole images only


def test_models_without_maps_get_image_metrics_and_no_pixel_metrics(mvtec_root, tmp_path):
    rows = run_benchmark("mvtec", ["iforest"], tmp_path, classes=["bottle"], budget=TINY, progress=False,
                         data_root=str(mvtec_root), data_options={"image_size": 16})
    assert rows[0].pixel_auroc is None
    assert rows[0].aupro is None
    assert rows[0].f1_at_rate is not None
    assert (rows[0].n_test_normal, rows[0].n_test_anomalous) == (6, 8)


def test_folder_in_the_mvtec_layout_runs_like_mvtec(mvtec_root, tmp_path):
    options = {"budget": TINY, "progress": False, "data_options": {"image_size": 16}}
    folder = run_benchmark("folder", ["iforest"], tmp_path / "a", data_root=str(mvtec_root / "bottle"), **options)
    mvtec = run_benchmark("mvtec", ["iforest"], tmp_path / "b", data_root=str(mvtec_root), classes=["bottle"],
                          **options)
    assert folder[0].data_digest == mvtec[0].data_digest
    assert folder[0].value == mvtec[0].value


def test_categories_are_classes_by_name(mvtec_root, tmp_path):
    with pytest.raises(ValueError, match="no category \\['bottel'\\] in mvtec; its category names are"):
        run_benchmark("mvtec", ["iforest"], tmp_path, classes=["bottel"], data_root=str(mvtec_root), progress=False)
    with pytest.raises(ValueError, match="dataset 'mvtec' takes no data option mask_dir"):
        run_benchmark("mvtec", ["iforest"], tmp_path, data_root=str(mvtec_root), progress=False,
                      data_options={"mask_dir": "x"})
    with pytest.raises(ValueError, match=r"classes .* or category .*not both"):
        benchmark(dataset="mvtec", classes=[0], category="bottle", output=tmp_path)


def expected_counts(y: np.ndarray, fraction: float = 0.2) -> tuple[int, int]:
    normal, anomalous = int((y == 0).sum()), int((y == 1).sum())
    return round(fraction * normal), round(fraction * anomalous)


def test_tabular_command_prints_auroc_aupr_f1_ranks_and_test_counts(tmp_path, capsys):
    root = write_tables(tmp_path / "tables")
    benchmark(dataset="tabular", data_root=str(root), models="toll,iforest,ecod", iterations=20, eval_every=10,
              workers=1, output=tmp_path / "out")
    printed = capsys.readouterr().out
    assert "| dataset | toll | iforest | ecod |" in printed
    for heading in ("## AUROC", "## AUPR (average precision)", "## F1 at the contamination rate",
                    "## Average rank across datasets"):
        assert heading in printed
    assert "| model | AUROC (2) | AUPR (2) | F1 at rate (2) |" in printed  # both files ranked
    for name, y in (("6_near.npz", table(shift=1.0, seed=1)[1]), ("blobs.mat", table()[1])):
        normal, anomalous = expected_counts(y)
        assert f"| {name} | {normal} | {anomalous} | 6 |" in printed
    rows = ResultStore(tmp_path / "out").rows()
    assert len(rows) == 6
    assert all(r.aupr is not None and r.f1_at_rate is not None for r in rows)
    assert {r.class_name for r in rows} == {"6_near.npz", "blobs.mat"}


def test_adbench_protocol_draws_a_split_per_seed(tmp_path):
    root = write_tables(tmp_path / "tables")
    rows = run_benchmark("tabular", ["ecod"], tmp_path / "out", classes=["blobs.mat"], seeds=[0, 1],
                         protocol="adbench", data_root=str(root / "blobs.mat"), progress=False)
    assert [(r.n_test_normal + r.n_test_anomalous) for r in rows] == [60, 60]
    assert rows[0].data_digest != rows[1].data_digest  # 70/30 drawn with each seed
    assert "ADBench" in summary_markdown(rows, "tabular benchmark, ADBench protocol")


def test_arrhythmia_file_as_a_table_gives_the_arrhythmia_datasets_auroc(data_root, tmp_path):
    path = require(data_root / "arrhythmia" / "arrhythmia.mat")
    as_table = run_benchmark("tabular", ["ecod"], tmp_path / "t", data_root=str(path), progress=False)
    paper = run_benchmark("arrhythmia", ["ecod"], tmp_path / "a", data_root=str(data_root), progress=False)
    assert as_table[0].auroc == pytest.approx(paper[0].auroc, abs=1e-12)  # same rows; ECOD ranks each column
    assert as_table[0].class_name == "arrhythmia.mat"
    assert as_table[0].aupr is not None


def row(k: int, model: str, value: float, name: str = "") -> Row:
    return Row("tabular", k, 0, model, "paper", "auroc", value, value, 1.0, 0.1, 100.0, "s", "", class_name=name,
               aupr=value / 2)


def test_average_ranks_share_ties_and_skip_datasets_a_model_lacks():
    rows = [row(0, "a", 0.9, "x.npz"), row(0, "b", 0.8, "x.npz"), row(0, "c", 0.8, "x.npz"),
            row(1, "a", 0.5, "y.mat"), row(1, "b", 0.7, "y.mat"), row(1, "c", 0.6, "y.mat"),
            row(2, "a", 0.5, "z.mat")]  # b and c lack z.mat: it is not ranked
    summary = summary_markdown(rows, "t", class_label="dataset", ranks=True)
    assert "| model | AUROC (2) | AUPR (2) |" in summary
    assert "| a | 2.00 | 2.00 |" in summary  # ranks 1 (x) and 3 (y)
    assert "| b | **1.75** | **1.75** |" in summary  # 2.5 (tied with c on x) and 1 (y): the best
    assert "| c | 2.25 | 2.25 |" in summary  # 2.5 and 2
    assert "| dataset | a | b | c |" in summary
    assert "| z.mat | **50.0 ± 0.0** | – | – |" in summary


def test_optional_metrics_survive_the_store(tmp_path):
    store = ResultStore(tmp_path)
    with_metrics = row(0, "a", 0.9, "x.npz")
    without = Row("digits", 0, 0, "a", "paper", "auroc", 0.5, 0.5, 1.0, 1.0, 1.0, "", "")
    store.append(with_metrics)
    store.append(without)
    assert store.rows() == [with_metrics, without]
    assert without.aupr is None
    assert "aupr" in (tmp_path / "results.csv").read_text().splitlines()[0]
