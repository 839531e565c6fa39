"""Run a pooled procurement study on a case: :func:`run_procurement`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridshare.case import Case, ProcurementSpec, load_case
from gridshare.procurement._checks import ProcurementError, price
from gridshare.procurement.analysis import PoolAnalysis, analyse_pool
from gridshare.procurement.financials import (
    CertificatePrices,
    certificate_settlement,
    energy_settlement,
)
from gridshare.procurement.matching import POOL, ratio
from gridshare.procurement.records import certificate_records
from gridshare.procurement.result import ProcurementResult
from gridshare.procurement.storage import BatteryDispatch, pool_battery_dispatch
from gridshare.procurement.supply import hourly_prices_per_mwh, participant_supply
from gridshare.procurement.swaps import EligibleSide, SwapMethod


def _pct(values: np.ndarray | float) -> np.ndarray | float:
    return 100.0 * np.asarray(values, dtype=float) if np.ndim(values) else 100.0 * float(values)


def run_procurement(
    case: Case | str | Path,
    swap: SwapMethod | None = None,
    rec_price: float | None = None,
    battery: bool = True,
    *,
    profiles: xr.Dataset | None = None,
    eligible_side: EligibleSide = "export",
) -> ProcurementResult:
    """Pooled clean-energy procurement of a case: matching, swaps, money, battery, records.

    Parameters
    ----------
    case : Case or path
        A validated case (or a case file, loaded with :func:`~gridshare.case.load_case`) with
        ``projects`` and members' ``ppa`` shares; ``case.procurement``
        holds the settings (defaults of :class:`~gridshare.case.ProcurementSpec` when absent).
    swap : {"prorata", "optimal"}, optional
        Swap method; default ``case.procurement.swap``.
    rec_price : float, optional
        REC price, currency/MWh; default ``case.procurement.rec_price_per_mwh``.
    battery : bool, default True
        Dispatch the pool battery of ``case.procurement.battery`` (if any) and report its CFE
        uplift.
    profiles : xarray.Dataset, optional
        Members' ``load_kw``, ``pv_kw``, ``wind_kw`` (from
        :func:`~gridshare.profiles.members.member_profiles`); generated when not given.
    eligible_side : {"export", "import", "both", "none"}, default "export"
        Which side of the swaps the eligibility rule (``eligibility_min_re``) restricts.

    Returns
    -------
    ProcurementResult

    Notes
    -----
    Matching is hourly: steps finer than an hour are summed to clock hours first, and the pool
    battery is dispatched on those hourly energies. The battery serves the pool as a whole; its
    uplift is reported for the pool, not split between participants. Certificate money follows
    :mod:`gridshare.procurement.financials` (the manager's fee is paid by the importers).
    """
    if isinstance(case, str | Path):
        case = load_case(case)
    if not isinstance(case, Case):
        raise ProcurementError(
            f"case must be a gridshare.case.Case or a case file path; got {type(case).__name__}"
        )
    spec = case.procurement or ProcurementSpec()
    method = swap if swap is not None else spec.swap
    if method not in ("prorata", "optimal"):
        raise ProcurementError(f"swap = {method!r} is not allowed; use 'prorata' or 'optimal'")
    prices = CertificatePrices(
        rec_price_per_mwh=price("rec_price", rec_price) if rec_price is not None else spec.rec_price_per_mwh,
        swap_price_per_mwh=spec.swap_price_per_mwh,
        shortfall_price_per_mwh=spec.shortfall_price_per_mwh,
        manager_fee=spec.manager_fee,
    )

    data = participant_supply(case, profiles)
    names = [str(n) for n in data["participant"].values]
    hours = pd.DatetimeIndex(data["hour"].values).tz_localize("UTC").tz_convert(case.time.timezone)
    load = data["load_mwh"].values
    supply = data["supply_mwh"].values
    clean = supply.sum(axis=1)
    analysis = analyse_pool(
        load,
        clean,
        names,
        hours.month.to_numpy(),
        hours.hour.to_numpy(),
        method,
        spec.eligibility_min_re,
        eligible_side,
    )
    dispatch = None
    if battery and spec.battery is not None:
        dispatch = pool_battery_dispatch(load.sum(axis=0), clean.sum(axis=0), spec.battery, start=hours[0])
    energy_prices = None
    if spec.energy_tariff is not None:
        energy_prices = hourly_prices_per_mwh(case, spec.energy_tariff)

    currency = case.currency.lower()
    technology = data["technology"].values
    projects = list(data["project"].values)
    details = _participant_table(
        case,
        analysis,
        supply,
        technology,
        prices,
        currency,
        energy_prices,
        spec.ppa_price_per_mwh,
        len(projects),
    )
    pool = _pool_summary(analysis, details, prices, dispatch, method, spec, currency, eligible_side)
    data = data.assign(
        exported_mwh=(("participant", "hour"), analysis.swaps.exported),
        imported_mwh=(("participant", "hour"), analysis.swaps.imported),
    )
    return ProcurementResult(
        participants=details[_headline(currency)],
        participant_details=details,
        pool=pool,
        hourly=_hourly_table(hours, analysis, supply, technology, dispatch, energy_prices),
        participant_hourly=_participant_hourly(hours, analysis, supply, technology),
        monthly=analysis.monthly,
        hour_of_day=analysis.hour_of_day,
        net_position=_net_position(hours, analysis),
        comparison=_comparison(analysis, dispatch),
        certificates=certificate_records(
            supply,
            analysis.balance,
            analysis.swaps,
            names,
            [str(s) for s in data["source"].values],
            [str(t) for t in technology],
            hours,
        ),
        data=data,
        settings={
            "swap": method,
            "rec_price_per_mwh": prices.rec,
            "swap_price_per_mwh": prices.swap,
            "shortfall_price_per_mwh": prices.shortfall,
            "manager_fee": prices.manager_fee,
            "eligibility_min_re": spec.eligibility_min_re,
            "eligible_side": eligible_side,
            "battery": dispatch is not None,
            "energy_tariff": spec.energy_tariff,
            "ppa_price_per_mwh": spec.ppa_price_per_mwh,
            "currency": case.currency,
        },
    )


def _headline(currency: str) -> list[str]:
    """Columns of the short per-participant table (what a terminal shows)."""
    return [
        "load_mwh",
        "clean_mwh",
        "volumetric_re_pct",
        "standalone_cfe_pct",
        "optimised_cfe_pct",
        "imported_mwh",
        "exported_mwh",
        f"net_savings_{currency}",
    ]


def _participant_table(
    case: Case,
    a: PoolAnalysis,
    supply: np.ndarray,
    technology: np.ndarray,
    prices: CertificatePrices,
    currency: str,
    energy_prices: np.ndarray | None,
    strike: float | None,
    n_projects: int,
) -> pd.DataFrame:
    per = a.participants
    frame = pd.DataFrame(index=pd.Index(a.names, name="participant"))
    frame["kind"] = [m.kind for m in case.members]
    frame["load_mwh"] = per["load"]
    for tech in ("solar", "wind"):
        frame[f"{tech}_mwh"] = supply[:, technology == tech, :].sum(axis=(1, 2))
    frame["clean_mwh"] = per["clean"]
    frame["volumetric_re_pct"] = _pct(per["volumetric_re"])
    frame["matched_mwh"] = per["matched"]
    frame["standalone_cfe_pct"] = _pct(per["cfe"])
    frame["surplus_mwh"] = per["surplus"]
    frame["shortfall_mwh"] = per["shortfall"]
    frame["can_export"] = a.swaps.can_export
    frame["can_import"] = a.swaps.can_import
    frame["exported_mwh"] = per["exported"]
    frame["imported_mwh"] = per["imported"]
    frame["optimised_cfe_pct"] = _pct(per["optimised_cfe"])
    frame["cfe_gain_pct"] = frame["optimised_cfe_pct"] - frame["standalone_cfe_pct"]
    money = certificate_settlement(
        per["clean"], per["surplus"], per["shortfall"], per["exported"], per["imported"], prices
    )
    for key in (
        "rec_value",
        "surplus_value",
        "shortfall_cost",
        "swap_revenue",
        "swap_cost",
        "manager_fee",
        "residual_surplus_value",
        "residual_shortfall_cost",
        "net_settlement",
        "standalone_net",
        "net_savings",
    ):
        frame[f"{key}_{currency}"] = money[key]
    if energy_prices is not None:
        ppa = supply[:, :n_projects, :].sum(axis=1)
        energy = energy_settlement(a.balance.load, ppa, energy_prices, strike)
        for key in (
            "load_cost",
            "ppa_market_value",
            "ppa_cost",
            "ppa_settlement",
            "net_energy_cost",
            "shape_cost",
        ):
            frame[f"{key}_{currency}"] = energy[key]
        frame[f"capture_price_{currency}_per_mwh"] = energy["capture_price_per_mwh"]
        frame[f"load_weighted_price_{currency}_per_mwh"] = energy["load_weighted_price_per_mwh"]
    return frame


def _pool_summary(
    a: PoolAnalysis,
    participants: pd.DataFrame,
    prices: CertificatePrices,
    dispatch: BatteryDispatch | None,
    method: str,
    spec: ProcurementSpec,
    currency: str,
    eligible_side: str,
) -> pd.Series:
    p = a.pool
    swap_value = p["swapped"] * prices.swap
    fee = prices.manager_fee * swap_value
    out: dict[str, object] = {
        "participants": a.balance.n_participants,
        "hours": a.balance.n_hours,
        "swap_method": method,
        "eligible_side": eligible_side,
        "eligibility_min_re_pct": 100.0 * spec.eligibility_min_re,
        "eligible_participants": int(p["eligible"]),
        "load_mwh": p["load"],
        "clean_mwh": p["clean"],
        "volumetric_re_pct": _pct(p["volumetric_re"]),
        "standalone_cfe_pct": _pct(p["standalone_cfe"]),
        "pooled_cfe_pct": _pct(p["pooled_cfe"]),
        "pooling_benefit_pct": _pct(p["pooling_benefit"]),
        "optimised_cfe_pct": _pct(p["optimised_cfe"]),
        "pooled_matched_mwh": p["matched"],
        "pooled_surplus_mwh": p["surplus"],
        "pooled_shortfall_mwh": p["shortfall"],
        "hours_long": int(p["hours_long"]),
        "hours_short": int(p["hours_short"]),
        "swapped_mwh": p["swapped"],
        "min_cfe_standalone_pct": _pct(p["min_cfe_standalone"]),
        "min_cfe_prorata_pct": _pct(p["min_cfe_prorata"]),
        "min_cfe_after_swaps_pct": _pct(p["min_cfe_swapped"]),
        f"rec_price_{currency}_per_mwh": prices.rec,
        f"swap_price_{currency}_per_mwh": prices.swap,
        f"shortfall_price_{currency}_per_mwh": prices.shortfall,
        f"rec_value_{currency}": float(participants[f"rec_value_{currency}"].sum()),
        f"surplus_value_{currency}": float(participants[f"surplus_value_{currency}"].sum()),
        f"shortfall_cost_{currency}": float(participants[f"shortfall_cost_{currency}"].sum()),
        f"swap_value_{currency}": swap_value,
        "manager_fee_share": prices.manager_fee,
        f"manager_fee_{currency}": fee,
        f"client_swap_value_net_of_fee_{currency}": swap_value - fee,
        f"net_settlement_{currency}": float(participants[f"net_settlement_{currency}"].sum()),
        f"net_savings_{currency}": float(participants[f"net_savings_{currency}"].sum()),
    }
    if dispatch is not None:
        out.update(
            {
                "battery_cfe_pct": _pct(dispatch.cfe_with),
                "battery_uplift_pct": _pct(dispatch.uplift),
                "battery_charge_mwh": float(dispatch.charge.sum()),
                "battery_discharge_mwh": float(dispatch.discharge.sum()),
            }
        )
    if f"ppa_settlement_{currency}" in participants:
        for key in ("load_cost", "ppa_settlement", "net_energy_cost", "shape_cost"):
            out[f"{key}_{currency}"] = float(participants[f"{key}_{currency}"].sum())
    return pd.Series(out, dtype=object, name=POOL)


def _hourly_table(
    hours: pd.DatetimeIndex,
    a: PoolAnalysis,
    supply: np.ndarray,
    technology: np.ndarray,
    dispatch: BatteryDispatch | None,
    energy_prices: np.ndarray | None,
) -> pd.DataFrame:
    b = a.balance
    load = b.load.sum(axis=0)
    clean = b.clean.sum(axis=0)
    matched = np.minimum(load, clean)
    frame = pd.DataFrame({"time": hours, "load_mwh": load})
    for tech in ("solar", "wind"):
        frame[f"{tech}_mwh"] = supply[:, technology == tech, :].sum(axis=(0, 1))
    frame["clean_mwh"] = clean
    frame["pooled_matched_mwh"] = matched
    frame["standalone_matched_mwh"] = b.matched.sum(axis=0)
    frame["pooled_surplus_mwh"] = clean - matched
    frame["pooled_shortfall_mwh"] = load - matched
    frame["swapped_mwh"] = a.swaps.swapped
    frame["after_swaps_matched_mwh"] = frame["standalone_matched_mwh"] + frame["swapped_mwh"]
    if dispatch is not None:
        frame["battery_charge_mwh"] = dispatch.charge
        frame["battery_discharge_mwh"] = dispatch.discharge
        frame["battery_soc_mwh"] = dispatch.soc
        frame["battery_matched_mwh"] = dispatch.matched
        frame["grid_mwh"] = dispatch.grid
    if energy_prices is not None:
        frame["price_per_mwh"] = energy_prices
    return frame


def _participant_hourly(
    hours: pd.DatetimeIndex, a: PoolAnalysis, supply: np.ndarray, technology: np.ndarray
) -> pd.DataFrame:
    b, s = a.balance, a.swaps
    n, t = b.load.shape
    frame = pd.DataFrame(
        {
            "time": np.tile(hours, n),
            "participant": np.repeat(np.asarray(a.names, dtype=object), t),
            "load_mwh": b.load.ravel(),
        }
    )
    for tech in ("solar", "wind"):
        frame[f"{tech}_mwh"] = supply[:, technology == tech, :].sum(axis=1).ravel()
    frame["clean_mwh"] = b.clean.ravel()
    frame["matched_mwh"] = b.matched.ravel()
    frame["surplus_mwh"] = b.surplus.ravel()
    frame["shortfall_mwh"] = b.shortfall.ravel()
    frame["exported_mwh"] = s.exported.ravel()
    frame["imported_mwh"] = s.imported.ravel()
    return frame


def _net_position(hours: pd.DatetimeIndex, a: PoolAnalysis) -> pd.DataFrame:
    b = a.balance
    net = b.clean - b.load
    frame = pd.DataFrame(net.T, columns=[f"{n}_net_mwh" for n in a.names])
    frame.insert(0, "time", hours)
    frame[f"{POOL}_net_mwh"] = net.sum(axis=0)
    return frame


def _comparison(a: PoolAnalysis, dispatch: BatteryDispatch | None) -> pd.DataFrame:
    per = a.participants
    load = per["load"]
    frame = pd.DataFrame(index=pd.Index([*a.names, POOL], name="participant"))
    frame["load_mwh"] = np.append(load, a.pool["load"])
    frame["standalone_cfe_pct"] = np.append(_pct(per["cfe"]), _pct(a.pool["standalone_cfe"]))
    prorata = ratio(per["matched"] + a.prorata.imported.sum(axis=1), load)
    frame["prorata_cfe_pct"] = np.append(
        _pct(prorata), _pct(ratio(per["matched"].sum() + a.prorata.imported.sum(), a.pool["load"]))
    )
    if a.swaps.method == "optimal":
        frame["optimal_cfe_pct"] = np.append(_pct(per["optimised_cfe"]), _pct(a.pool["optimised_cfe"]))
    frame["pooled_cfe_pct"] = _pct(a.pool["pooled_cfe"])
    if dispatch is not None:
        frame["pooled_with_battery_cfe_pct"] = _pct(dispatch.cfe_with)
    return frame.reset_index()
