"""Figures read right: colours by model name, tied models apart in cd.png, small differences visible in bars.png."""

import numpy as np
import pytest

from anomalib_toll.report.colors import PINNED, model_colors
from anomalib_toll.report.plots import cd_diagram, dot_plot, fitted_limits, seed_span, spread_ties
from tests.report.test_significance import results


def test_a_models_colour_follows_its_name_not_the_order_or_company_of_models():
    first = model_colors(["ecod", "toll", "iforest", "my_detector"])
    second = model_colors(["my_detector", "knn", "ocsvm", "iforest", "ecod"])
    for model in ("ecod", "iforest", "my_detector"):
        assert first[model] == second[model]
    assert model_colors(["my_detector"])["my_detector"] == "#fd8d3c"  # a stable hash: the same in every process


def test_the_projects_models_never_share_a_colour_and_none_is_the_histograms_grey():
    colors = list(PINNED.values())
    assert len(set(colors)) == len(colors)
    assert {"toll", "toll_auto", "toll_beta0", "knn", "iforest", "ocsvm", "ecod", "autoencoder"} <= set(PINNED)
    assert all(len({c[1:3], c[3:5], c[5:7]}) > 1 for c in colors)  # no grey (equal R, G, B)


def test_tied_ranks_are_drawn_apart_centred_on_their_rank_and_independent_of_model_order():
    ranks = np.array([4.33, 1.0, 4.33, 6.7, 6.7, 2.5])
    names = ["autoencoder", "toll", "ocsvm", "ecod", "iforest", "knn"]
    drawn = spread_ties(ranks, names, 0.1)
    assert np.diff(np.sort(drawn)).min() >= 0.1 - 1e-9  # every dot and line has its own place
    assert drawn[[0, 2]].mean() == pytest.approx(4.33)  # a tied pair stays centred on its rank
    assert drawn[[3, 4]].mean() == pytest.approx(6.7)
    np.testing.assert_array_equal(drawn[[1, 5]], [1.0, 2.5])  # models without a tie stay where they are
    order = [4, 2, 0, 5, 3, 1]
    np.testing.assert_allclose(spread_ties(ranks[order], [names[i] for i in order], 0.1), drawn[order])


def test_near_ties_spread_as_one_run_without_overtaking_each_other():
    drawn = spread_ties(np.array([3.0, 3.02, 3.04]), ["a", "b", "c"], 0.1)
    np.testing.assert_allclose(drawn, [2.92, 3.02, 3.12])  # kept in rank order, centred on the mean


def test_cd_diagram_with_ties_says_they_are_drawn_apart(tmp_path, monkeypatch):
    means = {m: [0.6 + 0.01 * k for k in range(12)] for m in ("a", "b")}  # a and b tie on every data set
    means["c"] = [0.9 + 0.01 * k for k in range(12)]
    titles = []
    monkeypatch.setattr("matplotlib.axes.Axes.set_title", lambda _ax, text, **_: titles.append(text))
    assert cd_diagram(results(means, seeds=1), tmp_path / "cd.png") == tmp_path / "cd.png"
    assert "tied ranks drawn 0.03 apart so that each shows; exact ranks in the labels" in titles[0]


def test_bars_axis_is_fitted_to_the_values_so_a_few_points_show(tmp_path, monkeypatch):
    import matplotlib.figure

    limits = []  # the value axis as saved

    def save(fig, *_, **__):
        limits.append(fig.axes[0].get_ylim())

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", save)
    rows = results({"toll": [0.99, 0.97], "knn": [0.93, 0.95]}, seeds=3, noise=0.002)
    dot_plot(rows, tmp_path / "bars.png")
    (low, high), = limits
    values = [100 * r.value for r in rows]
    assert 90.0 <= low <= min(values)  # not from 0: 93 and 99 lie far apart on it
    assert max(values) <= high <= 100.5
    assert fitted_limits([]) == (0.0, 100.0)  # nothing finished: the whole scale


def test_a_seeds_interval_is_the_bootstrap_one_with_three_seeds_and_the_range_below():
    assert seed_span([90.0]) == (90.0, 90.0)
    assert seed_span([90.0, 92.0]) == (90.0, 92.0)
    low, high = seed_span([90.0, 91.0, 92.0, 91.5])
    assert 90.0 <= low < 91.125 < high <= 92.0


def test_bars_draw_cells_whose_seeds_agree(tmp_path):
    rows = results({"toll": [0.93, 0.81], "knn": [0.953, 0.6]}, seeds=3)  # no spread: interval = mean, up to rounding
    assert dot_plot(rows, tmp_path / "bars.png").exists()
