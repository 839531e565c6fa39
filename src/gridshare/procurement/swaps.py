"""Certificate (REC) swaps inside the pool, hour by hour.

In each hour :math:`h`, participants with a surplus of clean energy may give certificates to the
pool and participants with a shortfall may take them, so that each importer's hourly CFE counts
clean energy it did not produce. With :math:`U_{ph}` the exportable surplus (zero for a
participant not allowed to export) and :math:`D_{ph}` the importable shortfall, the pool can swap
at most :math:`X_h = \\min(\\sum_p U_{ph}, \\sum_p D_{ph})` in that hour.

- **pro-rata** (:func:`prorata_swaps`): swap exactly :math:`X_h`; exporter :math:`p` gives
  :math:`U_{ph} X_h / \\sum_q U_{qh}` and importer :math:`p` takes :math:`D_{ph} X_h / \\sum_q
  D_{qh}`.
- **optimal** (:func:`optimal_swaps`): a two-stage LP over every hour at once. Stage 1 maximises
  the pool's matched energy :math:`\\sum_{p,h} i_{ph}` subject to :math:`0 \\le i_{ph} \\le
  D_{ph}` (``import_within_shortfall``) and :math:`\\sum_p i_{ph} \\le \\sum_p U_{ph}`
  (``pool_certificates``). Stage 2 holds that optimum (``pool_matched_held``) and maximises
  :math:`z`, the lowest CFE over the year of the participants allowed to import
  (``cfe_floor``: :math:`\\sum_h (M_{ph} + i_{ph}) \\ge z \\sum_h L_{ph}`), which couples the
  hours. Stage 1 swaps :math:`X_h` every hour, as pro-rata does, so the pools' matched energy is
  the same; the optimal allocation gives the scarce hours' certificates to whoever needs them
  most over the year, so its lowest participant CFE is never below pro-rata's (pro-rata is a
  feasible stage-2 point). Who *gives* the certificates does not change any CFE, so exports are
  shared pro-rata to surplus in both methods.

Eligibility (:func:`swap_sides`): by default a participant may export only if its volumetric RE
is at least ``min_re`` (50 %); the rule may instead restrict importers, or both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import xarray as xr

from gridshare.procurement._checks import ProcurementError, fraction, participant_mask
from gridshare.procurement.matching import Balance, ratio

if TYPE_CHECKING:
    import linopy

SwapMethod = Literal["prorata", "optimal"]
EligibleSide = Literal["export", "import", "both", "none"]


@dataclass(frozen=True)
class Swaps:
    """Certificates given to and taken from the pool per participant and hour.

    Attributes
    ----------
    exported, imported : numpy.ndarray
        Shape (participant, hour), same energy unit as the balance.
    method : str
        ``"prorata"`` or ``"optimal"``.
    can_export, can_import : numpy.ndarray
        Which participants were allowed to export and import (one boolean each).
    """

    exported: np.ndarray
    imported: np.ndarray
    method: str
    can_export: np.ndarray
    can_import: np.ndarray

    @property
    def swapped(self) -> np.ndarray:
        """Energy swapped in each hour (imports = exports), shape (hour,)."""
        return self.imported.sum(axis=0)


def eligibility(balance: Balance, min_re: float = 0.5) -> np.ndarray:
    """Participants whose volumetric RE is at least ``min_re``.

    A participant without load but with clean supply counts as eligible (its RE is unbounded).

    Examples
    --------
    >>> from gridshare.procurement.matching import hourly_balance
    >>> eligibility(hourly_balance([[2.0, 2.0], [2.0, 2.0]], [[1.0, 1.0], [0.0, 1.0]])).tolist()
    [True, False]
    """
    min_re = fraction("min_re", min_re, 0.0, 10.0)
    load = balance.load.sum(axis=1)
    clean = balance.clean.sum(axis=1)
    # a relative tolerance so that RE exactly at the threshold is not lost to rounding
    return clean >= min_re * load * (1.0 - 1e-12)


def swap_sides(
    balance: Balance, min_re: float = 0.5, side: EligibleSide = "export"
) -> tuple[np.ndarray, np.ndarray]:
    """Who may export and who may import under the eligibility rule.

    Parameters
    ----------
    balance : Balance
    min_re : float, default 0.5
        Volumetric RE (fraction) a participant needs to be eligible.
    side : {"export", "import", "both", "none"}, default "export"
        Which side of the swap the rule restricts (``"none"``: everybody may do both).

    Returns
    -------
    (can_export, can_import) : tuple of numpy.ndarray
        One boolean per participant each.
    """
    if side not in ("export", "import", "both", "none"):
        raise ProcurementError(
            f"eligible side = {side!r} is not allowed; use 'export', 'import', 'both' or 'none'"
        )
    everyone = np.ones(balance.n_participants, dtype=bool)
    ok = eligibility(balance, min_re) if side != "none" else everyone
    can_export = ok if side in ("export", "both") else everyone
    can_import = ok if side in ("import", "both") else everyone
    return can_export, can_import


def _limits(
    balance: Balance, can_export: np.ndarray | None, can_import: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = balance.n_participants
    exporters = participant_mask("can_export", can_export, n)
    importers = participant_mask("can_import", can_import, n)
    exportable = balance.surplus * exporters[:, None]
    importable = balance.shortfall * importers[:, None]
    return exportable, importable, exporters, importers


def prorata_swaps(
    balance: Balance, can_export: np.ndarray | None = None, can_import: np.ndarray | None = None
) -> Swaps:
    """Pro-rata swaps: each hour, exporters give and importers take in proportion to need.

    Parameters
    ----------
    balance : Balance
    can_export, can_import : numpy.ndarray of bool, optional
        Participants allowed to export / import (see :func:`swap_sides`); default everybody.

    Returns
    -------
    Swaps

    Examples
    --------
    One hour: surplus 3 and 1, shortfall 2; 2 is swapped, given 1.5 and 0.5.

    >>> from gridshare.procurement.matching import hourly_balance
    >>> b = hourly_balance([[0.0], [0.0], [2.0]], [[3.0], [1.0], [0.0]])
    >>> s = prorata_swaps(b)
    >>> s.exported[:, 0].tolist(), s.imported[:, 0].tolist()
    ([1.5, 0.5, 0.0], [0.0, 0.0, 2.0])
    """
    n = balance.n_participants
    exporters = participant_mask("can_export", can_export, n)
    importers = participant_mask("can_import", can_import, n)
    supply = _side_total(balance.clean, "clean", exporters, balance)
    supply -= _side_total(balance.matched, "matched", exporters, balance)
    demand = _side_total(balance.load, "load", importers, balance)
    demand -= _side_total(balance.matched, "matched", importers, balance)
    np.maximum(supply, 0.0, out=supply)  # round-off of the two sums
    np.maximum(demand, 0.0, out=demand)
    swapped = np.minimum(supply, demand)
    give = _share(swapped, supply)
    take = _share(swapped, demand)
    # surplus x give and shortfall x take, written into one new array each (1,000 x 8,784 is
    # 70 MB: the hot path makes no other full-size temporaries)
    exported = np.subtract(balance.clean, balance.matched)
    exported *= give
    exported[~exporters] = 0.0
    imported = np.subtract(balance.load, balance.matched)
    imported *= take
    imported[~importers] = 0.0
    return Swaps(
        exported=exported, imported=imported, method="prorata", can_export=exporters, can_import=importers
    )


def _side_total(values: np.ndarray, key: str, mask: np.ndarray, balance: Balance) -> np.ndarray:
    """Sum over the participants in ``mask`` per hour (the cached pool sum when all are in)."""
    pooled = balance.pooled[key]
    if mask.all():
        return pooled.copy()
    if not mask.any():
        return np.zeros_like(pooled)
    # read only the smaller group of rows
    if mask.sum() <= mask.size // 2:
        return values[mask].sum(axis=0)
    return pooled - values[~mask].sum(axis=0)


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """``part / whole`` per hour, 0 where ``whole`` is 0, at most 1."""
    out = np.zeros_like(whole)
    np.divide(part, whole, out=out, where=whole > 0.0)
    return np.minimum(out, 1.0, out=out)


def _solve(model: linopy.Model, stage: str) -> None:
    status, condition = model.solve(
        solver_name="highs", io_api="direct", log_to_console=False, output_flag=False
    )
    if status != "ok" or condition != "optimal":
        raise ProcurementError(
            f"the optimal-swap LP ({stage}) ended with status {status!r}, "
            f"condition {condition!r}; families: import_within_shortfall, "
            "pool_certificates, pool_matched_held, cfe_floor"
        )


def optimal_swaps(
    balance: Balance,
    can_export: np.ndarray | None = None,
    can_import: np.ndarray | None = None,
    fairness: bool = True,
) -> Swaps:
    """Swaps from the two-stage LP: most pooled matching, then the highest lowest CFE.

    Parameters
    ----------
    balance : Balance
    can_export, can_import : numpy.ndarray of bool, optional
        Participants allowed to export / import; default everybody.
    fairness : bool, default True
        Run stage 2 (max-min CFE). ``False`` stops after stage 1 (any allocation that swaps
        the most).

    Returns
    -------
    Swaps

    Examples
    --------
    One certificate in hour 1 for ``a`` and ``b``, both short by 1 in that hour; ``b`` is also
    short in hour 2 with nothing on offer. Pro-rata splits 0.5 / 0.5 (CFE 50 % and 25 %); the
    fair allocation gives ``a`` 1/3 and ``b`` 2/3, both at CFE 1/3.

    >>> from gridshare.procurement.matching import hourly_balance
    >>> b = hourly_balance([[0, 1, 0], [0, 1, 1], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 1, 0]])
    >>> s = optimal_swaps(b)
    >>> [round(float(v), 6) for v in s.imported[:, 1]]
    [0.333333, 0.666667, 0.0]
    """
    import linopy

    exportable, importable, exporters, importers = _limits(balance, can_export, can_import)
    supply = exportable.sum(axis=0)
    n, t = balance.load.shape
    participants = pd.RangeIndex(n, name="participant")
    hours = pd.RangeIndex(t, name="hour")
    upper = np.where(supply[None, :] > 0.0, importable, 0.0)
    imported = np.zeros((n, t))
    if upper.max(initial=0.0) > 0.0:
        cap = xr.DataArray(upper, coords=[participants, hours])
        m = linopy.Model()
        # variables only where an import is possible: a participant short in an hour with offers
        take = m.add_variables(lower=0.0, upper=cap, name="import_within_shortfall", mask=cap > 0.0)
        m.add_constraints(
            take.sum("participant") <= xr.DataArray(supply, coords=[hours]), name="pool_certificates"
        )
        m.add_objective(take.sum(), sense="max")
        _solve(m, "stage 1: most matched energy")
        best = float(m.objective.value)
        load = balance.load.sum(axis=1)
        judged = importers & (load > 0.0)
        if fairness and judged.any():
            held = best - 1e-9 * max(1.0, abs(best))
            m.add_constraints(take.sum() >= held, name="pool_matched_held")
            lowest = m.add_variables(lower=0.0, upper=1.0, name="min_cfe")
            who = participants[judged]
            load_p = xr.DataArray(load[judged], coords=[who])
            matched_p = xr.DataArray(balance.matched.sum(axis=1)[judged], coords=[who])
            m.add_constraints(
                take.sel(participant=who).sum("hour") - lowest * load_p >= -matched_p, name="cfe_floor"
            )
            m.add_objective(1.0 * lowest, sense="max", overwrite=True)
            _solve(m, "stage 2: highest lowest CFE")
        imported = np.nan_to_num(take.solution.values, nan=0.0).clip(0.0, upper)
        # solver tolerances: never take more than the hour offers
        excess = ratio(supply, imported.sum(axis=0))
        imported *= np.where(np.isfinite(excess), np.minimum(excess, 1.0), 1.0)[None, :]
    swapped = imported.sum(axis=0)
    exported = np.nan_to_num(exportable * ratio(swapped, supply)[None, :], nan=0.0)
    return Swaps(
        exported=exported, imported=imported, method="optimal", can_export=exporters, can_import=importers
    )


def swap(
    balance: Balance, method: SwapMethod = "prorata", min_re: float = 0.5, side: EligibleSide = "export"
) -> Swaps:
    """Swaps by ``method`` under the eligibility rule (:func:`swap_sides`)."""
    can_export, can_import = swap_sides(balance, min_re, side)
    if method == "prorata":
        return prorata_swaps(balance, can_export, can_import)
    if method == "optimal":
        return optimal_swaps(balance, can_export, can_import)
    raise ProcurementError(f"swap = {method!r} is not allowed; use 'prorata' or 'optimal'")


def optimised_cfe(balance: Balance, swaps: Swaps) -> np.ndarray:
    """CFE per participant after swaps, ``(matched + imported) / load`` over all hours."""
    return ratio(balance.matched.sum(axis=1) + swaps.imported.sum(axis=1), balance.load.sum(axis=1))
