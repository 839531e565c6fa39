"""Case loading (every problem at once, with paths) and the ISO adapters' rules."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import EXAMPLE, small_case

from gridshare.microgrid import MicrogridCaseError, load_microgrid_case, validate_microgrid_case
from gridshare.microgrid.case import energy_prices, load_profiles_mw
from gridshare.microgrid.dispatch import build_dispatch_inputs
from gridshare.microgrid.iso import (
    ASProduct,
    GenericAdapter,
    ISOError,
    available_isos,
    get_iso_adapter,
)


def test_example_loads_into_core_inputs():
    case = load_microgrid_case(EXAMPLE)
    assert case.time.steps == 96 and case.time.step_hours == 0.25
    setup = build_dispatch_inputs(case)
    mi = setup.inputs
    # From the file: BESS 25 MW / 100 MWh, 4 units of 15 MW = 60 MW, POI 60/20 MW, 75 MVA.
    assert mi.batteries.loc["bess", "energy_kwh"] == 100_000
    assert mi.batteries.loc["bess", "discharge_kw"] == 25_000
    assert mi.generators["capacity_kw"].sum() == 60_000
    assert mi.poi.kva == 75_000 and mi.poi.import_limit_kw == 60_000
    # Hand: gas at $3.5/MMBtu x 9.0 MMBtu/MWh = $31.5/MWh = 0.0315 per kWh.
    assert mi.generators.loc["gas1", "fuel_cost_per_kwh"] == pytest.approx(0.0315)
    # Loads peak near 40 + 7 + 3 = 50 MW (the mixed IT shape peaks between its training
    # 15:00 and inference 16:00 maxima, just under 1, on the 15-minute grid); the floor is
    # 25 % of 100 MWh, above the ride-through need 5 + 40 MW x 0.25 h / 0.95 = 15.5 MWh.
    assert load_profiles_mw(case).sum(axis=1).max() == pytest.approx(50.0, abs=0.05)
    np.testing.assert_allclose(setup.floor_mwh, 25.0)
    prices = energy_prices(case)
    assert prices.max() == 70.0 and prices.min() == 35.0  # 35 off-peak, 2 x 35 at peak


def test_every_problem_at_once_with_paths():
    bad = small_case()
    bad["iso"] = "ERCOT"
    bad["time"]["interval_minutes"] = 7  # not a multiple of 5 min
    bad["topology"]["poi"]["max_import_mw"] = -5
    bad["resources"]["bess"] = {"power_mw": 10, "energy_mwh": 0}
    bad["prices"]["as_prices"] = {"reg_up": 5}
    with pytest.raises(MicrogridCaseError) as err:
        validate_microgrid_case(bad)
    paths = {p["path"] for p in err.value.problems}
    assert {"topology.poi.max_import_mw", "resources.bess.energy_mwh"} <= paths
    assert "max_import_mw" in str(err.value)
    # Cross-field problems (after the schema passes) also name their field.
    bad2 = small_case()
    bad2["time"]["interval_minutes"] = 7
    bad2["time"]["horizon_hours"] = 7 * 6 / 60
    bad2["prices"] = {"as_prices": {"spinning_magic": 3.0}}
    with pytest.raises(MicrogridCaseError) as err2:
        validate_microgrid_case(bad2)
    paths2 = {p["path"] for p in err2.value.problems}
    assert {"time.interval_minutes", "prices.as_prices.spinning_magic"} <= paths2


def test_unknown_iso_and_bad_soc_order(tmp_path):
    case = small_case()
    case["iso"] = "MARS"
    with pytest.raises(MicrogridCaseError, match="unknown ISO 'MARS'"):
        validate_microgrid_case(case)
    case = small_case(bess={"power_mw": 1, "energy_mwh": 1, "soc_reserve": 0.3,
                            "soc_initial": 0.1})
    with pytest.raises(MicrogridCaseError, match="soc_initial"):
        validate_microgrid_case(case)
    path = tmp_path / "c.json"
    path.write_text("{not json")
    with pytest.raises(MicrogridCaseError, match="cannot parse"):
        load_microgrid_case(path)
    path.write_text(json.dumps(small_case()))
    assert load_microgrid_case(path).name == "test"


def test_registry_and_ercot_products():
    assert {"ERCOT", "CAISO", "PJM", "GENERIC"} <= set(available_isos())
    ercot = get_iso_adapter("ercot")
    assert ercot.market_interval.rtm_interval_min == 5
    durations = {n: r.duration_h for n, r in ercot.as_products.items()}
    # ERCOT ESR duration rules used here: Reg 0.5 h, RRS 1 h, ECRS 2 h, Non-Spin 4 h.
    assert durations == {"reg_up": 0.5, "reg_down": 0.5, "rrs": 1.0, "ecrs": 2.0,
                         "non_spin": 4.0}
    assert ercot.product("Reg-Down").direction == "down"
    assert ercot.product(ASProduct.NON_SPIN).online_only is False
    with pytest.raises(ISOError, match="allowed"):
        ercot.product("spinning_magic")
    with pytest.raises(ISOError, match="unknown ISO"):
        get_iso_adapter("nowhere")
    assert get_iso_adapter("ERCOT", durations_h={"ecrs": 1.0}).product("ecrs").duration_h == 1.0


def test_reserve_requirement_rule():
    ercot = get_iso_adapter("ERCOT")
    # Hand: up products limited by power 25 MW or (SOC - floor) x eta / duration.
    assert ercot.get_reserve_requirement("rrs", 25, 50) == 25.0  # 50 / 1 h > 25
    assert ercot.get_reserve_requirement("ecrs", 25, 50) == 25.0  # 50 / 2 h = 25
    assert ercot.get_reserve_requirement("non_spin", 25, 50) == 12.5  # 50 / 4 h
    assert ercot.get_reserve_requirement("rrs", 25, 50, soc_floor_mwh=40) == 10.0
    assert ercot.get_reserve_requirement("rrs", 25, 50, efficiency=0.9) == 25.0
    # Hand: down products limited by room (100 - 90) / (0.5 h x eta 1) = 20 MW.
    assert ercot.get_reserve_requirement("reg_down", 25, 90, energy_mwh=100) == 20.0
    # PJM regulation is symmetric: min(up 10 / 0.5, down (100 - 10) / 0.5) = 20 MW.
    pjm = get_iso_adapter("PJM")
    assert pjm.get_reserve_requirement("regulation", 25, 10, energy_mwh=100) == 20.0
    with pytest.raises(ISOError, match="soc_mwh"):
        ercot.get_reserve_requirement("rrs", 25, -1)


def test_caiso_pjm_generic():
    caiso = get_iso_adapter("CAISO")
    assert caiso.market_interval.fmm_interval_min == 15
    assert set(caiso.as_products) == {"reg_up", "reg_down", "spin", "non_spin"}
    assert caiso.product("spinning reserve").duration_h == 0.5
    pjm = get_iso_adapter("PJM")
    assert {"regulation", "sync_reserve", "non_sync_reserve", "secondary_reserve"} == set(
        pjm.as_products)
    g = GenericAdapter(rtm_interval_min=15, products={"fast": {"direction": "up",
                                                               "duration_h": 0.25}})
    assert g.get_reserve_requirement("fast", 10, 1.0) == 4.0  # 1 MWh / 0.25 h
    with pytest.raises(ISOError, match="duration_h"):
        GenericAdapter(products={"x": {"direction": "up"}})
    with pytest.raises(ISOError, match="direction"):
        GenericAdapter(products={"x": {"direction": "sideways", "duration_h": 1}})
    with pytest.raises(ISOError, match="15 minutes"):
        g.check_interval(5)
