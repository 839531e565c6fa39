"""Flexible load: part of each step's load may move within consecutive windows.

``flex_shift`` (kW, + = load added) satisfies ``-min(share * load, max_shift) <= shift <=
max_shift``; the running sum ``flex_cumulative`` returns to zero at the end of every window of
``window_steps`` steps (and at the last step), so energy is conserved per window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from gridshare.model.blocks.base import Block, BuildContext, lagged
from gridshare.model.inputs import ModelInputs


class FlexibleLoadBlock(Block):
    name = "flexible"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return len(inputs.flexible) > 0

    def add_variables(self, ctx: BuildContext) -> None:
        fl, m, t = ctx.inputs.flexible, ctx.model, ctx.time
        members = pd.Index([str(i) for i in fl.index], name="member")
        load = ctx.inputs.load_kw.sel(member=members)
        share = xr.DataArray(fl["shiftable_share"].to_numpy(dtype=float), dims="member",
                             coords={"member": members})
        cap = xr.DataArray(np.nan_to_num(fl["max_shift_kw"].to_numpy(dtype=float), nan=np.inf),
                           dims="member", coords={"member": members})
        down = np.minimum(share * load, cap)
        m.add_variables(lower=-down, upper=xr.zeros_like(load) + cap, name="flex_shift")
        n = len(t)
        window = fl["window_steps"].to_numpy(dtype=int)[:, None]
        pos = np.arange(n)[None, :]
        closes = ((pos + 1) % window == 0) | (pos == n - 1)
        bound = xr.DataArray(np.where(closes, 0.0, np.inf), dims=("member", "time"),
                             coords={"member": members, "time": t})
        m.add_variables(lower=-bound, upper=bound, name="flex_cumulative")

    def add_constraints(self, ctx: BuildContext) -> None:
        m = ctx.model
        shift, cum = m.variables["flex_shift"], m.variables["flex_cumulative"]
        ctx.add_constraints(cum - lagged(cum) - shift, "==", 0, "flexible_energy",
                            block=self.name, asset_dim="member", identity=True,
                            meaning="shifted energy is returned within its window")
        ctx.member_demand.append(shift.to_linexpr().reindex(member=ctx.members).fillna(0))
