"""A tiny Folder data set with masks: smooth gray-blue textures, anomalies are bright squares."""

from pathlib import Path

import pytest

from anomalib_toll.data.synthetic import write_folder_dataset

SIZE = 32


@pytest.fixture(scope="session")
def folder_dataset(tmp_path_factory) -> Path:
    return write_folder_dataset(tmp_path_factory.mktemp("folder_data"), n_normal=24, n_abnormal=8, size=SIZE)


def folder_args(root: Path) -> list[str]:
    """CLI arguments selecting the Folder data set with masks."""
    return [
        "--data", "Folder", "--data.name", "tiny", "--data.root", str(root), "--data.normal_dir", "good",
        "--data.abnormal_dir", "bad", "--data.mask_dir", "masks", "--data.train_batch_size", "8",
        "--data.eval_batch_size", "8", "--data.num_workers", "0",
    ]
