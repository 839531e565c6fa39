"""Evaluation of one scenario: a case worked by hand, fairness by hand, invariants by hypothesis."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridshare.benchmark.community import BenchmarkCommunity
from gridshare.benchmark.evaluate import (
    BUILDING_COLUMNS,
    P2P_LOSS,
    SUMMARY_COLUMNS,
    baseline_costs,
    evaluate,
    evaluate_safe,
    model_inputs,
)
from gridshare.benchmark.scenarios import Scenario, price_matrix
from gridshare.metrics import coefficient_of_variation, gini
from gridshare.model import build_model, solve
from gridshare.timeindex import make_index

from .conftest import hand_community

# Steps 16:00 (mid-peak) and 17:00-19:00 (on-peak): import 0.10 / 0.30, export ratio 0.5 ->
# 0.05 / 0.15, community price at spread 0.5 -> 0.075 / 0.225.
HAND = dict(export_ratio=0.5, community_spread=0.5, params=(("tou_mid", 0.10), ("tou_on", 0.30)))


def test_hand_case_without_p2p():
    # Worked by hand. A: PV 4 kWh at 16:00, battery 2 kWh. Alone it stores 2 kWh for its 1 kWh
    # loads at 17:00 and 18:00 (saving 0.30/kWh) and exports the other 2 kWh at 0.05:
    #   cost_A = -2 x 0.05 = -0.10; baseline_A = -4 x 0.05 + 2 x 0.30 = 0.40; saving 0.50.
    # B has no assets: cost_B = baseline_B = 1 x 0.10 + 2 x 0.30 = 0.70; saving 0.
    r = evaluate(Scenario("tou", False, **HAND), hand_community())
    b = r.buildings.set_index("building")
    np.testing.assert_allclose(b["cost"], [-0.10, 0.70], atol=1e-9)
    np.testing.assert_allclose(b["cost_baseline"], [0.40, 0.70], atol=1e-12)
    np.testing.assert_allclose(b["saving"], [0.50, 0.0], atol=1e-9)
    np.testing.assert_allclose(b["export_kwh"], [2.0, 0.0], atol=1e-9)
    s = r.summary
    assert s["community_cost"] == pytest.approx(0.60, abs=1e-9)
    assert s["p2p_benefit"] == 0.0 and s["p2p_traded_kwh"] == 0.0
    # 5 kWh of load, 3 kWh imported (B) -> self-sufficiency 1 - 3/5 = 0.4
    assert s["self_sufficiency"] == pytest.approx(0.4, abs=1e-9)


def test_hand_case_with_p2p():
    # Worked by hand. With the pool (5 % loss), A sells x = 1/0.95 kWh at 16:00 so that B
    # receives the 1 kWh it needs (worth 0.10 to B, 0.095 per kWh sold > 0.05 export); A still
    # stores 2 kWh for itself (own use saves 0.30/kWh, sending it to B only 0.95 x 0.30) and
    # exports 4 - 2 - 1/0.95 = 0.947368 kWh.
    sold = 1 / 0.95
    exported = 4 - 2 - sold
    cost_a = -exported * 0.05 - (1 - P2P_LOSS) * sold * 0.075  # the seller bears the loss
    cost_b = 2 * 0.30 + 1 * 0.075
    r = evaluate(Scenario("tou", True, **HAND), hand_community())
    b = r.buildings.set_index("building")
    np.testing.assert_allclose(b["cost"], [cost_a, cost_b], atol=1e-9)
    np.testing.assert_allclose(b["p2p_sold_kwh"], [sold, 0.0], atol=1e-9)
    np.testing.assert_allclose(b["p2p_bought_kwh"], [0.0, 1.0], atol=1e-9)
    np.testing.assert_allclose(b["saving"], [0.40 - cost_a, 0.70 - cost_b], atol=1e-9)
    s = r.summary
    # Community cost = grid bill: B imports 2 x 0.30, A exports 0.947368 x 0.05 = 0.5526316
    assert s["community_cost"] == pytest.approx(0.60 - exported * 0.05, abs=1e-9)
    assert s["community_cost"] == pytest.approx(cost_a + cost_b, abs=1e-12)
    # P2P benefit = 0.60 (alone, previous test) - 0.5526316 = 0.0473684
    assert s["p2p_benefit"] == pytest.approx(exported * 0.05, abs=1e-9)
    assert s["p2p_traded_kwh"] == pytest.approx(sold, abs=1e-9)
    assert s["self_sufficiency"] == pytest.approx(1 - 2 / 5, abs=1e-9)
    # Fairness by hand for two values a, b: mean m = (a + b) / 2, population std |a - b| / 2,
    # so CV = |a - b| / (2 |m|); Gini = sum_ij |x_i - x_j| / (2 n^2 |m|) = |a - b| / (4 |m|).
    m = (cost_a + cost_b) / 2
    assert s["cost_cv"] == pytest.approx(abs(cost_a - cost_b) / (2 * abs(m)), rel=1e-9)
    assert s["cost_gini"] == pytest.approx(abs(cost_a - cost_b) / (4 * abs(m)), rel=1e-9)
    sa, sb = 0.40 - cost_a, 0.70 - cost_b
    assert s["savings_gini"] == pytest.approx(abs(sa - sb) / (2 * (sa + sb)), rel=1e-9)
    assert s["status"] == "ok" and set(SUMMARY_COLUMNS) <= set(s)
    assert list(r.buildings.columns) == list(BUILDING_COLUMNS)


def test_fairness_metrics_by_hand():
    # gridshare.metrics on a tiny case, worked by hand: costs [1, 2, 3, 6], mean 3,
    # population variance (4 + 1 + 0 + 9) / 4 = 3.5 -> CV = sqrt(3.5) / 3 = 0.623610;
    # sum over ordered pairs |x_i - x_j| = 2 x (1 + 2 + 5 + 1 + 4 + 3) = 32 -> Gini = 32 / (2 x 16 x 3) = 1/3
    costs = np.array([1.0, 2.0, 3.0, 6.0])
    assert coefficient_of_variation(costs) == pytest.approx(np.sqrt(3.5) / 3, rel=1e-12)
    assert gini(costs) == pytest.approx(1 / 3, rel=1e-12)


def test_baseline_closed_form_equals_passive_lp(small_community):
    # Second formulation: the LP of the same community with no battery and no flexibility, no
    # P2P, has only one feasible dispatch (import the deficit, export the surplus), so its
    # optimum must equal the closed-form baseline (curtailment is never worth it at prices >= 0).
    c = small_community
    passive = BenchmarkCommunity(time=c.time, step_hours=c.step_hours, members=c.members,
                                 load_kw=c.load_kw, pv_kw=c.pv_kw,
                                 batteries=c.batteries.iloc[:0],
                                 flexibility=c.flexibility.assign(shiftable_share=0.0))
    s = Scenario("rtp", False, seed=9)
    p = price_matrix([s], c.time)
    lp = solve(build_model(model_inputs(passive, p["import_price"][0], p["export_price"][0]),
                           "individual"))
    closed = baseline_costs(c, p["import_price"][0], p["export_price"][0])
    np.testing.assert_allclose(lp.costs.loc[c.members, "total"].to_numpy(), closed, atol=1e-9)
    r = evaluate(s, passive)
    np.testing.assert_allclose(r.buildings["saving"], 0.0, atol=1e-9)


@st.composite
def tiny_communities(draw):
    n, steps = draw(st.integers(2, 3)), 6
    floats = st.floats(0.0, 5.0, allow_nan=False)
    load = np.array(draw(st.lists(floats, min_size=n * steps, max_size=n * steps))).reshape(n, steps)
    pv = np.array(draw(st.lists(floats, min_size=n * steps, max_size=n * steps))).reshape(n, steps)
    members = [f"m{i}" for i in range(n)]
    cap = draw(st.lists(st.floats(0.5, 6.0), min_size=n, max_size=n))
    batteries = pd.DataFrame({"owner": members, "capacity_kwh": cap,
                              "power_kw": [c / 2 for c in cap], "soc_min": 0.1, "soc_max": 0.9,
                              "soc_initial": draw(st.floats(0.1, 0.9)), "efficiency": 0.95},
                             index=[f"{m}_battery" for m in members])
    flex = pd.DataFrame({"shiftable_share": draw(st.floats(0.0, 0.5)),
                         "max_shift_kw": 1.0, "window_steps": draw(st.sampled_from([3, 6]))},
                        index=members)
    time = make_index("2024-07-01 15:00", pd.Timedelta(hours=1), "Europe/Lisbon", periods=steps)
    return BenchmarkCommunity(time=time, step_hours=1.0, members=members, load_kw=load,
                              pv_kw=pv, batteries=batteries, flexibility=flex)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(community=tiny_communities(), tariff=st.sampled_from(["tou", "cpp", "rtp", "edr"]),
       p2p=st.booleans(), ratio=st.floats(0.0, 0.9), spread=st.floats(0.0, 1.0))
def test_invariants(community, tariff, p2p, ratio, spread):
    s = Scenario(tariff, p2p, export_ratio=ratio, community_spread=spread, seed=3)
    r = evaluate(s, community, keep_solution=True)
    sol, b, dt = r.solution, r.buildings, community.step_hours
    prices = price_matrix([s], community.time)
    ip, ep = prices["import_price"][0], prices["export_price"][0]
    # Building costs sum to the community cost, which equals the grid bill (internal P2P
    # payments cancel because the seller bears the loss).
    assert b["cost"].sum() == pytest.approx(r.summary["community_cost"], abs=1e-9)
    grid_bill = ((sol["grid_import"] * ip - sol["grid_export"] * ep).sum() * dt).item()
    assert r.summary["community_cost"] == pytest.approx(grid_bill, abs=1e-7)
    np.testing.assert_allclose(b["saving"] + b["cost"], b["cost_baseline"], atol=1e-12)
    # Energy balance of every building and step, recomputed from the flows (kW):
    # pv - curtail + discharge + import + bought = load + shift + charge + export + sold
    members = community.members

    def get(name):
        if name not in sol:
            return 0.0
        return sol[name].reindex(member=members, fill_value=0.0).transpose("member", "time").values

    own = sol["battery_owner"].values
    ch = np.stack([sol["battery_charge"].values[own == m].sum(axis=0) for m in members])
    dis = np.stack([sol["battery_discharge"].values[own == m].sum(axis=0) for m in members])
    supply = community.pv_kw - get("curtail") + dis + get("grid_import") + get("pool_buy")
    demand = community.load_kw + get("flex_shift") + ch + get("grid_export") + get("pool_sell")
    np.testing.assert_allclose(supply, demand, atol=1e-6)
    if p2p:  # the pool delivers 95 % of what is sold
        np.testing.assert_allclose((1 - P2P_LOSS) * get("pool_sell").sum(0), get("pool_buy").sum(0),
                                   atol=1e-6)
    # SOC within bounds (kWh) and back at its start value
    soc = sol["battery_soc"].values
    bt = community.batteries.loc[list(sol["battery"].values)]
    cap = bt["capacity_kwh"].to_numpy()[:, None]
    assert np.all(soc >= bt["soc_min"].to_numpy()[:, None] * cap - 1e-7)
    assert np.all(soc <= bt["soc_max"].to_numpy()[:, None] * cap + 1e-7)
    np.testing.assert_allclose(soc[:, -1], bt["soc_initial"].to_numpy() * cap[:, 0], atol=1e-6)
    # Shifting conserves each building's energy and stays within its bounds
    shifted = community.load_kw + get("flex_shift")
    np.testing.assert_allclose(shifted.sum(axis=1), community.load_kw.sum(axis=1), atol=1e-6)
    assert np.all(shifted >= community.min_load_kw - 1e-7)
    assert np.all(shifted <= community.max_load_kw + 1e-7)
    # Optimising never costs more than the passive baseline (it is feasible), and P2P never
    # costs the community more than going alone (going alone is feasible with the pool).
    assert r.summary["community_cost"] <= r.summary["baseline_cost"] + 1e-7
    assert r.summary["p2p_benefit"] >= -1e-7


def test_failure_is_returned_not_raised(small_community, monkeypatch):
    s = Scenario("tou", False)
    monkeypatch.setenv("GRIDSHARE_BENCHMARK_FAULTS", f"{s.scenario_id}:infeasible")
    out = evaluate_safe(s, small_community)
    assert out.error_type == "InfeasibleError" and "power_balance" in out.message
    assert "Traceback" in out.traceback
