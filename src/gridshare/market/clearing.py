"""The pool clearing on a (step x column) book, vectorised over steps.

Columns are members, or tariff groups when members share values. For each step the sells are
ordered by value ascending and the buys descending; the traded quantity is
``Q = max over sell levels x of min(sell kWh up to x, buy kWh worth more than x + 2 increment)``,
which is where a walk along both cumulative curves stops. Offers of equal value form one level;
a partly accepted level is shared pro rata. See :mod:`gridshare.market.pricing` for the price
rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridshare.market.offers import OfferBook

AMOUNT_TOL_KWH = 1e-9
"""Offers below this amount are treated as absent; quantities closer than this are equal."""


# --- column view: members, or tariff groups when fewer ----------------------------------------

@dataclass
class ColumnBook:
    """A book as columns to sort: one per tariff group when members share values."""

    buy_kwh: np.ndarray
    buy_value: np.ndarray
    sell_kwh: np.ndarray
    sell_value: np.ndarray
    groups: np.ndarray | None  # member -> column, None when columns are members


def column_book(book: OfferBook) -> ColumnBook:
    """The book as sortable columns: one per tariff group when fewer groups than members."""
    # The group sums are the one full pass over the book; every mechanism and form reuses them.
    cached = book._cache.get("columns")
    if cached is None:
        cached = book._cache["columns"] = _column_book(book)
    return cached


def _column_book(book: OfferBook) -> ColumnBook:
    n_groups = book.n_groups
    if n_groups >= book.n_members:
        return ColumnBook(book.buy_kwh, book.buy_value, book.sell_kwh, book.sell_value, None)
    onehot = np.zeros((book.n_members, n_groups))
    onehot[np.arange(book.n_members), book.groups] = 1.0
    first = np.unique(book.groups, return_index=True)[1]
    # Members of a group have identical values, so summing their amounts loses nothing; a matrix
    # product with the (member, group) indicator reads each array once, in either memory order.
    return ColumnBook(book.buy_kwh @ onehot, book.buy_value[:, first], book.sell_kwh @ onehot,
                    book.sell_value[:, first], book.groups)


# --- the pool clearing on columns -------------------------------------------------------------

def _sorted_side(amount: np.ndarray, value: np.ndarray, descending: bool):
    present = amount > AMOUNT_TOL_KWH
    key = np.where(present, -value if descending else value, np.inf)
    order = np.argsort(key, axis=1, kind="stable")
    key = np.take_along_axis(key, order, axis=1)
    amt = np.take_along_axis(np.where(present, amount, 0.0), order, axis=1)
    val = -key if descending else key  # absent offers sort last, at -inf (buy) / +inf (sell)
    return order, val, amt, np.cumsum(amt, axis=1)


def _level_bounds(val: np.ndarray, cum: np.ndarray, amt: np.ndarray):
    """Start and end (cumulative kWh) of the level of equal values each sorted column is in."""
    n = val.shape[1]
    cols = np.arange(n)
    change = np.ones(val.shape, dtype=bool)
    change[:, 1:] = val[:, 1:] != val[:, :-1]
    first = np.maximum.accumulate(np.where(change, cols, 0), axis=1)
    last_flag = np.ones(val.shape, dtype=bool)
    last_flag[:, :-1] = change[:, 1:]
    last = np.minimum.accumulate(np.where(last_flag, cols, n - 1)[:, ::-1], axis=1)[:, ::-1]
    start = np.take_along_axis(cum - amt, first, axis=1)
    end = np.take_along_axis(cum, last, axis=1)
    return start, end


def _demand_above(sell_val: np.ndarray, buy_val: np.ndarray, buy_cum: np.ndarray,
                  gap: float) -> np.ndarray:
    """For each sorted sell column, the buy kWh whose value exceeds ``sell value + gap``."""
    n_steps, n_sell = sell_val.shape
    n_buy = buy_val.shape[1]
    if n_sell * n_buy <= 4096:
        above = buy_val[:, None, :] > sell_val[:, :, None] + gap
        count = above.sum(axis=2)
    else:
        # One searchsorted over all steps: each row is shifted by its own offset so the
        # concatenated rows stay sorted (buy keys are -value, ascending within a row).
        finite_b = buy_val[np.isfinite(buy_val)]
        finite_s = sell_val[np.isfinite(sell_val)]
        if finite_b.size == 0 or finite_s.size == 0:
            return np.zeros(sell_val.shape)
        lo = min(-finite_b.max(), -(finite_s.max() + gap)) - 1.0
        hi = max(-finite_b.min(), -(finite_s.min() + gap)) + 1.0
        span = hi - lo + 1.0
        offset = (np.arange(n_steps) * span)[:, None]
        keys = np.where(np.isfinite(buy_val), -buy_val, hi) - lo + offset
        query = np.where(np.isfinite(sell_val), -(sell_val + gap), lo) - lo + offset
        pos = np.searchsorted(keys.ravel(), query.ravel(), side="left").reshape(query.shape)
        count = pos - (np.arange(n_steps) * n_buy)[:, None]
        count = np.clip(count, 0, n_buy)
    padded = np.concatenate([np.zeros((n_steps, 1)), buy_cum], axis=1)
    return np.take_along_axis(padded, count, axis=1)


@dataclass
class Clearing:
    """Price (currency/kWh) and traded kWh per step; accepted share per step and column."""

    price: np.ndarray
    traded_kwh: np.ndarray
    buy_fraction: np.ndarray  # per column, unsorted
    sell_fraction: np.ndarray


def clear_columns(buy_kwh: np.ndarray, buy_value: np.ndarray, sell_kwh: np.ndarray,
                  sell_value: np.ndarray, increment: float) -> Clearing:
    """Clear every step of a column book.

    Parameters
    ----------
    buy_kwh, sell_kwh : numpy.ndarray
        Offered energy per step and column, kWh (columns may differ between the sides).
    buy_value, sell_value : numpy.ndarray
        Offer values, currency/kWh, same shapes.
    increment : float
        Added to sell and subtracted from buy values when comparing them, currency/kWh.

    Returns
    -------
    Clearing
        Price per step (see :mod:`gridshare.market.pricing` for the rules), traded kWh per step
        and the accepted share of every column.
    """
    tol = AMOUNT_TOL_KWH
    n_steps = buy_kwh.shape[0]
    rows = np.arange(n_steps)
    b_order, bv, ba, bc = _sorted_side(buy_kwh, buy_value, descending=True)
    s_order, sv, sa, sc = _sorted_side(sell_kwh, sell_value, descending=False)
    total_b = bc[:, -1] if bc.shape[1] else np.zeros(n_steps)
    total_s = sc[:, -1] if sc.shape[1] else np.zeros(n_steps)
    if sc.shape[1] and bc.shape[1]:
        # Walk result: Q = max over sell levels x of min(sells up to x, buys worth more than x).
        demand = _demand_above(sv, bv, bc, 2.0 * increment)
        traded = np.maximum(np.minimum(sc, demand).max(axis=1), 0.0)
    else:
        traded = np.zeros(n_steps)
    trade = traded > tol
    has_b, has_s = total_b > tol, total_s > tol

    if sc.shape[1]:
        idx = np.minimum((sc < traded[:, None] - tol).sum(axis=1), sc.shape[1] - 1)
        marginal_seller = sv[rows, idx]
        lowest_sell = sv[:, 0]
    else:
        marginal_seller = lowest_sell = np.zeros(n_steps)
    if bc.shape[1]:
        b_start, _ = _level_bounds(bv, bc, ba)
        jdx = np.minimum((bc <= traded[:, None] + tol).sum(axis=1), bc.shape[1] - 1)
        partial_buyer = (trade & (traded >= total_s - tol) & (total_b > traded + tol)
                         & (b_start[rows, jdx] < traded - tol))
        buyer_value = bv[rows, jdx]
        highest_buy = bv[:, 0]
    else:
        partial_buyer = np.zeros(n_steps, dtype=bool)
        buyer_value = highest_buy = np.zeros(n_steps)
    cleared = np.where(partial_buyer, buyer_value, marginal_seller)
    idle = np.where(has_s, lowest_sell, np.where(has_b, highest_buy, 0.0))
    price = np.where(trade, cleared, idle)

    def fractions(order, val, amt, cum):
        if not cum.shape[1]:
            return np.zeros(cum.shape)
        start, end = _level_bounds(val, cum, amt)
        width = end - start
        safe = np.where(width > tol, width, 1.0)
        frac_sorted = np.where(width > tol,
                               np.clip((traded[:, None] - start) / safe, 0.0, 1.0), 0.0)
        frac = np.empty_like(frac_sorted)
        np.put_along_axis(frac, order, frac_sorted, axis=1)
        return frac

    return Clearing(price, traded, fractions(b_order, bv, ba, bc),
                     fractions(s_order, sv, sa, sc))
