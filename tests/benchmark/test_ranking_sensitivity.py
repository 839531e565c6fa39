"""Ranking by hand, and one-at-a-time / grid sensitivity on a small community."""

import numpy as np
import pandas as pd
import pytest

from gridshare.benchmark.ranking import rank
from gridshare.benchmark.scenarios import Scenario
from gridshare.benchmark.sensitivity import grid_sensitivity, one_at_a_time, tornado_table

RESULTS = pd.DataFrame({
    "scenario_id": ["a", "b", "c", "d", "e"],
    "status": ["ok", "ok", "ok", "failed", "ok"],
    "community_cost": [10.0, 8.0, 12.0, np.nan, 8.0],
    "savings_gini": [0.2, 0.6, 0.1, np.nan, 0.4],
    "self_sufficiency": [0.5, 0.4, 0.7, np.nan, 0.4],
})


def test_rank_by_cost_and_fairness():
    by_cost = rank(RESULTS, "cost")
    # failed "d" left out; cost 8 (b, e tie -> both rank 1, id order), 10, 12
    assert by_cost["scenario_id"].tolist() == ["b", "e", "a", "c"]
    assert by_cost["rank"].tolist() == [1, 1, 3, 4]
    assert by_cost["score"].tolist() == [8.0, 8.0, 10.0, 12.0]
    assert rank(RESULTS, "fairness")["scenario_id"].tolist() == ["c", "a", "e", "b"]
    # a higher-is-better metric ranks descending
    assert rank(RESULTS, "self_sufficiency")["scenario_id"].tolist()[0] == "c"


def test_weighted_score_by_hand():
    # Min-max over the kept rows a, b, c, e: cost (10, 8, 12, 8) -> (0.5, 0, 1, 0);
    # savings Gini (0.2, 0.6, 0.1, 0.4) -> (0.2, 1, 0, 0.6); self-sufficiency (0.5, 0.4, 0.7, 0.4) ->
    # (1/3, 0, 1, 0), higher is better so it enters as 1 - x = (2/3, 1, 0, 1).
    # Default weights 0.5 / 0.25 / -0.25, divided by 1:
    #   a = 0.25 + 0.05 + 1/6 = 0.466667; b = 0 + 0.25 + 0.25 = 0.5;
    #   c = 0.5 + 0 + 0 = 0.5;            e = 0 + 0.15 + 0.25 = 0.4
    r = rank(RESULTS).set_index("scenario_id")
    np.testing.assert_allclose(r.loc[["a", "b", "c", "e"], "score"],
                               [0.25 + 0.05 + 1 / 6, 0.5, 0.5, 0.4], rtol=1e-12)
    assert rank(RESULTS)["scenario_id"].tolist() == ["e", "a", "b", "c"]
    # cost only -> the cost order
    only = rank(RESULTS, weights={"community_cost": 2.0})
    assert only["scenario_id"].tolist() == ["b", "e", "a", "c"]


def test_rank_errors_are_named():
    with pytest.raises(ValueError, match="'colour'"):
        rank(RESULTS, "colour")
    with pytest.raises(ValueError, match="p2p_benefit"):
        rank(RESULTS, weights={"p2p_benefit": 1.0})
    with pytest.raises(ValueError, match="all zero"):
        rank(RESULTS, weights={"savings_gini": 0.0})


def test_tornado_table_by_hand():
    oat = pd.DataFrame({
        "parameter": ["x", "x", "x", "y", "y"], "value": [0.2, 0.4, 0.6, 1.0, 2.0],
        "is_base": [False, True, False, True, False], "status": "ok",
        "community_cost": [11.0, 10.0, 8.0, 10.0, 10.5]})
    t = tornado_table(oat)
    # x: 0.2 -> 11, 0.6 -> 8, swing 3; y: 1 -> 10, 2 -> 10.5, swing 0.5; base 10
    assert t["parameter"].tolist() == ["x", "y"]
    assert t.iloc[0][["low_value", "high_value", "metric_low", "metric_high", "base_metric",
                      "swing"]].tolist() == [0.2, 0.6, 11.0, 8.0, 10.0, 3.0]
    assert t.iloc[1]["swing"] == 0.5


def test_one_at_a_time_and_grid(small_community, tmp_path):
    base = Scenario("tou", True, export_ratio=0.4, community_spread=0.5)
    store = tmp_path / "store"
    oat = one_at_a_time(base, {"export_ratio": [0.2], "community_spread": [0.7]},
                        small_community, store=store)
    # Base value added to each range: 2 rows per parameter, the base flagged in each.
    assert oat.groupby("parameter").size().to_dict() == {"community_spread": 2, "export_ratio": 2}
    assert oat["is_base"].sum() == 2 and set(oat[oat["is_base"]]["scenario_id"]) == {base.scenario_id}
    ex = oat[oat["parameter"] == "export_ratio"].sort_values("value")
    assert ex["value"].tolist() == [0.2, 0.4]
    # A higher export price can only lower the optimal community cost (every dispatch earns
    # at least as much), so the cost is non-increasing in the export ratio.
    assert np.all(np.diff(ex["community_cost"].to_numpy()) <= 1e-9)
    sp = oat[oat["parameter"] == "community_spread"]
    # The community price is an internal transfer: the joint optimum and the community cost do
    # not depend on the spread (only how it is shared does).
    np.testing.assert_allclose(sp["community_cost"], sp["community_cost"].iloc[0], rtol=1e-9)
    tornado = tornado_table(oat)
    assert tornado.iloc[0]["parameter"] == "export_ratio"
    assert tornado.set_index("parameter").loc["community_spread", "swing"] == pytest.approx(0, abs=1e-9)
    # Grid 2 x 2 over the same store: three corners were run by the OAT sweep and are not solved
    # again (the store skips them); they must be the same rows.
    grid = grid_sensitivity(base, {"export_ratio": [0.2, 0.4], "community_spread": [0.5, 0.7]},
                            small_community, store=store)
    assert list(grid.columns[:3]) == ["export_ratio", "community_spread", "scenario_id"]
    assert len(grid) == 4 and grid["status"].eq("ok").all()
    g = grid.set_index(["export_ratio", "community_spread"])["community_cost"]
    o = oat.set_index(["parameter", "value"])["community_cost"]
    assert g.loc[(0.2, 0.5)] == o.loc[("export_ratio", 0.2)]
    assert g.loc[(0.4, 0.7)] == o.loc[("community_spread", 0.7)]
    # the one new corner: again independent of the spread
    assert g.loc[(0.2, 0.7)] == pytest.approx(g.loc[(0.2, 0.5)], rel=1e-9)


def test_sensitivity_errors(small_community):
    base = Scenario("tou", False)
    with pytest.raises(ValueError, match="rtp_mean"):
        one_at_a_time(base, {"rtp_mean": [0.1]}, small_community)
    with pytest.raises(ValueError, match="empty"):
        grid_sensitivity(base, {}, small_community)
