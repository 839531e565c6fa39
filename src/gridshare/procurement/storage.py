"""A pool battery dispatched by the optimisation core to raise the pool's hourly CFE.

The pool is modelled as one member of :mod:`gridshare.model` whose load is the pool's load and
whose "PV" is the pool's clean supply, with grid import at 1 per kWh and export at 0, and the
battery owned by that member. Minimising the cost then minimises grid energy, i.e. maximises the
load served by clean energy in the same hour, directly or through the battery. Because the
battery's losses are drawn from clean energy or the grid, ``load - grid import`` is exactly the
clean energy matched, wherever the battery charged from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridshare.case import BatterySpec
from gridshare.procurement._checks import ProcurementError, energy_array
from gridshare.procurement.matching import ratio

_CYCLING_COST_PER_KWH = 1e-6
"""Tiny cost per kWh through the battery: removes pointless simultaneous charge and discharge
without changing the matched energy by more than the solver tolerance."""


@dataclass(frozen=True)
class BatteryDispatch:
    """Hourly dispatch of the pool battery, MWh per hour (= MW), and the pool's CFE with it.

    Attributes
    ----------
    charge, discharge : numpy.ndarray
        Energy into and out of the battery each hour, MWh (AC side).
    soc : numpy.ndarray
        Stored energy at the end of each hour, MWh.
    grid : numpy.ndarray
        Pool load not served by clean energy (direct or stored), MWh.
    matched : numpy.ndarray
        ``load - grid``: clean energy used each hour, MWh (it could only be negative in an hour
        the battery charged from the grid, which never pays here: charging costs 1 per kWh and
        losses make it return less).
    cfe_without, cfe_with : float
        Pooled hourly CFE without and with the battery, fractions.
    """

    charge: np.ndarray
    discharge: np.ndarray
    soc: np.ndarray
    grid: np.ndarray
    matched: np.ndarray
    cfe_without: float
    cfe_with: float

    @property
    def uplift(self) -> float:
        """CFE gained by the battery, fraction (percentage points / 100)."""
        return self.cfe_with - self.cfe_without


def pool_battery_dispatch(
    load_mwh: np.ndarray,
    clean_mwh: np.ndarray,
    battery: BatterySpec,
    start: pd.Timestamp | str = "2024-01-01",
    timezone: str = "UTC",
) -> BatteryDispatch:
    """Dispatch a pool battery to maximise the pool's hourly CFE, with :mod:`gridshare.model`.

    Parameters
    ----------
    load_mwh, clean_mwh : array_like
        Pool load and pool clean supply per hour, MWh, shape (hour,).
    battery : gridshare.case.BatterySpec
        Capacity (kWh), power (kW), efficiencies and SOC limits; its degradation cost and
        binary flag are not used (the objective is energy, not money).
    start, timezone
        Label of the first hour (for the model's time axis only).

    Returns
    -------
    BatteryDispatch

    Examples
    --------
    A lossless 2 MWh battery moves the 2 MWh surplus of hour 0 into hours 1 and 2:

    >>> b = BatterySpec(energy_kwh=2000, power_kw=2000, charge_efficiency=1,
    ...                 discharge_efficiency=1, soc_initial=0)
    >>> d = pool_battery_dispatch([1.0, 1.0, 1.0], [3.0, 0.0, 0.0], b)
    >>> round(d.cfe_without, 6), round(d.cfe_with, 6)
    (0.333333, 1.0)
    """
    from gridshare.model import ModelInputs, SolverError, build_model, solve

    load = energy_array("load_mwh", load_mwh, ndim=1)
    clean = energy_array("clean_mwh", clean_mwh, ndim=1)
    if load.shape != clean.shape:
        raise ProcurementError(f"load_mwh has {load.size} hours but clean_mwh has {clean.size}")
    if not isinstance(battery, BatterySpec):
        raise ProcurementError(f"battery must be a gridshare.case.BatterySpec; got {type(battery).__name__}")
    row = {
        "name": "pool.battery",
        "owner": "pool",
        "energy_kwh": float(battery.energy_kwh),
        "charge_kw": battery.charge_limit_kw,
        "discharge_kw": battery.discharge_limit_kw,
        "charge_efficiency": float(battery.charge_efficiency),
        "discharge_efficiency": float(battery.discharge_efficiency),
        "soc_min": float(battery.soc_min),
        "soc_max": float(battery.soc_max),
        "soc_initial": float(battery.soc_initial),
        "soc_final": np.nan if battery.soc_final is None else float(battery.soc_final),
        "degradation_cost_per_kwh": _CYCLING_COST_PER_KWH,
        "binary": False,
        "pcs_kva": np.nan,
    }
    start = pd.Timestamp(start)
    if start.tzinfo is not None:
        timezone = str(start.tz)
        start = start.tz_localize(None)
    # the core works in kW and kWh: an hourly MWh is 1000 kW for one hour
    inputs = ModelInputs.from_arrays(
        load[None, :] * 1e3,
        pv_kw=clean[None, :] * 1e3,
        import_price=1.0,
        export_price=0.0,
        step_hours=1.0,
        members=["pool"],
        start=str(start),
        timezone=timezone,
        batteries=[row],
    )
    try:
        result = solve(build_model(inputs, "individual"))
    except (SolverError, ValueError) as exc:
        raise ProcurementError(f"the pool-battery dispatch failed: {exc}") from exc
    sol = result.solution
    charge = sol["battery_charge"].values[0] / 1e3
    discharge = sol["battery_discharge"].values[0] / 1e3
    soc = sol["battery_soc"].values[0] / 1e3
    grid = np.maximum(sol["grid_import"].values[0] / 1e3, 0.0)
    total = float(load.sum())
    return BatteryDispatch(
        charge=np.maximum(charge, 0.0),
        discharge=np.maximum(discharge, 0.0),
        soc=np.maximum(soc, 0.0),
        grid=grid,
        matched=load - grid,
        cfe_without=float(ratio(np.minimum(load, clean).sum(), total)),
        cfe_with=float(ratio(total - grid.sum(), total)),
    )
