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
                "fees", "total", "alone_import", "alone_export_revenue", "alone_total", "saving")
"""Columns of :attr:`Settlement.bills`; revenues are positive numbers in their own columns and
``total = retail_import - retail_export_revenue + lem_purchases - lem_sales_revenue + fees``."""


@dataclass
class Settlement:
    """Bills of one pricing run.

    Attributes
    ----------
    bills : pandas.DataFrame
        One row per member, columns :data:`BILL_COLUMNS`, currency.
    lem_paid, lem_received : float
        Money paid by local-market buyers and received by sellers, currency (equal).
    fees : float
        Grid-access fees on energy exchanged inside the community, currency.
    share_coefficients : pandas.DataFrame
        (step x member) share of the community's self-consumed energy allocated to each member.
    """

    bills: pd.DataFrame
    lem_paid: float
    lem_received: float
    fees: float
    share_coefficients: pd.DataFrame

    @property
    def balance_error(self) -> float:
        """``lem_paid - lem_received``, currency (zero up to rounding)."""
        return self.lem_paid - self.lem_received


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


def settle(pricing: Pricing, fee_per_kwh: Any = 0.0, *, per_step_shares: bool = True,
           strictly_positive_shares: bool = False) -> Settlement:
    """Bills of every member from a pricing run on a net-load book.

    Parameters
    ----------
    pricing : Pricing
        Prices and accepted offers; the book's buy values are the members' import prices and its
        sell values their export prices (as built by
        :func:`~gridshare.market.offers_from_net_load`).
    fee_per_kwh : float or array_like
        Grid-access tariff on energy bought inside the community, currency/kWh (scalar or per
        step), paid by the buyer.
    per_step_shares, strictly_positive_shares : bool
        See :func:`share_coefficients`.

    Returns
    -------
    Settlement

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
    price = pricing.price[:, None]
    acc_b, acc_s = pricing.buy_kwh, pricing.sell_kwh
    columns = {
        "retail_import": ((book.buy_kwh - acc_b) * book.buy_value).sum(axis=0),
        "retail_export_revenue": ((book.sell_kwh - acc_s) * book.sell_value).sum(axis=0),
        "lem_purchases": (acc_b * price).sum(axis=0),
        "lem_sales_revenue": (acc_s * price).sum(axis=0),
        "fees": (acc_b * fee[:, None]).sum(axis=0),
        "alone_import": (book.buy_kwh * book.buy_value).sum(axis=0),
        "alone_export_revenue": (book.sell_kwh * book.sell_value).sum(axis=0),
    }
    bills = pd.DataFrame(columns, index=book.members)
    bills["total"] = (bills["retail_import"] - bills["retail_export_revenue"]
                      + bills["lem_purchases"] - bills["lem_sales_revenue"] + bills["fees"])
    bills["alone_total"] = bills["alone_import"] - bills["alone_export_revenue"]
    bills["saving"] = bills["alone_total"] - bills["total"]
    coef = share_coefficients(acc_b, per_step=per_step_shares,
                              strictly_positive=strictly_positive_shares)
    shares = pd.DataFrame(coef, index=book.time, columns=book.members)
    return Settlement(bills=bills[list(BILL_COLUMNS)], lem_paid=float(bills["lem_purchases"].sum()),
                      lem_received=float(bills["lem_sales_revenue"].sum()),
                      fees=float(bills["fees"].sum()), share_coefficients=shares)


def settle_result(result: Any, inputs: Any, prices: Any, *,
                  alone: pd.Series | None = None) -> Settlement:
    """Bills from a solved collective model whose internal trades clear at ``prices``.

    Parameters
    ----------
    result : gridshare.model.Result
        A pool or bilateral solution (kW flows).
    inputs : gridshare.model.ModelInputs
        Its inputs (prices in currency/kWh, ``step_hours``).
    prices : array_like
        Local-market price per step, currency/kWh.
    alone : pandas.Series, optional
        Each member's cost alone (e.g. ``Result.costs["total"]`` of the individual model),
        currency; without it the alone columns hold the retail cost of the member's own net
        position at its tariff.

    Returns
    -------
    Settlement
        Pool purchases pay the price and the pool fee; sales receive the price on what reaches
        the pool after loss. Bilateral trades pay the price (plus the pair fee) on what arrives.
    """
    sol, dt = result.solution, float(inputs.step_hours)
    members = pd.Index(inputs.members, name="member")
    n_steps = len(inputs.time)
    price = np.asarray(prices, dtype=float).reshape(-1)
    if price.shape != (n_steps,):
        raise ValueError(f"prices must hold one value per step ({n_steps}); got {price.shape}")
    ip, ep = inputs.import_price.values, inputs.export_price.values  # (member, time)
    imp = sol["grid_import"].transpose("member", "time").values * dt
    exp = sol["grid_export"].transpose("member", "time").values * dt
    if "pool_buy" in sol:
        keep = 1.0 - float(inputs.pool_loss)
        bought = sol["pool_buy"].transpose("member", "time").values * dt
        sold_kept = keep * sol["pool_sell"].transpose("member", "time").values * dt
        fees = (bought * float(inputs.pool_fee_per_kwh)).sum(axis=1)
    elif "trade" in sol:
        keep = 1.0 - float(inputs.bilateral_loss)
        trade = sol["trade"].transpose("seller", "buyer", "time").values * dt * keep
        bought = trade.sum(axis=0)
        sold_kept = trade.sum(axis=1)
        fee = inputs.bilateral_fee_per_kwh
        fee_m = np.zeros(trade.shape[:2]) if fee is None else fee.sel(
            seller=list(members), buyer=list(members)).values
        fees = (sol["trade"].transpose("seller", "buyer", "time").values * dt
                * fee_m[:, :, None]).sum(axis=(0, 2))
    else:
        bought = sold_kept = np.zeros(imp.shape)
        fees = np.zeros(len(members))
    bills = pd.DataFrame({
        "retail_import": (imp * ip).sum(axis=1),
        "retail_export_revenue": (exp * ep).sum(axis=1),
        "lem_purchases": (bought * price).sum(axis=1),
        "lem_sales_revenue": (sold_kept * price).sum(axis=1),
        "fees": fees,
    }, index=members)
    bills["total"] = (bills["retail_import"] - bills["retail_export_revenue"]
                      + bills["lem_purchases"] - bills["lem_sales_revenue"] + bills["fees"])
    net = (inputs.load_kw - inputs.pv_kw - inputs.wind_kw).values * dt
    bills["alone_import"] = (np.maximum(net, 0) * ip).sum(axis=1)
    bills["alone_export_revenue"] = (np.maximum(-net, 0) * ep).sum(axis=1)
    if alone is not None:
        bills["alone_total"] = alone.reindex(members).to_numpy(dtype=float)
    else:
        bills["alone_total"] = bills["alone_import"] - bills["alone_export_revenue"]
    bills["saving"] = bills["alone_total"] - bills["total"]
    coef = share_coefficients(bought.T)
    return Settlement(bills=bills[list(BILL_COLUMNS)], lem_paid=float(bills["lem_purchases"].sum()),
                      lem_received=float(bills["lem_sales_revenue"].sum()),
                      fees=float(np.sum(fees)),
                      share_coefficients=pd.DataFrame(coef, index=inputs.time, columns=members))
