"""Benchmark figures: the trace values are the table values (checked against the tables by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridshare.report.figures import benchmark as bf
from gridshare.report.figures import common

from .conftest import TIME, run_tables


@pytest.fixture(scope="module")
def tables():
    return run_tables()[1]


def test_ranking_bar_values_and_order(tables):
    rankings = tables["rankings"].sample(frac=1.0, random_state=1)  # shuffled: the figure sorts by rank
    fig = bf.ranking_bar(rankings, "community_cost", top=5, scenarios=tables["scenarios"])
    expected = tables["rankings"].sort_values("rank").head(5)
    (trace,) = fig.data
    assert trace.orientation == "h"
    assert list(trace.y) == expected["scenario_id"].tolist()
    np.testing.assert_array_equal(trace.x, expected["community_cost"].to_numpy())
    tariff = tables["scenarios"].set_index("scenario_id").loc[expected["scenario_id"], "tariff"]
    assert list(trace.marker.color) == [common.TARIFF_COLOURS[t] for t in tariff]
    assert fig.layout.xaxis.title.text == "Community cost (EUR)"


def test_fairness_vs_cost_one_trace_per_tariff(tables):
    results, scenarios = tables["results"], tables["scenarios"]
    fig = bf.fairness_vs_cost(results, scenarios)
    ok = results[results["status"] == "ok"].merge(scenarios[["scenario_id", "tariff"]], on="scenario_id")
    assert sum(len(t.x) for t in fig.data) == len(ok) == 11  # the failed scenario is left out
    for trace in fig.data:
        rows = ok[ok["tariff"] == trace.name]
        np.testing.assert_array_equal(trace.x, rows["community_cost"].to_numpy())
        np.testing.assert_array_equal(trace.y, rows["savings_gini"].to_numpy())
        assert list(trace.text) == rows["scenario_id"].tolist()
        assert trace.marker.color == common.TARIFF_COLOURS[trace.name]


def test_tornado_changes_from_base(tables):
    fig = bf.tornado(tables["tornado"], "community_cost")
    low, high = fig.data
    # Sorted by swing (20 then 3); changes from the base 100: 110-100, 99-100 and 90-100, 102-100.
    assert list(low.y) == ["export_ratio", "community_spread"]
    np.testing.assert_allclose(low.x, [10.0, -1.0])
    np.testing.assert_allclose(high.x, [-10.0, 2.0])
    with_metric = pd.concat([tables["tornado"].assign(metric="a"), tables["tornado"].assign(metric="b")])
    with pytest.raises(ValueError, match="name one with metric="):
        bf.tornado(with_metric)
    np.testing.assert_allclose(bf.tornado(with_metric, "b").data[0].x, [10.0, -1.0])


def test_sensitivity_heatmap_pivots_means():
    # Two seeds per cell: the heatmap shows their mean, rows = y values, columns = x values.
    grid = pd.DataFrame({"er": [0.2, 0.2, 0.4, 0.4, 0.2, 0.4], "cs": [0.3, 0.3, 0.3, 0.3, 0.7, 0.7],
                         "cost": [10.0, 12.0, 20.0, 22.0, 30.0, 40.0]})
    (trace,) = bf.sensitivity_heatmap(grid, "er", "cs", "cost").data
    assert list(trace.x) == [0.2, 0.4] and list(trace.y) == [0.3, 0.7]
    np.testing.assert_allclose(trace.z, [[11.0, 21.0], [30.0, 40.0]])


def test_learning_curve_and_predicted_vs_actual(tables):
    fig = bf.learning_curve(tables["learning_curve"])
    assert [t.name for t in fig.data] == ["community_cost", "cost_cv"]
    np.testing.assert_allclose(fig.data[0].y, [0.8, 0.95])
    np.testing.assert_array_equal(fig.data[0].x, [40, 80])
    # y = [1, 2, 3], prediction [1, 2, 4]: R² = 1 - 1/2 = 0.5 (by hand) appears in the title.
    fig = bf.predicted_vs_actual([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    assert "R² = 0.500" in fig.layout.title.text
    np.testing.assert_array_equal(fig.data[1].x, [1.0, 4.0])  # identity line over the full range


def test_price_profiles_and_building_costs(tables):
    prices = tables["prices"]
    scenarios = tables["scenarios"]
    wide = prices.pivot(index="scenario_id", columns="step", values="import_price")
    wide = wide.loc[scenarios["scenario_id"]]
    arrays = {"import_price": wide.to_numpy()}
    fig = bf.price_profiles(TIME, arrays, scenarios, ["s002", "s005"])
    np.testing.assert_array_equal(fig.data[0].y, wide.loc["s002"].to_numpy())
    np.testing.assert_array_equal(fig.data[1].y, wide.loc["s005"].to_numpy())
    assert fig.data[0].name == "s002 (rtp)"
    # Plotly has no zones: x is the wall-clock time in Berlin (first step 00:00 local).
    assert pd.Timestamp(fig.data[0].x[0]) == pd.Timestamp("2026-06-01 00:00")
    with pytest.raises(ValueError, match=r"ids \['nope'\]"):
        bf.price_profiles(TIME, arrays, scenarios, ["nope"])
    fig = bf.building_costs(tables["buildings"], "s001")
    rows = tables["buildings"][tables["buildings"]["scenario_id"] == "s001"]
    baseline, community = fig.data
    np.testing.assert_array_equal(baseline.y, rows["cost_baseline"].to_numpy())
    np.testing.assert_array_equal(community.y, rows["cost"].to_numpy())
    assert list(community.x) == ["b1", "b2", "b3"]
    with pytest.raises(ValueError, match="scenario_id='zz'"):
        bf.building_costs(tables["buildings"], "zz")


def test_helpers_keep_values_and_check_input():
    fig = common.stacked_bar(["a", "b"], {"pv": [1.0, 2.0], "grid": [3.0, -1.0]}, "S", "x", "kWh")
    assert fig.layout.barmode == "relative"
    assert [list(t.y) for t in fig.data] == [[1.0, 2.0], [3.0, -1.0]]
    assert fig.layout.template.layout.paper_bgcolor == "white"
    with pytest.raises(ValueError, match="series 'a' has 2 values but x has 3"):
        common.line_chart([1, 2, 3], {"a": [1, 2]}, "L")
    with pytest.raises(ValueError, match=r"z has shape \(1, 2\)"):
        common.heatmap([1], [1], [[1, 2]], "H")
    with pytest.raises(ValueError, match=r"rankings has no column \['score'\]"):
        bf.ranking_bar(pd.DataFrame({"scenario_id": ["a"], "rank": [1]}), "score")
