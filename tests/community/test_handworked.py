"""Hand-worked examples: trades, wallets, greedy decisions and battery arrangements."""

import numpy as np
import pandas as pd
import pytest

from gridshare.community import (
    CommunityInputs,
    Storage,
    clear_step,
    greedy_requests,
    pair_trades,
    run_simulation,
    simulate,
)


def _two_homes(**kw) -> CommunityInputs:
    # h0: load 1, 1, 1 with PV 3, 0, 2; h1: load 2, 1, 0.5 with PV 0, 2, 0 (hourly, kW = kWh).
    return CommunityInputs.from_arrays([[1.0, 1.0, 1.0], [2.0, 1.0, 0.5]],
                                       pv_kw=[[3.0, 0.0, 2.0], [0.0, 2.0, 0.0]], **kw)


def test_two_homes_three_steps_trades_and_wallets():
    r = run_simulation(inputs=_two_homes(), strategy="greedy", battery="none")
    # Worked by hand, mid price (0.15 + 0.05) / 2 = 0.10 every step:
    # step 0: h0 sells 2 to h1;  step 1: h1 sells 1 to h0;
    # step 2: h0 has 1 spare, h1 needs 0.5 -> 0.5 to h1, 0.5 exported at 0.05.
    expected = pd.DataFrame({"step": [0, 1, 2], "seller": ["h0", "h1", "h0"],
                             "buyer": ["h1", "h0", "h1"], "kwh": [2.0, 1.0, 0.5],
                             "price": [0.1, 0.1, 0.1]})
    pd.testing.assert_frame_equal(r.trades[expected.columns].reset_index(drop=True), expected,
                                  check_dtype=False)
    hh = r.households
    # h0: +0.2 - 0.1 + 0.05 (P2P) + 0.5 * 0.05 (grid) = 0.175; h1: -0.2 + 0.1 - 0.05 = -0.15.
    np.testing.assert_allclose(hh.loc[["h0", "h1"], "wallet"], [0.175, -0.15], atol=1e-12)
    # Baseline: h0 exports 2 (0.10), imports 1 (-0.15), exports 1 (0.05) -> 0.0;
    # h1 imports 2 (-0.30), exports 1 (+0.05), imports 0.5 (-0.075) -> cost 0.325.
    np.testing.assert_allclose(hh["baseline_cost"], [0.0, 0.325], atol=1e-12)
    np.testing.assert_allclose(hh["savings"], [0.175, 0.175], atol=1e-12)
    # 100 * (0.325 - 0.15) / 0.325
    assert hh.loc["h1", "savings_pct"] == pytest.approx(53.84615384615385, rel=1e-12)
    np.testing.assert_allclose(hh["grid_sold_kwh"], [0.5, 0.0], atol=1e-12)
    np.testing.assert_allclose(hh["grid_bought_kwh"], [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(hh["p2p_bought_kwh"], [1.0, 2.5], atol=1e-12)
    # Self-consumption h0 = 1 - 0.5 / 5; h1 = 1 - 0 / 2.  Self-sufficiency 1 for both.
    np.testing.assert_allclose(hh["self_consumption"], [0.9, 1.0], atol=1e-12)
    assert r.summary["p2p_volume_kwh"] == pytest.approx(3.5)
    assert r.summary["participation_rate"] == 1.0
    # Gini of savings (0.175, 0.175) is 0.
    assert r.summary["gini_savings"] == pytest.approx(0.0, abs=1e-12)
    # Ledger: one block per step with those trades.
    assert [b.step for b in r.ledger.blocks] == [0, 1, 2]
    assert r.ledger.blocks[0].trades[0]["amount"] == pytest.approx(0.2)
    # The replay's trade matrix holds the same edges for the network graph.
    tm = r.replay["trade_kwh"]
    assert float(tm.sel(step=0, seller="h0", buyer="h1")) == 2.0
    assert float(tm.sel(step=1, seller="h1", buyer="h0")) == 1.0
    assert float(tm.sum()) == pytest.approx(3.5)
    # Replay wallet after each step (h0): 0.2, 0.1, 0.175.
    np.testing.assert_allclose(r.replay["wallet"].sel(agent="h0"), [0.2, 0.1, 0.175],
                               atol=1e-12)


def test_greedy_battery_decisions_match_worked_example():
    # One home, 2 kWh / 1 kW battery, efficiency 0.9 each way, empty at start, net load
    # -1.5, -1.0, +2.0, +0.5 kWh (hourly).  By hand:
    # t0: charge min(1.5, 1 kW x 1 h, 2 / 0.9) = 1 -> SOC 0.9, export 0.5
    # t1: charge min(1.0, 1, (2 - 0.9) / 0.9) = 1 -> SOC 1.8, export 0
    # t2: discharge min(2, 1, 1.8 x 0.9) = 1 -> SOC 1.8 - 1 / 0.9 = 0.68889, import 1
    # t3: discharge min(0.5, 1, 0.62) = 0.5 -> SOC 0.68889 - 0.5 / 0.9 = 0.13333, import 0
    ci = CommunityInputs.from_arrays([[0.0, 0.0, 2.0, 0.5]], pv_kw=[[1.5, 1.0, 0.0, 0.0]],
                                     battery_kwh=2.0, battery_kw=1.0, efficiency=0.9,
                                     soc_initial=0.0)
    run = simulate(ci, strategy="greedy", battery="individual")
    rp = run.replay.sel(agent="h0")
    np.testing.assert_allclose(rp["battery_charge_kwh"], [1, 1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(rp["battery_discharge_kwh"], [0, 0, 1, 0.5], atol=1e-12)
    np.testing.assert_allclose(rp["soc_kwh"], [0.9, 1.8, 1.8 - 1 / 0.9, 1.8 - 1.5 / 0.9],
                               atol=1e-12)
    np.testing.assert_allclose(rp["grid_export_kwh"], [0.5, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(rp["grid_import_kwh"], [0, 0, 1, 0], atol=1e-12)
    # Wallet: 0.5 x 0.05 - 1 x 0.15 = -0.125.
    assert float(rp["wallet"][-1]) == pytest.approx(-0.125)


def test_greedy_requests_and_storage_clipping():
    c, d = greedy_requests(np.array([-3.0, 2.0]))
    np.testing.assert_array_equal(c, [3.0, 0.0])
    np.testing.assert_array_equal(d, [0.0, 2.0])
    s = Storage.build("individual", 2, energy_kwh=4.0, power_kw=2.0, efficiency=1.0,
                      soc_initial=0.25)
    ch, dis = s.apply(c, d, 0.5)
    # Power x 0.5 h = 1 kWh limits both; SOC 1 + 1 = 2 and 1 - 1 = 0.
    np.testing.assert_allclose(ch, [1.0, 0.0])
    np.testing.assert_allclose(dis, [0.0, 1.0])
    np.testing.assert_allclose(s.soc_kwh, [2.0, 0.0])


def test_central_battery_absorbs_community_surplus():
    # h0 net -3 (sells 3), h1 net +1 (buys 1); community battery 2 kWh / 1 kW, efficiency 1,
    # empty.  The gap is 1 - 3 = -2, the battery charges 1 (power), so buyers are h1 (1) and
    # the community (1): 2 kWh matched at 0.10, h0 exports the last 1 kWh at 0.05.
    ci = CommunityInputs.from_arrays([[0.0], [1.0]], pv_kw=[[3.0], [0.0]], efficiency=1.0,
                                     soc_initial=0.0,
                                     community_battery={"energy_kwh": 2.0, "power_kw": 1.0})
    r = run_simulation(inputs=ci, strategy="greedy", battery="central")
    hh = r.households
    assert list(hh.index) == ["h0", "h1", "community"]
    np.testing.assert_allclose(hh["wallet"], [0.2 + 0.05, -0.1, -0.1], atol=1e-12)
    np.testing.assert_allclose(hh["battery_charge_kwh"], [0, 0, 1.0], atol=1e-12)
    assert float(r.replay["soc_kwh"].sel(agent="community")[0]) == pytest.approx(1.0)
    assert sorted(zip(r.trades["buyer"], r.trades["kwh"], strict=True)) == [
        ("community", 1.0), ("h1", 1.0)]


@pytest.mark.parametrize("battery", ["individual", "central", "shared"])
def test_battery_arrangements_conserve_energy(battery):
    rng = np.random.default_rng(3)
    ci = CommunityInputs.from_arrays(rng.uniform(0, 3, (3, 12)), pv_kw=rng.uniform(0, 4, (3, 12)),
                                     battery_kwh=[4.0, 8.0, 0.0], battery_kw=[2.0, 4.0, 0.0],
                                     step_hours=0.5, efficiency=0.9)
    run = simulate(ci, strategy="greedy", battery=battery)
    rp = run.replay
    supply = rp["pv_kwh"] + rp["battery_discharge_kwh"] + rp["p2p_bought_kwh"] \
        + rp["grid_import_kwh"]
    demand = rp["load_kwh"] + rp["battery_charge_kwh"] + rp["p2p_sold_kwh"] \
        + rp["grid_export_kwh"]
    np.testing.assert_allclose(supply, demand, atol=1e-12)
    # The stored energy changes by eta * charge - discharge / eta (summed over the accounts).
    initial = run.attrs["initial_soc_kwh"].sum()
    final = run.attrs["final_soc_kwh"].sum()
    stored = 0.9 * float(rp["battery_charge_kwh"].sum()) \
        - float(rp["battery_discharge_kwh"].sum()) / 0.9
    assert final - initial == pytest.approx(stored, abs=1e-9)
    # Pooled capacity 12 kWh in every arrangement (central: one battery; shared: 4 kWh each).
    assert run.attrs["initial_soc_kwh"].sum() == pytest.approx(6.0)


def test_shared_accounts_split_the_battery():
    s = Storage.build("shared", 3, energy_kwh=12.0, power_kw=6.0, shares=[0.5, 0.25, 0.25],
                      efficiency=1.0, soc_initial=0.0)
    ch, _ = s.apply(np.array([10.0, 10.0, 0.0]), np.zeros(3), 1.0)
    # Each account charges at most its share of the 6 kW converter: 3 and 1.5 kWh.
    np.testing.assert_allclose(ch, [3.0, 1.5, 0.0])
    assert ch.sum() <= 6.0
    with pytest.raises(ValueError, match="shares must be 3"):
        Storage.build("shared", 3, shares=[0.5, 0.5])


def test_clear_step_and_pairs_by_hand():
    # Buys 2 and 1, sells 1.5 at mid 0.10: sellers short, buyers filled 1.5 / 3 = 50 %.
    c = clear_step(np.array([2.0, 0.0, 1.0]), np.array([0.0, 1.5, 0.0]), np.full(3, 0.15),
                   np.full(3, 0.05))
    np.testing.assert_allclose(c.bought_kwh, [1.0, 0.0, 0.5])
    s, b, e = pair_trades(c.sold_kwh, c.bought_kwh)
    assert (s.tolist(), b.tolist(), e.tolist()) == ([1, 1], [0, 2], [1.0, 0.5])
    # MMR with one value per side: 0.05 + 0.5 x (0.15 - 0.05) = 0.10 (gridshare.market).
    m = clear_step(np.array([2.0, 0.0]), np.array([0.0, 1.5]), np.full(2, 0.15),
                   np.full(2, 0.05), "mmr")
    assert m.price == pytest.approx(0.10)
    np.testing.assert_allclose([m.bought_kwh.sum(), m.sold_kwh.sum()], [1.5, 1.5])
    # Crossing value: the sells run out while the buy is partly served -> the buy's value.
    cv = clear_step(np.array([2.0, 0.0]), np.array([0.0, 1.5]), np.full(2, 0.15),
                    np.full(2, 0.05), "crossing_value")
    assert cv.price == pytest.approx(0.15)
    with pytest.raises(ValueError, match="price estimator"):
        clear_step(np.zeros(1), np.zeros(1), np.ones(1), np.ones(1), "auction")


def test_heterogeneous_tariffs_exclude_unwilling_agents():
    # Mid = (mean import 0.35 / 3 + mean export 0.12 / 3) / 2 = 0.0783: h1's import price 0.05
    # is below it, so h1 does not buy locally.
    c = clear_step(np.array([0.0, 1.0, 1.0]), np.array([1.0, 0.0, 0.0]),
                   np.array([0.15, 0.05, 0.15]), np.array([0.05, 0.02, 0.05]))
    assert c.price == pytest.approx((0.35 / 3 + 0.12 / 3) / 2)
    np.testing.assert_allclose(c.bought_kwh, [0.0, 0.0, 1.0])


def test_shared_battery_gives_a_home_without_one_a_virtual_account():
    # h0 owns 4 kWh / 2 kW, h1 none. Pooled and shared equally, h1's account is 2 kWh / 1 kW.
    # h1: PV 3 then load 1 (hourly, efficiency 1, empty). t0: charge 1 (its 1 kW), export 2;
    # t1: discharge 1 into its load, import 0.
    ci = CommunityInputs.from_arrays([[0.0, 0.0], [0.0, 1.0]], pv_kw=[[0.0, 0.0], [3.0, 0.0]],
                                     battery_kwh=[4.0, 0.0], battery_kw=[2.0, 0.0],
                                     efficiency=1.0, soc_initial=0.0)
    shared = simulate(ci, strategy="greedy", battery="shared").replay.sel(agent="h1")
    np.testing.assert_allclose(shared["battery_charge_kwh"], [1.0, 0.0])
    np.testing.assert_allclose(shared["battery_discharge_kwh"], [0.0, 1.0])
    np.testing.assert_allclose(shared["grid_export_kwh"], [2.0, 0.0])
    np.testing.assert_allclose(shared["grid_import_kwh"], [0.0, 0.0])
    alone = simulate(ci, strategy="greedy", battery="individual").replay.sel(agent="h1")
    np.testing.assert_allclose(alone["grid_import_kwh"], [0.0, 1.0])
