"""Figures of a pooled procurement study (:class:`gridshare.procurement.ProcurementResult`).

Every builder takes one of the result's tables and returns a ``plotly.graph_objects.Figure``;
energies are drawn in MWh (per hour, so also MW on average), shares in percent.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from gridshare.report.figures.common import TEMPLATE

SOLAR = "#f2b701"
WIND = "#3a86c8"
LOAD = "#222222"
MATCHED = "#2a9d8f"
SURPLUS = "#8ecae6"
SHORTFALL = "#e76f51"
BATTERY = "#7b2cbf"
POOL = "pool"

LEGEND = {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1.0, "xanchor": "right"}


def _layout(fig: go.Figure, title: str, y_title: str, height: int = 420) -> go.Figure:
    fig.update_layout(title=title, template=TEMPLATE, height=height, hovermode="x unified",
                      legend=LEGEND,
                      margin={"l": 60, "r": 20, "t": 80})
    fig.update_yaxes(title_text=y_title)
    return fig


def _require(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs columns {', '.join(missing)}; "
                         f"got {', '.join(map(str, frame.columns))}")


def hourly_dispatch(hourly: pd.DataFrame, days: int | None = 14) -> go.Figure:
    """Pool load against clean supply (solar and wind stacked), hour by hour, zoomable.

    Parameters
    ----------
    hourly : pandas.DataFrame
        ``ProcurementResult.hourly``: ``time``, ``load_mwh``, ``solar_mwh``, ``wind_mwh`` and,
        with a pool battery, ``battery_discharge_mwh``.
    days : int, optional
        Days shown at first (the range slider reaches the whole horizon); ``None`` shows all.

    Returns
    -------
    plotly.graph_objects.Figure
        Stacked areas of solar and wind, the load line, battery discharge when present; MWh/h.

    Examples
    --------
    >>> t = pd.date_range("2024-01-01", periods=3, freq="h")
    >>> h = pd.DataFrame({"time": t, "load_mwh": [1, 2, 3], "solar_mwh": [0, 1, 0],
    ...                   "wind_mwh": [1, 1, 1]})
    >>> [tr.name for tr in hourly_dispatch(h).data]
    ['solar', 'wind', 'load']
    """
    _require(hourly, ["time", "load_mwh", "solar_mwh", "wind_mwh"], "hourly_dispatch")
    fig = go.Figure()
    for column, name, colour in (("solar_mwh", "solar", SOLAR), ("wind_mwh", "wind", WIND)):
        fig.add_scatter(x=hourly["time"], y=hourly[column], name=name, stackgroup="clean",
                        line={"width": 0.5, "color": colour}, hovertemplate="%{y:,.1f} MWh")
    if "battery_discharge_mwh" in hourly:
        fig.add_scatter(x=hourly["time"], y=hourly["battery_discharge_mwh"], name="battery discharge",
                        stackgroup="clean", line={"width": 0.5, "color": BATTERY},
                        hovertemplate="%{y:,.1f} MWh")
    fig.add_scatter(x=hourly["time"], y=hourly["load_mwh"], name="load", mode="lines",
                    line={"color": LOAD, "width": 1.6}, hovertemplate="%{y:,.1f} MWh")
    _layout(fig, "Hourly pool load versus clean supply", "MWh per hour")
    fig.update_xaxes(rangeslider={"visible": True, "thickness": 0.08},
                     rangeselector={"buttons": [
                         {"count": 1, "label": "1 d", "step": "day", "stepmode": "backward"},
                         {"count": 7, "label": "1 w", "step": "day", "stepmode": "backward"},
                         {"count": 1, "label": "1 m", "step": "month", "stepmode": "backward"},
                         {"step": "all", "label": "all"}]})
    if days is not None and len(hourly):
        start = pd.Timestamp(hourly["time"].iloc[0])
        fig.update_xaxes(range=[start, start + pd.Timedelta(days=days)])
    return fig


def monthly_balance(monthly: pd.DataFrame, participant: str = POOL) -> go.Figure:
    """Monthly matched, surplus and shortfall energy (bars) and CFE (line) of the pool or one member.

    Parameters
    ----------
    monthly : pandas.DataFrame
        ``ProcurementResult.monthly``: ``month``, ``participant``, ``matched_mwh``,
        ``surplus_mwh``, ``shortfall_mwh``, ``cfe_pct`` (and for the pool
        ``standalone_cfe_pct``).
    participant : str, default "pool"

    Returns
    -------
    plotly.graph_objects.Figure
        Matched + surplus above zero (the clean supply), shortfall below; CFE % on the right axis.
    """
    _require(monthly, ["month", "participant", "matched_mwh", "surplus_mwh", "shortfall_mwh",
                       "cfe_pct"], "monthly_balance")
    rows = monthly[monthly["participant"] == participant]
    if rows.empty:
        raise ValueError(f"participant {participant!r} is not in the monthly table; there are "
                         f"{', '.join(map(str, monthly['participant'].unique()))}")
    fig = go.Figure()
    months = rows["month"]
    fig.add_bar(x=months, y=rows["matched_mwh"], name="matched", marker_color=MATCHED)
    fig.add_bar(x=months, y=rows["surplus_mwh"], name="surplus (clean, unmatched)",
                marker_color=SURPLUS)
    fig.add_bar(x=months, y=-rows["shortfall_mwh"], name="shortfall (load, unmatched)",
                marker_color=SHORTFALL, customdata=rows["shortfall_mwh"],
                hovertemplate="%{customdata:,.0f} MWh")
    fig.add_scatter(x=months, y=rows["cfe_pct"], name="CFE %", yaxis="y2", mode="lines+markers",
                    line={"color": LOAD})
    if participant == POOL and "standalone_cfe_pct" in rows and rows["standalone_cfe_pct"].notna().any():
        fig.add_scatter(x=months, y=rows["standalone_cfe_pct"], name="standalone CFE %", yaxis="y2",
                        mode="lines+markers", line={"color": LOAD, "dash": "dot"})
    _layout(fig, f"Monthly balance — {participant}", "MWh")
    fig.update_layout(barmode="relative",
                      yaxis2={"title": "CFE %", "overlaying": "y", "side": "right", "range": [0, 100],
                              "showgrid": False})
    fig.update_xaxes(tickmode="array", tickvals=list(range(1, 13)),
                     ticktext=["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                               "Nov", "Dec"])
    return fig


def net_position(net: pd.DataFrame) -> go.Figure:
    """Daily net position (clean − load, MWh; above zero = long) of every participant and the pool.

    Parameters
    ----------
    net : pandas.DataFrame
        ``ProcurementResult.net_position``: ``time`` and one ``<name>_net_mwh`` column each;
        days are the calendar days of ``time`` (local days when it carries a zone).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    _require(net, ["time"], "net_position")
    columns = [c for c in net.columns if c.endswith("_net_mwh")]
    daily = net.set_index("time")[columns].resample("D").sum()
    fig = go.Figure()
    for column in columns:
        name = column[: -len("_net_mwh")]
        fig.add_scatter(x=daily.index, y=daily[column], name=name, mode="lines",
                        line={"width": 3 if name == POOL else 1.3,
                              "color": LOAD if name == POOL else None},
                        hovertemplate="%{y:,.0f} MWh")
    fig.add_hline(y=0.0, line={"color": "#999", "dash": "dash"})
    return _layout(fig, "Daily net position (clean − load; above zero = long)", "MWh per day")


def cfe_comparison(comparison: pd.DataFrame) -> go.Figure:
    """Individual versus pooled carbon-free-energy share of each participant, grouped bars.

    Parameters
    ----------
    comparison : pandas.DataFrame
        ``ProcurementResult.comparison``: ``participant`` and ``*_cfe_pct`` columns.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    _require(comparison, ["participant"], "cfe_comparison")
    labels = {"standalone_cfe_pct": "standalone", "prorata_cfe_pct": "after pro-rata swaps",
              "optimal_cfe_pct": "after optimal swaps", "pooled_cfe_pct": "pooled",
              "pooled_with_battery_cfe_pct": "pooled with battery"}
    fig = go.Figure()
    for column, label in labels.items():
        if column in comparison:
            fig.add_bar(x=comparison["participant"], y=comparison[column], name=label,
                        hovertemplate="%{y:.1f} %", texttemplate="%{y:.0f}", textposition="outside")
    _layout(fig, "Hourly CFE: each participant alone, after swaps, and pooled", "CFE %")
    fig.update_layout(barmode="group", hovermode="closest")
    fig.update_yaxes(range=[0, 105])
    return fig


def swaps(participants: pd.DataFrame, currency: str) -> go.Figure:
    """Certificates each participant exported and imported in the swaps (MWh), and its savings.

    Parameters
    ----------
    participants : pandas.DataFrame
        ``ProcurementResult.participants`` (index ``participant``): ``exported_mwh``,
        ``imported_mwh``, ``net_savings_<currency>``.
    currency : str
        Currency code of the case (any case).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    saving = f"net_savings_{currency.lower()}"
    _require(participants, ["exported_mwh", "imported_mwh", saving], "swaps")
    names = participants.index.astype(str)
    fig = go.Figure()
    fig.add_bar(x=names, y=participants["exported_mwh"], name="exported (sold)", marker_color=MATCHED)
    fig.add_bar(x=names, y=-participants["imported_mwh"], name="imported (bought)",
                marker_color=SHORTFALL, customdata=participants["imported_mwh"],
                hovertemplate="%{customdata:,.0f} MWh")
    fig.add_scatter(x=names, y=participants[saving], name=f"net savings ({currency.upper()})",
                    yaxis="y2", mode="markers", marker={"size": 12, "color": LOAD, "symbol": "diamond"})
    _layout(fig, "REC swaps per participant", "MWh")
    fig.update_layout(barmode="relative", hovermode="x unified",
                      yaxis2={"title": currency.upper(), "overlaying": "y", "side": "right",
                              "showgrid": False})
    return fig
