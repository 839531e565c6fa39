"""Figures of a tariff benchmark: rankings, fairness against cost, sensitivity, surrogate quality,
price profiles and per-building costs.

Each function takes the benchmark's own tables (see :mod:`gridshare.benchmark`) and returns a plotly
figure in the house style of :mod:`gridshare.report.figures.common`; the trace values are the table
values, unchanged. Costs are in ``currency`` (default EUR), prices in currency/kWh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gridshare.report.figures.common import (
    TARIFF_COLOURS,
    axis_title,
    bar_chart,
    heatmap,
    member_colour,
    new_figure,
    scatter,
    tariff_colour,
)

__all__ = [
    "building_costs",
    "fairness_vs_cost",
    "learning_curve",
    "predicted_vs_actual",
    "price_profiles",
    "ranking_bar",
    "sensitivity_heatmap",
    "tornado",
]

METRIC_LABELS: dict[str, tuple[str, str | None]] = {
    "community_cost": ("Community cost", "currency"),
    "cost_cv": ("Cost CV", None),
    "cost_gini": ("Cost Gini", None),
    "savings_cv": ("Savings CV", None),
    "savings_gini": ("Savings Gini", None),
    "self_sufficiency": ("Self-sufficiency", None),
    "p2p_benefit": ("P2P benefit", "currency"),
    "p2p_traded_kwh": ("P2P traded energy", "kWh"),
    "import_kwh": ("Grid import", "kWh"),
    "export_kwh": ("Grid export", "kWh"),
    "solve_time_s": ("Solve time", "s"),
    "score": ("Score", None),
    "r2_test": ("Held-out R²", None),
    "mae_test": ("Held-out MAE", "target unit"),
}


def metric_title(metric: str, currency: str = "EUR") -> str:
    """Axis title of a metric with its unit, e.g. ``"Community cost (EUR)"``.

    Examples
    --------
    >>> metric_title("p2p_traded_kwh")
    'P2P traded energy (kWh)'
    """
    name, unit = METRIC_LABELS.get(metric, (metric.replace("_", " ").capitalize(), None))
    return axis_title(name, currency if unit == "currency" else unit)


def _need(table: pd.DataFrame, name: str, columns: Sequence[str]) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(table).__name__}")
    frame = table.reset_index() if table.index.name in columns else table
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} has no column {missing} (columns: {list(frame.columns)})")
    if frame.empty:
        raise ValueError(f"{name} has no rows")
    return frame


def _tariffs(scenarios: pd.DataFrame | None, ids: pd.Series) -> pd.Series | None:
    if scenarios is None or "tariff" not in scenarios.columns:
        return None
    table = scenarios.set_index("scenario_id") if "scenario_id" in scenarios.columns else scenarios
    return table["tariff"].reindex(ids.to_numpy()).astype(str).str.lower().reset_index(drop=True)


def _room_for_labels(fig: go.Figure, labels: Sequence[str]) -> None:
    # Category labels on the y axis need a left margin as wide as the longest one (about 7 px a
    # character at the house font size), or they are cut off.
    longest = max((len(str(label)) for label in labels), default=0)
    fig.update_layout(margin={"l": max(70, 30 + 7 * longest)})


def ranking_bar(rankings: pd.DataFrame, metric: str = "score", top: int | None = 20,
                scenarios: pd.DataFrame | None = None, currency: str = "EUR") -> go.Figure:
    """Horizontal bars of ``metric`` for the best-ranked scenarios, best at the top.

    Parameters
    ----------
    rankings : pandas.DataFrame
        Columns ``scenario_id``, ``rank`` (1 = best) and ``metric``.
    metric : str
        Column to draw.
    top : int, optional
        Show only the ``top`` best ranks (all when None).
    scenarios : pandas.DataFrame, optional
        Scenarios table; when given, each bar takes its tariff's colour.
    """
    frame = _need(rankings, "rankings", ["scenario_id", "rank", metric]).sort_values("rank", kind="stable")
    if top is not None:
        frame = frame.head(int(top))
    frame = frame.reset_index(drop=True)
    tariffs = _tariffs(scenarios, frame["scenario_id"])
    colours = None if tariffs is None else [tariff_colour(t) for t in tariffs]
    labels = frame["scenario_id"].astype(str).to_numpy()
    title = metric_title(metric, currency)
    fig = bar_chart(labels, frame[metric].to_numpy(dtype=float), f"Ranking by {title}", title, "Scenario",
                    horizontal=True, colours=colours)
    fig.update_yaxes(autorange="reversed")  # rank 1 at the top
    _room_for_labels(fig, labels)
    return fig


def fairness_vs_cost(results: pd.DataFrame, scenarios: pd.DataFrame | None = None,
                     fairness: str = "savings_gini", cost: str = "community_cost",
                     currency: str = "EUR") -> go.Figure:
    """Scatter of fairness against community cost, one colour per tariff; failed scenarios left out.

    Parameters
    ----------
    results : pandas.DataFrame
        Columns ``scenario_id``, ``cost`` and ``fairness`` (and ``status``: only ``"ok"`` rows drawn).
    scenarios : pandas.DataFrame, optional
        Gives each point its tariff (colour and legend group).
    """
    frame = _need(results, "results", ["scenario_id", cost, fairness])
    if "status" in frame.columns:
        frame = frame[frame["status"] == "ok"]
    frame = frame.reset_index(drop=True)
    tariffs = _tariffs(scenarios, frame["scenario_id"])
    return scatter(frame[cost].to_numpy(float), frame[fairness].to_numpy(float),
                   f"{metric_title(fairness)} against {METRIC_LABELS.get(cost, (cost,))[0].lower()}",
                   metric_title(cost, currency), metric_title(fairness),
                   groups=None if tariffs is None else tariffs.to_numpy(), colours=TARIFF_COLOURS,
                   text=frame["scenario_id"].astype(str).to_numpy())


def tornado(tornado_table: pd.DataFrame, metric: str | None = None, currency: str = "EUR") -> go.Figure:
    """Tornado chart: for each parameter, the change of the metric from its base value when the
    parameter goes to its low and high value; widest swing on top.

    Parameters
    ----------
    tornado_table : pandas.DataFrame
        Columns ``parameter``, ``low_value``, ``high_value``, ``metric_low``, ``metric_high``,
        ``base_metric``, ``swing`` (and ``metric`` when it holds several metrics: then name one).
    metric : str, optional
        Metric name for the axis title (and to pick rows when the table has a ``metric`` column).

    Returns
    -------
    plotly.graph_objects.Figure
        Two overlaid horizontal bar traces ("parameter low", "parameter high") whose ``x`` is the
        change ``metric_low - base_metric`` / ``metric_high - base_metric``.
    """
    frame = _need(tornado_table, "tornado_table", ["parameter", "low_value", "high_value", "metric_low",
                                                   "metric_high", "base_metric", "swing"])
    if "metric" in frame.columns:
        names = list(pd.unique(frame["metric"]))
        if metric is None and len(names) > 1:
            raise ValueError(f"tornado_table holds metrics {names}; name one with metric=")
        metric = metric or names[0]
        frame = frame[frame["metric"] == metric]
        if frame.empty:
            raise ValueError(f"tornado_table has no rows for metric={metric!r} (metrics: {names})")
    frame = frame.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    label = metric_title(metric, currency) if metric else "Metric"
    fig = new_figure(f"Sensitivity of {label}", f"Change from base value: {label}", "Parameter")
    params = frame["parameter"].astype(str).to_numpy()
    base = frame["base_metric"].to_numpy(float)
    for i, (side, column, value) in enumerate((("low", "metric_low", "low_value"),
                                               ("high", "metric_high", "high_value"))):
        fig.add_trace(go.Bar(y=params, x=frame[column].to_numpy(float) - base,
                             orientation="h", name=f"parameter {side}", marker={"color": member_colour(i)},
                             customdata=frame[value].to_numpy(), hovertemplate=f"{side}: %{{customdata}}"))
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(autorange="reversed")
    _room_for_labels(fig, params)
    return fig


def sensitivity_heatmap(grid_table: pd.DataFrame, x: str, y: str, metric: str,
                        currency: str = "EUR") -> go.Figure:
    """Heatmap of ``metric`` over a two-parameter grid (mean over repeated cells, e.g. seeds).

    Examples
    --------
    >>> grid = pd.DataFrame({"a": [1, 2, 1, 2], "b": [0, 0, 1, 1], "cost": [1.0, 2.0, 3.0, 4.0]})
    >>> sensitivity_heatmap(grid, "a", "b", "cost").data[0].z.tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """
    frame = _need(grid_table, "grid_table", [x, y, metric])
    pivot = frame.pivot_table(index=y, columns=x, values=metric, aggfunc="mean", sort=True)
    return heatmap(pivot.columns.to_numpy(), pivot.index.to_numpy(), pivot.to_numpy(float),
                   f"{metric_title(metric, currency)} over {x} and {y}", x, y, metric_title(metric, currency))


def learning_curve(lc: pd.DataFrame, metric: str = "r2_test") -> go.Figure:
    """Held-out score against the number of training scenarios, one line per target."""
    frame = _need(lc, "learning curve", ["target", "n_train", metric])
    fig = new_figure(f"Surrogate learning curve: {metric_title(metric)}", "Training scenarios",
                     metric_title(metric))
    for i, (target, rows) in enumerate(frame.groupby("target", sort=False)):
        rows = rows.sort_values("n_train")
        fig.add_trace(go.Scatter(x=rows["n_train"].to_numpy(), y=rows[metric].to_numpy(float),
                                 mode="lines+markers", name=str(target), line={"color": member_colour(i)},
                                 marker={"color": member_colour(i)}))
    return fig


def predicted_vs_actual(y_true: Any, y_pred: Any, target: str = "community_cost",
                        currency: str = "EUR") -> go.Figure:
    """Surrogate prediction against the optimised value, with the identity line; R² in the title."""
    true = np.asarray(y_true, dtype=float).ravel()
    pred = np.asarray(y_pred, dtype=float).ravel()
    if true.shape != pred.shape or true.size == 0:
        raise ValueError(f"y_true has {true.size} values and y_pred {pred.size}; give the same non-zero "
                         "number of each")
    total = float(np.sum((true - true.mean()) ** 2))
    r2 = 1.0 - float(np.sum((true - pred) ** 2)) / total if total else float("nan")
    label = metric_title(target, currency)
    fig = new_figure(f"Surrogate against optimisation: {label}, R² = {r2:.3f}", f"Optimised {label}",
                     f"Predicted {label}")
    fig.add_trace(go.Scatter(x=true, y=pred, mode="markers", name="scenarios",
                             marker={"color": member_colour(0), "size": 7}))
    low, high = float(min(true.min(), pred.min())), float(max(true.max(), pred.max()))
    fig.add_trace(go.Scatter(x=[low, high], y=[low, high], mode="lines", name="identity",
                             line={"color": "#444444", "dash": "dash"}))
    return fig


def price_profiles(time: pd.DatetimeIndex, prices: Mapping[str, np.ndarray], scenarios: pd.DataFrame,
                   ids: Sequence[Any], key: str = "import_price", currency: str = "EUR") -> go.Figure:
    """Price profile of each chosen scenario over the day (wall-clock time), coloured by tariff.

    Parameters
    ----------
    time : pandas.DatetimeIndex
        Step starts (``n_steps``).
    prices : dict of str to numpy.ndarray
        ``(n_scenarios, n_steps)`` arrays, rows aligned with ``scenarios``.
    scenarios : pandas.DataFrame
        Scenarios table (``scenario_id`` index or column; ``tariff`` optional, for colours).
    ids : sequence
        Scenario ids to draw.
    key : str
        Which price array to draw.
    """
    if key not in prices:
        raise ValueError(f"prices has no {key!r} (keys: {sorted(prices)})")
    array = np.asarray(prices[key], dtype=float)
    table = scenarios.set_index("scenario_id") if "scenario_id" in scenarios.columns else scenarios
    if array.shape != (len(table), len(time)):
        raise ValueError(f"prices[{key!r}] has shape {array.shape}; expected ({len(table)}, {len(time)})")
    position = pd.Index(table.index).get_indexer(list(ids))
    if (position < 0).any():
        unknown = [i for i, p in zip(ids, position, strict=True) if p < 0]
        raise ValueError(f"ids {unknown} are not in the scenarios table")
    x = time.tz_localize(None) if time.tz is not None else time
    name = key.replace("_", " ").capitalize()
    fig = new_figure(f"{name} profiles", "Time", axis_title(name, f"{currency}/kWh"))
    tariffs = (table["tariff"].astype(str).iloc[position].tolist() if "tariff" in table.columns
               else [""] * len(position))
    # Tariff colours only tell scenarios apart when their tariffs differ.
    by_tariff = len(set(tariffs)) == len(tariffs) > 1
    for i, (sid, row, tariff) in enumerate(zip(ids, position, tariffs, strict=True)):
        colour = tariff_colour(tariff) if by_tariff else member_colour(i)
        fig.add_trace(go.Scatter(x=x, y=array[row], mode="lines", name=f"{sid} ({tariff})" if tariff else
                                 str(sid), line={"color": colour, "shape": "hv"}))
    return fig


def building_costs(buildings: pd.DataFrame, scenario_id: Any, currency: str = "EUR") -> go.Figure:
    """Each building's cost with the community against its baseline cost, for one scenario."""
    frame = _need(buildings, "buildings", ["scenario_id", "building", "cost", "cost_baseline"])
    rows = frame[frame["scenario_id"] == scenario_id]
    if rows.empty:
        known = list(pd.unique(frame["scenario_id"]))[:10]
        raise ValueError(f"buildings has no rows for scenario_id={scenario_id!r} (e.g. {known})")
    return bar_chart(rows["building"].astype(str).to_numpy(),
                     {"baseline": rows["cost_baseline"].to_numpy(float),
                      "with community": rows["cost"].to_numpy(float)},
                     f"Building costs in scenario {scenario_id}", "Building", axis_title("Cost", currency),
                     colours={"baseline": "#7f7f7f", "with community": member_colour(0)})
