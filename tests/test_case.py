"""Case files: validation errors (all at once, with paths), units, files, round trips."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from gridshare.case import Case, CaseError, load_case, save_case, validate_case

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def base_case() -> dict:
    return {
        "name": "two homes",
        "time": {"start": "2024-06-01", "periods": 4, "resolution": "1h",
                 "timezone": "Europe/Lisbon"},
        "tariffs": {"flat": {"kind": "flat", "price": 0.2, "export_ratio": 0.25}},
        "members": [
            {"name": "a", "tariff": "flat", "load": {"sector": "residential", "annual_kwh": 3000},
             "pv": {"kwp": 4}, "battery": {"energy_kwh": 10, "power_kw": 5}},
            {"name": "b", "tariff": "flat", "load": {"sector": "business", "annual_kwh": 9000}},
        ],
    }


def problems_of(data: dict, base_dir: Path | str = ".") -> list[dict]:
    with pytest.raises(CaseError) as info:
        validate_case(data, base_dir=base_dir)
    return info.value.problems


def paths(problems: list[dict]) -> list[str]:
    return [p["path"] for p in problems]


def test_valid_case_and_index():
    case = validate_case(base_case())
    index = case.time_index()
    assert len(index) == 4
    assert str(index.tz) == "Europe/Lisbon"
    assert case.member_names == ["a", "b"]


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (lambda d: d["members"][0]["battery"].update(energy_kwh=-5),
         "members[0](a).battery.energy_kwh", "greater than or equal to 0"),
        (lambda d: d["members"][0]["battery"].update(soc_min=0.8, soc_max=0.5, soc_initial=0.6),
         "members[0](a).battery", "soc_min 0.8 is above soc_max 0.5"),
        (lambda d: d["members"][0]["battery"].update(charge_efficiency=1.2),
         "members[0](a).battery.charge_efficiency", "less than or equal to 1"),
        (lambda d: d["members"][1]["load"].update(sector="bakery"),
         "members[1](b).load.sector", "unknown sector 'bakery'"),
        (lambda d: d["members"][0]["pv"].update(kwp=-1),
         "members[0](a).pv[0].kwp", "greater than or equal to 0"),
        (lambda d: d["members"][0].update(colour="blue"), "members[0](a).colour", "unknown key"),
        (lambda d: d["time"].update(timezone="Mars/Olympus"), "time.timezone", "unknown time zone"),
        (lambda d: d["time"].update(resolution="7min"), "time.resolution", "not allowed"),
        (lambda d: d["members"][1].update(tariff="nope"), "members[1](b).tariff", "no such tariff"),
        (lambda d: d["members"][1].update(name="a"), "members[1](a).name", "unique"),
        (lambda d: d["tariffs"]["flat"].update(export_ratio=1.5), "tariffs.flat.export_ratio",
         "fraction"),
    ],
)
def test_each_invalid_input_names_its_field(mutate, path, fragment):
    data = base_case()
    mutate(data)
    problems = problems_of(data)
    match = [p for p in problems if p["path"] == path]
    assert match, f"expected a problem at {path}, got {paths(problems)}"
    assert fragment in match[0]["message"]


def test_every_problem_reported_at_once():
    data = base_case()
    data["members"][0]["battery"]["energy_kwh"] = -5
    data["members"][1]["load"]["sector"] = "bakery"
    data["members"][1]["tariff"] = "nope"
    data["surprise"] = 1
    problems = problems_of(data)
    assert {"members[0](a).battery.energy_kwh", "members[1](b).load.sector",
            "members[1](b).tariff", "surprise"} <= set(paths(problems))
    # the value found is part of the message people see
    text = str(CaseError(problems))
    assert "(got -5)" in text and "'bakery'" in text


def test_units_are_converted_and_wrong_kinds_rejected():
    data = base_case()
    data["members"][0]["battery"] = {"energy_kwh": "0.1 MWh", "power_kw": "50 kW"}
    data["members"][0]["pv"] = {"kwp": "1.5 MW"}
    case = validate_case(data)
    # 0.1 MWh = 100 kWh; 1.5 MW = 1,500 kW (by definition of the prefixes)
    assert case.members[0].battery.energy_kwh == pytest.approx(100.0)
    assert case.members[0].pv[0].kwp == pytest.approx(1500.0)
    data["members"][0]["battery"]["power_kw"] = "25 MWh"
    problems = problems_of(data)
    assert "is an energy but this field is a power" in problems[0]["message"]


def test_unit_suffix_hint_for_mw_keys():
    data = base_case()
    data["members"][0]["battery"] = {"energy_mwh": 1, "power_kw": 5}
    messages = [p["message"] for p in problems_of(data)]
    assert any("use energy_kwh" in m for m in messages)


def write_meter(tmp_path: Path, values, times=None, name="meter.csv") -> Path:
    frame = pd.DataFrame({"h": values})
    if times is not None:
        frame.insert(0, "time", times)
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def metered(tmp_path: Path, file: str = "meter.csv") -> dict:
    data = base_case()
    data["members"][1]["load"] = {"file": file, "column": "h"}
    return data


def test_metered_load_file_read_relative_to_case(tmp_path):
    index = pd.date_range("2024-06-01", periods=4, freq="h", tz="Europe/Lisbon")
    write_meter(tmp_path, [1.0, 2.0, 3.0, 4.0], [t.isoformat() for t in index])
    case = validate_case(metered(tmp_path), base_dir=tmp_path)
    assert case.members[1].load.file == (tmp_path / "meter.csv").resolve()


@pytest.mark.parametrize(
    ("values", "times", "fragment"),
    [
        ([1.0, 2.0, 3.0], None, "has 3 rows but the case has 4 steps"),
        ([1.0, np.nan, 3.0, 4.0], None, "1 empty or NaN values"),
        ([1.0, "lots", 3.0, 4.0], None, "is not a number"),
        ([1.0, -2.0, 3.0, 4.0], None, "negative value"),
        # the same wall-clock hours written as UTC are an hour off Lisbon summer time (UTC+1)
        ([1.0, 2.0, 3.0, 4.0],
         [t.isoformat() for t in pd.date_range("2024-06-01", periods=4, freq="h", tz="UTC")],
         "check the file's time zone"),
    ],
)
def test_bad_profile_files(tmp_path, values, times, fragment):
    write_meter(tmp_path, values, times)
    problems = problems_of(metered(tmp_path), base_dir=tmp_path)
    assert problems[0]["path"] == "members[1](b).load.file"
    assert fragment in problems[0]["message"]


def test_missing_file_and_missing_column(tmp_path):
    problems = problems_of(metered(tmp_path, "absent.csv"), base_dir=tmp_path)
    assert "does not exist" in problems[0]["message"]
    write_meter(tmp_path, [1.0, 2.0, 3.0, 4.0])
    data = metered(tmp_path)
    data["members"][1]["load"]["column"] = "kw"
    problems = problems_of(data, base_dir=tmp_path)
    assert "has no column 'kw'; it has: h" in problems[0]["message"]


def test_malformed_files(tmp_path):
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("time: {start: 2024-01-01\nmembers: [")
    with pytest.raises(CaseError, match="malformed YAML at line"):
        load_case(bad_yaml)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"time": ')
    with pytest.raises(CaseError, match="malformed JSON at line 1"):
        load_case(bad_json)
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    with pytest.raises(CaseError, match="top level must be a mapping"):
        load_case(listing)
    (tmp_path / "case.txt").write_text("time: {}")
    with pytest.raises(CaseError, match="unsupported file type"):
        load_case(tmp_path / "case.txt")
    with pytest.raises(CaseError, match="does not exist"):
        load_case(tmp_path / "nope.yaml")


def test_huge_case_file_refused(tmp_path, monkeypatch):
    import gridshare.case as case_module

    monkeypatch.setattr(case_module, "MAX_CASE_BYTES", 1000)
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * 2000)
    with pytest.raises(CaseError, match="limited to"):
        load_case(path)


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_round_trip(tmp_path, suffix):
    index = pd.date_range("2024-06-01", periods=4, freq="h", tz="Europe/Lisbon")
    write_meter(tmp_path, [1.0, 2.0, 3.0, 4.0], [t.isoformat() for t in index])
    first = validate_case(metered(tmp_path), base_dir=tmp_path)
    path = save_case(first, tmp_path / f"saved{suffix}")
    again = load_case(path)
    assert again == first
    # saved elsewhere, the profile path is rewritten so the copy still finds the file
    other = save_case(first, tmp_path / "elsewhere" / f"case{suffix}")
    text = other.read_text()
    assert "../meter.csv" in text
    assert load_case(other) == first


@pytest.mark.parametrize("name", ["community_households", "procurement_ercot",
                                  "datacenter_ercot_50mw", "rec_lem_community"])
def test_examples_validate_and_round_trip(tmp_path, name):
    case = load_case(EXAMPLES / f"{name}.yaml")
    assert load_case(save_case(case, tmp_path / f"{name}.json")) == case


def test_example_sizes():
    # the examples are what the issue asks for: 10 homes x 96 quarter-hours, 5 companies x 2024
    homes = load_case(EXAMPLES / "community_households.yaml")
    assert (len(homes.members), len(homes.time_index())) == (10, 96)
    pool = load_case(EXAMPLES / "procurement_ercot.yaml")
    assert (len(pool.members), len(pool.time_index())) == (5, 8784)
    dc = load_case(EXAMPLES / "datacenter_ercot_50mw.yaml")
    battery = dc.members[0].battery
    assert (battery.energy_kwh, battery.power_kw) == (100_000.0, 25_000.0)
    assert sum(g.capacity_kw for g in dc.members[0].generators) == 60_000.0


def test_end_and_periods():
    data = base_case()
    data["time"] = {"start": "2024-02-28", "end": "2024-03-01", "resolution": "1h"}
    assert len(validate_case(data).time_index()) == 48  # 2024 is a leap year: Feb 28 and 29
    data["time"]["periods"] = 10
    assert "exactly one of" in problems_of(data)[0]["message"]


def test_case_built_in_python_equals_loaded(tmp_path):
    data = base_case()
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(data))
    assert load_case(path) == Case.model_validate(copy.deepcopy(data))
    assert json.loads(json.dumps(data)) == data


def test_modelled_or_measured_never_both_nor_half():
    data = base_case()
    data["members"][0]["load"] = {"sector": "residential"}
    data["members"][1]["load"] = {"file": "x.csv"}
    data["members"][0]["pv"] = {"kwp": 2, "file": "y.csv", "column": "c"}
    found = {p["path"]: p["message"] for p in problems_of(data)}
    assert "load needs sector + annual_kwh" in found["members[0](a).load"]
    assert "needs both 'file' and 'column'" in found["members[1](b).load"]
    assert "not both" in found["members[0](a).pv[0]"]
