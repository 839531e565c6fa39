"""Home: open an example or upload a case, edit its members and assets, download it, optimise it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import yaml

from gridshare.app.state import (
    EXAMPLES,
    USER_ERRORS,
    cached,
    current_case,
    load_example,
    set_case,
    show_error,
)
from gridshare.app.widgets import apply_members, download_figure, download_table, members_frame, upload_case
from gridshare.case import SECTORS, Case, CaseError, case_to_dict
from gridshare.model.run import optimise_case
from gridshare.profiles.members import energy_summary, member_profiles

DEFAULT_EXAMPLE = "community_households.yaml"


@cached(max_entries=8)
def profiles_of(case: Case) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Energy summary per member (kWh) and the community's load, PV and wind per step (kW)."""
    data = member_profiles(case)
    summary = energy_summary(data)
    times = pd.DatetimeIndex(data["time"].values).tz_localize("UTC").tz_convert(case.time.timezone)
    totals = pd.DataFrame({name: data[name].sum("member").values for name in ("load_kw", "pv_kw", "wind_kw")},
                          index=pd.Index(times, name="time"))
    return summary, totals


@cached(max_entries=8)
def optimise(case: Case, mode: str) -> tuple[pd.DataFrame, str]:
    """Per-member costs in ``mode`` against acting alone, and the one-line summary."""
    outcome = optimise_case(case, mode)
    return outcome.table, outcome.summary


st.title("gridshare")
st.markdown("Plan, optimise, price and simulate shared energy. Open a case here; every page works "
            "on it (or on its own bundled example when the case lacks what the page needs).")

if current_case() is None:
    set_case(load_example(DEFAULT_EXAMPLE), DEFAULT_EXAMPLE)

left, right = st.columns([2, 3], gap="large")
with left:
    st.subheader("Open an example")
    names = list(EXAMPLES)
    choice = st.selectbox("Example case", names, format_func=lambda n: f"{n} — {EXAMPLES[n]}",
                          key="home_example")
    if st.button("Open example", key="home_open", icon=":material/folder_open:"):
        try:
            set_case(load_example(choice), choice)
            st.session_state.pop("home_optimised", None)
        except USER_ERRORS as exc:
            show_error(exc)
with right:
    st.subheader("Upload a case")
    if upload_case("home_upload") is not None:
        st.session_state.pop("home_optimised", None)

current = current_case()
assert current is not None
case = current.case
index = case.time_index()
st.divider()
st.header(case.name)
if case.description:
    st.caption(case.description)
st.caption(f"Source: {current.source}")
cols = st.columns(4)
cols[0].metric("Members", len(case.members))
cols[1].metric("Steps", f"{len(index):,}")
cols[2].metric("Resolution", case.time.resolution)
cols[3].metric("From", f"{index[0]:%Y-%m-%d}")

st.subheader("Members and assets")
if "home_flash" in st.session_state:
    st.success(st.session_state.pop("home_flash"), icon=":material/check_circle:")
st.caption("Edit cells, add or delete rows, then apply. Energies in kWh per year, powers in kW, "
           "PV in kWp. A blank or zero PV, wind or battery removes it; other asset details "
           "(tilt, efficiencies, PPA shares, metered files) are kept for members kept by name.")
with st.form("home_members_form", border=False):
    edited = st.data_editor(
        members_frame(case), num_rows="dynamic", hide_index=True, key=f"home_members_{current.key[:12]}",
        width="stretch",
        column_config={
            "name": st.column_config.TextColumn("name", required=True, max_chars=64),
            "kind": st.column_config.TextColumn("kind"),
            "tariff": st.column_config.SelectboxColumn("tariff", options=list(case.tariffs),
                                                       required=True),
            "sector": st.column_config.SelectboxColumn("sector", options=list(SECTORS)),
            "annual_kwh": st.column_config.NumberColumn("load, kWh/yr", min_value=0.0, format="%.0f"),
            "pv_kwp": st.column_config.NumberColumn("PV, kWp", min_value=0.0, format="%.1f"),
            "pv_annual_kwh": st.column_config.NumberColumn(
                "PV, kWh/yr", min_value=0.0, format="%.0f",
                help="Scale the PV output to this yearly volume (blank: as the weather gives)."),
            "wind_kw": st.column_config.NumberColumn("wind, kW", min_value=0.0, format="%.0f"),
            "wind_annual_kwh": st.column_config.NumberColumn(
                "wind, kWh/yr", min_value=0.0, format="%.0f",
                help="Scale the wind output to this yearly volume (blank: as the wind gives)."),
            "battery_kwh": st.column_config.NumberColumn("battery, kWh", min_value=0.0, format="%.1f"),
            "battery_kw": st.column_config.NumberColumn("battery, kW", min_value=0.0, format="%.1f"),
        })
    applied = st.form_submit_button("Apply changes", icon=":material/check:")
if applied:
    try:
        new_case = apply_members(case, edited, current.folder)
    except CaseError as exc:
        show_error(exc)
    else:
        set_case(new_case, f"edited {current.source.removeprefix('edited ')}", current.folder)
        st.session_state.pop("home_optimised", None)
        st.session_state["home_flash"] = f"Applied: {len(new_case.members)} members."
        st.rerun()  # every figure above the table now shows the edited case

data = case_to_dict(case, relative_to=current.folder)
stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in case.name).strip("_") or "case"
row = st.container(horizontal=True)
with row:
    st.download_button("Download case (YAML)", yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                       file_name=f"{stem}.yaml", mime="application/x-yaml", key="home_dl_yaml",
                       icon=":material/download:", on_click="ignore")
    st.download_button("Download case (JSON)", json.dumps(data, indent=2), file_name=f"{stem}.json",
                       mime="application/json", key="home_dl_json", icon=":material/download:",
                       on_click="ignore")

st.subheader("Profiles")
try:
    with st.spinner("Generating load, PV and wind profiles ..."):
        summary, totals = profiles_of(case)
except USER_ERRORS as exc:
    show_error(exc)
    st.stop()
total = summary.loc["total"]
cols = st.columns(4)
cols[0].metric("Load", f"{total['load_kwh']:,.0f} kWh")
cols[1].metric("PV", f"{total['pv_kwh']:,.0f} kWh")
cols[2].metric("Wind", f"{total['wind_kwh']:,.0f} kWh")
cols[3].metric("Peak community load", f"{total['peak_load_kw']:,.1f} kW")
fig = go.Figure()
for column, name, colour in (("pv_kw", "PV", "#f2b701"), ("wind_kw", "wind", "#3a86c8")):
    if np.any(totals[column].to_numpy() > 0):
        fig.add_scatter(x=totals.index, y=totals[column], name=name, stackgroup="gen",
                        line={"width": 0.5, "color": colour})
fig.add_scatter(x=totals.index, y=totals["load_kw"], name="load", line={"color": "#222", "width": 1.5})
fig.update_layout(title="Community load and renewable output", template="plotly_white", height=360,
                  hovermode="x unified", yaxis_title="kW", legend={"orientation": "h", "y": -0.2})
if len(totals) > 24 * 28:
    fig.update_xaxes(range=[totals.index[0], totals.index[0] + pd.Timedelta(days=14)],
                     rangeslider={"visible": True, "thickness": 0.08})
st.plotly_chart(fig, key="home_profiles_fig")
st.dataframe(summary, width="stretch", key="home_summary",
             column_config={c: st.column_config.NumberColumn(format="%.1f") for c in summary.columns})
row = st.container(horizontal=True)
with row:
    download_table(summary, "energy_summary", key="home_summary_dl")
    download_figure(fig, "profiles", key="home_profiles_html")

st.subheader("Optimise")
st.caption("Solve the case's operation with HiGHS and compare each member's cost with acting alone.")
mode = st.selectbox("Mode", ["collective", "collective_fair", "individual"], key="home_mode",
                    help="individual: everyone alone; collective: one community optimum; "
                         "collective_fair: no member pays more than alone.")
if st.button("Optimise", key="home_optimise", type="primary", icon=":material/play_arrow:"):
    try:
        with st.status(f"Optimising {case.name} ({mode}) ...", expanded=False) as status:
            table, sentence = optimise(case, mode)
            status.update(label="Optimised", state="complete")
        st.session_state["home_optimised"] = (current.key, mode, table, sentence)
    except USER_ERRORS as exc:
        show_error(exc)
stored = st.session_state.get("home_optimised")
if stored is not None and stored[0] == current.key:
    _, mode_done, table, sentence = stored
    totals_row = table.loc["total"]
    cols = st.columns(3)
    cols[0].metric(f"Community cost ({mode_done})", f"{totals_row['total']:,.2f} {case.currency}")
    cols[1].metric("Cost alone", f"{totals_row['alone']:,.2f} {case.currency}")
    cols[2].metric("Saving", f"{totals_row['saving']:,.2f} {case.currency}",
                   f"{totals_row['saving_pct']:.1f} %")
    st.caption(sentence)
    st.dataframe(table, width="stretch", key="home_costs",
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in table.columns})
    download_table(table, "member_costs", key="home_costs_dl")
