"""Batteries: members' own, the community's central battery, and shared virtual accounts.

SOC is energy in kWh at the *end* of each step:
``soc[t] = soc[t-1] + eta_c * charge[t] * dt - discharge[t] * dt / eta_d`` (``eta_c``, ``eta_d``
the charge and discharge efficiencies)
with ``soc[-1] = soc_initial * energy_kwh`` and ``soc[T-1] = soc_final * energy_kwh`` (or the
initial SOC when ``soc_final`` is NaN).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from gridshare.model.blocks.base import (
    Block,
    BuildContext,
    asset_index,
    asset_param,
    by_member,
    lagged,
    polygon,
)
from gridshare.model.inputs import COMMUNITY, ModelInputs


def physical_batteries(inputs: ModelInputs, mode: str) -> pd.DataFrame:
    """Batteries modelled one by one: members' own, plus central ones outside individual mode."""
    b = inputs.batteries
    shared = set(inputs.battery_shares.index) if inputs.battery_shares is not None else set()
    keep = ~b.index.isin(list(shared))
    if mode == "individual":
        keep &= (b["owner"] != COMMUNITY).to_numpy()
    return b[keep]


def shared_batteries(inputs: ModelInputs) -> pd.DataFrame:
    if inputs.battery_shares is None:
        return inputs.batteries.iloc[:0]
    return inputs.batteries.loc[[str(i) for i in inputs.battery_shares.index]]


def _end_soc(table: pd.DataFrame) -> np.ndarray:
    final = table["soc_final"].to_numpy(dtype=float)
    return np.where(np.isnan(final), table["soc_initial"].to_numpy(dtype=float), final)


class BatteryBlock(Block):
    """Members' own batteries and the community's central battery (on the pool bus)."""

    name = "battery"
    dim = "battery"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return len(physical_batteries(inputs, mode)) > 0

    def add_variables(self, ctx: BuildContext) -> None:
        b, m, t, d = physical_batteries(ctx.inputs, ctx.mode), ctx.model, ctx.time, self.dim
        idx = asset_index(b, d)
        zero = xr.DataArray(np.zeros((len(idx), len(t))), dims=(d, "time"),
                            coords={d: idx, "time": t})
        energy = asset_param(b, "energy_kwh", d)
        m.add_variables(lower=zero, upper=zero + asset_param(b, "charge_kw", d),
                        name="battery_charge")
        m.add_variables(lower=zero, upper=zero + asset_param(b, "discharge_kw", d),
                        name="battery_discharge")
        m.add_variables(lower=zero + energy * asset_param(b, "soc_min", d),
                        upper=zero + energy * asset_param(b, "soc_max", d), name="battery_soc")
        with_binary = pd.Index(idx[b["binary"].to_numpy(dtype=bool)], name=d)
        if len(with_binary):
            ctx.binary([with_binary, t], "battery_mode")
        with_pcs = pd.Index(idx[np.isfinite(b["pcs_kva"].to_numpy(dtype=float))], name=d)
        if ctx.reactive and len(with_pcs):
            kva = asset_param(b, "pcs_kva", d).sel({d: with_pcs})
            m.add_variables(lower=-kva + zero.sel({d: with_pcs}),
                            upper=kva + zero.sel({d: with_pcs}), name="battery_q")

    def add_constraints(self, ctx: BuildContext) -> None:
        b, m, dt, d = physical_batteries(ctx.inputs, ctx.mode), ctx.model, ctx.dt, self.dim
        ch, dis, soc = (m.variables[n] for n in ("battery_charge", "battery_discharge",
                                                  "battery_soc"))
        idx = asset_index(b, d)
        eta_c = asset_param(b, "charge_efficiency", d)
        eta_d = asset_param(b, "discharge_efficiency", d)
        initial = np.zeros((len(idx), len(ctx.time)))
        initial[:, 0] = (b["soc_initial"].to_numpy(dtype=float)
                         * b["energy_kwh"].to_numpy(dtype=float))
        rhs = xr.DataArray(initial, dims=(d, "time"), coords={d: idx, "time": ctx.time})
        ctx.add_constraints(soc - lagged(soc) - eta_c * dt * ch + (dt / eta_d) * dis, "==", rhs,
                            "battery_soc", block=self.name, asset_dim=d, identity=True,
                            meaning="stored energy follows charge and discharge with losses")
        end = xr.DataArray(_end_soc(b) * b["energy_kwh"].to_numpy(dtype=float), dims=d,
                           coords={d: idx})
        ctx.add_constraints(soc.isel(time=-1), "==", end, "battery_soc_end", block=self.name,
                            asset_dim=d, meaning="the battery ends the horizon at its final SOC")
        if "battery_mode" in m.variables:
            z = m.variables["battery_mode"]
            sub = z.indexes[d]
            ck = asset_param(b, "charge_kw", d).sel({d: sub})
            dk = asset_param(b, "discharge_kw", d).sel({d: sub})
            ctx.add_constraints(ch.sel({d: sub}) - ck * z, "<=", 0, "battery_mode_charge",
                                block=self.name, asset_dim=d,
                                meaning="charge only while the mode binary says charge")
            ctx.add_constraints(dis.sel({d: sub}) + dk * z, "<=", dk, "battery_mode_discharge",
                                block=self.name, asset_dim=d,
                                meaning="discharge only while the mode binary says discharge")
        if "battery_q" in m.variables:
            q = m.variables["battery_q"]
            sub = q.indexes[d]
            sides = ctx.inputs.poi.polygon_sides if ctx.inputs.poi else 16
            cos, sin, apothem = polygon(int(sides))
            kva = asset_param(b, "pcs_kva", d).sel({d: sub})
            p = (dis - ch).sel({d: sub})
            ctx.add_constraints(cos * p + sin * q, "<=", apothem * kva, "battery_pq",
                                block=self.name, asset_dim=d,
                                meaning="inverter active and reactive power within its kVA circle")
        owner = asset_param(b, "owner", d)
        own = pd.Index(idx[(b["owner"] != COMMUNITY).to_numpy()], name=d)
        central = pd.Index(idx[(b["owner"] == COMMUNITY).to_numpy()], name=d)
        deg = asset_param(b, "degradation_cost_per_kwh", d)
        throughput_cost = (deg * (ch + dis) * dt).sum("time")
        if len(own):
            members = ctx.members
            ctx.member_demand.append(by_member(ch.sel({d: own}), owner.sel({d: own}), members))
            ctx.member_supply.append(by_member(dis.sel({d: own}), owner.sel({d: own}), members))
            ctx.add_member_cost("degradation", by_member(throughput_cost.sel({d: own}),
                                                         owner.sel({d: own}), members))
            if "battery_q" in m.variables:
                q = m.variables["battery_q"]
                qown = [x for x in q.indexes[d] if x in set(own)]
                if qown:
                    qi = pd.Index(qown, name=d)
                    ctx.member_q.append(by_member(q.sel({d: qi}), owner.sel({d: qi}), members))
        if len(central):
            ctx.bus_demand.append(ch.sel({d: central}).sum(d))
            ctx.bus_supply.append(dis.sel({d: central}).sum(d))
            ctx.add_community_cost("degradation", throughput_cost.sel({d: central}).sum())
            if "battery_q" in m.variables:
                q = m.variables["battery_q"]
                qc = [x for x in q.indexes[d] if x in set(central)]
                if qc:
                    ctx.bus_q.append(q.sel({d: pd.Index(qc, name=d)}).sum(d))


class SharedBatteryBlock(Block):
    """A physical battery split into virtual accounts, one per member, scaled by its share.

    Each member's account has its share of the energy and of the charge and discharge power, and
    its own virtual SOC (family ``shared_battery_soc``); the net of all accounts' flows stays
    within the physical converter. Accounts run in every mode (a member's account is its own).
    The ``binary`` and ``pcs_kva`` columns are not used for shared batteries, and they hold no
    reserves.
    """

    name = "shared_battery"
    dim = "shared_battery"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return inputs.battery_shares is not None and len(inputs.battery_shares) > 0

    def _shares(self, ctx: BuildContext) -> xr.DataArray:
        sh = ctx.inputs.battery_shares.reindex(columns=list(ctx.members), fill_value=0.0)
        sh.index = [str(i) for i in sh.index]
        return xr.DataArray(sh.to_numpy(dtype=float), dims=(self.dim, "member"),
                            coords={self.dim: pd.Index(sh.index, name=self.dim),
                                    "member": ctx.members})

    def add_variables(self, ctx: BuildContext) -> None:
        b, m, d = shared_batteries(ctx.inputs), ctx.model, self.dim
        share = self._shares(ctx)
        zero = xr.zeros_like(share) + xr.zeros_like(ctx.inputs.load_kw)
        energy = asset_param(b, "energy_kwh", d)
        m.add_variables(lower=zero, upper=zero + share * asset_param(b, "charge_kw", d),
                        name="shared_charge")
        m.add_variables(lower=zero, upper=zero + share * asset_param(b, "discharge_kw", d),
                        name="shared_discharge")
        m.add_variables(lower=zero + share * energy * asset_param(b, "soc_min", d),
                        upper=zero + share * energy * asset_param(b, "soc_max", d),
                        name="shared_soc")

    def add_constraints(self, ctx: BuildContext) -> None:
        b, m, dt, d = shared_batteries(ctx.inputs), ctx.model, ctx.dt, self.dim
        ch, dis, soc = (m.variables[n] for n in ("shared_charge", "shared_discharge",
                                                  "shared_soc"))
        share = self._shares(ctx)
        energy = asset_param(b, "energy_kwh", d)
        eta_c = asset_param(b, "charge_efficiency", d)
        eta_d = asset_param(b, "discharge_efficiency", d)
        first = xr.DataArray(np.arange(len(ctx.time)) == 0, dims="time",
                             coords={"time": ctx.time})
        rhs = share * energy * asset_param(b, "soc_initial", d) * first
        ctx.add_constraints(soc - lagged(soc) - eta_c * dt * ch + (dt / eta_d) * dis, "==", rhs,
                            "shared_battery_soc", block=self.name, asset_dim=d, identity=True,
                            meaning="each member's virtual SOC follows its virtual flows")
        end = share * energy * xr.DataArray(_end_soc(b), dims=d, coords={d: energy[d]})
        ctx.add_constraints(soc.isel(time=-1), "==", end, "shared_battery_soc_end",
                            block=self.name, asset_dim=d,
                            meaning="each virtual account ends at its share of the final SOC")
        net = ch.sum("member") - dis.sum("member")
        ctx.add_constraints(net, "<=", asset_param(b, "charge_kw", d),
                            "shared_battery_converter_charge",
                            block=self.name, asset_dim=d,
                            meaning="net charge of all accounts within the converter rating")
        ctx.add_constraints(-net, "<=", asset_param(b, "discharge_kw", d),
                            "shared_battery_converter_discharge", block=self.name, asset_dim=d,
                            meaning="net discharge of all accounts within the converter rating")
        ctx.member_demand.append(ch.sum(d))
        ctx.member_supply.append(dis.sum(d))
        deg = asset_param(b, "degradation_cost_per_kwh", d)
        ctx.add_member_cost("degradation", (deg * (ch + dis) * dt).sum([d, "time"]))
