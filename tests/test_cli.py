"""The command line: exit codes, messages for people, files written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from gridshare import __version__
from gridshare.case import load_case
from gridshare.cli import app
from gridshare.profiles.members import member_profiles

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert __version__ in result.stdout


@pytest.mark.parametrize("name", ["community_households", "procurement_ercot",
                                  "datacenter_ercot_50mw", "rec_lem_community"])
def test_validate_examples(name):
    result = invoke("validate", EXAMPLES / f"{name}.yaml")
    assert result.exit_code == 0, result.output
    assert "ok" in result.stdout


def test_validate_bad_case_lists_every_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "time: {start: 2024-01-01, periods: 4, resolution: 7min}\n"
        "tariffs: {t: {kind: flat, price: 0.1}}\n"
        "members:\n"
        "  - {name: a, tariff: t, load: {sector: bakery, annual_kwh: 100},\n"
        "     battery: {energy_kwh: -1, power_kw: 1}}\n")
    result = invoke("validate", bad)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    for fragment in ("time.resolution", "members[0](a).load.sector", "battery.energy_kwh"):
        assert fragment in result.output


def test_validate_missing_and_malformed(tmp_path):
    assert invoke("validate", tmp_path / "none.yaml").exit_code == 2
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    result = invoke("validate", broken)
    assert result.exit_code == 2
    assert "malformed JSON" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_profiles_written_match_api(tmp_path, suffix):
    out = tmp_path / f"profiles{suffix}"
    result = invoke("profiles", EXAMPLES / "community_households.yaml", "--out", out)
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    # 10 members x 96 steps in long form
    assert len(frame) == 960
    assert set(frame.columns) == {"time", "member", "load_kw", "pv_kw", "wind_kw"}
    # the file holds exactly what the API computes (an independent path to the same numbers)
    data = member_profiles(load_case(EXAMPLES / "community_households.yaml"))
    expected = float(data["load_kw"].sum())
    assert frame["load_kw"].sum() == pytest.approx(expected, rel=1e-12)
    assert "h01" in result.stdout


def test_profiles_bad_suffix(tmp_path):
    result = invoke("profiles", EXAMPLES / "community_households.yaml", "--out",
                    tmp_path / "p.xlsx")
    assert result.exit_code == 2
    assert "use .parquet or .csv" in result.output


def test_procure_ercot_example_through_the_cli(tmp_path):
    from gridshare.procurement import run_procurement

    out = tmp_path / "pool"
    result = invoke("procure", EXAMPLES / "procurement_ercot.yaml", "--swap", "optimal", "--out", out)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out / "participants.csv", index_col=0)
    assert list(written.index) == ["datacenter", "hospital", "retailer", "offices", "manufacturer"]
    # the CLI's table is the API's table (an independent call on the same case)
    api = run_procurement(load_case(EXAMPLES / "procurement_ercot.yaml"), swap="optimal", battery=False)
    assert written["optimised_cfe_pct"].to_numpy() == pytest.approx(
        api.participants["optimised_cfe_pct"].to_numpy(), rel=1e-9)
    assert (out / "procurement.xlsx").exists()
    assert "pooled_cfe_pct" in result.stdout


def test_procure_bad_swap_method():
    result = invoke("procure", EXAMPLES / "procurement_ercot.yaml", "--swap", "greedy")
    assert result.exit_code == 2
    assert "use prorata or optimal" in result.output


@pytest.mark.parametrize("mechanism", ["mmr", "crossing", "sdrc"])
def test_price_rec_example_money_balances(tmp_path, mechanism):
    out = tmp_path / mechanism
    result = invoke("price", EXAMPLES / "rec_lem_community.yaml", "--mechanism", mechanism,
                    "--out", out)
    assert result.exit_code == 0, result.output
    bills = pd.read_csv(out / "bills.csv", index_col=0)
    # what buyers pay in the local market is what sellers receive (fees go to the grid operator)
    assert bills["lem_purchases"].sum() == pytest.approx(bills["lem_sales_revenue"].sum(), rel=1e-9)
    # the fee is 0.012 EUR per kWh bought inside the community (the case's grid-access tariff)
    accepted = pd.read_csv(out / "accepted.csv")
    bought = accepted.loc[accepted["side"] == "buy", "kwh"].sum()
    assert bills["fees"].sum() == pytest.approx(0.012 * bought, rel=1e-9)
    prices = pd.read_csv(out / "prices.csv")
    assert len(prices) == 96


def test_price_unknown_mechanism():
    result = invoke("price", EXAMPLES / "rec_lem_community.yaml", "--mechanism", "auction")
    assert result.exit_code == 2
    assert "use one of mmr, sdr, sdrc, crossing, dual" in result.output


def test_simulate_generated_community(tmp_path):
    from gridshare.community import Ledger, run_simulation

    result = invoke("simulate", "--strategy", "greedy", "--battery", "shared", "--steps", "24",
                    "--out", tmp_path)
    assert result.exit_code == 0, result.output
    homes = pd.read_csv(tmp_path / "households.csv", index_col=0)
    # the same call through the API gives the same wallets (the CLI adds nothing)
    api = run_simulation(steps=24, strategy="greedy", battery="shared")
    assert homes["wallet"].to_numpy() == pytest.approx(api.households["wallet"].to_numpy(), rel=1e-12)
    # money is conserved inside the community: every P2P kWh bought is a kWh sold
    assert homes["p2p_bought_kwh"].sum() == pytest.approx(homes["p2p_sold_kwh"].sum(), rel=1e-9)
    Ledger.load(tmp_path / "ledger.jsonl").verify()


def test_simulate_bad_strategy():
    result = invoke("simulate", "--strategy", "psychic")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_dispatch_example_through_the_cli(tmp_path):
    import json

    from gridshare.microgrid import run_dispatch

    out = tmp_path / "dc.json"
    result = invoke("dispatch", EXAMPLES / "datacenter_ercot_50mw.json", "--out", out)
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())["summary"]
    api = run_dispatch(EXAMPLES / "datacenter_ercot_50mw.json").summary()
    # the CLI reports exactly the API's optimum; 96 quarter-hours, 4 units of 15 MW
    assert written["objective_net_value"] == pytest.approx(api["objective_net_value"], rel=1e-9)
    assert written["intervals"] == 96
    assert written["generators"]["total_mw"] == 60
    assert written["reliability"]["unserved_energy_mwh"] == 0


def test_powerflow_sweep_through_the_cli(tmp_path):
    import json

    result = invoke("powerflow", EXAMPLES / "datacenter_ercot_50mw.json", "--hours", "6",
                    "--pf-sweep", "0.94,0.995", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    sweep = summary["by_power_factor"]
    # a better power factor draws less reactive power from the grid, so the MV voltage is higher
    assert sweep["0.995"]["grid_q_max_mvar"] < sweep["0.94"]["grid_q_max_mvar"]
    assert sweep["0.995"]["vm_mv_min_pu"] > sweep["0.94"]["vm_mv_min_pu"]


def test_microgrid_bad_inputs(tmp_path):
    bad = tmp_path / "dc.json"
    bad.write_text('{"name": "x", "time": {"horizon_hours": -1}}')
    result = invoke("dispatch", bad)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    result = invoke("powerflow", EXAMPLES / "datacenter_ercot_50mw.json", "--pf-sweep", "high")
    assert result.exit_code == 2
    assert "give numbers like" in result.output


def test_optimize_infeasible_case_names_the_family(tmp_path):
    # 1 kW of charging for 4 h cannot fill a 10 kWh battery from empty: at most 4 x 0.95 kWh
    case = tmp_path / "infeasible.yaml"
    case.write_text(
        "time: {start: 2024-06-01, periods: 4, resolution: 1h}\n"
        "tariffs: {t: {kind: flat, price: 0.2}}\n"
        "members:\n"
        "  - {name: a, tariff: t, load: {sector: residential, annual_kwh: 3000},\n"
        "     battery: {energy_kwh: 10, power_kw: 1, soc_initial: 0.0, soc_final: 1.0}}\n"
        "market: {exchange: none}\n")
    result = invoke("optimize", case)
    assert result.exit_code == 2
    assert "battery_soc_end" in result.output
    assert "Traceback" not in result.output


def test_optimize_and_explain_round_trip(tmp_path):
    from gridshare.model import Result
    from gridshare.model.run import optimise_case

    out = tmp_path / "r.nc"
    result = invoke("optimize", EXAMPLES / "community_households.yaml", "--mode", "collective",
                    "--out", out)
    assert result.exit_code == 0, result.output
    saved = Result.load(out)
    # the saved result is the API's optimum for the same case
    api = optimise_case(load_case(EXAMPLES / "community_households.yaml"), mode="collective")
    assert saved.objective == pytest.approx(api.result.objective, rel=1e-9)
    explained = invoke("explain", out, "--member", "h01", "--step", "72")
    assert explained.exit_code == 0
    assert "power_balance" in explained.stdout
    assert invoke("explain", out, "--member", "nobody", "--step", "0").exit_code == 2


def test_app_runs_streamlit_on_the_requested_port(monkeypatch):
    # the command is checked, not run: the browser test starts a real server
    import subprocess

    seen = {}

    def fake_call(command):
        seen["command"] = command
        return 0

    monkeypatch.setattr(subprocess, "call", fake_call)
    out = runner.invoke(app, ["app", "--port", "8555", "--host", "127.0.0.1"])
    assert out.exit_code == 0, out.output
    command = seen["command"]
    assert command[command.index("--server.port") + 1] == "8555"
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("run") + 1].endswith("app/main.py")
    assert "http://127.0.0.1:8555" in out.output


def test_benchmark_and_report_through_the_cli(tmp_path):
    # 4 scenarios (one per tariff), serial: the printed best cost is the stored ranking's first row
    out = runner.invoke(app, ["benchmark", "--scenarios", "4", "--executor", "serial",
                              "--out", str(tmp_path / "run")])
    assert out.exit_code == 0, out.output
    ranking = pd.read_parquet(tmp_path / "run" / "tables" / "rankings.parquet")
    assert len(ranking) == 4 and ranking["rank"].min() == 1
    assert f"{ranking['community_cost'].iloc[0]:.3f}" in out.output
    assert (tmp_path / "run" / "report" / "report.pdf").is_file()
    again = runner.invoke(app, ["report", str(tmp_path / "run"), "--format", "html"])
    assert again.exit_code == 0 and (tmp_path / "run" / "report" / "report.html").is_file()
    bad = runner.invoke(app, ["report", str(tmp_path / "nowhere")])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    wrong = runner.invoke(app, ["benchmark", "--executor", "gpu", "--out", str(tmp_path / "x")])
    assert wrong.exit_code == 2 and "process, serial or dask" in wrong.output
    docx = runner.invoke(app, ["report", str(tmp_path / "run"), "--format", "docx"])
    assert docx.exit_code == 2 and "--format must be one of pdf" in docx.output
    # a data folder that is not there: a message, and no empty run directory left behind
    missing = runner.invoke(app, ["benchmark", "--data", str(tmp_path / "none"),
                                  "--out", str(tmp_path / "y")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    assert not (tmp_path / "y").exists()
