"""Turn a validated :class:`~gridshare.case.Case` into the core's :class:`ModelInputs`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from gridshare.case import BatterySpec, Case
from gridshare.model.inputs import (
    BATTERY_COLUMNS,
    COMMUNITY,
    FLEXIBLE_COLUMNS,
    GENERATOR_COLUMNS,
    GRID_COLUMNS,
    RESERVE_COLUMNS,
    ModelInputs,
    PoiSpec,
    empty_table,
    member_series,
)
from gridshare.timeindex import step_hours


def _or(value: float | None, default: float) -> float:
    return float(default if value is None else value)


def _battery_row(spec: BatterySpec, owner: str) -> dict[str, object]:
    return {
        "owner": owner,
        "energy_kwh": float(spec.energy_kwh),
        "charge_kw": spec.charge_limit_kw,
        "discharge_kw": spec.discharge_limit_kw,
        "charge_efficiency": float(spec.charge_efficiency),
        "discharge_efficiency": float(spec.discharge_efficiency),
        "soc_min": float(spec.soc_min),
        "soc_max": float(spec.soc_max),
        "soc_initial": float(spec.soc_initial),
        "soc_final": _or(spec.soc_final, np.nan),
        "degradation_cost_per_kwh": float(spec.degradation_cost_per_kwh),
        "binary": bool(spec.binary),
        "pcs_kva": _or(spec.pcs_kva, np.nan),
    }


def _table(rows: dict[str, dict[str, object]], columns: dict[str, type]) -> pd.DataFrame:
    if not rows:
        return empty_table(columns)
    frame = pd.DataFrame.from_dict(rows, orient="index")[list(columns)]
    return frame.astype({k: (object if t is str else t) for k, t in columns.items()})


def inputs_from_case(case: Case, profiles: xr.Dataset | None = None,
                     prices: xr.Dataset | None = None) -> ModelInputs:
    """Numeric model inputs for a case.

    Parameters
    ----------
    case : Case
        A validated case.
    profiles : xarray.Dataset, optional
        ``load_kw``, ``pv_kw``, ``wind_kw`` by (member, time), e.g. from
        :func:`gridshare.profiles.members.member_profiles`; generated when not given.
    prices : xarray.Dataset, optional
        ``import_price`` and ``export_price`` by (member, time); from the members' tariffs when not
        given (a tariff sweep passes its own).

    Returns
    -------
    ModelInputs
    """
    from gridshare.profiles.members import member_prices, member_profiles

    index = case.time_index()
    names = case.member_names
    if profiles is None:
        profiles = member_profiles(case)
    if prices is None:
        prices = member_prices(case)

    grid = {}
    batteries: dict[str, dict[str, object]] = {}
    generators: dict[str, dict[str, object]] = {}
    flexible: dict[str, dict[str, object]] = {}
    steps_per_hour = 1.0 / step_hours(index)
    for m in case.members:
        g = m.grid
        grid[m.name] = {
            "import_limit_kw": _or(g.import_limit_kw, np.inf),
            "export_limit_kw": _or(g.export_limit_kw, np.inf),
            "binary": bool(g.binary),
            "kva": _or(g.kva, np.nan),
            "min_power_factor": _or(g.min_power_factor, np.nan),
            "load_power_factor": float(g.load_power_factor),
        }
        if m.battery is not None:
            batteries[f"{m.name}.battery"] = _battery_row(m.battery, m.name)
        for gen in m.generators:
            generators[f"{m.name}.{gen.name}"] = {
                "owner": m.name,
                "capacity_kw": float(gen.capacity_kw),
                "min_stable_kw": float(gen.min_stable_kw),
                "min_up_h": float(gen.min_up_h),
                "min_down_h": float(gen.min_down_h),
                "start_cost": float(gen.start_cost),
                "fuel_cost_per_kwh": gen.marginal_fuel_cost_per_kwh,
                "vom_cost_per_kwh": float(gen.vom_cost_per_kwh),
                "ramp_kw_per_h": _or(gen.ramp_kw_per_h, np.nan),
                "initial_on": bool(gen.initial_on),
                "committable": bool(gen.committable),
            }
        if m.flexible_load is not None:
            f = m.flexible_load
            flexible[m.name] = {
                "shiftable_share": float(f.shiftable_share),
                "window_steps": max(1, round(f.window_hours * steps_per_hour)),
                "max_shift_kw": _or(f.max_shift_kw, np.nan),
            }

    shares = None
    if case.community.battery is not None:
        batteries["community.battery"] = _battery_row(case.community.battery, COMMUNITY)
    if case.community.shared_battery is not None:
        shared = case.community.shared_battery
        batteries["community.shared_battery"] = _battery_row(shared, COMMUNITY)
        shares = pd.DataFrame([[float(shared.shares.get(n, 0.0)) for n in names]],
                              index=["community.shared_battery"], columns=names)

    reserves = {r.name: {"direction": r.direction, "duration_h": float(r.duration_h),
                         "price_per_kw": float(r.price_per_kw),
                         "requirement_kw": _or(r.requirement_kw, np.nan)} for r in case.reserves}

    poi = None
    if case.community.poi is not None:
        p = case.community.poi
        poi = PoiSpec(import_limit_kw=_or(p.import_limit_kw, np.inf),
                      export_limit_kw=_or(p.export_limit_kw, np.inf), kva=_or(p.kva, np.nan),
                      min_power_factor=_or(p.min_power_factor, np.nan),
                      polygon_sides=p.polygon_sides)

    fee = limit = None
    if case.market.exchange == "bilateral":
        n = len(names)
        fee_m = np.full((n, n), float(case.market.fee_per_kwh))
        limit_m = np.full((n, n), np.inf)
        pos = {name: i for i, name in enumerate(names)}
        for pair in case.market.pairs:
            fee_m[pos[pair.seller], pos[pair.buyer]] = pair.fee_per_kwh
            if pair.limit_kw is not None:
                limit_m[pos[pair.seller], pos[pair.buyer]] = pair.limit_kw
        coords = {"seller": names, "buyer": names}
        fee = xr.DataArray(fee_m, dims=("seller", "buyer"), coords=coords, name="fee_per_kwh")
        limit = xr.DataArray(limit_m, dims=("seller", "buyer"), coords=coords, name="limit_kw")

    curtailable = all(a.curtailable for m in case.members for a in [*m.pv, *m.wind])
    return ModelInputs(
        time=index,
        step_hours=step_hours(index),
        members=names,
        load_kw=member_series(profiles["load_kw"].values, names, index, "load_kw"),
        pv_kw=member_series(profiles["pv_kw"].values, names, index, "pv_kw"),
        wind_kw=member_series(profiles["wind_kw"].values, names, index, "wind_kw"),
        import_price=member_series(prices["import_price"].values, names, index, "import_price"),
        export_price=member_series(prices["export_price"].values, names, index, "export_price"),
        grid=_table(grid, GRID_COLUMNS),
        batteries=_table(batteries, BATTERY_COLUMNS),
        generators=_table(generators, GENERATOR_COLUMNS),
        battery_shares=shares,
        flexible=_table(flexible, FLEXIBLE_COLUMNS),
        curtailable=curtailable,
        curtailment_cost_per_kwh=float(case.curtailment_cost_per_kwh),
        voll_per_kwh=case.voll_per_kwh,
        exchange=case.market.exchange,
        pool_fee_per_kwh=float(case.market.fee_per_kwh) if case.market.exchange == "pool" else 0.0,
        pool_loss=float(case.market.loss),
        bilateral_fee_per_kwh=fee,
        bilateral_limit_kw=limit,
        reserves=_table(reserves, RESERVE_COLUMNS),
        poi=poi,
    )
