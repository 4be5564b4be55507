"""Checks of a grid done once, before any cell trains: duplicates, device, model arguments, output folder."""

import numpy as np
import pytest
import torch

from anomalib_toll.benchmark import grid, run_benchmark
from anomalib_toll.benchmark.grid import make_grid
from anomalib_toll.notices import InputWarning
from anomalib_toll.protocol import Budget
from anomalib_toll.runners import make_runner

TINY = Budget(iterations=20, batch_size=32, eval_every=10)


def test_a_class_listed_twice_runs_once_and_is_said():
    with pytest.warns(InputWarning, match="classes lists 3 more than once: each runs once"):
        cells = make_grid("digits", ["iforest"], classes=[3, 3], data_root=None, device=None)
    assert [c.normal_class for c in cells] == [3]


def test_a_model_listed_twice_runs_once_and_is_said():
    with pytest.warns(InputWarning, match="models lists 'iforest' more than once"):
        cells = make_grid("digits", ["iforest", "iforest"], classes=[0], data_root=None, device=None)
    assert [c.model for c in cells] == ["iforest"]


def test_two_spellings_of_one_model_are_refused():
    with pytest.raises(ValueError, match="both named 'iforest'"):
        make_grid("digits", ["iforest", "pyod.models.iforest.IForest"], classes=[0], data_root=None, device=None)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_on_a_machine_without_it_is_refused_once_for_the_grid():
    with pytest.raises(ValueError, match="device='cuda': torch sees no CUDA device"):
        make_grid("digits", ["iforest", "toll"], data_root=None, device="cuda")


def test_a_model_argument_of_the_wrong_type_stops_the_grid_before_its_first_cell(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(grid, "run_cell", started.append)
    with pytest.raises(ValueError, match=r"model 'iforest' with model_args \{'n_estimators': 'ten'\}"):
        run_benchmark("digits", ["toll", "iforest"], tmp_path / "o", classes=[0], budget=TINY, progress=False,
                      model_args={"iforest": {"n_estimators": "ten"}})
    assert not started
    assert not (tmp_path / "o").exists()


def test_trying_model_arguments_leaves_the_global_random_state(tmp_path):
    np.random.seed(7)  # noqa: NPY002
    torch.manual_seed(7)
    expected = np.random.random(), torch.rand(1).item()  # noqa: NPY002
    np.random.seed(7)  # noqa: NPY002
    torch.manual_seed(7)
    grid.checks.check_model_arguments(
        "autoencoder", make_runner("autoencoder", hidden_neuron_list=[4]), {"hidden_neuron_list": [4]},
        grid.cell_split(make_grid("digits", ["iforest"], classes=[0], data_root=None, device=None)[0]),
    )
    assert (np.random.random(), torch.rand(1).item()) == expected  # noqa: NPY002


def test_an_unknown_model_lists_anomalibs_own_names():
    with pytest.raises(ValueError, match="unknown model") as err:
        make_runner("nosuchmodel")
    assert "anomaly_dino" in str(err.value)
    assert "efficient_ad" in str(err.value)
    assert "anomaly_d_i_n_o" not in str(err.value)
    assert "c_f_m" not in str(err.value)
