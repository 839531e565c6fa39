"""Render plotly figures to PNG offline, with matplotlib (Agg), for PDF reports.

Plotly's own image export needs a browser; reports must build on a machine without one. This module
reads a :class:`plotly.graph_objects.Figure` (its traces and layout) and draws the same chart with
matplotlib. It covers what gridshare's figures use:

- ``scatter`` / ``scattergl``: lines, markers, both; dashes, step shapes (``hv``/``vh``), fills
  (``tozeroy``, ``tonexty``, ``toself``) and stack groups;
- ``bar``: vertical and horizontal, ``barmode`` group, stack, relative and overlay, ``base``,
  one colour or one per bar;
- ``heatmap``: named or explicit colour scales, ``zmin``/``zmax``, colour-bar title;
- subplots (axis domains from :func:`plotly.subplots.make_subplots`) and secondary y axes;
- figure and axis titles, log and reversed axes, fixed ranges, legends, line/rectangle shapes
  (``add_hline``, ``add_vline``, ``add_vrect`` ...) and text annotations.

Anything else raises :class:`StaticRenderError` naming the trace type and what is supported, rather
than silently drawing an incomplete chart. Interactive parts (hover, range sliders, buttons) are left
out. Times are drawn on the wall clock of their zone.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, to_rgba
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

__all__ = ["SUPPORTED_TRACES", "StaticRenderError", "figure_to_png"]

SUPPORTED_TRACES = ("scatter", "scattergl", "bar", "heatmap")
"""Trace types :func:`figure_to_png` can draw."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_DPI = 100  # 1 plotly px = 1 PNG px at scale 1
_DASHES = {"solid": "-", "dot": ":", "dash": "--", "dashdot": "-.", "longdash": (0, (8, 3)),
           "longdashdot": (0, (8, 3, 2, 3))}
_SYMBOLS = {"circle": "o", "square": "s", "diamond": "D", "cross": "P", "x": "X", "triangle-up": "^",
            "triangle-down": "v", "star": "*", "line-ns": "|", "line-ew": "_"}
_DEFAULT_MARGIN = {"l": 80, "r": 80, "t": 100, "b": 80}


class StaticRenderError(ValueError):
    """A figure uses something the static renderer can not draw (names it and what is supported)."""


# ---- small readers --------------------------------------------------------------------------------


def _layout_value(fig: go.Figure, *path: str) -> Any:
    """A layout property, falling back to the figure's template (plotly fills these in only in JS)."""
    for source in (fig.layout, fig.layout.template.layout if fig.layout.template else None):
        node: Any = source
        for key in path:
            if node is None:
                break
            try:
                node = node[key]
            except (KeyError, TypeError, ValueError):
                node = None
        if node is not None:
            return node
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    text = re.sub(r"<br\s*/?>", "\n", str(value), flags=re.IGNORECASE)
    return re.sub(r"<[^>]+>", "", text)


def _colour(value: Any, default: Any = None) -> Any:
    """A plotly colour string (hex, name, rgb(), rgba()) as a matplotlib RGBA tuple."""
    if value is None:
        return default
    if isinstance(value, str):
        match = re.fullmatch(r"\s*rgba?\(([^)]*)\)\s*", value)
        if match:
            parts = [float(p) for p in match.group(1).split(",")]
            alpha = parts[3] if len(parts) > 3 else 1.0
            return (parts[0] / 255, parts[1] / 255, parts[2] / 255, alpha)
        try:
            return to_rgba(value)
        except ValueError as exc:
            raise StaticRenderError(f"colour {value!r} is not a colour matplotlib or plotly knows") from exc
    return value


def _colours(value: Any, n: int, default: Any) -> Any:
    """One colour, or one per point when plotly was given a list."""
    if value is None:
        return default
    if isinstance(value, str):
        return _colour(value)
    values = list(value)
    if values and all(isinstance(v, str) for v in values):
        return [_colour(v) for v in values]
    return default  # numeric colour arrays are handled by the caller (colour scale)


def _is_dateish(value: Any) -> bool:
    return isinstance(value, datetime | date | pd.Timestamp | np.datetime64)


def _coords(values: Any, axis_type: str | None) -> tuple[str, np.ndarray]:
    """Classify and convert coordinates: ('num', floats), ('date', matplotlib date numbers) or
    ('cat', labels)."""
    if values is None:
        return "num", np.array([], dtype=float)
    array = np.asarray(values.to_numpy() if isinstance(values, pd.Index | pd.Series) else values)
    if array.dtype.kind == "M":
        return "date", mdates.date2num(array.astype("datetime64[ns]"))
    if array.dtype.kind in "biuf":
        return "num", array.astype(float)
    flat = [v for v in array.ravel().tolist() if v is not None]
    if flat and (all(_is_dateish(v) for v in flat) or axis_type == "date"):
        try:
            stamps = [pd.NaT if v is None else pd.Timestamp(v) for v in array.ravel().tolist()]
        except (TypeError, ValueError):
            stamps = None  # not dates after all: fall through to numbers or categories
        if stamps is not None:
            # Each time on the wall clock of its own zone (plotly has no zones either).
            wall = pd.DatetimeIndex([s.tz_localize(None) if s is not pd.NaT and s.tz is not None else s
                                     for s in stamps])
            return "date", mdates.date2num(wall.to_numpy(dtype="datetime64[ns]"))
    if flat and all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in flat):
        return "num", np.array([np.nan if v is None else v for v in array.ravel().tolist()], dtype=float)
    return "cat", np.array(["" if v is None else str(v) for v in array.ravel().tolist()], dtype=object)


def _floats(values: Any) -> np.ndarray:
    if values is None:
        return np.array([], dtype=float)
    return np.array([np.nan if v is None else v for v in np.asarray(values, dtype=object).ravel()],
                    dtype=float)


# ---- axes -----------------------------------------------------------------------------------------


class _Panel:
    """One matplotlib axes for a plotly (xaxis, yaxis) pair, with its category maps."""

    def __init__(self, ax: Any, xname: str, yname: str) -> None:
        self.ax = ax
        self.xname, self.yname = xname, yname
        self.categories: dict[str, dict[str, int]] = {"x": {}, "y": {}}
        self.kinds: dict[str, str] = {}

    def position(self, axis: str, kind: str, values: np.ndarray) -> np.ndarray:
        self.kinds.setdefault(axis, kind)
        if kind != "cat":
            return values
        mapping = self.categories[axis]
        for label in values:
            mapping.setdefault(label, len(mapping))
        return np.array([mapping[label] for label in values], dtype=float)


def _axis_layout(fig: go.Figure, name: str) -> Any:
    """'x' -> layout.xaxis, 'y3' -> layout.yaxis3."""
    key = f"{name[0]}axis{name[1:]}"
    return fig.layout[key] if key in fig.layout else None


def _domain(fig: go.Figure, name: str) -> tuple[float, float]:
    axis = _axis_layout(fig, name)
    if axis is not None and axis.domain is not None:
        return float(axis.domain[0]), float(axis.domain[1])
    return 0.0, 1.0


def _plot_area(fig: go.Figure, width: int, height: int, legend: bool) -> tuple[float, float, float, float]:
    margin = {k: _layout_value(fig, "margin", k) for k in "lrtb"}
    px = {k: float(v) if v is not None else _DEFAULT_MARGIN[k] for k, v in margin.items()}
    if legend:
        px["r"] = max(px["r"], 0.22 * width)  # room for the legend at the right, as plotly does
    # Margins never take more than half the image (plotly also shrinks them on small figures).
    across = min(1.0, 0.5 * width / (px["l"] + px["r"]))
    down = min(1.0, 0.5 * height / (px["t"] + px["b"]))
    left, right = across * px["l"] / width, 1.0 - across * px["r"] / width
    bottom, top = down * px["b"] / height, 1.0 - down * px["t"] / height
    return left, bottom, right - left, top - bottom


# ---- traces ---------------------------------------------------------------------------------------


def _scatter(panel: _Panel, trace: Any, colour: Any, fig: go.Figure, stacks: dict, previous: dict) -> None:
    ax = panel.ax
    xkind, x = _coords(trace.x, _axis_type(fig, panel.xname))
    ykind, y = _coords(trace.y, _axis_type(fig, panel.yname))
    if trace.x is None:  # plotly's implicit 0..n-1
        xkind, x = "num", np.arange(len(y), dtype=float)
    x = panel.position("x", xkind, x)
    y = panel.position("y", ykind, y)
    line = trace.line
    colour = _colour(line.color if line and line.color else (trace.marker.color if isinstance(
        trace.marker.color, str) else None), colour)
    label = _label(trace)
    group = trace.stackgroup
    if group:
        key = (id(ax), group)
        lower = stacks.get(key, np.zeros_like(y))
        upper = lower + np.nan_to_num(y)
        stacks[key] = upper
        fill = _colour(trace.fillcolor, colour)
        ax.fill_between(x, lower, upper, color=fill, alpha=0.55 if trace.fillcolor is None else None,
                        linewidth=0, label=label, step=_step(line.shape if line else None))
        ax.plot(x, upper, color=colour, linewidth=0.8, drawstyle=_drawstyle(line.shape if line else None))
        previous[id(ax)] = upper
        return
    mode = trace.mode or ("lines+markers" if len(y) < 20 else "lines")
    width = (line.width if line and line.width is not None else 2.0) * 0.75
    dash = _DASHES.get(line.dash, "-") if line and line.dash else "-"
    fill = trace.fill
    if fill in ("tozeroy", "tonexty", "tozerox", "tonextx", "toself"):
        fill_colour = _colour(trace.fillcolor, colour)
        alpha = 0.3 if trace.fillcolor is None else None
        if fill == "toself":
            ax.fill(x, y, color=fill_colour, alpha=alpha, linewidth=0)
        elif fill in ("tozerox", "tonextx"):
            ax.fill_betweenx(y, 0, x, color=fill_colour, alpha=alpha, linewidth=0)
        else:
            lower = previous.get(id(ax)) if fill == "tonexty" else None
            if lower is None or len(lower) != len(y):
                lower = np.zeros_like(y)
            ax.fill_between(x, lower, y, color=fill_colour, alpha=alpha, linewidth=0,
                            step=_step(line.shape if line else None))
    elif fill not in (None, "none"):
        raise StaticRenderError(f"scatter fill={fill!r} is not supported; use tozeroy, tonexty or toself")
    drew_label = False
    if "lines" in mode:
        ax.plot(x, y, color=colour, linewidth=width, linestyle=dash, label=label,
                drawstyle=_drawstyle(line.shape if line else None))
        drew_label = True
    if "markers" in mode:
        marker = trace.marker
        # plotly sizes are diameters in px; matplotlib wants areas in pt².
        size = 6.0 if marker.size is None else marker.size
        sizes = (_floats(size) if not isinstance(size, int | float) else np.array([size], float)) * 0.75
        kwargs: dict[str, Any] = {}
        marker_colour: Any = _colours(marker.color, len(x), colour)
        if isinstance(marker_colour, tuple):
            marker_colour = [marker_colour]
        if marker.color is not None and not isinstance(marker.color, str) and \
                not any(isinstance(c, str) for c in marker.color):
            marker_colour = _floats(marker.color)  # numbers on a colour scale
            kwargs["cmap"] = _colourmap(marker.colorscale)
        ax.scatter(x, y, s=sizes**2, c=marker_colour, marker=_SYMBOLS.get(str(marker.symbol), "o"),
                   label=None if drew_label else label, zorder=3, **kwargs)
    previous[id(ax)] = y


def _bars(panel: _Panel, traces: list[tuple[Any, Any]], barmode: str, fig: go.Figure) -> None:
    ax = panel.ax
    n = len(traces)
    positive: dict[float, float] = {}
    negative: dict[float, float] = {}
    for i, (trace, colour) in enumerate(traces):
        horizontal = trace.orientation == "h"
        cat_axis, val_axis = ("y", "x") if horizontal else ("x", "y")
        cat_values, values = (trace.y, trace.x) if horizontal else (trace.x, trace.y)
        values = _floats(values)
        if cat_values is None:
            kind, pos = "num", np.arange(len(values), dtype=float)
        else:
            kind, pos = _coords(cat_values, _axis_type(fig, panel.yname if horizontal else panel.xname))
        pos = panel.position(cat_axis, kind, pos)
        panel.kinds.setdefault(val_axis, "num")
        step = np.min(np.diff(np.unique(pos))) if len(np.unique(pos)) > 1 else 1.0
        full = 0.8 * step
        width, offset = full, 0.0
        if barmode == "group" and n > 1:
            width = full / n
            offset = -full / 2 + width * (i + 0.5)
        base = np.zeros_like(values)
        if trace.base is not None:
            base = np.broadcast_to(_floats(trace.base) if not isinstance(trace.base, int | float)
                                   else np.array([float(trace.base)]), values.shape).astype(float)
        if barmode in ("stack", "relative"):
            keys = pos.tolist()
            up = np.array([positive.get(k, 0.0) for k in keys])
            down = np.array([negative.get(k, 0.0) for k in keys])
            clean = np.nan_to_num(values)
            base = np.where(clean >= 0, up, down) if barmode == "relative" else up + down
            for k, v, b in zip(keys, clean, base, strict=True):
                if barmode == "relative" and v < 0:
                    negative[k] = b + v
                else:
                    positive[k] = b + v
        bar_colour = _colours(trace.marker.color if trace.marker else None, len(values), colour)
        label = _label(trace)
        if horizontal:
            ax.barh(pos + offset, values, height=width, left=base, color=bar_colour, label=label)
        else:
            ax.bar(pos + offset, values, width=width, bottom=base, color=bar_colour, label=label)


def _heatmap(panel: _Panel, trace: Any, fig: go.Figure, mpl_fig: Figure) -> None:
    ax = panel.ax
    ax.grid(False)
    z = np.array([[np.nan if v is None else v for v in row] for row in trace.z], dtype=float)
    if z.ndim != 2:
        raise StaticRenderError(f"heatmap z must be 2-D, got shape {z.shape}")
    cmap = _colourmap(trace.colorscale, bool(trace.reversescale))
    image = ax.imshow(z, origin="lower", aspect="auto", cmap=cmap, interpolation="nearest",
                      vmin=trace.zmin, vmax=trace.zmax)
    for axis, values, count in (("x", trace.x, z.shape[1]), ("y", trace.y, z.shape[0])):
        labels = [_tick(v) for v in values] if values is not None else [str(i) for i in range(count)]
        every = max(1, int(np.ceil(count / 12)))  # at most about 12 labels per axis
        ticks = np.arange(0, count, every)
        if axis == "x":
            ax.set_xticks(ticks, [labels[t] for t in ticks], rotation=30 if count > 6 else 0)
        else:
            ax.set_yticks(ticks, [labels[t] for t in ticks])
        panel.kinds[axis] = "heat"
    bar = mpl_fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
    title = trace.colorbar.title.text if trace.colorbar and trace.colorbar.title else None
    if title:
        bar.set_label(_text(title))


def _tick(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:g}"
    if _is_dateish(value):
        return str(pd.Timestamp(value))
    return str(value)


def _colourmap(scale: Any, reverse: bool = False) -> Any:
    if scale is None:
        cmap = mpl.colormaps["viridis"]
    elif isinstance(scale, str):
        name = scale.lower()
        reverse ^= name.endswith("_r")
        name = name.removesuffix("_r")
        known = {n.lower(): n for n in mpl.colormaps}
        cmap = mpl.colormaps[known[name]] if name in known else mpl.colormaps["viridis"]
    else:
        stops = [(float(s), _colour(c)) for s, c in scale]
        cmap = LinearSegmentedColormap.from_list("plotly", stops)
    return cmap.reversed() if reverse else cmap


def _drawstyle(shape: str | None) -> str:
    return {"hv": "steps-post", "vh": "steps-pre", "hvh": "steps-mid"}.get(shape or "", "default")


def _step(shape: str | None) -> str | None:
    return {"hv": "post", "vh": "pre", "hvh": "mid"}.get(shape or "")


def _label(trace: Any) -> str | None:
    if trace.showlegend is False or not trace.name:
        return None
    return _text(trace.name)


def _axis_type(fig: go.Figure, name: str) -> str | None:
    axis = _axis_layout(fig, name)
    return axis.type if axis is not None else None


# ---- the figure -----------------------------------------------------------------------------------


def _style_axis(panel: _Panel, fig: go.Figure, which: str) -> None:
    ax = panel.ax
    name = panel.xname if which == "x" else panel.yname
    layout = _axis_layout(fig, name)
    setter = ax.set_xlabel if which == "x" else ax.set_ylabel
    title = layout.title.text if layout is not None and layout.title else None
    if title:
        setter(_text(title))
    mapping = panel.categories[which]
    if mapping and panel.kinds.get(which) == "cat":
        ticks = list(mapping.values())
        labels = list(mapping.keys())
        if which == "x":
            ax.set_xticks(ticks, labels, rotation=30 if len(labels) > 6 else 0,
                          ha="right" if len(labels) > 6 else "center")
        else:
            ax.set_yticks(ticks, labels)
    if panel.kinds.get(which) == "date":
        axis = ax.xaxis if which == "x" else ax.yaxis
        locator = mdates.AutoDateLocator(maxticks=8)
        axis.set_major_locator(locator)
        axis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if layout is None:
        return
    if layout.type == "log":
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    if layout.range is not None and None not in tuple(layout.range):
        kind, limits = _coords(list(layout.range), layout.type)
        if kind != "cat":
            (ax.set_xlim if which == "x" else ax.set_ylim)(*limits)
    elif layout.rangemode == "tozero":
        low, high = ax.get_xlim() if which == "x" else ax.get_ylim()
        (ax.set_xlim if which == "x" else ax.set_ylim)(min(low, 0.0), max(high, 0.0))
    if layout.autorange == "reversed":
        (ax.invert_xaxis if which == "x" else ax.invert_yaxis)()
    if layout.visible is False:
        (ax.xaxis if which == "x" else ax.yaxis).set_visible(False)
    if layout.showgrid is False:
        ax.grid(False, axis=which)


def _shapes_and_annotations(fig: go.Figure, mpl_fig: Figure, panels: dict[tuple[str, str], _Panel],
                            area: tuple[float, float, float, float]) -> None:
    left, bottom, width, height = area
    first = next(iter(panels.values()))

    def panel_for(xref: str, yref: str) -> _Panel:
        xname = xref.split(" ")[0] if xref and xref != "paper" else None
        yname = yref.split(" ")[0] if yref and yref != "paper" else None
        for (px, py), panel in panels.items():
            if (xname is None or px == xname) and (yname is None or py == yname):
                return panel
        return first

    def transform(panel: _Panel, xref: str, yref: str) -> Any:
        xt = panel.ax.transAxes if (xref or "").endswith("domain") else panel.ax.transData
        yt = panel.ax.transAxes if (yref or "").endswith("domain") else panel.ax.transData
        return blended_transform_factory(xt, yt)

    def coord(value: Any, panel: _Panel, axis: str) -> float:
        if isinstance(value, int | float | np.number):
            return float(value)
        mapping = panel.categories[axis]
        if str(value) in mapping:
            return float(mapping[str(value)])
        return float(_coords([value], "date")[1][0])

    for shape in fig.layout.shapes or ():
        if shape.type not in ("line", "rect"):
            raise StaticRenderError(f"shape type {shape.type!r} is not supported; use line or rect")
        xref, yref = shape.xref or "x", shape.yref or "y"
        if xref == "paper" and yref == "paper":
            raise StaticRenderError("shapes placed on the paper are not supported; anchor them to an axis")
        panel = panel_for(xref, yref)
        if xref == "paper":
            xref = "x domain"
        if yref == "paper":
            yref = "y domain"
        x0, x1 = coord(shape.x0, panel, "x"), coord(shape.x1, panel, "x")
        y0, y1 = coord(shape.y0, panel, "y"), coord(shape.y1, panel, "y")
        colour = _colour(shape.line.color if shape.line else None, "#444444")
        dash = _DASHES.get(shape.line.dash, "-") if shape.line and shape.line.dash else "-"
        lw = (shape.line.width if shape.line and shape.line.width is not None else 2.0) * 0.75
        tr = transform(panel, xref, yref)
        if shape.type == "line":
            panel.ax.plot([x0, x1], [y0, y1], transform=tr, color=colour, linestyle=dash, linewidth=lw)
        else:
            fill = _colour(shape.fillcolor, (0.5, 0.5, 0.5, 0.2))
            alpha = shape.opacity if shape.opacity is not None else None
            panel.ax.add_patch(mpl.patches.Rectangle((x0, y0), x1 - x0, y1 - y0, transform=tr, facecolor=fill,
                                                     alpha=alpha, edgecolor=colour if shape.line and
                                                     shape.line.width else "none", linewidth=lw))
    for note in fig.layout.annotations or ():
        text = _text(note.text)
        if not text:
            continue
        xref, yref = note.xref or "x", note.yref or "y"
        ha = {"left": "left", "right": "right"}.get(note.xanchor or "", "center")
        va = {"top": "top", "bottom": "bottom"}.get(note.yanchor or "", "center")
        size = note.font.size * 0.75 if note.font and note.font.size else 9
        if xref == "paper" and yref == "paper":
            mpl_fig.text(left + float(note.x) * width, bottom + float(note.y) * height, text, ha=ha, va=va,
                         fontsize=size)
            continue
        panel = panel_for(xref, yref)
        x = float(note.x) if xref in ("paper",) else coord(note.x, panel, "x")
        y = float(note.y) if yref in ("paper",) else coord(note.y, panel, "y")
        xref = "x domain" if xref == "paper" else xref
        yref = "y domain" if yref == "paper" else yref
        panel.ax.text(x, y, text, transform=transform(panel, xref, yref), ha=ha, va=va, fontsize=size)


def figure_to_png(fig: go.Figure, path: str | Path | None = None, width: int = 1000,
                  height: int = 600) -> bytes:
    """Draw a plotly figure with matplotlib and return (and optionally write) a PNG.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure (traces of :data:`SUPPORTED_TRACES`).
    path : str or pathlib.Path, optional
        Where to write the PNG as well.
    width, height : int
        Image size in pixels (as plotly's ``width``/``height``), 200 to 6000.

    Returns
    -------
    bytes
        The PNG file.

    Raises
    ------
    StaticRenderError
        For a trace type, fill or shape the renderer does not draw, or a size out of range.

    Examples
    --------
    >>> png = figure_to_png(go.Figure(go.Bar(x=["a", "b"], y=[1, 2])), width=300, height=200)
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    if not isinstance(fig, go.Figure):
        raise StaticRenderError(f"fig must be a plotly.graph_objects.Figure, got {type(fig).__name__}")
    for name, value in (("width", width), ("height", height)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 200 <= value <= 6000:
            raise StaticRenderError(f"{name}={value!r}; allowed: an integer number of pixels from 200 "
                                    "to 6000")
    unsupported = sorted({t.type for t in fig.data if t.type not in SUPPORTED_TRACES})
    if unsupported:
        raise StaticRenderError(f"trace type {unsupported} can not be rendered offline; supported: "
                                f"{list(SUPPORTED_TRACES)}")
    visible = [t for t in fig.data if t.visible is not False and t.visible != "legendonly"]
    show_legend = _layout_value(fig, "showlegend")
    labelled = [t for t in visible if _label(t)]
    legend = bool(labelled) and show_legend is not False and (len(labelled) > 1 or show_legend is True)

    mpl_fig = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI)
    FigureCanvasAgg(mpl_fig)
    area = _plot_area(fig, width, height, legend)
    left, bottom, w, h = area
    colourway = _layout_value(fig, "colorway") or mpl.rcParams["axes.prop_cycle"].by_key()["color"]

    pairs = [(t.xaxis or "x", t.yaxis or "y") for t in visible] or [("x", "y")]
    panels: dict[tuple[str, str], _Panel] = {}
    for xname, yname in dict.fromkeys(pairs):
        yaxis = _axis_layout(fig, yname)
        overlay = yaxis.overlaying if yaxis is not None else None
        host = next((p for (px, py), p in panels.items() if py == overlay and px == xname), None)
        if overlay and host is None:
            host_panel_key = (xname, overlay)
            (x0, x1), (y0, y1) = _domain(fig, xname), _domain(fig, overlay)
            panels[host_panel_key] = host = _Panel(mpl_fig.add_axes((left + x0 * w, bottom + y0 * h,
                                                                     (x1 - x0) * w, (y1 - y0) * h)),
                                                   xname, overlay)
        if host is not None:
            twin = host.ax.twinx()
            twin.grid(False)
            panels[(xname, yname)] = _Panel(twin, xname, yname)
            continue
        (x0, x1), (y0, y1) = _domain(fig, xname), _domain(fig, yname)
        ax = mpl_fig.add_axes((left + x0 * w, bottom + y0 * h, (x1 - x0) * w, (y1 - y0) * h))
        ax.grid(True, color="#e5e5e5", linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        panels[(xname, yname)] = _Panel(ax, xname, yname)

    barmode = _layout_value(fig, "barmode") or "group"
    stacks: dict = {}
    previous: dict = {}
    bars: dict[tuple[str, str], list] = {}
    for i, trace in enumerate(visible):
        colour = _colour(colourway[i % len(colourway)])
        panel = panels[(trace.xaxis or "x", trace.yaxis or "y")]
        if trace.type in ("scatter", "scattergl"):
            _scatter(panel, trace, colour, fig, stacks, previous)
        elif trace.type == "bar":
            bars.setdefault((panel.xname, panel.yname), []).append((trace, colour))
        else:
            _heatmap(panel, trace, fig, mpl_fig)
    for key, traces in bars.items():
        _bars(panels[key], traces, barmode, fig)
    for panel in panels.values():
        _style_axis(panel, fig, "x")
        _style_axis(panel, fig, "y")
    _shapes_and_annotations(fig, mpl_fig, panels, area)

    title = _layout_value(fig, "title", "text")
    if title:
        mpl_fig.suptitle(_text(title), x=left, y=1.0 - 0.25 * (1.0 - bottom - h), ha="left", va="center",
                         fontsize=13)
    if legend:
        handles, labels = [], []
        for panel in panels.values():
            for handle, label in zip(*panel.ax.get_legend_handles_labels(), strict=True):
                if label not in labels:
                    handles.append(handle)
                    labels.append(label)
        mpl_fig.legend(handles, labels, loc="center left", bbox_to_anchor=(left + w + 0.01, bottom + h / 2),
                       frameon=False, fontsize=9)
    buffer = io.BytesIO()
    mpl_fig.savefig(buffer, format="png", dpi=_DPI)
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data
