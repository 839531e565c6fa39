"""Each member's bill over the horizon, alone and in the community, and DSO share coefficients.

Alone, a member buys its whole deficit from its retailer at its import price and sells its whole
surplus at its export price. In the community, the accepted local-market energy is bought and
sold at the local-market price of its step, a grid-access fee is paid per kWh bought inside the
community, and only the rest goes through the retail contract. The local-market money balances:
what buyers pay for local energy equals what sellers receive (fees go to the grid operator).

All money is in currency over the horizon; energy in kWh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gridshare.market.pricing import AMOUNT_TOL_KWH, Pricing

BILL_COLUMNS = ("retail_import", "retail_export_revenue", "lem_purchases", "lem_sales_revenue",
                "fees", "other_costs", "compensation", "total", "alone_total", "saving")
"""Columns of :attr:`Settlement.bills`, currency over the horizon. Revenues are positive numbers
in their own columns and ``total = retail_import - retail_export_revenue + lem_purchases -
lem_sales_revenue + fees + other_costs + compensation``. ``other_costs`` are the member's own
asset and contract costs (battery wear, fuel, starts, curtailment, shedding, contracted-power
penalties, less reserve revenue); ``compensation`` is the budget-balanced transfer that
reconciles the price settlement with what the member pays (see :func:`settle_result`).
``alone_total`` is the member's individual optimum (:data:`ALONE_DEFINITION`)."""

ALONE_DEFINITION = ("individual optimum: each member alone, its own assets optimised against its "
                    "own retail tariff (post-delivery: its metered bill with that dispatch)")
"""What ``alone_total`` means in every bill of :func:`gridshare.market.run_pricing`."""


@dataclass
class Settlement:
    """Bills of one pricing run.

    Attributes
    ----------
    bills : pandas.DataFrame
        One row per member, columns :data:`BILL_COLUMNS`, currency.
    lem_paid, lem_received : float
        Money paid by local-market buyers and received by sellers, currency.
    fees : float
        Grid-access fees on energy exchanged inside the community, currency (to the grid
        operator).
    share_coefficients : pandas.DataFrame
        (step x member) share of the community's self-consumed energy allocated to each member.
    community_costs : float
        Costs the community pays as a whole (wholesale purchases less sales, community-owned
        assets), currency; 0 for a settlement of offers.
    compensation : float
        Sum of the members' compensation lines, currency.
    """

    bills: pd.DataFrame
    lem_paid: float
    lem_received: float
    fees: float
    share_coefficients: pd.DataFrame
    community_costs: float = 0.0
    compensation: float = 0.0

    @property
    def balance_error(self) -> float:
        """Residual of the community account, currency (zero up to rounding).

        The account receives local-market purchases and compensation charges and pays for local
        sales and the community's own costs: ``lem_paid + compensation - lem_received -
        community_costs``.
        """
        return self.lem_paid + self.compensation - self.lem_received - self.community_costs


def _per_step(value: Any, n_steps: int, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    try:
        arr = np.broadcast_to(arr.reshape(-1) if arr.ndim else arr, (n_steps,))
    except ValueError as exc:
        raise ValueError(f"{name} must be a scalar or one value per step ({n_steps}); "
                         f"got shape {np.shape(value)}") from exc
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(f"{name} must be finite and >= 0 currency/kWh; got {arr[:5].tolist()}")
    return arr


def share_coefficients(buy_kwh: np.ndarray, *, per_step: bool = True,
                       strictly_positive: bool = False, floor: float = 1e-4) -> np.ndarray:
    """Each member's share of the energy the community allocates to its consumers.

    Parameters
    ----------
    buy_kwh : numpy.ndarray
        Energy each member receives from the community, kWh, shape (step, member).
    per_step : bool
        One set of coefficients per step (True) or one for the whole horizon, repeated.
    strictly_positive : bool
        Give every member at least ``floor`` (then renormalise), for DSOs that need every
        coefficient > 0.
    floor : float
        Smallest coefficient with ``strictly_positive``, in (0, 1 / n_members].

    Returns
    -------
    numpy.ndarray
        Coefficients, shape (step, member); each row sums to 1 where anything is allocated (and
        is uniform in steps with nothing allocated when ``strictly_positive``, else 0).

    Examples
    --------
    >>> share_coefficients(np.array([[3.0, 1.0], [0.0, 0.0]])).tolist()
    [[0.75, 0.25], [0.0, 0.0]]
    >>> share_coefficients(np.array([[3.0, 1.0], [0.0, 4.0]]), per_step=False).tolist()
    [[0.375, 0.625], [0.375, 0.625]]
    """
    buy = np.asarray(buy_kwh, dtype=float)
    n_members = buy.shape[1]
    if strictly_positive and not 0 < floor <= 1.0 / max(1, n_members):
        raise ValueError(f"floor must be in (0, 1/n_members] = (0, {1.0 / max(1, n_members):.4g}];"
                         f" got {floor}")
    rows = buy if per_step else np.broadcast_to(buy.sum(axis=0), buy.shape)
    total = rows.sum(axis=1, keepdims=True)
    coef = np.divide(rows, total, out=np.zeros(rows.shape), where=total > AMOUNT_TOL_KWH)
    if strictly_positive and n_members:
        empty = total[:, 0] <= AMOUNT_TOL_KWH
        coef[empty] = 1.0 / n_members
        # Lift every coefficient to the floor, taking it proportionally from the others.
        coef = floor + (1.0 - n_members * floor) * coef
    return coef


def _member_series(value: Any, members: pd.Index, name: str) -> np.ndarray:
    if value is None:
        return np.zeros(len(members))
    ser = pd.Series(value) if not isinstance(value, pd.Series) else value
    if isinstance(value, pd.Series):
        missing = [m for m in members if m not in ser.index]
        if missing:
            raise ValueError(f"{name} must give every member a value; missing {missing[:5]}")
        arr = ser.reindex(members).to_numpy(dtype=float)
    else:
        arr = np.broadcast_to(np.asarray(value, dtype=float), (len(members),)).copy()
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite currency; got {arr[:5].tolist()}")
    return arr


def _finish(bills: pd.DataFrame, alone: np.ndarray) -> pd.DataFrame:
    bills["total"] = (bills["retail_import"] - bills["retail_export_revenue"]
                      + bills["lem_purchases"] - bills["lem_sales_revenue"] + bills["fees"]
                      + bills["other_costs"] + bills["compensation"])
    bills["alone_total"] = alone
    bills["saving"] = bills["alone_total"] - bills["total"]
    return bills[list(BILL_COLUMNS)]


def settle(pricing: Pricing, fee_per_kwh: Any = 0.0, *, other_costs: Any = None,
           alone: Any = None, per_step_shares: bool = True,
           strictly_positive_shares: bool = False) -> Settlement:
    """Bills of every member from a pricing run on a net-load book (no collective operation).

    Each member's accepted local-market energy is bought or sold at the price of its step, the
    rest of its position goes through its retail contract, and its dispatch (hence its own asset
    and contract costs) is the one behind the book.

    Parameters
    ----------
    pricing : Pricing
        Prices and accepted offers; the book's buy values are the members' import prices and its
        sell values their export prices (as built by
        :func:`~gridshare.market.offers_from_net_load`).
    fee_per_kwh : float or array_like
        Grid-access tariff on energy bought inside the community, currency/kWh (scalar or per
        step), paid by the buyer.
    other_costs : pandas.Series or array_like, optional
        Each member's own asset and contract costs at the dispatch behind the book, currency
        (default 0).
    alone : pandas.Series or array_like, optional
        Each member's cost alone, currency. Default: the retail cost of its book position plus
        ``other_costs``, which is its individual optimum when the book holds the positions of
        that optimum (as :func:`~gridshare.market.run_pricing` builds it).
    per_step_shares, strictly_positive_shares : bool
        See :func:`share_coefficients`.

    Returns
    -------
    Settlement
        ``compensation`` is 0: the local-market money balances by itself.

    Examples
    --------
    >>> from gridshare.market import offers_from_net_load, mmr
    >>> book = offers_from_net_load([[2.0, -1.0]], 0.30, 0.10, members=["a", "b"])
    >>> s = settle(mmr(book), fee_per_kwh=0.01)
    >>> s.bills["total"].round(4).tolist(), s.bills["saving"].round(4).tolist()
    ([0.51, -0.2], [0.09, 0.1])
    """
    book = pricing.book
    fee = _per_step(fee_per_kwh, book.n_steps, "fee_per_kwh")
    price = pricing.price
    acc_b, acc_s = pricing.buy_kwh, pricing.sell_kwh
    # (step x member) products summed over steps as matrix-vector products: no temporaries.
    offered_import = _column_dot(book.buy_kwh, book.buy_value)
    offered_export = _column_dot(book.sell_kwh, book.sell_value)
    other = _member_series(other_costs, book.members, "other_costs")
    columns = {
        "retail_import": offered_import - _column_dot(acc_b, book.buy_value),
        "retail_export_revenue": offered_export - _column_dot(acc_s, book.sell_value),
        "lem_purchases": price @ acc_b,
        "lem_sales_revenue": price @ acc_s,
        "fees": fee @ acc_b,
        "other_costs": other,
        "compensation": np.zeros(book.n_members),
    }
    alone_total = (offered_import - offered_export + other if alone is None
                   else _member_series(alone, book.members, "alone"))
    bills = _finish(pd.DataFrame(columns, index=book.members), alone_total)
    coef = share_coefficients(acc_b, per_step=per_step_shares,
                              strictly_positive=strictly_positive_shares)
    shares = pd.DataFrame(coef, index=book.time, columns=book.members)
    return Settlement(bills=bills, lem_paid=float(bills["lem_purchases"].sum()),
                      lem_received=float(bills["lem_sales_revenue"].sum()),
                      fees=float(bills["fees"].sum()), share_coefficients=shares)


def _column_dot(amount: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Sum over steps of amount x value for every member column, currency."""
    if value.strides[0] == 0:  # values constant over steps (a broadcast view): one product
        return value[0] * amount.sum(axis=0)
    return np.einsum("tm,tm->m", amount, value)


def other_costs(result: Any, inputs: Any) -> pd.Series:
    """Each member's own asset and contract costs in a solved model, currency.

    Everything the model charges a member besides retail energy (its grid flows at its tariff)
    and internal exchange: battery wear, fuel, starts, curtailment, shedding, contracted-power
    penalties, less reserve revenue.
    """
    members = pd.Index(inputs.members, name="member")
    sol, dt = result.solution, float(inputs.step_hours)

    def flows(name: str) -> np.ndarray:
        return sol[name].reindex(member=members).transpose("member", "time").values * dt

    ip = inputs.import_price.reindex(member=members).transpose("member", "time").values
    ep = inputs.export_price.reindex(member=members).transpose("member", "time").values
    costs = result.costs.reindex(members)
    exchange = costs["exchange"].to_numpy(dtype=float)
    retail = (flows("grid_import") * ip).sum(axis=1) - (flows("grid_export") * ep).sum(axis=1)
    return pd.Series(costs["total"].to_numpy(dtype=float) - exchange - retail, index=members,
                     name="other_costs")


def fair_payments(alone: np.ndarray, price_bills: np.ndarray, system_cost: float) -> np.ndarray:
    """What each member pays in a two-stage operation: never more than alone, budget balanced.

    The community's saving ``S = sum(alone) - system_cost`` (>= 0: every member alone is a
    feasible collective operation) is shared in proportion to each member's saving at the
    local-market prices, ``max(alone - price_bill, 0)`` (equally when nobody saves at those
    prices). When the price settlement already leaves nobody above alone and the community
    account balances, every member pays exactly its price bill (no compensation).

    Parameters
    ----------
    alone : numpy.ndarray
        Each member's cost alone (individual optimum), currency.
    price_bills : numpy.ndarray
        Each member's bill at the local-market prices before compensation, currency.
    system_cost : float
        Total cost of the collective optimum (members and community), currency.

    Returns
    -------
    numpy.ndarray
        Payments, currency; they sum to ``system_cost``.

    Examples
    --------
    >>> fair_payments(np.array([10.0, 5.0]), np.array([8.0, 6.0]), 13.0).tolist()
    [8.0, 5.0]
    """
    alone = np.asarray(alone, dtype=float)
    saving = float(alone.sum() - system_cost)
    headroom = np.maximum(alone - np.asarray(price_bills, dtype=float), 0.0)
    total = float(headroom.sum())
    scale = max(1.0, float(np.abs(alone).sum()))
    if saving < 0 or total <= 1e-12 * scale:
        # Equal parts (a negative saving is solver round-off only).
        return alone - saving / max(1, alone.size)
    return alone - saving * headroom / total


def settle_result(result: Any, inputs: Any, prices: Any, *, alone: pd.Series,
                  stage: str = "two") -> Settlement:
    """Bills from a solved collective operation whose internal trades clear at ``prices``.

    Lines at the prices: each member's retail import and export (its own grid flows at its own
    tariff), local-market purchases and sales (pool purchases pay the price, sales receive it
    on what reaches the pool after loss; bilateral trades pay it on what arrives), grid-access
    fees, and its own asset and contract costs. The community account receives the purchases
    and pays the sales and the community's own costs (wholesale energy, community assets); its
    surplus or deficit is returned to or collected from the members in the ``compensation``
    line, so the money balances exactly:

    - ``stage="two"`` (collective_fair): members pay :func:`fair_payments` (no member above
      its cost alone); compensation = payment - price bill;
    - ``stage="single"``: the account's surplus or deficit is shared in proportion to each
      member's local-market energy (bought plus sold; equally when nothing is traded).

    Parameters
    ----------
    result : gridshare.model.Result
        A pool or bilateral solution (kW flows).
    inputs : gridshare.model.ModelInputs
        Its inputs (prices in currency/kWh, ``step_hours``).
    prices : array_like
        Local-market price per step, currency/kWh.
    alone : pandas.Series
        Each member's cost alone (:data:`ALONE_DEFINITION`), currency.
    stage : {"two", "single"}

    Returns
    -------
    Settlement
    """
    if stage not in ("two", "single"):
        raise ValueError(f"stage must be 'two' or 'single'; got {stage!r}")
    sol, dt = result.solution, float(inputs.step_hours)
    members = pd.Index(inputs.members, name="member")
    n_steps = len(inputs.time)
    price = np.asarray(prices, dtype=float).reshape(-1)
    if price.shape != (n_steps,) or not np.isfinite(price).all():
        raise ValueError(f"prices must hold one finite value per step ({n_steps}); got shape "
                         f"{price.shape}")
    alone_arr = _member_series(alone, members, "alone")

    def per_member(name: str) -> np.ndarray:
        # Solutions may order members differently from the inputs: align by label.
        return sol[name].reindex(member=members).transpose("member", "time").values

    ip = inputs.import_price.reindex(member=members).transpose("member", "time").values
    ep = inputs.export_price.reindex(member=members).transpose("member", "time").values
    imp, exp = per_member("grid_import") * dt, per_member("grid_export") * dt
    if "pool_buy" in sol:
        keep = 1.0 - float(inputs.pool_loss)
        bought = per_member("pool_buy") * dt
        sold_kept = keep * per_member("pool_sell") * dt
        fees = bought.sum(axis=1) * float(inputs.pool_fee_per_kwh)
        volume = bought + per_member("pool_sell") * dt
    elif "trade" in sol:
        keep = 1.0 - float(inputs.bilateral_loss)
        raw = sol["trade"].reindex(seller=members, buyer=members).transpose(
            "seller", "buyer", "time").values * dt
        bought = keep * raw.sum(axis=0)
        sold_kept = keep * raw.sum(axis=1)
        fee = inputs.bilateral_fee_per_kwh
        fee_m = np.zeros(raw.shape[:2]) if fee is None else fee.sel(
            seller=list(members), buyer=list(members)).values
        fees = (raw * fee_m[:, :, None]).sum(axis=(0, 2))
        volume = raw.sum(axis=0) + raw.sum(axis=1)
    else:
        bought = sold_kept = volume = np.zeros(imp.shape)
        fees = np.zeros(len(members))
    costs = result.costs
    retail_import = (imp * ip).sum(axis=1)
    retail_export = (exp * ep).sum(axis=1)
    other = other_costs(result, inputs).to_numpy()
    community = 0.0
    if "community" in costs.index:
        row = costs.loc["community"].drop(["exchange", "total"])
        community = float(row.sum())
    bills = pd.DataFrame({
        "retail_import": retail_import,
        "retail_export_revenue": retail_export,
        "lem_purchases": (bought * price).sum(axis=1),
        "lem_sales_revenue": (sold_kept * price).sum(axis=1),
        "fees": fees,
        "other_costs": other,
        "compensation": np.zeros(len(members)),
    }, index=members)
    price_bill = (retail_import - retail_export + bills["lem_purchases"].to_numpy()
                  - bills["lem_sales_revenue"].to_numpy() + fees + other)
    system_cost = float((retail_import - retail_export + fees + other).sum() + community)
    if stage == "two":
        comp = fair_payments(alone_arr, price_bill, system_cost) - price_bill
    else:
        account = system_cost - float(price_bill.sum())
        weight = volume.sum(axis=1)
        total_w = float(weight.sum())
        share = weight / total_w if total_w > AMOUNT_TOL_KWH else np.full(len(members),
                                                                         1.0 / len(members))
        comp = account * share
    bills["compensation"] = comp
    bills = _finish(bills, alone_arr)
    coef = share_coefficients(bought.T)
    return Settlement(bills=bills, lem_paid=float(bills["lem_purchases"].sum()),
                      lem_received=float(bills["lem_sales_revenue"].sum()),
                      fees=float(np.sum(fees)),
                      share_coefficients=pd.DataFrame(coef, index=inputs.time, columns=members),
                      community_costs=community, compensation=float(comp.sum()))
