"""Energy exchange between members: a community pool or bilateral trades.

Pool: ``(1 - pool_loss) * sum(pool_sell) + community supply = sum(pool_buy) + community demand``
per step (family ``pool_balance``), a fee per kWh bought. Bilateral: ``trade[seller, buyer, t]``
within per-pair limits, a fee per kWh paid by the buyer, ``bilateral_loss`` lost in transit.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from gridshare.model.blocks.base import Block, BuildContext
from gridshare.model.inputs import ModelInputs


def _sum(terms, zero):
    total = zero
    for term in terms:
        total = total + term
    return total


class PoolBlock(Block):
    name = "pool"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return mode != "individual" and inputs.exchange == "pool"

    def add_variables(self, ctx: BuildContext) -> None:
        if ctx.aggregate:
            return
        zeros = xr.zeros_like(ctx.inputs.load_kw)
        ctx.model.add_variables(lower=zeros, name="pool_buy")
        ctx.model.add_variables(lower=zeros, name="pool_sell")

    def add_constraints(self, ctx: BuildContext) -> None:
        if ctx.aggregate:
            return
        buy, sell = ctx.model.variables["pool_buy"], ctx.model.variables["pool_sell"]
        ctx.member_supply.append(buy)
        ctx.member_demand.append(sell)
        if ctx.inputs.pool_fee_per_kwh:
            ctx.add_member_cost("exchange",
                                (ctx.inputs.pool_fee_per_kwh * ctx.dt * buy).sum("time"))

    def finalize(self, ctx: BuildContext) -> None:
        if ctx.aggregate:
            return  # the builder writes the single community balance instead
        buy, sell = ctx.model.variables["pool_buy"], ctx.model.variables["pool_sell"]
        keep = 1.0 - ctx.inputs.pool_loss
        lhs = keep * sell.sum("member") - buy.sum("member")
        lhs = _sum(ctx.bus_supply, lhs)
        for term in ctx.bus_demand:
            lhs = lhs - term
        ctx.add_constraints(lhs, "==", 0, "pool_balance", block=self.name,
                            meaning="energy sold to the pool, less losses, equals energy bought")


class BilateralBlock(Block):
    name = "bilateral"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return mode != "individual" and inputs.exchange == "bilateral"

    def add_variables(self, ctx: BuildContext) -> None:
        members = list(ctx.members)
        n = len(members)
        limit = ctx.inputs.bilateral_limit_kw
        lim = np.full((n, n), np.inf) if limit is None else (
            limit.sel(seller=members, buyer=members).values.astype(float))
        lim = np.where(np.eye(n, dtype=bool), 0.0, lim)  # nobody trades with itself
        upper = xr.DataArray(lim, dims=("seller", "buyer"),
                             coords={"seller": members, "buyer": members})
        zero = xr.DataArray(np.zeros((n, n, len(ctx.time))), dims=("seller", "buyer", "time"),
                            coords={"seller": members, "buyer": members, "time": ctx.time})
        ctx.model.add_variables(lower=zero, upper=zero + upper, name="trade")

    def add_constraints(self, ctx: BuildContext) -> None:
        trade = ctx.model.variables["trade"]
        keep = 1.0 - ctx.inputs.bilateral_loss
        ctx.member_demand.append(trade.sum("buyer").rename(seller="member"))
        ctx.member_supply.append((keep * trade).sum("seller").rename(buyer="member"))
        fee = ctx.inputs.bilateral_fee_per_kwh
        if fee is not None and bool(np.any(fee.values)):
            members = list(ctx.members)
            fee = fee.sel(seller=members, buyer=members)
            ctx.add_member_cost("exchange", (fee * trade * ctx.dt).sum(["seller", "time"])
                                .rename(buyer="member"))
