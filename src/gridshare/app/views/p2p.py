"""P2P simulation: homes trade step by step; replay the trades, wallets and rankings.

Calls :func:`gridshare.community.run_simulation` (cached by case content and settings) and draws
:mod:`gridshare.report.figures.p2p`.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import streamlit as st

from gridshare.app.state import USER_ERRORS, cached, case_for_page, show_error
from gridshare.app.widgets import download_figure, download_table
from gridshare.case import Case
from gridshare.community import (
    ARRANGEMENTS,
    FORECASTERS,
    PRICE_ESTIMATORS,
    STRATEGIES,
    SimulationResult,
    run_simulation,
)
from gridshare.report.figures import p2p as figs

EXAMPLE = "community_households.yaml"
SOURCES = ("case", "generated")
SOURCE_LABELS = {"case": "Case (current or bundled example)", "generated": "Generated community"}
RANK_METRICS = ("savings", "savings_pct", "wallet", "cost", "p2p_volume_kwh", "p2p_sold_kwh",
                "p2p_bought_kwh", "grid_bought_kwh", "self_sufficiency", "self_consumption")
PLAY_INTERVAL_S = 0.8


@cached(max_entries=24)
def simulate_case(case: Case, steps: int, strategy: str, battery: str, price: str,
                  forecaster: str, horizon: int | None) -> SimulationResult:
    """The P2P simulation of a case (cached by the case's content and the settings)."""
    return run_simulation(case, steps=steps, strategy=strategy, battery=battery, price=price,
                          forecaster=forecaster, horizon=horizon)


@cached(max_entries=24)
def simulate_generated(settings: dict[str, Any], strategy: str, battery: str, price: str,
                       forecaster: str, horizon: int | None) -> SimulationResult:
    """The P2P simulation of the seeded default community (cached by its settings)."""
    return run_simulation(**settings, strategy=strategy, battery=battery, price=price,
                          forecaster=forecaster, horizon=horizon)


def money(value: float) -> str:
    return f"{value:,.2f}"


def pct(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{100 * value:.1f} %"


st.title("P2P simulation")
st.caption("Homes with load, PV and batteries decide step by step, trade on the local market and "
           "settle the rest with the grid; the same inputs run as a baseline without trading.")

# --- parameters ---------------------------------------------------------------------------
with st.expander("Community", expanded=True):
    source = st.radio("Homes from", SOURCES, format_func=SOURCE_LABELS.get, horizontal=True,
                      key="p2p_source")
    case: Case | None = None
    currency = "EUR"
    if source == "case":
        current = case_for_page(lambda c: len(c.members) >= 2, EXAMPLE,
                                "two or more members to trade")
        case = current.case
        currency = case.currency
        n_case = len(case.time_index())
        steps = int(st.number_input("Steps to simulate", 1, n_case, min(n_case, 192), 1,
                                    key="p2p_steps",
                                    help=f"The case has {n_case} steps of {case.time.resolution}."))
        generated: dict[str, Any] = {}
    else:
        c1, c2, c3 = st.columns(3)
        generated = {
            "homes": int(c1.number_input("Homes", 2, 40, 6, key="p2p_homes")),
            "steps": int(c1.number_input("Steps", 1, 24 * 14, 48, key="p2p_gen_steps")),
            "resolution": c1.selectbox("Step", ("1h", "30min", "15min"), key="p2p_resolution"),
            "seed": int(c2.number_input("Seed", 0, 10**6, 0, key="p2p_seed")),
            "pv_kwp": float(c2.number_input("PV per home, kWp", 0.0, 50.0, 5.0, 0.5,
                                            key="p2p_pv")),
            "battery_kwh": float(c2.number_input("Battery per home, kWh", 0.0, 100.0, 10.0, 1.0,
                                                 key="p2p_bkwh")),
            "battery_kw": float(c3.number_input("Battery power, kW", 0.0, 50.0, 5.0, 0.5,
                                                key="p2p_bkw")),
            "grid_buy": float(c3.number_input("Grid import price /kWh", 0.0, 5.0, 0.15, 0.01,
                                              key="p2p_buy")),
            "grid_sell": float(c3.number_input("Grid export price /kWh", 0.0, 5.0, 0.05, 0.01,
                                               key="p2p_sell")),
            "history_days": 0.0,
        }
        steps = generated["steps"]

with st.expander("Strategy and market", expanded=True):
    c1, c2, c3, c4 = st.columns(4)
    strategy = c1.selectbox("Strategy", STRATEGIES, index=STRATEGIES.index("greedy"),
                            key="p2p_strategy",
                            help="baseline: no battery logic, no trading; greedy: store surplus, "
                                 "cover deficits; convex: LP look-ahead with forecasts (slow).")
    battery = c2.selectbox("Batteries", ARRANGEMENTS, key="p2p_battery")
    price = c3.selectbox("Local price", PRICE_ESTIMATORS, key="p2p_price")
    forecaster = c4.selectbox("Forecaster (convex)", FORECASTERS, key="p2p_forecaster")
    horizon_in = int(st.number_input("Look-ahead (convex), steps; 0 = one day", 0, 2000, 0,
                                     key="p2p_horizon"))
    horizon = horizon_in or None

with st.expander("Comparison"):
    compare = st.multiselect("Strategies to compare on the same inputs", STRATEGIES,
                             default=["baseline", "greedy"], key="p2p_compare",
                             help="Convex runs one LP per step and takes much longer.")


def run(strategy_name: str) -> SimulationResult:
    common = {"strategy": strategy_name, "battery": battery, "price": price,
              "forecaster": forecaster, "horizon": horizon}
    if case is not None:
        return simulate_case(case, steps, **common)
    return simulate_generated(generated, **common)


try:
    with st.spinner(f"Simulating {steps} steps ({strategy}) ..."):
        result = run(strategy)
except USER_ERRORS as exc:
    show_error(exc)
    st.stop()

summary, households = result.summary, result.households
replay, trades = result.replay, result.trades
n_steps = int(replay.sizes["step"])

# --- headline -----------------------------------------------------------------------------
st.subheader(f"{strategy} · {battery} batteries · {summary['homes']} homes · {n_steps} steps")
m = st.columns(6)
m[0].metric(f"Net cost, {currency}", money(summary["total_cost"]),
            help="Sum over homes of grid and P2P payments minus receipts.")
m[1].metric(f"Savings, {currency}", money(summary["savings"]),
            delta=pct(summary["savings_pct"] / 100) if pd.notna(summary["savings_pct"]) else None)
m[2].metric("P2P volume, kWh", f"{summary['p2p_volume_kwh']:,.1f}")
m[3].metric("Self-sufficiency", pct(summary["self_sufficiency"]))
m[4].metric("Trades", f"{summary['trades']}")
m[5].metric("Gini of savings", "n/a" if pd.isna(summary["gini_savings"])
            else f"{summary['gini_savings']:.3f}")

# --- playback -----------------------------------------------------------------------------
st.subheader("Playback")
if st.session_state.get("p2p_step", 0) > n_steps - 1:
    st.session_state["p2p_step"] = n_steps - 1
playing = bool(st.session_state.get("p2p_playing", False))
max_pair = float(trades.groupby(["step", "seller", "buyer"])["kwh"].sum().max()) if len(
    trades) else 1.0
local_times = figs.local_times(replay)


def toggle_play() -> None:
    playing_now = not st.session_state.get("p2p_playing", False)
    st.session_state["p2p_playing"] = playing_now
    st.session_state["p2p_toggled"] = True
    if playing_now and st.session_state.get("p2p_step", 0) >= n_steps - 1:
        st.session_state["p2p_step"] = 0  # play again from the start


@st.fragment(run_every=PLAY_INTERVAL_S if playing else None)
def playback() -> None:
    if st.session_state.pop("p2p_toggled", False):
        st.rerun()  # the whole page, so the fragment's timer starts or stops
    if st.session_state.get("p2p_playing", False):
        nxt = st.session_state.get("p2p_step", 0) + 1
        if nxt >= n_steps:
            st.session_state["p2p_playing"] = False
            st.rerun()
        st.session_state["p2p_step"] = nxt
    c1, c2 = st.columns([1, 8], vertical_alignment="bottom")
    label = ":material/pause: Pause" if st.session_state.get("p2p_playing") else (
        ":material/play_arrow: Play")
    c1.button(label, key="p2p_play", on_click=toggle_play)
    step = c2.slider("Step", 0, n_steps - 1, key="p2p_step")
    at = replay.isel(step=step)
    edges = figs.step_trades(trades, step)
    homes_trading = int(((at["p2p_sold_kwh"] > 1e-9) | (at["p2p_bought_kwh"] > 1e-9)).sum())
    k = st.columns(5)
    k[0].metric(f"Time ({local_times[step]:%Y-%m-%d})", f"{local_times[step]:%H:%M}")
    k[1].metric(f"Local price, {currency}/kWh", f"{float(at['local_price']):.4f}")
    k[2].metric("Traded at step, kWh", f"{float(edges['kwh'].sum()):.3f}")
    k[3].metric("Homes trading", f"{homes_trading}")
    k[4].metric("Grid import at step, kWh", f"{float(at['grid_import_kwh'].sum()):.3f}")
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(figs.trade_network(replay, trades, step, max_kwh=max_pair,
                                           currency=currency), key="p2p_network")
    with right:
        st.caption("Trades at this step (seller → buyer)")
        st.dataframe(edges, hide_index=True, key="p2p_step_trades",
                     column_config={"kwh": st.column_config.NumberColumn("kWh", format="%.4f"),
                                    "price": st.column_config.NumberColumn(format="%.4f"),
                                    "amount": st.column_config.NumberColumn(format="%.4f")})
        flows = at[["load_kwh", "pv_kwh", "battery_charge_kwh", "battery_discharge_kwh",
                    "grid_import_kwh", "grid_export_kwh", "p2p_bought_kwh", "p2p_sold_kwh",
                    "soc_kwh", "wallet"]].to_dataframe().drop(columns=["step", "time"],
                                                             errors="ignore")
        st.caption("Each agent at this step (kWh; wallet so far)")
        st.dataframe(flows, key="p2p_step_flows")
    st.plotly_chart(figs.wallet_timeline(replay, step, currency=currency), key="p2p_wallets")


playback()

# --- analysis -----------------------------------------------------------------------------
st.subheader("Analysis: strategies compared")
runs: dict[str, dict[str, Any]] = {}
if compare:
    bar = st.progress(0.0, text="Running the comparison ...")
    for i, name in enumerate(compare):
        started = time.perf_counter()
        try:
            runs[name] = result.summary if name == strategy else run(name).summary
        except USER_ERRORS as exc:
            show_error(exc)
        bar.progress((i + 1) / len(compare), text=f"{name}: {time.perf_counter() - started:.1f} s")
    bar.empty()
if runs:
    st.plotly_chart(figs.strategy_comparison(runs, currency=currency), key="p2p_compare_fig")
    comparison = figs.comparison_frame(runs)
    st.dataframe(comparison, key="p2p_comparison")
    download_table(comparison, "p2p_strategies", key="p2p_dl_strategies")
st.caption(f"{strategy} against its baseline (no trading, no battery logic)")
st.dataframe(result.comparison, key="p2p_vs_baseline")

# --- rankings -----------------------------------------------------------------------------
st.subheader("Household rankings")
metric = st.selectbox("Rank by", RANK_METRICS, key="p2p_rank_metric")
ranked = households.sort_values(metric, ascending=False)
left, right = st.columns([2, 3])
with left:
    st.plotly_chart(figs.household_ranking(households, metric, currency=currency),
                    key="p2p_ranking")
with right:
    st.dataframe(ranked, key="p2p_households",
                 column_config={c: st.column_config.NumberColumn(format="%.3f")
                                for c in ranked.columns if c != "strategy"})

# --- downloads ----------------------------------------------------------------------------
st.subheader("Downloads")
download_table(households, "p2p_households", key="p2p_dl_households")
download_table(trades, "p2p_trades", key="p2p_dl_trades")
download_table(result.comparison, "p2p_vs_baseline", key="p2p_dl_comparison")
download_figure(figs.wallet_timeline(replay, currency=currency), "p2p_wallets",
                key="p2p_dl_wallets")
