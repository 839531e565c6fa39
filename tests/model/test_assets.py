"""Generators, flexible load, reserves, curtailment, shedding and the POI: hand-worked optima."""

import numpy as np
import pytest

from gridshare.model import InfeasibleError, ModelInputs, PoiSpec, build_model, explain, solve


def test_generator_must_start_hand_worked():
    # Load 5 kW for 2 h, import limited to 2 kW: the unit must run >= 3 kW. Fuel 0.20 < import
    # 0.30, so it covers all 5 kW: start 1.0 + 0.20 * 10 kWh = 3.0 (3 kW gen + 2 kW import
    # would cost 1.0 + 1.2 + 1.2 = 3.4).
    mi = ModelInputs.from_arrays([[5, 5]], import_price=0.30, grid={"m0": {"import_limit_kw": 2}},
                                 generators={"g": {"owner": "m0", "capacity_kw": 5,
                                                   "min_stable_kw": 2, "fuel_cost_per_kwh": 0.2,
                                                   "start_cost": 1.0}})
    res = solve(build_model(mi, "individual"))
    np.testing.assert_allclose(res.objective, 3.0, rtol=1e-9)
    np.testing.assert_allclose(res.solution["gen_on"].values[0], [1, 1], atol=1e-9)
    np.testing.assert_allclose(res.solution["gen_start"].values[0], [1, 0], atol=1e-9)
    np.testing.assert_allclose(res.costs.loc["m0", ["fuel", "start"]].to_numpy(), [2.0, 1.0])
    assert res.status == "optimal" and res.mip_gap <= 1e-4


def _min_up_case(min_up_h):
    return ModelInputs.from_arrays(
        [[4, 0, 0, 0]], import_price=0.30, export_price=0.05,
        generators={"g": {"owner": "m0", "capacity_kw": 5, "min_stable_kw": 2,
                          "fuel_cost_per_kwh": 0.10, "start_cost": 0.5, "min_up_h": min_up_h}})


def test_generator_held_on_by_min_up_time_hand_worked():
    # Starting saves 4 * (0.30 - 0.10) = 0.8 > 0.5. Without a minimum up time: 0.5 + 0.4 = 0.9.
    free = solve(build_model(_min_up_case(0), "individual"))
    np.testing.assert_allclose(free.objective, 0.9, rtol=1e-9)
    # Min up 3 h: on for steps 0-2, at min stable 2 kW exported at a loss of 0.10 - 0.05 per
    # kWh in steps 1 and 2: 0.9 + 2 * 2 * 0.05 = 1.1 (< 1.2 for importing the 4 kWh).
    held = solve(build_model(_min_up_case(3), "individual"))
    np.testing.assert_allclose(held.objective, 1.1, rtol=1e-9)
    np.testing.assert_allclose(held.solution["gen_on"].values[0], [1, 1, 1, 0], atol=1e-9)
    np.testing.assert_allclose(held.solution["gen_power"].values[0], [4, 2, 2, 0], atol=1e-9)
    text = [f.sentence for f in explain(held, "m0", 1) if f.family.startswith("generator")]
    assert text == ["generator g runs at its minimum stable 2 kW (held on by commitment or "
                    "minimum up time)"]
    # Duals of a MILP come from the LP with the commitment fixed: at step 1 the member exports,
    # so one more kW of load is worth the export price.
    np.testing.assert_allclose(held.duals["power_balance"].values[0, 1], 0.05, atol=1e-9)


def test_generator_ramp_limit_hand_worked():
    # Continuous unit, ramp 1 kW/h, fuel 0.1 < import 0.3, load 5 kW then nothing, export 0.
    mi = ModelInputs.from_arrays([[5, 0, 0]], import_price=0.30, export_price=0.0,
                                 generators={"g": {"owner": "m0", "capacity_kw": 5,
                                                   "fuel_cost_per_kwh": 0.1,
                                                   "ramp_kw_per_h": 1.0, "committable": False}})
    res = solve(build_model(mi, "individual"))
    # By hand, with g the output at step 0 (the first step has no predecessor): falling by at
    # most 1 kW/h forces max(g - 1, 0) and max(g - 2, 0) kW later, exported at 0. Cost
    # 0.1 (g + (g-1) + (g-2)) + 0.3 (5 - g) = 1.2 for 2 <= g <= 5; 1.4 - 0.1 g for 1 <= g < 2;
    # 1.5 - 0.2 g below 1. The optimum is 1.2.
    np.testing.assert_allclose(res.objective, 1.2, rtol=1e-9)
    p = res.solution["gen_power"].values[0]
    assert np.all(np.abs(np.diff(p)) <= 1 + 1e-9)


def test_flexible_load_moves_to_cheap_step_hand_worked():
    # 2 kW in each step, prices 0.40 then 0.10, half the load may move within a 2-step window:
    # 1 kW moves to step 1: 1 * 0.40 + 3 * 0.10 = 0.70. With at most 0.5 kW per step:
    # 1.5 * 0.40 + 2.5 * 0.10 = 0.85.
    for cap, expected in ((np.nan, 0.70), (0.5, 0.85)):
        mi = ModelInputs.from_arrays([[2, 2]], import_price=[0.40, 0.10], flexible={
            "m0": {"shiftable_share": 0.5, "window_steps": 2, "max_shift_kw": cap}})
        res = solve(build_model(mi, "individual"))
        np.testing.assert_allclose(res.objective, expected, rtol=1e-9)
        np.testing.assert_allclose(res.solution["flex_shift"].sum("time").values, 0, atol=1e-9)
    text = [f.sentence for f in explain(res, "m0", 1) if f.family == "flexible_energy"]
    assert text == ["flexible load moves 0.5 kW into this step (energy here 0.1/kWh)"]


def test_flexible_windows_conserve_energy_per_window():
    # Windows of 2 steps over 4 steps: the cheap step 3 cannot take load from steps 0-1.
    mi = ModelInputs.from_arrays([[2, 2, 2, 2]], import_price=[0.40, 0.40, 0.40, 0.10],
                                 flexible={"m0": {"shiftable_share": 0.5, "window_steps": 2}})
    res = solve(build_model(mi, "individual"))
    # By hand: only step 2 -> 3 helps: 2*0.4*2 + 1*0.4 + 3*0.1 = 2.3.
    np.testing.assert_allclose(res.objective, 2.3, rtol=1e-9)


def _reserve_case(duration_h):
    return ModelInputs.from_arrays(
        [[0.0]], import_price=0.30, export_price=0.0,
        batteries={"b": {"owner": "m0", "energy_kwh": 2, "charge_kw": 2, "soc_initial": 0.5}},
        reserves={"up": {"direction": "up", "duration_h": duration_h, "price_per_kw": 1.0}})


def test_reserve_energy_backing_binds_hand_worked():
    # One step, SOC held at 1 kWh (start = end). Up reserve headroom is 2 kW (discharge power)
    # but sustaining r for 1 h needs r kWh above soc_min = 0: r = 1 kW, revenue 1.0.
    res = solve(build_model(_reserve_case(1.0), "individual"))
    np.testing.assert_allclose(res.objective, -1.0, rtol=1e-9)
    np.testing.assert_allclose(res.costs.loc["m0", "reserve_revenue"], -1.0, rtol=1e-9)
    # One more kWh of backing buys one more kW for one hour at 1.0: |dual| = 1.0.
    np.testing.assert_allclose(abs(float(res.duals["reserve_energy_up"].values[0, 0])), 1.0)
    fams = {f.family for f in explain(res, "m0", 0)}
    assert "reserve_energy_up" in fams
    # For 0.5 h the energy suffices for 2 kW; then the power headroom binds: revenue 2.0.
    res = solve(build_model(_reserve_case(0.5), "individual"))
    np.testing.assert_allclose(res.objective, -2.0, rtol=1e-9)


def test_reserve_requirement_collective():
    # The community must hold 1.5 kW of up reserve for 1 h; member m0's battery (1 kWh above
    # soc_min) can back only 1 kW, m1's generator holds the rest: it must be on (min stable
    # 1 kW exported at a loss of 0.2 - 0.0) with 0.5 kW headroom: cost 1 * 0.2.
    mi = ModelInputs.from_arrays(
        [[0.0], [0.0]], import_price=0.30, export_price=0.0,
        batteries={"b": {"owner": "m0", "energy_kwh": 2, "charge_kw": 2, "soc_initial": 0.5}},
        generators={"g": {"owner": "m1", "capacity_kw": 3, "min_stable_kw": 1,
                          "fuel_cost_per_kwh": 0.2}},
        reserves={"up": {"direction": "up", "duration_h": 1.0, "requirement_kw": 1.5}})
    res = solve(build_model(mi, "collective"))
    np.testing.assert_allclose(res.objective, 0.2, rtol=1e-9)
    held = float(res.solution["reserve_battery"].sum() + res.solution["reserve_generator"].sum())
    assert held >= 1.5 - 1e-9


def test_curtailment_and_shedding_hand_worked():
    # Export price -0.1 (paying to export): curtail 3 kW of PV at penalty 0.02 rather than pay.
    mi = ModelInputs.from_arrays([[1.0]], pv_kw=[[4.0]], import_price=0.3, export_price=-0.1,
                                 curtailment_cost_per_kwh=0.02)
    res = solve(build_model(mi, "individual"))
    np.testing.assert_allclose(res.objective, 0.06, rtol=1e-9)
    assert any(f.family == "curtailment" for f in explain(res, "m0", 0))
    # Import limit 1 kW against 3 kW load with VoLL 2.0: shed 2 kW -> 0.3 + 4.0.
    mi = ModelInputs.from_arrays([[3.0]], import_price=0.3, voll_per_kwh=2.0,
                                 grid={"m0": {"import_limit_kw": 1.0}})
    res = solve(build_model(mi, "individual"))
    np.testing.assert_allclose(res.objective, 4.3, rtol=1e-9)
    np.testing.assert_allclose(res.duals["power_balance"].values[0, 0], 2.0, atol=1e-9)
    assert any(f.family == "shedding" for f in explain(res, "m0", 0))


def test_poi_polygon_kva_binds_hand_worked():
    # Load 10 kW at unit power factor behind an 8 kVA POI. A square (4 sides) inscribed in the
    # 8 kVA circle has apothem 8 cos(pi/4) = 5.657 kW on the P axis; 16 sides: 8 cos(pi/16).
    for sides in (4, 16):
        apothem = 8 * np.cos(np.pi / sides)
        mi = ModelInputs.from_arrays([[10.0]], import_price=0.3, voll_per_kwh=1.0,
                                     poi=PoiSpec(kva=8.0, polygon_sides=sides))
        res = solve(build_model(mi, "individual"))
        np.testing.assert_allclose(res.solution["grid_import"].values[0, 0], apothem, rtol=1e-9)
        np.testing.assert_allclose(res.objective, 0.3 * apothem + 1.0 * (10 - apothem),
                                   rtol=1e-9)
        # Shadow price of the POI limit: a kW more through it saves VoLL - import = 0.7/kWh.
        assert any(f.family == "poi_kva" for f in explain(res, "m0", 0))


def test_poi_reactive_support_from_battery_inverter():
    # 6 kW load at power factor 0.8 draws 4.5 kvar: 7.5 kVA > the 7 kVA POI. Without support
    # the POI polygon (64 sides) cuts P. A battery inverter of 5 kVA supplying the 4.5 kvar
    # (inside its circle at P = 0) leaves S = 6 kVA: no shedding, cost 6 * 0.3 = 1.8.
    kw = dict(import_price=0.3, voll_per_kwh=1.0, grid={"m0": {"load_power_factor": 0.8}},
              poi=PoiSpec(kva=7.0, polygon_sides=64))
    bare = solve(build_model(ModelInputs.from_arrays([[6.0]], **kw), "individual"))
    p, q = bare.solution["grid_import"].values[0, 0], bare.solution["grid_q"].values[0, 0]
    assert p < 6.0 - 0.5 and np.hypot(p, q) <= 7.0 + 1e-9  # the polygon never exceeds the rating
    np.testing.assert_allclose(q, 4.5, rtol=1e-9)
    battery = {"b": {"owner": "m0", "energy_kwh": 1, "charge_kw": 1, "pcs_kva": 5.0}}
    res = solve(build_model(ModelInputs.from_arrays([[6.0]], batteries=battery, **kw),
                            "individual"))
    np.testing.assert_allclose(res.objective, 1.8, rtol=1e-9)


def test_poi_min_power_factor_and_net_limit():
    # Load 4 kW with 3 kvar (pf 0.8); POI needs pf >= 0.9: |Q| <= tan(acos 0.9) * P = 0.4843 P.
    # A 4 kVA inverter supplies the missing kvar: 3 - 0.4843 * 4 = 1.063 kvar at least, cost only
    # the import 4 * 0.3 = 1.2. Without the inverter the rule forces shedding.
    kw = dict(import_price=0.3, voll_per_kwh=1.0, grid={"m0": {"load_power_factor": 0.8}},
              poi=PoiSpec(min_power_factor=0.9, import_limit_kw=5.0))
    battery = {"b": {"owner": "m0", "energy_kwh": 1, "charge_kw": 1, "pcs_kva": 4.0}}
    res = solve(build_model(ModelInputs.from_arrays([[4.0]], batteries=battery, **kw),
                            "individual"))
    np.testing.assert_allclose(res.objective, 1.2, rtol=1e-9)
    p, q = res.solution["grid_import"].values[0, 0], res.solution["grid_q"].values[0, 0]
    assert abs(q) <= np.tan(np.arccos(0.9)) * p + 1e-9
    # Without the inverter the load's fixed 3 kvar needs P >= 3 / 0.4843 = 6.2 kW > the 5 kW
    # POI limit (shedding does not remove the load's reactive power): infeasible, and the
    # message names the reactive/power-factor families rather than a solver status.
    with pytest.raises(InfeasibleError, match=r"reactive_balance|power_factor"):
        solve(build_model(ModelInputs.from_arrays([[4.0]], **kw), "individual"))


def test_generator_min_down_time_hand_worked():
    # On at the start, load 3, 0, 3, 3 kW, fuel 0.1 < import 0.3, no start cost, export 0.
    # Free to cycle: off at step 1, 9 kWh of fuel -> 0.9. With a 2 h minimum down time, going
    # off at step 1 forces step 2 off too (import 3 kWh: 0.3 + 0.9 + 0.3 = 1.5), so the unit
    # stays on at its 2 kW minimum, wasted: 0.9 + 0.2 = 1.1.
    def case(min_down_h):
        return ModelInputs.from_arrays([[3, 0, 3, 3]], import_price=0.3, export_price=0.0,
                                       generators={"g": {"owner": "m0", "capacity_kw": 5,
                                                         "min_stable_kw": 2, "initial_on": True,
                                                         "fuel_cost_per_kwh": 0.1,
                                                         "min_down_h": min_down_h}})
    np.testing.assert_allclose(solve(build_model(case(0), "individual")).objective, 0.9)
    held = solve(build_model(case(2), "individual"))
    np.testing.assert_allclose(held.objective, 1.1, rtol=1e-9)
    np.testing.assert_allclose(held.solution["gen_on"].values[0], [1, 1, 1, 1], atol=1e-9)


def test_member_connection_kva_and_bilateral_loss_hand_worked():
    # A member connection of 8 kVA (16-side polygon, unit power factor): import at most
    # 8 cos(pi/16) = 7.846 kW of the 10 kW load; the rest is shed at VoLL 1.0.
    apothem = 8 * np.cos(np.pi / 16)
    mi = ModelInputs.from_arrays([[10.0]], import_price=0.3, voll_per_kwh=1.0,
                                 grid={"m0": {"kva": 8.0}})
    res = solve(build_model(mi, "individual"))
    np.testing.assert_allclose(res.objective, 0.3 * apothem + (10 - apothem), rtol=1e-9)
    # Bilateral loss 20 %: m0's 2 kWh surplus reaches m1 as 1.6 kWh; worth 1.6 * 0.30 = 0.48
    # against 2 * 0.05 = 0.10 of export, so it is sold: m1 imports 0.4 kWh -> 0.12.
    mi = ModelInputs.from_arrays([[0.0], [2.0]], pv_kw=[[2.0], [0.0]], import_price=0.30,
                                 export_price=0.05, exchange="bilateral", bilateral_loss=0.2)
    res = solve(build_model(mi, "collective"))
    np.testing.assert_allclose(res.objective, 0.12, rtol=1e-9)
    assert float(np.abs(res.energy_balance()["member_residual_kw"]).max()) < 1e-9
