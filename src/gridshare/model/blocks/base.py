"""What every block shares: the build context and the small block interface.

A block adds its variables and constraint families to one linopy model, and contributes terms to
the member power balance, the community (pool) bus balance, the reactive-power balance and the
member cost expressions kept in :class:`BuildContext`. The builder sums those contributions once,
so a new asset or rule is one new :class:`Block` subclass added to the block tuple.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from gridshare.model.inputs import COMMUNITY, ModelInputs

MODES = ("individual", "collective", "collective_fair", "post_delivery")
"""Modes of :func:`gridshare.model.build_model`."""

ELASTIC_PENALTY = 1.0e6
"""Cost per unit of slack in the elastic relaxation used to locate infeasibility."""


@dataclass
class Family:
    """A named constraint family: what it means, for explanations and infeasibility reports."""

    name: str
    block: str
    meaning: str
    asset_dim: str | None = None
    elastic_weight: float = 1.0


@dataclass
class BuildContext:
    """Mutable state shared by the blocks while one model is assembled."""

    model: linopy.Model
    inputs: ModelInputs
    mode: str
    aggregate: bool = False
    relax_integers: bool = False
    elastic: bool = False
    member_supply: list[Any] = field(default_factory=list)
    member_demand: list[Any] = field(default_factory=list)
    bus_supply: list[Any] = field(default_factory=list)
    bus_demand: list[Any] = field(default_factory=list)
    member_q: list[Any] = field(default_factory=list)  # kvar drawn from the grid, (member, time)
    bus_q: list[Any] = field(default_factory=list)  # kvar drawn by community assets, (time,)
    member_costs: dict[str, list[Any]] = field(default_factory=dict)
    community_costs: dict[str, list[Any]] = field(default_factory=dict)
    objective_extra: list[Any] = field(default_factory=list)
    families: dict[str, Family] = field(default_factory=dict)
    slacks: dict[str, list[str]] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)
    big_m_kw: float = 0.0
    reactive: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def members(self) -> pd.Index:
        return pd.Index(self.inputs.members, name="member")

    @property
    def time(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.inputs.load_kw["time"].values, name="time")

    @property
    def dt(self) -> float:
        return float(self.inputs.step_hours)

    @property
    def collective(self) -> bool:
        """Whether members may exchange energy and community assets run."""
        return self.mode != "individual"

    @property
    def has_pool(self) -> bool:
        return self.collective and self.inputs.exchange == "pool"

    @property
    def is_milp(self) -> bool:
        return any(self.model.variables[v].attrs.get("binary", False)
                   for v in self.model.variables)

    # --- helpers -------------------------------------------------------------------------
    def binary(self, coords: list[pd.Index], name: str) -> linopy.Variable:
        """A 0/1 variable, or a continuous one in [0, 1] when integers are relaxed."""
        if self.relax_integers:
            return self.model.add_variables(lower=0.0, upper=1.0, coords=coords, name=name)
        return self.model.add_variables(binary=True, coords=coords, name=name)

    def add_constraints(self, lhs: Any, sign: str, rhs: Any, name: str, *, block: str,
                        meaning: str, asset_dim: str | None = None,
                        identity: bool = False) -> linopy.Constraint:
        """Add one named constraint family; in elastic mode give it penalised slacks.

        ``identity`` marks bookkeeping identities (SOC dynamics, commitment logic): their slacks
        cost ten times more, so an infeasibility is reported on the requirement that cannot be
        met (a final SOC, a limit) rather than on the physics.
        """
        weight = 10.0 if identity else 1.0
        self.families[name] = Family(name, block, meaning, asset_dim, weight)
        if self.elastic:
            lhs = _as_expression(lhs, self.model)
            coords = [lhs.indexes[d] if d in lhs.indexes else pd.RangeIndex(lhs.sizes[d], name=d)
                      for d in lhs.coord_dims]
            names = []
            if sign in ("<=", "=="):
                s = self.model.add_variables(lower=0.0, coords=coords or None,
                                             name=f"slack_low__{name}")
                lhs = lhs - s
                names.append(s.name)
            if sign in (">=", "=="):
                s = self.model.add_variables(lower=0.0, coords=coords or None,
                                             name=f"slack_high__{name}")
                lhs = lhs + s
                names.append(s.name)
            self.slacks[name] = names
            for n in names:
                self.objective_extra.append(ELASTIC_PENALTY * weight
                                            * self.model.variables[n].sum())
        return self.model.add_constraints(lhs, sign, rhs, name=name)

    def add_member_cost(self, component: str, expr: Any) -> None:
        """Add a per-member cost term (dims ``member``; currency over the horizon)."""
        self.member_costs.setdefault(component, []).append(expr)

    def add_community_cost(self, component: str, expr: Any) -> None:
        """Add a cost borne by the community as a whole (scalar expression)."""
        self.community_costs.setdefault(component, []).append(expr)


def _as_expression(obj: Any, model: linopy.Model) -> linopy.LinearExpression:
    if isinstance(obj, linopy.Variable):
        return obj.to_linexpr()
    return obj


class Block:
    """One asset or rule of the community model.

    Subclasses set :attr:`name` and override :meth:`applies`, :meth:`add_variables` and
    :meth:`add_constraints`; in those they add balance and cost contributions to the context.
    """

    name = "block"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        """Whether the block has anything to model for these inputs and mode."""
        return True

    def add_variables(self, ctx: BuildContext) -> None:
        """Create the block's variables (named, labelled by member/asset and time)."""

    def add_constraints(self, ctx: BuildContext) -> None:
        """Add the block's constraint families and its balance and cost contributions."""

    def finalize(self, ctx: BuildContext) -> None:
        """Add families that need every block's contributions (bus balances, reactive power)."""


def add_individual_rationality(ctx: BuildContext, total: Any, individual_costs: pd.Series,
                               tolerance: float, block: str) -> linopy.Constraint:
    """``individual_rationality``: each member's cost at most its cost alone (+ a tolerance).

    ``total`` is the members' cost expression (dim ``member``); the cap is
    ``alone + tolerance * (1 + |alone|)``, currency.
    """
    alone = individual_costs.reindex(list(ctx.members)).to_numpy(dtype=float)
    if np.isnan(alone).any():
        raise ValueError("individual_costs must give every member's cost alone")
    cap = xr.DataArray(alone + tolerance * (1 + np.abs(alone)), dims="member",
                       coords={"member": ctx.members})
    return ctx.add_constraints(total, "<=", cap, "individual_rationality", block=block,
                               asset_dim="member", meaning="no member pays more than it would alone")


# --- small labelled-array helpers shared by blocks --------------------------------------------

def lagged(expr: Any, steps: int = 1) -> linopy.LinearExpression:
    """``expr`` shifted ``steps`` later along time; before the first step it is 0."""
    if isinstance(expr, linopy.Variable):
        expr = expr.to_linexpr()
    return expr.shift(time=steps).fillna(0)


def by_member(expr: Any, owner: xr.DataArray, members: pd.Index) -> linopy.LinearExpression:
    """Sum an asset-level expression over the assets of each member, on the full member index.

    ``owner`` has the asset dim and the member name of each asset; members without assets get an
    empty (zero) expression.
    """
    if isinstance(expr, linopy.Variable):
        expr = expr.to_linexpr()
    owner = owner.rename("member")
    grouped = expr.groupby(owner).sum()
    return grouped.reindex(member=members).fillna(0)


def asset_index(table: pd.DataFrame, dim: str) -> pd.Index:
    return pd.Index([str(i) for i in table.index], name=dim)


def asset_param(table: pd.DataFrame, column: str, dim: str) -> xr.DataArray:
    """One table column as a DataArray along the asset dim."""
    return xr.DataArray(table[column].to_numpy(), dims=dim,
                        coords={dim: asset_index(table, dim)})


def member_owned(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["owner"] != COMMUNITY]


def community_owned(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["owner"] == COMMUNITY]


def polygon(sides: int) -> tuple[xr.DataArray, xr.DataArray, float]:
    """Normals of a regular polygon inscribed in the unit circle, and its apothem.

    ``cos * P + sin * Q <= apothem * S`` for every side keeps (P, Q) inside the polygon, hence
    inside the circle of radius S: the linearised limit is never exceeded.
    """
    angles = 2 * np.pi * np.arange(sides) / sides
    side = pd.RangeIndex(sides, name="side")
    cos = xr.DataArray(np.cos(angles), dims="side", coords={"side": side})
    sin = xr.DataArray(np.sin(angles), dims="side", coords={"side": side})
    return cos, sin, float(np.cos(np.pi / sides))
