"""Hourly matching of participants' loads with their clean supply, alone and pooled.

All arrays are energies per hour with shape ``(participant, hour)`` — MWh in the tables this
package writes, but any one energy unit works. For participant :math:`p` and hour :math:`h`,
with load :math:`L_{ph}` and clean supply :math:`S_{ph}` (its shares of the PPA plants plus any
on-site generation):

- matched :math:`M_{ph} = \\min(L_{ph}, S_{ph})`, surplus :math:`U_{ph} = S_{ph} - M_{ph}`,
  shortfall :math:`D_{ph} = L_{ph} - M_{ph}`;
- volumetric RE :math:`\\sum_h S_{ph} / \\sum_h L_{ph}` (may exceed 1);
- hourly CFE :math:`\\sum_h M_{ph} / \\sum_h L_{ph}` (at most 1 and at most the volumetric RE);
- pooled CFE :math:`\\sum_h \\min(\\sum_p L_{ph}, \\sum_p S_{ph}) / \\sum_{p,h} L_{ph}`;
- the load-weighted mean of the standalone CFEs is :math:`\\sum_{p,h} M_{ph} / \\sum_{p,h}
  L_{ph}`, and the pooling benefit is the pooled CFE minus that mean (never negative, because
  :math:`\\min` of sums is at least the sum of :math:`\\min`).

A participant with no load has undefined ratios (``nan``), never a division error.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from gridshare.procurement._checks import ProcurementError, energy_array, same_shape

POOL = "pool"
"""Label of the pool as a whole in per-participant tables."""


@dataclass(frozen=True)
class Balance:
    """Hourly balance of every participant, energy per hour, arrays of shape (participant, hour).

    Only ``load``, ``clean`` and ``matched`` are stored; surplus, shortfall and the sums over
    hours or participants are computed when first asked for and kept (a year of 1,000
    participants is 70 MB per array, so the hot path avoids making more of them).

    Attributes
    ----------
    load, clean : numpy.ndarray
        Consumption and clean supply.
    matched : numpy.ndarray
        ``min(load, clean)``: clean energy used in the same hour.
    """

    load: np.ndarray
    clean: np.ndarray
    matched: np.ndarray

    @property
    def n_participants(self) -> int:
        """Number of participants."""
        return self.load.shape[0]

    @property
    def n_hours(self) -> int:
        """Number of hours."""
        return self.load.shape[1]

    @cached_property
    def surplus(self) -> np.ndarray:
        """``clean - matched``: clean energy beyond the hour's load."""
        return self.clean - self.matched

    @cached_property
    def shortfall(self) -> np.ndarray:
        """``load - matched``: load not covered by clean supply in the hour."""
        return self.load - self.matched

    @cached_property
    def totals(self) -> dict[str, np.ndarray]:
        """Sums over hours per participant: ``load``, ``clean``, ``matched``."""
        return {
            "load": self.load.sum(axis=1),
            "clean": self.clean.sum(axis=1),
            "matched": self.matched.sum(axis=1),
        }

    @cached_property
    def pooled(self) -> dict[str, np.ndarray]:
        """Sums over participants per hour: ``load``, ``clean``, ``matched`` (the standalone
        matches added up) and ``pooled_matched`` (``min`` of the pool's load and clean)."""
        load = self.load.sum(axis=0)
        clean = self.clean.sum(axis=0)
        return {
            "load": load,
            "clean": clean,
            "matched": self.matched.sum(axis=0),
            "pooled_matched": np.minimum(load, clean),
        }


def hourly_balance(load: np.ndarray, clean: np.ndarray) -> Balance:
    """Matched energy, surplus and shortfall of each participant and hour.

    Parameters
    ----------
    load : array_like
        Load per participant and hour, shape (participant, hour), MWh (>= 0).
    clean : array_like
        Clean supply per participant and hour, same shape and unit (>= 0).

    Returns
    -------
    Balance

    Examples
    --------
    >>> b = hourly_balance([[2.0, 2.0]], [[3.0, 0.5]])
    >>> b.matched.tolist(), b.surplus.tolist(), b.shortfall.tolist()
    ([[2.0, 0.5]], [[1.0, 0.0]], [[0.0, 1.5]])
    """
    load = energy_array("load", load)
    clean = energy_array("clean", clean)
    same_shape(load=load, clean=clean)
    return Balance(load=load, clean=clean, matched=np.minimum(load, clean))


def ratio(numerator: np.ndarray | float, denominator: np.ndarray | float) -> np.ndarray:
    """``numerator / denominator`` with ``nan`` where the denominator is zero."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    safe = np.where(den != 0.0, den, 1.0)
    return np.where(den != 0.0, num / safe, np.nan)


def participant_metrics(
    balance: Balance,
    imported: np.ndarray | None = None,
    exported: np.ndarray | None = None,
    swap_totals: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Totals and ratios per participant over all hours.

    Parameters
    ----------
    balance : Balance
    imported, exported : numpy.ndarray, optional
        Certificates received from and given to the pool per participant and hour (from
        :mod:`gridshare.procurement.swaps`); with them the result also holds the optimised CFE.
    swap_totals : (imported, exported) totals per participant, optional
        The sums over hours of ``imported`` and ``exported`` when already known.

    Returns
    -------
    dict of numpy.ndarray
        One value per participant: ``load``, ``clean``, ``matched``, ``surplus``, ``shortfall``
        (energy), ``volumetric_re`` and ``cfe`` (fractions); with swaps also ``imported``,
        ``exported`` and ``optimised_cfe = (matched + imported) / load``.

    Examples
    --------
    >>> m = participant_metrics(hourly_balance([[2.0, 2.0]], [[4.0, 0.0]]))
    >>> float(m["volumetric_re"][0]), float(m["cfe"][0])
    (1.0, 0.5)
    """
    totals = balance.totals
    out = {key: totals[key] for key in ("load", "clean", "matched")}
    out["surplus"] = out["clean"] - out["matched"]
    out["shortfall"] = out["load"] - out["matched"]
    out["volumetric_re"] = ratio(out["clean"], out["load"])
    out["cfe"] = ratio(out["matched"], out["load"])
    known = swap_totals if swap_totals is not None else (None, None)
    if imported is not None:
        out["imported"] = known[0] if known[0] is not None else np.asarray(imported).sum(axis=1)
        out["optimised_cfe"] = ratio(out["matched"] + out["imported"], out["load"])
    if exported is not None:
        out["exported"] = known[1] if known[1] is not None else np.asarray(exported).sum(axis=1)
    return out


def pool_metrics(balance: Balance) -> dict[str, float]:
    """Metrics of the pool as one participant, and its benefit over standalone matching.

    Returns
    -------
    dict of float
        ``load``, ``clean``, ``matched`` (pooled, ``min`` of the hourly sums), ``surplus``,
        ``shortfall`` (energy); ``volumetric_re``, ``pooled_cfe``, ``standalone_cfe`` (the
        load-weighted mean of the participants' CFEs), ``pooling_benefit`` (difference of the
        two, fraction); ``hours_long`` and ``hours_short`` (hours with pooled surplus and
        pooled shortfall).

    Examples
    --------
    >>> b = hourly_balance([[1.0, 1.0], [1.0, 1.0]], [[2.0, 0.0], [0.0, 2.0]])
    >>> p = pool_metrics(b)
    >>> p["standalone_cfe"], p["pooled_cfe"], p["pooling_benefit"]
    (0.5, 1.0, 0.5)
    """
    pooled = balance.pooled
    load, clean, matched = pooled["load"], pooled["clean"], pooled["pooled_matched"]
    total_load = float(load.sum())
    out = {
        "load": total_load,
        "clean": float(clean.sum()),
        "matched": float(matched.sum()),
        "surplus": float((clean - matched).sum()),
        "shortfall": float((load - matched).sum()),
    }
    out["volumetric_re"] = float(ratio(out["clean"], total_load))
    out["pooled_cfe"] = float(ratio(out["matched"], total_load))
    out["standalone_cfe"] = float(ratio(float(pooled["matched"].sum()), total_load))
    out["pooling_benefit"] = out["pooled_cfe"] - out["standalone_cfe"]
    out["hours_long"] = float((clean > load).sum())
    out["hours_short"] = float((clean < load).sum())
    return out


def group_matrix(groups: np.ndarray, n_groups: int) -> np.ndarray:
    """One-hot matrix (hour, group): summing over hours by group becomes one matrix product."""
    groups = np.asarray(groups)
    if groups.ndim != 1 or groups.size == 0:
        raise ProcurementError(f"groups must be one integer label per hour; got shape {groups.shape}")
    if groups.min() < 0 or groups.max() >= n_groups:
        raise ProcurementError(
            f"group labels must be in [0, {n_groups - 1}]; got {int(groups.min())}..{int(groups.max())}"
        )
    matrix = np.zeros((groups.size, n_groups))
    matrix[np.arange(groups.size), groups] = 1.0
    return matrix


def grouped_metrics(
    balance: Balance,
    groups: np.ndarray,
    labels: list,
    names: list[str],
    group_name: str = "group",
    imported: np.ndarray | None = None,
    exported: np.ndarray | None = None,
    unit: str = "mwh",
) -> pd.DataFrame:
    """Energies and ratios by group of hours (month, hour of day), per participant and pooled.

    Parameters
    ----------
    balance : Balance
    groups : numpy.ndarray
        Group number of each hour, integers in ``[0, len(labels))``.
    labels : list
        Label of each group (e.g. month numbers 1..12 or hours 0..23).
    names : list of str
        Participant names.
    group_name : str
        Name of the group column.
    imported, exported : numpy.ndarray, optional
        Certificate swaps per participant and hour; add ``imported``/``exported`` energies and
        the optimised CFE.
    unit : str
        Energy unit written into column names.

    Returns
    -------
    pandas.DataFrame
        One row per (group, participant) plus one per group for :data:`POOL`: ``load_<unit>``,
        ``clean_<unit>``, ``matched_<unit>``, ``surplus_<unit>``, ``shortfall_<unit>``,
        ``volumetric_re_pct``, ``cfe_pct``; pool rows also ``standalone_cfe_pct`` and
        ``pooling_benefit_pct`` (percentage points). Pool ``matched`` is the pooled match.

    Examples
    --------
    >>> b = hourly_balance([[1.0, 1.0], [1.0, 1.0]], [[2.0, 0.0], [0.0, 2.0]])
    >>> t = grouped_metrics(b, np.array([0, 0]), [1], ["a", "b"], "month")
    >>> t.set_index("participant").loc["pool", ["cfe_pct", "standalone_cfe_pct"]].tolist()
    [100.0, 50.0]
    """
    return calendar_metrics(balance, [(group_name, groups, labels)], names, imported, exported, unit)[0]


def group_sums(
    balance: Balance,
    groupings: list[tuple[str, np.ndarray, list]],
    imported: np.ndarray | None = None,
    exported: np.ndarray | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray, list[int]]:
    """Sums of load, clean, matched (and swaps) per participant and group, every grouping at once.

    Returns
    -------
    (sums, matrix, sizes)
        ``sums[key]`` has shape (participant, total number of groups), the groupings' columns
        side by side; ``matrix`` is the (hour, group) one-hot matrix; ``sizes`` the number of
        groups of each grouping.
    """
    blocks = []
    for group_name, groups, labels in groupings:
        if len(groups) != balance.n_hours:
            raise ProcurementError(
                f"{group_name}: {len(groups)} group labels but there are {balance.n_hours} hours"
            )
        blocks.append(group_matrix(groups, len(labels)))
    # all groupings side by side: one matrix product per array instead of one per grouping
    g = np.concatenate(blocks, axis=1)
    fields = {"load": balance.load, "clean": balance.clean, "matched": balance.matched}
    if imported is not None:
        fields["imported"] = np.asarray(imported)
    if exported is not None:
        fields["exported"] = np.asarray(exported)
    return {k: v @ g for k, v in fields.items()}, g, [b.shape[1] for b in blocks]


def calendar_metrics(
    balance: Balance,
    groupings: list[tuple[str, np.ndarray, list]],
    names: list[str],
    imported: np.ndarray | None = None,
    exported: np.ndarray | None = None,
    unit: str = "mwh",
    sums: tuple | None = None,
) -> list[pd.DataFrame]:
    """:func:`grouped_metrics` for several groupings at once (one pass over each array).

    Parameters
    ----------
    groupings : list of (name, groups, labels)
        E.g. ``[("month", months - 1, list(range(1, 13))), ("hour_of_day", hours, ...)]``.
    sums : tuple, optional
        The result of :func:`group_sums` for the same arguments, when already computed.

    Returns
    -------
    list of pandas.DataFrame
        One table per grouping, as :func:`grouped_metrics` returns.
    """
    if len(names) != balance.n_participants:
        raise ProcurementError(
            f"names has {len(names)} entries but there are {balance.n_participants} participants"
        )
    found = sums if sums is not None else group_sums(balance, groupings, imported, exported)
    sums, g, sizes = dict(found[0]), found[1], found[2]
    sums["surplus"] = sums["clean"] - sums["matched"]
    sums["shortfall"] = sums["load"] - sums["matched"]
    pool = {k: v.sum(axis=0) for k, v in sums.items()}
    pooled = balance.pooled
    pool["matched"] = pooled["pooled_matched"] @ g
    pool["surplus"] = pool["clean"] - pool["matched"]
    pool["shortfall"] = pool["load"] - pool["matched"]
    standalone_matched = sums["matched"].sum(axis=0)
    order = ["load", "clean", "matched", "surplus", "shortfall"]
    order += [k for k in ("imported", "exported") if k in sums]

    tables = []
    offset = 0
    n = balance.n_participants
    for (group_name, _, labels), k in zip(groupings, sizes, strict=True):
        cols = slice(offset, offset + k)
        offset += k
        frame = pd.DataFrame(
            {
                group_name: np.tile(np.asarray(labels), n + 1),
                "participant": np.repeat(np.asarray([*names, POOL], dtype=object), k),
            }
        )
        for key in order:
            frame[f"{key}_{unit}"] = np.concatenate([sums[key][:, cols].ravel(), pool[key][cols]])
        load_col = frame[f"load_{unit}"].to_numpy()
        frame["volumetric_re_pct"] = 100.0 * ratio(frame[f"clean_{unit}"].to_numpy(), load_col)
        frame["cfe_pct"] = 100.0 * ratio(frame[f"matched_{unit}"].to_numpy(), load_col)
        if imported is not None:
            optimised = frame[f"matched_{unit}"].to_numpy() + frame[f"imported_{unit}"].to_numpy()
            # on pool rows: the load-weighted mean of the participants' optimised CFEs
            frame["optimised_cfe_pct"] = 100.0 * ratio(optimised, load_col)
        standalone = np.full(len(frame), np.nan)
        standalone[n * k :] = 100.0 * ratio(standalone_matched[cols], pool["load"][cols])
        frame["standalone_cfe_pct"] = standalone
        frame["pooling_benefit_pct"] = frame["cfe_pct"] - frame["standalone_cfe_pct"]
        tables.append(frame)
    return tables
