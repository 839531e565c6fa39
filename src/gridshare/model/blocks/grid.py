"""Grid connection of each member: import, export, limits, prices, direction and kVA/PF limits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from gridshare.model.blocks.base import Block, BuildContext, polygon
from gridshare.model.inputs import ModelInputs


def tariff_groups(inputs: ModelInputs) -> np.ndarray:
    """Index of the tariff group of each member (members with identical price series share one)."""
    prices = np.concatenate([inputs.import_price.values, inputs.export_price.values], axis=1)
    _, inverse = np.unique(prices, axis=0, return_inverse=True)
    return np.asarray(inverse).ravel()


def load_reactive_kvar(inputs: ModelInputs) -> xr.DataArray:
    """Reactive power of each member's load, kvar (lagging), from its power factor."""
    pf = xr.DataArray(inputs.grid["load_power_factor"].to_numpy(), dims="member",
                      coords={"member": inputs.load_kw["member"].values})
    return inputs.load_kw * np.tan(np.arccos(pf))


class GridBlock(Block):
    """Import and export of each member, or of each tariff group when the pool is aggregated."""

    name = "grid"

    def add_variables(self, ctx: BuildContext) -> None:
        m, g, t = ctx.model, ctx.inputs.grid, ctx.time
        if ctx.aggregate:
            groups = tariff_groups(ctx.inputs)
            labels = pd.Index([f"g{i}" for i in range(groups.max() + 1)], name="tariff_group")
            ctx.extra["tariff_group_of_member"] = groups
            m.add_variables(lower=0.0, coords=[labels, t], name="community_import")
            m.add_variables(lower=0.0, coords=[labels, t], name="community_export")
            return
        members = ctx.members
        imp_lim = xr.DataArray(g["import_limit_kw"].to_numpy(), dims="member",
                               coords={"member": members})
        exp_lim = xr.DataArray(g["export_limit_kw"].to_numpy(), dims="member",
                               coords={"member": members})
        zeros = xr.zeros_like(ctx.inputs.load_kw)
        m.add_variables(lower=zeros, upper=zeros + imp_lim, name="grid_import")
        m.add_variables(lower=zeros, upper=zeros + exp_lim, name="grid_export")
        directed = self.direction_members(ctx)
        if len(directed):
            ctx.binary([directed, t], "grid_direction")
        if ctx.reactive:
            m.add_variables(coords=[members, t], name="grid_q")

    @staticmethod
    def direction_members(ctx: BuildContext) -> pd.Index:
        g = ctx.inputs.grid
        # An exact |P| for the power-factor rule needs import and export to exclude each other.
        wanted = g["binary"].to_numpy() | g["min_power_factor"].notna().to_numpy()
        return pd.Index(np.asarray(ctx.members)[wanted], name="member")

    def add_constraints(self, ctx: BuildContext) -> None:
        m, inputs, dt = ctx.model, ctx.inputs, ctx.dt
        if ctx.aggregate:
            groups = ctx.extra["tariff_group_of_member"]
            first = [int(np.flatnonzero(groups == k)[0]) for k in range(groups.max() + 1)]
            labels = m.variables["community_import"].indexes["tariff_group"]
            coords = {"tariff_group": labels, "time": ctx.time}
            ip = xr.DataArray(inputs.import_price.values[first], dims=("tariff_group", "time"),
                              coords=coords)
            ep = xr.DataArray(inputs.export_price.values[first], dims=("tariff_group", "time"),
                              coords=coords)
            imp, exp = m.variables["community_import"], m.variables["community_export"]
            ctx.bus_supply.append(imp.sum("tariff_group"))
            ctx.bus_demand.append(exp.sum("tariff_group"))
            # Member bills are allocated after the solve; the objective carries the group costs.
            ctx.objective_extra.append((imp * ip * dt).sum() - (exp * ep * dt).sum())
            return
        imp, exp = m.variables["grid_import"], m.variables["grid_export"]
        ctx.member_supply.append(imp)
        ctx.member_demand.append(exp)
        ctx.add_member_cost("import", (imp * inputs.import_price * dt).sum("time"))
        ctx.add_member_cost("export_revenue", -(exp * inputs.export_price * dt).sum("time"))
        directed = self.direction_members(ctx)
        if len(directed):
            z = m.variables["grid_direction"]
            g = inputs.grid.loc[list(directed)]
            big = ctx.big_m_kw
            im = xr.DataArray(np.minimum(g["import_limit_kw"].to_numpy(), big), dims="member",
                              coords={"member": directed})
            em = xr.DataArray(np.minimum(g["export_limit_kw"].to_numpy(), big), dims="member",
                              coords={"member": directed})
            ctx.add_constraints(imp.sel(member=directed) - im * z, "<=", 0, "grid_direction_import",
                                block=self.name, meaning="import only while the direction "
                                "binary says import", asset_dim="member")
            ctx.add_constraints(exp.sel(member=directed) + em * z, "<=", em,
                                "grid_direction_export", block=self.name,
                                meaning="export only while the direction binary says export",
                                asset_dim="member")

    def finalize(self, ctx: BuildContext) -> None:
        if ctx.aggregate or not ctx.reactive:
            return
        m, inputs = ctx.model, ctx.inputs
        q = m.variables["grid_q"]
        supplied = q.to_linexpr()
        for term in ctx.member_q:
            supplied = supplied + term
        ctx.add_constraints(supplied, "==", load_reactive_kvar(inputs), "reactive_balance",
                            block=self.name, meaning="reactive power of the load is met by the "
                            "grid and the battery inverters", asset_dim="member")
        g = inputs.grid
        imp, exp = m.variables["grid_import"], m.variables["grid_export"]
        kva = g["kva"].to_numpy()
        with_kva = pd.Index(np.asarray(ctx.members)[np.isfinite(kva)], name="member")
        if len(with_kva):
            cos, sin, apothem = polygon(int(inputs.poi.polygon_sides if inputs.poi else 16))
            limit = xr.DataArray(kva[np.isfinite(kva)] * apothem, dims="member",
                                 coords={"member": with_kva})
            p = (imp - exp).sel(member=with_kva)
            ctx.add_constraints(cos * p + sin * q.sel(member=with_kva), "<=", limit, "grid_kva",
                                block=self.name, meaning="apparent power of the member's "
                                "connection within its kVA rating", asset_dim="member")
        pf = g["min_power_factor"].to_numpy()
        with_pf = pd.Index(np.asarray(ctx.members)[np.isfinite(pf)], name="member")
        if len(with_pf):
            ratio = xr.DataArray(np.tan(np.arccos(pf[np.isfinite(pf)])), dims="member",
                                 coords={"member": with_pf})
            p_abs = (imp + exp).sel(member=with_pf)  # |P| exactly: the direction binary is on
            qs = q.sel(member=with_pf)
            ctx.add_constraints(qs - ratio * p_abs, "<=", 0, "grid_power_factor_lagging",
                                block=self.name, meaning="reactive import within the minimum "
                                "power factor", asset_dim="member")
            ctx.add_constraints(-qs - ratio * p_abs, "<=", 0, "grid_power_factor_leading",
                                block=self.name, meaning="reactive export within the minimum "
                                "power factor", asset_dim="member")
