"""Read weather files (EPW, TMY3, plain CSV) and align them to a case's time index.

All readers return a :class:`Weather` whose ``data`` has the columns ``ghi``, ``dni``, ``dhi``
(W/m², mean over the step), ``temp_air`` (°C) and ``wind_speed`` (m/s, at 10 m for EPW and TMY3)
on a time-zone-aware index of step *starts*: pvlib labels EPW hour ``h`` (which covers the hour
ending at ``h``) as ``h - 1``; TMY3 labels (hour ends) are shifted back one hour here.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pvlib

from gridshare.profiles.load import check_index
from gridshare.profiles.solar import Site

__all__ = ["COLUMNS", "Weather", "WeatherError", "align_weather", "read_weather"]

COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed")
"""Columns of every weather table: W/m², W/m², W/m², °C, m/s."""

# EPW and TMY3 "missing" codes (values at or above these are missing).
_MISSING_AT_OR_ABOVE = {"ghi": 9999.0, "dni": 9999.0, "dhi": 9999.0, "temp_air": 99.9,
                        "wind_speed": 999.0}


class WeatherError(ValueError):
    """A weather file or table that cannot be used, with what is wrong and how to fix it."""


@dataclass(frozen=True)
class Weather:
    """Weather time series and where they were measured.

    Attributes
    ----------
    data : pandas.DataFrame
        Columns :data:`COLUMNS` on a time-zone-aware step-start index.
    site : Site or None
        Location from the file's metadata (None for a CSV read without ``site``).
    source : str
        The file it was read from.
    """

    data: pd.DataFrame
    site: Site | None
    source: str = ""


def _timezone_name(offset_hours: float) -> str:
    """A fixed-offset zone for an EPW/TMY3 ``TZ`` field (hours east of UTC)."""
    if float(offset_hours).is_integer():
        h = int(offset_hours)
        # POSIX sign convention: Etc/GMT+7 is seven hours *behind* UTC.
        return "UTC" if h == 0 else f"Etc/GMT{-h:+d}"
    minutes = round(offset_hours * 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _check_table(data: pd.DataFrame, source: str) -> pd.DataFrame:
    missing = [c for c in COLUMNS if c not in data.columns]
    if missing:
        raise WeatherError(f"{source}: missing column(s) {missing}; a weather table needs "
                           f"{list(COLUMNS)} (W/m², W/m², W/m², °C, m/s)")
    table = data[list(COLUMNS)].apply(pd.to_numeric, errors="coerce").astype(float)
    for col, code in _MISSING_AT_OR_ABOVE.items():
        table.loc[table[col] >= code, col] = np.nan
    if table.isna().to_numpy().any():
        col = table.columns[table.isna().any()][0]
        first = table.index[table[col].isna()][0]
        n_bad = int(table.isna().to_numpy().sum())
        raise WeatherError(f"{source}: {n_bad} missing or non-numeric value(s), first in column "
                           f"{col!r} at {first}; fill them before use")
    return table


def _check_length(table: pd.DataFrame, source: str, index: pd.DatetimeIndex | None) -> None:
    if index is not None:
        # Compare instants, whatever zone each side is written in.
        if len(table) != len(index) or not bool((table.index == index).all()):
            raise WeatherError(
                f"{source}: has {len(table)} rows from {table.index[0]} but the requested index "
                f"has {len(index)} steps from {index[0]}; the times must match exactly")
        return
    if len(table) not in (8760, 8784):
        raise WeatherError(f"{source}: has {len(table)} rows; a weather year must be 8760 (or "
                           "8784 for a leap year) hourly rows, or pass index= to match a case")
    keys = pd.MultiIndex.from_arrays([table.index.month, table.index.day, table.index.hour])
    if keys.has_duplicates:
        raise WeatherError(f"{source}: repeated (month, day, hour) rows; a weather year needs "
                           "one row per hour")


def read_weather(path: str | Path, fmt: Literal["epw", "tmy3", "csv"] | None = None,
                 site: Site | None = None, index: pd.DatetimeIndex | None = None) -> Weather:
    """Read an EPW, TMY3 or plain CSV weather file.

    Parameters
    ----------
    path : str or Path
        The file.
    fmt : {"epw", "tmy3", "csv"}, optional
        Inferred when omitted: ``.epw`` is EPW; a ``.csv`` whose first line has the seven TMY3
        metadata fields (USAF, name, state, TZ, latitude, longitude, altitude) is TMY3, any other
        ``.csv`` is a plain CSV.
    site : Site, optional
        For a plain CSV (which has no metadata); also supplies the zone of naive times.
    index : pandas.DatetimeIndex, optional
        When given, the file's step starts must equal it exactly (measured data for a case);
        otherwise the file must hold a whole hourly year (8760 or 8784 rows).

    Returns
    -------
    Weather

    Notes
    -----
    A plain CSV has a ``time`` column of step starts (ISO 8601, with an offset or naive in
    ``site.timezone``) and the columns :data:`COLUMNS` in W/m², W/m², W/m², °C and m/s.

    Raises
    ------
    WeatherError
        A missing file, an unknown format, a missing column, missing or non-numeric values, or
        the wrong number of rows.

    Examples
    --------
    >>> from pathlib import Path
    >>> epw = Path(__file__).parents[3] / "examples" / "data" / "golden_co_sample.epw"
    >>> w = read_weather(epw)
    >>> len(w.data), w.site.timezone
    (8760, 'Etc/GMT+7')
    """
    p = Path(path)
    if not p.is_file():
        raise WeatherError(f"weather file {str(p)!r} does not exist")
    if fmt is None:
        suffix = p.suffix.lower()
        if suffix == ".epw":
            fmt = "epw"
        elif suffix == ".csv":
            with p.open(encoding="utf-8", errors="replace") as fh:
                first = fh.readline().split(",")
            fmt = "tmy3" if len(first) == 7 and first[0].strip().isdigit() else "csv"
        else:
            raise WeatherError(f"cannot tell the format of {p.name!r} from its suffix; pass "
                               "fmt='epw', 'tmy3' or 'csv'")
    source = str(p)
    if fmt == "epw":
        try:
            raw, meta = pvlib.iotools.read_epw(p)
        except Exception as exc:
            raise WeatherError(f"{source}: not a readable EPW file ({exc})") from exc
        data_site = Site(meta["latitude"], meta["longitude"], meta["altitude"],
                         _timezone_name(meta["TZ"]))
    elif fmt == "tmy3":
        try:
            raw, meta = pvlib.iotools.read_tmy3(p, map_variables=True)
        except Exception as exc:
            raise WeatherError(f"{source}: not a readable TMY3 file ({exc})") from exc
        raw.index = raw.index - pd.Timedelta(hours=1)  # hour-end labels -> step starts
        data_site = Site(meta["latitude"], meta["longitude"], meta["altitude"],
                         _timezone_name(meta["TZ"]))
    elif fmt == "csv":
        raw = _read_plain_csv(p, site)
        data_site = site
    else:
        raise WeatherError(f"fmt = {fmt!r} is not allowed; use 'epw', 'tmy3' or 'csv'")
    table = _check_table(raw, source)
    _check_length(table, source, index)
    if index is not None:
        table.index = index  # same instants, labelled in the case's zone
    return Weather(table, data_site, source)


def _read_plain_csv(p: Path, site: Site | None) -> pd.DataFrame:
    try:
        raw = pd.read_csv(p)
    except Exception as exc:
        raise WeatherError(f"{p}: not a readable CSV file ({exc})") from exc
    if "time" not in raw.columns:
        raise WeatherError(f"{p}: missing column 'time' (step starts, ISO 8601)")
    try:
        times = pd.DatetimeIndex(pd.to_datetime(raw["time"], format="ISO8601"))
    except (ValueError, TypeError) as exc:
        raise WeatherError(f"{p}: column 'time' is not ISO 8601 times ({exc})") from exc
    if times.tz is None:
        if site is None:
            raise WeatherError(f"{p}: times have no UTC offset; pass site= so their time zone "
                               "is known")
        times = times.tz_localize(site.timezone, ambiguous="infer", nonexistent="raise")
    raw.index = times
    return raw.drop(columns="time")


def _typical_year_table(weather: Weather) -> tuple[np.ndarray, np.ndarray]:
    """Lookup ``rows[month-1, day-1, hour]`` -> row of the weather table (-1 when absent)."""
    idx = weather.data.index
    rows = np.full((12, 31, 24), -1, dtype=np.int64)
    month, day, hour = idx.month.to_numpy(), idx.day.to_numpy(), idx.hour.to_numpy()
    rows[month - 1, day - 1, hour] = np.arange(len(idx))
    return rows, weather.data.to_numpy(dtype=float)


def align_weather(weather: Weather, index: pd.DatetimeIndex,
                  method: Literal["linear", "hold"] = "linear") -> pd.DataFrame:
    """Weather on a case's index.

    If the weather's own timestamps cover every step of ``index`` (measured data for the
    case), those rows are returned. Otherwise the weather is a typical year: each step is
    matched by (month, day, hour) in the *weather's* time zone, so the sun in the data and in
    the case stand at the same place whatever the case's zone or DST. Feb 29 of a leap year
    is filled from Feb 28 of a 365-day file (with a ``UserWarning``).

    Sub-hourly steps: ``"linear"`` (default) interpolates linearly between hour midpoints,
    evaluated at step midpoints; at 1 h it returns the hourly values unchanged, and it
    preserves energy except around hours where the slope changes (peaks, sunrise).
    ``"hold"`` repeats each hour's value over its steps and preserves every hour's energy
    exactly.

    Parameters
    ----------
    weather : Weather
    index : pandas.DatetimeIndex
        Time-zone-aware regular step-start index (5 min to 1 h).
    method : {"linear", "hold"}, default "linear"

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS` on ``index``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from gridshare.timeindex import make_index
    >>> w = read_weather(Path(__file__).parents[3] / "examples/data/golden_co_sample.epw")
    >>> aligned = align_weather(w, make_index("2023-01-01", "15min", "America/Denver",
    ...                                       end="2024-01-01"))
    >>> aligned.shape
    (35040, 5)
    """
    if not isinstance(weather, Weather):
        raise WeatherError(f"weather must be a Weather from read_weather, got "
                           f"{type(weather).__name__}")
    if method not in ("linear", "hold"):
        raise WeatherError(f"method = {method!r} is not allowed; use 'linear' or 'hold'")
    hours = check_index(index)
    data = weather.data
    if data.index.tz is None:
        raise WeatherError("weather data has no time zone; read it with read_weather")
    if index.isin(data.index).all():
        return data.loc[index, list(COLUMNS)].copy()

    rows, values = _typical_year_table(weather)
    mid = (index + pd.Timedelta(hours=hours / 2)).tz_convert(data.index.tz)
    if method == "hold":
        anchors = [mid.floor("h")]
        weights = [np.ones(len(index))]
    else:
        # Hour averages sit at hour midpoints; interpolate between the two around each step.
        start = (mid - pd.Timedelta(minutes=30)).floor("h")
        w1 = ((mid - pd.Timedelta(minutes=30)) - start) / pd.Timedelta(hours=1)
        w1 = np.asarray(w1, dtype=float)
        anchors = [start, start + pd.Timedelta(hours=1)]
        weights = [1.0 - w1, w1]
    out = np.zeros((len(index), values.shape[1]))
    filled_leap = False
    for when, weight in zip(anchors, weights, strict=True):
        month = when.month.to_numpy() - 1
        day = when.day.to_numpy() - 1
        hour = when.hour.to_numpy()
        pos = rows[month, day, hour]
        leap = (pos < 0) & (month == 1) & (day == 28)
        if leap.any():
            filled_leap = True
            pos = np.where(leap, rows[1, 27, hour], pos)
        if np.any(pos < 0):
            bad = when[np.flatnonzero(pos < 0)[0]]
            raise WeatherError(f"weather has no row for {bad:%m-%d %H}:00 (local standard time "
                               "of the file); a typical year needs every hour of the year")
        out += weight[:, None] * values[pos]
    if filled_leap:
        warnings.warn("the index has Feb 29 but the weather year has none; Feb 29 uses the "
                      "values of Feb 28", UserWarning, stacklevel=2)
    return pd.DataFrame(out, index=index, columns=list(COLUMNS))
