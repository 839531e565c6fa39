"""Why the dispatch looks as it does, interval by interval.

For the battery: the action (charge, discharge, idle), the binding constraint (SOC at the
ride-through floor, at its maximum, power or inverter limit, reserve energy backing), the
opportunity cost (the marginal value of energy at the campus bus against the shadow value of
stored energy, both currency/MWh) and the reliability requirement (the floor in MWh).

For each unit: on, off or started, and why -- N-1 firm capacity (switching it off would break
the N-1 rule at that interval), the value of energy at or above its running cost, its minimum
up time, or reserve revenue on its headroom; off when its running cost is above the value of
energy and no rule needs it. ``gen_<name>_margin_per_mwh`` is the value of energy less its
running cost (the opportunity cost of the commitment).

Shadow prices come from the LP with binaries fixed (:attr:`gridshare.model.Result.duals`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridshare.model import binding_frequency

TOL = 1e-6


def _dual(result, family: str, n: int, **where) -> np.ndarray:
    if family not in result.duals:
        return np.zeros(n)
    da = result.duals[family]
    sel = {k: v for k, v in where.items() if k in da.dims}
    da = da.sel(sel) if sel else da
    extra = [d for d in da.dims if d != "time"]
    if extra:
        da = abs(da).max(extra)
    return np.nan_to_num(np.asarray(da.values, dtype=float)) * 1e3  # per kWh -> per MWh


def explain_dispatch(dispatch) -> pd.DataFrame:
    """One row per interval: the battery's and each unit's decision and its reason.

    Returns
    -------
    pandas.DataFrame
        Columns ``energy_price_per_mwh`` (marginal value at the campus bus), ``battery_action``,
        ``battery_binding``, ``stored_energy_value_per_mwh``, ``soc_floor_mwh``,
        ``battery_reason``, and per unit ``gen_<name>_state`` and ``gen_<name>_reason``.
    """
    case, ts, result = dispatch.case, dispatch.timeseries, dispatch.result
    n = len(ts)
    out = pd.DataFrame(index=ts.index)
    lam = _dual(result, "power_balance", n, member="campus")
    out["energy_price_per_mwh"] = lam
    bess = case.resources.bess
    if bess is not None:
        ch, dis, soc = (ts[c].to_numpy() for c in ("bess_charge_mw", "bess_discharge_mw",
                                                   "soc_mwh"))
        floor = ts["soc_floor_mwh"].to_numpy()
        value = -_dual(result, "battery_soc", n, battery="bess")
        action = np.select([ch > TOL, dis > TOL], ["charge", "discharge"], "idle")
        floor_dual = _dual(result, "soc_reserve_floor", n)
        backing = _dual(result, "reserve_energy_up", n, battery="bess")
        pq = _dual(result, "battery_pq", n, battery="bess")
        binding = np.select(
            [np.abs(floor_dual) > TOL, soc >= bess.soc_max * bess.energy_mwh - TOL,
             np.abs(pq) > TOL, np.maximum(ch, dis) >= bess.power_mw - TOL,
             np.abs(backing) > TOL],
            ["soc_reserve_floor", "soc_max", "battery_pq (inverter MVA)",
             "power rating", "reserve_energy_up"], "none")
        out["battery_action"] = action
        out["battery_binding"] = binding
        out["stored_energy_value_per_mwh"] = value
        out["soc_floor_mwh"] = floor
        price = pd.Series(lam).map("{:.2f}".format).to_numpy()
        stored = pd.Series(value).map("{:.2f}".format).to_numpy()
        reason = np.select(
            [action == "charge", action == "discharge"],
            ["energy here (" + price + "/MWh) is cheaper than stored energy is worth ("
             + stored + "/MWh)",
             "energy here (" + price + "/MWh) is worth more than stored energy ("
             + stored + "/MWh)"],
            "neither charging nor discharging pays: stored energy is worth " + stored
            + "/MWh against " + price + "/MWh here")
        at_floor = soc <= floor + TOL
        reason = np.where(at_floor, reason + "; SOC held at the ride-through floor of "
                          + pd.Series(floor).map("{:.1f}".format).to_numpy() + " MWh", reason)
        out["battery_reason"] = reason
    units = case.resources.generators.units
    if not units:
        return out
    from gridshare.microgrid.blocks import NMinusOneBlock

    n1 = next((b for b in dispatch.setup.blocks if isinstance(b, NMinusOneBlock)), None)
    caps = np.array([u.capacity_mw for u in units])
    on_all = np.stack([ts[f"gen_{u.name}_on"].to_numpy() > 0.5 for u in units])  # (unit, time)
    running = caps[:, None] * on_all
    crit = ts["critical_mw"].to_numpy()
    dt = case.time.step_hours
    for k, u in enumerate(units):
        on = on_all[k]
        start = np.r_[on[0] and not u.initial_on, on[1:] & ~on[:-1]]
        cost = u.heat_rate_mmbtu_per_mwh * _fuel_price(dispatch) + u.vom_per_mwh
        # Counterfactual: with this unit off, would the N-1 rule still hold?
        needed = np.zeros(n, dtype=bool)
        if n1 is not None:
            others = np.delete(running, k, axis=0)
            total = others.sum(axis=0)
            biggest = others.max(axis=0) if len(others) else np.zeros(n)
            grid, bat = n1.grid_kw / 1e3, n1.battery_kw / 1e3
            needed = on & ((total < crit - min(grid, bat) - TOL)
                           | (total - biggest < crit - grid - bat - TOL))
        window = int(np.ceil(u.min_up_h / dt - 1e-9))
        recent = np.convolve(start.astype(float), np.ones(max(window, 1)))[:n] > 0
        reserve = np.zeros(n)
        if "reserve_generator" in result.solution:
            reserve = np.nan_to_num(result.solution["reserve_generator"].sel(
                generator=u.name).sum("product").values) / 1e3
        margin = lam - cost
        state = np.select([start, on], ["start", "on"], "off")
        why_on = np.select(
            [needed, margin >= -TOL, recent & (window > 1), reserve > TOL],
            ["N-1 firm capacity for the critical load needs it online",
             f"energy value at or above its running cost {cost:.2f}/MWh",
             "held on by its minimum up time",
             "its headroom earns reserve revenue (" + pd.Series(reserve).map(
                 "{:.1f}".format).to_numpy() + " MW held)"],
            "commitment rules keep it on")
        why_off = (f"running cost {cost:.2f}/MWh is above the value of energy and no rule "
                   "needs it")
        out[f"gen_{u.name}_state"] = state
        out[f"gen_{u.name}_margin_per_mwh"] = margin
        out[f"gen_{u.name}_reason"] = np.where(on, why_on, why_off)
    return out


def _fuel_price(dispatch) -> float:
    g = dispatch.setup.inputs.generators
    u = dispatch.case.resources.generators.units[0]
    return float(g.loc[u.name, "fuel_cost_per_kwh"]) * 1e3 / u.heat_rate_mmbtu_per_mwh


def constraint_frequency(dispatch) -> pd.DataFrame:
    """How often each constraint family binds over the horizon (the core's frequency table)."""
    return binding_frequency(dispatch.result)
