"""One house style for every plotly figure of gridshare, and the small chart helpers built on it.

Every helper returns a :class:`plotly.graph_objects.Figure` in the :data:`TEMPLATE` style, with the
unit in each axis title (``axis_title("Cost", "EUR")`` gives ``"Cost (EUR)"``). Tariff families
always get the same colour (:data:`TARIFF_COLOURS`); members and other series cycle through
:data:`PALETTE`. The report pages, the PDF renderer (:mod:`gridshare.report.static`) and the web app
all draw through these helpers, so a figure looks the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = [
    "PALETTE",
    "TARIFF_COLOURS",
    "TEMPLATE",
    "axis_title",
    "bar_chart",
    "heatmap",
    "line_chart",
    "member_colour",
    "new_figure",
    "scatter",
    "stacked_bar",
    "tariff_colour",
    "timeseries",
]

PALETTE: tuple[str, ...] = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                            "#7f7f7f", "#bcbd22", "#17becf")
"""Colours for members and generic series, in order (cycled)."""

TARIFF_COLOURS: dict[str, str] = {"flat": "#7f7f7f", "tou": "#1f77b4", "cpp": "#d62728", "rtp": "#2ca02c",
                                  "edr": "#9467bd", "iso": "#8c564b"}
"""One fixed colour per tariff family, used by every figure that groups by tariff."""

HEATMAP_COLOURSCALE = "Viridis"

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font={"family": "DejaVu Sans, Arial, sans-serif", "size": 13, "color": "#222222"},
        title={"x": 0.02, "xanchor": "left", "font": {"size": 17}},
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=list(PALETTE),
        xaxis={"showgrid": True, "gridcolor": "#e5e5e5", "linecolor": "#444444", "zeroline": False,
               "ticks": "outside"},
        yaxis={"showgrid": True, "gridcolor": "#e5e5e5", "linecolor": "#444444", "zeroline": False,
               "ticks": "outside"},
        legend={"bgcolor": "rgba(255,255,255,0.8)"},
        margin={"l": 70, "r": 30, "t": 60, "b": 60},
        hovermode="closest",
    )
)
"""The gridshare plotly template (white background, light grid, fixed colourway)."""


def axis_title(name: str, unit: str | None = None) -> str:
    """Axis title with its unit in brackets.

    Examples
    --------
    >>> axis_title("Import price", "EUR/kWh")
    'Import price (EUR/kWh)'
    >>> axis_title("Scenario")
    'Scenario'
    """
    return f"{name} ({unit})" if unit else name


def tariff_colour(tariff: str) -> str:
    """Colour of a tariff family (case-insensitive); unknown names get grey.

    Examples
    --------
    >>> tariff_colour("ToU")
    '#1f77b4'
    """
    return TARIFF_COLOURS.get(str(tariff).lower(), "#7f7f7f")


def member_colour(i: int) -> str:
    """Colour of the ``i``-th member or series (cycles through :data:`PALETTE`)."""
    return PALETTE[int(i) % len(PALETTE)]


def new_figure(title: str, x_title: str = "", y_title: str = "") -> go.Figure:
    """An empty figure in the house style with a title and axis titles."""
    fig = go.Figure()
    fig.update_layout(template=TEMPLATE, title={"text": title}, xaxis_title=x_title, yaxis_title=y_title)
    return fig


def _values(name: str, values: Any) -> np.ndarray:
    array = np.asarray(values.to_numpy() if isinstance(values, pd.Series | pd.Index) else values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _series(x: Any, ys: Mapping[str, Any]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    if not ys:
        raise ValueError("give at least one series (a mapping of name to values)")
    xs = _values("x", x)
    out = {}
    for name, values in ys.items():
        array = _values(f"series {name!r}", values)
        if len(array) != len(xs):
            raise ValueError(f"series {name!r} has {len(array)} values but x has {len(xs)}")
        out[str(name)] = array
    return xs, out


def _plain_time(x: Any) -> Any:
    # plotly has no time zones: show the wall-clock time of the index's own zone.
    if isinstance(x, pd.DatetimeIndex) and x.tz is not None:
        return x.tz_localize(None)
    if isinstance(x, pd.Series) and isinstance(x.dtype, pd.DatetimeTZDtype):
        return x.dt.tz_localize(None)
    return x


def line_chart(x: Any, ys: Mapping[str, Any], title: str, x_title: str = "", y_title: str = "",
               colours: Mapping[str, str] | None = None, markers: bool = False) -> go.Figure:
    """One line per named series over a shared x.

    Parameters
    ----------
    x : array-like
        Shared x values (numbers, dates or labels).
    ys : mapping of str to array-like
        Series name -> y values (same length as ``x``).
    title, x_title, y_title : str
        Figure and axis titles (put the unit in the axis title, see :func:`axis_title`).
    colours : mapping, optional
        Series name -> colour; others cycle through :data:`PALETTE`.
    markers : bool
        Draw markers on the lines.

    Examples
    --------
    >>> fig = line_chart([1, 2, 3], {"a": [1.0, 2.0, 4.0]}, "Demo", "Step", "Power (kW)")
    >>> fig.data[0].y.tolist()
    [1.0, 2.0, 4.0]
    """
    xs, series = _series(_plain_time(x), ys)
    fig = new_figure(title, x_title, y_title)
    for i, (name, values) in enumerate(series.items()):
        colour = (colours or {}).get(name, member_colour(i))
        fig.add_trace(go.Scatter(x=xs, y=values, name=name, mode="lines+markers" if markers else "lines",
                                 line={"color": colour}, marker={"color": colour}))
    return fig


def timeseries(time: Any, ys: Mapping[str, Any], title: str, y_title: str = "",
               colours: Mapping[str, str] | None = None) -> go.Figure:
    """:func:`line_chart` over time with a range slider (wall-clock time of the index's zone)."""
    fig = line_chart(time, ys, title, "Time", y_title, colours)
    fig.update_xaxes(rangeslider={"visible": True}, type="date")
    return fig


def bar_chart(categories: Any, values: Mapping[str, Any] | Any, title: str, x_title: str = "",
              y_title: str = "", horizontal: bool = False, colours: Any = None) -> go.Figure:
    """Bars per category; several named series are grouped side by side.

    Parameters
    ----------
    categories : array-like
        Category labels (one bar, or one group, each).
    values : array-like or mapping of str to array-like
        One series of values, or series name -> values for grouped bars.
    horizontal : bool
        Bars along x with the categories on the y axis (then ``x_title`` names the values).
    colours : str, sequence or mapping, optional
        One colour, one per bar (single series) or series name -> colour.

    Examples
    --------
    >>> fig = bar_chart(["a", "b"], [3.0, 1.0], "Demo", "Scenario", "Cost (EUR)")
    >>> fig.data[0].y.tolist()
    [3.0, 1.0]
    """
    series = values if isinstance(values, Mapping) else {"": values}
    cats, series = _series(categories, series)
    fig = new_figure(title, x_title, y_title)
    for i, (name, vals) in enumerate(series.items()):
        if isinstance(colours, Mapping):
            colour = colours.get(name, member_colour(i))
        elif colours is not None and len(series) == 1:
            colour = list(colours) if not isinstance(colours, str) else colours
        else:
            colour = member_colour(i)
        xy = {"x": vals, "y": cats} if horizontal else {"x": cats, "y": vals}
        fig.add_trace(go.Bar(**xy, name=name or None, orientation="h" if horizontal else "v",
                             marker={"color": colour}, showlegend=bool(name)))
    fig.update_layout(barmode="group")
    return fig


def stacked_bar(categories: Any, series: Mapping[str, Any], title: str, x_title: str = "",
                y_title: str = "", horizontal: bool = False,
                colours: Mapping[str, str] | None = None) -> go.Figure:
    """Bars per category with the named series stacked (negative values stack below zero)."""
    fig = bar_chart(categories, series, title, x_title, y_title, horizontal, colours or {})
    fig.update_layout(barmode="relative")
    return fig


def scatter(x: Any, y: Any, title: str, x_title: str = "", y_title: str = "", groups: Any = None,
            colours: Mapping[str, str] | None = None, text: Any = None) -> go.Figure:
    """Markers, one trace per group (e.g. per tariff) so each group has its colour and legend entry.

    Parameters
    ----------
    x, y : array-like
        Coordinates (same length).
    groups : array-like, optional
        A group label per point; groups are drawn in order of first appearance.
    colours : mapping, optional
        Group -> colour (e.g. :data:`TARIFF_COLOURS`).
    text : array-like, optional
        Hover label per point (e.g. scenario ids).
    """
    xs, series = _series(x, {"y": y})
    ys = series["y"]
    labels = _values("groups", groups) if groups is not None else np.full(len(xs), "", dtype=object)
    hover = _values("text", text) if text is not None else None
    if len(labels) != len(xs) or (hover is not None and len(hover) != len(xs)):
        raise ValueError(f"groups and text need one value per point ({len(xs)})")
    fig = new_figure(title, x_title, y_title)
    for i, group in enumerate(pd.unique(labels)):
        mask = labels == group
        colour = (colours or {}).get(str(group), member_colour(i))
        fig.add_trace(go.Scatter(x=xs[mask], y=ys[mask], mode="markers", name=str(group) or None,
                                 showlegend=bool(str(group)), marker={"color": colour, "size": 8},
                                 text=None if hover is None else hover[mask]))
    return fig


def heatmap(x: Any, y: Any, z: Any, title: str, x_title: str = "", y_title: str = "",
            colourbar_title: str = "") -> go.Figure:
    """A heatmap of ``z[i, j]`` at row ``y[i]`` and column ``x[j]``.

    Examples
    --------
    >>> fig = heatmap([0.2, 0.4], ["a"], [[1.0, 2.0]], "Demo")
    >>> fig.data[0].z.tolist()
    [[1.0, 2.0]]
    """
    xs, ys = _values("x", x), _values("y", y)
    zs = np.asarray(z, dtype=float)
    if zs.shape != (len(ys), len(xs)):
        raise ValueError(f"z has shape {zs.shape}; expected (len(y), len(x)) = ({len(ys)}, {len(xs)})")
    fig = new_figure(title, x_title, y_title)
    fig.add_trace(go.Heatmap(x=xs, y=ys, z=zs, colorscale=HEATMAP_COLOURSCALE,
                             colorbar={"title": {"text": colourbar_title}}))
    return fig

