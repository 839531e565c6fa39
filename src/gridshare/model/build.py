"""Assemble the blocks into one community model for a mode.

Modes
-----
``"individual"``
    Every member alone: no exchange variables and no community assets. One model, separable.
``"collective"``
    Joint minimum of the total cost with exchange (pool or bilateral) and community assets.
``"collective_fair"``
    Two stages: solve ``"individual"`` first, then ``"collective"`` with budget-balanced
    settlement payments (``settlement``, summing to the community's own costs) and the family
    ``individual_rationality``: each member's cost is at most its individual cost (+ a tiny
    tolerance).
``"post_delivery"``
    Metered load and generation are fixed, and battery and generator dispatch (with flexible
    shifts, curtailment, shedding and reserves) are fixed to ``schedule`` (a Result or Dataset)
    or, without one, to the individual optimum; only grid and exchange flows are chosen.
    Community assets missing from the schedule stay idle.

Aggregation
-----------
With a free pool (no fee, no loss), collective mode and no member grid limits, binaries or kVA/PF
rules, the members' grid and pool variables are replaced exactly by one import and one export
per tariff group (members sharing identical price series) and one ``community_balance`` per step.
Members' flows and bills are allocated from the optimum after the solve.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from typing import Any

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from gridshare.model.blocks import DEFAULT_BLOCKS
from gridshare.model.blocks.base import MODES, Block, BuildContext, add_individual_rationality
from gridshare.model.inputs import COMMUNITY, ModelInputs

DISPATCH_VARIABLES = ("battery_charge", "battery_discharge", "shared_charge", "shared_discharge",
                      "gen_power", "gen_on", "gen_start", "gen_stop", "flex_shift", "curtail",
                      "shed", "reserve_battery", "reserve_generator")
"""Variables held at the schedule in ``post_delivery`` mode."""

FAIRNESS_TOLERANCE = 1e-7
"""Relative slack (times ``1 + |individual cost|``) allowed by ``individual_rationality``."""


@dataclass
class CommunityModel:
    """A built model: the linopy model, its inputs and mode, and the member cost expressions.

    Attributes
    ----------
    model : linopy.Model
    inputs : ModelInputs
    mode : str
    member_costs : dict of str to linopy.LinearExpression
        Cost component -> expression over ``member``, currency over the horizon.
    community_costs : dict of str to linopy.LinearExpression
        Costs of community-owned assets, currency.
    aggregate : bool
        Whether the exact free-pool aggregation is used.
    individual_costs : pandas.Series or None
        Stage-one cost of each member alone (``collective_fair``), currency.
    schedule : xarray.Dataset or None
        The dispatch held fixed (``post_delivery``).
    build_time_s : float
    """

    model: linopy.Model
    inputs: ModelInputs
    mode: str
    member_costs: dict[str, Any]
    community_costs: dict[str, Any]
    context: BuildContext
    aggregate: bool
    relax_integers: bool
    blocks: tuple[Block, ...]
    individual_costs: pd.Series | None = None
    schedule: xr.Dataset | None = None
    build_time_s: float = 0.0
    options: Any = None

    @property
    def is_milp(self) -> bool:
        """Whether the model has binary variables."""
        return self.context.is_milp


def aggregation_blockers(inputs: ModelInputs, mode: str) -> list[str]:
    """Reasons the exact free-pool aggregation cannot be used (empty list = it can)."""
    reasons = []
    if mode != "collective":
        reasons.append(f"mode is {mode!r}, not 'collective'")
    if inputs.exchange != "pool":
        reasons.append(f"exchange is {inputs.exchange!r}, not 'pool'")
    if inputs.pool_fee_per_kwh != 0:
        reasons.append(f"pool_fee_per_kwh is {inputs.pool_fee_per_kwh}")
    if inputs.pool_loss != 0:
        reasons.append(f"pool_loss is {inputs.pool_loss}")
    g = inputs.grid
    if np.isfinite(g["import_limit_kw"]).any() or np.isfinite(g["export_limit_kw"]).any():
        reasons.append("some member has a grid import or export limit")
    if g["binary"].any():
        reasons.append("some member has a grid direction binary")
    if g["kva"].notna().any() or g["min_power_factor"].notna().any():
        reasons.append("some member has a kVA or power-factor limit")
    if inputs.poi is not None and (np.isfinite(inputs.poi.kva)
                                   or np.isfinite(inputs.poi.min_power_factor)):
        reasons.append("the POI has a kVA or power-factor limit")
    return reasons


def battery_classes(inputs: ModelInputs) -> tuple[ModelInputs, dict[str, tuple[str, float]] | None]:
    """Merge members' batteries that behave alike into one battery per class (free pool only).

    Under the exact free-pool aggregation only the community's sum of battery flows enters the
    balance. Batteries with the same charge and discharge C-rates, efficiencies, SOC fractions and
    wear cost then act as one battery of the summed energy and power: any schedule of the merged
    battery splits back exactly in proportion to energy (power limits, SOC bounds and the start
    and end SOC all scale with it). Binary, inverter-limited, reserve-providing and shared
    batteries are kept as they are.

    Returns
    -------
    (ModelInputs, dict or None)
        Inputs with the merged batteries, and ``{battery: (class, energy share)}`` for every
        merged battery (``None`` when nothing merges).
    """
    b = inputs.batteries
    if b.empty or not inputs.reserves.empty:
        return inputs, None
    shared = set(inputs.battery_shares.index) if inputs.battery_shares is not None else set()
    energy = b["energy_kwh"].to_numpy(dtype=float)
    eligible = ((b["owner"] != COMMUNITY).to_numpy() & ~b["binary"].to_numpy(dtype=bool)
                & b["pcs_kva"].isna().to_numpy() & (energy > 0)
                & ~b.index.isin(list(shared)))
    if eligible.sum() < 2:
        return inputs, None
    safe = np.where(energy > 0, energy, 1.0)
    key = pd.DataFrame({
        "charge_rate": np.round(b["charge_kw"].to_numpy(dtype=float) / safe, 12),
        "discharge_rate": np.round(b["discharge_kw"].to_numpy(dtype=float) / safe, 12),
        **{c: b[c].to_numpy(dtype=float).round(12) for c in (
            "charge_efficiency", "discharge_efficiency", "soc_min", "soc_max", "soc_initial",
            "degradation_cost_per_kwh")},
        "soc_final": b["soc_final"].fillna(-1.0).to_numpy(dtype=float).round(12),
    }, index=b.index)[eligible]
    groups = key.groupby(list(key.columns), sort=False).groups
    if all(len(members) < 2 for members in groups.values()):
        return inputs, None
    rows, mapping = [], {}
    for k, names in enumerate(groups.values()):
        if len(names) < 2:
            continue
        part = b.loc[list(names)]
        total = float(part["energy_kwh"].sum())
        merged = part.iloc[0].copy()
        merged["energy_kwh"] = total
        merged["charge_kw"] = float(part["charge_kw"].sum())
        merged["discharge_kw"] = float(part["discharge_kw"].sum())
        name = f"battery_class_{k}"
        rows.append(merged.rename(name))
        for battery, e in part["energy_kwh"].items():
            mapping[str(battery)] = (name, float(e) / total)
    kept = b.loc[[i for i in b.index if str(i) not in mapping]]
    table = pd.concat([kept, pd.DataFrame(rows)]).astype(b.dtypes.to_dict())
    from dataclasses import replace

    return replace(inputs, batteries=table), mapping


def _big_m(inputs: ModelInputs) -> float:
    """A bound on any power flow in the community, kW (for direction binaries)."""
    per_member = (inputs.load_kw.max("time") + (inputs.pv_kw + inputs.wind_kw).max("time")).sum()
    b, g = inputs.batteries, inputs.generators
    total = float(per_member) + float(b["charge_kw"].sum() + b["discharge_kw"].sum())
    total += float(g["capacity_kw"].sum())
    if len(inputs.flexible):
        cap = inputs.flexible["max_shift_kw"].to_numpy(dtype=float)
        total += float(np.nan_to_num(cap, nan=0.0).sum())
        total += float(inputs.load_kw.sum("member").max())
    return max(1.0, 1.01 * total)


def _sum_terms(terms: list[Any]) -> Any:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def build_model(inputs: ModelInputs, mode: str = "collective", *,
                schedule: Any = None, relax_integers: bool = False,
                blocks: tuple[Block, ...] = DEFAULT_BLOCKS, aggregate: bool | None = None,
                options: Any = None, elastic: bool = False,
                individual_costs: pd.Series | None = None) -> CommunityModel:
    """Build the community model for ``mode``.

    Parameters
    ----------
    inputs : ModelInputs
        Numeric inputs (kW, kWh, currency/kWh).
    mode : {"individual", "collective", "collective_fair", "post_delivery"}
        See the module docstring.
    schedule : Result or xarray.Dataset, optional
        Dispatch to hold fixed in ``post_delivery`` mode (default: the individual optimum).
    relax_integers : bool
        Replace every binary by a continuous variable in [0, 1].
    blocks : tuple of Block
        The blocks to assemble; :data:`DEFAULT_BLOCKS` by default.
    aggregate : bool or None
        Use the exact free-pool aggregation: ``None`` = whenever it applies, ``True`` = require
        it (``ValueError`` naming the blocker otherwise), ``False`` = never.
    options : SolveOptions, optional
        Used for the stage-one solves of ``collective_fair`` and ``post_delivery``.
    elastic : bool
        Give every constraint family penalised slacks (used to locate infeasibility).
    individual_costs : pandas.Series, optional
        Stage-one member costs for ``collective_fair`` when already known, currency.

    Returns
    -------
    CommunityModel

    Examples
    --------
    >>> from gridshare.model import ModelInputs
    >>> cm = build_model(ModelInputs.from_arrays([[1.0, 1.0]]), "individual")
    >>> sorted(cm.model.constraints)
    ['power_balance']
    """
    started = _time.perf_counter()
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
    inputs.validate()
    collective = mode != "individual"
    community_assets = (inputs.batteries["owner"] == COMMUNITY).to_numpy().copy()
    if inputs.battery_shares is not None:
        community_assets &= ~inputs.batteries.index.isin(list(inputs.battery_shares.index))
    has_central = bool(community_assets.any()) or bool(
        (inputs.generators["owner"] == COMMUNITY).any())
    if collective and has_central and inputs.exchange != "pool":
        raise ValueError(f"community-owned assets sit on the pool bus, but exchange is "
                         f"{inputs.exchange!r}; use exchange='pool' or give the assets an owner")
    blockers = aggregation_blockers(inputs, mode)
    if aggregate is None:
        aggregate = not blockers and len(inputs.members) > 1
    elif aggregate and blockers:
        raise ValueError("aggregate=True but the free-pool aggregation is not exact here: "
                         + "; ".join(blockers))
    if mode == "collective_fair" and individual_costs is None:
        individual_costs = _stage_one(inputs, relax_integers, blocks, options).costs["total"]
    if mode == "post_delivery":
        if schedule is None:
            schedule = _stage_one(inputs, relax_integers, blocks, options).solution
        elif hasattr(schedule, "solution"):
            schedule = schedule.solution
    grid, poi = inputs.grid, inputs.poi
    reactive = bool(grid["kva"].notna().any() or grid["min_power_factor"].notna().any()) or (
        poi is not None and (np.isfinite(poi.kva) or np.isfinite(poi.min_power_factor)))
    model_inputs, classes = (battery_classes(inputs) if aggregate and not elastic
                             else (inputs, None))
    ctx = BuildContext(model=linopy.Model(), inputs=model_inputs, mode=mode,
                       aggregate=bool(aggregate), relax_integers=relax_integers, elastic=elastic,
                       reactive=reactive, big_m_kw=_big_m(inputs))
    ctx.extra["battery_classes"] = classes
    active = tuple(b for b in blocks if b.applies(inputs, mode))
    for block in active:
        block.add_variables(ctx)
    for block in active:
        block.add_constraints(ctx)
    for block in active:
        block.finalize(ctx)
    _add_balance(ctx)
    member_costs = {k: _sum_terms(v) for k, v in ctx.member_costs.items()}
    community_costs = {k: _sum_terms(v) for k, v in ctx.community_costs.items()}
    if mode == "collective_fair":
        _add_fairness(ctx, member_costs, community_costs, individual_costs)
    if mode == "post_delivery":
        _fix_schedule(ctx, schedule)
    objective = [e.sum() for e in member_costs.values()] + list(community_costs.values())
    objective += ctx.objective_extra
    if not objective:
        objective = [0 * ctx.model.variables[next(iter(ctx.model.variables))].sum()]
    ctx.model.add_objective(_sum_terms(objective))
    return CommunityModel(model=ctx.model, inputs=inputs, mode=mode, member_costs=member_costs,
                          community_costs=community_costs, context=ctx, aggregate=bool(aggregate),
                          relax_integers=relax_integers, blocks=tuple(blocks),
                          individual_costs=individual_costs, schedule=schedule,
                          build_time_s=_time.perf_counter() - started, options=options)


def _stage_one(inputs, relax_integers, blocks, options):
    from dataclasses import replace

    from gridshare.model.solve import SolveOptions, solve

    alone = build_model(inputs, "individual", relax_integers=relax_integers, blocks=blocks)
    # Stage one needs only flows and costs, not shadow prices.
    return solve(alone, replace(options or SolveOptions(), duals=False))


def _add_balance(ctx: BuildContext) -> None:
    net_load = ctx.inputs.load_kw - ctx.inputs.pv_kw - ctx.inputs.wind_kw
    terms = list(ctx.member_supply) + [-1 * t for t in ctx.member_demand]
    if ctx.aggregate:
        lhs = [t.sum("member") for t in terms] + list(ctx.bus_supply)
        lhs += [-1 * t for t in ctx.bus_demand]
        ctx.add_constraints(_sum_terms(lhs), "==", net_load.sum("member"), "community_balance",
                            block="grid", meaning="community supply meets community demand "
                            "(aggregated free pool)")
        return
    if not terms:
        raise ValueError("no block can supply the members' load: add a grid connection block")
    ctx.add_constraints(_sum_terms(terms), "==", net_load, "power_balance", block="grid",
                        asset_dim="member",
                        meaning="each member's supply meets its demand in every step")


def _add_fairness(ctx: BuildContext, member_costs: dict, community_costs: dict,
                  individual_costs: pd.Series) -> None:
    m = ctx.model
    settle = m.add_variables(coords=[ctx.members], name="settlement")
    community_total = _sum_terms(list(community_costs.values())) if community_costs else None
    # Members' settlements pay the community's own costs: the budget balances exactly.
    lhs = settle.sum() if community_total is None else settle.sum() - community_total
    ctx.add_constraints(lhs, "==", 0, "settlement_balance", block="pool",
                        meaning="settlement payments balance the community's budget")
    if community_total is not None:
        community_costs["exchange"] = community_costs.get("exchange", 0) - community_total
    member_costs["exchange"] = (member_costs["exchange"] + settle if "exchange" in member_costs
                                else settle.to_linexpr())
    add_individual_rationality(ctx, _sum_terms(list(member_costs.values())), individual_costs,
                               FAIRNESS_TOLERANCE, block="pool")


def _fix_schedule(ctx: BuildContext, schedule: xr.Dataset) -> None:
    m = ctx.model
    for name in DISPATCH_VARIABLES:
        if name not in m.variables:
            continue
        var = m.variables[name]
        lower, upper = var.lower, var.upper
        if name in schedule:
            given = schedule[name]
            try:
                value = given.reindex({d: var.indexes[d] for d in var.dims}, fill_value=0.0)
            except (KeyError, ValueError) as exc:
                raise ValueError(f"schedule[{name!r}] has dims {given.dims}; the model needs "
                                 f"{var.dims}") from exc
            value = value.transpose(*var.dims)
        else:
            value = xr.zeros_like(lower)  # community assets absent from the schedule stay idle
        value = np.minimum(np.maximum(value, lower), upper)
        if var.attrs.get("binary", False) or name == "gen_on":
            value = np.round(value)
        ctx.fixed[name] = "schedule"
        var.update(lower=value, upper=value)
