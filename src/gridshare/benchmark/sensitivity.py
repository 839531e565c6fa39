"""Sensitivity of the benchmark metrics to scenario parameters: one at a time and on a grid.

A parameter is any :class:`~gridshare.benchmark.scenarios.Scenario` field (``export_ratio``,
``community_spread``, ``seed``, ``p2p``) or a parameter of the base scenario's tariff
(``tou_on``, ``cpp_critical`` ...). Variants are built with :meth:`Scenario.with_` and run with
:func:`~gridshare.benchmark.sweep.run_sweep` (keyword arguments pass through, so a store,
executor or workers can be given; the default here is ``executor="serial"``, no progress bar).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from gridshare.benchmark.community import BenchmarkCommunity
from gridshare.benchmark.evaluate import SUMMARY_COLUMNS
from gridshare.benchmark.scenarios import Scenario
from gridshare.benchmark.sweep import run_sweep

METRICS = ("status", *SUMMARY_COLUMNS)


def _run(scenarios: list[Scenario], community: BenchmarkCommunity | None,
         sweep_kwargs: dict[str, Any]) -> pd.DataFrame:
    kwargs = {"executor": "serial", "progress": False, **sweep_kwargs}
    sweep = run_sweep(scenarios, community, **kwargs)
    wanted = {s.scenario_id for s in scenarios}
    results = sweep.results
    return results[results["scenario_id"].isin(wanted)].set_index("scenario_id")


def _check_values(name: str, values: Sequence[Any]) -> list[Any]:
    values = list(values)
    if not values:
        raise ValueError(f"the values of {name!r} are empty; give at least one value")
    return values


def one_at_a_time(base: Scenario, ranges: dict[str, Sequence[float]],
                  community: BenchmarkCommunity | None = None, **sweep_kwargs: Any) -> pd.DataFrame:
    """Vary each parameter alone around ``base``.

    Parameters
    ----------
    base : Scenario
    ranges : dict of str to sequence
        Parameter -> values to try, e.g. ``{"export_ratio": [0.2, 0.4, 0.6]}``.
    community : BenchmarkCommunity, optional
    **sweep_kwargs
        Passed to :func:`~gridshare.benchmark.sweep.run_sweep`.

    Returns
    -------
    pandas.DataFrame
        Columns ``parameter``, ``value``, ``scenario_id``, ``is_base`` and the summary metrics:
        one row per (parameter, value), plus one row per parameter for the base value when the
        range leaves it out; ``is_base`` marks the rows equal to ``base``.
    """
    if not isinstance(base, Scenario):
        raise ValueError(f"base must be a Scenario; got {type(base).__name__}")
    if not ranges:
        raise ValueError("ranges is empty; give at least one parameter and its values")
    rows, variants = [], [base]
    for name, values in ranges.items():
        base_value = getattr(base, name) if hasattr(base, name) and name != "params" else dict(
            base.params).get(name)
        if base_value is None:
            raise ValueError(f"parameter {name!r} is neither a Scenario field nor a parameter of "
                             f"tariff {base.tariff!r} ({sorted(dict(base.params))})")
        values = _check_values(name, values)
        if not any(np.isclose(float(v), float(base_value)) for v in values):
            values = [*values, base_value]
        for value in values:
            variant = base.with_(**{name: value})
            variants.append(variant)
            rows.append({"parameter": name, "value": value, "scenario_id": variant.scenario_id,
                         "is_base": variant.scenario_id == base.scenario_id})
    results = _run(variants, community, sweep_kwargs)
    table = pd.DataFrame(rows)
    metrics = results.reindex(table["scenario_id"])[[c for c in METRICS if c in results]]
    return pd.concat([table, metrics.reset_index(drop=True)], axis=1).sort_values(
        ["parameter", "value"], kind="stable").reset_index(drop=True)


def tornado_table(oat: pd.DataFrame, metric: str = "community_cost") -> pd.DataFrame:
    """Swing of ``metric`` over each parameter's range, for a tornado chart.

    Parameters
    ----------
    oat : pandas.DataFrame
        From :func:`one_at_a_time`.
    metric : str
        A summary metric column.

    Returns
    -------
    pandas.DataFrame
        ``parameter``, ``low_value``, ``high_value`` (the smallest and largest value tried),
        ``metric_low``, ``metric_high`` (the metric there), ``base_metric`` (at the base
        scenario) and ``swing = |metric_high - metric_low|``, sorted by swing, largest first.

    Examples
    --------
    >>> oat = pd.DataFrame({"parameter": ["a", "a", "b", "b"], "value": [0.1, 0.2, 1.0, 3.0],
    ...                     "is_base": [True, False, True, False], "status": "ok",
    ...                     "community_cost": [10.0, 12.0, 10.0, 9.0]})
    >>> tornado_table(oat)[["parameter", "swing"]].values.tolist()
    [['a', 2.0], ['b', 1.0]]
    """
    if metric not in oat.columns:
        raise ValueError(f"metric {metric!r} is not a column of oat; available: "
                         f"{sorted(oat.select_dtypes('number').columns)}")
    ok = oat[oat["status"] == "ok"] if "status" in oat else oat
    base = ok.loc[ok["is_base"].astype(bool), metric]
    base_metric = float(base.iloc[0]) if len(base) else float("nan")
    rows = []
    for name, part in ok.groupby("parameter", sort=False):
        part = part.sort_values("value", kind="stable")
        low, high = part.iloc[0], part.iloc[-1]
        rows.append({"parameter": name, "low_value": low["value"], "high_value": high["value"],
                     "metric_low": float(low[metric]), "metric_high": float(high[metric]),
                     "base_metric": base_metric,
                     "swing": abs(float(high[metric]) - float(low[metric]))})
    table = pd.DataFrame(rows, columns=["parameter", "low_value", "high_value", "metric_low",
                                        "metric_high", "base_metric", "swing"])
    return table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def grid_sensitivity(base: Scenario, grid: dict[str, Sequence[float]],
                     community: BenchmarkCommunity | None = None, **sweep_kwargs: Any) -> pd.DataFrame:
    """Every combination of the grid values around ``base`` (two parameters give a heat map).

    Parameters
    ----------
    base : Scenario
    grid : dict of str to sequence
        Parameter -> values, e.g. ``{"export_ratio": [0.2, 0.4, 0.6],
        "community_spread": [0.3, 0.5, 0.7]}``.
    community : BenchmarkCommunity, optional
    **sweep_kwargs
        Passed to :func:`~gridshare.benchmark.sweep.run_sweep`.

    Returns
    -------
    pandas.DataFrame
        Long table: one column per grid parameter, ``scenario_id`` and the summary metrics, one
        row per combination (in ``itertools.product`` order).
    """
    if not isinstance(base, Scenario):
        raise ValueError(f"base must be a Scenario; got {type(base).__name__}")
    if not grid:
        raise ValueError("grid is empty; give at least one parameter and its values")
    names = list(grid)
    axes = [_check_values(n, grid[n]) for n in names]
    rows, variants = [], []
    for combo in itertools.product(*axes):
        variant = base.with_(**dict(zip(names, combo, strict=True)))
        variants.append(variant)
        rows.append({**dict(zip(names, combo, strict=True)), "scenario_id": variant.scenario_id})
    results = _run(variants, community, sweep_kwargs)
    table = pd.DataFrame(rows)
    metrics = results.reindex(table["scenario_id"])[[c for c in METRICS if c in results]]
    return pd.concat([table, metrics.reset_index(drop=True)], axis=1)
