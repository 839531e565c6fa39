"""Offline PNG rendering: signature, size, drawn colours, and clear errors for what it can not draw."""

from __future__ import annotations

import io
import struct

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from gridshare.report.figures import common
from gridshare.report.static import StaticRenderError, figure_to_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(png: bytes) -> tuple[int, int]:
    # PNG layout: 8-byte signature, then the IHDR chunk whose first fields are width and height.
    return struct.unpack(">II", png[16:24])


def pixels(png: bytes) -> np.ndarray:
    return mpimg.imread(io.BytesIO(png), format="png")[..., :3]


def share_of(image: np.ndarray, rgb: tuple[float, float, float], tol: float = 0.02) -> float:
    return float(np.mean(np.all(np.abs(image - np.array(rgb)) < tol, axis=-1)))


def test_signature_size_and_file(tmp_path):
    fig = common.bar_chart(["a", "b"], [1.0, 2.0], "Bars", "Scenario", "Cost (€)")
    png = figure_to_png(fig, tmp_path / "bars.png", width=640, height=480)
    assert png[:8] == PNG_SIGNATURE
    assert png_size(png) == (640, 480)
    assert (tmp_path / "bars.png").read_bytes() == png


def test_bar_is_drawn_in_its_colour():
    # One pure-red bar filling its category: a visible share of the image must be exactly red, and
    # a pure-green one in a second trace must appear too (no trace silently dropped).
    fig = go.Figure([go.Bar(x=["a"], y=[1.0], marker={"color": "#ff0000"}, name="r"),
                     go.Bar(x=["a"], y=[0.5], marker={"color": "rgb(0, 255, 0)"}, name="g")])
    image = pixels(figure_to_png(fig, width=400, height=300))
    assert share_of(image, (1, 0, 0)) > 0.02
    assert share_of(image, (0, 1, 0)) > 0.01


def test_stacked_bars_reach_the_sum():
    # Stacked 2 + 3 = 5 on a fixed 0..10 axis: the top of the stack is at half the plot height, so the
    # coloured column spans about half of the plot area's rows (both traces together).
    fig = common.stacked_bar(["a"], {"x": [2.0], "y": [3.0]}, "S", colours={"x": "#ff0000", "y": "#0000ff"})
    fig.update_layout(showlegend=False, margin={"l": 50, "r": 50, "t": 50, "b": 50})
    fig.update_yaxes(range=[0, 10])
    image = pixels(figure_to_png(fig, width=400, height=400))
    red_rows = np.flatnonzero(np.all(np.abs(image - [1, 0, 0]) < 0.02, axis=-1).any(axis=1))
    blue_rows = np.flatnonzero(np.all(np.abs(image - [0, 0, 1]) < 0.02, axis=-1).any(axis=1))
    plot_rows = 400 - 100  # the plot area is 300 px high
    assert len(red_rows) == pytest.approx(0.2 * plot_rows, abs=3)  # 2 of 10
    assert len(blue_rows) == pytest.approx(0.3 * plot_rows, abs=3)  # 3 of 10
    assert blue_rows.max() < red_rows.min()  # blue stacked above red (image rows grow downwards)


def test_every_helper_and_subplots_render():
    time = pd.date_range("2026-06-01", periods=96, freq="15min", tz="Europe/Berlin")
    figs = [
        common.timeseries(time, {"a": np.sin(np.arange(96) / 10)}, "T", "Price (EUR/kWh)"),
        common.line_chart([1, 2, 3], {"a": [1, 2, 3], "b": [3, 2, 1]}, "L", markers=True),
        common.bar_chart(["a", "b"], {"x": [1, 2], "y": [2, -1]}, "G", horizontal=True),
        common.scatter([1, 2], [3, 4], "S", groups=["tou", "cpp"], colours=common.TARIFF_COLOURS),
        common.heatmap([0.2, 0.4], ["a", "b"], [[1, 2], [3, 4]], "H"),
    ]
    sub = make_subplots(rows=2, cols=1, specs=[[{}], [{"secondary_y": True}]], subplot_titles=["A", "B"])
    sub.add_trace(go.Scatter(x=time, y=np.arange(96), stackgroup="g", name="s"), row=1, col=1)
    sub.add_trace(go.Bar(x=time, y=np.arange(96), name="b"), row=2, col=1)
    sub.add_trace(go.Scatter(x=time, y=-np.arange(96), name="y2", fill="tozeroy"), row=2, col=1,
                  secondary_y=True)
    sub.add_hline(y=10, row=1, col=1)
    sub.add_vrect(x0=time[10], x1=time[20], row=2, col=1)
    figs.append(sub)
    for fig in figs:
        assert figure_to_png(fig, width=500, height=350)[:8] == PNG_SIGNATURE


def test_unsupported_input_is_named():
    with pytest.raises(StaticRenderError, match=r"trace type \['pie'\].*supported"):
        figure_to_png(go.Figure(go.Pie(values=[1, 2])))
    with pytest.raises(StaticRenderError, match="width=50"):
        figure_to_png(go.Figure(), width=50)
    with pytest.raises(StaticRenderError, match=r"plotly\.graph_objects\.Figure"):
        figure_to_png({"data": []})
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1]))
    fig.add_shape(type="circle", x0=0, x1=1, y0=0, y1=1)
    with pytest.raises(StaticRenderError, match="shape type 'circle'"):
        figure_to_png(fig)
