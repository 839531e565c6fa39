"""Sector load profiles scaled to an annual energy.

A load profile is a deterministic sector shape (daily pattern per day type, weekly pattern,
seasonal heating and cooling) multiplied by autocorrelated noise. Every full local calendar year
the index touches is generated whole, at the index's resolution and time zone, and scaled so that
its energy equals ``annual_kwh`` exactly; the requested steps are then sliced out. The random
stream of each (seed, calendar year) is drawn in a fixed order from its own generator, so any
horizon is an exact slice of the full year.

This module also holds the small time and randomness helpers shared by the other profile
generators (:mod:`~gridshare.profiles.solar`, :mod:`~gridshare.profiles.wind`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from gridshare.timeindex import ALLOWED_MINUTES, calendar_years, step_hours, year_index

__all__ = ["SECTORS", "sector_load", "sector_loads"]  # the helpers below are internal

SECTORS = ("business", "industrial", "residential", "data_center", "health_care", "retail")
"""Sectors with a built-in load shape."""

# Random streams: one per generator kind, so that seed 0 for a load and seed 0 for a cloud
# process are independent.
STREAM_LOAD = 11
STREAM_CLOUD = 23
STREAM_WIND = 37

# ---------------------------------------------------------------------------------------------
# Shared helpers (time grid, seeds, AR(1) noise, annual scaling)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearBlock:
    """One local calendar year touched by an index.

    ``year_index`` is every step of that year; ``in_year`` are the positions (in the year) of the
    requested steps and ``in_index`` their positions in the requested index.
    """

    year: int
    year_index: pd.DatetimeIndex
    in_year: np.ndarray
    in_index: np.ndarray


def check_index(index: pd.DatetimeIndex, name: str = "index") -> float:
    """Validate a profile index and return its step length in hours."""
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError(f"{name} must be a pandas DatetimeIndex, got {type(index).__name__}")
    if len(index) == 0:
        raise ValueError(f"{name} is empty; give at least one step")
    if index.tz is None:
        raise ValueError(
            f"{name} has no time zone; use gridshare.timeindex.make_index or "
            "index.tz_localize('UTC') so local calendar years and days are defined"
        )
    if index.freq is not None:
        hours = step_hours(index)
    elif len(index) < 2:
        raise ValueError(f"{name} has one label and no freq, so its step is unknown; give freq")
    else:
        # Differences as Timedeltas, so the datetime unit (ns or us) does not matter.
        deltas = index[1:] - index[:-1]
        if not (deltas == deltas[0]).all():
            raise ValueError(f"{name} is not regular: steps differ (first at {index[0]})")
        hours = deltas[0].total_seconds() / 3600.0
    minutes = hours * 60.0
    if not any(np.isclose(minutes, m) for m in ALLOWED_MINUTES):
        raise ValueError(
            f"{name} has a step of {minutes:g} min; allowed steps are "
            + ", ".join(f"{m} min" for m in ALLOWED_MINUTES)
        )
    return hours


def year_blocks(index: pd.DatetimeIndex) -> list[YearBlock]:
    """Split an index into the full local calendar years it touches."""
    hours = check_index(index)
    resolution = pd.Timedelta(hours=hours)
    tz = str(index.tz)
    local_years = index.year.to_numpy()
    blocks = []
    for year in calendar_years(index):
        full = year_index(year, resolution, tz)
        in_index = np.flatnonzero(local_years == year)
        in_year = full.get_indexer(index[in_index])
        if np.any(in_year < 0):
            bad = index[in_index[in_year < 0][0]]
            raise ValueError(
                f"index label {bad} is not on the {hours * 60:g}-minute grid that starts at local "
                f"midnight on 1 January {year}; step starts must be aligned to that grid"
            )
        blocks.append(YearBlock(year, full, in_year, in_index))
    return blocks


def check_seeds(seeds: int | Sequence[int] | np.ndarray,
                n_members: int | None = None) -> np.ndarray:
    """Validate seeds (non-negative integers) and return them as an int array."""
    arr = np.atleast_1d(np.asarray(seeds))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"seeds must be an integer or a 1-D sequence of integers, got {seeds!r}")
    if not np.issubdtype(arr.dtype, np.integer) or np.any(arr < 0):
        raise ValueError(f"seeds must be non-negative integers, got {seeds!r}")
    if n_members is not None and arr.size != n_members:
        raise ValueError(f"seeds has {arr.size} entries but there are {n_members} members")
    return arr.astype(np.int64)


def rng_for(seed: int, year: int, stream: int) -> np.random.Generator:
    """The generator of one (seed, calendar year, stream): independent of any horizon."""
    return np.random.default_rng(np.random.SeedSequence([int(stream), int(seed), int(year)]))


def ar1_filter(innovations: np.ndarray, phi: float) -> np.ndarray:
    """Stationary unit-variance AR(1) along the last axis from standard normal innovations.

    The first value is the first innovation itself (a draw from the stationary law), so the
    process is stationary from the first step; the recursion runs in C through ``lfilter``.
    """
    x = innovations * np.sqrt(1.0 - phi * phi)
    x[..., 0] = innovations[..., 0]
    return lfilter([1.0], [1.0, -phi], x, axis=-1)


def step_phi(autocorrelation_1h: float, hours: float) -> float:
    """Per-step AR(1) coefficient giving ``autocorrelation_1h`` at a lag of one hour."""
    return float(autocorrelation_1h) ** hours


def check_fraction(name: str, value: float, low: float = 0.0, high: float = 1.0,
                   open_high: bool = False) -> float:
    """Check ``low <= value <= high`` (or ``< high``) and that the value is finite."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not np.isfinite(v) or v < low or (v >= high if open_high else v > high):
        bracket = ")" if open_high else "]"
        raise ValueError(
            f"{name} = {value!r} is not allowed; use a number in [{low}, {high}{bracket}")
    return v


def check_annual(annual_kwh: float | Sequence[float] | np.ndarray, n_members: int,
                 name: str = "annual_kwh") -> np.ndarray:
    """Validate a non-negative finite annual energy (scalar or one per member), kWh."""
    try:
        arr = np.asarray(annual_kwh, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} = {annual_kwh!r} is not a number of kWh") from exc
    if arr.ndim > 1 or (arr.ndim == 1 and arr.size != n_members):
        raise ValueError(f"{name} must be a number or one number per member ({n_members})")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} = {annual_kwh!r} is not allowed; use finite values >= 0 kWh")
    return np.broadcast_to(arr, (n_members,)).astype(float)


def scale_to_annual(values: np.ndarray, hours: float, annual_kwh: np.ndarray,
                    what: str) -> np.ndarray:
    """Scale each row (one member's full calendar year, kW) so its energy equals ``annual_kwh``."""
    energy = values.sum(axis=-1) * hours
    wanted = annual_kwh > 0
    if np.any(wanted & ~(energy > 0)):
        raise ValueError(
            f"cannot scale {what} to annual_kwh: the modelled year has no energy "
            "(e.g. a PV plane facing away from the sun or a wind speed always below cut-in)"
        )
    factor = np.divide(annual_kwh, energy, out=np.zeros_like(energy), where=energy > 0)
    return values * factor[:, None]


# ---------------------------------------------------------------------------------------------
# Sector shapes
# ---------------------------------------------------------------------------------------------

# Relative demand at the centre of each local hour 0..23 for weekday, Saturday and Sunday.
_H = np.arange(24)


def _bump(center: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((_H + 0.5 - center) / width) ** 2)


def _window(start: float, end: float, ramp: float = 1.0) -> np.ndarray:
    """Smooth 0..1 window that is 1 between ``start`` and ``end`` (local hours)."""
    t = _H + 0.5
    rise = np.clip((t - start + ramp / 2) / ramp, 0.0, 1.0)
    fall = np.clip((end - t + ramp / 2) / ramp, 0.0, 1.0)
    return np.minimum(rise, fall)


_DAY_SHAPES: dict[str, np.ndarray] = {
    # Offices: occupied 8-18 on weekdays, base load (servers, standby) otherwise.
    "business": np.stack([
        0.30 + 0.70 * _window(7.5, 18.0, 2.0) - 0.05 * _bump(12.5, 0.7),
        0.30 + 0.06 * _window(9.0, 13.0, 1.0),
        np.full(24, 0.28),
    ]),
    # Two shifts 6-22 on weekdays, one shift on Saturday morning, Sunday mostly idle.
    "industrial": np.stack([
        0.50 + 0.50 * _window(6.0, 22.0, 1.0),
        0.45 + 0.35 * _window(6.0, 14.0, 1.0),
        np.full(24, 0.42),
    ]),
    # Households: morning and evening peaks, later mornings at weekends.
    "residential": np.stack([
        0.30 + 0.45 * _bump(7.5, 1.2) + 0.20 * _window(9.0, 16.0, 2.0) + 0.75 * _bump(19.5, 1.8),
        0.30 + 0.45 * _bump(9.5, 1.5) + 0.30 * _window(11.0, 16.0, 2.0) + 0.70 * _bump(19.5, 1.8),
        0.30 + 0.45 * _bump(10.0, 1.5) + 0.30 * _window(11.0, 16.0, 2.0)
        + 0.70 * _bump(19.0, 1.8),
    ]),
    # IT load is flat; cooling adds a little in the afternoon.
    "data_center": np.stack([1.0 + 0.02 * _bump(15.0, 3.0)] * 3),
    # Hospitals run 24/7 with a daytime bump from clinics, theatres and visitors.
    "health_care": np.stack([
        0.75 + 0.25 * _window(8.0, 18.0, 2.0),
        0.75 + 0.12 * _window(9.0, 17.0, 2.0),
        0.75 + 0.10 * _window(9.0, 17.0, 2.0),
    ]),
    # Shops: open 9-20 on weekdays and Saturdays, shorter Sunday hours.
    "retail": np.stack([
        0.25 + 0.75 * _window(9.0, 20.0, 1.0),
        0.25 + 0.80 * _window(9.0, 20.0, 1.0),
        0.25 + 0.55 * _window(11.0, 17.0, 1.0),
    ]),
}

# Seasonal sensitivity: relative extra demand at the peak of the heating and cooling seasons.
_SEASONAL: dict[str, tuple[float, float]] = {
    "business": (0.15, 0.25),
    "industrial": (0.05, 0.08),
    "residential": (0.35, 0.20),
    "data_center": (0.00, 0.04),
    "health_care": (0.15, 0.20),
    "retail": (0.10, 0.25),
}

# Noise multiplier per sector: the ``noise`` argument is the relative standard deviation of a
# typical sector; a data centre's IT load is much steadier than a household's.
_NOISE_SCALE: dict[str, float] = {
    "business": 1.0,
    "industrial": 1.0,
    "residential": 1.5,
    "data_center": 0.2,
    "health_care": 0.6,
    "retail": 1.0,
}

_NOISE_AUTOCORRELATION_1H = 0.7
_CHUNK = 128  # members generated together


def _check_sector(sector: str) -> str:
    if sector not in SECTORS:
        raise ValueError(f"unknown sector {sector!r}; allowed sectors are {', '.join(SECTORS)}")
    return sector


def _sector_shape(sector: str, index: pd.DatetimeIndex, hours: float) -> np.ndarray:
    """Deterministic relative shape of one sector on ``index`` (local time), dimensionless."""
    # Evaluate at step midpoints so that every resolution samples the same hourly template.
    mid_hour = index.hour.to_numpy() + index.minute.to_numpy() / 60.0 + hours / 2.0
    weekday = index.day_of_week.to_numpy()
    day_type = np.where(weekday < 5, 0, np.where(weekday == 5, 1, 2))
    templates = _DAY_SHAPES[sector]
    # Periodic linear interpolation between hour centres (h + 0.5).
    pos = (mid_hour - 0.5) % 24.0
    lo = np.floor(pos).astype(int)
    frac = pos - lo
    hi = (lo + 1) % 24
    daily = (1.0 - frac) * templates[day_type, lo] + frac * templates[day_type, hi]
    # Northern-hemisphere seasons: heating peaks mid-January, cooling mid-July.
    doy = index.day_of_year.to_numpy() + mid_hour / 24.0
    heating = np.clip(np.cos(2 * np.pi * (doy - 15.0) / 365.25), 0.0, None)
    cooling = np.clip(np.cos(2 * np.pi * (doy - 196.0) / 365.25), 0.0, None) ** 2
    heat_s, cool_s = _SEASONAL[sector]
    return daily * (1.0 + heat_s * heating + cool_s * cooling)


def sector_loads(sectors: str | Sequence[str], index: pd.DatetimeIndex,
                 annual_kwh: float | Sequence[float] | np.ndarray,
                 seeds: int | Sequence[int] | np.ndarray, noise: float = 0.05) -> np.ndarray:
    """Load profiles of many members at once, kW.

    Parameters
    ----------
    sectors : str or sequence of str
        One sector for all members or one per member; each one of :data:`SECTORS`.
    index : pandas.DatetimeIndex
        Time-zone-aware regular step-start index (5 min to 1 h).
    annual_kwh : float or array-like
        Energy of every full local calendar year, kWh (one value or one per member).
    seeds : int or sequence of int
        One non-negative seed per member; the number of members is ``len(seeds)``.
    noise : float, default 0.05
        Relative standard deviation of the autocorrelated noise for a typical sector
        (scaled down for steadier sectors such as data centres), dimensionless, in [0, 1].

    Returns
    -------
    numpy.ndarray
        Shape ``(n_members, len(index))``, kW. Row ``i`` equals
        ``sector_load(sectors[i], index, annual_kwh[i], seeds[i], noise)``.

    Examples
    --------
    >>> from gridshare.timeindex import make_index
    >>> idx = make_index("2023-01-01", "1h", "UTC", end="2024-01-01")
    >>> p = sector_loads(["residential", "data_center"], idx, [3500.0, 8.76e6], seeds=[1, 2])
    >>> p.shape, [round(float(e), 6) for e in p.sum(axis=1)]
    ((2, 8760), [3500.0, 8760000.0])
    """
    seed_arr = check_seeds(seeds)
    n = seed_arr.size
    if isinstance(sectors, str):
        sector_list = [_check_sector(sectors)] * n
    else:
        sector_list = [_check_sector(s) for s in sectors]
        if len(sector_list) != n:
            raise ValueError(f"sectors has {len(sector_list)} entries but seeds has {n}")
    annual = check_annual(annual_kwh, n)
    noise = check_fraction("noise", noise)
    hours = check_index(index)
    blocks = year_blocks(index)

    unique = sorted(set(sector_list))
    code = np.array([unique.index(s) for s in sector_list])
    noise_sd = noise * np.array([_NOISE_SCALE[s] for s in sector_list])
    phi = step_phi(_NOISE_AUTOCORRELATION_1H, hours)

    out = np.empty((n, len(index)))
    for block in blocks:
        steps = len(block.year_index)
        shapes = np.stack([_sector_shape(s, block.year_index, hours) for s in unique])
        whole = len(block.in_year) == steps
        # Members in chunks keep the temporaries small (and in cache) for large batches.
        for start in range(0, n, _CHUNK):
            part = slice(start, min(start + _CHUNK, n))
            z = np.empty((part.stop - start, steps))
            for row, seed in enumerate(seed_arr[part]):
                rng_for(seed, block.year, STREAM_LOAD).standard_normal(out=z[row])
            z = ar1_filter(z, phi)
            # Noise is multiplicative and floored so demand stays positive.
            z *= noise_sd[part, None]
            z += 1.0
            np.maximum(z, 0.05, out=z)
            z *= shapes[code[part]]
            year_kw = scale_to_annual(z, hours, annual[part], "load")
            if whole:
                out[part][:, block.in_index] = year_kw
            else:
                out[part, block.in_index] = year_kw[:, block.in_year]
    return out


def sector_load(sector: str, index: pd.DatetimeIndex, annual_kwh: float, seed: int = 0,
                noise: float = 0.05) -> pd.Series:
    """Load profile of one member, kW.

    Parameters
    ----------
    sector : str
        One of :data:`SECTORS`.
    index : pandas.DatetimeIndex
        Time-zone-aware regular step-start index (5 min to 1 h). Daily and weekly patterns follow
        the index's local time, so DST days have 23 or 25 local hours of demand.
    annual_kwh : float
        Energy of every full local calendar year touched by ``index``, kWh (exact to rounding).
    seed : int, default 0
        Non-negative seed; the noise of each (seed, year) is independent of the horizon.
    noise : float, default 0.05
        Relative standard deviation of the autocorrelated noise (lag-1 h correlation 0.7).

    Returns
    -------
    pandas.Series
        Demand in kW on ``index``, named ``"load_kw"``.

    Examples
    --------
    >>> from gridshare.timeindex import make_index
    >>> idx = make_index("2024-01-01", "15min", "Europe/Lisbon", end="2025-01-01")
    >>> p = sector_load("business", idx, annual_kwh=120_000.0, seed=3)
    >>> round(float(p.sum() * 0.25), 6)
    120000.0
    """
    check_annual(annual_kwh, 1)  # so that errors show the scalar the caller gave
    values = sector_loads([sector], index, [annual_kwh], [seed], noise=noise)[0]
    return pd.Series(values, index=index, name="load_kw")
