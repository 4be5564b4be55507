"""ADBench's data as ADBench ships it: names, families, a size limit, both protocols."""

import numpy as np
import pytest

from anomalib_toll.benchmark import run_benchmark
from anomalib_toll.benchmark.cli import benchmark
from anomalib_toll.data import get_dataset
from anomalib_toll.data.adbench import adbench_tables, load_adbench, npz_rows, select_tables
from anomalib_toll.protocol import make_split
from tests.data.writers import write_adbench

SPEC = get_dataset("adbench")


@pytest.fixture
def root(tmp_path):
    return write_adbench(tmp_path / "datasets", classical=3)


def test_tables_are_named_by_adbench_name_in_adbench_order_and_qualified_where_two_families_share_one(root):
    (root / "Classical" / "10_t10.npz").write_bytes((root / "Classical" / "2_t2.npz").read_bytes())
    assert [(t.name, t.family) for t in adbench_tables(root)] == [
        ("t1", "classical"), ("t2", "classical"), ("t3", "classical"), ("t10", "classical"),  # ADBench's numbers
        ("cv_vit/MVTec-AD_bottle", "cv_vit"), ("cv_resnet18/MVTec-AD_bottle", "cv_resnet18"),
    ]


def test_category_takes_names_families_or_both_case_insensitively(root):
    names = SPEC.class_names(root)
    pick = lambda *c: [names[k] for k in SPEC.select_classes(list(c), root)[0]]  # noqa: E731
    assert pick("classical") == ["t1", "t2", "t3"]
    assert pick("T3", "cv_vit") == ["t3", "cv_vit/MVTec-AD_bottle"]
    assert pick("mvtec-ad_bottle") == ["cv_vit/MVTec-AD_bottle", "cv_resnet18/MVTec-AD_bottle"]  # in both families
    assert pick("cv_resnet18/MVTec-AD_bottle") == ["cv_resnet18/MVTec-AD_bottle"]
    with pytest.raises(ValueError, match=r"no ADBench family or data set 'cardio'.*families found: \['classical', "):
        SPEC.select_classes(["cardio"], root)


def test_max_rows_skips_larger_tables_and_names_them(root):
    kept, skipped = select_tables(root, ["classical"], max_rows=150)
    assert kept == ("t1", "t2")
    assert skipped == (("t3", 240),)  # the last classical table is twice as large
    with pytest.raises(ValueError, match="dataset 'tabular' takes no max_rows"):
        get_dataset("tabular").select_classes(None, root, max_rows=10)


def test_row_counts_come_from_the_header_and_match_the_data(root):
    path = root / "Classical" / "3_t3.npz"
    assert npz_rows(path) == len(np.load(path)["X"]) == 240
    (root / "Classical" / "9_bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"9_bad\.npz: not an \.npz file holding X"):
        adbench_tables(root)


def test_missing_root_and_download_say_what_to_do(tmp_path, root):
    with pytest.raises(FileNotFoundError, match="ADBench's datasets folder, holding Classical, CV_by_ViT"):
        SPEC.class_names(tmp_path / "nothing")
    with pytest.raises(ValueError, match="reads local files only"):
        load_adbench(root, download=True, category="t1")


@pytest.mark.parametrize("protocol", ["paper", "clean", "synthetic", "adbench"])
def test_both_protocols_split_an_adbench_table_and_record_its_family(root, protocol):
    split = make_split("adbench", SPEC.class_names(root).index("cv_vit/MVTec-AD_bottle"), data_root=str(root),
                       protocol=protocol)
    assert (split.class_name, split.family) == ("cv_vit/MVTec-AD_bottle", "cv_vit")
    n_test = len(split.y_test)
    assert n_test == (36 if protocol == "adbench" else 24)  # ADBench's 30 % of 120 rows; the one-class 20 % per label


def test_grid_rows_are_labelled_by_name_and_family(root, tmp_path):
    rows = run_benchmark("adbench", ["iforest"], tmp_path / "out", classes=["t1", "cv_resnet18"],
                         data_root=str(root), progress=False)
    assert [(r.class_name, r.family) for r in rows] == [
        ("t1", "classical"), ("cv_resnet18/MVTec-AD_bottle", "cv_resnet18"),
    ]


def test_command_says_which_tables_max_rows_leaves_out(root, tmp_path, capsys):
    benchmark("adbench", models="ecod", category="classical", max_rows=150, data_root=str(root),
              output=tmp_path / "out", workers=1)
    out = capsys.readouterr().out
    assert "adbench: Left out by --max_rows 150: t3 (240 rows)." in out
    assert "| t1 |" in out
    assert "| t3 |" not in out
    assert "Left out by --max_rows 150" in (tmp_path / "out" / "summary.md").read_text()
