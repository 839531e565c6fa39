"""Pool and bilateral exchange: hand-worked optima, duals and the exact aggregation."""

import numpy as np
import pytest

from gridshare.model import ModelInputs, build_model, solve

# Two members, four 1-h steps, flat prices: import 0.30, export 0.05 per kWh.
# m0 has PV, m1 has none.
LOAD = [[1, 1, 1, 1], [2, 2, 0, 1]]
PV = [[3, 0, 2, 0], [0, 0, 0, 0]]


def pool_inputs(**kw):
    return ModelInputs.from_arrays(LOAD, pv_kw=PV, import_price=0.30, export_price=0.05, **kw)


def test_two_member_pool_hand_worked():
    # Alone (by hand): m0 exports 2 + 1 kWh (-0.15) and imports 1 + 1 kWh (0.60) -> 0.45;
    # m1 imports 2 + 2 + 0 + 1 = 5 kWh -> 1.50. Community alone: 1.95.
    alone = solve(build_model(pool_inputs(), "individual"))
    np.testing.assert_allclose(alone.costs["total"].to_numpy(), [0.45, 1.50], rtol=1e-9)
    np.testing.assert_allclose(alone.objective, 1.95, rtol=1e-9)
    # Together: step 0 m0's 2 kWh surplus covers m1 through the pool; step 1 imports 3 kWh
    # (0.90); step 2 exports 1 kWh (-0.05); step 3 imports 2 kWh (0.60) -> 1.45.
    for aggregate in (False, True):
        res = solve(build_model(pool_inputs(), "collective", aggregate=aggregate))
        np.testing.assert_allclose(res.objective, 1.45, rtol=1e-9)
        # Step 0 is unique (the pool carries 2 kWh); in importing steps who imports for whom
        # is degenerate, but the community's net import is not: [0, 3, -1, 2] kW.
        np.testing.assert_allclose(res.solution["pool_buy"].sel(member="m1").values[0], 2.0,
                                   atol=1e-9)
        net = (res.solution["grid_import"] - res.solution["grid_export"]).sum("member")
        np.testing.assert_allclose(net.values, [0, 3, -1, 2], atol=1e-9)
        # Bills add up to the optimum whatever the pool price chosen (settlement balances).
        np.testing.assert_allclose(res.costs["total"].sum(), 1.45, rtol=1e-9)
        assert np.abs(res.energy_balance()["member_residual_kw"]).max() < 1e-9
        assert np.abs(res.energy_balance()["pool_residual_kw"]).max() < 1e-9


def test_pool_fee_and_loss_hand_worked():
    # Fee 0.02/kWh bought: the 2 kWh pool trade still beats export + import (saves 0.25/kWh),
    # so 1.45 + 2 * 0.02 = 1.49.
    res = solve(build_model(pool_inputs(pool_fee_per_kwh=0.02), "collective"))
    np.testing.assert_allclose(res.objective, 1.49, rtol=1e-9)
    assert not res.attrs["aggregate"]
    # Loss 10 %: m0 sells 2 kWh, m1 receives 1.8 and imports 0.2 (0.06) -> 0.06+0.90-0.05+0.60.
    res = solve(build_model(pool_inputs(pool_loss=0.1), "collective"))
    np.testing.assert_allclose(res.objective, 1.51, rtol=1e-9)
    np.testing.assert_allclose(res.solution["pool_buy"].sel(member="m1").values[0], 1.8,
                               rtol=1e-9)


def test_duals_equal_marginal_price():
    # By hand: one more kW of load at a step where the member imports costs the import price
    # (0.30); where the community exports, one more kW forgoes the export price (0.05).
    alone = solve(build_model(pool_inputs(), "individual"))
    lam = alone.duals["power_balance"]
    np.testing.assert_allclose(lam.sel(member="m1").values[[0, 1, 3]], [0.30] * 3, atol=1e-9)
    # m1 has no load at step 2: neither imports nor exports, any price in [0.05, 0.30] is dual.
    assert 0.05 - 1e-9 <= float(lam.sel(member="m1").values[2]) <= 0.30 + 1e-9
    np.testing.assert_allclose(lam.sel(member="m0").values, [0.05, 0.30, 0.05, 0.30], atol=1e-9)
    for aggregate in (False, True):
        res = solve(build_model(pool_inputs(), "collective", aggregate=aggregate))
        price = res.duals["pool_balance"].values
        np.testing.assert_allclose(price[[1, 2, 3]], [0.30, 0.05, 0.30], atol=1e-9)
        # Step 0 is degenerate: any pool price between export and import price clears it.
        assert 0.05 - 1e-9 <= price[0] <= 0.30 + 1e-9


def test_aggregated_equals_full_with_batteries_and_tariff_groups():
    # Independent check of the aggregation: the same case solved member by member.
    rng = np.random.default_rng(3)
    n, t = 4, 12
    load = rng.uniform(0, 3, (n, t))
    pv = rng.uniform(0, 4, (n, t)) * (np.arange(t) % 6 < 3)
    imp = np.where(np.arange(n)[:, None] < 2, 0.30, 0.20) + 0.1 * (np.arange(t) % 4 == 0)
    batteries = {"b0": {"owner": "m0", "energy_kwh": 5, "charge_kw": 2, "charge_efficiency": 0.95,
                        "discharge_efficiency": 0.95, "soc_initial": 0.5},
                 "bc": {"owner": "community", "energy_kwh": 3, "charge_kw": 1.5}}
    mi = ModelInputs.from_arrays(load, pv_kw=pv, import_price=imp, export_price=0.04,
                                 batteries=batteries)
    full = solve(build_model(mi, "collective", aggregate=False))
    agg = solve(build_model(mi, "collective"))
    assert agg.attrs["aggregate"] and not full.attrs["aggregate"]
    np.testing.assert_allclose(agg.objective, full.objective, rtol=1e-9)
    np.testing.assert_allclose(agg.costs["total"].sum(), agg.objective, rtol=1e-9)
    balance = agg.energy_balance()
    assert float(np.abs(balance["member_residual_kw"]).max()) < 1e-7
    assert float(np.abs(balance["pool_residual_kw"]).max()) < 1e-7
    assert float(agg.solution["grid_import"].min()) >= 0


def test_aggregate_true_refused_when_not_exact():
    with pytest.raises(ValueError, match="pool_fee_per_kwh"):
        build_model(pool_inputs(pool_fee_per_kwh=0.01), "collective", aggregate=True)


def test_bilateral_with_fees_hand_worked():
    # Step 0: m0 has 2 kWh spare, m1 needs 2. A trade saves m1 0.30 and costs m0 its export
    # 0.05, so it pays while the fee < 0.25/kWh. Steps 1-3 are as in the pool case (1.45 - 0).
    base = 0.90 - 0.05 + 0.60
    fee = np.array([[0.0, 0.10], [0.10, 0.0]])
    res = solve(build_model(pool_inputs(exchange="bilateral", bilateral_fee_per_kwh=fee),
                            "collective"))
    np.testing.assert_allclose(res.objective, base + 2 * 0.10, rtol=1e-9)
    np.testing.assert_allclose(res.solution["trade"].sel(seller="m0", buyer="m1").values,
                               [2, 0, 0, 0], atol=1e-9)
    # Fee 0.30 > 0.25: no trade; step 0 costs 2 * 0.30 - 2 * 0.05 = 0.50.
    res = solve(build_model(pool_inputs(exchange="bilateral", bilateral_fee_per_kwh=0.30),
                            "collective"))
    np.testing.assert_allclose(res.objective, base + 0.50, rtol=1e-9)
    # Fee 0.10 with a 1 kW pair limit: 1 kWh traded (0.10), 1 imported (0.30), 1 exported (-0.05).
    res = solve(build_model(pool_inputs(exchange="bilateral", bilateral_fee_per_kwh=0.10,
                                        bilateral_limit_kw=1.0), "collective"))
    np.testing.assert_allclose(res.objective, base + 0.10 + 0.30 - 0.05, rtol=1e-9)
    np.testing.assert_allclose(res.costs["total"].sum(), res.objective, rtol=1e-9)
    assert np.abs(res.energy_balance()["member_residual_kw"]).max() < 1e-9


def test_collective_fair_hand_worked():
    # Stage one gives 0.45 and 1.50; the collective optimum 1.45 is reachable with budget-
    # balanced settlements, so no member pays more than alone and the total is 1.45.
    res = solve(build_model(pool_inputs(), "collective_fair"))
    np.testing.assert_allclose(res.objective, 1.45, rtol=1e-9)
    assert (res.costs["total"].to_numpy() <= np.array([0.45, 1.50]) + 1e-6).all()
    np.testing.assert_allclose(res.costs["total"].sum(), 1.45, rtol=1e-8)
