"""Figures and views of a data-centre microgrid dispatch (:mod:`gridshare.microgrid`).

The six views of the microgrid page:

1. system overview -- :func:`topology_diagram`, :func:`resource_stack`, :func:`ride_through_timeline`;
2. electrical feasibility -- :func:`loading_table`, :func:`binding_limits`, :func:`poi_envelope`,
   :func:`equipment_loading`;
3. dispatch timeline -- :func:`dispatch_timeline`;
4. reliability and reserves -- :func:`reserve_stack` (and the ride-through timeline);
5. economics -- :func:`economics_waterfall`, :func:`cumulative_value`;
6. decision explainer -- :func:`binding_frequency_bars`.

Power in MW / MVA / MVAr, energy in MWh, money in the case's currency.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gridshare.report.figures.common import TEMPLATE

BINDING_TOL = 1e-3
"""A limit binds when the loading is within this fraction of it (0.1 %)."""

COLOURS = {"grid": "#7f7f7f", "bess": "#1f77b4", "gen": "#ff7f0e", "load": "#d62728",
           "export": "#9467bd", "soc": "#2ca02c", "price": "#17becf", "critical": "#8c564b"}
GEN_COLOURS = ("#ff7f0e", "#e6550d", "#fdae6b", "#a63603", "#fd8d3c", "#d94801")
STACK_LABELS = {"energy_revenue": "energy export", "as_revenue": "ancillary services",
                "energy_cost": "grid energy", "fuel_cost": "fuel + VOM",
                "start_cost": "unit starts", "degradation": "BESS degradation",
                "curtailment_cost": "curtailment", "voll_cost": "unserved (VoLL)"}


def _wall(index: pd.Index) -> pd.Index:
    """Local wall-clock labels: plotly has no time zones."""
    if isinstance(index, pd.DatetimeIndex) and index.tz is not None:
        return index.tz_localize(None)
    return index


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(template=TEMPLATE, title=title, height=height, hovermode="x unified",
                      margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      legend={"orientation": "h", "y": -0.18})
    return fig


def _units(case) -> list:
    return list(case.resources.generators.units)


# --- 1. system overview ----------------------------------------------------------------------

def resource_stack(case) -> go.Figure:
    """Ratings of the campus side by side: peak loads by kind, BESS, units, POI, transformer.

    Parameters
    ----------
    case : gridshare.microgrid.MicrogridCase

    Returns
    -------
    plotly.graph_objects.Figure
        Horizontal stacked bars in MW (MVA for the transformer and the POI rating); every
        segment is labelled with its name.
    """
    res, top = case.resources, case.topology
    rows: list[tuple[str, str, float, str]] = []  # (bar, segment, value, colour)
    load_colours = {"critical": "#d62728", "non_critical": "#ff9896", "curtailable": "#f7b6d2"}
    for ld in res.loads:
        rows.append(("peak load", ld.name, ld.peak_mw, load_colours[ld.kind]))
    for k, u in enumerate(_units(case)):
        rows.append(("gas units", u.name, u.capacity_mw, GEN_COLOURS[k % len(GEN_COLOURS)]))
    if res.bess is not None:
        rows.append(("BESS", f"{res.bess.energy_mwh:g} MWh", res.bess.power_mw, COLOURS["bess"]))
    rows.append(("POI import", "import", top.poi.max_import_mw, COLOURS["grid"]))
    rows.append(("POI export", "export", top.poi.max_export_mw, COLOURS["export"]))
    if top.poi.mva_rating:
        rows.append(("POI MVA", "MVA", top.poi.mva_rating, "#c7c7c7"))
    for t in top.transformers:
        rows.append(("transformers", t.name, t.mva_rating, "#bcbd22"))
    fig = go.Figure()
    for bar, segment, value, colour in rows:
        fig.add_trace(go.Bar(y=[bar], x=[value], orientation="h", name=segment,
                             marker={"color": colour, "line": {"color": "white", "width": 1}},
                             text=[f"{segment} {value:g}"], textposition="inside",
                             insidetextanchor="middle", showlegend=False,
                             hovertemplate=f"{bar}: {segment} %{{x:.1f}}<extra></extra>"))
    order = list(dict.fromkeys(r[0] for r in rows))[::-1]
    fig.update_layout(barmode="stack", xaxis_title="MW (MVA for ratings)", hovermode="closest",
                      yaxis={"categoryorder": "array", "categoryarray": order})
    return _layout(fig, "Resource stack (ratings)", height=460)


def topology_diagram(case) -> go.Figure:
    """One-line schematic: grid - POI - transformer(s) - MV bus - loads, BESS and units.

    Parameters
    ----------
    case : gridshare.microgrid.MicrogridCase

    Returns
    -------
    plotly.graph_objects.Figure
    """
    top, res = case.topology, case.resources
    trafo = top.transformers
    hv = trafo[0].hv_kv if trafo else float("nan")
    mv = trafo[0].lv_kv if trafo else float("nan")
    poi = top.poi
    poi_text = (f"POI: import ≤ {poi.max_import_mw:g} MW, export ≤ {poi.max_export_mw:g} MW"
                + (f", {poi.mva_rating:g} MVA" if poi.mva_rating else "")
                + (f", PF ≥ {poi.min_power_factor:g}" if poi.min_power_factor else ""))
    trafo_text = "<br>".join(f"{t.name}: {t.mva_rating:g} MVA, {t.hv_kv:g}/{t.lv_kv:g} kV, vk "
                             f"{t.impedance_percent:g} %" for t in trafo) or "no transformer"
    spine = [(3.0, f"{case.iso} grid, {hv:g} kV", COLOURS["grid"]), (2.0, poi_text, "#c7c7c7"),
             (1.0, trafo_text, "#bcbd22")]
    # Three feeders below the MV bus, one per kind of equipment, each listed downwards.
    feeders: list[tuple[float, str, list[tuple[str, str, str]]]] = [  # (label, hover, colour)
        (-1.0, "loads", [(f"{ld.name} {ld.peak_mw:g} MW", f"{ld.name}: {ld.kind}, peak "
                          f"{ld.peak_mw:g} MW, PF {ld.power_factor:g}", COLOURS["load"])
                         for ld in res.loads]),
        (0.0, "BESS", [] if res.bess is None else [(
            f"{res.bess.power_mw:g} MW / {res.bess.energy_mwh:g} MWh",
            f"BESS {res.bess.power_mw:g} MW / {res.bess.energy_mwh:g} MWh"
            + (f", PCS {res.bess.pcs_mva:g} MVA" if res.bess.pcs_mva else ""), COLOURS["bess"])]),
        (1.0, "gas units", [(f"{u.name} {u.capacity_mw:g} MW", f"{u.name}: {u.capacity_mw:g} MW, "
                             f"min stable {u.min_stable_mw:g} MW, start {u.start_time_min:g} min",
                             COLOURS["gen"]) for u in _units(case)]),
    ]
    feeders = [f for f in feeders if f[2]]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[-1.0, -1.0], y=[3.0, 0.0], mode="lines", hoverinfo="skip",
                             line={"color": "#888", "width": 3}, showlegend=False))
    fig.add_trace(go.Scatter(x=[-1.0] * 3, y=[s[0] for s in spine], mode="markers+text",
                             text=[s[1] for s in spine], textposition="middle right",
                             marker={"size": 20, "color": [s[2] for s in spine],
                                     "symbol": "square"}, hoverinfo="text",
                             hovertext=[s[1] for s in spine], showlegend=False))
    fig.add_shape(type="line", x0=-1.3, x1=1.3, y0=0, y1=0, line={"color": "#444", "width": 6})
    fig.add_annotation(x=1.3, y=0.18, text=f"campus MV bus, {mv:g} kV", showarrow=False,
                       xanchor="right", font={"size": 11})
    for x, title, items in feeders:
        ys = -0.6 - 0.45 * np.arange(len(items))
        fig.add_trace(go.Scatter(x=[x, x], y=[0.0, float(ys[-1])], mode="lines",
                                 hoverinfo="skip", line={"color": "#888", "width": 2},
                                 showlegend=False))
        fig.add_trace(go.Scatter(
            x=np.full(len(items), x), y=ys, mode="markers+text",
            text=[i[0] for i in items], textposition="middle right", textfont={"size": 10},
            marker={"size": 13, "color": [i[2] for i in items]}, hoverinfo="text",
            hovertext=[i[1] for i in items], showlegend=False))
        fig.add_annotation(x=x, y=-0.25, text=f"<b>{title}</b>", showarrow=False,
                           xanchor="left", xshift=6, font={"size": 11})
    lowest = min(-0.6 - 0.45 * (len(f[2]) - 1) for f in feeders) if feeders else -1.0
    fig.update_layout(template=TEMPLATE, title="Topology (one-line)", height=480,
                      plot_bgcolor="white",
                      margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      xaxis={"visible": False, "range": [-1.15, 2.1]},
                      yaxis={"visible": False, "range": [lowest - 0.4, 3.4]})
    return fig


def ride_through_timeline(reliability: pd.DataFrame) -> go.Figure:
    """Minutes the battery can carry the critical load, against the requirement.

    Parameters
    ----------
    reliability : pandas.DataFrame
        :func:`gridshare.microgrid.reliability.reliability_table` (``ride_through_min``,
        ``ride_through_required_min``, ``critical_mw``, ``online_gen_mw``).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    rt = reliability["ride_through_min"].replace(np.inf, np.nan)
    x = _wall(rt.index)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=x, y=rt, name="ride-through achieved, min",
                             line={"color": COLOURS["bess"], "width": 2}))
    fig.add_trace(go.Scatter(x=x, y=reliability["ride_through_required_min"],
                             name="required, min", line={"color": "#d62728", "dash": "dash"}))
    short = ~reliability["ride_through_ok"]
    if short.any():
        fig.add_trace(go.Scatter(x=x[short.to_numpy()], y=rt[short], mode="markers",
                                 name="short of requirement",
                                 marker={"color": "#d62728", "size": 8, "symbol": "x"}))
    fig.add_trace(go.Scatter(x=x, y=reliability["critical_mw"], name="critical load, MW",
                             line={"color": COLOURS["critical"], "width": 1}),
                  secondary_y=True)
    fig.add_trace(go.Scatter(x=x, y=reliability["online_gen_mw"], name="units online, MW",
                             line={"color": COLOURS["gen"], "width": 1, "shape": "hv"}),
                  secondary_y=True)
    fig.update_yaxes(title_text="minutes", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="MW", rangemode="tozero", secondary_y=True)
    return _layout(fig, "Ride-through of the critical load")


# --- 2. electrical feasibility -------------------------------------------------------------

def loading_table(dispatch, powerflow=None) -> pd.DataFrame:
    """Per interval: POI power and its limits, POI, PCS and transformer loading, %.

    Parameters
    ----------
    dispatch : gridshare.microgrid.DispatchResult
    powerflow : gridshare.microgrid.PowerFlowResult, optional
        Hourly power flow; its transformer loading (first power factor) is held over each hour.

    Returns
    -------
    pandas.DataFrame
        ``poi_p_mw`` (import positive), ``poi_q_mvar``, ``poi_mva``, ``poi_import_pct``
        (of the import limit), ``poi_export_pct``, ``poi_mva_pct`` (of the POI rating),
        ``poi_pf``, ``poi_pf_pct`` (minimum power factor / power factor), ``pcs_mva``,
        ``pcs_pct`` (of the PCS rating), ``bess_power_pct``,
        ``trafo_loading_pct`` and ``vm_mv_pu`` (from the power flow).
    """
    case, ts = dispatch.case, dispatch.timeseries
    poi = case.topology.poi
    out = pd.DataFrame(index=ts.index)
    out["poi_p_mw"] = ts["import_mw"] - ts["export_mw"]
    out["poi_q_mvar"] = ts["grid_mvar"]
    out["poi_mva"] = np.hypot(out["poi_p_mw"], out["poi_q_mvar"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["poi_import_pct"] = 100 * ts["import_mw"] / poi.max_import_mw if (
            poi.max_import_mw > 0) else np.nan
        out["poi_export_pct"] = 100 * ts["export_mw"] / poi.max_export_mw if (
            poi.max_export_mw > 0) else np.nan
        out["poi_mva_pct"] = 100 * out["poi_mva"] / poi.mva_rating if poi.mva_rating else np.nan
        out["poi_pf"] = np.where(out["poi_mva"] > 1e-9, np.abs(out["poi_p_mw"]) / out["poi_mva"],
                                 1.0)
        # 100 % = at the minimum power factor (the reactive power the POI allows is used up).
        out["poi_pf_pct"] = (100 * poi.min_power_factor / np.maximum(out["poi_pf"], 1e-9)
                             if poi.min_power_factor else np.nan)
    bess = case.resources.bess
    if bess is not None:
        p = ts["bess_discharge_mw"] - ts["bess_charge_mw"]
        out["pcs_mva"] = np.hypot(p, ts["bess_mvar"])
        out["pcs_pct"] = 100 * out["pcs_mva"] / bess.pcs_mva if bess.pcs_mva else np.nan
        out["bess_power_pct"] = 100 * np.abs(p) / bess.power_mw
    if powerflow is not None:
        hourly = powerflow.hourly
        first = hourly[hourly["power_factor"] == hourly["power_factor"].iloc[0]]
        hours = pd.DatetimeIndex(ts.index.tz_localize(None) if ts.index.tz is not None
                                 else ts.index).floor("h")
        out["trafo_loading_pct"] = first["trafo_loading_percent"].reindex(hours).to_numpy()
        out["vm_mv_pu"] = first["vm_mv_pu"].reindex(hours).to_numpy()
    return out


LIMITS = (("poi_import_pct", "POI import limit"), ("poi_export_pct", "POI export limit"),
          ("poi_mva_pct", "POI MVA rating"), ("poi_pf_pct", "POI power-factor floor"),
          ("pcs_pct", "BESS PCS MVA rating"),
          ("bess_power_pct", "BESS power rating"), ("trafo_loading_pct", "transformer rating"))
"""Loading columns of :func:`loading_table` checked by :func:`binding_limits`."""


def binding_limits(loading: pd.DataFrame, tol: float = BINDING_TOL) -> pd.DataFrame:
    """Which equipment limits bind (loading >= 100 % - ``tol``) and how often.

    Parameters
    ----------
    loading : pandas.DataFrame
        :func:`loading_table`.
    tol : float
        Fraction of the limit counted as binding (default 0.1 %).

    Returns
    -------
    pandas.DataFrame
        Index = limit; ``max_pct`` (highest loading), ``binding_intervals``, ``share``,
        ``first_binding`` (first interval at the limit or NaT).

    Examples
    --------
    >>> t = pd.DataFrame({"poi_import_pct": [50.0, 100.0]}, index=pd.date_range("2024", periods=2))
    >>> int(binding_limits(t).loc["POI import limit", "binding_intervals"])
    1
    """
    rows = {}
    for col, label in LIMITS:
        if col not in loading or loading[col].isna().all():
            continue
        at = loading[col] >= 100.0 * (1 - tol)
        rows[label] = {"max_pct": float(loading[col].max()), "binding_intervals": int(at.sum()),
                       "share": float(at.mean()),
                       "first_binding": loading.index[at.to_numpy()][0] if at.any() else pd.NaT}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "limit"
    return out


def poi_envelope(dispatch, loading: pd.DataFrame | None = None) -> go.Figure:
    """POI operating points, net P against apparent power, inside the POI's limits.

    Import is positive. Drawn limits: the import and export caps (vertical), the MVA rating
    (horizontal) and, with a minimum power factor, ``S = |P| / pf_min`` (points above it have
    too much reactive power).

    Parameters
    ----------
    dispatch : gridshare.microgrid.DispatchResult
    loading : pandas.DataFrame, optional
        :func:`loading_table` (computed when missing).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    t = loading_table(dispatch) if loading is None else loading
    poi = dispatch.case.topology.poi
    hour = t.index.hour + t.index.minute / 60.0
    fig = go.Figure(go.Scatter(
        x=t["poi_p_mw"], y=t["poi_mva"], mode="markers", name="interval",
        marker={"color": hour, "colorscale": "Viridis", "size": 8,
                "colorbar": {"title": "hour"}},
        text=[str(i) for i in t.index],
        hovertemplate="%{text}<br>P %{x:.2f} MW, S %{y:.2f} MVA<extra></extra>"))
    top = max(float(t["poi_mva"].max()), poi.mva_rating or 0.0, poi.max_import_mw) * 1.1
    fig.add_trace(go.Scatter(x=[poi.max_import_mw] * 2, y=[0, top], mode="lines",
                             name=f"import cap {poi.max_import_mw:g} MW",
                             line={"color": "#d62728", "dash": "dash"}))
    fig.add_trace(go.Scatter(x=[-poi.max_export_mw] * 2, y=[0, top], mode="lines",
                             name=f"export cap {poi.max_export_mw:g} MW",
                             line={"color": "#9467bd", "dash": "dash"}))
    if poi.mva_rating:
        fig.add_trace(go.Scatter(x=[-poi.max_export_mw, poi.max_import_mw],
                                 y=[poi.mva_rating] * 2, mode="lines",
                                 name=f"MVA rating {poi.mva_rating:g}",
                                 line={"color": "#333", "dash": "dot"}))
    if poi.min_power_factor:
        p = np.linspace(-poi.max_export_mw, poi.max_import_mw, 101)
        fig.add_trace(go.Scatter(x=p, y=np.abs(p) / poi.min_power_factor, mode="lines",
                                 name=f"PF {poi.min_power_factor:g} bound",
                                 line={"color": "#ff7f0e", "dash": "dot"}))
    fig.update_layout(xaxis_title="net P at the POI, MW (import +)",
                      yaxis_title="apparent power, MVA", yaxis_range=[0, top],
                      hovermode="closest")
    return _layout(fig, "POI envelope: P vs MVA", height=440)


def equipment_loading(loading: pd.DataFrame) -> go.Figure:
    """Loading of the POI, the transformer and the BESS converter over time, % of rating.

    Parameters
    ----------
    loading : pandas.DataFrame
        :func:`loading_table`.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = go.Figure()
    for col, label in LIMITS:
        if col in loading and not loading[col].isna().all():
            fig.add_trace(go.Scatter(x=_wall(loading.index), y=loading[col], name=label,
                                     mode="lines", line={"shape": "hv"}))
    fig.add_hline(y=100.0, line={"color": "#d62728", "dash": "dash"})
    fig.update_layout(yaxis_title="% of rating", yaxis_rangemode="tozero")
    return _layout(fig, "Equipment loading (100 % = limit)")


# --- 3. dispatch timeline ------------------------------------------------------------------

def dispatch_timeline(dispatch) -> go.Figure:
    """Price, BESS power and SOC, unit output and commitment, grid flows, load vs supply.

    Parameters
    ----------
    dispatch : gridshare.microgrid.DispatchResult

    Returns
    -------
    plotly.graph_objects.Figure
        Six rows on one zoomable time axis.
    """
    case, ts = dispatch.case, dispatch.timeseries
    x = _wall(ts.index)
    units = _units(case)
    specs = [[{}], [{}], [{}], [{"secondary_y": True}], [{}], [{}]]
    fig = make_subplots(rows=6, cols=1, shared_xaxes=True, vertical_spacing=0.035, specs=specs,
                        subplot_titles=("Energy price", "BESS charge (-) / discharge (+)",
                                        "BESS state of charge", "Gas units",
                                        "Grid import / export", "Load vs supply"))
    fig.add_trace(go.Scatter(x=x, y=ts["lmp_per_mwh"], name="LMP", line={
        "color": COLOURS["price"], "shape": "hv"}), row=1, col=1)
    if "bess_charge_mw" in ts:
        fig.add_trace(go.Bar(x=x, y=ts["bess_discharge_mw"], name="discharge",
                             marker_color=COLOURS["bess"]), row=2, col=1)
        fig.add_trace(go.Bar(x=x, y=-ts["bess_charge_mw"], name="charge",
                             marker_color="#aec7e8"), row=2, col=1)
        fig.add_trace(go.Scatter(x=x, y=ts["soc_mwh"], name="SOC", line={
            "color": COLOURS["soc"], "width": 2}), row=3, col=1)
        fig.add_trace(go.Scatter(x=x, y=ts["soc_floor_mwh"], name="ride-through floor", line={
            "color": "#d62728", "dash": "dash"}), row=3, col=1)
        bess = case.resources.bess
        fig.add_trace(go.Scatter(x=x, y=np.full(len(x), bess.soc_max * bess.energy_mwh),
                                 name="SOC max", line={"color": "#999", "dash": "dot"}),
                      row=3, col=1)
    online = np.zeros(len(ts))
    for k, u in enumerate(units):
        fig.add_trace(go.Scatter(x=x, y=ts[f"gen_{u.name}_mw"], name=u.name, stackgroup="gen",
                                 line={"color": GEN_COLOURS[k % len(GEN_COLOURS)],
                                       "shape": "hv"}), row=4, col=1)
        online = online + ts[f"gen_{u.name}_on"].to_numpy()
    if units:
        fig.add_trace(go.Scatter(x=x, y=online, name="units online", line={
            "color": "#333", "dash": "dot", "shape": "hv"}), row=4, col=1, secondary_y=True)
    fig.add_trace(go.Scatter(x=x, y=ts["import_mw"], name="import", line={
        "color": COLOURS["grid"], "shape": "hv"}, fill="tozeroy"), row=5, col=1)
    fig.add_trace(go.Scatter(x=x, y=-ts["export_mw"], name="export (-)", line={
        "color": COLOURS["export"], "shape": "hv"}, fill="tozeroy"), row=5, col=1)
    supply = [("import_mw", "grid", COLOURS["grid"])]
    if "bess_discharge_mw" in ts:
        supply.append(("bess_discharge_mw", "BESS", COLOURS["bess"]))
    for col, label, colour in supply:
        fig.add_trace(go.Scatter(x=x, y=ts[col], name=f"supply: {label}", stackgroup="supply",
                                 line={"color": colour, "shape": "hv", "width": 0.5},
                                 showlegend=True), row=6, col=1)
    gen_total = ts[[f"gen_{u.name}_mw" for u in units]].sum(axis=1).to_numpy() if units else (
        np.zeros(len(ts)))
    fig.add_trace(go.Scatter(x=x, y=gen_total, name="supply: gas", stackgroup="supply",
                             line={"color": COLOURS["gen"], "shape": "hv", "width": 0.5}),
                  row=6, col=1)
    served = ts["load_mw"] - ts["load_curtail_mw"] - ts["unserved_mw"]
    fig.add_trace(go.Scatter(x=x, y=served, name="load served", line={
        "color": COLOURS["load"], "width": 2, "shape": "hv"}), row=6, col=1)
    demand = served + ts.get("bess_charge_mw", 0.0) + ts["export_mw"]
    fig.add_trace(go.Scatter(x=x, y=demand, name="load + charge + export", line={
        "color": "#000", "width": 1, "dash": "dot", "shape": "hv"}), row=6, col=1)
    fig.update_layout(barmode="relative")
    for row, title in enumerate(("$/MWh", "MW", "MWh", "MW", "MW", "MW"), start=1):
        fig.update_yaxes(title_text=title, row=row, col=1,
                         **({"secondary_y": False} if row == 4 else {}))
    if units:
        fig.update_yaxes(title_text="units", row=4, col=1, secondary_y=True, rangemode="tozero",
                         dtick=1)
    fig.update_xaxes(rangeslider={"visible": False})
    return _layout(fig, "Dispatch timeline", height=1350)


# --- 4. reliability and reserves ---------------------------------------------------------

def reserve_stack(dispatch) -> go.Figure:
    """Ancillary-service capacity held per product over time, MW (stacked).

    Parameters
    ----------
    dispatch : gridshare.microgrid.DispatchResult

    Returns
    -------
    plotly.graph_objects.Figure
    """
    ts = dispatch.timeseries
    fig = go.Figure()
    for col in [c for c in ts.columns if c.startswith("reserve_") and c.endswith("_mw")]:
        label = col.removeprefix("reserve_").removesuffix("_mw")
        group = "down" if label.endswith("down") else "up"
        sign = -1.0 if group == "down" else 1.0
        fig.add_trace(go.Scatter(x=_wall(ts.index), y=sign * ts[col], name=label, stackgroup=group,
                                 line={"shape": "hv", "width": 0.5}))
    fig.update_layout(yaxis_title="MW (up +, down -)")
    return _layout(fig, "Reserves held by product")


# --- 5. economics --------------------------------------------------------------------------

def economics_waterfall(economics: dict[str, Any], currency: str = "") -> go.Figure:
    """Revenues up, costs down, net value at the end.

    Parameters
    ----------
    economics : dict
        :meth:`DispatchResult.economics` (keys of
        :data:`gridshare.microgrid.economics.STACK` and ``net_value``).
    currency : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    # Items that are zero over the horizon (no curtailment, no unserved load) are left out.
    keys = [k for k in STACK_LABELS if k in economics and abs(economics[k]) > 0.005]
    revenue = ("energy_revenue", "as_revenue")
    values = [economics[k] if k in revenue else -economics[k] for k in keys]
    fig = go.Figure(go.Waterfall(
        x=[STACK_LABELS[k] for k in keys] + ["net value"], y=[*values, economics["net_value"]],
        measure=["relative"] * len(keys) + ["total"],
        text=[f"{v:,.0f}" for v in [*values, economics["net_value"]]], textposition="outside",
        increasing={"marker": {"color": "#2ca02c"}}, decreasing={"marker": {"color": "#d62728"}},
        totals={"marker": {"color": "#1f77b4"}}))
    fig.update_layout(yaxis_title=currency or "currency", hovermode="closest")
    return _layout(fig, "Revenue and cost stack over the horizon", height=420)


def cumulative_value(values: pd.DataFrame, currency: str = "") -> go.Figure:
    """Per-interval revenues (+) and costs (-) stacked, with the cumulative net value.

    Parameters
    ----------
    values : pandas.DataFrame
        :func:`gridshare.microgrid.economics.interval_values`.
    currency : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for key, label in STACK_LABELS.items():
        if key not in values or not np.any(values[key].to_numpy() != 0):
            continue
        sign = 1.0 if key in ("energy_revenue", "as_revenue") else -1.0
        fig.add_trace(go.Bar(x=_wall(values.index), y=sign * values[key], name=label),
                      secondary_y=False)
    fig.add_trace(go.Scatter(x=_wall(values.index), y=values["cumulative_value"],
                             name="cumulative net",
                             line={"color": "#000", "width": 2.5}), secondary_y=True)
    fig.update_layout(barmode="relative")
    fig.update_yaxes(title_text=f"per interval, {currency}".rstrip(", "), secondary_y=False)
    fig.update_yaxes(title_text=f"cumulative, {currency}".rstrip(", "), secondary_y=True)
    return _layout(fig, "Value per interval and cumulative", height=420)


# --- 6. decision explainer ---------------------------------------------------------------

def binding_frequency_bars(frequency: pd.DataFrame, top: int = 20) -> go.Figure:
    """Share of intervals in which each constraint family binds.

    Parameters
    ----------
    frequency : pandas.DataFrame
        :func:`gridshare.microgrid.explain.constraint_frequency` (index = family, ``share``,
        ``binding``, ``rows``).
    top : int
        Families shown (most binding first); families that never bind are left out.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    f = frequency[frequency["binding"] > 0].sort_values("share", ascending=False).head(top)
    f = f.iloc[::-1]
    fig = go.Figure(go.Bar(x=100 * f["share"], y=[str(i) for i in f.index], orientation="h",
                           marker_color="#1f77b4",
                           customdata=np.stack([f["binding"], f["rows"]], axis=1),
                           hovertemplate="%{y}: %{x:.1f} % (%{customdata[0]} of "
                           "%{customdata[1]} rows)<extra></extra>"))
    fig.update_layout(xaxis_title="% of rows binding", xaxis_range=[0, 105],
                      hovermode="closest")
    return _layout(fig, "Binding-constraint frequency", height=max(300, 26 * len(f) + 100))
