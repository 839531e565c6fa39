"""The simulation as the CLI and app use it: defaults, edge cases, files, cases, the planner."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridshare.case import load_case
from gridshare.community import (
    HOUSEHOLD_COLUMNS,
    CommunityInputs,
    Ledger,
    default_community,
    run_simulation,
)
from gridshare.community.strategies import ConvexPlanner, convex_plan

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_defaults_five_homes_48_steps():
    r = run_simulation(history_days=0)
    assert list(r.households.columns) == list(HOUSEHOLD_COLUMNS)
    assert len(r.households) == 5 and r.replay["soc_kwh"].shape == (48, 5)
    ci = default_community(history_days=0)
    # Default PV 5 kWp, battery 10 kWh, flat 0.15 / 0.05 per kWh.
    assert ci.pv_kwh.max() <= 5.0 and (ci.battery_kwh == 10.0).all()
    assert (ci.import_price == 0.15).all() and (ci.export_price == 0.05).all()
    # Same seed, same numbers; another seed, other loads.
    again = run_simulation(history_days=0)
    pd.testing.assert_frame_equal(r.households, again.households)
    assert not np.allclose(default_community(seed=1, history_days=0).load_kwh, ci.load_kwh)
    # Comparison: the baseline buys more from the grid than the greedy community.
    cmp_ = r.comparison
    assert cmp_.loc["grid_bought_kwh", "scenario"] < cmp_.loc["grid_bought_kwh", "baseline"]
    assert cmp_.loc["p2p_volume_kwh", "baseline"] == 0.0


def test_no_trading_possible_when_all_homes_are_in_deficit():
    ci = CommunityInputs.from_arrays(np.full((3, 6), 2.0), pv_kw=0.5)
    r = run_simulation(inputs=ci, strategy="greedy", battery="none")
    assert len(r.trades) == 0 and len(r.ledger) == 0
    assert r.summary["participation_rate"] == 0.0
    # Each home imports 1.5 kWh x 6 steps at 0.15 = 1.35, the same as the baseline.
    np.testing.assert_allclose(r.households["cost"], 1.35, rtol=1e-12)
    np.testing.assert_allclose(r.households["savings"], 0.0, atol=1e-12)


def test_no_pv_at_all_runs_cleanly():
    r = run_simulation(homes=3, steps=12, pv_kwp=0.0, history_days=0)
    hh = r.households
    assert (hh["pv_kwh"] == 0).all() and hh["self_consumption"].isna().all()
    # Batteries start half full (5 kWh, efficiency 0.95) and greedy discharges into the load,
    # so the greedy homes import less than their load.
    assert (hh["grid_bought_kwh"] < hh["load_kwh"]).all()
    assert (hh["grid_sold_kwh"] == 0).all()
    r2 = run_simulation(homes=2, steps=4, pv_kwp=0.0, strategy="convex", horizon=4,
                        history_days=0)
    assert (r2.households["cost"] <= r2.households["baseline_cost"] + 1e-6).all()


def test_write_and_reload(tmp_path):
    r = run_simulation(homes=3, steps=8, battery="none", history_days=0)
    out = r.write(tmp_path / "run")
    names = {p.name for p in out.iterdir()}
    assert {"households.csv", "comparison.csv", "summary.json", "trades.parquet", "replay.nc",
            "replay.parquet", "ledger.jsonl", "forecast_errors.csv"} <= names
    back = xr.open_dataset(out / "replay.nc", engine="h5netcdf")
    np.testing.assert_allclose(back["wallet"].values, r.replay["wallet"].values)
    long = pd.read_parquet(out / "replay.parquet")
    assert len(long) == 8 * 3
    Ledger.load(out / "ledger.jsonl").verify(expected_head=r.summary["ledger_head"])
    trades = pd.read_parquet(out / "trades.parquet")
    assert trades["kwh"].sum() == pytest.approx(r.trades["kwh"].sum())


def test_case_members_become_homes():
    case = load_case(EXAMPLES / "community_households.yaml")
    r = run_simulation(case, steps=24, strategy="greedy")
    hh = r.households
    assert list(hh.index) == case.member_names
    # h03 has no PV and no battery: it only buys.
    assert hh.loc["h03", "pv_kwh"] == 0 and hh.loc["h03", "battery_charge_kwh"] == 0
    # Members without a battery never charge; h01's battery is 10 kWh.
    assert r.replay["soc_kwh"].sel(agent="h01").max() <= 10.0
    with pytest.raises(ValueError, match="homes=3 cannot be combined"):
        run_simulation(case, homes=3)
    shared = run_simulation(case, steps=12, battery="shared")
    assert shared.scenario.attrs["battery"] == "shared"


def test_tariff_and_mixed_strategies():
    from gridshare.tariffs import three_level_tou

    r = run_simulation(homes=4, steps=24, tariff=three_level_tou(), history_days=0,
                       strategy=["greedy", "baseline", "greedy", "baseline"])
    hh = r.households
    assert list(hh["strategy"]) == ["greedy", "baseline", "greedy", "baseline"]
    # Baseline homes keep their baseline cost exactly.
    np.testing.assert_allclose(hh.loc[["h1", "h3"], "savings"], 0.0, atol=1e-12)
    assert set(np.unique(r.replay["import_price"])) == {0.08, 0.12, 0.20}


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="strategy must be one of"):
        run_simulation(homes=2, steps=2, strategy="random", history_days=0)
    with pytest.raises(ValueError, match="battery must be one of"):
        run_simulation(homes=2, steps=2, battery="flywheel", history_days=0)
    with pytest.raises(ValueError, match="price must be one of"):
        run_simulation(homes=2, steps=2, price="auction", history_days=0)
    with pytest.raises(ValueError, match="homes and steps must be >= 1"):
        run_simulation(homes=0, history_days=0)
    with pytest.raises(ValueError, match="grid_buy"):
        run_simulation(homes=1, steps=2, grid_buy=-1.0, history_days=0)
    with pytest.raises(ValueError, match="load_kwh must be >= 0"):
        CommunityInputs.from_arrays([[-1.0]])
    with pytest.raises(ValueError, match="horizon must be >= 1"):
        run_simulation(homes=1, steps=2, strategy="convex", horizon=0, history_days=0)


def test_convex_plan_by_hand_and_reused_model_matches_fresh_build():
    one = {k: np.array([v]) for k, v in dict(
        energy_kwh=4.0, charge_kw=2.0, discharge_kw=2.0, charge_efficiency=1.0,
        discharge_efficiency=1.0, soc_min=0.0, soc_max=1.0, soc_initial=0.0,
        soc_final=0.0).items()}
    # Surplus 2 kW now, deficit 2 kW next at 0.30 vs 0.05: store all 2 kWh now, use it next.
    c, d = convex_plan(["a"], [[0.0, 2.0]], [[2.0, 0.0]], [[0.30, 0.30]], [[0.05, 0.05]], 1.0,
                       one)
    assert (float(c[0]), float(d[0])) == (2.0, 0.0)
    rng = np.random.default_rng(5)
    n, w = 4, 8
    reuse, fresh = ConvexPlanner(), ConvexPlanner(reuse=False)
    spec = {"energy_kwh": np.full(n, 6.0), "charge_kw": np.full(n, 3.0),
            "discharge_kw": np.full(n, 3.0), "charge_efficiency": np.full(n, 0.95),
            "discharge_efficiency": np.full(n, 0.95), "soc_min": np.zeros(n),
            "soc_max": np.ones(n), "soc_final": np.full(n, 0.5)}
    prices = (np.full((n, w), 0.15), np.full((n, w), 0.05))
    for _ in range(3):
        spec["soc_initial"] = rng.uniform(0.2, 0.8, n)
        args = ([f"m{i}" for i in range(n)], rng.uniform(0, 3, (n, w)),
                rng.uniform(0, 4, (n, w)), *prices, 0.5, dict(spec))
        a, b = reuse.plan(*args), fresh.plan(*args)
        np.testing.assert_allclose(a[0], b[0], atol=1e-9)
        np.testing.assert_allclose(a[1], b[1], atol=1e-9)
    assert reuse.builds == 1 and fresh.builds == 3


def test_convex_central_and_shared_run():
    for battery in ("central", "shared"):
        r = run_simulation(homes=3, steps=4, strategy="convex", battery=battery, horizon=4,
                           history_days=0)
        total = r.households["cost"].sum()
        assert np.isfinite(total)
        assert r.summary["p2p_paid"] == pytest.approx(r.summary["p2p_received"])


def test_padded_window_gives_the_plan_of_the_short_window():
    # A 3-step window padded to 8 idle steps must plan exactly as the 3-step model.
    rng = np.random.default_rng(9)
    n = 3
    spec = {"energy_kwh": np.full(n, 5.0), "charge_kw": np.full(n, 2.0),
            "discharge_kw": np.full(n, 2.0), "charge_efficiency": np.full(n, 0.9),
            "discharge_efficiency": np.full(n, 0.9), "soc_min": np.zeros(n),
            "soc_max": np.ones(n), "soc_initial": np.array([0.1, 0.5, 0.9]),
            "soc_final": np.full(n, 0.5)}
    args = ([f"m{i}" for i in range(n)], rng.uniform(0, 3, (n, 3)), rng.uniform(0, 4, (n, 3)),
            np.tile([0.30, 0.10, 0.25], (n, 1)), np.full((n, 3), 0.05), 1.0, spec)
    short = ConvexPlanner(reuse=False).plan(*args)
    padded = ConvexPlanner(reuse=False).plan(*args, pad_to=8)
    np.testing.assert_allclose(short, padded, atol=1e-9)
