"""The app's helpers: content keys, the members table round trip, upload checks, exports."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridshare.app.state import case_key, load_example, problems_table
from gridshare.app.widgets import (
    MAX_UPLOAD_BYTES,
    apply_members,
    case_from_upload,
    members_frame,
    table_csv,
    table_xlsx,
)
from gridshare.case import CaseError, case_to_dict, load_case

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMES = ["community_households.yaml", "rec_lem_community.yaml", "procurement_ercot.yaml"]


@pytest.mark.parametrize("name", NAMES)
def test_case_key_is_content(name):
    a, b = load_case(EXAMPLES / name), load_case(EXAMPLES / name)
    assert a is not b and case_key(a) == case_key(b)
    changed = a.model_copy(update={"seed": a.seed + 1})
    assert case_key(changed) != case_key(a)


@pytest.mark.parametrize("name", NAMES)
def test_unedited_members_table_gives_the_same_case(name):
    case = load_example(name)
    again = apply_members(case, members_frame(case), EXAMPLES)
    assert case_to_dict(again) == case_to_dict(case)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.0, 50.0, allow_nan=False), min_size=10, max_size=10),
       st.lists(st.one_of(st.just(0.0), st.floats(0.5, 30.0)), min_size=10, max_size=10))
def test_edited_sizes_are_what_the_case_holds(pv, battery):
    # Whatever sizes are typed in, the resulting case holds exactly those (a zero removes the
    # asset), and every other field of a kept member stays as it was.
    case = load_example("community_households.yaml")
    frame = members_frame(case)
    frame["pv_kwp"] = pv
    frame["battery_kwh"] = battery
    frame["battery_kw"] = [b / 2 for b in battery]
    edited = apply_members(case, frame, EXAMPLES)
    back = members_frame(edited)
    assert back["pv_kwp"].tolist() == pytest.approx(pv, rel=1e-12)
    assert back["battery_kwh"].tolist() == pytest.approx(battery, rel=1e-12)
    for before, after in zip(case.members, edited.members, strict=True):
        assert after.load == before.load and after.tariff == before.tariff
        if before.pv and after.pv:
            assert after.pv[0].tilt == before.pv[0].tilt and after.pv[0].azimuth == before.pv[0].azimuth


def test_members_table_problems_name_the_row():
    case = load_example("community_households.yaml")
    frame = members_frame(case)
    frame.loc[3, "sector"] = "bakery"
    frame.loc[5, "name"] = "h01"  # a duplicate name
    with pytest.raises(CaseError) as info:
        apply_members(case, frame, EXAMPLES)
    table = problems_table(info.value)
    assert "members[3](h04).load.sector" in table["where"].tolist()
    assert any("unique" in p for p in table["problem"])


def test_upload_checks_every_file():
    with pytest.raises(CaseError) as info:
        case_from_upload([("a.txt", b"x"), ("b.yaml", b"x: 1"), ("c.json", b"{}"),
                          ("big.csv", b"0" * (MAX_UPLOAD_BYTES + 1))])
    messages = " ".join(p["message"] for p in info.value.problems)
    assert "unsupported file type '.txt'" in messages
    assert "exactly one case file" in messages and "limited to 10 MB" in messages


def test_upload_resolves_data_files_by_name():
    case_bytes = (EXAMPLES / "community_households.yaml").read_bytes()
    meter = (EXAMPLES / "data" / "h10_meter.csv").read_bytes()
    case, folder = case_from_upload([("community_households.yaml", case_bytes), ("h10_meter.csv", meter)])
    assert (folder / "data" / "h10_meter.csv").read_bytes() == meter
    assert case.member("h10").load.file == (folder / "data" / "h10_meter.csv").resolve()
    with pytest.raises(CaseError) as info:  # without the meter file the case says which is missing
        case_from_upload([("community_households.yaml", case_bytes)])
    assert any(p["path"] == "members[9](h10).load.file" for p in info.value.problems)


def test_table_exports_round_trip():
    t = pd.date_range("2024-01-01", periods=2, freq="h", tz="Europe/Lisbon")
    frame = pd.DataFrame({"time": t, "kwh": [1.5, 2.5]})
    assert pd.read_csv(io.BytesIO(table_csv(frame)))["kwh"].tolist() == [1.5, 2.5]
    back = pd.read_excel(io.BytesIO(table_xlsx(frame)))
    assert back["kwh"].tolist() == [1.5, 2.5]
    assert back["time"].iloc[0] == pd.Timestamp("2024-01-01 00:00")  # local wall-clock time


def test_pv_and_wind_volumes():
    case = load_example("community_households.yaml")
    frame = members_frame(case)
    frame.loc[0, "pv_annual_kwh"] = 6000.0  # h01: its one 4 kWp array scaled to 6 MWh a year
    frame.loc[2, "wind_kw"] = 10.0  # h03: a new 10 kW turbine producing 12 MWh a year
    frame.loc[2, "wind_annual_kwh"] = 12000.0
    edited = apply_members(case, frame, EXAMPLES)
    assert edited.member("h01").pv[0].annual_kwh == 6000.0 and edited.member("h01").pv[0].kwp == 4.0
    assert edited.member("h03").wind[0].capacity_kw == 10.0
    assert edited.member("h03").wind[0].annual_kwh == 12000.0
    back = members_frame(edited)
    assert back.loc[0, "pv_annual_kwh"] == 6000.0 and back.loc[2, "wind_annual_kwh"] == 12000.0
    # A volume without a size to scale is a problem named by its row, not a silent drop.
    frame = members_frame(case)
    frame.loc[2, "pv_annual_kwh"] = 3000.0  # h03 has no PV
    with pytest.raises(CaseError) as info:
        apply_members(case, frame, EXAMPLES)
    assert info.value.problems[0]["path"] == "members[2](h03).pv_annual_kwh"
