"""Collective operation of a community for pricing: structure x stage x timeframe, and REC rules.

``structure``: ``"pool"`` (members trade with the community pool) or ``"bilateral"`` (member to
member, giving a seller x buyer matrix of traded energy per step). ``stage``: ``"single"`` (the
joint cost minimum) or ``"two"`` (stage one: every member alone; stage two: the joint minimum in
which no member pays more than alone). ``timeframe``: ``"pre"`` (forecast inputs, dispatch is
chosen) or ``"post"`` (metered inputs, dispatch held at a schedule; only grid and exchange flows
are chosen).

Two-stage runs settle internal trades either with budget-balanced payments chosen by the model
(no prices given) or at given local-market prices per step (``prices=``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gridshare.market.blocks import (
    ContractedPowerBlock,
    PoolAllocationLimitBlock,
    WholesaleBlock,
)
from gridshare.model import DEFAULT_BLOCKS, ModelInputs, Result, SolveOptions, build_model, solve
from gridshare.model.blocks.base import Block, BuildContext, add_individual_rationality

TIMEFRAMES = ("pre", "post")
STRUCTURES = ("pool", "bilateral")
STAGES = ("single", "two")


def check_choice(value: str, allowed: tuple[str, ...], name: str) -> str:
    """Raise a ValueError naming ``name`` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")
    return value


@dataclass
class RecRules:
    """REC operating rules (2023 Portuguese REC rules), each a setting.

    Attributes
    ----------
    grid_access_fee_per_kwh : float
        Grid-access tariff on energy exchanged inside the community, currency/kWh, paid by the
        buyer (the core's pool or bilateral fee).
    wholesale_buy_price, wholesale_sell_price : array_like or None
        Community-level access to a wholesale market, currency/kWh per step (both or neither).
    wholesale_limit_kw : float or None
        Most the community trades on the wholesale market per step, kW.
    contracted_power_kw : dict of str to float or None
        Contracted power of members, kW; import above it pays ``contracted_power_penalty_per_kw``
        per kW of the largest excess.
    contracted_power_penalty_per_kw : float
        Currency per kW exceeded.
    battery_degradation_cost_per_kwh : float or None
        Replaces every battery's degradation cost per kWh of throughput, currency/kWh.
    allocation_above_consumption : bool
        Whether a member may receive from the community more than it consumes, exporting the
        rest through its retail contract (default True).
    strictly_positive_shares : bool
        Share coefficients reported to the DSO are all > 0.
    per_step_shares : bool
        Share coefficients per step (True) or one set for the horizon.
    """

    grid_access_fee_per_kwh: float = 0.0
    wholesale_buy_price: Any = None
    wholesale_sell_price: Any = None
    wholesale_limit_kw: float | None = None
    contracted_power_kw: dict[str, float] | None = None
    contracted_power_penalty_per_kw: float = 0.0
    battery_degradation_cost_per_kwh: float | None = None
    allocation_above_consumption: bool = True
    strictly_positive_shares: bool = False
    per_step_shares: bool = True

    def __post_init__(self) -> None:
        if not (np.isfinite(self.grid_access_fee_per_kwh) and self.grid_access_fee_per_kwh >= 0):
            raise ValueError(f"grid_access_fee_per_kwh must be >= 0 currency/kWh; got "
                             f"{self.grid_access_fee_per_kwh}")
        if (self.wholesale_buy_price is None) != (self.wholesale_sell_price is None):
            raise ValueError("wholesale_buy_price and wholesale_sell_price go together: give both "
                             "or neither")
        deg = self.battery_degradation_cost_per_kwh
        if deg is not None and not deg >= 0:
            raise ValueError(f"battery_degradation_cost_per_kwh must be >= 0; got {deg}")

    @property
    def needs_member_flows(self) -> bool:
        """Whether a rule needs each member's grid and pool flows (no free-pool aggregation)."""
        return bool(self.contracted_power_kw) or not self.allocation_above_consumption

    def apply(self, inputs: ModelInputs, structure: str) -> ModelInputs:
        """Inputs with the structure, the access fee and the degradation cost set."""
        changes: dict[str, Any] = {"exchange": structure}
        fee = float(self.grid_access_fee_per_kwh)
        if structure == "pool":
            changes["pool_fee_per_kwh"] = max(fee, float(inputs.pool_fee_per_kwh))
        elif fee:
            n = len(inputs.members)
            base = (np.zeros((n, n)) if inputs.bilateral_fee_per_kwh is None
                    else inputs.bilateral_fee_per_kwh.values)
            changes["bilateral_fee_per_kwh"] = xr.DataArray(
                np.maximum(base, fee), dims=("seller", "buyer"),
                coords={"seller": list(inputs.members), "buyer": list(inputs.members)})
        if self.battery_degradation_cost_per_kwh is not None and len(inputs.batteries):
            b = inputs.batteries.copy()
            b["degradation_cost_per_kwh"] = float(self.battery_degradation_cost_per_kwh)
            changes["batteries"] = b
        out = replace(inputs, **changes)
        out.validate()
        return out

    def blocks(self) -> tuple[Block, ...]:
        """Extra model blocks for these rules."""
        extra: list[Block] = []
        if self.wholesale_buy_price is not None:
            extra.append(WholesaleBlock(self.wholesale_buy_price, self.wholesale_sell_price,
                                        self.wholesale_limit_kw))
        if self.contracted_power_kw:
            extra.append(ContractedPowerBlock(self.contracted_power_kw,
                                              self.contracted_power_penalty_per_kw))
        if not self.allocation_above_consumption:
            extra.append(PoolAllocationLimitBlock())
        return tuple(extra)


class PriceSettlementBlock(Block):
    """Internal trades settled at given prices, with or without individual rationality.

    Pool: a member pays ``price`` per kWh bought from the pool and receives it per kWh that
    reaches the pool; bilateral: the buyer pays ``price`` on what arrives. With
    ``individual_costs`` every member's total is capped at its cost alone (stage two).
    """

    name = "price_settlement"

    def __init__(self, prices: Any, individual_costs: pd.Series | None = None,
                 tolerance: float = 1e-7) -> None:
        self.prices = np.asarray(prices, dtype=float)
        self.individual_costs = individual_costs
        self.tolerance = tolerance

    def applies(self, inputs: ModelInputs, mode: str) -> bool:
        return mode in ("collective", "post_delivery")

    def finalize(self, ctx: BuildContext) -> None:
        m, dt = ctx.model, ctx.dt
        price = xr.DataArray(np.broadcast_to(self.prices, (len(ctx.time),)), dims="time",
                             coords={"time": ctx.time})
        if ctx.aggregate:
            raise ValueError("settling at given prices needs each member's pool flows: build with "
                             "aggregate=False")
        if "pool_buy" in m.variables:
            keep = 1.0 - ctx.inputs.pool_loss
            net = m.variables["pool_buy"] - keep * m.variables["pool_sell"]
        else:
            keep = 1.0 - ctx.inputs.bilateral_loss
            trade = keep * m.variables["trade"]
            net = trade.sum("seller").rename(buyer="member") - trade.sum("buyer").rename(
                seller="member")
        ctx.add_member_cost("exchange", (net * price * dt).sum("time"))
        if self.individual_costs is None:
            return
        total = None
        for terms in ctx.member_costs.values():
            for t in terms:
                total = t if total is None else total + t
        add_individual_rationality(ctx, total, self.individual_costs, self.tolerance,
                                   block=self.name)


@dataclass
class CollectiveRun:
    """A collective operation: the solved model and what pricing needs from it.

    Attributes
    ----------
    result : gridshare.model.Result
    inputs : ModelInputs
        The inputs as modelled (rules applied).
    structure, stage, timeframe : str
    individual_costs : pandas.Series or None
        Each member's cost alone, currency (two-stage runs).
    """

    result: Result
    inputs: ModelInputs
    structure: str
    stage: str
    timeframe: str
    individual_costs: pd.Series | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def trades(self) -> pd.DataFrame:
        """Member-to-member energy per step (bilateral), kWh: ``step, seller, buyer, kwh``."""
        sol = self.result.solution
        if "trade" not in sol:
            raise ValueError("trades() needs a bilateral run (structure='bilateral')")
        kwh = sol["trade"] * float(self.inputs.step_hours)
        frame = kwh.rename("kwh").to_dataframe().reset_index()
        frame = frame.rename(columns={"time": "step"})[["step", "seller", "buyer", "kwh"]]
        return frame[frame["kwh"] > 1e-9].reset_index(drop=True)

    def trade_matrix(self) -> xr.DataArray:
        """Traded energy, kWh, dims (seller, buyer, time)."""
        return self.result.solution["trade"] * float(self.inputs.step_hours)


def individual_costs(inputs: ModelInputs, timeframe: str, *, schedule: Any = None,
                     blocks: tuple[Block, ...] = DEFAULT_BLOCKS,
                     options: SolveOptions | None = None) -> pd.Series:
    """Each member's cost alone, currency: its own optimum (pre) or its metered bill (post)."""
    opts = replace(options or SolveOptions(), duals=False)
    if timeframe == "pre":
        return solve(build_model(inputs, "individual", blocks=blocks), opts).costs["total"]
    alone = replace(inputs, exchange="none")
    cm = build_model(alone, "post_delivery", schedule=schedule, blocks=blocks, options=opts)
    return solve(cm, opts).costs["total"].reindex(list(inputs.members))


def run_collective(inputs: ModelInputs, structure: str = "pool", stage: str = "single",
                   timeframe: str = "pre", *, rules: RecRules | None = None,
                   prices: Any = None, schedule: Any = None,
                   options: SolveOptions | None = None) -> CollectiveRun:
    """Operate the community collectively.

    Parameters
    ----------
    inputs : ModelInputs
        Forecast (pre) or metered (post) inputs, kW and currency/kWh.
    structure : {"pool", "bilateral"}
    stage : {"single", "two"}
    timeframe : {"pre", "post"}
    rules : RecRules, optional
    prices : array_like, optional
        Local-market price per step, currency/kWh: internal trades are settled at it (stage two
        then caps every member at its cost alone). Without it, single-stage runs settle at the
        shadow price and two-stage runs with model-chosen budget-balanced payments.
    schedule : Result or xarray.Dataset, optional
        Post-delivery dispatch to hold (default: each member's individual optimum).
    options : SolveOptions, optional

    Returns
    -------
    CollectiveRun
    """
    check_choice(structure, STRUCTURES, "structure")
    check_choice(stage, STAGES, "stage")
    check_choice(timeframe, TIMEFRAMES, "timeframe")
    rules = rules or RecRules()
    options = options or SolveOptions()
    modelled = rules.apply(inputs, structure)
    blocks = DEFAULT_BLOCKS + rules.blocks()
    mode = "collective" if timeframe == "pre" else "post_delivery"
    aggregate: bool | None = False if (rules.needs_member_flows or prices is not None) else None
    alone = None
    if stage == "two":
        alone = individual_costs(modelled, timeframe, schedule=schedule, blocks=blocks,
                                 options=options)
    if prices is not None:
        blocks = (*blocks, PriceSettlementBlock(prices, alone))
        # Trades are settled by the block; shadow prices would settle them a second time.
        options = replace(options, duals=False)
    elif stage == "two":
        if timeframe == "pre":
            mode = "collective_fair"
        else:
            from gridshare.market.blocks import IndividualRationalityBlock

            blocks = (*blocks, IndividualRationalityBlock(alone))
            options = replace(options, duals=False)
    cm = build_model(modelled, mode, schedule=schedule, blocks=blocks, aggregate=aggregate,
                     options=options, individual_costs=alone if mode == "collective_fair" else None)
    result = solve(cm, options)
    return CollectiveRun(result, modelled, structure, stage, timeframe, alone)
