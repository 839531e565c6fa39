"""Hourly granular certificate records, in the manner of EnergyTag's granular certificates.

One row per participant, hour, source and use: the clean energy a participant's shares produced
in an hour is split into what it used itself (``matched``), what it gave to the pool
(``swapped_out``) and what it kept beyond its load (``surplus``), by the hour's source mix; what
it took from the pool (``swapped_in``) carries the mix of that hour's pool exports. Rows with no
energy are left out. Each row holds the production period (start and end, local time with
offset), the device (project or on-site source), its technology, the energy in MWh, the use and
the counterparty (``pool`` for swaps).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridshare.procurement._checks import ProcurementError
from gridshare.procurement.matching import Balance
from gridshare.procurement.swaps import Swaps

STATUSES = ("matched", "swapped_out", "surplus", "swapped_in")
"""Uses of a certificate, in the order rows are written."""

_SMALLEST_MWH = 1e-9  # below this a record is solver round-off, not a certificate


def certificate_records(
    supply_mwh: np.ndarray,
    balance: Balance,
    swaps: Swaps,
    names: list[str],
    sources: list[str],
    technology: list[str],
    hours: pd.DatetimeIndex,
) -> pd.DataFrame:
    """Granular certificate records of every participant and hour.

    Parameters
    ----------
    supply_mwh : numpy.ndarray
        Clean supply by (participant, source, hour), MWh; sums over sources to
        ``balance.clean``.
    balance : Balance
    swaps : Swaps
    names, sources, technology : list of str
        Participant names, source names and each source's technology.
    hours : pandas.DatetimeIndex
        Start of each hour, time-zone aware.

    Returns
    -------
    pandas.DataFrame
        Columns ``participant``, ``period_start``, ``period_end``, ``device``, ``technology``,
        ``energy_mwh``, ``status`` (one of :data:`STATUSES`), ``counterparty``.

    Examples
    --------
    >>> from gridshare.procurement.matching import hourly_balance
    >>> from gridshare.procurement.swaps import prorata_swaps
    >>> supply = np.array([[[3.0]], [[0.0]]])  # (participant, source, hour)
    >>> b = hourly_balance([[1.0], [1.0]], supply.sum(axis=1))
    >>> hours = pd.date_range("2024-01-01", periods=1, freq="h", tz="UTC")
    >>> r = certificate_records(supply, b, prorata_swaps(b), ["a", "b"], ["sun"], ["solar"],
    ...                         hours)
    >>> r[["participant", "status", "energy_mwh"]].values.tolist()
    [['a', 'matched', 1.0], ['a', 'swapped_out', 1.0], ['a', 'surplus', 1.0], ['b', 'swapped_in', 1.0]]
    """
    supply = np.asarray(supply_mwh, dtype=float)
    n, k, t = supply.shape
    if (n, t) != balance.load.shape or len(sources) != k or len(technology) != k:
        raise ProcurementError(
            f"supply_mwh has shape {supply.shape}; it needs (participant, "
            f"source, hour) = ({balance.n_participants}, {len(sources)}, "
            f"{balance.n_hours})"
        )
    if len(hours) != t:
        raise ProcurementError(f"hours has {len(hours)} labels but there are {t} hours")
    clean = supply.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mix = np.where(clean[:, None, :] > 0, supply / clean[:, None, :], 0.0)
        pool_out = (swaps.exported[:, None, :] * mix).sum(axis=0)  # (source, hour)
        pool_total = pool_out.sum(axis=0)
        pool_mix = np.where(pool_total > 0, pool_out / pool_total, 0.0)
    kept = np.maximum(balance.surplus - swaps.exported, 0.0)
    uses = np.stack(
        [
            balance.matched[:, None, :] * mix,
            swaps.exported[:, None, :] * mix,
            kept[:, None, :] * mix,
            swaps.imported[:, None, :] * pool_mix[None],
        ],
        axis=1,
    ).transpose(0, 3, 2, 1)  # (participant, hour, source, status)
    p, h, src, s = np.nonzero(uses > _SMALLEST_MWH)
    starts = hours.map(lambda ts: ts.isoformat()).to_numpy()
    ends = (hours + pd.Timedelta(hours=1)).map(lambda ts: ts.isoformat()).to_numpy()
    status = np.asarray(STATUSES, dtype=object)[s]
    swapped = (status == "swapped_out") | (status == "swapped_in")
    return pd.DataFrame(
        {
            "participant": np.asarray(names, dtype=object)[p],
            "period_start": starts[h],
            "period_end": ends[h],
            "device": np.asarray(sources, dtype=object)[src],
            "technology": np.asarray(technology, dtype=object)[src],
            "energy_mwh": uses[p, h, src, s],
            "status": status,
            "counterparty": np.where(swapped, "pool", ""),
        }
    )
