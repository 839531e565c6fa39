"""Pool procurement: hourly CFE matching of pooled clean-energy PPAs, REC swaps and money."""

from __future__ import annotations

import streamlit as st

from gridshare.app.state import USER_ERRORS, cached, case_for_page, show_error
from gridshare.app.widgets import download_figure, download_table
from gridshare.case import Case, ProcurementSpec
from gridshare.procurement import run_procurement
from gridshare.procurement.result import ProcurementResult
from gridshare.report.figures import procurement as figures

EXAMPLE = "procurement_ercot.yaml"


def suits(case: Case) -> bool:
    """A procurement study needs clean-energy projects and members holding shares of them."""
    return bool(case.projects) and any(m.ppa for m in case.members)


@cached(max_entries=8)
def procure(case: Case, swap: str, rec_price: float, battery: bool) -> ProcurementResult:
    """The procurement study of ``case`` with these settings (cached by case content)."""
    return run_procurement(case, swap=swap, rec_price=rec_price, battery=battery)


st.title("Pool procurement")
st.markdown("Members pool their shares of clean-energy plants and match them to their load **hour "
            "by hour** (24/7 carbon-free energy). Surplus certificates of one member cover another's "
            "shortfall through REC swaps.")
current = case_for_page(suits, EXAMPLE, "clean-energy projects with members' PPA shares")
case = current.case
spec = case.procurement or ProcurementSpec()
currency = case.currency.upper()

with st.sidebar:
    st.subheader("Procurement settings")
    swap = st.radio("Swap method", ["prorata", "optimal"], index=["prorata", "optimal"].index(spec.swap),
                    key="procurement_swap", horizontal=True,
                    help="prorata: surplus shared in proportion to shortfalls; optimal: an LP that "
                         "raises the lowest participant's CFE first.")
    rec_price = st.number_input(f"REC price, {currency}/MWh", min_value=0.0, max_value=1000.0,
                                value=float(spec.rec_price_per_mwh), step=1.0, key="procurement_rec_price")
    battery = st.checkbox("Dispatch the pool battery", value=spec.battery is not None,
                          disabled=spec.battery is None, key="procurement_battery",
                          help="The case's procurement.battery, charged from pooled surplus.")

try:
    with st.spinner("Matching supply and load hour by hour ..."):
        result = procure(case, swap, float(rec_price), bool(battery))
except USER_ERRORS as exc:
    show_error(exc)
    st.stop()

pool = result.pool
cur = currency.lower()
cols = st.columns(5)
cols[0].metric("Standalone CFE", f"{pool['standalone_cfe_pct']:.1f} %",
               help="Load matched by each participant's own supply in the same hour, pool-wide.")
cols[1].metric("Pooled CFE", f"{pool['pooled_cfe_pct']:.1f} %",
               f"{pool['pooling_benefit_pct']:+.1f} pts pooling")
if "battery_cfe_pct" in pool:
    cols[2].metric("Pooled CFE with battery", f"{pool['battery_cfe_pct']:.1f} %",
                   f"{pool['battery_uplift_pct']:+.1f} pts battery")
else:
    cols[2].metric("Pooled CFE with battery", "—")
cols[3].metric("Certificates swapped", f"{pool['swapped_mwh'] / 1000:,.1f} GWh",
               help=f"{pool['swapped_mwh']:,.1f} MWh moved from long to short participants.")
cols[4].metric(f"Net savings ({currency})", f"{pool[f'net_savings_{cur}']:,.0f}")

# Lazy tabs: only the open tab's figures are built and sent (a year of hours is heavy to draw).
tabs = st.tabs(["Hourly dispatch", "Monthly balance", "Net position", "Individual vs pooled",
                "Swaps and money", "Downloads"], key="procurement_tab", on_change="rerun")
if tabs[0].open:
    with tabs[0]:
        fig = figures.hourly_dispatch(result.hourly)
        st.plotly_chart(fig, key="procurement_dispatch_fig")
        download_figure(fig, "hourly_dispatch", key="procurement_dispatch_html")
if tabs[1].open:
    with tabs[1]:
        who = st.selectbox("Participant", ["pool", *case.member_names], key="procurement_month_of")
        fig = figures.monthly_balance(result.monthly, who)
        st.plotly_chart(fig, key="procurement_monthly_fig")
        monthly = result.monthly[result.monthly["participant"] == who]
        st.dataframe(monthly, hide_index=True, width="stretch", key="procurement_monthly_table")
        download_table(monthly, f"monthly_{who}", key="procurement_monthly_dl")
if tabs[2].open:
    with tabs[2]:
        fig = figures.net_position(result.net_position)
        st.plotly_chart(fig, key="procurement_net_fig")
        download_figure(fig, "net_position", key="procurement_net_html")
if tabs[3].open:
    with tabs[3]:
        fig = figures.cfe_comparison(result.comparison)
        st.plotly_chart(fig, key="procurement_cfe_fig")
        st.dataframe(result.comparison, hide_index=True, width="stretch", key="procurement_comparison",
                     column_config={c: st.column_config.NumberColumn(format="%.2f")
                                    for c in result.comparison.columns if c != "participant"})
        download_table(result.comparison, "cfe_comparison", key="procurement_comparison_dl")
if tabs[4].open:
    with tabs[4]:
        fig = figures.swaps(result.participants, cur)
        st.plotly_chart(fig, key="procurement_swaps_fig")
        st.markdown("**Participants**")
        st.dataframe(result.participants, width="stretch", key="procurement_participants",
                     column_config={c: st.column_config.NumberColumn(format="%.2f")
                                    for c in result.participants.columns})
        money = [c for c in result.participant_details.columns if c.endswith(f"_{cur}")
                 or f"_{cur}_" in c]
        st.markdown(f"**Money per participant ({currency})**")
        st.dataframe(result.participant_details[money], width="stretch", key="procurement_money",
                     column_config={c: st.column_config.NumberColumn(format="%,.0f") for c in money})
        st.markdown("**Pool summary**")
        st.dataframe(result.tables()["pool"].astype({"value": str}), hide_index=True, width="stretch",
                     key="procurement_pool")
if tabs[5].open:
    with tabs[5]:
        st.caption("Every table of the study, as CSV and XLSX (times in the case's local time).")
        for name, table in result.tables().items():
            st.markdown(f"**{name}** — {len(table):,} rows")
            download_table(table, name, key=f"procurement_all_{name}")
