"""Economics of a solved dispatch: revenue and cost stacks, net and cumulative value.

All figures in currency over the horizon (or per interval). Net value = revenues - costs =
-objective of the dispatch model. ``grid_only_cost`` is what serving the same load entirely
from the grid at the LMP would cost; ``value_vs_grid_only`` = net value + grid-only cost is
what the on-site assets add.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

STACK = ("energy_revenue", "as_revenue", "energy_cost", "fuel_cost", "start_cost",
         "degradation", "curtailment_cost", "voll_cost")


def interval_values(dispatch) -> pd.DataFrame:
    """Each revenue and cost per interval, currency (costs positive), plus net and cumulative."""
    case, setup, ts = dispatch.case, dispatch.setup, dispatch.timeseries
    res = dispatch.result.solution
    dt = case.time.step_hours
    lmp = ts["lmp_per_mwh"].to_numpy()
    out = pd.DataFrame(index=ts.index)
    out["energy_revenue"] = ts["export_mw"] * lmp * case.prices.export_price_ratio * dt
    as_rev = np.zeros(len(ts))
    for label, row in setup.inputs.reserves.iterrows():
        as_rev += ts[f"reserve_{label}_mw"].to_numpy() * row["price_per_kw"] * 1e3 * dt
    out["as_revenue"] = as_rev
    out["energy_cost"] = ts["import_mw"] * lmp * dt
    fuel = np.zeros(len(ts))
    start = np.zeros(len(ts))
    g = setup.inputs.generators
    for u in case.resources.generators.units:
        per_mwh = (g.loc[u.name, "fuel_cost_per_kwh"] + g.loc[u.name, "vom_cost_per_kwh"]) * 1e3
        fuel += ts[f"gen_{u.name}_mw"].to_numpy() * per_mwh * dt
        if "gen_start" in res:
            start += np.nan_to_num(res["gen_start"].sel(generator=u.name).values) * u.start_cost
    out["fuel_cost"] = fuel
    out["start_cost"] = start
    if case.resources.bess is not None:
        deg = float(setup.inputs.batteries.loc["bess", "degradation_cost_per_kwh"]) * 1e3
        out["degradation"] = (ts["bess_charge_mw"] + ts["bess_discharge_mw"]) * deg * dt
    else:
        out["degradation"] = 0.0
    cost = [ld.curtail_cost_per_mwh for ld in case.resources.loads if ld.kind == "curtailable"]
    out["curtailment_cost"] = ts["load_curtail_mw"] * (max(cost) if cost else 0.0) * dt
    out["voll_cost"] = ts["unserved_mw"] * case.reliability.voll_per_mwh * dt
    out["net_value"] = (out["energy_revenue"] + out["as_revenue"]
                        - out[list(STACK[2:])].sum(axis=1))
    out["cumulative_value"] = out["net_value"].cumsum()
    return out


def economics_summary(dispatch) -> dict[str, Any]:
    """Revenue stack, cost stack and net value over the horizon, currency."""
    values = interval_values(dispatch)
    totals = {k: round(float(values[k].sum()), 2) for k in STACK}
    ts, dt = dispatch.timeseries, dispatch.case.time.step_hours
    grid_only = float((ts["load_mw"] * ts["lmp_per_mwh"]).sum() * dt)
    net = float(values["net_value"].sum())
    return {**totals, "net_value": round(net, 2), "grid_only_cost": round(grid_only, 2),
            "value_vs_grid_only": round(net + grid_only, 2)}


def sensitivity(path_or_case, toggles: dict[str, list[float]] | None = None,
                **dispatch_kwargs) -> pd.DataFrame:
    """Net value under changed prices, fuel price or degradation cost.

    Parameters
    ----------
    path_or_case
        A case (see :func:`gridshare.microgrid.run_dispatch`).
    toggles : dict, optional
        ``{"price_scale": [...], "fuel_price": [...], "degradation_cost": [...]}``; each value
        is run alone with the others at the case's values. Default: prices x0.8/x1.2, fuel
        +-25 %, degradation x0 / x2.

    Returns
    -------
    pandas.DataFrame
        One row per run: toggle, value, net value and the stack.
    """
    from gridshare.microgrid.case import load_microgrid_case
    from gridshare.microgrid.dispatch import run_dispatch

    case = load_microgrid_case(path_or_case)
    if toggles is None:
        fuel = case.resources.generators.fuel_price_per_mmbtu
        deg = case.resources.bess.degradation_cost_per_mwh if case.resources.bess else 0.0
        toggles = {"price_scale": [0.8, 1.2], "fuel_price": [0.75 * fuel, 1.25 * fuel],
                   "degradation_cost": [0.0, 2 * deg]}
    allowed = ("price_scale", "fuel_price", "degradation_cost")
    bad = sorted(set(toggles) - set(allowed))
    if bad:
        raise ValueError(f"toggles has unknown key(s) {bad}; allowed: {list(allowed)}")
    rows = [{"toggle": "base", "value": float("nan"),
             **run_dispatch(case, duals=False, **dispatch_kwargs).economics()}]
    for key, values in toggles.items():
        for v in values:
            d = run_dispatch(case, duals=False, **{key: v}, **dispatch_kwargs)
            rows.append({"toggle": key, "value": float(v), **d.economics()})
    return pd.DataFrame(rows)
