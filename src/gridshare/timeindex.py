"""Time indices: resolution, step length, calendar years and time zones.

A case's time axis is a regular, time-zone-aware :class:`pandas.DatetimeIndex` of step *start*
labels. Resolutions run from 5 minutes to 1 hour and must divide an hour evenly, so every hour
holds a whole number of steps. Leap years are real years: 2024 has 8,784 hours.
"""

from __future__ import annotations

import pandas as pd

ALLOWED_MINUTES = (5, 10, 15, 20, 30, 60)
"""Step lengths accepted in a case, minutes (each divides an hour)."""


def parse_resolution(value: str | int | float | pd.Timedelta) -> pd.Timedelta:
    """Parse a resolution such as ``"15min"``, ``"1h"``, ``"PT15M"`` or a number of minutes.

    Raises
    ------
    ValueError
        When the text is not a duration or the duration is not one of :data:`ALLOWED_MINUTES`.

    Examples
    --------
    >>> parse_resolution("15min")
    Timedelta('0 days 00:15:00')
    >>> parse_resolution(60)
    Timedelta('0 days 01:00:00')
    """
    if isinstance(value, bool):
        raise ValueError(f"resolution {value!r} is not a duration")
    if isinstance(value, int | float):
        delta = pd.Timedelta(minutes=float(value))
    else:
        try:
            delta = pd.Timedelta(value)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"resolution {value!r} is not a duration like '15min' or '1h'") from exc
    minutes = delta.total_seconds() / 60.0
    if minutes not in ALLOWED_MINUTES:
        allowed = ", ".join(f"{m}min" for m in ALLOWED_MINUTES)
        raise ValueError(f"resolution {value!r} ({minutes:g} min) is not allowed; use one of {allowed}")
    return delta


def make_index(start: str | pd.Timestamp, resolution: str | pd.Timedelta, timezone: str,
               periods: int | None = None, end: str | pd.Timestamp | None = None) -> pd.DatetimeIndex:
    """Regular step-start index in ``timezone``.

    Exactly one of ``periods`` and ``end`` is given; ``end`` is exclusive (the end of the last step).

    Examples
    --------
    >>> len(make_index("2024-01-01", "1h", "UTC", end="2025-01-01"))
    8784
    >>> len(make_index("2023-01-01", "15min", "Europe/Lisbon", end="2024-01-01"))
    35040
    """
    freq = parse_resolution(resolution)
    start_ts = _localise(pd.Timestamp(start), timezone)
    if (periods is None) == (end is None):
        raise ValueError("give exactly one of periods and end")
    if periods is not None:
        # Step in absolute time so that DST days have 23 or 25 local hours, as they really do.
        utc = pd.date_range(start_ts.tz_convert("UTC"), periods=int(periods), freq=freq)
    else:
        end_ts = _localise(pd.Timestamp(end), timezone)
        if end_ts <= start_ts:
            raise ValueError(f"end {end} is not after start {start}")
        utc = pd.date_range(start_ts.tz_convert("UTC"), end_ts.tz_convert("UTC"), freq=freq,
                            inclusive="left")
    return utc.tz_convert(timezone)


def _localise(ts: pd.Timestamp, timezone: str) -> pd.Timestamp:
    if ts.tzinfo is None:
        return ts.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
    return ts.tz_convert(timezone)


def step_hours(index: pd.DatetimeIndex) -> float:
    """Length of one step of a regular index, hours.

    Examples
    --------
    >>> step_hours(pd.date_range("2024-01-01", periods=4, freq="15min", tz="UTC"))
    0.25
    >>> step_hours(pd.DatetimeIndex(["2024-01-01 00:00", "2024-01-01 00:30"]))
    0.5
    """
    if index.freq is not None:
        return pd.Timedelta(index.freq).total_seconds() / 3600.0
    if len(index) < 2:
        raise ValueError("cannot infer the step of an index with fewer than two labels and no freq")
    # Differences as Timedeltas, not raw integers: pandas may store microseconds or nanoseconds.
    deltas = pd.TimedeltaIndex(index[1:] - index[:-1])
    if not (deltas == deltas[0]).all():
        raise ValueError("the time index is not regular")
    return deltas[0].total_seconds() / 3600.0


def utc_naive(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The same instants as naive UTC labels (how xarray, NetCDF and Parquet hold them).

    Examples
    --------
    >>> idx = pd.date_range("2024-07-01", periods=1, freq="h", tz="Europe/Lisbon")
    >>> str(utc_naive(idx)[0])
    '2024-06-30 23:00:00'
    """
    if index.tz is None:
        return index
    return index.tz_convert("UTC").tz_localize(None)


def calendar_years(index: pd.DatetimeIndex) -> list[int]:
    """Local calendar years the index touches, in order.

    Examples
    --------
    >>> calendar_years(pd.date_range("2023-12-31 23:00", periods=3, freq="h", tz="UTC"))
    [2023, 2024]
    """
    return sorted(set(index.year.tolist()))


def year_index(year: int, resolution: pd.Timedelta, timezone: str) -> pd.DatetimeIndex:
    """Every step of one local calendar year (8,760 or 8,784 hours, DST included).

    Examples
    --------
    >>> len(year_index(2024, pd.Timedelta("1h"), "UTC"))
    8784
    """
    return make_index(f"{year}-01-01", resolution, timezone, end=f"{year + 1}-01-01")
