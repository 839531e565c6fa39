"""One step of the P2P market: a local price, then order matching at that price.

Agents offer to buy (deficit, kWh) and to sell (surplus, kWh). A buyer takes part while the local
price is at most its grid import price, a seller while it is at least its grid export price;
the rest goes to the grid. The short side is matched in full and the long side pro rata, so
every participating buyer and seller gets the same fill fraction of its side. Bilateral trades
for the ledger and the network graph come from laying the sellers' and buyers' accepted amounts
end to end on one energy axis and cutting at every boundary: at most ``sellers + buyers - 1``
trades, and each trade row's amounts sum exactly to each agent's accepted energy.

Price estimators
----------------
``"mid"`` (default)
    Mid-market: ``(import + export) / 2`` averaged over the agents' grid prices in the step.
Any of :data:`gridshare.market.MECHANISMS`
    The step's offers (values = the agents' grid prices) are priced by
    :func:`gridshare.market.price_book`; its accepted amounts are the matched amounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridshare.market import MECHANISMS, offers_from_net_load, price_book

PRICE_ESTIMATORS = ("mid", *MECHANISMS)
"""Names of the local price estimators."""

TOL_KWH = 1e-12


@dataclass
class StepClearing:
    """Outcome of one market step.

    Attributes
    ----------
    price : float
        Local price, currency/kWh.
    bought_kwh, sold_kwh : numpy.ndarray
        Energy each agent bought from / sold to peers, kWh, shape (agent,).
    """

    price: float
    bought_kwh: np.ndarray
    sold_kwh: np.ndarray


def mid_price(import_price: np.ndarray, export_price: np.ndarray) -> float:
    """Mid-market price, currency/kWh: the mean of the agents' average import and export prices.

    Examples
    --------
    >>> mid_price(np.array([0.15, 0.15]), np.array([0.05, 0.05]))
    0.1
    """
    return 0.5 * (float(np.mean(import_price)) + float(np.mean(export_price)))


def clear_step(buy_kwh: np.ndarray, sell_kwh: np.ndarray, import_price: np.ndarray,
               export_price: np.ndarray, estimator: str = "mid") -> StepClearing:
    """Price and match one step's offers.

    Parameters
    ----------
    buy_kwh, sell_kwh : numpy.ndarray
        Each agent's offer to buy / sell, kWh, shape (agent,), >= 0.
    import_price, export_price : numpy.ndarray
        Each agent's grid prices this step, currency/kWh, shape (agent,).
    estimator : str
        One of :data:`PRICE_ESTIMATORS`.

    Returns
    -------
    StepClearing

    Examples
    --------
    >>> c = clear_step(np.array([2.0, 0.0, 1.0]), np.array([0.0, 1.5, 0.0]),
    ...                np.full(3, 0.15), np.full(3, 0.05))
    >>> c.price, c.bought_kwh.tolist(), c.sold_kwh.tolist()
    (0.1, [1.0, 0.0, 0.5], [0.0, 1.5, 0.0])
    """
    if estimator == "mid":
        price = mid_price(import_price, export_price)
        b = np.where(import_price >= price, buy_kwh, 0.0)
        s = np.where(export_price <= price, sell_kwh, 0.0)
        total_b, total_s = b.sum(), s.sum()
        matched = min(total_b, total_s)
        if matched <= TOL_KWH:
            zero = np.zeros_like(buy_kwh)
            return StepClearing(price, zero, zero.copy())
        # Short side in full, long side pro rata: the two sides sum to `matched` exactly.
        bought = b if total_b <= total_s else b * (matched / total_b)
        sold = s if total_s <= total_b else s * (matched / total_s)
        return StepClearing(price, bought, sold)
    if estimator not in MECHANISMS:
        raise ValueError(f"price estimator must be one of {PRICE_ESTIMATORS}; got {estimator!r}")
    net = (buy_kwh - sell_kwh)[None, :]
    book = offers_from_net_load(net, import_price[None, :], export_price[None, :])
    pricing = price_book(book, estimator)
    bought, sold = pricing.buy_kwh[0].copy(), pricing.sell_kwh[0].copy()
    # Guard the balance against rounding in the mechanism's fractions.
    tb, ts = bought.sum(), sold.sum()
    if tb > TOL_KWH and ts > TOL_KWH:
        matched = min(tb, ts)
        bought *= matched / tb
        sold *= matched / ts
    else:
        bought[:] = 0.0
        sold[:] = 0.0
    return StepClearing(float(pricing.price[0]), bought, sold)


def pair_trades(sold_kwh: np.ndarray, bought_kwh: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                        np.ndarray]:
    """Split matched energy into bilateral trades (seller, buyer, kWh).

    Sellers' and buyers' amounts are laid end to end (agent order) on one energy axis; each
    piece between consecutive boundaries is one trade.

    Parameters
    ----------
    sold_kwh, bought_kwh : numpy.ndarray
        Accepted energy per agent, kWh, with equal sums.

    Returns
    -------
    seller, buyer : numpy.ndarray of int
        Agent positions.
    kwh : numpy.ndarray
        Energy of each trade, kWh.

    Examples
    --------
    >>> s, b, e = pair_trades(np.array([0.0, 3.0, 0.0]), np.array([1.0, 0.0, 2.0]))
    >>> s.tolist(), b.tolist(), e.tolist()
    ([1, 1], [0, 2], [1.0, 2.0])
    """
    cs, cb = np.cumsum(sold_kwh), np.cumsum(bought_kwh)
    total = min(cs[-1], cb[-1]) if len(cs) else 0.0
    if total <= TOL_KWH:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty.copy(), np.zeros(0)
    cuts = np.unique(np.concatenate([cs, cb]))
    cuts = cuts[(cuts > 0) & (cuts < total)]
    edges = np.concatenate([[0.0], cuts, [total]])
    mids = 0.5 * (edges[:-1] + edges[1:])
    kwh = np.diff(edges)
    keep = kwh > TOL_KWH
    seller = np.searchsorted(cs, mids[keep], side="right")
    buyer = np.searchsorted(cb, mids[keep], side="right")
    n = len(sold_kwh)
    return np.minimum(seller, n - 1), np.minimum(buyer, n - 1), kwh[keep]
