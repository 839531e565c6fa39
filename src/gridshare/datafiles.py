"""Reading measured series (CSV or Parquet columns) that case files refer to.

A case may say ``load: {file: data/meter.csv, column: h01}``. The file holds one row per step of the
case, in order; it may carry a time column (``time``, ``timestamp`` or ``datetime``), which is then
checked against the case's time index, instant by instant, so a file in the wrong time zone or with a
missing day is caught rather than shifted silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TIME_COLUMNS = ("time", "timestamp", "datetime")
MAX_FILE_BYTES = 2 * 1024**3
"""Largest profile file read (2 GiB); anything larger is refused with a clear message."""


@dataclass
class FileProblem(Exception):
    """One problem with a referenced data file; ``message`` says what and how to fix it."""

    message: str

    def __str__(self) -> str:
        return self.message


_CACHE: dict[tuple[str, float, int], pd.DataFrame] = {}


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame, with errors for people.

    Raises
    ------
    FileProblem
        Missing file, unsupported suffix, too large, or a file that cannot be parsed.
    """
    path = Path(path)
    if not path.exists():
        raise FileProblem(f"file {str(path)!r} does not exist")
    if not path.is_file():
        raise FileProblem(f"{str(path)!r} is not a file")
    stat = path.stat()
    if stat.st_size > MAX_FILE_BYTES:
        raise FileProblem(f"file {str(path)!r} is {stat.st_size / 1024**3:.1f} GiB; the limit is "
                          f"{MAX_FILE_BYTES / 1024**3:.0f} GiB — split it or keep only the columns used")
    key = (str(path.resolve()), stat.st_mtime, stat.st_size)
    if key in _CACHE:
        return _CACHE[key]
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path)
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            raise FileProblem(f"file {str(path)!r}: unsupported type {suffix!r}; use .csv or .parquet")
    except FileProblem:
        raise
    except Exception as exc:  # parser errors of every kind become one readable message
        raise FileProblem(f"file {str(path)!r} cannot be read as {suffix[1:]}: "
                          f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from exc
    if len(_CACHE) > 32:
        _CACHE.clear()
    _CACHE[key] = frame
    return frame


def read_column(path: str | Path, column: str, index: pd.DatetimeIndex) -> np.ndarray:
    """One numeric column of a data file, checked against the case's time index.

    Parameters
    ----------
    path : str or Path
        CSV or Parquet file.
    column : str
        Column to read.
    index : pandas.DatetimeIndex
        The case's step-start index (time-zone aware); the file must have one row per step.

    Returns
    -------
    numpy.ndarray
        The column as float64, one value per step.

    Raises
    ------
    FileProblem
        Missing column (the available ones are listed), wrong length, non-numeric values, NaN, or a
        time column that does not match the index (wrong time zone, missing or extra steps).
    """
    frame = read_table(path)
    name = str(path)
    if column not in frame.columns:
        available = ", ".join(map(str, frame.columns[:20]))
        raise FileProblem(f"file {name!r} has no column {column!r}; it has: {available}")
    if len(frame) != len(index):
        raise FileProblem(f"file {name!r} column {column!r} has {len(frame)} rows but the case has "
                          f"{len(index)} steps; give one row per step")
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise FileProblem(f"file {name!r} column {column!r} row {row + 2} is not a number: "
                          f"{frame[column].iloc[row]!r}")
    if values.isna().any():
        rows = np.flatnonzero(values.isna().to_numpy())
        raise FileProblem(f"file {name!r} column {column!r} has {len(rows)} empty or NaN values "
                          f"(first at data row {rows[0] + 1}); fill them before use")
    _check_time_column(frame, name, index)
    return values.to_numpy(dtype=float)


def _check_time_column(frame: pd.DataFrame, name: str, index: pd.DatetimeIndex) -> None:
    time_col = next((c for c in frame.columns if str(c).lower() in TIME_COLUMNS), None)
    if time_col is None:
        return
    raw = frame[time_col]
    try:
        parsed = pd.to_datetime(raw, utc=False)
    except (ValueError, TypeError) as exc:
        raise FileProblem(f"file {name!r} column {time_col!r} does not hold times: {exc}") from exc
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        stamps = pd.DatetimeIndex(parsed).tz_convert(index.tz)
    else:
        try:
            stamps = pd.DatetimeIndex(parsed).tz_localize(index.tz, ambiguous="infer",
                                                          nonexistent="raise")
        except Exception as exc:
            raise FileProblem(f"file {name!r} column {time_col!r} has local times that do not exist "
                              f"or repeat in {index.tz}: give times with a UTC offset") from exc
    mismatch = np.flatnonzero(stamps.asi8 != index.asi8)
    if len(mismatch):
        row = int(mismatch[0])
        raise FileProblem(f"file {name!r} column {time_col!r} row {row + 2} is {raw.iloc[row]} but the "
                          f"case's step {row} starts at {index[row]} — check the file's time zone "
                          f"({index.tz}) and that no step is missing")
