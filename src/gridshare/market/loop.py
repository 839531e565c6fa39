"""The iterative pricing algorithm: prices -> individual responses -> offers -> prices, repeated.

1. Offers from the members' net loads (forecast pre-delivery, metered post-delivery) give the
   first prices by the chosen mechanism.
2. Every member's individual model is solved with the local-market price as an extra buy and
   sell opportunity (:class:`~gridshare.market.blocks.LemOpportunityBlock`); post-delivery the
   dispatch is held at the schedule, so only the grid/market split can change.
3. Offers are rebuilt from the resulting net positions and the prices recomputed.
4. Steps 2-3 repeat until the Euclidean distance between successive price vectors is below
   ``tol`` (currency/kWh) or ``max_iter`` is reached; then the two-stage collective model is run
   and billed at those prices (trades settle at them; a budget-balanced compensation line keeps
   every member at or below its cost alone, see :func:`gridshare.market.settle_result`).

Batteries respond bang-bang to a price, so the plain iteration can cycle between price vectors.
``damping`` (``p <- (1 - a) * new + a * old``) and ``averaging`` (the running mean of all
mechanism outputs) are offered; :attr:`LoopResult.converged` and :attr:`LoopResult.cycling`
report honestly what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from gridshare.market.blocks import LemOpportunityBlock
from gridshare.market.collective import (
    STRUCTURES,
    TIMEFRAMES,
    CollectiveRun,
    RecRules,
    check_choice,
    run_collective,
)
from gridshare.market.offers import offers_from_inputs, offers_from_result
from gridshare.market.pricing import MECHANISMS, Pricing, price_book
from gridshare.model import DEFAULT_BLOCKS, ModelInputs, Result, SolveOptions, build_model, solve
from gridshare.model.build import DISPATCH_VARIABLES


@dataclass
class LoopResult:
    """Outcome of the iterative algorithm.

    Attributes
    ----------
    price : numpy.ndarray
        Final local-market price per step, currency/kWh.
    pricing : Pricing
        The last mechanism run (on the last individual responses).
    iterations : int
        Individual-response rounds run.
    history : list of float
        Euclidean distance between successive price vectors, currency/kWh, one per round.
    price_history : numpy.ndarray
        Every price vector, shape (iterations + 1, step), the first from the raw net loads.
    converged : bool
        Whether the last distance is below ``tol``.
    cycling : bool
        Whether the mechanism's output came back to an earlier one (not the last) before
        convergence: the plain iteration cycles (it then stops; damped or averaged runs go on).
    collective : CollectiveRun or None
        The final two-stage collective run at ``price`` (None with ``final_stage=False``).
    individual : gridshare.model.Result
        The members' last individual responses.
    """

    price: np.ndarray
    pricing: Pricing
    iterations: int
    history: list[float]
    price_history: np.ndarray
    converged: bool
    cycling: bool
    collective: CollectiveRun | None
    individual: Result

    @property
    def history_frame(self) -> pd.DataFrame:
        """``iteration``, ``distance`` (currency/kWh) per round."""
        return pd.DataFrame({"iteration": np.arange(1, len(self.history) + 1),
                             "distance": self.history})


def _hold_dispatch(model: Any, schedule: Any) -> None:
    """Fix dispatch variables at a schedule (post-delivery individual responses)."""
    sol = schedule.solution if hasattr(schedule, "solution") else schedule
    for name in DISPATCH_VARIABLES:
        if name not in model.variables or name not in sol:
            continue
        var = model.variables[name]
        value = sol[name].reindex({d: var.indexes[d] for d in var.dims}, fill_value=0.0)
        value = np.minimum(np.maximum(value.transpose(*var.dims), var.lower), var.upper)
        var.update(lower=value, upper=value)


def individual_responses(inputs: ModelInputs, price: np.ndarray, *, fee_per_kwh: float = 0.0,
                         blocks: tuple = DEFAULT_BLOCKS, schedule: Any = None,
                         options: SolveOptions | None = None) -> Result:
    """Every member alone, with the local market at ``price`` as an extra opportunity.

    Parameters
    ----------
    inputs : ModelInputs
    price : numpy.ndarray
        Local-market price per step, currency/kWh.
    fee_per_kwh : float
        Fee per kWh bought in the local market, currency/kWh.
    blocks : tuple of Block
    schedule : Result or xarray.Dataset, optional
        Dispatch to hold (post-delivery).
    options : SolveOptions, optional

    Returns
    -------
    gridshare.model.Result
    """
    cm = build_model(inputs, "individual",
                     blocks=(*blocks, LemOpportunityBlock(price, fee_per_kwh)))
    if schedule is not None:
        _hold_dispatch(cm.model, schedule)
    return solve(cm, replace(options or SolveOptions(), duals=False))


def iterate_prices(inputs: ModelInputs, mechanism: str = "mmr", structure: str = "pool",
                   timeframe: str = "pre", pruned: bool = False, *, divisor: float = 0.5,
                   compensation: float | None = None, increment: float = 0.0, tol: float = 0.01,
                   max_iter: int = 20, damping: float = 0.0, averaging: bool = False,
                   rules: RecRules | None = None, schedule: Any = None,
                   options: SolveOptions | None = None, final_stage: bool = True) -> LoopResult:
    """Run the iterative pricing algorithm.

    Parameters
    ----------
    inputs : ModelInputs
        Forecast (pre) or metered (post) inputs.
    mechanism : {"crossing_value", "mmr", "sdr", "sdrc"}
    structure : {"pool", "bilateral"}
        Structure of the final collective run.
    timeframe : {"pre", "post"}
    pruned : bool
        Full or pruned form of the mechanism.
    divisor, compensation, increment
        Mechanism parameters (see :func:`~gridshare.market.price_book`).
    tol : float
        Stop when successive price vectors are closer than this, currency/kWh (Euclidean).
    max_iter : int
        Most individual-response rounds.
    damping : float
        Weight of the previous prices in each update, in [0, 1).
    averaging : bool
        Use the running mean of all mechanism outputs as the next prices.
    rules : RecRules, optional
    schedule : Result or xarray.Dataset, optional
        Post-delivery dispatch (default: the members' individual optima).
    options : SolveOptions, optional
    final_stage : bool
        Run the two-stage collective model at the final prices.

    Returns
    -------
    LoopResult
    """
    check_choice(mechanism, MECHANISMS, "mechanism")
    check_choice(structure, STRUCTURES, "structure")
    check_choice(timeframe, TIMEFRAMES, "timeframe")
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be > 0 currency/kWh; got {tol}")
    if not (isinstance(max_iter, int) and max_iter >= 1):
        raise ValueError(f"max_iter must be an integer >= 1; got {max_iter!r}")
    if not 0 <= damping < 1:
        raise ValueError(f"damping must be in [0, 1); got {damping}")
    rules = rules or RecRules()
    options = options or SolveOptions()
    modelled = rules.apply(inputs, structure)
    blocks = DEFAULT_BLOCKS + rules.blocks()
    fee = float(rules.grid_access_fee_per_kwh)
    params = {"divisor": divisor, "compensation": compensation, "increment": increment}
    if timeframe == "post" and schedule is None:
        schedule = solve(build_model(modelled, "individual", blocks=blocks),
                         replace(options, duals=False))

    pricing = price_book(offers_from_inputs(modelled), mechanism, pruned, **params)
    price = pricing.price.copy()
    outputs = [price.copy()]
    trail = [price.copy()]
    history: list[float] = []
    converged = cycling = False
    response = None
    for _ in range(max_iter):
        response = individual_responses(modelled, price, fee_per_kwh=fee, blocks=blocks,
                                        schedule=schedule if timeframe == "post" else None,
                                        options=options)
        pricing = price_book(offers_from_result(response, modelled), mechanism, pruned, **params)
        outputs.append(pricing.price.copy())
        if averaging:
            new = np.mean(outputs, axis=0)
        else:
            new = (1.0 - damping) * pricing.price + damping * price
        distance = float(np.linalg.norm(new - price))
        history.append(distance)
        # The mechanism's raw output returning to an earlier one (not the last) is a cycle of
        # the plain map; damping or averaging may still settle, so only the plain run stops.
        raw = outputs[-1]
        if distance >= tol and any(np.linalg.norm(raw - old) < tol for old in outputs[:-2]):
            cycling = True
        price = new
        trail.append(price.copy())
        if distance < tol:
            converged = True
            break
        if cycling and damping == 0 and not averaging:
            break
    collective = None
    if final_stage:
        collective = run_collective(inputs, structure, "two", timeframe, rules=rules,
                                    prices=price, schedule=schedule, options=options)
    assert response is not None
    return LoopResult(price=price, pricing=pricing, iterations=len(history), history=history,
                      price_history=np.array(trail), converged=converged, cycling=cycling,
                      collective=collective, individual=response)
