"""Local energy market pricing: offers, pricing mechanisms, dual prices, the iterative loop,
collective operation under REC rules, and settlement.

Examples
--------
>>> from gridshare.market import single_step_book, price_book
>>> book = single_step_book([("a", 2.0, 0.30)], [("b", 1.0, 0.10)])
>>> [round(float(price_book(book, m).price[0]), 4) for m in ("crossing_value", "mmr", "sdr")]
[0.3, 0.2, 0.15]
"""

from gridshare.market.collective import (
    CollectiveRun,
    RecRules,
    individual_costs,
    individual_optimum,
    run_collective,
)
from gridshare.market.dual import dual_prices
from gridshare.market.loop import LoopResult, individual_responses, iterate_prices
from gridshare.market.offers import (
    OfferBook,
    make_book,
    offers_from_inputs,
    offers_from_net_load,
    offers_from_result,
    single_step_book,
    tariff_groups,
)
from gridshare.market.pricing import (
    MECHANISMS,
    Pricing,
    clear_pool,
    crossing_value,
    mmr,
    price_book,
    prune,
    sdr,
)
from gridshare.market.run import ALL_MECHANISMS, PricingResult, run_pricing
from gridshare.market.settlement import (
    ALONE_DEFINITION,
    BILL_COLUMNS,
    Settlement,
    fair_payments,
    other_costs,
    settle,
    settle_result,
    share_coefficients,
)

__all__ = [
    "ALL_MECHANISMS",
    "ALONE_DEFINITION",
    "BILL_COLUMNS",
    "MECHANISMS",
    "CollectiveRun",
    "LoopResult",
    "OfferBook",
    "Pricing",
    "PricingResult",
    "RecRules",
    "Settlement",
    "clear_pool",
    "crossing_value",
    "dual_prices",
    "fair_payments",
    "individual_costs",
    "individual_optimum",
    "individual_responses",
    "iterate_prices",
    "make_book",
    "mmr",
    "offers_from_inputs",
    "offers_from_net_load",
    "offers_from_result",
    "other_costs",
    "price_book",
    "prune",
    "run_collective",
    "run_pricing",
    "sdr",
    "settle",
    "settle_result",
    "share_coefficients",
    "single_step_book",
    "tariff_groups",
]
