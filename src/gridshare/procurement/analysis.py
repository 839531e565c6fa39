"""The whole pool analysis on arrays: balance, swaps, metrics and calendar tables in one call.

:func:`analyse_pool` is what :func:`gridshare.procurement.run_procurement` runs after building
the hourly arrays from a case, and what the benchmark times on 1,000 participants: everything
here is vectorised over (participant, hour), with no loop over either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridshare.procurement._checks import ProcurementError
from gridshare.procurement.matching import (
    Balance,
    calendar_metrics,
    group_sums,
    hourly_balance,
    participant_metrics,
    pool_metrics,
    ratio,
)
from gridshare.procurement.swaps import (
    EligibleSide,
    SwapMethod,
    Swaps,
    optimal_swaps,
    prorata_swaps,
    swap_sides,
)


@dataclass(frozen=True)
class PoolAnalysis:
    """Result of :func:`analyse_pool`.

    Attributes
    ----------
    names : list of str
        Participant names.
    balance : Balance
        Hourly matched energy, surplus and shortfall.
    swaps : Swaps
        The swaps of the chosen method.
    prorata : Swaps
        Pro-rata swaps (the same object as ``swaps`` when the method is pro-rata), kept to show
        what the optimal method gains.
    participants : dict of numpy.ndarray
        :func:`~gridshare.procurement.matching.participant_metrics` with the swaps.
    pool : dict of float
        :func:`~gridshare.procurement.matching.pool_metrics` plus ``swapped``,
        ``optimised_cfe`` (pool after swaps), ``min_cfe_standalone``, ``min_cfe_prorata`` and
        ``min_cfe_swapped`` (lowest participant CFE with load).
    monthly, hour_of_day : pandas.DataFrame or None
        :func:`~gridshare.procurement.matching.grouped_metrics` by month and by hour of day.
    """

    names: list[str]
    balance: Balance
    swaps: Swaps
    prorata: Swaps
    participants: dict[str, np.ndarray]
    pool: dict[str, float]
    monthly: pd.DataFrame | None
    hour_of_day: pd.DataFrame | None


def _lowest(values: np.ndarray, load: np.ndarray) -> float:
    with_load = values[load > 0.0]
    return float(with_load.min()) if with_load.size else float("nan")


def analyse_pool(
    load_mwh: np.ndarray,
    clean_mwh: np.ndarray,
    names: list[str] | None = None,
    months: np.ndarray | None = None,
    hour_of_day: np.ndarray | None = None,
    swap: SwapMethod = "prorata",
    min_re: float = 0.5,
    eligible_side: EligibleSide = "export",
) -> PoolAnalysis:
    """Balance, swaps, per-participant and pool metrics, and calendar tables.

    Parameters
    ----------
    load_mwh, clean_mwh : array_like
        Load and clean supply per participant and hour, MWh, shape (participant, hour).
    names : list of str, optional
        Participant names (default ``p0, p1, ...``).
    months : numpy.ndarray, optional
        Local calendar month (1..12) of each hour; gives :attr:`PoolAnalysis.monthly`.
    hour_of_day : numpy.ndarray, optional
        Local hour of day (0..23) of each hour; gives :attr:`PoolAnalysis.hour_of_day`.
    swap : {"prorata", "optimal"}
        Swap method.
    min_re : float
        Eligibility threshold, volumetric RE fraction.
    eligible_side : {"export", "import", "both", "none"}
        Which side the eligibility rule restricts.

    Returns
    -------
    PoolAnalysis

    Examples
    --------
    >>> a = analyse_pool([[1.0, 1.0], [1.0, 1.0]], [[2.0, 0.0], [0.0, 2.0]], ["a", "b"])
    >>> a.pool["standalone_cfe"], a.pool["optimised_cfe"], a.pool["pooled_cfe"]
    (0.5, 1.0, 1.0)
    """
    balance = hourly_balance(load_mwh, clean_mwh)
    n = balance.n_participants
    names = [f"p{i}" for i in range(n)] if names is None else [str(x) for x in names]
    if len(names) != n:
        raise ProcurementError(f"names has {len(names)} entries but load has {n} participants")
    can_export, can_import = swap_sides(balance, min_re, eligible_side)
    prorata = prorata_swaps(balance, can_export, can_import)
    if swap == "prorata":
        swaps = prorata
    elif swap == "optimal":
        swaps = optimal_swaps(balance, can_export, can_import)
    else:
        raise ProcurementError(f"swap = {swap!r} is not allowed; use 'prorata' or 'optimal'")
    groupings = []
    if months is not None:
        groupings.append(("month", np.asarray(months) - 1, list(range(1, 13))))
    if hour_of_day is not None:
        groupings.append(("hour_of_day", np.asarray(hour_of_day), list(range(24))))
    sums = None
    swap_totals = None
    if groupings:
        sums = group_sums(balance, groupings, swaps.imported, swaps.exported)
        # every hour is in exactly one group of the first grouping: its columns add up to the
        # totals over hours, which saves a pass over each (participant, hour) array
        first = sums[2][0]
        totals = {k: sums[0][k][:, :first].sum(axis=1) for k in ("load", "clean", "matched")}
        balance.__dict__.setdefault("totals", totals)  # fills the cached property
        swap_totals = (sums[0]["imported"][:, :first].sum(axis=1), sums[0]["exported"][:, :first].sum(axis=1))
    per = participant_metrics(balance, swaps.imported, swaps.exported, swap_totals)
    pool = pool_metrics(balance)
    pool["swapped"] = float(per["imported"].sum())
    pool["optimised_cfe"] = float(
        (per["matched"].sum() + pool["swapped"]) / pool["load"] if pool["load"] > 0 else np.nan
    )
    pool["min_cfe_standalone"] = _lowest(per["cfe"], per["load"])
    prorata_imported = per["imported"] if prorata is swaps else prorata.imported.sum(axis=1)
    prorata_cfe = ratio(per["matched"] + prorata_imported, per["load"])
    pool["min_cfe_prorata"] = _lowest(prorata_cfe, per["load"])
    pool["min_cfe_swapped"] = _lowest(per["optimised_cfe"], per["load"])
    pool["eligible"] = float(can_export.sum() if eligible_side != "import" else can_import.sum())

    tables = dict.fromkeys(("month", "hour_of_day"))
    if groupings:
        found = calendar_metrics(balance, groupings, names, swaps.imported, swaps.exported, sums=sums)
        tables.update({g[0]: t for g, t in zip(groupings, found, strict=True)})
    monthly, hourly = tables["month"], tables["hour_of_day"]
    if monthly is not None:  # months outside the horizon carry nothing
        monthly = monthly[monthly["load_mwh"] + monthly["clean_mwh"] > 0].reset_index(drop=True)
    return PoolAnalysis(
        names=names,
        balance=balance,
        swaps=swaps,
        prorata=prorata,
        participants=per,
        pool=pool,
        monthly=monthly,
        hour_of_day=hourly,
    )
