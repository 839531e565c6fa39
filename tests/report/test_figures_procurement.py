"""Procurement figures: built from a small hand-made result and from the ERCOT example."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridshare.procurement import run_procurement
from gridshare.report.figures import procurement as figures

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "procurement_ercot.yaml"


def hourly(n: int = 48) -> pd.DataFrame:
    t = pd.date_range("2024-01-01", periods=n, freq="h", tz="America/Chicago")
    hour = t.hour.to_numpy()
    return pd.DataFrame({"time": t, "load_mwh": np.full(n, 10.0),
                         "solar_mwh": np.where((hour >= 8) & (hour < 16), 12.0, 0.0),
                         "wind_mwh": np.full(n, 3.0)})


def test_hourly_dispatch_stacks_solar_and_wind_under_the_load():
    frame = hourly()
    fig = figures.hourly_dispatch(frame, days=1)
    names = [tr.name for tr in fig.data]
    assert names == ["solar", "wind", "load"]
    assert fig.data[0].stackgroup == fig.data[1].stackgroup == "clean"
    # Two days of hours: 8 sunny hours a day at 12 MWh -> 192 MWh of solar drawn.
    assert float(np.sum(fig.data[0].y)) == pytest.approx(2 * 8 * 12.0)
    start, end = (pd.Timestamp(v) for v in fig.layout.xaxis.range)
    assert end - start == pd.Timedelta(days=1)
    with pytest.raises(ValueError, match="wind_mwh"):
        figures.hourly_dispatch(frame.drop(columns="wind_mwh"))


def test_monthly_balance_bars_add_up_to_load_and_clean():
    monthly = pd.DataFrame({"month": [1, 2], "participant": ["pool", "pool"],
                            "matched_mwh": [6.0, 8.0], "surplus_mwh": [4.0, 1.0],
                            "shortfall_mwh": [4.0, 2.0], "cfe_pct": [60.0, 80.0],
                            "standalone_cfe_pct": [50.0, 70.0]})
    fig = figures.monthly_balance(monthly)
    matched, surplus, shortfall = (np.asarray(fig.data[i].y) for i in range(3))
    # matched + surplus = clean supply (10, 9); matched + shortfall (drawn below zero) = load (10, 10)
    np.testing.assert_allclose(matched + surplus, [10.0, 9.0])
    np.testing.assert_allclose(matched - shortfall, [10.0, 10.0])
    assert list(fig.data[3].y) == [60.0, 80.0]
    with pytest.raises(ValueError, match="'nobody' is not in the monthly table"):
        figures.monthly_balance(monthly, "nobody")


def test_net_position_is_daily_sums():
    t = pd.date_range("2024-01-01", periods=48, freq="h", tz="America/Chicago")
    net = pd.DataFrame({"time": t, "a_net_mwh": 1.0, "pool_net_mwh": -0.5})
    fig = figures.net_position(net)
    # 24 hours a day: +24 MWh a day for a, -12 for the pool.
    assert list(fig.data[0].y) == [24.0, 24.0] and list(fig.data[1].y) == [-12.0, -12.0]


def test_example_figures_carry_the_result():
    result = run_procurement(EXAMPLE)
    fig = figures.cfe_comparison(result.comparison)
    by_name = {tr.name: np.asarray(tr.y) for tr in fig.data}
    np.testing.assert_allclose(by_name["pooled"], result.comparison["pooled_cfe_pct"])
    np.testing.assert_allclose(by_name["standalone"], result.comparison["standalone_cfe_pct"])
    fig = figures.swaps(result.participants, "USD")
    # What is exported equals what is imported over the pool (certificates change hands).
    assert float(np.sum(fig.data[0].y)) == pytest.approx(-float(np.sum(fig.data[1].y)), rel=1e-9)
    dispatch = figures.hourly_dispatch(result.hourly)
    assert len(dispatch.data[0].x) == 8784  # the leap year, hourly
