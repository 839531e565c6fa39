"""The benchmark community: the generated default and reading files, with every bad input named."""

import json

import numpy as np
import pandas as pd
import pytest

from gridshare.benchmark.community import (
    COMMERCIAL_KWH,
    RESIDENTIAL_KWH,
    CommunityError,
    default_community,
    read_community,
    write_community,
)


@pytest.fixture(scope="module")
def default():
    return default_community()


def test_default_community_shape_and_mix(default):
    c = default
    # The defaults: 10 buildings, 96 steps of 15 min.
    assert c.load_kw.shape == c.pv_kw.shape == (10, 96) and c.step_hours == 0.25
    assert str(c.time.tz) == "Europe/Lisbon" and c.time[0].hour == 0
    daily = c.load_kw.sum(axis=1) * c.step_hours
    # Three commercial buildings (30 %); daily energy near annual / 365 (+-20 % per building,
    # and the sector shapes put more or less on a July Monday, so a loose factor of 2).
    big = daily > 40
    assert big.sum() == 3
    assert np.all((daily[big] > COMMERCIAL_KWH / 365 / 2) & (daily[big] < COMMERCIAL_KWH / 365 * 2))
    assert np.all((daily[~big] > RESIDENTIAL_KWH / 365 / 2) & (daily[~big] < RESIDENTIAL_KWH / 365 * 2))
    # PV (pvlib): nothing at 03:00 local, every roof producing at 13:00 (summer, Lisbon).
    assert np.all(c.pv_kw[:, 12] == 0) and np.all(c.pv_kw[:, 52] > 0.3)
    # Batteries: one per building, 95 % efficiency, SOC 10-90 %, start at 50 %.
    b = c.batteries
    assert list(b["owner"]) == c.members and np.all(b["efficiency"] == 0.95)
    assert np.all(b["power_kw"] == b["capacity_kwh"] / 2)
    assert np.all(c.flexibility["window_steps"] == 96)
    # Same seed -> same community; another seed -> another one.
    again = default_community()
    np.testing.assert_array_equal(again.load_kw, c.load_kw)
    assert not np.array_equal(default_community(seed=1).load_kw, c.load_kw)


def test_min_max_load_bounds(default):
    c = default
    # Hand rule: min = load - min(share x load, cap), max = load + cap (share 0.2, cap = peak / 2)
    share, cap = 0.2, 0.5 * c.load_kw.max(axis=1, keepdims=True)
    np.testing.assert_allclose(c.min_load_kw, c.load_kw - np.minimum(share * c.load_kw, cap))
    np.testing.assert_allclose(c.max_load_kw, c.load_kw + cap)


def test_write_read_round_trip(default, tmp_path):
    write_community(default, tmp_path)
    back = read_community(tmp_path)
    np.testing.assert_allclose(back.load_kw, default.load_kw, rtol=1e-12)
    np.testing.assert_allclose(back.pv_kw, default.pv_kw, rtol=1e-12)
    assert back.time.equals(default.time) and back.step_hours == 0.25
    pd.testing.assert_frame_equal(back.batteries, default.batteries, check_names=False)
    pd.testing.assert_frame_equal(back.flexibility, default.flexibility, check_dtype=False)


def write_rows(folder, name, table):
    """Buildings-as-rows CSV."""
    frame = pd.DataFrame(table).T
    frame.index.name = "building"
    frame.to_csv(folder / name)


def test_buildings_as_rows_and_defaults(tmp_path):
    write_rows(tmp_path, "load_profiles.csv", {"a": [1.0, 2.0, 3.0], "b": [0.5, 0.5, 0.5]})
    write_rows(tmp_path, "pv_profiles.csv", {"b": [0.0, 4.0, 0.0], "a": [0.0, 1.0, 0.0]})
    c = read_community(tmp_path, step_minutes=60, start="2024-07-01 10:00")
    assert c.members == ["a", "b"] and c.step_hours == 1.0 and c.time[0].hour == 10
    np.testing.assert_array_equal(c.pv_kw, [[0, 1, 0], [0, 4, 0]])  # reordered to the load's buildings
    # Missing optional files -> default battery (2 kWh per peak PV kW, >= 5 kWh) and flexibility.
    assert c.batteries["capacity_kwh"].tolist() == [5.0, 8.0]
    assert c.flexibility.loc["a", "max_shift_kw"] == 1.5 and c.flexibility.loc["a", "window_steps"] == 3


def test_specs_files(tmp_path):
    write_rows(tmp_path, "load_profiles.csv", {"a": [1.0, 2.0], "b": [0.5, 0.5]})
    write_rows(tmp_path, "pv_profiles.csv", {"a": [0.0, 1.0], "b": [0.0, 4.0]})
    (tmp_path / "battery_specs.json").write_text(json.dumps(
        {"b": {"capacity_kwh": 10, "power_kw": 3, "soc_initial": 0.2}}))
    (tmp_path / "load_flexibility.json").write_text(json.dumps(
        {"a": {"shiftable_share": 0.3, "max_shift_kw": 0.7}}))
    c = read_community(tmp_path)
    assert c.batteries.to_dict("records") == [{"owner": "b", "capacity_kwh": 10.0, "power_kw": 3.0,
                                               "soc_min": 0.1, "soc_max": 0.9, "soc_initial": 0.2,
                                               "efficiency": 0.95}]
    assert c.flexibility.loc["a", "shiftable_share"] == 0.3
    assert c.flexibility.loc["b", "shiftable_share"] == 0.0  # left out of the file: not flexible


def good_folder(tmp_path):
    write_rows(tmp_path, "load_profiles.csv", {"a": [1.0, 2.0, 3.0], "b": [0.5, 0.5, 0.5]})
    write_rows(tmp_path, "pv_profiles.csv", {"a": [0.0, 1.0, 0.0], "b": [0.0, 4.0, 0.0]})
    return tmp_path


@pytest.mark.parametrize("mutate, words", [
    (lambda d: (d / "pv_profiles.csv").unlink(), ["pv_profiles.csv", "not found"]),
    (lambda d: write_rows(d, "load_profiles.csv", {"a": [1.0, np.nan, 3.0], "b": [0.5] * 3}),
     ["load_profiles.csv", "'a'", "nan", ">= 0"]),
    (lambda d: write_rows(d, "pv_profiles.csv", {"a": [0.0, -1.0, 0.0], "b": [0.0] * 3}),
     ["pv_profiles.csv", "'a'", "-1.0"]),
    (lambda d: write_rows(d, "pv_profiles.csv", {"a": [0.0, 1.0], "b": [0.0, 1.0]}),
     ["pv_profiles.csv", "2 steps", "3"]),
    (lambda d: write_rows(d, "pv_profiles.csv", {"a": [0.0] * 3, "c": [0.0] * 3}),
     ["pv_profiles.csv", "'c'", "same buildings"]),
    (lambda d: (d / "battery_specs.json").write_text("{\"a\": {\"capacity_kwh\": 5,"),
     ["battery_specs.json", "malformed JSON", "line 1"]),
    (lambda d: (d / "battery_specs.json").write_text(json.dumps({"z": {"capacity_kwh": 5,
                                                                       "power_kw": 2}})),
     ["battery_specs.json", "'z'", "not in load_profiles.csv"]),
    (lambda d: (d / "battery_specs.json").write_text(json.dumps({"a": {"capacity_kwh": 5,
                                                                       "power_kw": 2,
                                                                       "soc_max": 1.5}})),
     ["battery_specs.json", "'a'", "soc_max", "1.5", "[0.0, 1.0]"]),
    (lambda d: (d / "battery_specs.json").write_text(json.dumps({"a": {"capacity_kwh": 5}})),
     ["battery_specs.json", "'a'", "power_kw"]),
    (lambda d: (d / "load_flexibility.json").write_text(json.dumps({"a": {"shiftable_share": "x"}})),
     ["load_flexibility.json", "'a'", "shiftable_share", "'x'"]),
    (lambda d: (d / "load_flexibility.json").write_text("[1, 2]"),
     ["load_flexibility.json", "expected an object"]),
])
def test_bad_inputs_are_named(tmp_path, mutate, words):
    folder = good_folder(tmp_path)
    mutate(folder)
    with pytest.raises(CommunityError) as info:
        read_community(folder)
    for word in words:
        assert word in str(info.value), str(info.value)


def test_steps_as_rows_blank_cell_named(tmp_path):
    (tmp_path / "load_profiles.csv").write_text("a,b\n1,2\n,3\n")
    (tmp_path / "pv_profiles.csv").write_text("a,b\n0,0\n0,0\n")
    with pytest.raises(CommunityError, match=r"load_profiles.csv: column 'a', row 3 holds nan"):
        read_community(tmp_path)
    with pytest.raises(CommunityError, match="does not exist"):
        read_community(tmp_path / "nowhere")
