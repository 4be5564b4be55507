"""An exported Toll scores like its checkpoint: torch, ONNX (onnxruntime) and OpenVINO.

A tiny Toll (16×16 network behind a 32 → 16 resize in its pre-processor) is trained for a few
steps on a Folder data set this module writes, validated (so the post-processor holds
statistics) and checkpointed. Two things are compared, image by image on the same PNG files:

* **post-processed outputs**, what anomalib's inferencers return. anomalib bakes the
  checkpoint's post-processor into every export: ``pred_score`` and ``anomaly_map`` are
  min-max normalised with the validation statistics, centred on the F1-adaptive threshold
  at 0.5 and clipped to [0, 1]; ``pred_label`` / ``pred_mask`` are thresholded at 0.5.
  Reference: ``Engine.predict(ckpt_path=...)`` on the files.
* **raw outputs**, the Toll score ‖x̂ − x‖₂ + β‖z‖ and its map, exported from the same
  checkpoint with the post-processor removed (``model.post_processor = None``).
  Reference: the checkpoint's network (``model.model``) on the images as Lightning
  pre-processes them.

Tolerances: post-processed scores and maps within ``ATOL_NORMALISED`` (units of the [0, 1]
scale), raw ones within relative ``RTOL_RAW``; labels equal wherever the score is farther
than that from the 0.5 threshold. OpenVINO runs with ``INFERENCE_PRECISION_HINT=f32``: on CPUs
with bf16 support it computes in bf16 by default (measured here: 8e-3 on normalised scores,
1e-2 on normalised maps, 0.2 % on raw scores).
"""

import logging
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

pytest.importorskip("anomalib", reason="the anomalib extra is not installed")

from anomalib.data import Folder
from anomalib.data.utils import read_image
from anomalib.deploy import ExportType, OpenVINOInferencer, TorchInferencer
from anomalib.engine import Engine

from anomalib_toll.models import Toll

SIZE = 32  # image files
NETWORK_SIZE = (16, 16)  # Toll's pre-processor resizes to this, inside the exported graph too
ATOL_NORMALISED = 1e-4
RTOL_RAW = 1e-5
OPENVINO_F32 = {"INFERENCE_PRECISION_HINT": "f32"}

EXTRA = "pip install 'anomalib-toll[export]'"


def toll() -> Toll:
    return Toll(beta=1.0, image_size=NETWORK_SIZE, hidden_dims=(8, 16), latent_dim=8)


def write_images(root: Path, n_normal: int = 16, n_abnormal: int = 6) -> Path:
    """Smooth noise; anomalies carry a bright square (masks too)."""
    rng = np.random.default_rng(0)
    for sub in ("good", "bad", "masks"):
        (root / sub).mkdir(parents=True)

    def texture() -> np.ndarray:
        coarse = rng.uniform(0.2, 0.6, size=(4, 4, 3))
        return np.kron(coarse, np.ones((SIZE // 4, SIZE // 4, 1))) + rng.normal(0, 0.02, size=(SIZE, SIZE, 3))

    def save(array: np.ndarray, path: Path) -> None:
        Image.fromarray((np.clip(array, 0, 1) * 255).astype(np.uint8)).save(path)

    for i in range(n_normal):
        save(texture(), root / "good" / f"{i:03d}.png")
    for i in range(n_abnormal):
        image, mask = texture(), np.zeros((SIZE, SIZE))
        r, c = rng.integers(2, SIZE - 12, size=2)
        image[r : r + 10, c : c + 10] = 1.0
        mask[r : r + 10, c : c + 10] = 1.0
        save(image, root / "bad" / f"{i:03d}.png")
        save(mask, root / "masks" / f"{i:03d}.png")
    return root


@dataclass
class Outputs:
    """One model's outputs on the test images, as numpy: scores (N,), maps (N, H, W), labels (N,) or None."""

    pred_score: np.ndarray
    anomaly_map: np.ndarray
    pred_label: np.ndarray | None = None

    @classmethod
    def of(cls, pred_score: object, anomaly_map: object, pred_label: object = None) -> "Outputs":
        def array(value: object) -> np.ndarray:
            return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)

        scores, maps = array(pred_score).reshape(-1), array(anomaly_map)
        labels = None if pred_label is None else array(pred_label).reshape(-1).astype(bool)
        return cls(scores, maps.reshape(len(scores), *maps.shape[-2:]), labels)

    @classmethod
    def concat(cls, outputs: list["Outputs"]) -> "Outputs":
        labels = [o.pred_label for o in outputs]
        return cls(
            np.concatenate([o.pred_score for o in outputs]),
            np.concatenate([o.anomaly_map for o in outputs]),
            None if any(label is None for label in labels) else np.concatenate(labels),
        )


@dataclass
class Trained:
    engine: Engine
    checkpoint: Path
    paths: list[Path]  # the test images, in the order of the references
    normalised: Outputs  # Engine.predict from the checkpoint: post-processed
    raw: Outputs  # the checkpoint's network on the pre-processed images
    root: Path


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Trained:
    root = tmp_path_factory.mktemp("toll_export")
    data = write_images(root / "data")
    images = root / "images"  # 4 anomalous + 4 normal files, scored by every model below
    images.mkdir()
    for path in [*sorted((data / "bad").glob("*.png"))[:4], *sorted((data / "good").glob("*.png"))[:4]]:
        shutil.copy(path, images / f"{path.parent.name}_{path.name}")

    torch.manual_seed(0)
    engine = Engine(default_root_dir=root / "run", accelerator="cpu", devices=1, logger=False,
                    max_steps=6, val_check_interval=3, check_val_every_n_epoch=None)
    datamodule = Folder(name="tiny", root=data, normal_dir="good", abnormal_dir="bad", mask_dir="masks",
                        train_batch_size=8, eval_batch_size=8, num_workers=0)
    engine.fit(toll(), datamodule=datamodule)
    callback = engine.trainer.checkpoint_callback
    checkpoint = Path(callback.best_model_path or callback.last_model_path)

    batches = engine.predict(toll(), data_path=images, ckpt_path=checkpoint)
    paths = [Path(p) for batch in batches for p in batch.image_path]
    normalised = Outputs.concat([Outputs.of(b.pred_score, b.anomaly_map, b.pred_label) for b in batches])

    model = Toll.load_from_checkpoint(checkpoint).eval()
    with torch.no_grad():
        pixels = model.pre_processor.transform(torch.stack([read_image(p, as_tensor=True) for p in paths]))
        out = model.model(pixels)
    return Trained(engine, checkpoint, paths, normalised, Outputs.of(out.pred_score, out.anomaly_map), root)


@dataclass
class Export:
    path: Path
    warnings: list[logging.LogRecord]  # WARNING and above logged by the exporters


@pytest.fixture(scope="module")
def export(trained) -> Iterator[Callable[[str, bool], Export]]:
    """``export(format, raw)``: the checkpoint exported once per format and kind, as users do."""
    cache: dict[tuple[str, bool], Export] = {}

    def make(export_type: str, raw: bool) -> Export:
        if (export_type, raw) in cache:
            return cache[export_type, raw]
        records: list[logging.LogRecord] = []
        handler = logging.Handler(level=logging.WARNING)
        handler.emit = records.append  # type: ignore[method-assign]
        loggers = [logging.getLogger(name) for name in ("onnxscript", "torch.onnx", "anomalib")]
        for logger in loggers:
            logger.addHandler(handler)
        try:
            root = trained.root / ("raw" if raw else "post_processed")
            if raw:  # the same checkpoint without its post-processor: raw Toll scores
                model = Toll.load_from_checkpoint(trained.checkpoint)
                model.post_processor = None
                path = model.to_torch(root) if export_type == "torch" else model.to_onnx(root, input_size=(SIZE, SIZE))
            else:
                path = trained.engine.export(toll(), ExportType(export_type), export_root=root,
                                             input_size=(SIZE, SIZE), ckpt_path=trained.checkpoint)
        finally:
            for logger in loggers:
                logger.removeHandler(handler)
        cache[export_type, raw] = Export(Path(path), records)
        return cache[export_type, raw]

    return make


def run_exported(export_type: str, path: Path, image_paths: list[Path]) -> Outputs:
    """Score the image files with the exported model, the way a user would."""
    if export_type == "torch":
        inferencer = TorchInferencer(path, device="cpu")
        with torch.no_grad():
            results = [inferencer.predict(p) for p in image_paths]
        return Outputs.concat([Outputs.of(r.pred_score, r.anomaly_map, r.pred_label) for r in results])
    if export_type == "onnx":
        import onnxruntime as ort

        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        batch = torch.stack([read_image(p, as_tensor=True) for p in image_paths]).numpy()
        out = dict(zip([o.name for o in session.get_outputs()], session.run(None, {"input": batch}), strict=True))
        return Outputs.of(out["pred_score"], out["anomaly_map"], out.get("pred_label"))
    # OpenVINO: the IR anomalib writes, or (raw) the ONNX file, which OpenVINOInferencer reads too
    inferencer = OpenVINOInferencer(path, device="CPU", config=OPENVINO_F32)
    results = [inferencer.predict(p) for p in image_paths]
    return Outputs.concat([Outputs.of(r.pred_score, r.anomaly_map, r.pred_label) for r in results])


def requires(export_type: str) -> None:
    runtime = {"torch": [], "onnx": ["onnxruntime"], "openvino": ["openvino"]}[export_type]
    for module in ([] if export_type == "torch" else ["onnx", "onnxscript"]) + runtime:
        pytest.importorskip(module, reason=f"{module} is not installed: {EXTRA}")


@pytest.fixture(autouse=True)
def _sandbox(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TRUST_REMOTE_CODE", "1")  # TorchInferencer unpickles the exported module
    monkeypatch.chdir(tmp_path)  # OpenVINOInferencer writes ./openvino_cache


def test_checkpoint_predictions_are_its_raw_scores_normalised(trained):
    """The two references agree: Engine.predict = the post-processor's normalisation of the raw scores."""
    post = Toll.load_from_checkpoint(trained.checkpoint).post_processor
    scores = post._normalize(torch.from_numpy(trained.raw.pred_score), post.image_min, post.image_max,
                             post.image_threshold)
    np.testing.assert_allclose(trained.normalised.pred_score, scores.numpy(), atol=1e-6)
    assert 0 < len(set(trained.normalised.pred_label.tolist())) <= 2
    assert np.ptp(trained.raw.pred_score) > 0


@pytest.mark.parametrize("export_type", ["torch", "onnx", "openvino"])
def test_exported_post_processed_scores_maps_and_labels_equal_the_checkpoints(trained, export, export_type):
    requires(export_type)
    exported = run_exported(export_type, export(export_type, raw=False).path, trained.paths)
    reference = trained.normalised
    np.testing.assert_allclose(exported.pred_score, reference.pred_score, rtol=0, atol=ATOL_NORMALISED)
    np.testing.assert_allclose(exported.anomaly_map, reference.anomaly_map, rtol=0, atol=ATOL_NORMALISED)
    decided = np.abs(reference.pred_score - 0.5) > ATOL_NORMALISED
    np.testing.assert_array_equal(exported.pred_label[decided], reference.pred_label[decided])


@pytest.mark.parametrize("export_type", ["torch", "onnx", "openvino"])
def test_exported_raw_scores_and_maps_equal_the_checkpoints(trained, export, export_type):
    requires(export_type)
    path = export("torch" if export_type == "torch" else "onnx", raw=True).path
    exported = run_exported(export_type, path, trained.paths)
    reference = trained.raw
    assert exported.pred_label is None  # no post-processor, no threshold
    np.testing.assert_allclose(exported.pred_score, reference.pred_score, rtol=RTOL_RAW, atol=0)
    scale = np.abs(reference.anomaly_map).max()
    np.testing.assert_allclose(exported.anomaly_map, reference.anomaly_map, rtol=RTOL_RAW, atol=RTOL_RAW * scale)


def test_onnx_export_logs_no_failed_opset_conversion(export):
    requires("onnx")
    records = export("onnx", raw=False).warnings
    assert [r.getMessage() for r in records if r.exc_info or "Failed to convert" in r.getMessage()] == []
