"""Explanations, economics stacks, reliability checks and the JSON summary."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import ideal_bess, small_case

from gridshare.microgrid import run_dispatch
from gridshare.microgrid.economics import STACK, interval_values, sensitivity
from gridshare.microgrid.explain import constraint_frequency
from gridshare.microgrid.reliability import firm_capacity_mw, ride_through_minutes


def test_ride_through_formula():
    # Hand: (SOC - floor) x eta / critical = (30 - 5) x 0.95 / 40 h = 0.59375 h = 35.625 min.
    np.testing.assert_allclose(ride_through_minutes([30.0], 5.0, [40.0], 0.95), [35.625])
    assert np.isinf(ride_through_minutes([30.0], 5.0, [0.0]))[0]
    assert firm_capacity_mw([15, 15, 15, 15]) == 45.0  # 60 - largest 15
    with pytest.raises(ValueError, match="discharge_efficiency"):
        ride_through_minutes([1.0], 0.0, [1.0], 1.5)


def test_example_summary_and_stacks(example_dispatch, tmp_path):
    d = example_dispatch
    s = d.summary()
    assert s["intervals"] == 96 and s["horizon_hours"] == 24
    assert s["bess"] == {"power_mw": 25.0, "energy_mwh": 100.0}
    assert s["generators"] == {"units": 4, "total_mw": 60.0}
    eco = s["economics"]
    # The stacks close: revenues - costs = net value = -objective.
    closed = eco["energy_revenue"] + eco["as_revenue"] - sum(eco[k] for k in STACK[2:])
    np.testing.assert_allclose(closed, eco["net_value"], atol=0.05)
    np.testing.assert_allclose(eco["net_value"], d.net_value, atol=0.05)
    values = interval_values(d)
    np.testing.assert_allclose(values["cumulative_value"].iloc[-1], d.net_value, atol=0.05)
    rel = s["reliability"]
    # Hand: floor 25 MWh less emergency 5 MWh at eta 0.95 over <= 40 MW is >= 28.5 min > 15.
    assert rel["ride_through_achieved"] and rel["ride_through_min_minutes"] >= 28.5 - 1e-6
    assert rel["unserved_energy_mwh"] == 0.0
    path = d.to_json(tmp_path / "d.json")
    loaded = json.loads(path.read_text())
    assert loaded["summary"]["objective_net_value"] == s["objective_net_value"]
    assert len(loaded["timeseries"]["time"]) == 96


def test_explanations_name_reasons(example_dispatch):
    e = example_dispatch.explain()
    assert len(e) == 96
    assert set(e["battery_action"]) <= {"charge", "discharge", "idle"}
    # Every interval has a reason for the battery and for each unit.
    for col in [c for c in e.columns if c.endswith("_reason")]:
        assert e[col].str.len().min() > 10
    freq = constraint_frequency(example_dispatch)
    assert {"rows", "binding", "share"} <= set(freq.columns)
    assert freq.loc["power_balance", "share"] == 1.0  # the balance always prices energy


def test_n_minus_1_reason_and_discharge_reason():
    # The N-1 case of test_dispatch: the unit runs only because N-1 needs it.
    unit = {"name": "g1", "capacity_mw": 15, "min_stable_mw": 5,
            "heat_rate_mmbtu_per_mwh": 10.0, "vom_per_mwh": 0.0}
    case = small_case(prices=[30, 30], poi={"max_import_mw": 60, "max_export_mw": 0},
                      loads=[{"name": "it", "kind": "critical", "peak_mw": 40}],
                      bess=ideal_bess(power_mw=25, energy_mwh=100, soc_initial=0.5,
                                      degradation_cost_per_mwh=1.0),
                      units=[unit], reliability={"n_minus_1": True})
    e = run_dispatch(case).explain()
    assert e["gen_g1_reason"].str.contains("N-1").all()
    # Arbitrage: the discharge hour says energy is worth more than stored energy.
    d = run_dispatch(small_case(prices=[20, 100], bess=ideal_bess()))
    ex = d.explain()
    assert list(ex["battery_action"]) == ["charge", "discharge"]
    assert "worth more" in ex["battery_reason"].iloc[1]


def test_sensitivity_toggles():
    # Hand: lossless 10 MWh arbitrage 20 -> 100 earns 800; prices x1.2 earn 960 (both legs
    # scale); degradation $5/MWh on 20 MWh throughput costs 100: 700.
    case = small_case(prices=[20, 100], bess=ideal_bess())
    table = sensitivity(case, {"price_scale": [1.2], "degradation_cost": [5.0]})
    by = {(r.toggle, r.value if r.toggle != "base" else None): r.net_value
          for r in table.itertuples()}
    assert by[("base", None)] == pytest.approx(800.0)
    assert by[("price_scale", 1.2)] == pytest.approx(960.0)
    assert by[("degradation_cost", 5.0)] == pytest.approx(700.0)
    with pytest.raises(ValueError, match="unknown key"):
        sensitivity(case, {"wind_speed": [1.0]})
    with pytest.raises(ValueError, match="price_scale"):
        run_dispatch(case, price_scale=-1)
