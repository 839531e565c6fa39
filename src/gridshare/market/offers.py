"""Buy and sell offers of a local energy market, built from members' net loads and prices.

An :class:`OfferBook` holds, for every step and member, the energy the member would buy from
the local market (its deficit, kWh) and the energy it would sell (its surplus, kWh), with the
value it attaches to each: a buyer is willing to pay up to what its retailer charges (its import
price), a seller wants at least what its retailer pays (its export price). Arrays are laid out
``(step, member)``; an amount of zero means the member makes no offer on that side in that step.

Members whose buy and sell values are identical in every step (a tariff group) are recorded in
:attr:`OfferBook.groups`; the pricing mechanisms sort the few groups per step instead of every
member, which is what makes a year of 1,000 members cheap to price.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

SIDES = ("buy", "sell")


def _as_matrix(values: Any, name: str, shape: tuple[int, int] | None = None) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 1 and shape is None:
        arr = arr[:, None]
    if shape is not None and arr.shape != shape:
        try:
            # A read-only view: books never write into their arrays.
            arr = np.broadcast_to(arr, shape)
        except ValueError as exc:
            raise ValueError(f"{name} has shape {np.shape(values)}, which does not broadcast to "
                             f"(step, member) = {shape}") from exc
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (step, member); got shape {arr.shape}")
    return arr


def _check_finite(arr: np.ndarray, name: str, total: float | None = None) -> None:
    # A sum (or projection) of finite numbers is finite unless it overflows, so the exact
    # element-wise test only runs when the cheap one fails.
    if total is None:
        with np.errstate(over="ignore", invalid="ignore"):
            total = float(arr.sum()) if arr.size else 0.0
    if not np.isfinite(total) and not np.isfinite(arr).all():
        bad = arr[~np.isfinite(arr)][:3].tolist()
        raise ValueError(f"{name} must be finite; found {bad}")


def _exact_groups(buy_value: np.ndarray, sell_value: np.ndarray) -> np.ndarray:
    stacked = np.ascontiguousarray(np.concatenate([buy_value, sell_value], axis=0).T)
    seen: dict[bytes, int] = {}
    return np.array([seen.setdefault(row.tobytes(), len(seen)) for row in stacked], dtype=np.intp)


def tariff_groups(buy_value: np.ndarray, sell_value: np.ndarray) -> np.ndarray:
    """Group index of each member: members with identical buy and sell value series share one.

    Parameters
    ----------
    buy_value, sell_value : numpy.ndarray
        Offer values, currency/kWh, shape (step, member).

    Returns
    -------
    numpy.ndarray
        Integer group of each member, shape (member,), numbered in order of first appearance.

    Examples
    --------
    >>> tariff_groups(np.array([[0.3, 0.2, 0.3]]), np.array([[0.05, 0.05, 0.05]])).tolist()
    [0, 1, 0]
    """
    n_steps, n_members = buy_value.shape
    if n_members == 0:
        return np.zeros(0, dtype=np.intp)
    # Candidate groups from a random projection of each member's series (two matrix-vector
    # products), then an exact comparison with each candidate's first member.
    rng = np.random.default_rng(12345)
    weights = rng.standard_normal((2, n_steps))
    with np.errstate(over="ignore", invalid="ignore"):
        fingerprint = weights[0] @ buy_value + weights[1] @ sell_value
    if not np.isfinite(fingerprint).all():
        return _exact_groups(buy_value, sell_value)
    # Identical series may differ in the last bits of their projections (BLAS blocking), so
    # candidates are joined on a rounded fingerprint; the exact check below guards the join.
    scale = max(float(np.abs(fingerprint).max()), 1.0)
    fingerprint = np.round(fingerprint / scale, 10)
    _, first, inverse = np.unique(fingerprint, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    if _same_as(buy_value, sell_value, first[inverse]):
        return rank[inverse].astype(np.intp)
    return _exact_groups(buy_value, sell_value)


def _same_as(buy_value: np.ndarray, sell_value: np.ndarray, rep: np.ndarray) -> bool:
    """Whether every member's series equals that of member ``rep[member]`` (exactly)."""
    for arr in (buy_value, sell_value):
        if arr.flags.f_contiguous and not arr.flags.c_contiguous:
            # Member-major memory (e.g. ModelInputs.values.T): compare whole member rows.
            rows = arr.T
            chunk = max(1, 2**18 // max(1, rows.shape[1]))
            for start in range(0, rows.shape[0], chunk):
                block = rows[start:start + chunk]
                if not np.array_equal(block, rows[rep[start:start + chunk]]):
                    return False
        else:
            chunk = max(1, 2**18 // max(1, arr.shape[1]))  # rows per cache-sized block
            for start in range(0, arr.shape[0], chunk):
                block = arr[start:start + chunk]
                if not np.array_equal(block, np.take(block, rep, axis=1)):
                    return False
    return True


@dataclass(frozen=True)
class OfferBook:
    """Buy and sell offers per step and member.

    Attributes
    ----------
    time : pandas.Index
        Step labels, length ``n_steps``.
    members : pandas.Index
        Member ids (the origin of every offer), length ``n_members``.
    buy_kwh, sell_kwh : numpy.ndarray
        Energy offered to buy / to sell, kWh, shape (step, member), >= 0.
    buy_value, sell_value : numpy.ndarray
        Value of each buy / sell offer, currency/kWh, shape (step, member).
    groups : numpy.ndarray
        Tariff group of each member (identical value series), shape (member,).
    net_kwh : numpy.ndarray or None
        ``buy_kwh - sell_kwh``, kWh, (step, member), when every member offers on one side at most
        in each step (books built from net loads); None otherwise. Pricing then returns one
        signed accepted-kWh array instead of two.

    A book's arrays are read as given and never written; treat them as read-only, since the
    tariff-group sums are computed once per book and reused.
    """

    time: pd.Index
    members: pd.Index
    buy_kwh: np.ndarray
    sell_kwh: np.ndarray
    buy_value: np.ndarray
    sell_value: np.ndarray
    groups: np.ndarray
    net_kwh: np.ndarray | None = None
    # Results derived once per book and shared by every mechanism (e.g. the tariff-group sums).
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def n_steps(self) -> int:
        """Number of steps."""
        return self.buy_kwh.shape[0]

    @property
    def n_members(self) -> int:
        """Number of members (offer origins)."""
        return self.buy_kwh.shape[1]

    @property
    def n_groups(self) -> int:
        """Number of distinct value series (tariff groups)."""
        return int(self.groups.max()) + 1 if self.groups.size else 0

    def with_amounts(self, buy_kwh: np.ndarray, sell_kwh: np.ndarray) -> OfferBook:
        """The same book (values, groups) with other amounts, kWh (e.g. only accepted offers)."""
        return replace(self, buy_kwh=buy_kwh, sell_kwh=sell_kwh, net_kwh=None)

    def select_steps(self, steps: np.ndarray) -> OfferBook:
        """The book restricted to some steps (boolean mask or integer positions)."""
        return replace(self, time=self.time[steps], buy_kwh=self.buy_kwh[steps],
                       sell_kwh=self.sell_kwh[steps], buy_value=self.buy_value[steps],
                       sell_value=self.sell_value[steps],
                       net_kwh=None if self.net_kwh is None else self.net_kwh[steps])

    def to_frame(self) -> pd.DataFrame:
        """One row per offer: ``step``, ``member``, ``side``, ``kwh``, ``value``."""
        rows = []
        for side, amount, value in (("buy", self.buy_kwh, self.buy_value),
                                    ("sell", self.sell_kwh, self.sell_value)):
            t, m = np.nonzero(amount > 0)
            rows.append(pd.DataFrame({"step": self.time[t], "member": self.members[m],
                                      "side": side, "kwh": amount[t, m], "value": value[t, m]}))
        return pd.concat(rows, ignore_index=True).sort_values(["step", "side", "member"],
                                                               ignore_index=True)


def make_book(buy_kwh: Any, sell_kwh: Any, buy_value: Any, sell_value: Any, *,
              members: Sequence[str] | None = None, time: Sequence[Any] | None = None,
              groups: Any = None, net_kwh: np.ndarray | None = None) -> OfferBook:
    """An offer book from arrays laid out (step, member).

    Parameters
    ----------
    buy_kwh, sell_kwh : array_like
        Energy offered to buy / sell, kWh, shape (step, member), >= 0 (0 = no offer).
    buy_value, sell_value : array_like
        Offer values, currency/kWh, broadcastable to (step, member).
    members : sequence of str, optional
        Offer origins; default ``m0, m1, ...``.
    time : sequence, optional
        Step labels; default ``0, 1, ...``.
    groups : array_like of int, optional
        Tariff group of each member; found from the values when not given.
    net_kwh : numpy.ndarray, optional
        ``buy_kwh - sell_kwh`` when no member offers on both sides in a step, kWh (the caller
        vouches for it; :func:`offers_from_net_load` passes it).

    Returns
    -------
    OfferBook

    Raises
    ------
    ValueError
        On a negative amount, a non-finite number, or shapes that do not match.

    Examples
    --------
    >>> b = make_book([[2.0, 0.0]], [[0.0, 1.0]], 0.20, 0.05, members=["a", "b"])
    >>> b.n_steps, b.n_members, float(b.buy_value[0, 1])
    (1, 2, 0.2)
    """
    buy = _as_matrix(buy_kwh, "buy_kwh")
    shape = buy.shape
    sell = _as_matrix(sell_kwh, "sell_kwh", shape)
    bval = _as_matrix(buy_value, "buy_value", shape)
    sval = _as_matrix(sell_value, "sell_value", shape)
    for name, arr in (("buy_kwh", buy), ("sell_kwh", sell)):
        _check_finite(arr, name)
        if arr.size and arr.min() < 0:
            raise ValueError(f"{name} must be >= 0 kWh; found {arr[arr < 0][:3].tolist()}")
    for name, arr in (("buy_value", bval), ("sell_value", sval)):
        _check_finite(arr, name)
    n_steps, n_members = shape
    member_index = pd.Index([f"m{i}" for i in range(n_members)] if members is None
                            else [str(m) for m in members], name="member")
    if len(member_index) != n_members:
        raise ValueError(f"members has {len(member_index)} names but the amounts have "
                         f"{n_members} columns")
    time_index = pd.Index(range(n_steps) if time is None else time, name="step")
    if len(time_index) != n_steps:
        raise ValueError(f"time has {len(time_index)} labels but the amounts have {n_steps} rows")
    if groups is None:
        group_of = tariff_groups(bval, sval)
    else:
        group_of = np.asarray(groups, dtype=np.intp).ravel()
        if group_of.shape != (n_members,) or (group_of < 0).any():
            raise ValueError(f"groups must hold one non-negative integer per member "
                             f"({n_members}); got {np.asarray(groups).tolist()[:5]}")
        first = np.unique(group_of, return_index=True)[1]
        if not _same_as(bval, sval, first[np.searchsorted(np.unique(group_of), group_of)]):
            raise ValueError("groups must join only members with identical buy and sell values")
    if net_kwh is not None and np.shape(net_kwh) != shape:
        raise ValueError(f"net_kwh must have shape (step, member) = {shape}; got "
                         f"{np.shape(net_kwh)}")
    return OfferBook(time=time_index, members=member_index, buy_kwh=buy, sell_kwh=sell,
                     buy_value=bval, sell_value=sval, groups=group_of, net_kwh=net_kwh)


def offers_from_net_load(net_load_kwh: Any, import_price: Any, export_price: Any, *,
                         members: Sequence[str] | None = None, time: Sequence[Any] | None = None,
                         groups: Any = None) -> OfferBook:
    """Offers from each member's net load: a deficit is a buy offer, a surplus a sell offer.

    Parameters
    ----------
    net_load_kwh : array_like
        Consumption minus own generation per step and member, kWh, shape (step, member);
        positive = deficit (buy), negative = surplus (sell).
    import_price : array_like
        The member's retail import price, currency/kWh: the value of its buy offer (its
        opportunity cost of buying locally).
    export_price : array_like
        The member's retail export price, currency/kWh: the value of its sell offer.
    members, time, groups
        As in :func:`make_book`.

    Returns
    -------
    OfferBook
        At most one offer per member and step.

    Examples
    --------
    >>> b = offers_from_net_load([[1.5, -2.0]], 0.25, 0.04, members=["a", "b"])
    >>> b.buy_kwh.tolist(), b.sell_kwh.tolist()
    ([[1.5, 0.0]], [[0.0, 2.0]])
    """
    net = _as_matrix(net_load_kwh, "net_load_kwh")
    _check_finite(net, "net_load_kwh")
    import_price = _as_matrix(import_price, "import_price", net.shape)
    export_price = _as_matrix(export_price, "export_price", net.shape)
    buy = np.maximum(net, 0.0)
    # One offer per member and step, so the signed net load carries both sides.
    return make_book(buy, buy - net, import_price, export_price,
                     members=members, time=time, groups=groups, net_kwh=net)


def offers_from_inputs(inputs: Any) -> OfferBook:
    """Offers from model inputs: net load (load - PV - wind) before any dispatch.

    Use forecast inputs for pre-delivery pricing and metered inputs for post-delivery.

    Parameters
    ----------
    inputs : gridshare.model.ModelInputs
        Loads and generation in kW (energy = kW x ``step_hours``), prices in currency/kWh.

    Returns
    -------
    OfferBook

    Examples
    --------
    >>> from gridshare.model import ModelInputs
    >>> mi = ModelInputs.from_arrays([[2.0], [0.0]], pv_kw=[[0.0], [3.0]], step_hours=0.5)
    >>> b = offers_from_inputs(mi)
    >>> b.buy_kwh.tolist(), b.sell_kwh.tolist()
    ([[1.0, 0.0]], [[0.0, 1.5]])
    """
    net_kw = inputs.load_kw - inputs.pv_kw - inputs.wind_kw
    return offers_from_net_load(net_kw.values.T * inputs.step_hours, inputs.import_price.values.T,
                                inputs.export_price.values.T, members=list(inputs.members),
                                time=inputs.time)


def offers_from_result(result: Any, inputs: Any) -> OfferBook:
    """Offers from a solved model: each member's net position after its own dispatch.

    The net position is what the member still needs (or has left) once its batteries,
    generators, flexible loads and curtailment are dispatched, i.e. its grid plus local-market
    position, in kWh per step.

    Parameters
    ----------
    result : gridshare.model.Result or xarray.Dataset
        A solved model (or its solution) holding the members' flows (kW).
    inputs : gridshare.model.ModelInputs
        The inputs it was built from (for prices and ``step_hours``).

    Returns
    -------
    OfferBook
    """
    from gridshare.model.result import member_terms

    solution = result.solution if hasattr(result, "solution") else result
    supply, demand = member_terms(solution, include_grid_pool=False)
    # Solutions may order members differently from the inputs: align by label.
    net_kw = (demand - supply).reindex(member=list(inputs.members)).transpose(
        "member", "time").values
    return offers_from_net_load(net_kw.T * inputs.step_hours, inputs.import_price.values.T,
                                inputs.export_price.values.T, members=list(inputs.members),
                                time=inputs.time)


def single_step_book(buys: Sequence[tuple[str, float, float]],
                     sells: Sequence[tuple[str, float, float]]) -> OfferBook:
    """A one-step book from lists of ``(member, kWh, value)`` offers.

    A member may appear on both sides; each side of a member holds at most one offer.

    Examples
    --------
    >>> b = single_step_book([("a", 2.0, 0.20)], [("b", 1.0, 0.05)])
    >>> list(b.members), b.buy_kwh.tolist(), b.sell_value.tolist()
    (['a', 'b'], [[2.0, 0.0]], [[0.0, 0.05]])
    """
    names = list(dict.fromkeys([o[0] for o in buys] + [o[0] for o in sells]))
    pos = {n: i for i, n in enumerate(names)}
    arrays = np.zeros((4, 1, len(names)))
    for side, offers in ((0, buys), (1, sells)):
        seen = set()
        for member, kwh, value in offers:
            if member in seen:
                raise ValueError(f"member {member!r} has two {SIDES[side]} offers; give one")
            seen.add(member)
            arrays[side, 0, pos[member]] = kwh
            arrays[side + 2, 0, pos[member]] = value
    return make_book(arrays[0], arrays[1], arrays[2], arrays[3], members=names)
