"""Dispatchable generators with unit commitment.

For committable units: ``on`` is binary; ``on[t] - on[t-1] = start[t] - stop[t]`` with
``on[-1] = initial_on``; output within ``min_stable_kw * on .. capacity_kw * on``; a start
within the last ``ceil(min_up_h / dt)`` steps keeps the unit on, a stop within the last
``ceil(min_down_h / dt)`` steps keeps it off (history before the horizon is taken as long enough).
Ramp limits apply between consecutive steps, with an allowance up to ``min_stable_kw`` on a
start and a stop. Non-committable units run continuously in ``0 .. capacity_kw``.
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
)
from gridshare.model.inputs import COMMUNITY, ModelInputs


def active_generators(inputs: ModelInputs, mode: str) -> pd.DataFrame:
    g = inputs.generators
    if mode == "individual":
        g = g[g["owner"] != COMMUNITY]
    return g


def commitment_expressions(ctx: BuildContext):
    """``on``, ``start`` and ``stop`` over all generators (constants for continuous ones)."""
    if "generator_commitment_expressions" in ctx.extra:
        return ctx.extra["generator_commitment_expressions"]
    g, m, d = active_generators(ctx.inputs, ctx.mode), ctx.model, "generator"
    idx = asset_index(g, d)
    continuous = xr.DataArray((~g["committable"].to_numpy(dtype=bool)).astype(float), dims=d,
                              coords={d: idx})
    if "gen_on" not in m.variables:
        zero = 0 * m.variables["gen_power"]
        out = (zero + continuous, zero, zero)
    else:
        on = m.variables["gen_on"].to_linexpr().reindex({d: idx}).fillna(0) + continuous
        start = m.variables["gen_start"].to_linexpr().reindex({d: idx}).fillna(0)
        stop = m.variables["gen_stop"].to_linexpr().reindex({d: idx}).fillna(0)
        out = (on, start, stop)
    ctx.extra["generator_commitment_expressions"] = out
    return out


class GeneratorBlock(Block):
    """Unit commitment, min up/down time, ramping, fuel/VOM and start costs."""

    name = "generator"
    dim = "generator"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return len(active_generators(inputs, mode)) > 0

    def add_variables(self, ctx: BuildContext) -> None:
        g, m, t, d = active_generators(ctx.inputs, ctx.mode), ctx.model, ctx.time, self.dim
        idx = asset_index(g, d)
        zero = xr.DataArray(np.zeros((len(idx), len(t))), dims=(d, "time"),
                            coords={d: idx, "time": t})
        m.add_variables(lower=zero, upper=zero + asset_param(g, "capacity_kw", d),
                        name="gen_power")
        unit = pd.Index(idx[g["committable"].to_numpy(dtype=bool)], name=d)
        if len(unit):
            ctx.binary([unit, t], "gen_on")
            # start/stop are integral whenever on is, so they need not be declared integer.
            m.add_variables(lower=0.0, upper=1.0, coords=[unit, t], name="gen_start")
            m.add_variables(lower=0.0, upper=1.0, coords=[unit, t], name="gen_stop")

    def add_constraints(self, ctx: BuildContext) -> None:
        g, m, dt, d = active_generators(ctx.inputs, ctx.mode), ctx.model, ctx.dt, self.dim
        p = m.variables["gen_power"]
        idx = asset_index(g, d)
        on, start, stop = commitment_expressions(ctx)
        cap = asset_param(g, "capacity_kw", d)
        committable = asset_param(g, "committable", d).astype(bool)
        min_stable = asset_param(g, "min_stable_kw", d) * committable
        ctx.add_constraints(p - cap * on, "<=", 0, "generator_capacity", block=self.name,
                            asset_dim=d, meaning="output within capacity while on")
        if bool((min_stable > 0).any()):
            ctx.add_constraints(p - min_stable * on, ">=", 0, "generator_min_stable",
                                block=self.name, asset_dim=d,
                                meaning="output at least the minimum stable level while on")
        if "gen_on" in m.variables:
            u = m.variables["gen_on"]
            unit = u.indexes[d]
            gu = g.loc[list(unit)]
            init = xr.DataArray(gu["initial_on"].to_numpy(dtype=float), dims=d,
                                coords={d: unit})
            first = xr.DataArray(np.arange(len(ctx.time)) == 0, dims="time",
                                 coords={"time": ctx.time})
            s, e = m.variables["gen_start"], m.variables["gen_stop"]
            ctx.add_constraints(u - lagged(u) - s + e, "==", init * first, "generator_commitment",
                                block=self.name, asset_dim=d, identity=True,
                                meaning="on/off state changes only by a start or a stop")
            self._min_time(ctx, gu, unit, s, u, "min_up_h", "generator_min_up", up=True)
            self._min_time(ctx, gu, unit, e, u, "min_down_h", "generator_min_down", up=False)
        ramp = g["ramp_kw_per_h"].to_numpy(dtype=float)
        ramped = pd.Index(idx[np.isfinite(ramp)], name=d)
        if len(ramped) and len(ctx.time) > 1:
            r = xr.DataArray(ramp[np.isfinite(ramp)] * dt, dims=d, coords={d: ramped})
            allowance = np.maximum(min_stable.sel({d: ramped}) - r, 0.0)
            later = slice(1, None)
            step = (p - lagged(p)).sel({d: ramped}).isel(time=later)
            ctx.add_constraints(step - allowance * start.sel({d: ramped}).isel(time=later), "<=",
                                r, "generator_ramp_up", block=self.name, asset_dim=d,
                                meaning="output rises by at most the ramp rate")
            ctx.add_constraints(-step - allowance * stop.sel({d: ramped}).isel(time=later), "<=",
                                r, "generator_ramp_down", block=self.name, asset_dim=d,
                                meaning="output falls by at most the ramp rate")
        energy_cost = asset_param(g, "fuel_cost_per_kwh", d) + asset_param(g, "vom_cost_per_kwh", d)
        fuel = (energy_cost * p * dt).sum("time")
        starts = (asset_param(g, "start_cost", d) * start).sum("time")
        owner = asset_param(g, "owner", d)
        own = pd.Index(idx[(g["owner"] != COMMUNITY).to_numpy()], name=d)
        central = pd.Index(idx[(g["owner"] == COMMUNITY).to_numpy()], name=d)
        if len(own):
            o = owner.sel({d: own})
            ctx.member_supply.append(by_member(p.sel({d: own}), o, ctx.members))
            ctx.add_member_cost("fuel", by_member(fuel.sel({d: own}), o, ctx.members))
            ctx.add_member_cost("start", by_member(starts.sel({d: own}), o, ctx.members))
        if len(central):
            ctx.bus_supply.append(p.sel({d: central}).sum(d))
            ctx.add_community_cost("fuel", fuel.sel({d: central}).sum())
            ctx.add_community_cost("start", starts.sel({d: central}).sum())

    def _min_time(self, ctx, gu, unit, event, on, column, family, *, up: bool) -> None:
        d = self.dim
        steps = np.ceil(gu[column].to_numpy(dtype=float) / ctx.dt - 1e-9).astype(int)
        if steps.max(initial=0) <= 1:
            return
        window = xr.DataArray(steps, dims=d, coords={d: unit})
        # A loop over lags (not over time steps): events in the last `steps` steps.
        recent = event.to_linexpr() * 0.0
        for lag in range(int(steps.max())):
            recent = recent + (window > lag).astype(float) * lagged(event, lag)
        keep = pd.Index(unit[steps > 1], name=d)
        recent = recent.sel({d: keep})
        if up:
            ctx.add_constraints(recent - on.sel({d: keep}), "<=", 0, family, block=self.name,
                                asset_dim=d, meaning="a unit stays on for its minimum up time")
        else:
            ctx.add_constraints(recent + on.sel({d: keep}), "<=", 1, family, block=self.name,
                                asset_dim=d, meaning="a unit stays off for its minimum down time")
