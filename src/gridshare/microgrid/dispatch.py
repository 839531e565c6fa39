"""Data-centre dispatch: a microgrid case through the optimisation core.

The case becomes :class:`~gridshare.model.ModelInputs` (one member, ``campus``, with its battery,
gas units, POI and transformer limits and the ISO's ancillary products) and is solved with the
core's blocks plus the microgrid blocks of :mod:`gridshare.microgrid.blocks`. The objective is
the core's total cost, so *net value* = energy export revenue + ancillary revenue - import cost
- fuel and VOM - start costs - degradation - curtailment - VoLL x unserved energy = -objective.

Modelling choices
-----------------
- Transformer MVA is the campus connection's kVA limit (parallel transformers add up); the POI
  has its own MW caps, MVA and minimum power factor (exact ``|P|`` with a direction binary).
- The battery's ``soc_min`` in the core is the emergency floor; the ride-through floor
  ``max(soc_reserve x E, soc_min x E + critical x t_ride / eta_d)`` is a separate family that
  also holds the energy backing every up reserve, so market dispatch never uses it.
- ``t_ride`` = the longest of ``ride_through_minutes`` and the units' start times.
- Identical units are committed in order (no effect on the optimum; fewer equivalent branches).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridshare.microgrid.blocks import (
    IdenticalUnitsBlock,
    LoadCurtailmentBlock,
    NMinusOneBlock,
    SocReserveFloorBlock,
    SymmetricReserveBlock,
    identical_unit_groups,
)
from gridshare.microgrid.case import (
    MicrogridCase,
    energy_prices,
    load_microgrid_case,
    load_profiles_mw,
)
from gridshare.microgrid.iso import ISOAdapter, get_iso_adapter
from gridshare.model import DEFAULT_BLOCKS, ModelInputs, PoiSpec, Result, SolveOptions, build_model, solve

MEMBER = "campus"
BATTERY = "bess"
DEFAULT_MIP_GAP = 1e-3
"""Relative MIP gap of :func:`run_dispatch` (0.1 %: on the 50 MW day about $90 of $90k)."""


@dataclass
class DispatchSetup:
    """What :func:`build_dispatch_inputs` makes: core inputs, extra blocks and bookkeeping."""

    inputs: ModelInputs
    blocks: tuple
    adapter: ISOAdapter
    loads_mw: pd.DataFrame
    critical_mw: np.ndarray
    floor_mwh: np.ndarray
    ride_through_h: float
    lmp: pd.Series
    products: dict[str, dict[str, Any]] = field(default_factory=dict)


def _kinds(case: MicrogridCase, loads: pd.DataFrame, kind: str) -> np.ndarray:
    cols = [ld.name for ld in case.resources.loads if ld.kind == kind]
    return loads[cols].sum(axis=1).to_numpy() if cols else np.zeros(len(loads))


def build_dispatch_inputs(case: MicrogridCase, *, price_scale: float = 1.0,
                          fuel_price: float | None = None,
                          degradation_cost: float | None = None) -> DispatchSetup:
    """Core inputs and extra blocks for a case.

    Parameters
    ----------
    case : MicrogridCase
    price_scale : float
        Multiplies every energy and ancillary price (sensitivity), >= 0.
    fuel_price : float, optional
        Gas price override, currency/MMBtu.
    degradation_cost : float, optional
        Battery degradation override, currency per MWh of throughput.

    Returns
    -------
    DispatchSetup
    """
    for label, value in (("price_scale", price_scale), ("fuel_price", fuel_price),
                         ("degradation_cost", degradation_cost)):
        if value is not None and not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{label} must be finite and >= 0; got {value}")
    adapter = get_iso_adapter(case.iso)
    res, rel, top = case.resources, case.reliability, case.topology
    dt = case.time.step_hours
    loads = load_profiles_mw(case)
    total_mw = loads.sum(axis=1).to_numpy()
    critical = _kinds(case, loads, "critical")
    curtailable = _kinds(case, loads, "curtailable")
    lmp = energy_prices(case, price_scale)
    p_mw = np.array([ld.peak_mw for ld in res.loads])
    pf = np.array([ld.power_factor for ld in res.loads])
    # Power factor of the aggregate: from the summed Q of the loads at their peaks.
    q_total = float((p_mw * np.tan(np.arccos(pf))).sum())
    load_pf = float(np.cos(np.arctan2(q_total, p_mw.sum()))) if p_mw.sum() > 0 else 1.0
    trafo_mva = sum(t.mva_rating for t in top.transformers)
    grid = {MEMBER: {"import_limit_kw": top.poi.max_import_mw * 1e3,
                     "export_limit_kw": top.poi.max_export_mw * 1e3,
                     "kva": trafo_mva * 1e3 if trafo_mva else np.nan,
                     "load_power_factor": load_pf}}
    poi = PoiSpec(import_limit_kw=top.poi.max_import_mw * 1e3,
                  export_limit_kw=top.poi.max_export_mw * 1e3,
                  kva=(top.poi.mva_rating or np.nan) * 1e3,
                  min_power_factor=top.poi.min_power_factor or np.nan)
    fuel = res.generators.fuel_price_per_mmbtu if fuel_price is None else fuel_price
    units = res.generators.units
    generators = {u.name: {"owner": MEMBER, "capacity_kw": u.capacity_mw * 1e3,
                           "min_stable_kw": u.min_stable_mw * 1e3, "min_up_h": u.min_up_h,
                           "min_down_h": u.min_down_h, "start_cost": u.start_cost,
                           "fuel_cost_per_kwh": u.heat_rate_mmbtu_per_mwh * fuel / 1e3,
                           "vom_cost_per_kwh": u.vom_per_mwh / 1e3,
                           "initial_on": u.initial_on, "committable": True} for u in units}
    start_h = max((u.start_time_min for u in units), default=0.0) / 60.0
    ride_h = max(rel.ride_through_minutes / 60.0, start_h if units else 0.0)
    batteries: dict[str, dict[str, Any]] = {}
    floor = np.zeros(len(loads))
    bess = res.bess
    if bess is not None:
        deg = bess.degradation_cost_per_mwh if degradation_cost is None else degradation_cost
        batteries[BATTERY] = {
            "owner": MEMBER, "energy_kwh": bess.energy_mwh * 1e3,
            "charge_kw": bess.power_mw * 1e3, "discharge_kw": bess.power_mw * 1e3,
            "charge_efficiency": bess.charge_efficiency,
            "discharge_efficiency": bess.discharge_efficiency,
            "soc_min": bess.soc_min, "soc_max": bess.soc_max, "soc_initial": bess.soc_initial,
            "soc_final": np.nan if bess.soc_final is None else bess.soc_final,
            "degradation_cost_per_kwh": deg / 1e3,  # per kWh of charge + discharge, as the core
            "binary": True, "pcs_kva": (bess.pcs_mva or np.nan) * 1e3}
        ride_mwh = bess.soc_min * bess.energy_mwh + critical * ride_h / bess.discharge_efficiency
        floor = np.maximum(bess.soc_reserve * bess.energy_mwh, ride_mwh)
        soc_top = bess.soc_max * bess.energy_mwh
        if floor.max() > soc_top + 1e-9:
            raise ValueError(
                f"reliability: carrying the critical load ({critical.max():.4g} MW) for "
                f"{ride_h * 60:.4g} min needs a floor of {floor.max():.4g} MWh, above the "
                f"battery's soc_max x energy_mwh = {soc_top:.4g} MWh; lower ride_through_minutes "
                "or the units' start_time_min, or enlarge resources.bess.energy_mwh")
    reserves, pairs, products = {}, [], {}
    for pname, price in case.prices.as_prices.items():
        rule = adapter.product(pname)
        per_mw_h = (rule.default_price if price is None else price) * price_scale
        products[rule.name] = {"direction": rule.direction, "duration_h": rule.duration_h,
                               "price_per_mw_h": per_mw_h}
        if rule.direction == "symmetric":
            up, down = f"{rule.name}_up", f"{rule.name}_down"
            # One MW of a symmetric product earns its price once: half on each side.
            for label, direction in ((up, "up"), (down, "down")):
                reserves[label] = {"direction": direction, "duration_h": rule.duration_h,
                                   "price_per_kw": per_mw_h / 2e3}
            pairs.append((up, down))
        else:
            reserves[rule.name] = {"direction": rule.direction, "duration_h": rule.duration_h,
                                   "price_per_kw": per_mw_h / 1e3}
    inputs = ModelInputs.from_arrays(
        total_mw[None, :] * 1e3, import_price=lmp.to_numpy()[None, :] / 1e3,
        export_price=lmp.to_numpy()[None, :] * case.prices.export_price_ratio / 1e3,
        step_hours=dt, members=[MEMBER], start=str(pd.Timestamp(case.time.start)),
        timezone=case.time.timezone, grid=grid, batteries=batteries or None,
        generators=generators or None, reserves=reserves or None, poi=poi,
        voll_per_kwh=rel.voll_per_mwh / 1e3, curtailable=False, exchange="none")
    extra: list = []
    cost = [ld.curtail_cost_per_mwh for ld in res.loads if ld.kind == "curtailable"]
    if np.any(curtailable > 0):
        extra.append(LoadCurtailmentBlock(MEMBER, curtailable * 1e3, max(cost) / 1e3))
    if bess is not None:
        extra.append(SocReserveFloorBlock(BATTERY, floor * 1e3))
    if rel.n_minus_1 and units:
        grid_kw = top.poi.max_import_mw * 1e3 if rel.n_minus_1_counts_grid else 0.0
        if trafo_mva and rel.n_minus_1_counts_grid:
            grid_kw = min(grid_kw, trafo_mva * 1e3)
        extra.append(NMinusOneBlock(critical * 1e3, grid_kw,
                                    bess.power_mw * 1e3 if bess is not None else 0.0))
    if pairs:
        extra.append(SymmetricReserveBlock(pairs))
    groups = identical_unit_groups(inputs.generators)
    if groups:
        extra.append(IdenticalUnitsBlock(groups))
    return DispatchSetup(inputs=inputs, blocks=tuple(DEFAULT_BLOCKS) + tuple(extra),
                         adapter=adapter, loads_mw=loads, critical_mw=critical,
                         floor_mwh=floor, ride_through_h=ride_h, lmp=lmp, products=products)


def _sel(result: Result, name: str, **where) -> np.ndarray:
    sol = result.solution
    if name not in sol:
        return np.zeros(sol.sizes["time"])
    da = sol[name]
    da = da.sel({k: v for k, v in where.items() if k in da.dims})
    return np.nan_to_num(np.asarray(da.values, dtype=float))


def timeseries(setup: DispatchSetup, result: Result, case: MicrogridCase) -> pd.DataFrame:
    """Dispatch per interval in MW, MWh and currency/MWh, indexed by local interval start."""
    idx = setup.loads_mw.index
    out = pd.DataFrame(index=idx)
    out["lmp_per_mwh"] = setup.lmp.to_numpy()
    out["load_mw"] = setup.loads_mw.sum(axis=1).to_numpy()
    out["critical_mw"] = setup.critical_mw
    out["import_mw"] = _sel(result, "grid_import", member=MEMBER) / 1e3
    out["export_mw"] = _sel(result, "grid_export", member=MEMBER) / 1e3
    out["grid_mvar"] = _sel(result, "grid_q", member=MEMBER) / 1e3
    if case.resources.bess is not None:
        out["bess_charge_mw"] = _sel(result, "battery_charge", battery=BATTERY) / 1e3
        out["bess_discharge_mw"] = _sel(result, "battery_discharge", battery=BATTERY) / 1e3
        out["bess_mvar"] = _sel(result, "battery_q", battery=BATTERY) / 1e3
        out["soc_mwh"] = _sel(result, "battery_soc", battery=BATTERY) / 1e3
        out["soc_floor_mwh"] = setup.floor_mwh
    for u in case.resources.generators.units:
        out[f"gen_{u.name}_mw"] = _sel(result, "gen_power", generator=u.name) / 1e3
        out[f"gen_{u.name}_on"] = np.round(_sel(result, "gen_on", generator=u.name))
    for label in setup.inputs.reserves.index:
        total = _sel(result, "reserve_battery", product=label, battery=BATTERY) if (
            case.resources.bess is not None) else 0.0
        if "reserve_generator" in result.solution:
            total = total + result.solution["reserve_generator"].sel(product=label).sum(
                "generator").values
        out[f"reserve_{label}_mw"] = np.asarray(total, dtype=float) / 1e3
    out["load_curtail_mw"] = _sel(result, "load_curtail") / 1e3
    out["unserved_mw"] = _sel(result, "shed", member=MEMBER) / 1e3
    return out


@dataclass
class DispatchResult:
    """A solved dispatch: the core result plus the microgrid views of it.

    Attributes
    ----------
    case : MicrogridCase
    setup : DispatchSetup
    result : gridshare.model.Result
    timeseries : pandas.DataFrame
        Per interval (see :func:`timeseries`).
    """

    case: MicrogridCase
    setup: DispatchSetup
    result: Result
    timeseries: pd.DataFrame

    @property
    def net_value(self) -> float:
        """Net value over the horizon = -objective, currency."""
        return -float(self.result.objective)

    def economics(self) -> dict[str, Any]:
        """Revenue and cost stacks, net value (see :func:`gridshare.microgrid.economics`)."""
        from gridshare.microgrid.economics import economics_summary

        return economics_summary(self)

    def reliability(self) -> dict[str, Any]:
        """Ride-through, N-1 and unserved-energy checks."""
        from gridshare.microgrid.reliability import reliability_summary

        return reliability_summary(self)

    def explain(self) -> pd.DataFrame:
        """Why each decision was made, per interval (see :mod:`gridshare.microgrid.explain`)."""
        from gridshare.microgrid.explain import explain_dispatch

        return explain_dispatch(self)

    def summary(self) -> dict[str, Any]:
        """The example-results block: horizon, assets, solver and the two summaries."""
        c, r = self.case, self.result
        units = c.resources.generators.units
        bess = c.resources.bess
        return {
            "case": c.name, "iso": c.iso,
            "horizon_hours": c.time.horizon_hours, "intervals": c.time.steps,
            "interval_minutes": c.time.interval_minutes,
            "bess": None if bess is None else {"power_mw": bess.power_mw,
                                               "energy_mwh": bess.energy_mwh},
            "generators": {"units": len(units),
                           "total_mw": float(sum(u.capacity_mw for u in units))},
            "solver": {"status": r.status, "solve_time_s": round(float(r.solve_time_s), 4),
                       "build_time_s": round(float(r.build_time_s), 4),
                       "mip_gap": float(r.mip_gap)},
            "objective_net_value": round(self.net_value, 2),
            "economics": self.economics(),
            "reliability": self.reliability(),
        }

    def to_json(self, path: str | Path) -> Path:
        """Write the summary and the per-interval dispatch as JSON."""
        path = Path(path)
        ts = self.timeseries.copy()
        ts.index = ts.index.astype(str)
        data = {"summary": self.summary(), "timeseries": ts.reset_index(names="time").to_dict(
            orient="list")}
        path.write_text(json.dumps(data, indent=1, default=_jsonable))
        return path


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def run_dispatch(path_or_case: str | Path | dict | MicrogridCase, *,
                 mip_gap: float = DEFAULT_MIP_GAP, time_limit_s: float | None = 60.0,
                 price_scale: float = 1.0, fuel_price: float | None = None,
                 degradation_cost: float | None = None, duals: bool = True,
                 threads: int | None = None) -> DispatchResult:
    """Solve the dispatch MILP of a microgrid case.

    Parameters
    ----------
    path_or_case : path, dict or MicrogridCase
    mip_gap : float
        Relative MIP gap (default 0.1 %).
    time_limit_s : float or None
        Solver wall-clock limit, s.
    price_scale, fuel_price, degradation_cost
        Sensitivity toggles (see :func:`build_dispatch_inputs`).
    duals : bool
        Collect shadow prices (needed by :meth:`DispatchResult.explain`).
    threads : int, optional
        HiGHS threads.

    Returns
    -------
    DispatchResult

    Raises
    ------
    MicrogridCaseError
        The case is invalid.
    gridshare.model.InfeasibleError
        No dispatch meets the hard rules (message names the constraint families).
    """
    case = load_microgrid_case(path_or_case)
    setup = build_dispatch_inputs(case, price_scale=price_scale, fuel_price=fuel_price,
                                  degradation_cost=degradation_cost)
    cm = build_model(setup.inputs, "individual", blocks=setup.blocks)
    result = solve_dispatch_model(cm, mip_gap=mip_gap, time_limit_s=time_limit_s, duals=duals,
                                  threads=threads)
    return DispatchResult(case=case, setup=setup, result=result,
                          timeseries=timeseries(setup, result, case))


# Binaries that choose a direction: rounded to the direction the relaxation mostly takes.
_DIRECTION_BINARIES = {"battery_mode": ("battery_charge", "battery_discharge"),
                       "poi_direction": ("poi_import", "poi_export"),
                       "grid_direction": ("grid_import", "grid_export")}


def _rounded(name: str, var, model) -> np.ndarray:
    value = np.asarray(var.solution.values, dtype=float)
    if name in _DIRECTION_BINARIES:
        first, second = (model.variables[n].solution for n in _DIRECTION_BINARIES[name])
        dims = var.dims
        a = np.asarray(first.sel({d: var.indexes[d] for d in dims}).transpose(*dims).values)
        b = np.asarray(second.sel({d: var.indexes[d] for d in dims}).transpose(*dims).values)
        idle = (a < 1e-6) & (b < 1e-6)
        return np.where(idle, np.round(value), (a >= b).astype(float))
    return np.round(value)


def solve_dispatch_model(cm, *, mip_gap: float = DEFAULT_MIP_GAP,
                         time_limit_s: float | None = 60.0, duals: bool = True,
                         threads: int | None = None) -> Result:
    """Solve a built dispatch MILP: relaxation bound, rounded incumbent, MILP if needed.

    1. The LP relaxation gives a lower bound on the cost.
    2. Its binaries are rounded (direction binaries to the direction that carries more flow,
       commitments to the nearest integer) and held; the LP that remains gives an incumbent and,
       being an LP, its shadow prices.
    3. If the incumbent is within ``mip_gap`` of the bound it is returned with that proven gap;
       otherwise the binaries are released and HiGHS branch and bound solves the MILP.

    On data-centre days the relaxation is usually tight (the bound equals the optimum) while
    the direction binaries are degenerate; branch and bound then spends most of its time
    looking for an incumbent that step 2 finds at once.

    Returns
    -------
    gridshare.model.Result
        ``attrs["method"]`` says which path gave the answer; ``mip_gap`` is the proven gap.
    """
    from dataclasses import replace

    from gridshare.model import InfeasibleError
    from gridshare.model.solve import _family_duals

    relax = {"solve_relaxation": True}
    base = SolveOptions(mip_gap=mip_gap, time_limit_s=time_limit_s, duals=False,
                        threads=threads)
    binaries = [n for n in cm.model.variables if cm.model.variables[n].attrs.get("binary")]
    if not binaries:
        return solve(cm, replace(base, duals=duals))
    started = time.perf_counter()
    bound = solve(cm, replace(base, highs_options=relax))
    model = cm.model
    saved = {n: (model.variables[n].lower.copy(), model.variables[n].upper.copy())
             for n in binaries}
    for n in binaries:
        var = model.variables[n]
        value = var.lower * 0 + _rounded(n, var, model)
        var.update(lower=value, upper=value)
    incumbent = None
    try:
        incumbent = solve(cm, replace(base, highs_options=relax))
    except InfeasibleError:
        incumbent = None
    if incumbent is not None:
        gap = (incumbent.objective - bound.objective) / max(abs(incumbent.objective), 1e-9)
        if gap <= mip_gap + 1e-12:
            table = _family_duals(cm, model) if duals else incumbent.duals
            return replace(incumbent, status="optimal", mip_gap=max(gap, 0.0), duals=table,
                           solve_time_s=time.perf_counter() - started,
                           attrs=dict(incumbent.attrs, method="relaxation bound + rounded "
                                      "incumbent", lp_bound=float(bound.objective),
                                      dual_note="duals of the LP with binaries fixed"))
    for n, (lower, upper) in saved.items():
        model.variables[n].update(lower=lower, upper=upper)
    result = solve(cm, replace(base, duals=duals))
    return replace(result, solve_time_s=time.perf_counter() - started,
                   attrs=dict(result.attrs, method="branch and bound",
                              lp_bound=float(bound.objective)))
