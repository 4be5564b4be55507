"""``bench/threshold.py`` on one seed of ``generate_data`` (no data root: Arrhythmia is skipped)."""

from pathlib import Path

import pytest

from bench import threshold

DETECTORS = {"TollDetector (default)", "PyOD AutoEncoder", "PyOD IForest"}


def test_threshold_tallies_every_detector_on_both_generated_groups(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    results = threshold.main(["--seeds", "1", "--data_root", str(tmp_path)])

    out = capsys.readouterr().out
    tallies = results["clean"]
    groups = {"generate_data", "generate_data offset=2"}
    assert set(tallies) == {(group, name) for group in groups for name in DETECTORS}
    for (group, name), tally in tallies.items():
        assert len(tally.normals) == len(tally.anomalies) == len(tally.auroc) == 1, (group, name)
        assert 0 <= tally.normals[0] <= 1
        assert 0 <= tally.anomalies[0] <= 1
        assert 0.5 < tally.auroc[0] <= 1, (group, name)  # anomalies shifted away: every detector beats chance
        assert not tally.train_anomalies  # the clean scenario fits on normals only
    assert "arrhythmia skipped" in out
    assert out.count("| generate_data | ") == len(DETECTORS)
    assert out.count("| generate_data offset=2 | ") == len(DETECTORS)
