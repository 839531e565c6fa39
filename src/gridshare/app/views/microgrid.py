"""Microgrid: a data-centre campus dispatched against its ISO, in six views.

Calls :func:`gridshare.microgrid.run_dispatch`, :func:`gridshare.microgrid.run_powerflow` and the
reliability, economics and explain views of the dispatch (cached by case content and settings),
and draws :mod:`gridshare.report.figures.microgrid`.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from gridshare.app.state import EXAMPLES_DIR, USER_ERRORS, case_key, show_error
from gridshare.app.widgets import MAX_UPLOAD_BYTES, download_figure, download_table
from gridshare.microgrid import (
    DispatchResult,
    MicrogridCaseError,
    PowerFlowResult,
    load_microgrid_case,
    run_dispatch,
    run_powerflow,
)
from gridshare.microgrid.economics import interval_values
from gridshare.microgrid.explain import constraint_frequency
from gridshare.microgrid.iso import ISOError, available_isos, get_iso_adapter
from gridshare.microgrid.powerflow import ARCHITECTURES, MODES
from gridshare.microgrid.reliability import reliability_table
from gridshare.model import InfeasibleError
from gridshare.report.figures import microgrid as figs

EXAMPLE = "datacenter_ercot_50mw.json"
SUFFIXES = (".json", ".yaml", ".yml")
HORIZONS = (6.0, 12.0, 24.0, 48.0)
VIEWS = ("System overview", "Electrical feasibility", "Dispatch timeline",
         "Reliability and reserves", "Economics", "Decision explainer")
ERRORS = (*USER_ERRORS, InfeasibleError, ISOError)


@st.cache_data(show_spinner=False, max_entries=8)
def example_case(name: str) -> dict[str, Any]:
    """A bundled microgrid example as validated plain data."""
    return load_microgrid_case(EXAMPLES_DIR / name).model_dump(mode="json")


@st.cache_data(show_spinner=False, max_entries=16)
def dispatch_case(data: dict[str, Any], price_scale: float, fuel_price: float,
                  degradation_cost: float) -> DispatchResult:
    """The dispatch MILP of a case (cached by its content and the sensitivity settings)."""
    return run_dispatch(data, price_scale=price_scale, fuel_price=fuel_price,
                        degradation_cost=degradation_cost)


@st.cache_data(show_spinner=False, max_entries=16)
def powerflow_case(data: dict[str, Any], arch: str, mode: str, hours: int, dispatch_key: str,
                   _dispatch: DispatchResult) -> PowerFlowResult:
    """Hourly power flow with the dispatch's BESS schedule (``dispatch_key`` names it)."""
    return run_powerflow(data, arch=arch, mode=mode, hours=hours, dispatch=_dispatch)


def parse_upload(name: str, content: bytes) -> dict[str, Any]:
    """An uploaded microgrid case as validated plain data; every problem raised at once."""
    suffix = Path(name).suffix.lower()
    problems = []
    if suffix not in SUFFIXES:
        problems.append({"path": "(file)", "value": name, "message": f"unsupported file type "
                         f"{suffix or '(none)'!r}; a microgrid case is {', '.join(SUFFIXES)}"})
    if len(content) > MAX_UPLOAD_BYTES:
        problems.append({"path": "(file)", "value": len(content), "message": f"{name} is "
                         f"{len(content) / 1024**2:.1f} MB; uploads are limited to "
                         f"{MAX_UPLOAD_BYTES // 1024**2} MB"})
    if problems:
        raise MicrogridCaseError(problems, name)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(content)
        try:
            case = load_microgrid_case(path)
        except MicrogridCaseError as exc:
            # Name the upload, not the temporary copy it was read from.
            problems = [{**p, "value": name} if p.get("value") == str(path) else p
                        for p in exc.problems]
            raise MicrogridCaseError(problems, name) from None
    return case.model_dump(mode="json")


def products_for(iso: str, as_prices: dict[str, float]) -> dict[str, float]:
    """The case's capacity prices carried to another ISO's products (same product by name or
    alias keeps its price; the ISO's other products get its default price)."""
    adapter = get_iso_adapter(iso)
    out = {}
    for name, rule in adapter.as_products.items():
        out[name] = rule.default_price
        for key, price in as_prices.items():
            try:
                if adapter.product(key).name == name:
                    out[name] = price
                    break
            except ISOError:
                continue
    return out


def flagged(value: bool) -> str:
    return "yes" if value else "NO"


st.title("Microgrid")
st.caption("A data-centre campus with a battery and gas units behind a point of interconnection, "
           "dispatched against energy and ancillary-service prices under its reliability rules.")

# --- case and scenario --------------------------------------------------------------------
with st.expander("Case", expanded=False):
    upload = st.file_uploader("Upload a microgrid case (.json, .yaml, .yml)", key="microgrid_upload",
                              help=f"At most {MAX_UPLOAD_BYTES // 1024**2} MB.")
    base: dict[str, Any] | None = None
    if upload is not None:
        try:
            base = parse_upload(upload.name, upload.getvalue())
            st.success(f"Opened **{base['name']}** from {upload.name}.")
        except MicrogridCaseError as exc:
            show_error(exc)
            st.info(f"Showing the bundled example **{EXAMPLE}** meanwhile.")
        except Exception as exc:  # the edge: a surprise in a user's file is a message, not a crash
            show_error(ValueError(f"could not read {upload.name}: {exc}"))
    if base is None:
        base = example_case(EXAMPLE)
        st.caption(f"Case: bundled example **{EXAMPLE}**.")
source_key = case_key(base)
if st.session_state.get("microgrid_source") != source_key:
    # A new case: its own values become the inputs' defaults.
    for key in [k for k in st.session_state if str(k).startswith("microgrid_in_")]:
        del st.session_state[key]
    st.session_state["microgrid_source"] = source_key

explicit = base["prices"].get("energy_prices") is not None or any(
    isinstance(ld["profile"], list) for ld in base["resources"]["loads"])
gens = base["resources"]["generators"]
bess0 = base["resources"]["bess"]
with st.expander("Scenario", expanded=True):
    c1, c2, c3, c4 = st.columns(4)
    isos = available_isos()
    iso = c1.selectbox("ISO", isos, index=isos.index(base["iso"].upper())
                       if base["iso"].upper() in isos else 0, key="microgrid_in_iso")
    horizons = sorted({*HORIZONS, float(base["time"]["horizon_hours"])})
    horizon = c1.selectbox("Horizon, h", horizons, index=horizons.index(
        float(base["time"]["horizon_hours"])), key="microgrid_in_horizon", disabled=explicit,
        help="Fixed by the case's explicit price or load series." if explicit else None)
    price_scale = c2.slider("Price scale (energy and AS)", 0.0, 3.0, 1.0, 0.05,
                            key="microgrid_in_price_scale")
    fuel = c2.number_input("Gas price, $/MMBtu", 0.0, 100.0,
                           float(gens["fuel_price_per_mmbtu"]), 0.1, key="microgrid_in_fuel")
    degradation = c3.number_input(
        "BESS degradation, $/MWh", 0.0, 500.0,
        float(bess0["degradation_cost_per_mwh"]) if bess0 else 0.0, 0.5,
        key="microgrid_in_degradation", disabled=bess0 is None)
    poi0 = base["topology"]["poi"]
    max_import = c3.number_input("POI import limit, MW", 0.0, 10_000.0,
                                 float(poi0["max_import_mw"]), 1.0, key="microgrid_in_import")
    max_export = c4.number_input("POI export limit, MW", 0.0, 10_000.0,
                                 float(poi0["max_export_mw"]), 1.0, key="microgrid_in_export")
    arch = c4.selectbox("Rack architecture (power flow)", tuple(ARCHITECTURES),
                        key="microgrid_in_arch")
    mode = c4.selectbox("IT load mode (power flow)", MODES, index=MODES.index("mixed"),
                        key="microgrid_in_mode")

data = {**base, "iso": iso, "time": {**base["time"], "horizon_hours": float(horizon)},
        "topology": {**base["topology"], "poi": {**poi0, "max_import_mw": float(max_import),
                                                 "max_export_mw": float(max_export)}},
        "prices": {**base["prices"]}}
if iso != base["iso"].upper():
    data["prices"]["as_prices"] = products_for(iso, base["prices"]["as_prices"])

try:
    with st.status("Solving the dispatch ...", expanded=False) as status:
        case = load_microgrid_case(data)
        status.update(label="Solving the dispatch MILP ...")
        dispatch = dispatch_case(data, float(price_scale), float(fuel), float(degradation))
        status.update(label="Power flow ...")
        hours = max(1, math.ceil(case.time.horizon_hours))
        flow = powerflow_case(data, arch, mode, hours,
                              case_key([data, price_scale, fuel, degradation]), dispatch)
        status.update(label=f"Solved: {dispatch.result.status}, "
                      f"{dispatch.result.attrs.get('method', '')}", state="complete")
except ERRORS as exc:
    show_error(exc)
    st.stop()

ts = dispatch.timeseries
economics = dispatch.economics()
reliability = dispatch.reliability()
rel_table = reliability_table(dispatch)
loading = figs.loading_table(dispatch, flow)
limits = figs.binding_limits(loading)
currency = "$"
adapter = get_iso_adapter(case.iso)
dt = case.time.step_hours
units = list(case.resources.generators.units)
bess = case.resources.bess

st.subheader(f"{case.name} · {case.iso} · {case.time.horizon_hours:g} h at "
             f"{case.time.interval_minutes:g} min")
head = st.columns(5)
head[0].metric(f"Net value, {currency}", f"{dispatch.net_value:,.0f}",
               help="Revenues - costs over the horizon = -objective of the dispatch model.")
head[1].metric(f"Value vs grid only, {currency}", f"{economics['value_vs_grid_only']:,.0f}",
               help="Net value + what serving the load from the grid alone would cost.")
head[2].metric("Unserved energy, MWh", f"{reliability['unserved_energy_mwh']:.3f}")
head[3].metric("Min ride-through, min", "n/a" if reliability["ride_through_min_minutes"] is None
               else f"{reliability['ride_through_min_minutes']:.1f}",
               help=f"Required: {reliability['ride_through_required_minutes']:g} min.")
head[4].metric("Binding limits", f"{int((limits['binding_intervals'] > 0).sum())}"
               if len(limits) else "0")

tabs = st.tabs(VIEWS)

# --- 1. system overview -------------------------------------------------------------------
with tabs[0]:
    m = st.columns(5)
    m[0].metric("ISO", case.iso, help=f"Real-time interval {adapter.market_interval.rtm_interval_min}"
                " min")
    m[1].metric("Peak load, MW", f"{sum(ld.peak_mw for ld in case.resources.loads):.1f}")
    m[2].metric("BESS, MW / MWh", "none" if bess is None else
                f"{bess.power_mw:g} / {bess.energy_mwh:g}")
    m[3].metric(f"Gas fleet, MW ({len(units)} units)", f"{sum(u.capacity_mw for u in units):g}")
    m[4].metric("N+1 firm capacity, MW", f"{reliability['fleet_firm_capacity_mw']:.1f}",
                help=f"Peak critical load {reliability['peak_critical_mw']:.2f} MW.")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(figs.topology_diagram(case), key="microgrid_topology")
    with right:
        st.plotly_chart(figs.resource_stack(case), key="microgrid_resources")
    st.plotly_chart(figs.ride_through_timeline(rel_table), key="microgrid_ride_through_overview")
    products = pd.DataFrame([{"product": r.name, "description": r.description,
                              "direction": r.direction, "duration_h": r.duration_h,
                              "deploy_min": r.deploy_minutes, "online_only": r.online_only,
                              "price_per_mw_h": dispatch.setup.products.get(r.name, {}).get(
                                  "price_per_mw_h", np.nan)}
                             for r in adapter.as_products.values()])
    st.caption(f"{case.iso} ancillary products (price used; blank = not offered)")
    st.dataframe(products, hide_index=True, key="microgrid_products")

# --- 2. electrical feasibility ------------------------------------------------------------
with tabs[1]:
    binding = limits[limits["binding_intervals"] > 0] if len(limits) else limits
    for label, row in binding.iterrows():
        st.warning(f"**{label}** binds in {row['binding_intervals']} of {len(loading)} intervals "
                   f"(first at {row['first_binding']:%H:%M}); highest loading "
                   f"{row['max_pct']:.1f} %.", icon=":material/warning:")
    pf_summary = flow.summary()["by_power_factor"]
    for pf, s in pf_summary.items():
        if s["voltage_violations"] or s["loading_violations"]:
            st.warning(f"Power flow at PF {pf}: {s['voltage_violations']} h outside "
                       f"0.95-1.05 p.u., {s['loading_violations']} h above the transformer "
                       "rating.", icon=":material/warning:")
    if binding.empty:
        st.success("No equipment limit binds over the horizon.", icon=":material/check_circle:")
    first = next(iter(pf_summary.values()))
    m = st.columns(5)
    m[0].metric("Max transformer loading, %", f"{first['trafo_loading_max_percent']:.1f}")
    m[1].metric("MV voltage min / max, pu", f"{first['vm_mv_min_pu']:.3f} / "
                f"{first['vm_mv_max_pu']:.3f}")
    m[2].metric("Max POI import, MW", f"{ts['import_mw'].max():.2f}",
                help=f"Limit {case.topology.poi.max_import_mw:g} MW.")
    m[3].metric("Max POI apparent power, MVA", f"{loading['poi_mva'].max():.2f}")
    m[4].metric("Max PCS loading, %", "n/a" if "pcs_pct" not in loading or loading["pcs_pct"].isna(
    ).all() else f"{loading['pcs_pct'].max():.1f}")
    st.dataframe(limits, key="microgrid_limits",
                 column_config={"max_pct": st.column_config.NumberColumn("max %", format="%.2f"),
                                "share": st.column_config.NumberColumn(format="%.3f")})
    left, right = st.columns(2)
    with left:
        st.plotly_chart(figs.poi_envelope(dispatch, loading), key="microgrid_poi")
    with right:
        st.plotly_chart(figs.equipment_loading(loading), key="microgrid_loading")
    st.caption(f"Power flow ({flow.engine}, {arch}, {mode} IT load): base case and hourly results")
    st.dataframe(flow.hourly, key="microgrid_powerflow")
    download_table(loading, "microgrid_loading", key="microgrid_dl_loading")
    download_table(flow.hourly, "microgrid_powerflow", key="microgrid_dl_powerflow")

# --- 3. dispatch timeline -----------------------------------------------------------------
with tabs[2]:
    m = st.columns(5)
    m[0].metric("Grid import, MWh", f"{ts['import_mw'].sum() * dt:,.1f}")
    m[1].metric("Grid export, MWh", f"{ts['export_mw'].sum() * dt:,.1f}")
    gas = sum(ts[f"gen_{u.name}_mw"].sum() for u in units) * dt
    m[2].metric("Gas output, MWh", f"{gas:,.1f}")
    m[3].metric("BESS throughput, MWh", "n/a" if bess is None else
                f"{(ts['bess_charge_mw'] + ts['bess_discharge_mw']).sum() * dt:,.1f}")
    starts = sum(int(np.sum(np.diff(np.r_[float(u.initial_on), ts[f'gen_{u.name}_on']]) > 0.5))
                 for u in units)
    m[4].metric("Unit starts", f"{starts}")
    timeline = figs.dispatch_timeline(dispatch)
    st.plotly_chart(timeline, key="microgrid_timeline")
    download_figure(timeline, "microgrid_dispatch", key="microgrid_dl_timeline_fig")
    with st.expander("Dispatch per interval"):
        st.dataframe(ts, key="microgrid_timeseries")
    download_table(ts, "microgrid_dispatch", key="microgrid_dl_timeseries")

# --- 4. reliability and reserves ----------------------------------------------------------
with tabs[3]:
    m = st.columns(5)
    m[0].metric("Ride-through achieved", flagged(reliability["ride_through_achieved"]))
    m[1].metric("Intervals short", f"{reliability['intervals_short_of_ride_through']}")
    m[2].metric("Unserved intervals", f"{reliability['unserved_intervals']}")
    m[3].metric("Peak critical load, MW", f"{reliability['peak_critical_mw']:.2f}")
    m[4].metric("N+1 covers critical", flagged(reliability["fleet_n_plus_1_covers_critical"]))
    if not reliability["ride_through_achieved"]:
        st.warning("The battery cannot carry the critical load for the required ride-through in "
                   f"{reliability['intervals_short_of_ride_through']} intervals.",
                   icon=":material/warning:")
    if reliability["unserved_energy_mwh"] > 0:
        st.warning(f"{reliability['unserved_energy_mwh']:.3f} MWh of load is not served.",
                   icon=":material/warning:")
    st.plotly_chart(figs.ride_through_timeline(rel_table), key="microgrid_ride_through")
    st.plotly_chart(figs.reserve_stack(dispatch), key="microgrid_reserves")
    reserve_cols = [c for c in ts.columns if c.startswith("reserve_")]
    prices = dispatch.setup.inputs.reserves["price_per_kw"] * 1e3
    held = pd.DataFrame({"mw_h_held": ts[reserve_cols].sum() * dt,
                         "mean_mw": ts[reserve_cols].mean(), "max_mw": ts[reserve_cols].max()})
    held.index = [c.removeprefix("reserve_").removesuffix("_mw") for c in reserve_cols]
    held["revenue"] = held["mw_h_held"] * prices.reindex(held.index).to_numpy()
    held.index.name = "product"
    st.dataframe(held, key="microgrid_reserve_table")
    download_table(rel_table, "microgrid_reliability", key="microgrid_dl_reliability")

# --- 5. economics -------------------------------------------------------------------------
with tabs[4]:
    m = st.columns(5)
    m[0].metric(f"Net value, {currency}", f"{economics['net_value']:,.0f}")
    m[1].metric(f"AS revenue, {currency}", f"{economics['as_revenue']:,.0f}")
    m[2].metric(f"Energy revenue, {currency}", f"{economics['energy_revenue']:,.0f}")
    m[3].metric(f"Fuel + VOM, {currency}", f"{economics['fuel_cost']:,.0f}")
    m[4].metric(f"Grid-only cost, {currency}", f"{economics['grid_only_cost']:,.0f}")
    values = interval_values(dispatch)
    left, right = st.columns(2)
    with left:
        st.plotly_chart(figs.economics_waterfall(economics, currency), key="microgrid_waterfall")
    with right:
        st.plotly_chart(figs.cumulative_value(values, currency), key="microgrid_cumulative")
    stack = pd.DataFrame({"value": pd.Series(economics)})
    stack.index.name = "item"
    st.dataframe(stack, key="microgrid_economics")
    download_table(stack, "microgrid_economics", key="microgrid_dl_economics")
    download_table(values, "microgrid_values", key="microgrid_dl_values")

# --- 6. decision explainer ----------------------------------------------------------------
with tabs[5]:
    explain = dispatch.explain()
    frequency = constraint_frequency(dispatch)
    labels = [f"{t:%H:%M}" if case.time.horizon_hours <= 24 else f"{t:%m-%d %H:%M}"
              for t in explain.index]
    pick = st.select_slider("Interval", options=list(range(len(explain))), value=0,
                            format_func=lambda i: labels[i], key="microgrid_interval")
    row = explain.iloc[pick]
    m = st.columns(4)
    m[0].metric("Energy value here, $/MWh", f"{row['energy_price_per_mwh']:.2f}",
                help="Shadow price of the campus power balance.")
    m[1].metric("LMP, $/MWh", f"{ts['lmp_per_mwh'].iloc[pick]:.2f}")
    if bess is not None:
        m[2].metric(f"Battery ({row['battery_binding']} binds)", f"{row['battery_action']}")
        m[3].metric("Stored energy worth, $/MWh", f"{row['stored_energy_value_per_mwh']:.2f}")
        st.markdown(f"**Battery** — {row['battery_reason']}.")
    for u in units:
        st.markdown(f"**{u.name}** ({row[f'gen_{u.name}_state']}, margin "
                    f"{row[f'gen_{u.name}_margin_per_mwh']:.2f} $/MWh) — "
                    f"{row[f'gen_{u.name}_reason']}.")
    st.plotly_chart(figs.binding_frequency_bars(frequency), key="microgrid_frequency")
    st.dataframe(frequency, key="microgrid_frequency_table")
    with st.expander("Every interval's decisions"):
        st.dataframe(explain, key="microgrid_explain")
    download_table(explain, "microgrid_explain", key="microgrid_dl_explain")
    download_table(frequency, "microgrid_binding_frequency", key="microgrid_dl_frequency")
