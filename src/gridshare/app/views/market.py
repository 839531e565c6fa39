"""Community market: local-energy-market prices, the offer book of a step, bills and savings."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from gridshare.app.state import USER_ERRORS, cached, case_for_page, show_error
from gridshare.app.widgets import download_figure, download_table
from gridshare.case import Case
from gridshare.market.run import ALL_MECHANISMS, rules_from_case, run_pricing
from gridshare.profiles.members import member_prices
from gridshare.report.figures import market as figures

EXAMPLE = "rec_lem_community.yaml"
MECHANISM_LABELS = {"crossing_value": "crossing value", "mmr": "MMR (mid-market rate)",
                    "sdr": "SDR (supply-demand ratio)", "sdrc": "SDRC (SDR with compensation)",
                    "dual": "dual (shadow prices of the pool)"}


def suits(case: Case) -> bool:
    """A local market needs at least two members."""
    return len(case.members) >= 2


@cached(max_entries=16)
def price(case: Case, mechanism: str, timeframe: str, structure: str, pruned: bool,
          loop: bool) -> dict[str, Any]:
    """Prices, bills, accepted offers and the offer book of a pricing run (cached by case content)."""
    spec = case.market.pricing
    result = run_pricing(case, mechanism, timeframe, structure, pruned, loop, stage=spec.stage,
                         divisor=spec.divisor, compensation=spec.compensation,
                         increment=spec.increment_per_kwh, tol=spec.tol_per_kwh,
                         max_iter=spec.max_iter, damping=spec.damping, averaging=spec.averaging,
                         rules=rules_from_case(case))
    book = result.pricing.book
    grid_prices = member_prices(case)
    grid = {}
    for tariff in dict.fromkeys(m.tariff for m in case.members):
        first = next(i for i, m in enumerate(case.members) if m.tariff == tariff)
        grid[f"import: {tariff}"] = grid_prices["import_price"].values[first]
        grid[f"export: {tariff}"] = grid_prices["export_price"].values[first]
    return {
        "prices": result.prices,
        "bills": result.bills,
        "accepted": result.accepted,
        "summary": result.summary(),
        "grid": pd.DataFrame(grid, index=result.prices.index),
        "book": {"time": pd.Index(book.time), "members": [str(m) for m in book.members],
                 "buy_kwh": book.buy_kwh, "buy_value": book.buy_value,
                 "sell_kwh": book.sell_kwh, "sell_value": book.sell_value},
        "traded_kwh": np.asarray(result.pricing.buy_kwh, dtype=float).sum(axis=1),
        "trades": result.trades,
    }


st.title("Community market")
st.markdown("Members offer their surpluses and deficits to a local market each step; a pricing "
            "mechanism sets the local price between the grid's export and import prices, and "
            "every member is billed alone and in the community.")
current = case_for_page(suits, EXAMPLE, "second member to trade with")
case = current.case
spec = case.market.pricing
currency = case.currency

with st.sidebar:
    st.subheader("Market settings")
    mechanisms = list(ALL_MECHANISMS)
    mechanism = st.selectbox("Mechanism", mechanisms, index=mechanisms.index(spec.mechanism),
                             format_func=lambda m: MECHANISM_LABELS.get(m, m), key="market_mechanism")
    timeframe = st.segmented_control("Timeframe", ["pre", "post"], default=spec.timeframe,
                                     required=True, key="market_timeframe",
                                     help="pre: forecast positions; post: metered, after dispatch.")
    default_structure = "bilateral" if case.market.exchange == "bilateral" else "pool"
    structure = st.segmented_control("Structure", ["pool", "bilateral"], default=default_structure,
                                     required=True, key="market_structure",
                                     help="How the community operates at the prices: it changes the "
                                          "figures of the operated runs (dual, iterated).")
    pruned = st.checkbox("Pruned (price only the accepted offers)", value=spec.pruned,
                         disabled=mechanism == "dual", key="market_pruned")
    loop = st.checkbox("Iterate with the members' responses", value=spec.loop and mechanism != "dual",
                       disabled=mechanism == "dual", key="market_loop")

try:
    with st.spinner(f"Pricing with {MECHANISM_LABELS.get(mechanism, mechanism)} ..."):
        out = price(case, mechanism, timeframe or spec.timeframe, structure or default_structure,
                    bool(pruned) and mechanism != "dual", bool(loop) and mechanism != "dual")
except USER_ERRORS as exc:
    show_error(exc)
    st.stop()

summary = out["summary"]
prices: pd.Series = out["prices"]
bills: pd.DataFrame = out["bills"]
cols = st.columns(4)
cols[0].metric(f"Mean local price ({currency}/kWh)", f"{summary['mean_price_per_kwh']:.4f}")
cols[1].metric("Traded inside", f"{summary['traded_kwh']:,.2f} kWh")
cols[2].metric(f"Community bill ({currency})", f"{summary['community_total']:,.2f}",
               help=f"Alone: {summary['community_alone_total']:,.2f} {currency}")
cols[3].metric(f"Community saving ({currency})", f"{summary['community_saving']:,.2f}")
if "iterations" in summary:
    st.caption(f"Iterated {summary['iterations']} times; "
               f"{'converged' if summary['converged'] else 'did not converge'}"
               f"{' (cycling)' if summary.get('cycling') else ''}.")

fig = figures.price_series(prices, out["grid"], currency)
st.plotly_chart(fig, key="market_price_fig")
row = st.container(horizontal=True)
with row:
    download_table(prices.rename_axis("time").to_frame(), "lem_prices", key="market_prices_dl")
    download_figure(fig, "lem_prices", key="market_prices_html")

st.subheader("Offer book")
book = out["book"]
times = book["time"]
busiest = int(np.argmax(out["traded_kwh"])) if len(out["traded_kwh"]) else 0
step = st.slider("Step", 0, len(times) - 1, busiest, key="market_step",
                 help="Default: the step with the most energy traded.")
st.caption(f"Step {step}: {pd.Timestamp(times[step]):%Y-%m-%d %H:%M} — price "
           f"{float(prices.iloc[step]):.4f} {currency}/kWh, traded {out['traded_kwh'][step]:.3f} kWh.")
fig = figures.offer_book(book["buy_kwh"][step], book["buy_value"][step], book["sell_kwh"][step],
                         book["sell_value"][step], float(prices.iloc[step]), book["members"],
                         float(out["traded_kwh"][step]),
                         title=f"Offer book at {pd.Timestamp(times[step]):%H:%M}", currency=currency)
st.plotly_chart(fig, key="market_book_fig")
offers = pd.DataFrame({"member": book["members"], "buy_kwh": book["buy_kwh"][step],
                       "buy_value": book["buy_value"][step], "sell_kwh": book["sell_kwh"][step],
                       "sell_value": book["sell_value"][step]})
with st.expander("Offers at this step"):
    st.dataframe(offers, hide_index=True, width="stretch", key="market_offers")

st.subheader("Bills and savings")
fig = figures.bills(bills, currency)
st.plotly_chart(fig, key="market_bills_fig")
st.dataframe(bills, width="stretch", key="market_bills",
             column_config={c: st.column_config.NumberColumn(format="%.2f") for c in bills.columns})
row = st.container(horizontal=True)
with row:
    download_table(bills, "bills", key="market_bills_dl")
    download_table(out["accepted"], "accepted_offers", key="market_accepted_dl")
    if out["trades"] is not None:
        download_table(out["trades"], "trades", key="market_trades_dl")
