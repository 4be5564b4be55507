"""``TollDetector(beta="auto")``: β chosen on synthetic anomalies made from held-out rows only."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anomalib_toll.protocol.fit as fit_module
from anomalib_toll import TollDetector
from anomalib_toll.core import TrainingDivergedError

FAST = {"epoch_num": 2, "batch_size": 64, "verbose": 0}
GRID = (0.0, 10.0, 1000.0)


@pytest.fixture(scope="module")
def rows() -> np.ndarray:
    """400 rows of 8 correlated features."""
    rng = np.random.default_rng(0)
    base = rng.normal(size=(400, 4))
    return np.concatenate([base, base @ rng.normal(size=(4, 4))], axis=1)


def test_auto_picks_the_beta_whose_scores_separate_synthetic_anomalies(
    rows: np.ndarray, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A constructed case: only β = 10's scores tell rows from their corruptions (their norm); the rest are noise."""
    real = fit_module.toll_batch_scores
    noise = torch.Generator().manual_seed(0)

    def planted(model: torch.nn.Module, x: torch.Tensor, beta: float, **kwargs: object) -> torch.Tensor:
        if beta == 10.0:
            return x.norm(dim=1)
        real(model, x, beta=beta, **kwargs)  # the network still runs
        return torch.rand(len(x), generator=noise)

    monkeypatch.setattr(fit_module, "toll_batch_scores", planted)
    clf = TollDetector(beta="auto", beta_grid=GRID, **FAST).fit(rows)
    assert clf.beta_ == 10.0
    assert set(clf.beta_search_) == set(GRID)
    assert clf.beta_search_[10.0] > 0.75
    assert max(clf.beta_search_[0.0], clf.beta_search_[1000.0]) < 0.6


def test_synthetic_anomalies_come_only_from_held_out_rows(rows: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows corrupted for selection are the standardised held-out rows, none that trained a network."""
    from anomalib_toll.protocol import beta

    seen: list[np.ndarray] = []
    real = beta.synthetic_anomalies

    def recording(normal: np.ndarray, seed: int = 0) -> np.ndarray:
        seen.append(normal.copy())
        return real(normal, seed)

    monkeypatch.setattr(beta, "synthetic_anomalies", recording)
    clf = TollDetector(beta="auto", beta_grid=GRID, **FAST).fit(rows)
    (normal,) = seen
    held_out = clf.scaler_.transform(rows[clf.validation_indices_]).astype(np.float32)
    np.testing.assert_array_equal(normal, held_out)
    assert len(clf.validation_indices_) == round(0.2 * len(rows))  # validation_fraction's rows, not all


def test_auto_keeps_the_chosen_network_and_scores_with_its_beta(rows: np.ndarray) -> None:
    """After the search, the detector is the fixed-β detector of the chosen value (same seed, same batches)."""
    auto = TollDetector(beta="auto", beta_grid=GRID, **FAST).fit(rows)
    fixed = TollDetector(beta=auto.beta_, **FAST).fit(rows)
    np.testing.assert_allclose(auto.decision_function(rows), fixed.decision_function(rows), rtol=1e-5)
    assert fixed.beta_search_ is None
    assert fixed.beta_ == auto.beta_


def test_grid_in_parallel_processes_chooses_the_same_beta(rows: np.ndarray) -> None:
    """``n_jobs=2`` trains the grid in two processes; the choice does not depend on it."""
    one = TollDetector(beta="auto", beta_grid=GRID, **FAST).fit(rows)
    two = TollDetector(beta="auto", beta_grid=GRID, n_jobs=2, **FAST).fit(rows)
    assert two.beta_ == one.beta_
    for beta in GRID:  # one thread per process: float rounding may differ, not the value
        assert two.beta_search_[beta] == pytest.approx(one.beta_search_[beta], abs=0.01)


def test_verbose_auto_prints_the_choice_and_its_cost(rows: np.ndarray, capsys: pytest.CaptureFixture[str]) -> None:
    """One line names the chosen β, what each β scored and what the search cost."""
    TollDetector(beta="auto", beta_grid=GRID, epoch_num=1, batch_size=64, verbose=1).fit(rows)
    err = capsys.readouterr().err
    assert "beta='auto' chose beta=" in err
    assert "3 networks trained in" in err


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"beta": "tuned"}, "beta must be a number .* or 'auto'"),
        ({"beta": "auto", "beta_grid": ()}, "beta_grid must hold at least one"),
        ({"beta": "auto", "beta_grid": (1.0, -1.0)}, "beta_grid"),
        ({"beta": "auto", "beta_grid": "0 1 10"}, "beta_grid must be a sequence"),
        ({"beta": "auto", "validation_fraction": 0.0}, "validation_fraction"),
        ({"n_jobs": 0}, "n_jobs must be"),
    ],
)
def test_auto_arguments_are_checked_before_training(
    rows: np.ndarray, params: dict[str, object], match: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bad β, grid, n_jobs or too few held-out rows fails naming the argument, before any network trains."""

    def no_training(*_: object, **__: object) -> None:
        pytest.fail("trained before the arguments were checked")

    monkeypatch.setattr(fit_module, "train_network", no_training)
    with pytest.raises(ValueError, match=match):
        TollDetector(**{**FAST, **params}).fit(rows)


def test_a_diverging_beta_is_left_out_with_a_warning(rows: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """One β whose training diverges does not sink the search; it is named and not chosen."""
    real = fit_module.train_network

    def diverging(job: fit_module.NetworkJob) -> object:
        if job.beta == 1000.0:
            msg = "training diverged at step 3"
            raise TrainingDivergedError(msg)
        return real(job)

    monkeypatch.setattr(fit_module, "train_network", diverging)
    with pytest.warns(UserWarning, match=r"diverged for beta=\[1000.0\]"):
        clf = TollDetector(beta="auto", beta_grid=GRID, **FAST).fit(rows)
    assert clf.beta_ != 1000.0
    assert np.isnan(clf.beta_search_[1000.0])


def test_auto_is_the_default_and_the_same_seed_gives_the_same_choice(rows: np.ndarray) -> None:
    """The label-free policy is what a user gets without arguments; a fixed seed fixes the choice and its values."""
    assert TollDetector().beta == "auto"
    first = TollDetector(beta_grid=GRID, random_state=3, **FAST).fit(rows)
    again = TollDetector(beta_grid=GRID, random_state=3, **FAST).fit(rows)
    assert first.beta_search_ is not None
    assert first.beta_ == again.beta_
    assert first.beta_search_ == again.beta_search_


def test_auto_on_a_small_table_holds_out_ten_rows(rows: np.ndarray) -> None:
    """48 rows (ADBench Hepatitis' normal training rows): 20 % would hold out 10 at most; auto runs on 10 held out."""
    clf = TollDetector(beta_grid=GRID, **FAST).fit(rows[:40])
    assert len(clf.validation_indices_) == 10
    assert clf.beta_search_ is not None


def test_auto_on_fewer_than_twenty_rows_falls_back_to_the_plain_autoencoder(rows: np.ndarray) -> None:
    """Too few rows to hold any out and still train: β = 0, said in a warning that names the fix."""
    with pytest.warns(UserWarning, match=r"X has 15 rows: using beta=0 .*Pass a fixed beta"):
        clf = TollDetector(beta_grid=GRID, **FAST).fit(rows[:15])
    assert clf.beta_ == 0.0
    assert clf.beta_search_ is None
