"""Statistics a reader can act on: intervals per cell, Friedman, pairwise Wilcoxon-Holm, W/T/L, the CD diagram."""

import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import friedmanchisquare, wilcoxon

from anomalib_toll.record import Row
from anomalib_toll.report import summary_markdown, write_plots
from anomalib_toll.report.plots import MAX_BARS, MAX_PANELS
from anomalib_toll.report.significance import ALPHA, compare, comparison_markdown, min_datasets, seed_interval
from tests.data.writers import write_adbench


def results(means: dict[str, list[float]], seeds: int = 3, noise: float = 0.0, seed: int = 0) -> list[Row]:
    """Rows of models × data sets × seeds: ``means[model][k]`` (AUROC) plus seeded noise per seed."""
    rng = np.random.default_rng(seed)
    return [
        Row("adbench", k, s, model, "paper", "auroc", v + noise * rng.normal(), v, 1.0, 0.1, 100.0, "", "",
            class_name=f"d{k}", family="classical")
        for k in range(len(next(iter(means.values())))) for s in range(seeds) for model, values in means.items()
        for v in [values[k]]
    ]


def test_friedman_and_ranks_are_scipys_over_the_per_dataset_means():
    rng = np.random.default_rng(1)
    means = {m: list(0.6 + 0.3 * rng.random(8)) for m in ("toll", "iforest", "knn", "ecod")}
    comparison = compare(results(means, noise=0.01))
    expected = friedmanchisquare(*comparison.means.T)
    assert comparison.friedman.p == pytest.approx(expected.pvalue)
    assert comparison.friedman.statistic == pytest.approx(expected.statistic)
    assert comparison.average_ranks.sum() == pytest.approx(4 * 5 / 2)  # ranks 1..4 on each data set


def test_one_model_better_everywhere_gets_holms_p_and_is_the_only_difference():
    means = {"toll": [0.9 + k / 100 for k in range(10)], "iforest": [0.7 + k / 50 for k in range(10)],
             "knn": [0.71 + k / 50 for k in range(10)]}
    comparison = compare(results(means, seeds=1))
    pairs = {(p.a, p.b): p for p in comparison.pairs}
    # exact two-sided Wilcoxon with 10 wins: p = 2 / 2^10; Holm over 3 pairs multiplies the smallest by 3
    assert pairs["toll", "iforest"].test.p == pytest.approx(3 * 2 / 1024)
    assert (pairs["toll", "knn"].wins, pairs["toll", "knn"].losses) == (10, 0)
    assert pairs["toll", "knn"].significant
    assert (pairs["iforest", "knn"].wins, pairs["iforest", "knn"].losses) == (0, 10)


def test_differences_inside_the_seed_spread_are_ties():
    means = {"a": [0.80] * 6, "b": [0.81] * 6}
    rows = [r if r.seed != 1 else Row(**{**r.as_dict(), "value": r.value + 0.05}) for r in results(means)]
    pair = compare(rows).pairs[0]
    assert (pair.wins, pair.ties, pair.losses) == (0, 6, 0)  # 1 point apart, seeds spread by 2.4 points
    rows = results(means)  # no spread over seeds: 1 point is a loss
    assert compare(rows).pairs[0].losses == 6


def test_too_few_datasets_says_so_instead_of_a_p_value():
    means = {"toll": [0.9, 0.8, 0.7], "iforest": [0.6, 0.5, 0.4], "knn": [0.5, 0.4, 0.3]}
    comparison = compare(results(means))
    assert comparison.friedman.p is None
    assert "too few data sets for the Friedman test: N = 3, it needs ≥ 5" in comparison.friedman.reason
    assert all(p.test.p is None for p in comparison.pairs)
    text = summary_markdown(results(means), "t", class_label="dataset", ranks=True)
    assert "too few data sets for the Friedman test" in text
    assert "No p-value for the pairs: too few data sets: N = 3, the smallest two-sided Wilcoxon p is 0.25" in text
    assert "One pair needs ≥ 6 datasets; the 3 pairs, after Holm's correction, ≥ 7." in text
    assert "p =" not in text


@pytest.mark.parametrize("pairs", [1, 3, 6, 28, 45])
def test_min_datasets_is_where_holms_smallest_exact_wilcoxon_p_first_falls_below_alpha(pairs):
    def smallest_holm_p(n):  # every difference of one sign: scipy's exact two-sided p, times the pairs (Holm's step 1)
        return pairs * wilcoxon(np.arange(1.0, n + 1)).pvalue

    needed = min_datasets(pairs)
    assert smallest_holm_p(needed) < ALPHA <= smallest_holm_p(needed - 1)


def test_friedman_significant_but_no_pair_reachable_says_so_with_the_datasets_needed():
    # the held-out case of issue 34: 8 models, 10 data sets, Friedman significant, 28 pairs
    means = {f"m{i}": [0.6 + 0.03 * i + 0.001 * k for k in range(10)] for i in range(8)}
    comparison = compare(results(means, seeds=1))
    assert comparison.friedman.p < ALPHA
    assert comparison.smallest_holm_p == pytest.approx(28 * 2 / 2**10)  # 0.055: above α whatever the data
    assert min(p.test.p for p in comparison.pairs) == pytest.approx(comparison.smallest_holm_p)
    text = comparison_markdown(comparison, "AUROC")
    assert "**The Friedman test finds that some models differ, but the pairwise test cannot say which:**" in text
    assert "Holm's correction over the 28 pairs multiplies the smallest by 28, to 0.055 ≥ α = 0.05" in text
    assert "takes ≥ 11 datasets" in text
    assert "No pair differs significantly" not in text  # not a finding about the models: the design could not tell


def test_a_design_that_can_separate_pairs_states_no_limit():
    means = {"toll": [0.9 + k / 100 for k in range(10)], "iforest": [0.7 + k / 50 for k in range(10)],
             "knn": [0.71 + k / 50 for k in range(10)]}
    text = comparison_markdown(compare(results(means, seeds=1)), "AUROC")
    assert "cannot say which" not in text
    assert "takes ≥" not in text
    assert "Significant at α = 0.05: toll > iforest" in text


def test_bootstrap_interval_needs_three_seeds_and_brackets_the_mean():
    assert seed_interval([0.8, 0.9]) is None
    low, high = seed_interval([80.0, 84.0, 82.0, 83.0])
    assert 80.0 <= low < 82.25 < high <= 84.0
    means = {"toll": [0.9] * 6, "knn": [0.8] * 6}
    assert "[" not in summary_markdown(results(means, seeds=2, noise=0.01), "t", class_label="dataset").split(
        "## AUROC")[1].split("##")[0]
    assert " [" in summary_markdown(results(means, seeds=3, noise=0.01), "t", class_label="dataset")


def test_a_friedman_test_without_difference_joins_every_model_in_the_cd_diagram():
    rng = np.random.default_rng(3)
    same = list(0.6 + 0.3 * rng.random(12))
    means = {m: [v + 0.001 * rng.normal() for v in same] for m in ("a", "b", "c")}
    comparison = compare(results(means, seeds=1))
    assert comparison.friedman.p > 0.05
    np.testing.assert_array_equal(comparison.tied_matrix, np.ones((3, 3)))


def test_plots_scale_with_the_number_of_datasets(tmp_path):
    n = MAX_BARS // 3 + 2  # too many bars for three models
    many = {"toll": list(np.linspace(0.7, 0.9, n)), "knn": list(np.linspace(0.6, 0.8, n)),
            "ecod": list(np.linspace(0.65, 0.85, n))}
    rows = results(many)
    scores = tmp_path / "scores"
    scores.mkdir()
    for k in range(n):
        for m in many:
            np.savez(scores / f"adbench_{k}_0_{m}.npz", scores=np.arange(10.0), labels=np.r_[np.zeros(8), np.ones(2)])
    (tmp_path / "bars.png").write_bytes(b"an earlier run's")
    names = {p.name for p in write_plots(rows, tmp_path, class_label="dataset", ranks=True)}
    assert names == {"heatmap.png", "cd.png", "roc.png", "histograms.png"}
    assert not (tmp_path / "bars.png").exists()  # a stale strip of bars is not left beside them
    from PIL import Image

    assert Image.open(tmp_path / "roc.png").size[0] <= 5 * 3.0 * 150  # MAX_PANELS panels, five a row
    with Image.open(tmp_path / "histograms.png") as image:
        assert image.size[1] <= MAX_PANELS * 2.3 * 150 + 1  # one row of panels per drawn data set
    write_plots(rows, tmp_path, class_label="dataset", plot_classes=["d9"], ranks=True)
    with Image.open(tmp_path / "histograms.png") as image:
        assert image.size[1] <= 2.3 * 150 + 1  # only the named data set


def test_adbench_command_prints_intervals_friedman_pairs_and_writes_cd(tmp_path):
    root = write_adbench(tmp_path / "datasets", classical=6)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "anomalib_toll.benchmark", "--dataset", "adbench", "--data_root", str(root),
         "--category", "classical", "--models", "iforest,knn,ecod", "--seeds", "3", "--workers", "1",
         "--output", str(out)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "in brackets the bootstrap 95 % interval" in proc.stdout
    assert "- Friedman test over 3 models and 6 datasets: χ² = " in proc.stdout
    assert "| iforest vs knn |" in proc.stdout
    assert (out / "cd.png").exists()
    assert (out / "bars.png").exists()  # 6 data sets × 3 models: few enough bars to draw
