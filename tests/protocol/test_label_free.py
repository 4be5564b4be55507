"""Label-free selection: synthetic anomalies from normal rows only, three criteria from one run, beta="auto"."""

import numpy as np
import pytest

from anomalib_toll.protocol import Budget, TollSettings, make_split, train_toll
from anomalib_toll.protocol import beta as protocol_beta
from anomalib_toll.protocol import toll as protocol_toll
from anomalib_toll.protocol.synthetic import synthetic_anomalies

TINY = Budget(iterations=40, batch_size=64, eval_every=10)


@pytest.fixture(scope="module")
def digits_split():
    return make_split("digits", normal_class=3)


@pytest.mark.parametrize("shape", [(60, 1, 8, 8), (60, 3, 12, 12), (60, 7)])
def test_synthetic_anomalies_keep_shape_differ_from_normals_and_are_seeded(shape):
    normal = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    made = synthetic_anomalies(normal, seed=1)
    assert made.shape == normal.shape
    assert made.dtype == normal.dtype
    assert np.isfinite(made).all()
    assert not np.isclose(made, normal).all(axis=tuple(range(1, normal.ndim))).any()  # every row corrupted
    np.testing.assert_array_equal(made, synthetic_anomalies(normal, seed=1))


def test_image_mix_holds_simpler_images_in_equal_shares():
    """A third of the image anomalies are simpler than their source (thinned or faded), a sixth erased.

    Simpler inputs are the ones a plain autoencoder reconstructs well: without them the criterion cannot reward β > 0.
    """
    normal = np.random.default_rng(0).uniform(size=(60, 1, 12, 12)).astype(np.float32)
    made = synthetic_anomalies(normal, seed=0)
    no_brighter = (made <= normal).all(axis=(1, 2, 3))
    assert no_brighter.sum() == 20  # 10 thinned + 10 faded; rotations, flips, shuffles, erasures brighten some pixel
    faded = np.ptp(made - 0.5 * normal, axis=(1, 2, 3)) < 1e-6  # half the contrast, shifted to the darkest value
    assert faded.sum() == 10
    windows = np.lib.stride_tricks.sliding_window_view(made[:, 0], (4, 4), axis=(1, 2))
    erased = (windows == windows[..., :1, :1]).all(axis=(-2, -1)).any(axis=(1, 2))  # one constant 4 x 4 block
    assert erased.sum() == 10


@pytest.mark.parametrize("n_images", [2, 5])
def test_fewer_images_than_corruption_kinds_still_give_one_anomaly_each(n_images):
    """A few held-out images (a small Folder data set) must not fail the kinds that get no image."""
    normal = np.random.default_rng(0).uniform(size=(n_images, 1, 12, 12)).astype(np.float32)
    made = synthetic_anomalies(normal, seed=0)
    assert made.shape == normal.shape
    assert np.isfinite(made).all()
    assert not np.isclose(made, normal).all(axis=(1, 2, 3)).any()  # every row corrupted


def test_no_real_anomaly_reaches_label_free_selection(digits_split, monkeypatch):
    seen = []
    real = protocol_beta.synthetic_anomalies
    monkeypatch.setattr(protocol_beta, "synthetic_anomalies", lambda rows, seed: seen.append(rows) or real(rows, seed))
    poisoned = type(digits_split)(**{**digits_split.__dict__, "x_val": digits_split.x_val.copy()})
    poisoned.x_val[poisoned.y_val == 1] = np.nan  # a real anomaly reaching the criterion would make it NaN
    scored = []
    criteria = protocol_toll.make_criteria(poisoned, lambda x: scored.append(x) or x.flatten(1).mean(1).numpy())
    assert np.isfinite(criteria["synthetic"]())
    assert np.isfinite(criteria["clean"]())
    np.testing.assert_array_equal(seen[0], digits_split.x_val_normal)  # made from the normal rows only
    assert all(np.isfinite(x.numpy()).all() for x in scored)


def test_three_criteria_come_from_one_run_and_selection_is_unchanged(digits_split):
    plain = train_toll(digits_split, seed=0, budget=TINY)
    compared = train_toll(digits_split, seed=0, budget=TINY, compare_criteria=True)
    assert set(compared.fit.checkpoints) == {"paper", "clean", "synthetic"}
    np.testing.assert_array_equal(plain.score(digits_split.x_test), compared.score(digits_split.x_test))
    per_criterion = compared.criterion_scores(digits_split.x_test)
    np.testing.assert_array_equal(per_criterion["paper"][1], plain.score(digits_split.x_test))
    assert per_criterion["paper"][0] == plain.fit.best_step
    np.testing.assert_array_equal(compared.score(digits_split.x_test), plain.score(digits_split.x_test))  # restored


def test_synthetic_protocol_keeps_the_synthetic_checkpoint(digits_split):
    trained = train_toll(digits_split, seed=0, protocol="synthetic", budget=TINY, compare_criteria=True)
    assert trained.fit.best_step == trained.fit.checkpoints["synthetic"].step


def test_beta_auto_keeps_the_beta_with_the_best_synthetic_auroc(digits_split, monkeypatch):
    """A constructed case: β = 10's synthetic-best checkpoint is planted as clearly best on the synthetic validation."""
    real = protocol_toll.TrainedToll.checkpoint_scores
    noise = np.random.default_rng(0)

    def planted(self, x):
        kept = real(self, x)
        step, scores = kept["synthetic"]
        half = len(scores) // 2
        separating = np.r_[np.zeros(half), np.ones(half)] + noise.random(len(scores))
        kept["synthetic"] = (step, separating if self.beta == 10.0 else noise.random(len(scores)))
        return kept

    monkeypatch.setattr(protocol_toll.TrainedToll, "checkpoint_scores", planted)
    monkeypatch.setattr("anomalib_toll.protocol.beta.MIN_EVIDENCE_PAIRS", 10)  # digits holds out 22 normals
    monkeypatch.setattr(protocol_toll, "rung_steps", lambda *_: ())  # the planted scores are not the rungs' scores
    settings = TollSettings(beta="auto", beta_grid=(0, 1, 10, 100))
    trained = train_toll(digits_split, seed=0, protocol="synthetic", settings=settings, budget=TINY)
    assert trained.beta == 10.0
    assert trained.beta_search[10.0] == 1.0
    assert trained.beta_choice.gains[10.0] > 0


def test_beta_auto_on_few_held_out_rows_keeps_the_plain_autoencoder(digits_split, monkeypatch):
    """22 held-out normals are too few to weigh evidence: β = 0 even where another β looks far better."""
    real = protocol_toll.TrainedToll.checkpoint_scores

    def planted(self, x):
        kept = real(self, x)
        step, scores = kept["synthetic"]
        kept["synthetic"] = (step, np.r_[np.zeros(len(scores) // 2), np.ones(len(scores) // 2)] * self.beta)
        return kept

    monkeypatch.setattr(protocol_toll.TrainedToll, "checkpoint_scores", planted)
    settings = TollSettings(beta="auto", beta_grid=(0, 10))
    trained = train_toll(digits_split, seed=0, protocol="synthetic", settings=settings, budget=TINY)
    assert trained.beta_search == {0.0: 0.5, 10.0: 1.0}
    assert trained.beta == 0.0
    assert "fewer than the 30" in trained.beta_choice.reason


def test_bad_beta_grid_is_named():
    with pytest.raises(ValueError, match="beta_grid must be a finite number >= 0"):
        TollSettings(beta="auto", beta_grid=(0, -1))
    with pytest.raises(ValueError, match="beta_grid must hold at least one"):
        TollSettings(beta="auto", beta_grid=())


def test_beta_auto_with_compare_criteria_records_every_betas_run(digits_split, monkeypatch):
    """One ``beta="auto"`` run gives each β's three criteria: the same as training that β alone (no β stopping)."""
    monkeypatch.setattr(protocol_toll, "rung_steps", lambda *_: ())
    settings = TollSettings(beta="auto", beta_grid=(0, 10))
    auto = train_toll(digits_split, seed=0, protocol="synthetic", settings=settings, budget=TINY, compare_criteria=True)
    kept = auto.criterion_scores(digits_split.x_test)
    assert set(kept) == {f"{c}_beta{b}" for c in ("paper", "clean", "synthetic") for b in (0, 10)}
    alone = train_toll(digits_split, seed=0, settings=TollSettings(beta=10.0), budget=TINY, compare_criteria=True)
    for criterion, (step, scores) in alone.criterion_scores(digits_split.x_test).items():
        assert kept[f"{criterion}_beta10"][0] == step
        # the same network up to float32 rounding (tests/core/test_stack.py states the tolerance)
        np.testing.assert_allclose(kept[f"{criterion}_beta10"][1], scores, rtol=5e-2)
    plain = train_toll(digits_split, seed=0, protocol="synthetic", settings=settings, budget=TINY)
    assert plain.beta_runs is None  # without compare_criteria only the chosen run is kept
    assert plain.beta == auto.beta
