"""Figures of a peer-to-peer community simulation (:func:`gridshare.community.run_simulation`).

Every builder takes the API's results and returns a :class:`plotly.graph_objects.Figure`:

- :func:`trade_network` -- homes on a circle, one arrow per trade of a step (width = kWh);
- :func:`wallet_timeline` -- each home's wallet (money in minus money out) over time;
- :func:`strategy_comparison` -- community metrics of several strategies side by side;
- :func:`household_ranking` -- homes ranked by one metric.

Energy in kWh, money in the case's currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import xarray as xr
from plotly.subplots import make_subplots

from gridshare.report.figures.common import PALETTE, TEMPLATE

COMMUNITY = "community"

COMPARISON_PANELS = (
    ("Net cost", (("total_cost", "cost"),), 1.0),
    ("Grid energy, kWh", (("grid_bought_kwh", "bought"), ("grid_sold_kwh", "sold")), 1.0),
    ("P2P volume, kWh", (("p2p_volume_kwh", "traded"),), 1.0),
    ("Shares, %", (("self_sufficiency", "self-sufficiency"), ("self_consumption",
                                                             "self-consumption"),
                   ("participation_rate", "participation")), 100.0),
)
"""Panels of :func:`strategy_comparison`: title, (summary key, label) pairs, scale."""


def agent_colours(agents: list[str]) -> dict[str, str]:
    """One colour per agent, stable across figures (the community agent is black)."""
    homes = [a for a in agents if a != COMMUNITY]
    out = {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(homes)}
    if COMMUNITY in agents:
        out[COMMUNITY] = "#222222"
    return out


def circle_layout(agents: list[str]) -> pd.DataFrame:
    """Node positions: homes evenly on the unit circle from the top, clockwise; the
    community agent (central battery) at the centre.

    Examples
    --------
    >>> (circle_layout(["a", "b"]).round(6) + 0.0).to_dict("index")  # + 0.0: no signed zeros
    {'a': {'x': 0.0, 'y': 1.0}, 'b': {'x': 0.0, 'y': -1.0}}
    """
    homes = [a for a in agents if a != COMMUNITY]
    angle = np.pi / 2 - 2 * np.pi * np.arange(len(homes)) / max(len(homes), 1)
    pos = pd.DataFrame({"x": np.cos(angle), "y": np.sin(angle)}, index=homes)
    if COMMUNITY in agents:
        pos.loc[COMMUNITY] = (0.0, 0.0)
    return pos.loc[agents]


def step_trades(trades: pd.DataFrame, step: int) -> pd.DataFrame:
    """Trades of one step summed per (seller, buyer), kWh and currency, largest first."""
    at = trades[trades["step"] == int(step)]
    if at.empty:
        return pd.DataFrame({"seller": pd.Series(dtype=object), "buyer": pd.Series(dtype=object),
                             "kwh": pd.Series(dtype=float), "price": pd.Series(dtype=float),
                             "amount": pd.Series(dtype=float)})
    out = at.groupby(["seller", "buyer"], as_index=False).agg(
        kwh=("kwh", "sum"), amount=("amount", "sum"))
    out["price"] = out["amount"] / out["kwh"]
    return out.sort_values("kwh", ascending=False, ignore_index=True)[
        ["seller", "buyer", "kwh", "price", "amount"]]


def local_times(replay: xr.Dataset) -> pd.DatetimeIndex:
    """The replay's step labels (stored as UTC) in the community's time zone."""
    utc = pd.DatetimeIndex(pd.to_datetime(replay["time"].values)).tz_localize("UTC")
    return utc.tz_convert(replay.attrs.get("timezone", "UTC"))


def trade_network(replay: xr.Dataset, trades: pd.DataFrame, step: int, *,
                  max_kwh: float | None = None, currency: str = "") -> go.Figure:
    """Network of the trades at one step.

    Homes sit on a circle (the community battery in the middle); each seller-to-buyer trade is
    an arrow in the seller's colour whose width grows with the energy traded. A node is a
    triangle up when the home sells on the P2P market at that step, down when it buys, a circle
    when it does neither; its size grows with the home's load of the step.

    Parameters
    ----------
    replay : xarray.Dataset
        :attr:`SimulationResult.replay` (dims ``step``, ``agent``).
    trades : pandas.DataFrame
        :attr:`SimulationResult.trades` (``step``, ``seller``, ``buyer``, ``kwh``, ``price``,
        ``amount``).
    step : int
        Step to draw, 0-based.
    max_kwh : float, optional
        kWh that gets the widest arrow (default: the largest pair trade of the horizon), so
        widths compare across steps.
    currency : str
        Currency label for hover text.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    steps = int(replay.sizes["step"])
    if not 0 <= int(step) < steps:
        raise ValueError(f"step must be in [0, {steps - 1}]; got {step}")
    agents = [str(a) for a in replay["agent"].values]
    pos = circle_layout(agents)
    colours = agent_colours(agents)
    edges = step_trades(trades, step)
    if max_kwh is None:
        all_pairs = trades.groupby(["step", "seller", "buyer"])["kwh"].sum()
        max_kwh = float(all_pairs.max()) if len(all_pairs) else 1.0
    max_kwh = max(float(max_kwh), 1e-12)
    at = replay.isel(step=int(step))
    sold = at["p2p_sold_kwh"].to_series().reindex(agents)
    bought = at["p2p_bought_kwh"].to_series().reindex(agents)
    load = at["load_kwh"].to_series().reindex(agents)
    pv = at["pv_kwh"].to_series().reindex(agents)
    fig = go.Figure()
    shrink = 0.09  # stop arrows at the node's rim
    for row in edges.itertuples(index=False):
        (x0, y0), (x1, y1) = pos.loc[row.seller], pos.loc[row.buyer]
        length = float(np.hypot(x1 - x0, y1 - y0)) or 1.0
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        width = 1.0 + 9.0 * row.kwh / max_kwh
        fig.add_annotation(x=x1 - ux * shrink, y=y1 - uy * shrink, ax=x0 + ux * shrink,
                           ay=y0 + uy * shrink, xref="x", yref="y", axref="x", ayref="y",
                           showarrow=True, arrowhead=2, arrowsize=max(0.6, 1.6 - width / 10),
                           arrowwidth=width, arrowcolor=colours[row.seller], opacity=0.75,
                           text="")
        # An invisible midpoint marker carries the edge's hover text.
        fig.add_trace(go.Scatter(
            x=[(x0 + x1) / 2], y=[(y0 + y1) / 2], mode="markers", showlegend=False,
            marker={"size": 12, "color": colours[row.seller], "opacity": 0.0},
            hovertemplate=(f"{row.seller} → {row.buyer}<br>{row.kwh:.3f} kWh at "
                           f"{row.price:.4f} {currency}/kWh<extra></extra>")))
    net = sold - bought
    symbol = np.where(net > 1e-9, "triangle-up", np.where(net < -1e-9, "triangle-down",
                                                          "circle"))
    peak_load = float(replay["load_kwh"].max()) or 1.0
    size = 18 + 22 * load.to_numpy(float) / peak_load
    hover = [f"<b>{a}</b><br>load {load[a]:.3f} kWh, PV {pv[a]:.3f} kWh<br>P2P sold "
             f"{sold[a]:.3f} kWh, bought {bought[a]:.3f} kWh" for a in agents]
    fig.add_trace(go.Scatter(
        x=pos["x"], y=pos["y"], mode="markers+text", text=agents, textposition="top center",
        marker={"size": size, "color": [colours[a] for a in agents], "symbol": symbol,
                "line": {"width": 1.5, "color": "white"}},
        hovertext=hover, hoverinfo="text", showlegend=False, name="homes"))
    total = float(edges["kwh"].sum())
    title = f"Trades at step {int(step)}: {len(edges)} pairs, {total:.3f} kWh"
    fig.update_layout(template=TEMPLATE, title=title, height=520,
                      margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      plot_bgcolor="white", hovermode="closest",
                      xaxis={"visible": False, "range": [-1.35, 1.35]},
                      yaxis={"visible": False, "range": [-1.3, 1.3], "scaleanchor": "x"})
    fig.add_annotation(x=0, y=-1.25, xref="x", yref="y", showarrow=False,
                       text="▲ sells · ▼ buys · arrow = seller → buyer, width ∝ kWh",
                       font={"size": 11, "color": "#555"})
    return fig


def wallet_timeline(replay: xr.Dataset, step: int | None = None, *,
                    currency: str = "") -> go.Figure:
    """Each agent's wallet over time: cumulative money received minus paid (grid and P2P).

    Parameters
    ----------
    replay : xarray.Dataset
        :attr:`SimulationResult.replay` with ``wallet`` (step, agent) and ``time`` (step).
    step : int, optional
        Marks this step with a vertical line (the playback position).
    currency : str
        Axis label.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    wallet = replay["wallet"].transpose("step", "agent")
    times = local_times(replay)
    agents = [str(a) for a in replay["agent"].values]
    colours = agent_colours(agents)
    fig = go.Figure()
    wall = times.tz_localize(None)  # plotly has no time zones: local wall-clock time
    for i, agent in enumerate(agents):
        fig.add_trace(go.Scatter(x=wall, y=wallet.values[:, i], mode="lines", name=agent,
                                 line={"color": colours[agent], "width": 1.8}))
    if step is not None:
        x = wall[int(step)]
        fig.add_shape(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper",
                      line={"color": "#444", "dash": "dot", "width": 1})
    fig.update_layout(template=TEMPLATE, title="Wallets over time (received - paid)", height=380,
                      xaxis_title=f"time ({times.tz})", yaxis_title=f"wallet, {currency}".rstrip(", "),
                      hovermode="x unified", margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      legend={"orientation": "h", "y": -0.2})
    return fig


def comparison_frame(summaries: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Community metrics of several runs as one table (rows = run, columns = metrics).

    Parameters
    ----------
    summaries : mapping of str to dict
        Run name -> :attr:`SimulationResult.summary`.

    Examples
    --------
    >>> comparison_frame({"a": {"total_cost": 1.0}})["total_cost"].tolist()
    [1.0]
    """
    keys = [k for _, pairs, _ in COMPARISON_PANELS for k, _ in pairs]
    rows = {name: {k: float(s.get(k, np.nan)) for k in keys} for name, s in summaries.items()}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "strategy"
    return out


def strategy_comparison(summaries: Mapping[str, Mapping[str, Any]], *,
                        currency: str = "") -> go.Figure:
    """Bars comparing runs (strategies) on cost, grid energy, P2P volume and shares.

    Parameters
    ----------
    summaries : mapping of str to dict
        Run name -> :attr:`SimulationResult.summary` (``total_cost``, ``grid_bought_kwh``, ...).
    currency : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    table = comparison_frame(summaries)
    titles = [t if i else f"{t}, {currency}".rstrip(", ") for i, (t, _, _) in
              enumerate(COMPARISON_PANELS)]
    fig = make_subplots(rows=1, cols=len(COMPARISON_PANELS), subplot_titles=titles)
    names = list(table.index)
    for col, (_, pairs, scale) in enumerate(COMPARISON_PANELS, start=1):
        for j, (key, label) in enumerate(pairs):
            values = table[key].to_numpy(float) * scale
            fig.add_trace(go.Bar(x=names, y=values, name=label, legendgroup=label,
                                 marker_color=PALETTE[(j + 2 * col) % len(PALETTE)],
                                 text=[f"{v:.3g}" for v in values], textposition="outside",
                                 showlegend=len(pairs) > 1), row=1, col=col)
    fig.update_layout(template=TEMPLATE, title="Strategies compared on the same inputs",
                      barmode="group",
                      height=400, margin={"l": 10, "r": 10, "t": 70, "b": 10},
                      legend={"orientation": "h", "y": -0.15})
    return fig


def household_ranking(households: pd.DataFrame, metric: str = "savings", *,
                      currency: str = "", ascending: bool = False) -> go.Figure:
    """Homes ranked by one column of :attr:`SimulationResult.households`.

    Parameters
    ----------
    households : pandas.DataFrame
        Index = home, columns include ``metric``.
    metric : str
        Column to rank by (``savings``, ``wallet``, ``p2p_volume_kwh``, ...).
    currency : str
    ascending : bool
        Rank the smallest first.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    if metric not in households.columns:
        raise ValueError(f"metric must be a column of households {list(households.columns)}; "
                         f"got {metric!r}")
    values = households[metric].astype(float).sort_values(ascending=not ascending)
    colours = np.where(values.to_numpy() >= 0, "#2ca02c", "#d62728")
    unit = "kWh" if metric.endswith("_kwh") else currency
    fig = go.Figure(go.Bar(x=values.to_numpy(), y=[str(i) for i in values.index],
                           orientation="h", marker_color=colours,
                           text=[f"{v:.3f}" for v in values.to_numpy()], textposition="outside",
                           cliponaxis=False))
    fig.update_layout(template=TEMPLATE, title=f"Homes ranked by {metric.replace('_', ' ')}",
                      height=max(
        260, 32 * len(values) + 90), xaxis_title=f"{metric} {unit}".strip(),
        margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig
