"""Reserve products held by batteries and generators.

Headroom: a battery's up reserve is at most its discharge headroom plus the charge it can stop,
``discharge_kw - discharge + charge``; down is ``charge_kw - charge + discharge``. A generator's up
reserve is ``capacity * on - output``, down ``output - min_stable * on``. Energy backing: a battery
holding up reserve ``r`` for ``duration_h`` keeps ``r * duration_h / discharge_efficiency`` kWh
above ``soc_min`` (end-of-step SOC), and room for ``r * duration_h * charge_efficiency`` below
``soc_max`` for down. In collective modes the community must meet each product's requirement.
Capacity revenue is ``price_per_kw * r * step_hours``.
"""

from __future__ import annotations

import pandas as pd
import xarray as xr

from gridshare.model.blocks.base import Block, BuildContext, asset_index, asset_param, by_member
from gridshare.model.blocks.battery import physical_batteries
from gridshare.model.blocks.generator import active_generators, commitment_expressions
from gridshare.model.inputs import COMMUNITY, ModelInputs


class ReserveBlock(Block):
    name = "reserves"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return len(inputs.reserves) > 0 and (
            len(physical_batteries(inputs, mode)) > 0 or len(active_generators(inputs, mode)) > 0
            or not inputs.reserves["requirement_kw"].isna().all())

    def _products(self, ctx: BuildContext) -> pd.Index:
        return pd.Index([str(i) for i in ctx.inputs.reserves.index], name="product")

    def add_variables(self, ctx: BuildContext) -> None:
        m, t, products = ctx.model, ctx.time, self._products(ctx)
        b = physical_batteries(ctx.inputs, ctx.mode)
        g = active_generators(ctx.inputs, ctx.mode)
        if len(b):
            m.add_variables(lower=0.0, coords=[products, asset_index(b, "battery"), t],
                            name="reserve_battery")
        if len(g):
            m.add_variables(lower=0.0, coords=[products, asset_index(g, "generator"), t],
                            name="reserve_generator")

    def add_constraints(self, ctx: BuildContext) -> None:
        m, inputs = ctx.model, ctx.inputs
        rs = inputs.reserves
        products = self._products(ctx)
        is_up = xr.DataArray((rs["direction"] == "up").to_numpy(dtype=float), dims="product",
                             coords={"product": products})
        is_down = 1.0 - is_up
        duration = xr.DataArray(rs["duration_h"].to_numpy(dtype=float), dims="product",
                                coords={"product": products})
        price = xr.DataArray(rs["price_per_kw"].to_numpy(dtype=float), dims="product",
                             coords={"product": products})
        has_up, has_down = bool(is_up.sum() > 0), bool(is_down.sum() > 0)
        provided = []
        if "reserve_battery" in m.variables:
            b, d = physical_batteries(inputs, ctx.mode), "battery"
            r = m.variables["reserve_battery"]
            ch, dis, soc = (m.variables[n] for n in ("battery_charge", "battery_discharge",
                                                      "battery_soc"))
            energy = asset_param(b, "energy_kwh", d)
            if has_up:
                up = (r * is_up).sum("product")
                ctx.add_constraints(up + dis - ch, "<=", asset_param(b, "discharge_kw", d),
                                    "reserve_battery_headroom_up", block=self.name, asset_dim=d,
                                    meaning="up reserve within discharge headroom plus charge")
                backing = (r * is_up * duration).sum("product") / asset_param(
                    b, "discharge_efficiency", d)
                ctx.add_constraints(backing - soc, "<=", -energy * asset_param(b, "soc_min", d),
                                    "reserve_energy_up", block=self.name, asset_dim=d,
                                    meaning="stored energy above soc_min sustains the up reserve")
            if has_down:
                down = (r * is_down).sum("product")
                ctx.add_constraints(down + ch - dis, "<=", asset_param(b, "charge_kw", d),
                                    "reserve_battery_headroom_down", block=self.name, asset_dim=d,
                                    meaning="down reserve within charge headroom plus discharge")
                backing = (r * is_down * duration).sum("product") * asset_param(
                    b, "charge_efficiency", d)
                ctx.add_constraints(backing + soc, "<=", energy * asset_param(b, "soc_max", d),
                                    "reserve_energy_down", block=self.name, asset_dim=d,
                                    meaning="room below soc_max absorbs the down reserve")
            provided.append(r.sum(d))
            self._revenue(ctx, r, b, d, price)
        if "reserve_generator" in m.variables:
            g, d = active_generators(inputs, ctx.mode), "generator"
            r = m.variables["reserve_generator"]
            p = m.variables["gen_power"]
            on, _, _ = commitment_expressions(ctx)
            cap = asset_param(g, "capacity_kw", d)
            min_stable = asset_param(g, "min_stable_kw", d) * asset_param(g, "committable", d)
            if has_up:
                ctx.add_constraints((r * is_up).sum("product") + p - cap * on, "<=", 0,
                                    "reserve_generator_headroom_up", block=self.name,
                                    asset_dim=d, meaning="up reserve within capacity left while on")
            if has_down:
                ctx.add_constraints((r * is_down).sum("product") - p + min_stable * on, "<=", 0,
                                    "reserve_generator_headroom_down", block=self.name,
                                    asset_dim=d, meaning="down reserve within output above min")
            provided.append(r.sum(d))
            self._revenue(ctx, r, g, d, price)
        req = rs["requirement_kw"].to_numpy(dtype=float)
        needed = pd.Index(products[~pd.isna(req)], name="product")
        # After delivery the reserve held is fixed; the requirement was a planning rule.
        if ctx.collective and ctx.mode != "post_delivery" and len(needed):
            if not provided:
                raise ValueError("reserves ask for a requirement but no battery or generator "
                                 "can provide reserve")
            total = provided[0]
            for extra in provided[1:]:
                total = total + extra
            need = xr.DataArray(req[~pd.isna(req)], dims="product", coords={"product": needed})
            ctx.add_constraints(total.sel(product=needed), ">=", need, "reserve_requirement",
                                block=self.name, asset_dim="product",
                                meaning="the community holds its required reserve")

    def _revenue(self, ctx, r, table, d, price) -> None:
        revenue = -(price * r * ctx.dt).sum(["product", "time"])
        owner = asset_param(table, "owner", d)
        idx = asset_index(table, d)
        own = pd.Index(idx[(table["owner"] != COMMUNITY).to_numpy()], name=d)
        central = pd.Index(idx[(table["owner"] == COMMUNITY).to_numpy()], name=d)
        if len(own):
            ctx.add_member_cost("reserve_revenue", by_member(revenue.sel({d: own}),
                                                             owner.sel({d: own}), ctx.members))
        if len(central):
            ctx.add_community_cost("reserve_revenue", revenue.sel({d: central}).sum())
