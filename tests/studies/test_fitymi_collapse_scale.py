"""The collapse-scale study on a tiny CIFAR-10 file: both terms measured per step, the weight changes training."""

import json

import numpy as np
import pytest

pytest.importorskip("anomalib", reason="the anomalib extra is not installed (the study trains FITYMI+Toll)")

from studies.fitymi_collapse_scale import measure  # after the skip: it imports anomalib


def test_each_weight_measures_both_terms_before_its_update(tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.savez(
        tmp_path / "cifar10.npz",
        x_train=rng.integers(0, 256, (16, 32, 32, 3), dtype=np.uint8), y_train=np.repeat([0, 1], 8),
        x_test=rng.integers(0, 256, (4, 32, 32, 3), dtype=np.uint8), y_test=np.array([0, 1, 0, 1]),
    )
    measure.main(["--model", "small", "--steps", "2", "--batch_size", "4", "--fakes", "cutpaste",
                  "--train_weights", "0", "1", "--data_root", str(tmp_path)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    steps = {(row["train_weight"], row["step"]): row for row in lines if "step" in row}
    assert sorted(steps) == [(0.0, 0), (0.0, 1), (1.0, 0), (1.0, 1)]
    assert [row["summary"]["train_weight"] for row in lines if "summary" in row] == [0.0, 1.0]
    first = steps[0.0, 0]
    assert first["ce"] > 0
    assert first["collapse"] > 0
    assert first["grad_ratio"] == pytest.approx(first["grad_collapse"] / first["grad_ce"], rel=1e-3)
    # Step 0 is measured before any update, from the same seed: the weight cannot change it ...
    assert steps[1.0, 0] == {**first, "train_weight": 1.0}
    # ... but one step trained with the collapse term pulls the embeddings together.
    assert steps[1.0, 1]["collapse"] < steps[0.0, 1]["collapse"]
