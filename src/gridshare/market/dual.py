"""Local-market prices from shadow prices: the dual of the pool balance of the collective model.

The price of a step is what one more kWh in the community pool would save the community, i.e.
the marginal cost of the pool: the import price of the member that still imports when the pool
is short, the export price of the member that still exports when it is long.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gridshare.market.collective import TIMEFRAMES, RecRules, check_choice, run_collective
from gridshare.market.offers import offers_from_result
from gridshare.market.pricing import Pricing
from gridshare.model import ModelInputs, SolveOptions


def dual_prices(inputs: ModelInputs, timeframe: str = "pre", *, rules: RecRules | None = None,
                schedule: Any = None, options: SolveOptions | None = None) -> Pricing:
    """Shadow prices of the pool balance of the single-stage collective pool model.

    Parameters
    ----------
    inputs : ModelInputs
        Forecast (``"pre"``) or metered (``"post"``) inputs.
    timeframe : {"pre", "post"}
        Pre-delivery: dispatch is optimised collectively. Post-delivery: dispatch is held at
        ``schedule`` (default: the members' individual optima), only flows are chosen.
    rules : RecRules, optional
    schedule : Result or xarray.Dataset, optional
    options : SolveOptions, optional
        Duals are always collected.

    Returns
    -------
    Pricing
        ``mechanism="dual"``; ``price`` per step in currency/kWh; accepted kWh = each member's
        pool purchase and sale; the book holds each member's net position after dispatch. The
        solved model is in ``pricing.params["result"]``.

    Examples
    --------
    >>> from gridshare.model import ModelInputs
    >>> mi = ModelInputs.from_arrays([[0.0], [3.0]], pv_kw=[[2.0], [0.0]], import_price=0.3,
    ...                              export_price=0.05)
    >>> round(float(dual_prices(mi).price[0]), 6)  # the pool is short: import price
    0.3
    """
    check_choice(timeframe, TIMEFRAMES, "timeframe")
    from dataclasses import replace

    opts = replace(options or SolveOptions(), duals=True)
    run = run_collective(inputs, "pool", "single", timeframe, rules=rules, schedule=schedule,
                         options=opts)
    result = run.result
    if "pool_balance" not in result.duals:
        raise ValueError("the collective model returned no pool_balance shadow prices "
                         f"({result.attrs.get('dual_note', 'no note')})")
    price = result.duals["pool_balance"].transpose("time").values.astype(float)
    dt = float(inputs.step_hours)
    book = offers_from_result(result, run.inputs)
    sol = result.solution
    members = list(run.inputs.members)
    buy = sol["pool_buy"].reindex(member=members).transpose("time", "member").values * dt
    sell = sol["pool_sell"].reindex(member=members).transpose("time", "member").values * dt
    keep = 1.0 - float(run.inputs.pool_loss)
    return Pricing.from_accepted("dual", np.asarray(price), book, buy, keep * sell,
                                 {"timeframe": timeframe, "result": result, "run": run})
