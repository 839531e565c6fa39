"""Microgrid figures and views on two-hour cases whose dispatch is worked by hand.

Arbitrage case: a lossless 10 MW / 10 MWh battery (PCS 10 MVA, no wear) at prices 20 then 100
$/MWh, a flat 5 MW load, POI 100 MW both ways. By hand: charge 10 MW in hour 0 (import 15 MW),
discharge 10 MW in hour 1 (export 5 MW); the battery runs at 100 % of its power and PCS rating
in both hours. Shortage case: an 8 MW load behind a 5 MW import cap, nothing else: import 5 MW
(100 % of the cap) and 3 MW unserved in both hours. Unit case: a 4 MW critical load, the battery
half full with 1 $/MWh wear, one 10 MW unit at 5 MMBtu/MWh x 10 $/MMBtu = 50 $/MWh, prices 30 then
80: charge 5 MW on 30 $/MWh (import 9), then the unit runs flat out and the battery discharges
5 MW (export 11). Net value = 11 x 80 - 9 x 30 - 10 x 50 - 10 MWh x 1 = 100 $.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridshare.microgrid import run_dispatch
from gridshare.microgrid.economics import interval_values
from gridshare.microgrid.explain import constraint_frequency
from gridshare.microgrid.reliability import reliability_table
from gridshare.report.figures import microgrid as figs

BESS = {"power_mw": 10, "energy_mwh": 10, "soc_reserve": 0.0, "soc_min": 0.0, "soc_max": 1.0,
        "soc_initial": 0.0, "charge_efficiency": 1.0, "discharge_efficiency": 1.0,
        "degradation_cost_per_mwh": 0.0, "pcs_mva": 10}


def case(prices, loads, bess=None, units=None, poi=None) -> dict:
    return {"name": "hand", "iso": "ERCOT",
            "time": {"horizon_hours": len(prices), "interval_minutes": 60, "timezone": "UTC"},
            "topology": {"poi": poi or {"max_import_mw": 100, "max_export_mw": 100}},
            "resources": {"bess": bess, "generators": {"fuel_price_per_mmbtu": 10.0,
                                                       "units": units or []},
                          "loads": loads},
            "reliability": {"ride_through_minutes": 0, "voll_per_mwh": 50_000,
                            "n_minus_1": False},
            "prices": {"energy_prices": prices, "as_prices": {}}}


@pytest.fixture(scope="module")
def arbitrage():
    return run_dispatch(case([20, 100], [{"name": "it", "kind": "non_critical", "peak_mw": 5}],
                             bess=BESS))


@pytest.fixture(scope="module")
def shortage():
    return run_dispatch(case([30, 30], [{"name": "it", "kind": "non_critical", "peak_mw": 8}],
                             poi={"max_import_mw": 5, "max_export_mw": 0}))


@pytest.fixture(scope="module")
def with_unit():
    unit = {"name": "g1", "capacity_mw": 10, "min_stable_mw": 2, "heat_rate_mmbtu_per_mwh": 5.0,
            "vom_per_mwh": 0.0}
    bess = dict(BESS, soc_initial=0.5, degradation_cost_per_mwh=1.0)
    return run_dispatch(case([30, 80], [{"name": "it", "kind": "critical", "peak_mw": 4}],
                             bess=bess, units=[unit]))


def test_loading_and_binding_limits_of_the_arbitrage(arbitrage):
    t = figs.loading_table(arbitrage)
    np.testing.assert_allclose(t["poi_p_mw"], [15.0, -5.0], atol=1e-6)
    np.testing.assert_allclose(t["poi_import_pct"], [15.0, 0.0], atol=1e-6)  # of 100 MW
    np.testing.assert_allclose(t["bess_power_pct"], [100.0, 100.0], atol=1e-6)
    np.testing.assert_allclose(t["pcs_pct"], [100.0, 100.0], atol=1e-6)  # Q = 0, 10 MW / 10 MVA
    limits = figs.binding_limits(t)
    assert limits.loc["BESS power rating", "binding_intervals"] == 2
    assert limits.loc["BESS PCS MVA rating", "binding_intervals"] == 2
    assert limits.loc["POI import limit", "binding_intervals"] == 0
    assert "POI MVA rating" not in limits.index  # the POI has no MVA rating here


def test_shortage_binds_the_import_cap(shortage):
    t = figs.loading_table(shortage)
    np.testing.assert_allclose(t["poi_import_pct"], [100.0, 100.0], atol=1e-6)
    limits = figs.binding_limits(t)
    assert limits.loc["POI import limit", "binding_intervals"] == 2
    assert limits.loc["POI import limit", "first_binding"] == t.index[0]
    np.testing.assert_allclose(shortage.timeseries["unserved_mw"], [3.0, 3.0], atol=1e-6)
    env = figs.poi_envelope(shortage, t)
    np.testing.assert_allclose(env.data[0].x, [5.0, 5.0], atol=1e-6)
    caps = {tr.name: tr.x[0] for tr in env.data[1:]}
    assert caps["import cap 5 MW"] == 5.0 and caps["export cap 0 MW"] == 0.0


def test_dispatch_timeline_rows_and_balance(arbitrage):
    fig = figs.dispatch_timeline(arbitrage)
    by_name = {t.name: np.asarray(t.y, dtype=float) for t in fig.data}
    np.testing.assert_allclose(by_name["LMP"], [20.0, 100.0])
    np.testing.assert_allclose(by_name["SOC"], [10.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(by_name["charge"], [-10.0, 0.0], atol=1e-6)
    # Load vs supply: the supply stack (import + BESS) meets load + charge + export each hour.
    supply = by_name["supply: grid"] + by_name["supply: BESS"] + by_name["supply: gas"]
    np.testing.assert_allclose(supply, by_name["load + charge + export"], atol=1e-6)
    np.testing.assert_allclose(supply, [15.0, 10.0], atol=1e-6)
    assert len(fig.layout.annotations) == 6  # one title per row


def test_economics_views_of_the_unit_case(with_unit):
    eco = with_unit.economics()
    assert eco["net_value"] == pytest.approx(100.0, abs=0.01)
    fig = figs.economics_waterfall(eco, "$")
    w = fig.data[0]
    # Zero items (AS, starts, curtailment, VoLL) are left out; the total is the net value.
    assert list(w.x) == ["energy export", "grid energy", "fuel + VOM", "BESS degradation",
                         "net value"]
    np.testing.assert_allclose(w.y, [880.0, -270.0, -500.0, -10.0, 100.0], atol=0.01)
    values = interval_values(with_unit)
    cum = figs.cumulative_value(values, "$")
    line = next(t for t in cum.data if t.name == "cumulative net")
    # Hour 0: -9 x 30 - 5 MWh x 1 wear = -275; hour 1: 11 x 80 - 500 - 5 = 375; total 100.
    np.testing.assert_allclose(line.y, [-275.0, 100.0], atol=0.01)


def test_reliability_and_overview_figures(with_unit):
    table = reliability_table(with_unit)
    fig = figs.ride_through_timeline(table)
    achieved = np.asarray(fig.data[0].y, dtype=float)
    # SOC 10 then 5 MWh, floor 0, eta 1, 4 MW critical: 150 and 75 minutes.
    np.testing.assert_allclose(achieved, [150.0, 75.0], atol=1e-4)
    stack = figs.resource_stack(with_unit.case)
    bars = {(t.y[0], t.name): t.x[0] for t in stack.data}
    assert bars[("gas units", "g1")] == 10.0 and bars[("BESS", "10 MWh")] == 10.0
    assert bars[("POI import", "import")] == 100.0 and bars[("peak load", "it")] == 4.0
    topo = figs.topology_diagram(with_unit.case)
    labels = [s for t in topo.data if t.text is not None for s in t.text]
    assert "g1 10 MW" in labels and "10 MW / 10 MWh" in labels
    assert figs.reserve_stack(with_unit).data == ()  # the case offers no reserves


def test_binding_frequency_bars(with_unit):
    freq = constraint_frequency(with_unit)
    fig = figs.binding_frequency_bars(freq)
    shown = dict(zip(fig.data[0].y, fig.data[0].x, strict=True))
    binding = freq[freq["binding"] > 0]
    assert set(shown) == {str(i) for i in binding.index}
    for family, share in binding["share"].items():
        assert shown[str(family)] == pytest.approx(100 * share)
    empty = pd.DataFrame({"rows": [3], "binding": [0], "share": [0.0]}, index=["x"])
    assert len(figs.binding_frequency_bars(empty).data[0].y) == 0
