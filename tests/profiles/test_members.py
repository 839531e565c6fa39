"""A case's member profiles: batching, seeds, measured files and weather files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridshare import profiles as P
from gridshare.case import load_case, validate_case
from gridshare.profiles.members import asset_seed, member_prices, member_profiles

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def case_dict(**time) -> dict:
    return {
        "time": {"start": "2023-06-01", "periods": 48, "resolution": "1h",
                 "timezone": "Etc/GMT+7", **time},
        "site": {"latitude": 39.742, "longitude": -105.179, "altitude": 1829},
        "tariffs": {"t": {"kind": "flat", "price": 0.1}},
        "members": [
            {"name": "a", "tariff": "t", "load": {"sector": "residential", "annual_kwh": 4000},
             "pv": [{"kwp": 5}, {"kwp": 2, "azimuth": 90}]},
            {"name": "b", "tariff": "t", "load": {"sector": "business", "annual_kwh": 20000},
             "wind": {"capacity_kw": 100}},
        ],
    }


def test_reproducible_and_independent_of_other_members():
    first = member_profiles(validate_case(case_dict()))
    again = member_profiles(validate_case(case_dict()))
    np.testing.assert_array_equal(first["load_kw"].values, again["load_kw"].values)
    bigger = case_dict()
    bigger["members"].insert(0, {"name": "z", "tariff": "t",
                                 "load": {"sector": "retail", "annual_kwh": 1e5}})
    grown = member_profiles(validate_case(bigger))
    # a member's profiles depend only on its own identity, not on who else is in the case
    for var in ("load_kw", "pv_kw", "wind_kw"):
        np.testing.assert_array_equal(grown[var].sel(member="a").values,
                                      first[var].sel(member="a").values)


def test_batched_case_equals_direct_calls():
    case = validate_case(case_dict())
    data = member_profiles(case)
    index = case.time_index()
    site = P.Site(39.742, -105.179, 1829, "Etc/GMT+7")
    # independent path: the pure functions called one asset at a time with the derived seeds
    # the case's PV default cloudiness is 0.3 (PVSpec), so it is passed explicitly here
    pv = sum(P.pv_power(site, index, kwp, azimuth=az, seed=asset_seed(0, "a", "pv", j),
                        cloudiness=0.3).to_numpy()
             for j, (kwp, az) in enumerate([(5, 180), (2, 90)]))
    np.testing.assert_allclose(data["pv_kw"].sel(member="a").values, pv, rtol=1e-12)
    load = P.sector_load("business", index, 20000, seed=asset_seed(0, "b", "load")).to_numpy()
    np.testing.assert_allclose(data["load_kw"].sel(member="b").values, load, rtol=1e-12)
    wind = P.wind_power(index, 100, seed=asset_seed(0, "b", "wind")).to_numpy()
    np.testing.assert_allclose(data["wind_kw"].sel(member="b").values, wind, rtol=1e-12)


def test_metered_kwh_per_step_becomes_kw(tmp_path):
    data = case_dict(resolution="15min", periods=4)
    pd.DataFrame({"e": [0.25, 0.5, 0.75, 1.0]}).to_csv(tmp_path / "m.csv", index=False)
    data["members"][0]["load"] = {"file": "m.csv", "column": "e", "unit": "kWh"}
    profiles = member_profiles(validate_case(data, base_dir=tmp_path))
    # kWh per quarter-hour x 4 = mean kW over the step
    np.testing.assert_allclose(profiles["load_kw"].sel(member="a").values, [1.0, 2.0, 3.0, 4.0])


def test_weather_file_drives_pv():
    data = case_dict()
    data["weather"] = {"file": str(EXAMPLES / "data" / "golden_co_sample.epw")}
    case = validate_case(data)
    profiles = member_profiles(case)
    weather = P.read_weather(EXAMPLES / "data" / "golden_co_sample.epw")
    site = P.Site(39.742, -105.179, 1829, "Etc/GMT+7")
    expected = P.pv_power(site, case.time_index(), 5, weather=weather).to_numpy()
    expected = expected + P.pv_power(site, case.time_index(), 2, azimuth=90, weather=weather).to_numpy()
    np.testing.assert_allclose(profiles["pv_kw"].sel(member="a").values, expected, rtol=1e-12)


def test_procurement_example_loads_are_exact_annual_energies():
    case = load_case(EXAMPLES / "procurement_ercot.yaml")
    data = member_profiles(case)
    energy = data["load_kw"].sum("time").values  # hourly steps: kW x 1 h = kWh
    wanted = [m.load.annual_kwh for m in case.members]
    np.testing.assert_allclose(energy, wanted, rtol=1e-9)
    assert data.sizes["time"] == 8784  # 2024 is a leap year


def test_member_prices_follow_each_tariff():
    data = case_dict()
    data["tariffs"]["u"] = {"kind": "flat", "price": 0.3, "export_price": 0.05}
    data["members"][1]["tariff"] = "u"
    prices = member_prices(validate_case(data))
    # flat 0.1 with the default export ratio 0.4 -> 0.04; flat 0.3 with an export price 0.05
    assert np.allclose(prices["import_price"].sel(member="a"), 0.1)
    assert np.allclose(prices["export_price"].sel(member="a"), 0.04)
    assert np.allclose(prices["import_price"].sel(member="b"), 0.3)
    assert np.allclose(prices["export_price"].sel(member="b"), 0.05)


@pytest.mark.parametrize("seed", [None, 5])
def test_asset_seed_explicit_wins(seed):
    derived = asset_seed(1, "a", "pv", 0, seed)
    assert derived == (5 if seed == 5 else asset_seed(1, "a", "pv", 0))
