"""Collective operation of a community for pricing: structure x stage x timeframe, and REC rules.

``structure``: ``"pool"`` (members trade with the community pool) or ``"bilateral"`` (member to
member, giving a seller x buyer matrix of traded energy per step). ``stage``: ``"single"`` (the
joint cost minimum) or ``"two"`` (stage one: every member alone; stage two: the joint minimum in
which no member pays more than alone). ``timeframe``: ``"pre"`` (forecast inputs, dispatch is
chosen) or ``"post"`` (metered inputs, dispatch held at a schedule; only grid and exchange flows
are chosen).

The operation does not depend on local-market prices: internal payments only move money between
members, so the collective optimum is the same at any price. Prices decide the bills, in
:func:`gridshare.market.settlement.settle_result`: trades settle at the prices, and in the
two-stage operation a budget-balanced compensation line keeps every member at or below its cost
alone (the individual optimum).
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
from gridshare.model.blocks.base import Block

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
        Each member's cost alone (individual optimum), currency (two-stage runs, or when given).
    prices : numpy.ndarray or None
        The local-market prices the bills settle at, currency/kWh per step.
    """

    result: Result
    inputs: ModelInputs
    structure: str
    stage: str
    timeframe: str
    individual_costs: pd.Series | None = None
    prices: np.ndarray | None = None
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


def individual_optimum(inputs: ModelInputs, timeframe: str, *, schedule: Any = None,
                       blocks: tuple[Block, ...] = DEFAULT_BLOCKS,
                       options: SolveOptions | None = None) -> Result:
    """Every member alone: the one definition of "alone" used by every mechanism.

    Pre-delivery: each member's own assets optimised against its own retail tariff (the
    ``individual`` model). Post-delivery: its metered bill with the dispatch of ``schedule``
    (default: that individual optimum), no exchange.

    Returns
    -------
    gridshare.model.Result
        ``costs["total"]`` is each member's cost alone, currency.
    """
    opts = replace(options or SolveOptions(), duals=False)
    if timeframe == "pre":
        return solve(build_model(inputs, "individual", blocks=blocks), opts)
    alone = replace(inputs, exchange="none")
    cm = build_model(alone, "post_delivery", schedule=schedule, blocks=blocks, options=opts)
    return solve(cm, opts)


def individual_costs(inputs: ModelInputs, timeframe: str, *, schedule: Any = None,
                     blocks: tuple[Block, ...] = DEFAULT_BLOCKS,
                     options: SolveOptions | None = None) -> pd.Series:
    """Each member's cost alone, currency: see :func:`individual_optimum`."""
    result = individual_optimum(inputs, timeframe, schedule=schedule, blocks=blocks,
                                options=options)
    return result.costs["total"].reindex(list(inputs.members))


def run_collective(inputs: ModelInputs, structure: str = "pool", stage: str = "single",
                   timeframe: str = "pre", *, rules: RecRules | None = None,
                   prices: Any = None, schedule: Any = None, alone: pd.Series | None = None,
                   options: SolveOptions | None = None) -> CollectiveRun:
    """Operate the community collectively.

    Parameters
    ----------
    inputs : ModelInputs
        Forecast (pre) or metered (post) inputs, kW and currency/kWh.
    structure : {"pool", "bilateral"}
    stage : {"single", "two"}
        ``"two"``: stage one solves every member alone, stage two the collective optimum with
        budget-balanced payments and no member above its cost alone (``collective_fair``).
    timeframe : {"pre", "post"}
    rules : RecRules, optional
    prices : array_like, optional
        Local-market price per step, currency/kWh, recorded for the settlement (internal
        payments do not change the collective optimum). Without it, single-stage runs settle at
        the shadow price.
    schedule : Result or xarray.Dataset, optional
        Post-delivery dispatch to hold (default: each member's individual optimum).
    alone : pandas.Series, optional
        Each member's cost alone, currency, when already known (stage one is then skipped).
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
    aggregate: bool | None = False if rules.needs_member_flows else None
    if stage == "two" and alone is None:
        alone = individual_costs(modelled, timeframe, schedule=schedule, blocks=blocks,
                                 options=options)
    if prices is not None:
        prices = np.asarray(prices, dtype=float).reshape(-1)
        if prices.shape != (len(modelled.time),) or not np.isfinite(prices).all():
            raise ValueError(f"prices must hold one finite value per step "
                             f"({len(modelled.time)}) in currency/kWh; got shape {prices.shape}")
        # Bills settle at the given prices; shadow prices would settle the trades a second time.
        options = replace(options, duals=False)
    if stage == "two":
        if timeframe == "pre":
            mode = "collective_fair"
        else:
            from gridshare.market.blocks import IndividualRationalityBlock

            blocks = (*blocks, IndividualRationalityBlock(alone))
            options = replace(options, duals=False)
    cm = build_model(modelled, mode, schedule=schedule, blocks=blocks, aggregate=aggregate,
                     options=options, individual_costs=alone if mode == "collective_fair" else None)
    result = solve(cm, options)
    return CollectiveRun(result, modelled, structure, stage, timeframe, alone, prices)
