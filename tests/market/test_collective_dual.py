"""Dual prices and collective operation (pool / bilateral x single / two-stage x pre / post)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridshare.market import (
    clear_pool,
    dual_prices,
    make_book,
    run_collective,
)
from gridshare.model import ModelInputs, build_model, solve

# Three members, three 1-h steps (kW = kWh). m0 has PV; m1 buys at 0.30; m2 buys at 0.25.
# Net loads (kWh):     step 0   step 1   step 2
#   m0                  -2       -3       -1
#   m1                   1        1        0.5
#   m2                   3       -0.5      2
LOAD = [[0.0, 0.0, 0.0], [1.0, 1.0, 0.5], [3.0, 0.0, 2.0]]
PV = [[2.0, 3.0, 1.0], [0.0, 0.0, 0.0], [0.0, 0.5, 0.0]]
IMPORT = [[0.30], [0.30], [0.25]]
EXPORT = [[0.05], [0.05], [0.04]]


def case(**kw):
    return ModelInputs.from_arrays(LOAD, pv_kw=PV, import_price=IMPORT, export_price=EXPORT, **kw)


def marginal_cost_book():
    # Each member's own marginal cost: the shadow price of its power balance when it is alone
    # (its import price while importing, its export price while exporting).
    alone = solve(build_model(case(), "individual"))
    marginal = alone.duals["power_balance"].transpose("time", "member").values
    np.testing.assert_allclose(marginal, [[0.05, 0.30, 0.25], [0.05, 0.30, 0.04],
                                          [0.05, 0.30, 0.25]], atol=1e-12)
    net = (np.array(LOAD) - np.array(PV)).T  # (step, member)
    return make_book(np.maximum(net, 0), np.maximum(-net, 0), marginal, marginal,
                     members=["m0", "m1", "m2"])


@pytest.mark.parametrize("timeframe", ["pre", "post"])
def test_dual_prices_equal_crossing_value_of_marginal_cost_book(timeframe):
    # By hand: step 0 the pool is short (2 kWh for 4): m1 (0.30) is served first, m2 (0.25) only
    # partly -> 0.25; step 1 it is long (3.5 for 1): m2's 0.5 kWh (0.04) goes first, m0 (0.05)
    # partly -> 0.05; step 2 short again with m2 partly served -> 0.25. One more kWh in the pool
    # saves exactly those marginal import/export prices, which is the shadow price.
    expected = [0.25, 0.05, 0.25]
    crossing = clear_pool(marginal_cost_book()).price
    np.testing.assert_allclose(crossing, expected, rtol=1e-12)
    dual = dual_prices(case(), timeframe)
    np.testing.assert_allclose(dual.price, crossing, atol=1e-9)
    # Money in the pool balances at the dual price.
    assert (dual.buy_kwh * dual.price[:, None]).sum() == pytest.approx(
        (dual.sell_kwh * dual.price[:, None]).sum())


def test_dual_prices_without_aggregation_match():
    # The same LP with every member's own grid and pool flows (no free-pool aggregation) has
    # the same pool shadow prices as worked above.
    r = solve(build_model(case(), "collective", aggregate=False))
    assert not r.attrs["aggregate"]
    np.testing.assert_allclose(r.duals["pool_balance"].values, [0.25, 0.05, 0.25], atol=1e-9)


# Community cost by hand (free pool; anyone may import for the pool at the cheapest 0.25 and
# export at the best 0.05): step 0 imports 4 - 2 = 2 kWh -> 0.50; step 1 exports 3.5 - 1 = 2.5
# kWh -> -0.125; step 2 imports 2.5 - 1 = 1.5 kWh -> 0.375. Total 0.75.
# Alone: m0 -(2 + 3 + 1) * 0.05 = -0.30; m1 2.5 * 0.30 = 0.75; m2 5 * 0.25 - 0.5 * 0.04 = 1.23.
COMMUNITY_COST = 0.75
ALONE = [-0.30, 0.75, 1.23]


@pytest.mark.parametrize("structure", ["pool", "bilateral"])
@pytest.mark.parametrize("stage", ["single", "two"])
@pytest.mark.parametrize("timeframe", ["pre", "post"])
def test_collective_operation_costs(structure, stage, timeframe):
    run = run_collective(case(), structure, stage, timeframe)
    costs = run.result.costs["total"]
    assert run.result.objective == pytest.approx(COMMUNITY_COST, abs=1e-9)
    assert costs.sum() == pytest.approx(COMMUNITY_COST, abs=1e-9)
    if stage == "two":
        np.testing.assert_allclose(run.individual_costs, ALONE, atol=1e-9)
        assert (costs.to_numpy() <= np.array(ALONE) + 1e-6).all()
    residual = run.result.energy_balance()["member_residual_kw"]
    assert float(abs(residual).max()) < 1e-7


def test_bilateral_trade_matrix_closes_each_members_balance():
    run = run_collective(case(), "bilateral", "single", "pre")
    trades = run.trades()
    assert set(trades.columns) == {"step", "seller", "buyer", "kwh"}
    matrix = run.trade_matrix()
    assert matrix.dims == ("seller", "buyer", "time") and matrix.shape == (3, 3, 3)
    # Received - sold + grid import - export = net load, per member and step (kWh).
    sol = run.result.solution
    received = matrix.sum("seller").rename(buyer="member")
    sold = matrix.sum("buyer").rename(seller="member")
    position = received - sold + sol["grid_import"] - sol["grid_export"]
    np.testing.assert_allclose(position.transpose("member", "time").values,
                               np.array(LOAD) - np.array(PV), atol=1e-8)


@pytest.mark.parametrize("structure", ["pool", "bilateral"])
def test_two_stage_at_given_prices_is_individually_rational(structure):
    prices = [0.27, 0.10, 0.26]
    run = run_collective(case(), structure, "two", "pre", prices=prices)
    costs = run.result.costs["total"].reindex(["m0", "m1", "m2"]).to_numpy()
    assert (costs <= np.array(ALONE) + 1e-6).all()
    # Internal payments at one price per step cancel: member totals sum to the grid costs.
    assert costs.sum() == pytest.approx(run.result.objective, abs=1e-9)


def test_bad_choices_raise():
    with pytest.raises(ValueError, match="structure must be one of"):
        run_collective(case(), "p2p")
    with pytest.raises(ValueError, match="timeframe must be one of"):
        dual_prices(case(), "intraday")


@settings(max_examples=5, deadline=None)
@given(load=st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0]), min_size=6, max_size=6),
       pv=st.lists(st.sampled_from([0.0, 1.0, 2.5]), min_size=6, max_size=6),
       ip=st.lists(st.sampled_from([0.2, 0.25, 0.3]), min_size=3, max_size=3),
       battery=st.booleans())
def test_collective_fair_no_member_pays_more_than_alone(load, pv, ip, battery):
    tables = {}
    if battery:
        tables["batteries"] = {"b": {"owner": "m0", "energy_kwh": 2.0, "charge_kw": 1.0,
                                     "charge_efficiency": 0.9, "discharge_efficiency": 0.9}}
    mi = ModelInputs.from_arrays(np.reshape(load, (3, 2)), pv_kw=np.reshape(pv, (3, 2)),
                                 import_price=np.reshape(ip, (3, 1)), export_price=0.05,
                                 **tables)
    run = run_collective(mi, "pool", "two", "pre")
    alone = run.individual_costs  # stage one: every member alone
    members = run.result.costs["total"].reindex(alone.index)
    assert (members <= alone + 1e-6 * (1 + alone.abs())).all()
    assert members.sum() <= alone.sum() + 1e-6
