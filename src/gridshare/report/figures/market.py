"""Figures of a local-energy-market pricing study (:class:`gridshare.market.PricingResult`).

Prices are drawn in currency/kWh, energies in kWh per step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gridshare.report.figures.common import TEMPLATE

LEM = "#d62828"
BUY = "#2a9d8f"
SELL = "#f4a261"
ALONE = "#adb5bd"
TOGETHER = "#264653"

LEGEND = {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1.0, "xanchor": "right"}


def _layout(fig: go.Figure, title: str, y_title: str, x_title: str | None = None,
            height: int = 420) -> go.Figure:
    fig.update_layout(title=title, template=TEMPLATE, height=height,
                      legend=LEGEND,
                      margin={"l": 60, "r": 20, "t": 80})
    fig.update_yaxes(title_text=y_title)
    if x_title:
        fig.update_xaxes(title_text=x_title)
    return fig


def price_series(prices: pd.Series, grid: pd.DataFrame | None = None, currency: str = "") -> go.Figure:
    """Local-market price per step against the grid's import and export prices.

    Parameters
    ----------
    prices : pandas.Series
        LEM price per step, currency/kWh (``PricingResult.prices``).
    grid : pandas.DataFrame, optional
        Grid prices on the same steps, one column per series (e.g. ``import: bi_hourly``),
        currency/kWh.
    currency : str
        Shown in the axis title.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> t = pd.date_range("2024-01-01", periods=2, freq="h")
    >>> fig = price_series(pd.Series([0.1, 0.2], index=t), pd.DataFrame({"import": [0.3, 0.3]}, index=t))
    >>> [tr.name for tr in fig.data]
    ['import', 'local market']
    """
    fig = go.Figure()
    if grid is not None:
        for column in grid.columns:
            export = "export" in str(column)
            fig.add_scatter(x=grid.index, y=grid[column], name=str(column), mode="lines",
                            line={"shape": "hv", "dash": "dot" if export else "dash", "width": 1.4},
                            hovertemplate="%{y:.4f}")
    fig.add_scatter(x=prices.index, y=prices.values, name="local market", mode="lines",
                    line={"shape": "hv", "color": LEM, "width": 2.5}, hovertemplate="%{y:.4f}")
    _layout(fig, "Local-market price against grid prices", f"{currency}/kWh".strip("/"))
    fig.update_layout(hovermode="x unified")
    return fig


def offer_curve(kwh: np.ndarray, value: np.ndarray, descending: bool) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative offer curve of one step as the corners of a step line.

    Offers are sorted by value (descending for buys, ascending for sells); offers of zero kWh are
    left out. The curve runs from 0 kWh to the total, each offer a flat segment at its value.

    Parameters
    ----------
    kwh : numpy.ndarray
        Offered energy per member, kWh.
    value : numpy.ndarray
        Offer value per member, currency/kWh.
    descending : bool
        True for the buy side (demand curve), False for the sell side (supply curve).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Cumulative kWh and value at each corner (two corners per offer).

    Examples
    --------
    >>> x, y = offer_curve(np.array([1.0, 2.0, 0.0]), np.array([0.1, 0.3, 0.5]), descending=True)
    >>> x.tolist(), y.tolist()
    ([0.0, 2.0, 2.0, 3.0], [0.3, 0.3, 0.1, 0.1])
    """
    kwh = np.asarray(kwh, dtype=float)
    value = np.asarray(value, dtype=float)
    present = kwh > 1e-9
    kwh, value = kwh[present], value[present]
    order = np.argsort(-value if descending else value, kind="stable")
    kwh, value = kwh[order], value[order]
    cum = np.cumsum(kwh)
    starts = cum - kwh
    x = np.column_stack([starts, cum]).ravel()
    y = np.repeat(value, 2)
    return x, y


def offer_book(buy_kwh: np.ndarray, buy_value: np.ndarray, sell_kwh: np.ndarray,
               sell_value: np.ndarray, price: float, members: Sequence[str] | None = None,
               traded_kwh: float | None = None, title: str = "Offer book",
               currency: str = "") -> go.Figure:
    """The two cumulative offer curves of one step and the local-market price.

    Parameters
    ----------
    buy_kwh, buy_value : numpy.ndarray
        Each member's buy offer at the step: kWh and currency/kWh.
    sell_kwh, sell_value : numpy.ndarray
        Each member's sell offer at the step.
    price : float
        The step's local-market price, currency/kWh.
    members : sequence of str, optional
        Member names (hover labels).
    traded_kwh : float, optional
        Energy traded at the step, drawn as a vertical line.
    title : str
    currency : str

    Returns
    -------
    plotly.graph_objects.Figure
        Demand (buy offers by descending value) and supply (sell offers by ascending value) as
        step lines against cumulative kWh, with the price as a horizontal line.
    """
    names = np.asarray(list(members) if members is not None else
                       [f"m{i}" for i in range(len(buy_kwh))], dtype=object)
    fig = go.Figure()
    for side, kwh, value, desc, colour in (("buy offers (demand)", buy_kwh, buy_value, True, BUY),
                                           ("sell offers (supply)", sell_kwh, sell_value, False, SELL)):
        kwh, value = np.asarray(kwh, float), np.asarray(value, float)
        x, y = offer_curve(kwh, value, desc)
        present = kwh > 1e-9
        order = np.argsort(-value[present] if desc else value[present], kind="stable")
        who = np.repeat(names[present][order], 2)
        fig.add_scatter(x=x, y=y, name=side, mode="lines", line={"color": colour, "width": 3},
                        text=who, hovertemplate="%{text}: %{y:.4f} at %{x:.2f} kWh<extra></extra>")
    fig.add_hline(y=float(price), line={"color": LEM, "width": 2},
                  annotation_text=f"price {float(price):.4f}", annotation_position="top right")
    if traded_kwh is not None and traded_kwh > 1e-9:
        fig.add_vline(x=float(traded_kwh), line={"color": "#555", "dash": "dash"},
                      annotation_text=f"traded {float(traded_kwh):.2f} kWh",
                      annotation_position="bottom right")
    return _layout(fig, title, f"{currency}/kWh".strip("/"), "cumulative kWh")


def bills(bills: pd.DataFrame, currency: str = "") -> go.Figure:
    """Each member's bill alone and in the community, and the saving.

    Parameters
    ----------
    bills : pandas.DataFrame
        ``PricingResult.bills`` (index member): ``alone_total``, ``total``, ``saving``, currency.
    currency : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    missing = [c for c in ("alone_total", "total", "saving") if c not in bills]
    if missing:
        raise ValueError(f"bills needs columns {', '.join(missing)}")
    names = bills.index.astype(str)
    fig = go.Figure()
    fig.add_bar(x=names, y=bills["alone_total"], name="alone", marker_color=ALONE,
                hovertemplate="%{y:,.2f}")
    fig.add_bar(x=names, y=bills["total"], name="in the community", marker_color=TOGETHER,
                hovertemplate="%{y:,.2f}")
    fig.add_scatter(x=names, y=bills["saving"], name="saving", mode="markers+text",
                    marker={"size": 11, "color": LEM, "symbol": "diamond"},
                    text=[f"{v:+,.2f}" for v in bills["saving"]], textposition="top center",
                    hovertemplate="%{y:,.2f}")
    _layout(fig, "Bills alone and in the community", currency or "cost")
    fig.update_layout(barmode="group", hovermode="x unified")
    fig.add_hline(y=0.0, line={"color": "#999", "width": 1})
    return fig
