"""Blocks the data-centre dispatch adds to the core model.

Each is a :class:`~gridshare.model.blocks.base.Block` carrying its own parameters, so it is
passed as ``build_model(inputs, blocks=DEFAULT_BLOCKS + (...))`` and rebuilt unchanged for the
fixed-integer dual solve.

- :class:`LoadCurtailmentBlock` -- curtailable load reduced at a price (family
  ``load_curtailment_limit`` is the variable bound; cost ``curtailment``).
- :class:`SocReserveFloorBlock` -- the ride-through floor: stored energy minus the energy that
  backs every up reserve stays above ``floor_kwh`` (family ``soc_reserve_floor``), so neither
  energy arbitrage nor ancillary services can use it.
- :class:`NMinusOneBlock` -- losing any one source (the grid, the battery or a running unit)
  leaves enough capacity for the critical load (families ``n_minus_1_source`` and
  ``n_minus_1_generator``).
- :class:`SymmetricReserveBlock` -- a symmetric product (PJM regulation) is modelled as an up
  and a down product held at the same MW (family ``reserve_symmetric``).
- :class:`IdenticalUnitsBlock` -- among identical units the first is on whenever the next is
  (family ``unit_order``): removes equivalent commitments without changing the optimum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import pandas as pd
import xarray as xr

from gridshare.model.blocks.base import Block, BuildContext, asset_param
from gridshare.model.blocks.battery import physical_batteries
from gridshare.model.blocks.generator import active_generators, commitment_expressions
from gridshare.model.inputs import ModelInputs


def _time_array(values: np.ndarray, ctx: BuildContext) -> xr.DataArray:
    return xr.DataArray(np.asarray(values, dtype=float), dims="time", coords={"time": ctx.time})


@dataclass(eq=False)
class LoadCurtailmentBlock(Block):
    """Curtailable load of one member, ``0 .. curtailable_kw``, at ``cost_per_kwh``."""

    member: str
    curtailable_kw: np.ndarray
    cost_per_kwh: float
    name: str = "load_curtailment"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return bool(np.any(np.asarray(self.curtailable_kw) > 0))

    def add_variables(self, ctx: BuildContext) -> None:
        upper = _time_array(self.curtailable_kw, ctx)
        ctx.model.add_variables(lower=0 * upper, upper=upper, name="load_curtail")

    def add_constraints(self, ctx: BuildContext) -> None:
        c = ctx.model.variables["load_curtail"]
        one = xr.DataArray((ctx.members == self.member).astype(float), dims="member",
                           coords={"member": ctx.members})
        ctx.member_supply.append(one * c)
        ctx.add_member_cost("curtailment", one * (self.cost_per_kwh * ctx.dt * c).sum("time"))


@dataclass(eq=False)
class SocReserveFloorBlock(Block):
    """Stored energy less up-reserve backing stays at or above ``floor_kwh`` (per step)."""

    battery: str
    floor_kwh: np.ndarray
    name: str = "soc_reserve"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return self.battery in set(physical_batteries(inputs, mode).index)

    def add_constraints(self, ctx: BuildContext) -> None:
        m = ctx.model
        soc = m.variables["battery_soc"].sel(battery=self.battery)
        lhs = soc.to_linexpr()
        rs = ctx.inputs.reserves
        if "reserve_battery" in m.variables and len(rs):
            products = pd.Index([str(i) for i in rs.index], name="product")
            up = xr.DataArray((rs["direction"] == "up").to_numpy(dtype=float)
                              * rs["duration_h"].to_numpy(dtype=float), dims="product",
                              coords={"product": products})
            eta = float(ctx.inputs.batteries.loc[self.battery, "discharge_efficiency"])
            r = m.variables["reserve_battery"].sel(battery=self.battery)
            lhs = lhs - (r * up).sum("product") / eta
        ctx.add_constraints(lhs, ">=", _time_array(self.floor_kwh, ctx), "soc_reserve_floor",
                            block=self.name, meaning="stored energy less the energy backing up "
                            "reserves stays above the ride-through floor")


@dataclass(eq=False)
class NMinusOneBlock(Block):
    """N-1 firm capacity for the critical load.

    Sources are the grid (``grid_kw``, 0 when not counted), the battery (``battery_kw``) and
    each running unit (capacity x on). For every source k, the others together carry
    ``critical_kw``.
    """

    critical_kw: np.ndarray
    grid_kw: float
    battery_kw: float
    name: str = "n_minus_1"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return len(active_generators(inputs, mode)) > 0

    def add_constraints(self, ctx: BuildContext) -> None:
        g = active_generators(ctx.inputs, ctx.mode)
        on, _, _ = commitment_expressions(ctx)
        cap = asset_param(g, "capacity_kw", "generator")
        running = cap * on
        total = running.sum("generator")
        crit = _time_array(self.critical_kw, ctx)
        # Losing the grid or the battery: the rest, including running units, carry the load.
        other = min(self.grid_kw, self.battery_kw)
        ctx.add_constraints(total, ">=", crit - other, "n_minus_1_source", block=self.name,
                            meaning="after losing the grid or the battery, running units and "
                            "the other source carry the critical load")
        ctx.add_constraints(total - running, ">=", crit - self.grid_kw - self.battery_kw,
                            "n_minus_1_generator", block=self.name, asset_dim="generator",
                            meaning="after losing any running unit, the rest carry the "
                            "critical load")


@dataclass(eq=False)
class SymmetricReserveBlock(Block):
    """Hold each (up, down) product pair at the same MW on every provider."""

    pairs: list[tuple[str, str]] = field(default_factory=list)
    name: str = "symmetric_reserve"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return bool(self.pairs)

    def add_constraints(self, ctx: BuildContext) -> None:
        for var in ("reserve_battery", "reserve_generator"):
            if var not in ctx.model.variables:
                continue
            r = ctx.model.variables[var]
            for up, down in self.pairs:
                ctx.add_constraints(r.sel(product=up, drop=True) - r.sel(product=down, drop=True), "==", 0,
                                    f"reserve_symmetric_{var.split('_')[1]}_{up}",
                                    block=self.name, meaning="a symmetric product holds the "
                                    "same MW up and down")


@dataclass(eq=False)
class IdenticalUnitsBlock(Block):
    """Order the commitment of identical units: ``on[a] >= on[b]`` for consecutive twins."""

    groups: list[list[str]] = field(default_factory=list)
    name: str = "unit_order"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return any(len(gr) > 1 for gr in self.groups)

    def add_constraints(self, ctx: BuildContext) -> None:
        if "gen_on" not in ctx.model.variables:
            return
        u = ctx.model.variables["gen_on"]
        pairs = [pair for gr in self.groups for pair in pairwise(gr)]
        first, second = [a for a, _ in pairs], [b for _, b in pairs]
        if not first:
            return
        # A (pair, generator) weight matrix keeps this one vectorised family.
        gens = u.indexes["generator"]
        weights = np.zeros((len(first), len(gens)))
        for row, (a, b) in enumerate(zip(first, second, strict=True)):
            weights[row, gens.get_loc(a)] = 1.0
            weights[row, gens.get_loc(b)] = -1.0
        w = xr.DataArray(weights, dims=("unit_pair", "generator"),
                         coords={"unit_pair": pd.RangeIndex(len(first), name="unit_pair"),
                                 "generator": gens})
        diff = (u * w).sum("generator")
        ctx.add_constraints(diff, ">=", 0, "unit_order", block=self.name,
                            meaning="identical units are committed in order")


def identical_unit_groups(generators: pd.DataFrame) -> list[list[str]]:
    """Names of units with identical parameters, grouped (groups of one left out).

    Examples
    --------
    >>> t = pd.DataFrame({"capacity_kw": [1.0, 1.0, 2.0]}, index=["a", "b", "c"])
    >>> identical_unit_groups(t)
    [['a', 'b']]
    """
    if not len(generators):
        return []
    cols = [c for c in generators.columns if c != "owner"]
    keys = [repr(tuple(row)) for row in generators[cols].itertuples(index=False)]
    groups: dict[str, list[str]] = {}
    for name, key in zip(generators.index, keys, strict=True):
        groups.setdefault(key, []).append(str(name))
    return [gr for gr in groups.values() if len(gr) > 1]
