"""Reliability checks of a solved dispatch: ride-through, N-1 firm capacity, unserved energy.

Ride-through time at each interval (minutes) is the energy above the battery's emergency floor
(``soc_min``, the energy that is never usable) delivered to the critical load:

``ride_through_min = (SOC - soc_min x E) x eta_d / critical_load x 60``

It must cover the longest generator start time (and ``ride_through_minutes``) at every
interval. The battery must also be able to carry the critical load *power* not covered by the
units already running.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def ride_through_minutes(soc_mwh: np.ndarray, floor_mwh: float, critical_mw: np.ndarray,
                         discharge_efficiency: float = 1.0) -> np.ndarray:
    """Minutes the stored energy above ``floor_mwh`` carries ``critical_mw``.

    Parameters
    ----------
    soc_mwh : array_like
        Stored energy per interval, MWh.
    floor_mwh : float
        Energy that cannot be used, MWh.
    critical_mw : array_like
        Critical load per interval, MW (``inf`` minutes where it is 0).
    discharge_efficiency : float
        In (0, 1].

    Examples
    --------
    >>> ride_through_minutes([30.0], 5.0, [40.0]).tolist()  # 25 MWh / 40 MW = 0.625 h
    [37.5]
    """
    soc = np.asarray(soc_mwh, dtype=float)
    crit = np.broadcast_to(np.asarray(critical_mw, dtype=float), soc.shape)
    if not 0 < discharge_efficiency <= 1:
        raise ValueError(f"discharge_efficiency must be in (0, 1]; got {discharge_efficiency}")
    usable = np.maximum(soc - floor_mwh, 0.0) * discharge_efficiency
    with np.errstate(divide="ignore"):
        return np.where(crit > 0, usable / np.where(crit > 0, crit, 1.0) * 60.0, np.inf)


def firm_capacity_mw(capacities_mw: list[float] | np.ndarray) -> float:
    """N+1 firm capacity of a fleet: total minus the largest unit, MW.

    Examples
    --------
    >>> firm_capacity_mw([15, 15, 15, 15])
    45.0
    """
    caps = np.asarray(capacities_mw, dtype=float)
    return float(caps.sum() - caps.max()) if caps.size else 0.0


def reliability_table(dispatch) -> pd.DataFrame:
    """Per-interval reliability view of a :class:`~gridshare.microgrid.DispatchResult`."""
    case, ts = dispatch.case, dispatch.timeseries
    bess = case.resources.bess
    units = case.resources.generators.units
    start_min = max((u.start_time_min for u in units), default=0.0)
    need_min = max(case.reliability.ride_through_minutes, start_min)
    out = pd.DataFrame(index=ts.index)
    out["critical_mw"] = ts["critical_mw"]
    online = sum(ts[f"gen_{u.name}_on"] * u.capacity_mw for u in units) if units else 0.0
    out["online_gen_mw"] = online
    if bess is not None:
        out["ride_through_min"] = ride_through_minutes(
            ts["soc_mwh"].to_numpy(), bess.soc_min * bess.energy_mwh,
            ts["critical_mw"].to_numpy(), bess.discharge_efficiency)
        uncovered = np.maximum(out["critical_mw"] - out["online_gen_mw"], 0.0)
        out["power_ok"] = uncovered <= bess.power_mw + 1e-6
    else:
        out["ride_through_min"] = np.where(out["critical_mw"] > 0, 0.0, np.inf)
        out["power_ok"] = out["critical_mw"] <= out["online_gen_mw"] + 1e-6
    out["ride_through_required_min"] = need_min
    out["ride_through_ok"] = (out["ride_through_min"] >= need_min - 1e-6) & out["power_ok"]
    out["unserved_mw"] = ts["unserved_mw"]
    out["unserved_flag"] = ts["unserved_mw"] > 1e-6
    return out


def reliability_summary(dispatch) -> dict[str, Any]:
    """Unserved energy, ride-through and N+1 firm capacity of a dispatch."""
    case = dispatch.case
    table = reliability_table(dispatch)
    dt = case.time.step_hours
    caps = [u.capacity_mw for u in case.resources.generators.units]
    firm = firm_capacity_mw(caps)
    peak_critical = float(table["critical_mw"].max())
    rt = table["ride_through_min"].replace(np.inf, np.nan)
    return {
        "unserved_energy_mwh": round(float(table["unserved_mw"].sum() * dt), 6),
        "unserved_intervals": int(table["unserved_flag"].sum()),
        "ride_through_achieved": bool(table["ride_through_ok"].all()),
        "ride_through_min_minutes": None if rt.isna().all() else round(float(rt.min()), 3),
        "ride_through_required_minutes": float(table["ride_through_required_min"].iloc[0]),
        "intervals_short_of_ride_through": int((~table["ride_through_ok"]).sum()),
        "fleet_firm_capacity_mw": firm,
        "peak_critical_mw": round(peak_critical, 6),
        "fleet_n_plus_1_covers_critical": bool(firm >= peak_critical - 1e-9),
    }
