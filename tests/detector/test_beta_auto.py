"""``TollDetector(beta="auto")``: β chosen on synthetic anomalies made from held-out rows only."""

from __future__ import annotations

import numpy as np
import pytest

import anomalib_toll.detector.fit as fit_module
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


def planted_scores(separating: set[float], monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace each β's synthetic-validation scores: its rows' norm for the βs in ``separating``, noise for the rest."""
    real = fit_module.score_stack
    noise = np.random.default_rng(0)

    def planted(stack: object, x: np.ndarray, betas: tuple[float, ...], **kwargs: object) -> np.ndarray:
        real(stack, x, betas, **kwargs)  # the networks still score
        norm = np.linalg.norm(x, axis=1)
        return np.stack([norm if b in separating else noise.random(len(x)) for b in betas])

    monkeypatch.setattr(fit_module, "score_stack", planted)


def test_auto_picks_the_beta_whose_scores_separate_synthetic_anomalies(
    rows: np.ndarray, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A constructed case: only β = 10's scores tell rows from their corruptions (their norm); the rest are noise."""
    planted_scores({10.0}, monkeypatch)
    clf = TollDetector(beta="auto", beta_grid=GRID, **FAST).fit(rows)
    assert clf.beta_ == 10.0
    assert set(clf.beta_search_) == set(GRID)
    assert clf.beta_search_[10.0] > 0.75
    assert max(clf.beta_search_[0.0], clf.beta_search_[1000.0]) < 0.6
    assert clf.beta_choice_.gains[10.0] > 0  # the evidence it rests on


def test_auto_keeps_beta_zero_when_no_beta_beats_it_beyond_noise(
    rows: np.ndarray, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every β scores noise: the best of them is higher by chance only, and β = 0 stays."""
    planted_scores(set(), monkeypatch)
    clf = TollDetector(beta="auto", beta_grid=GRID, **FAST).fit(rows)
    assert max(clf.beta_search_.values()) > clf.beta_search_[0.0]  # some β looks better by chance ...
    assert clf.beta_ == 0.0  # ... and is not chosen
    assert all(not gain > 0 for gain in clf.beta_choice_.gains.values())


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
    # trained in a grid of 3 and alone: the same network up to float32 rounding (tests/core/test_stack.py)
    np.testing.assert_allclose(auto.decision_function(rows), fixed.decision_function(rows), rtol=5e-2)
    assert fixed.beta_search_ is None
    assert fixed.beta_ == auto.beta_


def test_n_jobs_changes_nothing_now_that_the_grid_is_one_stacked_model(rows: np.ndarray) -> None:
    """``n_jobs`` is accepted for PyOD's sake; the grid trains in this process either way, to the same values."""
    one = TollDetector(beta="auto", beta_grid=GRID, **FAST).fit(rows)
    two = TollDetector(beta="auto", beta_grid=GRID, n_jobs=2, **FAST).fit(rows)
    assert two.beta_ == one.beta_
    assert two.beta_search_ == one.beta_search_


def test_verbose_auto_prints_the_choice_and_its_cost(rows: np.ndarray, capsys: pytest.CaptureFixture[str]) -> None:
    """One line names the chosen β, what each β scored and what the search cost."""
    TollDetector(beta="auto", beta_grid=GRID, epoch_num=1, batch_size=64, verbose=1).fit(rows)
    err = capsys.readouterr().err
    assert "beta='auto' chose beta=" in err
    assert "3 networks trained as one stacked model" in err


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

    monkeypatch.setattr(fit_module, "fit_grid", no_training)
    with pytest.raises(ValueError, match=match):
        TollDetector(**{**FAST, **params}).fit(rows)


def test_a_diverging_beta_is_left_out_with_a_warning(rows: np.ndarray) -> None:
    """One β whose loss overflows (β = 3e38) does not sink the others trained beside it; it is named and not chosen."""
    with pytest.warns(UserWarning, match=r"diverged for beta=\[3e\+38\]"):
        clf = TollDetector(beta="auto", beta_grid=(0.0, 10.0, 3e38), **FAST).fit(rows)
    assert clf.beta_ != 3e38
    assert np.isnan(clf.beta_search_[3e38])
    assert np.isfinite(clf.decision_function(rows)).all()


def test_every_beta_diverging_names_the_step_and_the_fix(rows: np.ndarray) -> None:
    """When no β of the grid trains, the error is the divergence itself, not an empty choice."""
    with pytest.raises(TrainingDivergedError, match=r"training diverged at step 1 .*lower the learning rate"):
        TollDetector(beta="auto", beta_grid=(3e38,), **FAST).fit(rows)


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


def test_auto_stops_the_betas_behind_beta_zero_at_the_first_rung(rows: np.ndarray, monkeypatch) -> None:
    """The rungs fall on epoch ends; what ``behind_reference`` names stops there and cannot be chosen."""
    from anomalib_toll.detector import fit as detector_fit

    asked: list[list[float]] = []

    def behind_all(betas, scores):
        running = [k for k in range(len(betas)) if np.isfinite(scores[k]).all()]
        asked.append([betas[k] for k in running])
        return [k for k in running if betas[k] != 0.0]

    monkeypatch.setattr(detector_fit, "behind_reference", behind_all)
    clf = TollDetector(beta="auto", beta_grid=GRID, epoch_num=16, batch_size=64, verbose=0).fit(rows)
    per_epoch = 5  # 320 training rows (80 held out) in batches of 64
    assert asked[0] == list(GRID)
    assert all(ran == [0.0] for ran in asked[1:])
    assert clf.beta_choice_.stopped == {10.0: 2 * per_epoch, 1000.0: 2 * per_epoch}  # 1/8 of 16 epochs
    assert clf.beta_ == 0.0
    assert set(clf.beta_search_) == set(GRID)  # every β's weights at its stop still score
