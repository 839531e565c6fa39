"""P2P simulation page: the numbers shown are run_simulation's for the same case and settings.

Expected values come from gridshare.community.run_simulation called in the test on the bundled
example (or the generated community), formatted as the page formats them; where a figure can be
had two ways (kWh traded at a step from the trade list and from the replay's per-home flows) the
test checks both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _apptest import metrics, run_page
from streamlit.testing.v1 import AppTest

from gridshare.case import load_case
from gridshare.community import run_simulation

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "community_households.yaml"


@pytest.fixture(scope="module")
def case():
    return load_case(EXAMPLE)


@pytest.fixture(scope="module")
def greedy(case):
    # The page's defaults: all 96 steps of the example, greedy, individual batteries, mid price.
    return run_simulation(case, steps=96, strategy="greedy")


def page() -> AppTest:
    return run_page("p2p.py")



def headline(summary: dict, currency: str = "EUR") -> dict[str, str]:
    gini = summary["gini_savings"]
    return {f"Net cost, {currency}": f"{summary['total_cost']:,.2f}",
            f"Savings, {currency}": f"{summary['savings']:,.2f}",
            "P2P volume, kWh": f"{summary['p2p_volume_kwh']:,.1f}",
            "Self-sufficiency": f"{100 * summary['self_sufficiency']:.1f} %",
            "Trades": f"{summary['trades']}",
            "Gini of savings": "n/a" if np.isnan(gini) else f"{gini:.3f}"}


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_default_headline_rankings_and_comparison(greedy):
    at = page()
    shown = metrics(at)
    for label, value in headline(greedy.summary).items():
        assert shown[label] == value, label
    # Rankings table: the API's household table, ranked by savings (largest first).
    ranked = frame_with(at, "baseline_cost")
    expected = greedy.households.sort_values("savings", ascending=False)
    assert list(ranked.index) == list(expected.index)
    np.testing.assert_allclose(ranked["savings"], expected["savings"], rtol=1e-12)
    np.testing.assert_allclose(ranked["wallet"], expected["wallet"], rtol=1e-12)
    # Strategy comparison (baseline and greedy by default) equals each run's summary.
    comparison = frame_with(at, "participation_rate")
    assert list(comparison.index) == ["baseline", "greedy"]
    assert comparison.loc["greedy", "total_cost"] == pytest.approx(greedy.summary["total_cost"])
    # The baseline run never trades: P2P volume 0 (by construction of the baseline strategy).
    assert comparison.loc["baseline", "p2p_volume_kwh"] == 0.0
    assert comparison.loc["baseline", "total_cost"] == pytest.approx(
        greedy.comparison.loc["total_cost", "baseline"], rel=1e-12)
    # Step 0 is midnight in Lisbon: no PV, so no trades.
    assert shown["Traded at step, kWh"] == "0.000"


def test_step_slider_shows_that_steps_trades(greedy):
    at = page()
    step = 50
    at.slider(key="p2p_step").set_value(step).run()
    assert not at.exception
    shown = metrics(at)
    trades = greedy.trades[greedy.trades["step"] == step]
    at_step = greedy.replay.isel(step=step)
    traded = float(trades["kwh"].sum())
    # Second formulation: what the homes sold on the P2P market at that step (replay flows).
    assert traded == pytest.approx(float(at_step["p2p_sold_kwh"].sum()), rel=1e-9)
    assert shown["Traded at step, kWh"] == f"{traded:.3f}"
    assert shown["Local price, EUR/kWh"] == f"{float(at_step['local_price']):.4f}"
    trading = int(((at_step["p2p_sold_kwh"] > 1e-9) | (at_step["p2p_bought_kwh"] > 1e-9)).sum())
    assert shown["Homes trading"] == f"{trading}"
    # 15-min steps from 00:00 local: step 50 is 12:30.
    assert shown["Time (2024-06-15)"] == "12:30"
    edges = frame_with(at, "seller")
    pairs = trades.groupby(["seller", "buyer"])["kwh"].sum()
    assert len(edges) == len(pairs)
    np.testing.assert_allclose(edges.set_index(["seller", "buyer"])["kwh"].sort_index(),
                               pairs.sort_index(), rtol=1e-12)


def test_play_button_advances_the_step(greedy):
    at = page()
    at.slider(key="p2p_step").set_value(40).run()
    at.button(key="p2p_play").click().run()
    assert not at.exception
    assert at.session_state["p2p_playing"] is True
    # Each run while playing shows the next step (the fragment's timer does this in the app).
    first = at.slider(key="p2p_step").value
    assert first == 41
    at.run()
    assert at.slider(key="p2p_step").value == first + 1
    traded = float(greedy.trades.loc[greedy.trades["step"] == first + 1, "kwh"].sum())
    assert metrics(at)["Traded at step, kWh"] == f"{traded:.3f}"
    at.button(key="p2p_play").click().run()
    assert at.session_state["p2p_playing"] is False
    assert at.slider(key="p2p_step").value == first + 1  # pausing keeps the step
    # Playback stops by itself at the last step (96 steps: 0..95).
    at.slider(key="p2p_step").set_value(94).run()
    at.button(key="p2p_play").click().run()
    assert at.slider(key="p2p_step").value == 95
    at.run()
    assert at.session_state["p2p_playing"] is False and at.slider(key="p2p_step").value == 95


def test_strategy_change_shows_the_baseline_run(case):
    at = page()
    at.selectbox(key="p2p_strategy").select("baseline").run()
    assert not at.exception
    base = run_simulation(case, steps=96, strategy="baseline")
    shown = metrics(at)
    for label, value in headline(base.summary).items():
        assert shown[label] == value, label
    # A baseline run is its own baseline: no trades and zero savings (by definition).
    assert shown["Trades"] == "0" and shown["Savings, EUR"] == "0.00"


def test_generated_community_and_battery_choice():
    at = page()
    at.radio(key="p2p_source").set_value("generated").run()
    at.number_input(key="p2p_homes").set_value(3)
    at.number_input(key="p2p_gen_steps").set_value(12)
    at.selectbox(key="p2p_battery").select("shared").run()
    assert not at.exception
    api = run_simulation(homes=3, steps=12, resolution="1h", seed=0, pv_kwp=5.0, battery_kwh=10.0,
                         battery_kw=5.0, grid_buy=0.15, grid_sell=0.05, history_days=0.0,
                         strategy="greedy", battery="shared")
    shown = metrics(at)
    for label, value in headline(api.summary).items():
        assert shown[label] == value, label
    assert len(frame_with(at, "baseline_cost")) == 3
