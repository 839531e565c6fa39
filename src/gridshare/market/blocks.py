"""Model blocks for local-market pricing and the REC operating rules.

Each is a :class:`gridshare.model.blocks.base.Block` passed to
:func:`gridshare.model.build_model` through ``blocks=DEFAULT_BLOCKS + (...)``:

- :class:`LemOpportunityBlock`: in ``individual`` mode, every member may also buy from and sell
  to the local market at a given price per step (the iterative pricing algorithm);
- :class:`WholesaleBlock`: the community as a whole buys and sells on a wholesale market through
  the pool bus, beside each member's retail contract;
- :class:`ContractedPowerBlock`: each member's import above its contracted power costs a
  penalty per kW of the highest excess;
- :class:`PoolAllocationLimitBlock`: switches off the default that a member may receive more
  from the community than it consumes (the rest being exported through its retail contract);
- :class:`IndividualRationalityBlock`: budget-balanced payments with no member paying more than
  alone, for ``post_delivery`` (the core's ``collective_fair`` does this pre-delivery).

Variables are in kW per step; costs in currency over the horizon.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gridshare.model.blocks.base import (
    Block,
    BuildContext,
    add_individual_rationality,
    by_member,
    member_owned,
)
from gridshare.model.inputs import ModelInputs


def _per_step(values: Any, ctx: BuildContext, name: str) -> xr.DataArray:
    arr = np.broadcast_to(np.asarray(values, dtype=float), (len(ctx.time),))
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite currency/kWh per step; got {arr[:5].tolist()}")
    return xr.DataArray(arr, dims="time", coords={"time": ctx.time})


def _member_capacity(inputs: ModelInputs, table: pd.DataFrame, column: str,
                     members: pd.Index) -> xr.DataArray:
    own = member_owned(table)
    per = own.groupby("owner")[column].sum() if len(own) else pd.Series(dtype=float)
    return xr.DataArray(per.reindex(members).fillna(0.0).to_numpy(dtype=float), dims="member",
                        coords={"member": members})


def _sum(terms: list[Any]) -> Any:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


class LemOpportunityBlock(Block):
    """Buy from / sell to the local market at ``price_per_kwh`` (individual mode).

    Purchases are bounded by the member's load plus its batteries' charge rating, sales by its
    generation plus its batteries' discharge rating and generators, so a price outside a
    member's tariff cannot create an unbounded grid-to-market arbitrage.

    Parameters
    ----------
    price_per_kwh : array_like
        Local-market price per step, currency/kWh.
    fee_per_kwh : float
        Grid-access fee per kWh bought in the local market, currency/kWh.
    """

    name = "lem_opportunity"

    def __init__(self, price_per_kwh: Any, fee_per_kwh: float = 0.0) -> None:
        self.price_per_kwh = np.asarray(price_per_kwh, dtype=float)
        self.fee_per_kwh = float(fee_per_kwh)

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return mode == "individual"

    def add_variables(self, ctx: BuildContext) -> None:
        inputs, members = ctx.inputs, ctx.members
        charge = _member_capacity(inputs, inputs.batteries, "charge_kw", members)
        discharge = _member_capacity(inputs, inputs.batteries, "discharge_kw", members)
        gen = _member_capacity(inputs, inputs.generators, "capacity_kw", members)
        zeros = xr.zeros_like(inputs.load_kw)
        ctx.model.add_variables(lower=zeros, upper=inputs.load_kw + charge, name="lem_buy")
        ctx.model.add_variables(lower=zeros, upper=inputs.pv_kw + inputs.wind_kw + discharge + gen,
                                name="lem_sell")

    def add_constraints(self, ctx: BuildContext) -> None:
        buy, sell = ctx.model.variables["lem_buy"], ctx.model.variables["lem_sell"]
        price = _per_step(self.price_per_kwh, ctx, "price_per_kwh")
        ctx.member_supply.append(buy)
        ctx.member_demand.append(sell)
        cost = ((price + self.fee_per_kwh) * buy - price * sell) * ctx.dt
        ctx.add_member_cost("exchange", cost.sum("time"))


class WholesaleBlock(Block):
    """The community buys and sells on a wholesale market through the pool bus.

    Parameters
    ----------
    buy_price, sell_price : array_like
        Wholesale prices per step, currency/kWh (the community pays ``buy_price`` and receives
        ``sell_price``).
    limit_kw : float, optional
        Most the community may buy or sell per step, kW (default: the model's bound on any flow).
    """

    name = "wholesale"

    def __init__(self, buy_price: Any, sell_price: Any, limit_kw: float | None = None) -> None:
        self.buy_price = np.asarray(buy_price, dtype=float)
        self.sell_price = np.asarray(sell_price, dtype=float)
        if limit_kw is not None and not limit_kw >= 0:
            raise ValueError(f"limit_kw must be >= 0 kW or None; got {limit_kw}")
        self.limit_kw = limit_kw

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return mode != "individual" and inputs.exchange == "pool"

    def add_variables(self, ctx: BuildContext) -> None:
        limit = ctx.big_m_kw if self.limit_kw is None else self.limit_kw
        for name in ("wholesale_buy", "wholesale_sell"):
            ctx.model.add_variables(lower=0.0, upper=limit, coords=[ctx.time], name=name)

    def add_constraints(self, ctx: BuildContext) -> None:
        buy, sell = ctx.model.variables["wholesale_buy"], ctx.model.variables["wholesale_sell"]
        ctx.bus_supply.append(buy)
        ctx.bus_demand.append(sell)
        pb = _per_step(self.buy_price, ctx, "wholesale buy_price")
        ps = _per_step(self.sell_price, ctx, "wholesale sell_price")
        ctx.add_community_cost("import", ((pb * buy - ps * sell) * ctx.dt).sum())


class ContractedPowerBlock(Block):
    """Import above each member's contracted power pays ``penalty_per_kw`` on the worst excess.

    Parameters
    ----------
    contracted_kw : mapping or pandas.Series
        Contracted power of each member, kW (members left out have no limit).
    penalty_per_kw : float
        Currency per kW of the largest excess over the horizon.
    """

    name = "contracted_power"

    def __init__(self, contracted_kw: Any, penalty_per_kw: float) -> None:
        self.contracted_kw = pd.Series(contracted_kw, dtype=float)
        if (self.contracted_kw < 0).any() or not penalty_per_kw >= 0:
            raise ValueError("contracted_kw must be >= 0 kW and penalty_per_kw >= 0; got "
                             f"{self.contracted_kw.to_dict()} and {penalty_per_kw}")
        self.penalty_per_kw = float(penalty_per_kw)

    def _members(self, ctx: BuildContext) -> pd.Index:
        unknown = sorted(set(self.contracted_kw.index) - set(ctx.members))
        if unknown:
            raise ValueError(f"contracted_kw names unknown members {unknown}; members are "
                             f"{list(ctx.members)}")
        return pd.Index([m for m in ctx.members if m in self.contracted_kw.index], name="member")

    def add_variables(self, ctx: BuildContext) -> None:
        if ctx.aggregate:
            raise ValueError("ContractedPowerBlock needs each member's import: build the model "
                             "with aggregate=False")
        ctx.model.add_variables(lower=0.0, coords=[self._members(ctx)], name="power_excess")

    def add_constraints(self, ctx: BuildContext) -> None:
        members = self._members(ctx)
        excess = ctx.model.variables["power_excess"]
        imp = ctx.model.variables["grid_import"].sel(member=members)
        limit = xr.DataArray(self.contracted_kw.reindex(members).to_numpy(), dims="member",
                             coords={"member": members})
        ctx.add_constraints(imp - excess, "<=", limit, "contracted_power", block=self.name,
                            asset_dim="member",
                            meaning="import stays within contracted power plus the excess paid")
        cost = (self.penalty_per_kw * excess).reindex(member=ctx.members).fillna(0)
        ctx.add_member_cost("import", cost)  # a grid-contract cost


class PoolAllocationLimitBlock(Block):
    """A member receives from the community no more than it consumes (load plus charging)."""

    name = "pool_allocation_limit"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return mode != "individual" and inputs.exchange in ("pool", "bilateral")

    def add_constraints(self, ctx: BuildContext) -> None:
        m = ctx.model
        if ctx.aggregate:
            raise ValueError("PoolAllocationLimitBlock needs each member's pool purchase: build "
                             "the model with aggregate=False")
        if "pool_buy" in m.variables:
            received = m.variables["pool_buy"].to_linexpr()
        else:
            keep = 1.0 - ctx.inputs.bilateral_loss
            received = (keep * m.variables["trade"]).sum("seller").rename(buyer="member")
        rhs_terms = []
        if "battery_charge" in m.variables:
            charge = m.variables["battery_charge"]
            owners = ctx.inputs.batteries.loc[list(charge.indexes["battery"]), "owner"]
            mine = owners[owners.isin(list(ctx.members))]
            if len(mine):
                sub = charge.sel(battery=list(mine.index))
                owner = xr.DataArray(mine.to_numpy().astype(object), dims="battery",
                                     coords={"battery": list(mine.index)})
                rhs_terms.append(by_member(sub, owner, ctx.members))
        lhs = received - _sum(rhs_terms) if rhs_terms else received
        ctx.add_constraints(lhs, "<=", ctx.inputs.load_kw, "pool_allocation_limit",
                            block=self.name, asset_dim="member",
                            meaning="energy allocated from the community stays within the "
                                    "member's own consumption")


class IndividualRationalityBlock(Block):
    """Budget-balanced payments with every member at most at its cost alone (post-delivery).

    Parameters
    ----------
    individual_costs : pandas.Series
        Each member's cost alone, currency.
    """

    name = "individual_rationality"

    def __init__(self, individual_costs: pd.Series, tolerance: float = 1e-7) -> None:
        self.individual_costs = individual_costs
        self.tolerance = tolerance

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return mode == "post_delivery"

    def finalize(self, ctx: BuildContext) -> None:
        m = ctx.model
        settle = m.add_variables(coords=[ctx.members], name="settlement")
        community = [t for terms in ctx.community_costs.values() for t in terms]
        lhs = settle.sum() - _sum(community) if community else settle.sum()
        ctx.add_constraints(lhs, "==", 0, "settlement_balance", block=self.name,
                            meaning="settlement payments balance the community's budget")
        if community:
            ctx.add_community_cost("exchange", -1 * _sum(community))
        ctx.add_member_cost("exchange", settle)
        total = _sum([t for terms in ctx.member_costs.values() for t in terms])
        add_individual_rationality(ctx, total, self.individual_costs, self.tolerance,
                                   block=self.name)
