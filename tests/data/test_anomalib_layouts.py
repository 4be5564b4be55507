"""MVTec AD, VisA and Folder layouts read through anomalib's data modules, on folders the tests write."""

import numpy as np
import pytest

from anomalib_toll.data.anomalib_layouts import load_mvtec, mvtec_layout, read_folder
from anomalib_toll.protocol import make_split
from tests.data.writers import write_mvtec


@pytest.fixture(autouse=True)
def no_download(monkeypatch):
    """The downloader of anomalib's MVTec AD and VisA modules, made to fail loudly: nothing here goes online."""
    from anomalib.data.datamodules.image import mvtecad, visa

    def refuse(*args, **kwargs):
        del args, kwargs
        msg = "anomalib tried to download"
        raise AssertionError(msg)

    monkeypatch.setattr(mvtecad, "download_and_extract", refuse)
    monkeypatch.setattr(visa, "download_and_extract", refuse)


def test_mvtec_category_is_read_with_masks_and_without_download(tmp_path):
    images = load_mvtec(write_mvtec(tmp_path), category="bottle", image_size=8)
    assert images.x_train.shape == (20, 8, 8, 3)
    assert images.x_train.dtype == np.uint8
    assert (int((images.y_test == 0).sum()), int((images.y_test == 1).sum())) == (6, 8)
    assert images.mask_test.shape == (14, 8, 8)
    assert (images.mask_test.any(axis=(1, 2)) == (images.y_test == 1)).all()  # a mask for each anomalous image only
    assert images.mask_test[images.y_test == 1].sum(axis=(1, 2)).tolist() == [4] * 8  # the 4×4 square of 16 → 8 px


def test_mvtec_root_may_hold_an_mvtecad_folder(tmp_path):
    write_mvtec(tmp_path / "MVTecAD")
    assert len(load_mvtec(tmp_path, category="bottle", image_size=8).x_train) == 20


def test_missing_mvtec_category_names_where_it_looked_and_downloads_nothing(tmp_path):
    write_mvtec(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"(?s)category 'cable' not found.*cable"):
        load_mvtec(tmp_path, category="cable")
    with pytest.raises(ValueError, match="category must be one of"):
        load_mvtec(tmp_path, category="bottles")


def test_mvtec_split_holds_out_normal_training_images_only(tmp_path):
    split = make_split("mvtec", 0, data_root=str(write_mvtec(tmp_path)), image_size=8)
    assert (len(split.x_train), len(split.x_val), split.y_val.tolist()) == (18, 2, [0, 0])
    assert split.x_train.shape[1:] == (3, 8, 8)
    assert split.class_name == "bottle"
    assert split.mask_test.shape == (14, 8, 8)


def test_folder_detects_the_mvtec_layout_and_splits_like_mvtec(tmp_path):
    root = write_mvtec(tmp_path)
    assert mvtec_layout(root / "bottle") == {
        "normal_dir": "train/good", "abnormal_dir": ["test/broken", "test/crack"], "normal_test_dir": "test/good",
        "mask_dir": ["ground_truth/broken", "ground_truth/crack"],
    }
    folder = make_split("folder", data_root=str(root / "bottle"), image_size=8)
    mvtec = make_split("mvtec", 0, data_root=str(root), image_size=8)
    assert folder.digest == mvtec.digest  # the same images, labels and masks


def test_folder_takes_anomalib_folder_arguments(tmp_path):
    base = write_mvtec(tmp_path)
    (base / "bottle").rename(tmp_path / "mine")
    images = read_folder(tmp_path / "mine", normal_dir="train/good", abnormal_dir=["test/crack"],
                         normal_test_dir="test/good", mask_dir=["ground_truth/crack"], image_size=8)
    assert (len(images.x_train), int((images.y_test == 1).sum()), int((images.y_test == 0).sum())) == (20, 4, 6)
    assert images.mask_test is not None
    assert images.mask_test[images.y_test == 1].all(axis=0).sum() == 4


def test_folder_without_test_folders_keeps_the_labelled_split(tmp_path):
    write_mvtec(tmp_path)
    x, y = read_folder(tmp_path / "bottle", normal_dir="train/good", abnormal_dir="test/broken", image_size=8)
    assert x.shape == (24, 8, 8, 3)
    assert y.tolist() == [0] * 20 + [1] * 4


def test_folder_masks_must_match_the_anomalous_images(tmp_path):
    root = write_mvtec(tmp_path)
    masks = root / "bottle" / "ground_truth" / "crack"
    (masks / "003_mask.png").rename(masks / "009_mask.png")  # no image 009 in test/crack
    from anomalib.data.errors import MisMatchError

    with pytest.raises(MisMatchError):
        read_folder(root / "bottle", image_size=8)


def test_data_options_a_dataset_does_not_take_are_named():
    with pytest.raises(ValueError, match="dataset 'digits' takes no data option image_size"):
        make_split("digits", 0, image_size=8)


def test_visa_category_is_read_from_anomalibs_prepared_split(tmp_path):
    from anomalib_toll.data.anomalib_layouts import load_visa

    write_mvtec(tmp_path / "visa" / "visa_pytorch", category="candle")
    images = load_visa(tmp_path, category="candle", image_size=8)
    assert (len(images.x_train), len(images.y_test), int(images.y_test.sum())) == (20, 14, 8)
    assert images.mask_test is not None
    assert int(images.mask_test.any(axis=(1, 2)).sum()) == 8
    with pytest.raises(FileNotFoundError, match=r"(?s)VisA category 'pcb1' not found.*visa_pytorch/pcb1"):
        load_visa(tmp_path, category="pcb1")
