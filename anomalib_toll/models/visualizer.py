# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""The visualizer of the plugin's anomalib models: anomalib's, passing over images held in memory.

Example:
    >>> from anomalib_toll.models.visualizer import FileImageVisualizer
    >>> visualizer = FileImageVisualizer()
"""

from pathlib import Path

from anomalib.data import ImageBatch
from anomalib.models.components import AnomalibModule
from anomalib.visualization import ImageVisualizer
from lightning.pytorch import Trainer


class FileImageVisualizer(ImageVisualizer):
    """anomalib's image visualizer, skipping batches of in-memory images.

    anomalib draws each test image from its file; the one-class benchmarks hold their
    images in memory (``OneClass``: 10,000 test images, no files), so they are skipped
    instead of failing. Folder/MVTec-style data are visualised as usual.
    """

    # the signature of anomalib's ImageVisualizer, which narrows Lightning's hook to anomalib types
    def on_test_batch_end(  # type: ignore[override]
        self,
        trainer: Trainer,
        pl_module: AnomalibModule,
        outputs: ImageBatch,
        batch: ImageBatch,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        """Draw the batch as anomalib does if its images are files; pass over it otherwise."""
        paths = getattr(batch, "image_path", None) or []
        if paths and all(Path(p).is_file() for p in paths):
            super().on_test_batch_end(trainer, pl_module, outputs, batch, batch_idx, dataloader_idx)


__all__ = ["FileImageVisualizer"]
