"""One call for a pricing study: prices, accepted offers, bills, trades; written to a folder.

:func:`run_pricing` is what the CLI and the app call. Mechanisms: ``"crossing_value"``,
``"mmr"``, ``"sdr"``, ``"sdrc"`` (from offers, full or pruned, optionally iterated with the
members' responses) and ``"dual"`` (shadow prices of the collective pool model).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridshare.market.collective import (
    STAGES,
    STRUCTURES,
    TIMEFRAMES,
    CollectiveRun,
    RecRules,
    check_choice,
    individual_optimum,
    run_collective,
)
from gridshare.market.dual import dual_prices
from gridshare.market.loop import LoopResult, iterate_prices
from gridshare.market.offers import offers_from_result
from gridshare.market.pricing import MECHANISMS, Pricing, price_book
from gridshare.market.settlement import (
    ALONE_DEFINITION,
    Settlement,
    other_costs,
    settle,
    settle_result,
)
from gridshare.model import DEFAULT_BLOCKS, ModelInputs, SolveOptions, build_model, solve

ALL_MECHANISMS = (*MECHANISMS, "dual")


@dataclass
class PricingResult:
    """Everything a pricing study produced.

    Attributes
    ----------
    prices : pandas.Series
        Local-market price per step, currency/kWh.
    accepted : pandas.DataFrame
        ``step, member, side, kwh``: energy each member bought (``buy``) or sold (``sell``)
        inside the community.
    bills : pandas.DataFrame
        One row per member, :data:`gridshare.market.settlement.BILL_COLUMNS`, currency.
    settlement : Settlement
    pricing : Pricing
    collective : CollectiveRun or None
        The collective operation at the prices (when operated).
    loop : LoopResult or None
    trades : pandas.DataFrame or None
        ``step, seller, buyer, kwh`` for bilateral runs.
    settings : dict
    """

    prices: pd.Series
    accepted: pd.DataFrame
    bills: pd.DataFrame
    settlement: Settlement
    pricing: Pricing
    collective: CollectiveRun | None = None
    loop: LoopResult | None = None
    trades: pd.DataFrame | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def share_coefficients(self) -> pd.DataFrame:
        """(step x member) share of the community's self-consumed energy (for the DSO)."""
        return self.settlement.share_coefficients

    def summary(self) -> dict[str, Any]:
        """Headline figures: mean price, traded energy, bills, savings, convergence."""
        out: dict[str, Any] = {
            "settings": {k: v for k, v in self.settings.items() if _jsonable(v)},
            "mean_price_per_kwh": float(self.prices.mean()),
            "traded_kwh": float(self.accepted.loc[self.accepted["side"] == "buy", "kwh"].sum()),
            "lem_paid": self.settlement.lem_paid, "lem_received": self.settlement.lem_received,
            "fees": self.settlement.fees,
            "community_total": float(self.bills["total"].sum()),
            "community_alone_total": float(self.bills["alone_total"].sum()),
            "community_saving": float(self.bills["saving"].sum()),
            "compensation": self.settlement.compensation,
            "community_costs": self.settlement.community_costs,
            "account_residual": self.settlement.balance_error,
            "alone": ALONE_DEFINITION,
        }
        if self.loop is not None:
            out.update(iterations=self.loop.iterations, converged=self.loop.converged,
                       cycling=self.loop.cycling, history=list(self.loop.history))
        return out

    def write(self, out_dir: str | Path) -> Path:
        """Write ``prices.csv``, ``accepted.csv``, ``bills.csv``, ``share_coefficients.csv``,
        ``trades.csv`` (bilateral), ``convergence.csv`` (iterated) and ``summary.json``.

        Returns
        -------
        pathlib.Path
            The folder.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        self.prices.rename_axis("step").to_frame().to_csv(out / "prices.csv")
        self.accepted.to_csv(out / "accepted.csv", index=False)
        self.bills.rename_axis("member").to_csv(out / "bills.csv")
        self.share_coefficients.rename_axis("step").to_csv(out / "share_coefficients.csv")
        if self.trades is not None:
            self.trades.to_csv(out / "trades.csv", index=False)
        if self.loop is not None:
            self.loop.history_frame.to_csv(out / "convergence.csv", index=False)
        (out / "summary.json").write_text(json.dumps(self.summary(), indent=2, default=str))
        return out


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except TypeError:
        return False
    return True


def _as_inputs(inputs_or_case: Any) -> ModelInputs:
    if isinstance(inputs_or_case, ModelInputs):
        return inputs_or_case
    if hasattr(inputs_or_case, "members") and hasattr(inputs_or_case, "time_index"):
        from gridshare.model.from_case import inputs_from_case

        return inputs_from_case(inputs_or_case)
    raise ValueError("run_pricing needs ModelInputs or a Case; got "
                     f"{type(inputs_or_case).__name__}")


def _accepted_from_run(run: CollectiveRun) -> pd.DataFrame:
    sol, dt = run.result.solution, float(run.inputs.step_hours)
    if "pool_buy" in sol:
        buy = sol["pool_buy"] * dt
        sell = sol["pool_sell"] * dt * (1.0 - float(run.inputs.pool_loss))
    elif "trade" in sol:
        keep = 1.0 - float(run.inputs.bilateral_loss)
        trade = sol["trade"] * dt * keep
        buy = trade.sum("seller").rename(buyer="member")
        sell = trade.sum("buyer").rename(seller="member")
    else:
        return pd.DataFrame(columns=["step", "member", "side", "kwh"])
    parts = []
    for side, da in (("buy", buy), ("sell", sell)):
        frame = da.rename("kwh").to_dataframe().reset_index().rename(columns={"time": "step"})
        frame["side"] = side
        parts.append(frame[frame["kwh"] > 1e-9][["step", "member", "side", "kwh"]])
    return pd.concat(parts, ignore_index=True)


def run_pricing(inputs_or_case: Any, mechanism: str = "mmr", timeframe: str = "pre",
                structure: str = "pool", pruned: bool = False, loop: bool = False, *,
                stage: str = "two", operate: bool | None = None, divisor: float = 0.5,
                compensation: float | None = None, increment: float = 0.0, tol: float = 0.01,
                max_iter: int = 20, damping: float = 0.0, averaging: bool = False,
                rules: RecRules | None = None, schedule: Any = None,
                options: SolveOptions | None = None) -> PricingResult:
    """Price a community's local market and bill its members.

    Parameters
    ----------
    inputs_or_case : ModelInputs or gridshare.case.Case
        Forecast inputs (pre-delivery) or metered inputs (post-delivery).
    mechanism : {"crossing_value", "mmr", "sdr", "sdrc", "dual"}
    timeframe : {"pre", "post"}
    structure : {"pool", "bilateral"}
        Market structure of the collective operation.
    pruned : bool
        Pruned form of the offer mechanisms.
    loop : bool
        Iterate prices with the members' individual responses (not for ``"dual"``).
    stage : {"single", "two"}
        Collective operation billed at the prices: single-stage (``collective``) or two-stage
        (``collective_fair``: bills at the prices plus a budget-balanced compensation line, no
        member above its cost alone).
    operate : bool, optional
        Run the collective model and bill from it (default: yes for ``loop`` and ``"dual"``;
        no for plain offer mechanisms, which then bill the accepted offers, with each member's
        dispatch held at its individual optimum).

    Every bill's ``alone_total`` is the member's individual optimum
    (:data:`~gridshare.market.settlement.ALONE_DEFINITION`), whatever the mechanism; offers are
    built from the positions of that optimum (after each member's own assets).
    divisor, compensation, increment
        Mechanism parameters (see :func:`~gridshare.market.price_book`).
    tol, max_iter, damping, averaging
        Iteration settings (see :func:`~gridshare.market.loop.iterate_prices`).
    rules : RecRules, optional
        REC operating rules.
    schedule : Result or xarray.Dataset, optional
        Post-delivery dispatch to hold.
    options : SolveOptions, optional

    Returns
    -------
    PricingResult

    Examples
    --------
    >>> from gridshare.model import ModelInputs
    >>> mi = ModelInputs.from_arrays([[0.0], [3.0]], pv_kw=[[2.0], [0.0]], import_price=0.3,
    ...                              export_price=0.1)
    >>> r = run_pricing(mi, "mmr")
    >>> round(float(r.prices.iloc[0]), 6), r.bills["saving"].round(6).tolist()
    (0.2, [0.2, 0.2])
    """
    check_choice(mechanism, ALL_MECHANISMS, "mechanism")
    check_choice(timeframe, TIMEFRAMES, "timeframe")
    check_choice(structure, STRUCTURES, "structure")
    check_choice(stage, STAGES, "stage")
    if loop and mechanism == "dual":
        raise ValueError("loop=True iterates an offer mechanism; mechanism 'dual' has no loop")
    inputs = _as_inputs(inputs_or_case)
    rules = rules or RecRules()
    options = options or SolveOptions()
    operate = (loop or mechanism == "dual") if operate is None else bool(operate)
    settings = {"mechanism": mechanism, "timeframe": timeframe, "structure": structure,
                "pruned": pruned, "loop": loop, "stage": stage, "operate": operate,
                "divisor": divisor, "compensation": compensation, "increment": increment}
    params = {"divisor": divisor, "compensation": compensation, "increment": increment}
    modelled = rules.apply(inputs, structure)
    blocks = DEFAULT_BLOCKS + rules.blocks()
    if timeframe == "post" and schedule is None:
        # Metered positions include the dispatch that happened; by default each member's
        # individual optimum, which every path below (offers, alone, operation) then holds.
        schedule = solve(build_model(modelled, "individual", blocks=blocks),
                         replace(options, duals=False))
    # One definition of "alone" for every mechanism: the individual optimum.
    alone_result = individual_optimum(modelled, timeframe, schedule=schedule, blocks=blocks,
                                      options=options)
    alone = alone_result.costs["total"].reindex(list(modelled.members))
    loop_result = None
    book = None
    if mechanism == "dual":
        pricing = dual_prices(inputs, timeframe, rules=rules, schedule=schedule, options=options)
    elif loop:
        loop_result = iterate_prices(inputs, mechanism, structure, timeframe, pruned, **params,
                                     tol=tol, max_iter=max_iter, damping=damping,
                                     averaging=averaging, rules=rules, schedule=schedule,
                                     options=options, final_stage=False)
        pricing = loop_result.pricing
    else:
        # Offers are each member's position after its own assets, as alone.
        book = offers_from_result(alone_result, modelled)
        pricing = price_book(book, mechanism, pruned, **params)
    price = loop_result.price if loop_result is not None else pricing.price
    collective = trades = None
    if operate:
        collective = run_collective(inputs, structure, stage, timeframe, rules=rules,
                                    prices=price, schedule=schedule, alone=alone,
                                    options=options)
        settlement = settle_result(collective.result, collective.inputs, price, alone=alone,
                                   stage=stage)
        accepted = _accepted_from_run(collective)
        if structure == "bilateral":
            trades = collective.trades()
        if loop_result is not None:
            loop_result.collective = collective
    else:
        # Own asset and contract costs at the dispatch behind the book.
        if book is not None:
            source = alone_result
        elif loop_result is not None:
            source = loop_result.individual
        else:
            source = pricing.params["result"]
        settlement = settle(pricing, rules.grid_access_fee_per_kwh,
                            other_costs=other_costs(source, modelled), alone=alone,
                            per_step_shares=rules.per_step_shares,
                            strictly_positive_shares=rules.strictly_positive_shares)
        accepted = pricing.accepted_frame()
    settings["operation"] = (("collective_fair" if stage == "two" else "collective")
                             if operate else "none (offers settled as accepted)")
    prices = pd.Series(np.asarray(price, dtype=float), index=inputs.time, name="price_per_kwh")
    return PricingResult(prices=prices, accepted=accepted, bills=settlement.bills,
                         settlement=settlement, pricing=pricing, collective=collective,
                         loop=loop_result, trades=trades, settings=settings)


def rules_from_case(case: Any) -> RecRules:
    """The REC operating rules of a case's ``market.rec_rules`` section (defaults when absent).

    Wholesale prices come from the tariff the section names; contracted power from each member's
    ``grid.contracted_power_kw``.
    """
    from gridshare.tariffs import tariff_prices

    spec = case.market.rec_rules
    contracted = {m.name: float(m.grid.contracted_power_kw) for m in case.members
                  if m.grid.contracted_power_kw is not None}
    if spec is None:
        return RecRules(contracted_power_kw=contracted or None)
    buy = sell = None
    if spec.wholesale_tariff is not None:
        prices = tariff_prices(case.tariffs[spec.wholesale_tariff], case.time_index())
        buy = prices["import_price"].to_numpy()
        sell = prices["export_price"].to_numpy()
    return RecRules(
        grid_access_fee_per_kwh=spec.grid_access_fee_per_kwh,
        wholesale_buy_price=buy,
        wholesale_sell_price=sell,
        wholesale_limit_kw=spec.wholesale_limit_kw,
        contracted_power_kw=contracted or None,
        contracted_power_penalty_per_kw=spec.contracted_power_penalty_per_kw,
        battery_degradation_cost_per_kwh=spec.battery_degradation_cost_per_kwh,
        allocation_above_consumption=spec.allocation_above_consumption,
        strictly_positive_shares=spec.strictly_positive_shares,
        per_step_shares=spec.per_step_shares,
    )
