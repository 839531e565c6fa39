"""Dispatch optima worked by hand on tiny cases, and the example's constraints checked."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ideal_bess, small_case
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridshare.microgrid import run_dispatch
from gridshare.microgrid.iso import get_iso_adapter


def test_arbitrage_one_price_spread():
    # Hand: charge 10 MW at $20 (stores 9 MWh at eta_c 0.9), discharge 9 x 0.9 = 8.1 MW at
    # $100; wear $2/MWh on 10 + 8.1 MWh. Net = 810 - 200 - 36.2 = 573.8.
    d = run_dispatch(small_case(prices=[20, 100], bess=ideal_bess(
        charge_efficiency=0.9, discharge_efficiency=0.9, degradation_cost_per_mwh=2.0)))
    ts = d.timeseries
    np.testing.assert_allclose(ts["bess_charge_mw"], [10.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(ts["bess_discharge_mw"], [0.0, 8.1], atol=1e-6)
    np.testing.assert_allclose(d.net_value, 573.8, rtol=1e-9)
    # The economics stack adds up to the same figure (a second path through the numbers).
    np.testing.assert_allclose(d.economics()["net_value"], 573.8, atol=0.01)
    assert d.result.status == "optimal"


def test_no_spread_no_cycling():
    # Hand: a flat price and any wear cost make cycling a pure loss: the battery idles.
    d = run_dispatch(small_case(prices=[50, 50], bess=ideal_bess(degradation_cost_per_mwh=1)))
    assert d.timeseries[["bess_charge_mw", "bess_discharge_mw"]].abs().max().max() < 1e-6
    np.testing.assert_allclose(d.net_value, 0.0, atol=1e-6)


def _n1_case(n_minus_1: bool, min_stable: float) -> dict:
    unit = {"name": "g1", "capacity_mw": 15, "min_stable_mw": min_stable,
            "heat_rate_mmbtu_per_mwh": 10.0, "vom_per_mwh": 0.0, "start_time_min": 10}
    return small_case(
        prices=[30, 30], poi={"max_import_mw": 60, "max_export_mw": 0},
        loads=[{"name": "it", "kind": "critical", "peak_mw": 40}],
        bess=ideal_bess(power_mw=25, energy_mwh=100, soc_initial=0.5,
                        degradation_cost_per_mwh=1.0),
        units=[unit], reliability={"n_minus_1": n_minus_1})


def test_generator_forced_on_by_n_minus_1():
    # Hand: losing the grid leaves BESS 25 MW < 40 MW critical, so the 15 MW unit must run
    # (25 + 15 = 40). At $100/MWh (10 MMBtu/MWh x $10) against a $30 LMP it runs at its 5 MW
    # minimum: extra cost 5 MW x (100 - 30) x 2 h = $700 over the grid-only dispatch.
    free = run_dispatch(_n1_case(False, 5.0))
    firm = run_dispatch(_n1_case(True, 5.0))
    assert free.timeseries["gen_g1_on"].sum() == 0
    assert (firm.timeseries["gen_g1_on"] == 1).all()
    np.testing.assert_allclose(firm.timeseries["gen_g1_mw"], 5.0, atol=1e-6)
    np.testing.assert_allclose(free.net_value, -40 * 30 * 2, rtol=1e-9)  # grid only
    np.testing.assert_allclose(free.net_value - firm.net_value, 700.0, rtol=1e-9)
    # The N-1 family carries the opportunity cost: its shadow price is positive when binding.
    assert "n_minus_1_source" in firm.result.duals


def test_reserve_energy_backing_binds():
    # Hand: 10 MW of power but 2 MWh stored; RRS must be sustained 1 h (ERCOT), so at most
    # 2 MW qualify; revenue 2 MW x $10/MW-h x 1 h = $20. The adapter's rule gives the same.
    bess = ideal_bess(energy_mwh=2, soc_initial=1.0)
    d = run_dispatch(small_case(hours=1, prices=[30], bess=bess, as_prices={"rrs": 10.0}))
    np.testing.assert_allclose(d.timeseries["reserve_rrs_mw"], [2.0], atol=1e-6)
    np.testing.assert_allclose(d.net_value, 20.0, rtol=1e-9)
    rule = get_iso_adapter("ERCOT").get_reserve_requirement("rrs", capacity_mw=10, soc_mwh=2)
    assert rule == pytest.approx(2.0)
    # Hand: with half the energy held as ride-through floor, only (2 - 1) / 1 h = 1 MW is left.
    d2 = run_dispatch(small_case(hours=1, prices=[30], bess=dict(bess, soc_reserve=0.5),
                                 as_prices={"rrs": 10.0}))
    np.testing.assert_allclose(d2.timeseries["reserve_rrs_mw"], [1.0], atol=1e-6)
    np.testing.assert_allclose(d2.net_value, 10.0, rtol=1e-9)


def test_soc_reserve_never_used_by_market():
    # Hand: 20 MW / 20 MWh full battery, $100 then $10 twice. With a 25 % floor it sells
    # 20 - 5 = 15 MWh and buys it back: 15 x (100 - 10) = 1350. With the floor at the 5 %
    # emergency minimum it would sell 19 MWh: 19 x 90 = 1710.
    kw = dict(power_mw=20, energy_mwh=20, soc_initial=1.0, soc_min=0.05)
    floor = run_dispatch(small_case(hours=3, prices=[100, 10, 10],
                                    bess=ideal_bess(soc_reserve=0.25, **kw)))
    loose = run_dispatch(small_case(hours=3, prices=[100, 10, 10],
                                    bess=ideal_bess(soc_reserve=0.05, **kw)))
    np.testing.assert_allclose(floor.net_value, 1350.0, rtol=1e-9)
    np.testing.assert_allclose(loose.net_value, 1710.0, rtol=1e-9)
    np.testing.assert_allclose(floor.timeseries["soc_mwh"].min(), 5.0, atol=1e-6)


def test_voll_only_when_infeasible_to_serve():
    load = [{"name": "it", "kind": "critical", "peak_mw": 50}]
    # Hand: the POI carries 40 of 50 MW: 10 MW unserved at $1000/MWh; cost 40x30 + 10x1000.
    short = small_case(hours=1, prices=[30], loads=load, poi={"max_import_mw": 40,
                                                              "max_export_mw": 0},
                       reliability={"voll_per_mwh": 1000})
    d = run_dispatch(short)
    np.testing.assert_allclose(d.timeseries["unserved_mw"], [10.0], atol=1e-6)
    np.testing.assert_allclose(d.net_value, -(40 * 30 + 10 * 1000), rtol=1e-9)
    assert d.reliability()["unserved_energy_mwh"] == pytest.approx(10.0)
    # Hand: with room at the POI nothing is shed and VoLL costs nothing: -50 x 30.
    served = run_dispatch(dict(short, topology={"poi": {"max_import_mw": 60,
                                                         "max_export_mw": 0}}))
    assert served.timeseries["unserved_mw"].max() < 1e-9
    np.testing.assert_allclose(served.net_value, -1500.0, rtol=1e-9)
    # Hand: 10 MW of curtailable load at $120 goes before any shedding: 40x30 + 10x120.
    loads = [{"name": "it", "kind": "critical", "peak_mw": 40},
             {"name": "batch", "kind": "curtailable", "peak_mw": 10,
              "curtail_cost_per_mwh": 120}]
    cur = run_dispatch(dict(short, resources=dict(short["resources"], loads=loads)))
    np.testing.assert_allclose(cur.timeseries["load_curtail_mw"], [10.0], atol=1e-6)
    np.testing.assert_allclose(cur.net_value, -(40 * 30 + 10 * 120), rtol=1e-9)


def test_pjm_regulation_is_symmetric():
    # Hand: PJM regulation holds the same MW up and down for 0.5 h. A half-full 10 MW / 4 MWh
    # battery can back 2 MWh / 0.5 h = 4 MW each way, so it sells 4 MW x $15 x 1 h = $60.
    bess = ideal_bess(energy_mwh=4, soc_initial=0.5)
    d = run_dispatch(small_case(hours=1, prices=[30], bess=bess, iso="PJM",
                                as_prices={"regulation": 15.0}))
    ts = d.timeseries
    np.testing.assert_allclose(ts["reserve_regulation_up_mw"], ts["reserve_regulation_down_mw"])
    np.testing.assert_allclose(ts["reserve_regulation_up_mw"], [4.0], atol=1e-6)
    np.testing.assert_allclose(d.net_value, 60.0, rtol=1e-9)


def test_transformer_mva_limits_import():
    # Hand: a 30 MVA transformer (POI allows 60 MW) feeding 40 MW at unity PF. The kVA circle
    # is an inscribed 16-gon, so active power alone reaches 30 x cos(pi/16) = 29.424 MW; the
    # rest, 40 - 29.424 = 10.576 MW, goes unserved at VoLL.
    case = small_case(hours=1, prices=[30],
                      loads=[{"name": "it", "kind": "critical", "peak_mw": 40,
                              "power_factor": 1.0}],
                      poi={"max_import_mw": 60, "max_export_mw": 0},
                      reliability={"voll_per_mwh": 1000})
    case["topology"]["transformers"] = [{"name": "T1", "mva_rating": 30}]
    d = run_dispatch(case)
    served = 30 * np.cos(np.pi / 16)
    np.testing.assert_allclose(d.timeseries["import_mw"], [served], atol=1e-6)
    np.testing.assert_allclose(d.timeseries["unserved_mw"], [40 - served], atol=1e-6)
    np.testing.assert_allclose(d.net_value, -(served * 30 + (40 - served) * 1000), rtol=1e-9)


def test_ride_through_beyond_battery_is_a_clear_error():
    # Hand: 40 MW for 60 min at eta 1 needs 40 MWh above the floor; the battery holds 10.
    case = small_case(loads=[{"name": "it", "kind": "critical", "peak_mw": 40}],
                      bess=ideal_bess(), reliability={"ride_through_minutes": 60})
    with pytest.raises(ValueError, match="ride_through_minutes"):
        run_dispatch(case)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.floats(0, 200), min_size=3, max_size=3))
def test_arbitrage_invariants(prices):
    # Invariants: idling is feasible with value 0, so the optimum is >= 0; SOC stays within
    # [floor, max]; the economics stack equals -objective.
    bess = ideal_bess(energy_mwh=20, soc_initial=0.5, soc_reserve=0.25, soc_max=0.95,
                      charge_efficiency=0.95, discharge_efficiency=0.95)
    d = run_dispatch(small_case(hours=3, prices=prices, bess=bess), duals=False)
    assert d.net_value >= -1e-6
    soc = d.timeseries["soc_mwh"]
    assert soc.min() >= 5.0 - 1e-6 and soc.max() <= 19.0 + 1e-6
    np.testing.assert_allclose(d.economics()["net_value"], d.net_value, atol=0.02)
    ch, dis = d.timeseries["bess_charge_mw"], d.timeseries["bess_discharge_mw"]
    assert float((np.minimum(ch, dis)).max()) < 1e-6  # never both


def test_example_constraints_hold(example_dispatch):
    d = example_dispatch
    ts, case = d.timeseries, d.case
    bess, poi = case.resources.bess, case.topology.poi
    # Power balance: supply = load (MW) at every interval.
    gens = sum(ts[f"gen_{u.name}_mw"] for u in case.resources.generators.units)
    supply = (ts["import_mw"] - ts["export_mw"] + ts["bess_discharge_mw"] - ts["bess_charge_mw"]
              + gens + ts["unserved_mw"] + ts["load_curtail_mw"])
    np.testing.assert_allclose(supply, ts["load_mw"], atol=1e-5)
    # SOC floor holds with the up-reserve backing set aside.
    assert (ts["soc_mwh"] >= ts["soc_floor_mwh"] - 1e-6).all()
    # PCS P-Q within its MVA circle; POI MW caps and apparent power within the rating.
    p_bess = ts["bess_discharge_mw"] - ts["bess_charge_mw"]
    assert (np.hypot(p_bess, ts["bess_mvar"]) <= bess.pcs_mva + 1e-6).all()
    p_poi = ts["import_mw"] - ts["export_mw"]
    assert (p_poi <= poi.max_import_mw + 1e-6).all() and (-p_poi <= poi.max_export_mw + 1e-6).all()
    assert (np.hypot(p_poi, ts["grid_mvar"]) <= poi.mva_rating + 1e-6).all()
    # Minimum power factor at the POI: |Q| <= tan(acos(0.95)) |P|.
    assert (ts["grid_mvar"].abs() <= np.tan(np.arccos(0.95)) * p_poi.abs() + 1e-5).all()
    # N-1: whichever source is lost (grid 60, BESS 25, any running unit) 40 MW critical is met.
    on_cap = sum(ts[f"gen_{u.name}_on"] * u.capacity_mw for u in case.resources.generators.units)
    largest = np.maximum.reduce([ts[f"gen_{u.name}_on"] * u.capacity_mw
                                 for u in case.resources.generators.units])
    firm = 60 + 25 + on_cap - np.maximum(np.maximum(largest, 25), 60)
    assert (firm >= ts["critical_mw"] - 1e-6).all()
    # Unit commitment: output within [min stable, capacity] while on; every start keeps the
    # unit on for its 2 h minimum up time (8 intervals), unless the horizon ends first.
    for u in case.resources.generators.units:
        on, p = ts[f"gen_{u.name}_on"].to_numpy(), ts[f"gen_{u.name}_mw"].to_numpy()
        assert (p <= u.capacity_mw * on + 1e-6).all() and (p >= u.min_stable_mw * on - 1e-6).all()
        starts = np.flatnonzero(np.diff(np.r_[float(u.initial_on), on]) > 0.5)
        for s in starts:
            assert on[s:s + 8].min() == 1
    assert d.result.status == "optimal" and d.result.mip_gap <= 1e-3
    # Net value from the stacks equals -objective.
    np.testing.assert_allclose(d.economics()["net_value"], d.net_value, atol=0.05)
