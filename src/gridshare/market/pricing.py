"""Local-market prices from an offer book: crossing value, MMR, SDR and SDRC, per step.

Every mechanism works on a whole horizon at once: the book is a set of (step, member) arrays and
the result is one price per step plus the accepted amounts of every offer, with no Python loop
over steps or members.

Crossing value (pool clearing)
    Sells are ordered by value ascending and buys descending; walking both cumulative curves
    together, energy trades while the sell value (plus ``increment``) is below the buy value
    (minus ``increment``). The traded quantity ``Q`` is where the curves cross or where one side
    runs out. The price is the value of the *marginal seller*, the highest-valued sell offer that
    trades energy (fully or in part); when the sells run out while a buy offer is only partly
    served, the price is that buy offer's value. Only buyers: the highest buy value; only sellers
    or two sides that do not cross: the lowest sell value; no offers: 0. Offers of equal value
    form one level and share a partly accepted level pro rata.
MMR (mid-market rate)
    ``max_sell + divisor * (min_buy - max_sell)``.
SDR / SDRC (supply-demand ratio, compensated)
    With supply ``E``, demand ``D``, ``r = E / D`` and ``k = compensation * (min_buy - max_sell)``:
    ``max_sell + k / r`` if ``r >= 1``, else
    ``min_buy * (max_sell + k) / ((min_buy - max_sell - k) * r + max_sell + k)``.

MMR and SDR fall back to the crossing value in steps where ``min_buy < max_sell`` and follow the
same one-sided and empty rules. At an MMR or SDR price every offer is willing to trade, so the
short side is fully accepted and the long side pro rata. In the *pruned* form the book is first
reduced to the offers a pool clearing accepts (the partly accepted marginal offer with its
accepted part), then the mechanism is applied to that book: a one-sided book becomes empty and
its price is 0.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from gridshare.market.clearing import (
    AMOUNT_TOL_KWH,
    Clearing,
    ColumnBook,
    clear_columns,
    column_book,
)
from gridshare.market.offers import OfferBook

MECHANISMS = ("crossing_value", "mmr", "sdr", "sdrc")
"""Names accepted by :func:`price_book`."""

PARALLEL_ELEMENTS = 2_000_000
"""Books with more (step x member) cells than this expand both sides' accepted kWh in parallel."""


def expand_columns(fraction: np.ndarray, column_of_member: np.ndarray,
                   amount: np.ndarray) -> np.ndarray:
    """Accepted kWh of every member: its column's accepted share times its offer, (step, member).

    The share table is tiny (step x group); it is expanded in the book's own memory order, so
    a member-major book (``ModelInputs`` arrays transposed) is written in contiguous rows.
    """
    if amount.flags.f_contiguous and not amount.flags.c_contiguous:
        out = np.take(np.ascontiguousarray(fraction.T), column_of_member, axis=0).T
    else:
        out = np.take(fraction, column_of_member, axis=1)
    return np.multiply(out, amount, out=out)  # in place: one (step, member) allocation


BLOCK_BYTES = 1 << 20
"""Size of the blocks :func:`expand_signed` works in, bytes: small enough to stay in cache."""


def expand_signed(buy_fraction: np.ndarray, sell_fraction: np.ndarray,
                  column_of_member: np.ndarray | None, buy_kwh: np.ndarray, sell_kwh: np.ndarray,
                  workers: int = 1, block_bytes: int = BLOCK_BYTES) -> np.ndarray:
    """Signed accepted kWh of every member, (step, member): + bought, - sold.

    ``buy share of its column x buy offer - sell share x sell offer``. When a member offers on
    one side only (a book built from net loads), one of the two terms is zero, so each entry is
    exactly that side's accepted kWh with its sign.

    Parameters
    ----------
    buy_fraction, sell_fraction : numpy.ndarray
        Accepted share per step and column, (step, column), in [0, 1].
    column_of_member : numpy.ndarray or None
        Column of each member; None when the columns are the members.
    buy_kwh, sell_kwh : numpy.ndarray
        Offered energy, kWh, (step, member), both in the same memory order.
    workers : int
        Threads sharing the work (numpy releases the GIL in the block operations).
    block_bytes : int
        Size of the blocks the work is done in, bytes.

    Returns
    -------
    numpy.ndarray
        Accepted kWh, (step, member), in the memory order of ``buy_kwh``.

    Examples
    --------
    >>> expand_signed(np.array([[0.5, 1.0]]), np.array([[1.0, 0.25]]), np.array([0, 1, 1]),
    ...               np.array([[2.0, 0.0, 1.0]]), np.array([[0.0, 4.0, 0.0]])).tolist()
    [[1.0, -1.0, 1.0]]
    """
    if int(workers) < 1 or int(block_bytes) < 8:
        raise ValueError(f"workers must be >= 1 and block_bytes >= 8; got workers={workers}, "
                         f"block_bytes={block_bytes}")
    if column_of_member is None:
        return buy_fraction * buy_kwh - sell_fraction * sell_kwh
    out = np.empty_like(buy_kwh, dtype=float)  # order "K": same layout as the book
    member_major = buy_kwh.flags.f_contiguous and not buy_kwh.flags.c_contiguous
    if member_major and not sell_kwh.flags.f_contiguous:
        sell_kwh = np.asfortranarray(sell_kwh)
    elif not member_major and not sell_kwh.flags.c_contiguous:
        sell_kwh = np.ascontiguousarray(sell_kwh)
    if member_major:
        # A block is some members' whole series; the share rows of their groups are gathered
        # from the (group, step) tables, which stay in cache.
        buy, sell, dst = buy_kwh.T, sell_kwh.T, out.T
        tables = (np.ascontiguousarray(buy_fraction.T), np.ascontiguousarray(sell_fraction.T))

        def gather(table: np.ndarray, lo: int, hi: int, into: np.ndarray) -> None:
            np.take(table, column_of_member[lo:hi], axis=0, out=into)
    else:
        buy, sell, dst = np.ascontiguousarray(buy_kwh), sell_kwh, out
        tables = (buy_fraction, sell_fraction)

        def gather(table: np.ndarray, lo: int, hi: int, into: np.ndarray) -> None:
            np.take(table[lo:hi], column_of_member, axis=1, out=into)

    n_rows, n_cols = buy.shape
    rows = max(1, block_bytes // (8 * max(1, n_cols)))

    def run(first: int, last: int) -> None:
        # Each block goes through memory once (read both offers, write the result); the shares
        # and products stay in cache. Arithmetic, not a masked select: several times faster on
        # mixed signs, and exact, as one of the two products is zero for a one-sided offer.
        bought = np.empty((rows, n_cols))
        sold = np.empty((rows, n_cols))
        for lo in range(first, last, rows):
            hi = min(lo + rows, last)
            b, s_ = bought[:hi - lo], sold[:hi - lo]
            gather(tables[0], lo, hi, b)
            np.multiply(b, buy[lo:hi], out=b)
            gather(tables[1], lo, hi, s_)
            np.multiply(s_, sell[lo:hi], out=s_)
            np.subtract(b, s_, out=dst[lo:hi])

    if workers <= 1 or n_rows < 2 * rows:
        run(0, n_rows)
    else:
        bounds = np.linspace(0, n_rows, workers + 1).astype(int)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(run, bounds[:-1], bounds[1:]))
    return out


# --- results -----------------------------------------------------------------------------------

class Pricing:
    """Prices per step and the accepted offers.

    Attributes
    ----------
    mechanism : str
        One of :data:`MECHANISMS` (or ``"dual"``).
    pruned : bool
        Whether the mechanism was applied to the pool-accepted offers only.
    price : numpy.ndarray
        Local-market price per step, currency/kWh.
    book : OfferBook
        The book the prices were computed from (the full book, also in the pruned form).
    fallback : numpy.ndarray
        Steps where MMR/SDR fell back to the crossing value (``min_buy < max_sell``).
    params : dict
        The mechanism's parameters.
    buy_fraction, sell_fraction : numpy.ndarray
        Accepted share of each offer, per step and column (tariff group, or member when
        ``column_of_member`` is None); :attr:`accepted_kwh` (signed), :attr:`buy_kwh` and
        :attr:`sell_kwh` expand them, each on first use.
    """

    def __init__(self, mechanism: str, pruned: bool, price: np.ndarray, book: OfferBook,
                 buy_fraction: np.ndarray, sell_fraction: np.ndarray,
                 column_of_member: np.ndarray | None, fallback: np.ndarray,
                 params: dict[str, Any] | None = None) -> None:
        self.mechanism = mechanism
        self.pruned = pruned
        self.price = price
        self.book = book
        self.buy_fraction = buy_fraction
        self.sell_fraction = sell_fraction
        self.column_of_member = column_of_member
        self.fallback = fallback
        self.params = dict(params or {})

    @classmethod
    def from_accepted(cls, mechanism: str, price: np.ndarray, book: OfferBook,
                      buy_kwh: np.ndarray, sell_kwh: np.ndarray,
                      params: dict[str, Any] | None = None) -> Pricing:
        """A pricing whose accepted kWh come from elsewhere (e.g. a solved model's pool flows)."""
        shape = (book.n_steps, book.n_members)
        for name, arr in (("buy_kwh", buy_kwh), ("sell_kwh", sell_kwh)):
            if np.shape(arr) != shape:
                raise ValueError(f"{name} must have shape (step, member) = {shape}; got "
                                 f"{np.shape(arr)}")
        out = cls(mechanism, False, np.asarray(price, dtype=float), book, np.zeros(shape),
                  np.zeros(shape), None, np.zeros(book.n_steps, dtype=bool), params)
        out.__dict__["_sides"] = (np.asarray(buy_kwh, dtype=float),
                                  np.asarray(sell_kwh, dtype=float))
        return out

    def __repr__(self) -> str:
        return (f"Pricing(mechanism={self.mechanism!r}, pruned={self.pruned}, "
                f"steps={self.book.n_steps}, members={self.book.n_members})")

    def _expand(self, fraction: np.ndarray, amount: np.ndarray) -> np.ndarray:
        if self.column_of_member is None:
            return fraction * amount
        return expand_columns(fraction, self.column_of_member, amount)

    def _workers(self) -> int:
        return 2 if self.book.buy_kwh.size >= PARALLEL_ELEMENTS else 1

    @cached_property
    def accepted_kwh(self) -> np.ndarray:
        """Accepted energy of each member, kWh, (step, member): + bought, - sold.

        ``buy_kwh - sell_kwh``. On a book of one-sided offers (built from net loads) this is
        the one array computed, and :attr:`buy_kwh` and :attr:`sell_kwh` are derived from it
        when asked for.
        """
        if "_sides" in self.__dict__:
            buy, sell = self._sides
            return buy - sell
        return expand_signed(self.buy_fraction, self.sell_fraction, self.column_of_member,
                             self.book.buy_kwh, self.book.sell_kwh, self._workers())

    @cached_property
    def _sides(self) -> tuple[np.ndarray, np.ndarray]:
        if self.book.net_kwh is not None:
            signed = self.accepted_kwh
            # where, not maximum: the other side's entries are an exact +0.0
            return np.where(signed > 0, signed, 0.0), np.where(signed < 0, -signed, 0.0)
        # Both sides at once: on a large book each side is bound by memory traffic, so the two
        # run side by side in threads (numpy releases the GIL in take and multiply).
        book = self.book
        if self._workers() == 1:
            return (self._expand(self.buy_fraction, book.buy_kwh),
                    self._expand(self.sell_fraction, book.sell_kwh))
        with ThreadPoolExecutor(max_workers=2) as pool:
            sell = pool.submit(self._expand, self.sell_fraction, book.sell_kwh)
            buy = self._expand(self.buy_fraction, book.buy_kwh)
            return buy, sell.result()

    @property
    def buy_kwh(self) -> np.ndarray:
        """Accepted energy of each member's buy offer, kWh, shape (step, member)."""
        return self._sides[0]

    @property
    def sell_kwh(self) -> np.ndarray:
        """Accepted energy of each member's sell offer, kWh, shape (step, member)."""
        return self._sides[1]

    @property
    def prices(self) -> pd.Series:
        """Price per step, currency/kWh, indexed by the book's steps."""
        return pd.Series(self.price, index=self.book.time, name="price_per_kwh")

    @property
    def traded_kwh(self) -> np.ndarray:
        """Energy traded in the local market per step, kWh."""
        if "_sides" not in self.__dict__ and self.book.net_kwh is not None:
            return np.maximum(self.accepted_kwh, 0.0).sum(axis=1)
        return self.buy_kwh.sum(axis=1)

    def accepted_frame(self) -> pd.DataFrame:
        """Accepted offers, one row each: ``step``, ``member``, ``side``, ``kwh``."""
        parts = []
        for side, amount in (("buy", self.buy_kwh), ("sell", self.sell_kwh)):
            t, m = np.nonzero(amount > AMOUNT_TOL_KWH)
            parts.append(pd.DataFrame({"step": self.book.time[t], "member": self.book.members[m],
                                       "side": side, "kwh": amount[t, m]}))
        return pd.concat(parts, ignore_index=True)


def _check_increment(increment: float) -> float:
    if not (np.isfinite(increment) and increment >= 0):
        raise ValueError(f"increment must be a finite number >= 0 currency/kWh; got {increment}")
    return float(increment)


def _clear(cols: ColumnBook, increment: float) -> Clearing:
    return clear_columns(cols.buy_kwh, cols.buy_value, cols.sell_kwh, cols.sell_value,
                          increment)


def _scaled(cols: ColumnBook, buy_fraction: np.ndarray, sell_fraction: np.ndarray) -> ColumnBook:
    return ColumnBook(cols.buy_kwh * buy_fraction, cols.buy_value, cols.sell_kwh * sell_fraction,
                    cols.sell_value, cols.groups)


def clear_pool(book: OfferBook, increment: float = 0.0) -> Pricing:
    """Clear the pool: the crossing-value price and the accepted offers of every step.

    Parameters
    ----------
    book : OfferBook
    increment : float
        Added to sell values and subtracted from buy values when comparing them, currency/kWh
        (>= 0); a sell trades with a buy only if ``sell + increment < buy - increment``.

    Returns
    -------
    Pricing
        ``mechanism="crossing_value"``, full form.

    Examples
    --------
    >>> from gridshare.market.offers import single_step_book
    >>> b = single_step_book([("a", 3.0, 0.30), ("b", 2.0, 0.20)],
    ...                      [("c", 4.0, 0.05), ("d", 2.0, 0.25)])
    >>> p = clear_pool(b)
    >>> float(p.price[0]), p.buy_kwh.tolist(), p.sell_kwh.tolist()
    (0.05, [[3.0, 1.0, 0.0, 0.0]], [[0.0, 0.0, 4.0, 0.0]])
    """
    increment = _check_increment(increment)
    cols = column_book(book)
    c = _clear(cols, increment)
    return Pricing("crossing_value", False, c.price, book, c.buy_fraction, c.sell_fraction,
                   cols.groups, np.zeros(book.n_steps, dtype=bool), {"increment": increment})


def prune(book: OfferBook, increment: float = 0.0) -> OfferBook:
    """The book reduced to the offers a pool clearing accepts (partly accepted ones in part)."""
    cleared = clear_pool(book, increment)
    return book.with_amounts(cleared.buy_kwh, cleared.sell_kwh)


@dataclass
class _Stats:
    total_buy: np.ndarray
    total_sell: np.ndarray
    min_buy: np.ndarray
    max_sell: np.ndarray
    has_buy: np.ndarray
    has_sell: np.ndarray
    highest_buy: np.ndarray
    lowest_sell: np.ndarray


def _stats(cols: ColumnBook) -> _Stats:
    tol = AMOUNT_TOL_KWH
    pb, ps = cols.buy_kwh > tol, cols.sell_kwh > tol
    return _Stats(
        total_buy=np.where(pb, cols.buy_kwh, 0.0).sum(axis=1),
        total_sell=np.where(ps, cols.sell_kwh, 0.0).sum(axis=1),
        min_buy=np.where(pb, cols.buy_value, np.inf).min(axis=1, initial=np.inf),
        max_sell=np.where(ps, cols.sell_value, -np.inf).max(axis=1, initial=-np.inf),
        has_buy=pb.any(axis=1), has_sell=ps.any(axis=1),
        highest_buy=np.where(pb, cols.buy_value, -np.inf).max(axis=1, initial=-np.inf),
        lowest_sell=np.where(ps, cols.sell_value, np.inf).min(axis=1, initial=np.inf))


def _formula_pricing(book: OfferBook, mechanism: str, pruned: bool, increment: float,
                     formula, params: dict[str, Any], nonnegative: bool = False) -> Pricing:
    """Shared frame of MMR and SDR: pruning, one-sided rules, fallback, accepted amounts."""
    increment = _check_increment(increment)
    tol = AMOUNT_TOL_KWH
    cols = column_book(book)
    if nonnegative:
        for side, amount, value in (("buy", cols.buy_kwh, cols.buy_value),
                                    ("sell", cols.sell_kwh, cols.sell_value)):
            bad = value[(amount > tol) & (value < 0)]
            if bad.size:
                raise ValueError(f"{mechanism.upper()} needs offer values >= 0 currency/kWh; "
                                 f"found {side} values {bad[:3].tolist()}")
    # Fractions are kept relative to the original offers, so pruning composes by product.
    base_b = np.ones(cols.buy_kwh.shape)
    base_s = np.ones(cols.sell_kwh.shape)
    if pruned:
        first = _clear(cols, increment)
        base_b, base_s = first.buy_fraction, first.sell_fraction
        cols = _scaled(cols, base_b, base_s)
    st = _stats(cols)
    two_sided = st.has_buy & st.has_sell
    fallback = two_sided & (st.min_buy < st.max_sell)
    ok = two_sided & ~fallback
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        raw = formula(st)
    one_sided = np.where(st.has_buy, st.highest_buy, np.where(st.has_sell, st.lowest_sell, 0.0))
    price = np.where(ok, raw, np.where(two_sided, 0.0, one_sided))
    # Everyone is willing at a price in [max_sell, min_buy]: short side full, long side pro rata.
    traded = np.where(ok, np.minimum(st.total_buy, st.total_sell), 0.0)
    fb = (traded / np.where(ok, st.total_buy, 1.0))[:, None] * (cols.buy_kwh > tol)
    fs = (traded / np.where(ok, st.total_sell, 1.0))[:, None] * (cols.sell_kwh > tol)
    if fallback.any():
        sub = ColumnBook(cols.buy_kwh[fallback], cols.buy_value[fallback],
                       cols.sell_kwh[fallback], cols.sell_value[fallback], cols.groups)
        c = _clear(sub, increment)
        price[fallback] = c.price
        fb[fallback] = c.buy_fraction
        fs[fallback] = c.sell_fraction
    return Pricing(mechanism, pruned, price, book, fb * base_b, fs * base_s, cols.groups,
                   fallback, dict(params, increment=increment))


def crossing_value(book: OfferBook, pruned: bool = False, increment: float = 0.0) -> Pricing:
    """Crossing-value (pool-clearing) prices, full or pruned form.

    Parameters
    ----------
    book : OfferBook
    pruned : bool
        Apply the clearing to the accepted offers only: the price is then the marginal seller's
        value in every step that trades, and 0 in steps that do not.
    increment : float
        See :func:`clear_pool`, currency/kWh.

    Returns
    -------
    Pricing

    Examples
    --------
    >>> from gridshare.market.offers import single_step_book
    >>> b = single_step_book([("a", 5.0, 0.30)], [("c", 2.0, 0.05)])
    >>> float(crossing_value(b).price[0]), float(crossing_value(b, pruned=True).price[0])
    (0.3, 0.05)
    """
    if not pruned:
        return clear_pool(book, increment)
    increment = _check_increment(increment)
    cols = column_book(book)
    first = _clear(cols, increment)
    second = _clear(_scaled(cols, first.buy_fraction, first.sell_fraction), increment)
    return Pricing("crossing_value", True, second.price, book,
                   first.buy_fraction * second.buy_fraction,
                   first.sell_fraction * second.sell_fraction, cols.groups,
                   np.zeros(book.n_steps, dtype=bool), {"increment": increment})


def mmr(book: OfferBook, divisor: float = 0.5, pruned: bool = False,
        increment: float = 0.0) -> Pricing:
    """Mid-market-rate prices: ``max_sell + divisor * (min_buy - max_sell)``.

    Parameters
    ----------
    book : OfferBook
    divisor : float
        Position of the price between the highest sell value (0) and the lowest buy value (1).
    pruned : bool
        Use only the offers a pool clearing accepts.
    increment : float
        For the pool clearing (pruning and fallback), currency/kWh.

    Returns
    -------
    Pricing
        Price per step in currency/kWh and the accepted offers.

    Examples
    --------
    >>> from gridshare.market.offers import single_step_book
    >>> b = single_step_book([("a", 2.0, 0.30)], [("c", 1.0, 0.10)])
    >>> round(float(mmr(b).price[0]), 6), mmr(b).buy_kwh.tolist()
    (0.2, [[1.0, 0.0]])
    """
    if not (np.isfinite(divisor) and 0 <= divisor <= 1):
        raise ValueError(f"divisor must be in [0, 1] (0.5 = midpoint); got {divisor}")
    return _formula_pricing(book, "mmr", pruned, increment,
                            lambda s: s.max_sell + divisor * (s.min_buy - s.max_sell),
                            {"divisor": float(divisor)})


def sdr(book: OfferBook, compensation: float = 0.0, pruned: bool = False,
        increment: float = 0.0) -> Pricing:
    """Supply-demand-ratio prices; compensated (SDRC) when ``compensation > 0``.

    Parameters
    ----------
    book : OfferBook
        Offer values must be >= 0 currency/kWh (the SDR formula is defined for those).
    compensation : float
        Compensation factor ``c`` in [0, 1]; 0 is plain SDR.
    pruned : bool
        Use only the offers a pool clearing accepts.
    increment : float
        For the pool clearing (pruning and fallback), currency/kWh.

    Returns
    -------
    Pricing

    Examples
    --------
    >>> from gridshare.market.offers import single_step_book
    >>> b = single_step_book([("a", 4.0, 0.30)], [("c", 2.0, 0.10)])
    >>> round(float(sdr(b).price[0]), 6)  # r = 0.5: 0.3 * 0.1 / (0.2 * 0.5 + 0.1)
    0.15
    """
    if not (np.isfinite(compensation) and 0 <= compensation <= 1):
        raise ValueError(f"compensation must be in [0, 1]; got {compensation}")
    def formula(s: _Stats) -> np.ndarray:
        k = compensation * (s.min_buy - s.max_sell)
        ratio = s.total_sell / s.total_buy
        low = s.max_sell + k
        den = (s.min_buy - s.max_sell - k) * ratio + low
        short = np.where(den > 0, s.min_buy * low / np.where(den > 0, den, 1.0), low)
        return np.where(ratio >= 1, s.max_sell + k / ratio, short)

    name = "sdrc" if compensation > 0 else "sdr"
    return _formula_pricing(book, name, pruned, increment, formula,
                            {"compensation": float(compensation)}, nonnegative=True)


def price_book(book: OfferBook, mechanism: str, pruned: bool = False, *, divisor: float = 0.5,
               compensation: float | None = None, increment: float = 0.0) -> Pricing:
    """Prices of ``book`` by a named mechanism.

    Parameters
    ----------
    book : OfferBook
    mechanism : {"crossing_value", "mmr", "sdr", "sdrc"}
    pruned : bool
        Full form (all offers) or pruned form (pool-accepted offers only).
    divisor : float
        MMR position in [0, 1].
    compensation : float, optional
        SDRC factor in [0, 1]; default 0.5 for ``"sdrc"``; ``"sdr"`` uses 0.
    increment : float
        Pool-clearing increment, currency/kWh.

    Returns
    -------
    Pricing
    """
    if mechanism == "crossing_value":
        return crossing_value(book, pruned, increment)
    if mechanism == "mmr":
        return mmr(book, divisor, pruned, increment)
    if mechanism == "sdr":
        if compensation not in (None, 0, 0.0):
            raise ValueError(f"mechanism 'sdr' has no compensation (got {compensation}); "
                             "use mechanism='sdrc'")
        return sdr(book, 0.0, pruned, increment)
    if mechanism == "sdrc":
        result = sdr(book, 0.5 if compensation is None else compensation, pruned, increment)
        result.mechanism = "sdrc"
        return result
    raise ValueError(f"mechanism must be one of {MECHANISMS}; got {mechanism!r}")
