"""Home page: open an example, upload cases (good and bad), edit members, optimise.

The expected figures are computed in each test through the public API on the same case
(gridshare.profiles.member_profiles / energy_summary, gridshare.model.run.optimise_case), by a
path independent of the page (the edited case is built from the case dict, not by the page's
table code).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from _apptest import metrics, run_page
from streamlit.testing.v1 import AppTest

from gridshare.case import case_to_dict, load_case, validate_case
from gridshare.model.run import optimise_case
from gridshare.profiles.members import energy_summary, member_profiles

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def home() -> AppTest:
    return run_page("home.py")



def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def problem_text(at: AppTest) -> str:
    """Every cell of the problem tables shown (where / problem / found)."""
    frames = [d.value for d in at.dataframe if list(d.value.columns) == ["where", "problem", "found"]]
    return "\n".join(frame.to_string() for frame in frames)


def expected_energy(case) -> dict[str, str]:
    total = energy_summary(member_profiles(case)).loc["total"]
    return {"Load": f"{total['load_kwh']:,.0f} kWh", "PV": f"{total['pv_kwh']:,.0f} kWh",
            "Peak community load": f"{total['peak_load_kw']:,.1f} kW"}


def test_default_example_figures_match_the_api():
    at = home()
    shown = metrics(at)
    case = load_case(EXAMPLES / "community_households.yaml")
    assert shown["Members"] == "10" and shown["Steps"] == "96" and shown["Resolution"] == "15min"
    for label, value in expected_energy(case).items():
        assert shown[label] == value
    # The energy table is energy_summary itself.
    table = next(d.value for d in at.dataframe if "load_kwh" in d.value.columns)
    expected = energy_summary(member_profiles(case))
    assert table.loc["total", "pv_kwh"] == pytest.approx(expected.loc["total", "pv_kwh"], rel=1e-12)


def test_open_another_example():
    at = home()
    at.selectbox(key="home_example").set_value("rec_lem_community.yaml")
    at.button(key="home_open").click().run()
    shown = metrics(at)
    assert shown["Members"] == "6"
    assert shown["Load"] == expected_energy(load_case(EXAMPLES / "rec_lem_community.yaml"))["Load"]


def editor_key(at: AppTest) -> str:
    return next(k for k in at.session_state.keys() if k.startswith("home_members_"))


def test_edit_pv_and_remove_a_member_changes_the_figures():
    at = home()
    key = editor_key(at)
    # h01's PV from 4 kWp to 8 kWp, and delete h03 (row 2).
    at.session_state[key] = {"edited_rows": {0: {"pv_kwp": 8.0}}, "added_rows": [], "deleted_rows": [2]}
    at.form_submit_button[0].click()  # "Apply changes", the only form submit button
    at.run()
    assert not at.exception
    shown = metrics(at)
    assert shown["Members"] == "9"
    # Expected: the same edit made on the case dict directly, profiles from the API.
    data = case_to_dict(load_case(EXAMPLES / "community_households.yaml"))
    data["members"][0]["pv"][0]["kwp"] = 8.0
    del data["members"][2]
    edited = validate_case(copy.deepcopy(data), base_dir=EXAMPLES)
    for label, value in expected_energy(edited).items():
        assert shown[label] == value
    assert "edited" in "\n".join(c.value for c in at.caption)


def test_add_a_member_with_wind_and_a_battery():
    at = home()
    key = editor_key(at)
    row = {"name": "farm", "kind": "business", "tariff": "home_tou", "sector": "industrial",
           "annual_kwh": 20000.0, "pv_kwp": 0.0, "wind_kw": 50.0, "battery_kwh": 20.0, "battery_kw": 10.0}
    at.session_state[key] = {"edited_rows": {}, "added_rows": [row], "deleted_rows": []}
    at.form_submit_button[0].click()
    at.run()
    assert not at.exception, at.exception
    shown = metrics(at)
    assert shown["Members"] == "11"
    data = case_to_dict(load_case(EXAMPLES / "community_households.yaml"))
    data["members"].append({"name": "farm", "kind": "business", "tariff": "home_tou",
                            "load": {"sector": "industrial", "annual_kwh": 20000.0},
                            "wind": [{"capacity_kw": 50.0}],
                            "battery": {"energy_kwh": 20.0, "power_kw": 10.0}})
    expected = energy_summary(member_profiles(validate_case(data, base_dir=EXAMPLES))).loc["total"]
    assert shown["Wind"] == f"{expected['wind_kwh']:,.0f} kWh"
    assert float(expected["wind_kwh"]) > 0  # the new turbine is what the page shows


def test_bad_edit_lists_the_problem_and_keeps_the_case():
    at = home()
    key = editor_key(at)
    at.session_state[key] = {"edited_rows": {0: {"tariff": None}, 1: {"sector": None}},
                             "added_rows": [], "deleted_rows": []}
    at.form_submit_button[0].click()
    at.run()
    assert not at.exception
    assert "problem" in errors(at)
    text = problem_text(at)
    assert "members[0](h01).tariff" in text  # tariff removed: required
    assert "members[1](h02).load" in text  # annual energy without a sector
    assert metrics(at)["Members"] == "10"  # nothing changed


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("case.txt", b"name: x", "unsupported file type '.txt'"),
        ("case.yaml", b"time: {start: 2024-01-01\nmembers: [", "malformed YAML at line"),
        ("case.json", b'{"time": 1,}', "malformed JSON at line 1"),
        ("huge.yaml", b"#" * (50 * 1024**2), "limited to 10 MB"),
        ("case.yaml", b"- just\n- a list\n", "top level must be a mapping"),
    ],
)
def test_bad_uploads_show_a_message_and_leave_the_session_usable(name, content, fragment):
    at = home()
    at.file_uploader(key="home_upload").set_value((name, content, "application/octet-stream"))
    at.run()
    assert not at.exception, at.exception
    assert fragment in problem_text(at) or fragment in errors(at)
    assert metrics(at)["Members"] == "10"  # still the case opened before
    # The session goes on: another example opens.
    at.selectbox(key="home_example").set_value("rec_lem_community.yaml")
    at.button(key="home_open").click().run()
    assert metrics(at)["Members"] == "6"


def test_upload_with_a_profile_of_the_wrong_length():
    case_bytes = (EXAMPLES / "community_households.yaml").read_bytes()
    rows = (EXAMPLES / "data" / "h10_meter.csv").read_text().splitlines()
    short = "\n".join(rows[:50]).encode()  # 49 steps instead of 96
    at = home()
    at.file_uploader(key="home_upload").set_value(
        [("community_households.yaml", case_bytes, "application/x-yaml"),
         ("h10_meter.csv", short, "text/csv")])
    at.run()
    assert not at.exception
    text = problem_text(at)
    assert "members[9](h10).load.file" in text
    assert "49" in text and "96" in text  # what was found and what the case needs


def test_valid_upload_with_its_data_file_opens_the_case():
    case_bytes = (EXAMPLES / "community_households.yaml").read_bytes()
    meter = (EXAMPLES / "data" / "h10_meter.csv").read_bytes()
    at = home()
    at.selectbox(key="home_example").set_value("rec_lem_community.yaml")
    at.button(key="home_open").click().run()
    at.file_uploader(key="home_upload").set_value(
        [("community_households.yaml", case_bytes, "application/x-yaml"),
         ("h10_meter.csv", meter, "text/csv")])
    at.run()
    assert not at.exception
    assert metrics(at)["Members"] == "10"
    assert any("Opened" in s.value for s in at.success)
    # Same profiles as the bundled file: the uploaded meter file is the one read.
    assert metrics(at)["Load"] == expected_energy(load_case(EXAMPLES / "community_households.yaml"))["Load"]


def test_optimise_shows_the_api_figures():
    at = home()
    at.selectbox(key="home_mode").set_value("collective")
    at.button(key="home_optimise").click().run()
    assert not at.exception, at.exception
    outcome = optimise_case(load_case(EXAMPLES / "community_households.yaml"), "collective")
    total = outcome.table.loc["total"]
    shown = metrics(at)
    assert shown["Community cost (collective)"] == f"{total['total']:,.2f} EUR"
    assert shown["Cost alone"] == f"{total['alone']:,.2f} EUR"
    assert shown["Saving"] == f"{total['saving']:,.2f} EUR"
    assert total["saving"] > 0  # pooling ten homes' PV and batteries pays
