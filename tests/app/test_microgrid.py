"""Microgrid page: the six views show run_dispatch's and run_powerflow's numbers for the case.

Expected values come from gridshare.microgrid.run_dispatch / run_powerflow called in the test on
the bundled example (and on the same example edited by hand as the page's inputs edit it),
formatted as the page formats them. Where a figure can be had two ways (ancillary revenue from the
economics stack and from MW held x price x interval length) the test checks both.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from _apptest import metrics
from streamlit.testing.v1 import AppTest

from gridshare.microgrid import load_microgrid_case, run_dispatch, run_powerflow
from gridshare.microgrid.explain import constraint_frequency

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "datacenter_ercot_50mw.json"
PAGE = str(ROOT / "src" / "gridshare" / "app" / "views" / "microgrid.py")


@pytest.fixture(scope="module")
def base() -> dict:
    return load_microgrid_case(EXAMPLE).model_dump(mode="json")


@pytest.fixture(scope="module")
def example(base):
    d = run_dispatch(base)
    return d, run_powerflow(base, dispatch=d)


def page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    return at



def frame_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_six_views_show_the_api_figures(example):
    d, pf = example
    at = page()
    assert [t.label for t in at.tabs] == ["System overview", "Electrical feasibility",
                                          "Dispatch timeline", "Reliability and reserves",
                                          "Economics", "Decision explainer"]
    shown = metrics(at)
    eco, rel, ts = d.economics(), d.reliability(), d.timeseries
    assert shown["Net value, $"] == f"{d.net_value:,.0f}"
    assert shown["Value vs grid only, $"] == f"{eco['value_vs_grid_only']:,.0f}"
    assert shown["Min ride-through, min"] == f"{rel['ride_through_min_minutes']:.1f}"
    assert shown["N+1 firm capacity, MW"] == "45.0"  # hand: 4 x 15 MW less the largest unit
    flow = next(iter(pf.summary()["by_power_factor"].values()))
    assert shown["Max transformer loading, %"] == f"{flow['trafo_loading_max_percent']:.1f}"
    # 15-min intervals: MWh = sum of MW x 0.25 h.
    assert shown["Grid import, MWh"] == f"{ts['import_mw'].sum() * 0.25:,.1f}"
    assert shown["Gas output, MWh"] == f"{ts.filter(like='gen_').filter(like='_mw').sum().sum() / 4:,.1f}"
    assert shown["AS revenue, $"] == f"{eco['as_revenue']:,.0f}"
    # Second formulation of the AS revenue: MW held x the case's price ($/MW-h) x 0.25 h.
    prices = {"reg_up": 12.0, "reg_down": 8.0, "rrs": 10.0, "ecrs": 6.0, "non_spin": 3.0}
    by_hand = sum(ts[f"reserve_{p}_mw"].sum() * price * 0.25 for p, price in prices.items())
    assert eco["as_revenue"] == pytest.approx(by_hand, abs=0.01)
    held = frame_with(at, "mw_h_held")
    assert held["revenue"].sum() == pytest.approx(by_hand, rel=1e-9)
    # Binding limits: the export cap (20 MW) is hit whenever the units export at peak prices.
    at_cap = int((ts["export_mw"] >= 20.0 * (1 - 1e-3)).sum())
    assert at_cap > 0
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("**POI export limit** binds in " f"{at_cap} of 96") for w in warnings)
    assert not any("POI import limit" in w for w in warnings)  # max import < 60 MW
    assert ts["import_mw"].max() < 60 * (1 - 1e-3)
    freq = frame_with(at, "binding")
    api_freq = constraint_frequency(d)
    assert freq["binding"].to_dict() == api_freq["binding"].to_dict()


def test_explainer_interval_shows_that_intervals_reason(example):
    d, _ = example
    at = page()
    pick = 30  # 07:30, a peak-price interval
    at.select_slider(key="microgrid_interval").set_value(pick).run()
    assert not at.exception
    shown = metrics(at)
    e = d.explain().iloc[pick]
    assert shown["LMP, $/MWh"] == "70.00"  # hand: peak hour 7 -> 2 x the 35 $/MWh base price
    assert shown["Energy value here, $/MWh"] == f"{e['energy_price_per_mwh']:.2f}"
    assert shown[f"Battery ({e['battery_binding']} binds)"] == e["battery_action"]
    text = " ".join(m.value for m in at.markdown)
    assert e["battery_reason"] in text and e["gen_gas1_reason"] in text


def test_iso_and_poi_limit_change(base):
    # One edited run (each dispatch costs seconds): another ISO and a tighter POI import cap.
    at = page()
    at.selectbox(key="microgrid_in_iso").select("CAISO")
    at.number_input(key="microgrid_in_import").set_value(40.0).run()
    assert not at.exception
    edited = copy.deepcopy(base)
    edited["iso"] = "CAISO"
    edited["topology"]["poi"]["max_import_mw"] = 40.0
    # CAISO's products: reg_up, reg_down and non_spin keep the case's prices; spin (not in the
    # ERCOT case) takes CAISO's default of 6 $/MW-h.
    edited["prices"]["as_prices"] = {"reg_up": 12.0, "reg_down": 8.0, "spin": 6.0, "non_spin": 3.0}
    d = run_dispatch(edited)
    shown = metrics(at)
    assert shown["ISO"] == "CAISO"
    assert shown["Net value, $"] == f"{d.net_value:,.0f}"
    assert shown["AS revenue, $"] == f"{d.economics()['as_revenue']:,.0f}"
    products = frame_with(at, "deploy_min")
    assert list(products["product"]) == ["reg_up", "reg_down", "spin", "non_spin"]
    np.testing.assert_allclose(products["price_per_mw_h"], [12.0, 8.0, 6.0, 3.0])
    # The example imports up to 48.4 MW; capped at 40 MW the cap binds and the page says so.
    ts = d.timeseries
    at_cap = int((ts["import_mw"] >= 40.0 * (1 - 1e-3)).sum())
    assert at_cap > 0
    assert shown["Max POI import, MW"] == f"{ts['import_mw'].max():.2f}" == "40.00"
    assert any(w.value.startswith(f"**POI import limit** binds in {at_cap} of 96")
               for w in at.warning)
