"""Batteries: arbitrage, central and shared batteries, binaries and infeasibility."""

import numpy as np
import pytest

from gridshare.model import COMMUNITY, InfeasibleError, ModelInputs, build_model, explain, solve


def arbitrage_inputs(**battery):
    row = {"owner": "m0", "energy_kwh": 4, "charge_kw": 2, "charge_efficiency": 0.9,
           "discharge_efficiency": 0.9, "soc_initial": 0.0}
    row.update(battery)
    return ModelInputs.from_arrays([[0, 2]], import_price=[0.10, 0.40], export_price=0.0,
                                   batteries={"b1": row})


def test_arbitrage_hand_worked():
    # Charge 2 kW at 0.10 (charge power binds): 1.8 kWh stored, 1.62 kW delivered at step 1
    # (1.8 * 0.9). Each kWh charged costs 0.10 and saves 0.81 * 0.40 = 0.324, so charge fully.
    # Cost = 2 * 0.10 + (2 - 1.62) * 0.40 = 0.352 (no battery: 0.80).
    res = solve(build_model(arbitrage_inputs(), "individual"))
    np.testing.assert_allclose(res.objective, 0.352, rtol=1e-9)
    np.testing.assert_allclose(res.solution["battery_charge"].sel(battery="b1").values, [2, 0],
                               atol=1e-9)
    np.testing.assert_allclose(res.solution["battery_discharge"].sel(battery="b1").values,
                               [0, 1.62], atol=1e-9)
    np.testing.assert_allclose(res.solution["battery_soc"].sel(battery="b1").values, [1.8, 0],
                               atol=1e-9)
    # One more kWh stored after step 0 delivers 0.9 kWh at step 1 worth 0.40: 0.36 per kWh.
    np.testing.assert_allclose(-res.duals["battery_soc"].sel(battery="b1").values[0], 0.36,
                               atol=1e-9)
    sentence = next(f.sentence for f in explain(res, "m0", 0) if f.family == "battery_soc")
    assert sentence == ("battery b1 charges 2 kW: energy here 0.1 < shadow value of stored "
                        "energy 0.36; limited by charge power")


def test_arbitrage_with_degradation_hand_worked():
    # Throughput 2 + 1.62 = 3.62 kWh at 0.01 adds 0.0362; the arbitrage still pays
    # (0.324 - 0.10 - 0.01 * 1.81 > 0 per kWh charged): 0.352 + 0.0362.
    res = solve(build_model(arbitrage_inputs(degradation_cost_per_kwh=0.01), "individual"))
    np.testing.assert_allclose(res.objective, 0.3882, rtol=1e-9)
    np.testing.assert_allclose(res.costs.loc["m0", "degradation"], 0.0362, rtol=1e-9)


def test_binary_forbids_simultaneous_charge_and_discharge():
    # A negative export price rewards burning energy in losses by charging and discharging at
    # once (inefficiency 0.81 round trip); the binary must forbid it. Alone without binary the
    # LP does it, so the check is not vacuous.
    mi_kw = dict(pv_kw=[[5, 5]], import_price=0.3, export_price=-0.2, curtailable=False)
    row = {"owner": "m0", "energy_kwh": 4, "charge_kw": 2, "charge_efficiency": 0.9,
           "discharge_efficiency": 0.9, "soc_initial": 0.5}
    loose = solve(build_model(ModelInputs.from_arrays([[0, 0]], batteries={"b": row}, **mi_kw),
                              "individual"))
    both = loose.solution["battery_charge"] * loose.solution["battery_discharge"]
    assert float(both.max()) > 0.1
    row["binary"] = True
    tight = solve(build_model(ModelInputs.from_arrays([[0, 0]], batteries={"b": row}, **mi_kw),
                              "individual"))
    both = tight.solution["battery_charge"] * tight.solution["battery_discharge"]
    assert float(both.max()) < 1e-9
    assert tight.objective >= loose.objective - 1e-9
    assert tight.mip_gap <= 1e-4


def test_central_battery_hand_worked():
    # m0 has 2 kW PV at step 0 and no load; m1 has 2 kW load at step 1. Alone: m0 exports
    # (-0.10), m1 imports (0.60) -> 0.50. Together the community battery (on the pool bus,
    # efficiencies 0.9) stores m0's 2 kWh and returns 1.62 kWh: m1 imports 0.38 -> 0.114.
    batteries = {"bc": {"owner": COMMUNITY, "energy_kwh": 2, "charge_kw": 2,
                        "charge_efficiency": 0.9, "discharge_efficiency": 0.9}}
    mi = ModelInputs.from_arrays([[0, 0], [0, 2]], pv_kw=[[2, 0], [0, 0]], import_price=0.30,
                                 export_price=0.05, batteries=batteries)
    alone = solve(build_model(mi, "individual"))
    np.testing.assert_allclose(alone.objective, 0.50, rtol=1e-9)
    assert "battery_charge" not in alone.solution  # community assets do not run alone
    for aggregate in (True, False):
        res = solve(build_model(mi, "collective", aggregate=aggregate))
        np.testing.assert_allclose(res.objective, 0.114, rtol=1e-9)
        np.testing.assert_allclose(res.solution["battery_discharge"].values[0], [0, 1.62],
                                   atol=1e-9)
        assert "community" in res.costs.index
        np.testing.assert_allclose(res.costs["total"].sum(), 0.114, rtol=1e-9)
        assert float(np.abs(res.energy_balance()["pool_residual_kw"]).max()) < 1e-9


def test_shared_battery_virtual_accounts_hand_worked():
    # One 4 kWh / 2 kW battery shared 75/25. Each account is a battery of its share:
    # m0: 3 kWh / 1.5 kW, m1: 1 kWh / 0.5 kW. Prices 0.10 then 0.40, loads 3 and 1 kW at step 1.
    # m0 charges 1.5 and discharges 1.5: 0.15 + 0.40 * 1.5 = 0.75; m1: 0.05 + 0.40 * 0.5 = 0.25.
    mi = ModelInputs.from_arrays([[0, 3], [0, 1]], import_price=[0.10, 0.40], export_price=0.0,
                                 batteries={"s": {"energy_kwh": 4, "charge_kw": 2}},
                                 battery_shares={"s": {"m0": 0.75, "m1": 0.25}})
    res = solve(build_model(mi, "individual"))
    np.testing.assert_allclose(res.costs["total"].to_numpy(), [0.75, 0.25], rtol=1e-9)
    np.testing.assert_allclose(res.solution["shared_charge"].sel(shared_battery="s").values,
                               [[1.5, 0], [0.5, 0]], atol=1e-9)
    # The physical SOC (the sum of the accounts) stays within the 4 kWh.
    assert float(res.solution["shared_soc"].sum("member").max()) <= 4 + 1e-9


def test_infeasible_final_soc_names_battery_family():
    # 3 steps at 1 kW can store 3 kWh, but the battery must end at 10 kWh.
    mi = ModelInputs.from_arrays([[1, 1, 1]], batteries={"b1": {
        "owner": "m0", "energy_kwh": 10, "charge_kw": 1, "soc_initial": 0.0, "soc_final": 1.0}})
    with pytest.raises(InfeasibleError) as info:
        solve(build_model(mi, "individual"))
    message = str(info.value)
    assert "battery_soc" in message and "b1" in message
    assert "status" not in message.lower()
    # The elastic relaxation measures the shortfall: 10 - 3 = 7 kWh.
    np.testing.assert_allclose(sum(info.value.families.values()), 7.0, rtol=1e-6)
