"""Curtailment of available PV and wind, and load shedding at the value of lost load."""

from __future__ import annotations

import numpy as np

from gridshare.model.blocks.base import Block, BuildContext
from gridshare.model.inputs import ModelInputs


class CurtailmentBlock(Block):
    """``curtail`` (kW) in ``0 .. pv + wind``, penalised per kWh."""

    name = "curtailment"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        renewable = inputs.pv_kw.values + inputs.wind_kw.values
        return bool(inputs.curtailable) and bool(np.any(renewable > 0))

    def add_variables(self, ctx: BuildContext) -> None:
        inputs = ctx.inputs
        ctx.model.add_variables(lower=0 * inputs.pv_kw, upper=inputs.pv_kw + inputs.wind_kw,
                                name="curtail")

    def add_constraints(self, ctx: BuildContext) -> None:
        c = ctx.model.variables["curtail"]
        ctx.member_demand.append(c)
        ctx.add_member_cost("curtailment",
                            (ctx.inputs.curtailment_cost_per_kwh * ctx.dt * c).sum("time"))


class SheddingBlock(Block):
    """``shed`` (kW) in ``0 .. load`` at ``voll_per_kwh``; absent when VoLL is ``None``."""

    name = "shedding"

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return inputs.voll_per_kwh is not None

    def add_variables(self, ctx: BuildContext) -> None:
        load = ctx.inputs.load_kw
        ctx.model.add_variables(lower=0 * load, upper=load, name="shed")

    def add_constraints(self, ctx: BuildContext) -> None:
        s = ctx.model.variables["shed"]
        ctx.member_supply.append(s)
        ctx.add_member_cost("shedding", (float(ctx.inputs.voll_per_kwh) * ctx.dt * s).sum("time"))
