"""A tiny Folder data set with masks: smooth gray-blue textures, anomalies are bright squares."""

import logging
from collections.abc import Iterator
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


@pytest.fixture
def cli_logging() -> Iterator[None]:
    """Undo what anomalib's CLI does to logging when run in this process (``configure_logger``).

    It adds handlers to the root and Lightning loggers bound to this test's captured stderr and
    sets their levels; left in place, later tests would log to a closed stream.
    """
    loggers = [logging.getLogger(), logging.getLogger("lightning.pytorch")]
    saved = [(logger, logger.level, list(logger.handlers)) for logger in loggers]
    handlers = [(h, h.level, h.formatter) for logger in loggers for h in logger.handlers]
    yield
    for logger, level, kept in saved:
        logger.setLevel(level)
        logger.handlers[:] = kept
    for handler, level, formatter in handlers:
        handler.setLevel(level)
        handler.setFormatter(formatter)
