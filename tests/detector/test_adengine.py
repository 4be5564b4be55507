"""Toll in PyOD's ADEngine: the shipped knowledge-base entry and ``toll_adengine()``."""

import numpy as np
import pytest
from pyod.utils.ad_engine import ADEngine

from anomalib_toll import TollDetector
from anomalib_toll.detector.adengine import TOLL_KB_ENTRY, register_toll, toll_adengine

FAST = {"beta": 10.0, "epoch_num": 2, "batch_size": 64, "verbose": 0}


def rows(n: int = 200, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 6))


def test_entry_is_shipped_for_tabular_data_with_pyods_fields():
    bundled = ADEngine().kb.get_algorithm("AutoEncoder")
    assert set(TOLL_KB_ENTRY) == set(bundled)  # every field PyOD's entries have, no other
    assert TOLL_KB_ENTRY["status"] == "shipped"
    assert TOLL_KB_ENTRY["data_types"] == ["tabular"]
    assert TOLL_KB_ENTRY["class_path"] == "anomalib_toll.detector.TollDetector"


def test_make_plan_then_run_detection_with_defaults():
    engine = toll_adengine()
    plan = engine.make_plan(["Toll"])
    assert plan["detector_name"] == "Toll"
    assert plan["params"] == {"contamination": 0.1}
    X, X_test = rows(150), rows(20, seed=1)
    result = engine.run_detection(X, plan, X_test=X_test)
    assert isinstance(result["detector"], TollDetector)
    assert result["scores_train"].shape == (150,)
    assert result["scores_test"].shape == (20,)
    assert set(np.unique(result["labels_test"])) <= {0, 1}
    assert 0 < result["n_anomalies"] < 150


def test_engine_builds_the_same_detector_a_user_would():
    engine = toll_adengine(random_state=4)
    plan = engine.make_plan(["Toll"], params=[FAST])
    X = rows()
    result = engine.run_detection(X, plan, X_test=X[:10])
    direct = TollDetector(random_state=4, contamination=0.1, **FAST).fit(X)
    np.testing.assert_array_equal(result["scores_train"], direct.decision_scores_)
    np.testing.assert_array_equal(result["scores_test"], direct.decision_function(X[:10]))
    assert result["threshold"] == direct.threshold_


def test_toll_is_listed_for_tabular_routing_and_explained():
    engine = toll_adengine()
    assert "Toll" in {d["name"] for d in engine.list_detectors(data_type="tabular")}
    routing = engine.get_kb_for_routing(engine.profile_data(rows()))
    assert "Toll" in {d["name"] for d in routing["available_detectors"]}
    assert engine.explain_detector("Toll")["paper"]["id"] in engine.kb.papers


def test_registration_changes_only_the_engine_it_is_given():
    with pytest.raises(ValueError, match="Unknown detector"):
        ADEngine().make_plan(["Toll"])
    engine = register_toll(ADEngine())
    engine.kb.algorithms["Toll"]["default_params"]["contamination"] = 0.3
    assert TOLL_KB_ENTRY["default_params"]["contamination"] == 0.1  # the shipped entry is copied, not shared
    with pytest.raises(ValueError, match="Unknown detector"):
        ADEngine().make_plan(["Toll"])
