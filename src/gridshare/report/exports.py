"""Write result tables to JSON, CSV, Parquet and Excel, each readable back with the same values.

- **Parquet** keeps every dtype, time zones included.
- **JSON** is a list of records per table; times are ISO 8601 strings with their UTC offset
  (``2026-06-01T17:00:00+02:00``), NaN is ``null``.
- **CSV** has a header row; times as in JSON; NaN is an empty field. Floats are written with their
  shortest exact repr (read them back bit for bit with ``pd.read_csv(...,
  float_precision="round_trip")``).
- **XLSX** is one workbook with one sheet per table. Excel has no time zones, so a zone-aware column
  ``time`` is written as wall-clock local time under the name ``time (Europe/Berlin)``. Sheet names
  are cleaned of the characters Excel forbids (``[]:*?/\\``), cut to 31 characters and made unique;
  a table longer than one sheet (1,048,575 data rows) continues on sheets ``name (2)``, ``name (3)`` ...

A named index (e.g. ``scenario_id``) is written as an ordinary first column in every format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["EXCEL_MAX_ROWS", "FORMATS", "export_tables", "sheet_names", "to_records"]

FORMATS = ("json", "csv", "parquet", "xlsx")
"""Export formats, as given to :func:`export_tables`."""

EXCEL_MAX_ROWS = 1_048_575
"""Data rows per Excel sheet (the sheet limit minus the header row)."""

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILE_FORBIDDEN = re.compile(r"[^A-Za-z0-9._-]+")


def _flat(name: str, table: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table {name!r} must be a pandas DataFrame, got {type(table).__name__}")
    frame = table
    if not isinstance(frame.index, pd.RangeIndex) or any(n is not None for n in frame.index.names):
        frame = frame.reset_index()
    if isinstance(frame.columns, pd.MultiIndex):
        frame.columns = [" / ".join(map(str, c)) for c in frame.columns]
    columns = [str(c) for c in frame.columns]
    if len(set(columns)) != len(columns):
        duplicates = sorted({c for c in columns if columns.count(c) > 1})
        raise ValueError(f"table {name!r} has duplicate column names {duplicates}; rename them first")
    return frame.set_axis(columns, axis=1)


def _iso(series: pd.Series) -> pd.Series:
    """Zone-aware or naive times as ISO 8601 strings (with the UTC offset when there is a zone)."""
    text = series.dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        text = text.str.replace(r"([+-]\d\d)(\d\d)$", r"\1:\2", regex=True)
    return text.where(series.notna(), None)


def _text_times(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = _iso(out[column])
        elif pd.api.types.is_timedelta64_dtype(out[column]):
            out[column] = out[column].dt.total_seconds()
    return out


def to_records(table: pd.DataFrame) -> list[dict]:
    """A table as JSON-ready records (ISO times with offsets, NaN as None, numpy scalars as Python).

    Examples
    --------
    >>> t = pd.DataFrame({"time": pd.date_range("2026-06-01 17:00", periods=1, tz="Europe/Berlin"),
    ...                   "cost": [np.nan]})
    >>> to_records(t)
    [{'time': '2026-06-01T17:00:00+02:00', 'cost': None}]
    """
    frame = _text_times(_flat("table", table))
    # Python floats print their shortest exact repr, so the JSON numbers read back bit for bit.
    cleaned = frame.astype(object).where(frame.notna(), None)
    records = cleaned.to_dict(orient="records")
    for record in records:  # per row only to turn leftover numpy scalars into plain Python values
        for key, value in record.items():
            if isinstance(value, np.generic):
                record[key] = value.item()
            elif isinstance(value, float) and not np.isfinite(value):
                record[key] = None
    return records


def _excel_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    renames = {}
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[column] = series.dt.tz_localize(None)  # wall clock of the zone
            renames[column] = f"{column} ({series.dt.tz})"
        elif pd.api.types.is_timedelta64_dtype(series):
            out[column] = series.dt.total_seconds()
            renames[column] = f"{column} (s)"
        elif series.dtype == object:
            # Lists, dicts and other objects become their text; Excel cells hold scalars only.
            out[column] = series.map(lambda v: v if v is None or isinstance(v, str | int | float | bool)
                                     else str(v))
    return out.rename(columns=renames)


def sheet_names(names: Iterable[str]) -> list[str]:
    """Excel-safe, unique sheet names (<= 31 characters) for table names, in order.

    Examples
    --------
    >>> sheet_names(["a/b", "results: scenario ranking by cost", "a_b", "History"])
    ['a_b', 'results_ scenario ranking by co', 'a_b (2)', 'History_']
    """
    out: list[str] = []
    taken: set[str] = set()
    for name in names:
        clean = _SHEET_FORBIDDEN.sub("_", str(name)).strip("'").strip() or "Sheet"
        if clean.lower() == "history":  # reserved by Excel
            clean += "_"
        candidate = clean[:31]
        k = 2
        while candidate.lower() in taken:
            suffix = f" ({k})"
            candidate = clean[: 31 - len(suffix)] + suffix
            k += 1
        taken.add(candidate.lower())
        out.append(candidate)
    return out


def _file_stems(names: Iterable[str]) -> list[str]:
    stems: list[str] = []
    for name in names:
        stem = _FILE_FORBIDDEN.sub("_", str(name)).strip("._") or "table"
        candidate, k = stem, 2
        while candidate.lower() in (s.lower() for s in stems):
            candidate = f"{stem}_{k}"
            k += 1
        stems.append(candidate)
    return stems


def export_tables(tables: Mapping[str, pd.DataFrame], out_dir: str | Path,
                  formats: Iterable[str] = FORMATS, workbook: str = "tables") -> dict[str, list[Path]]:
    """Write every table in every format.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Table name -> table. Names become file names (cleaned to letters, digits, ``._-``) and
        sheet names (see :func:`sheet_names`).
    out_dir : str or pathlib.Path
        Folder to write into (created if needed).
    formats : iterable of str
        Any of :data:`FORMATS`.
    workbook : str
        File stem of the Excel workbook (``tables.xlsx``).

    Returns
    -------
    dict of str to list of pathlib.Path
        Format -> files written: one per table for json/csv/parquet, the one workbook for xlsx.
    """
    chosen = list(dict.fromkeys(str(f).lower().lstrip(".") for f in formats))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        raise ValueError(f"formats={list(formats)!r}; allowed: any of {list(FORMATS)}")
    if not isinstance(tables, Mapping) or not tables:
        raise ValueError("tables must be a non-empty mapping of table name to DataFrame")
    frames = {name: _flat(name, table) for name, table in tables.items()}
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stems = dict(zip(frames, _file_stems(frames), strict=True))
    written: dict[str, list[Path]] = {}
    for fmt in chosen:
        paths: list[Path] = []
        if fmt == "xlsx":
            paths.append(_write_workbook(frames, folder / f"{workbook}.xlsx"))
        for name, frame in frames.items() if fmt != "xlsx" else ():
            path = folder / f"{stems[name]}.{fmt}"
            if fmt == "parquet":
                frame.to_parquet(path, index=False)
            elif fmt == "csv":
                _text_times(frame).to_csv(path, index=False)
            else:
                path.write_text(json.dumps(to_records(frame), indent=1, allow_nan=False))
            paths.append(path)
        written[fmt] = paths
    return written


def _write_workbook(frames: Mapping[str, pd.DataFrame], path: Path) -> Path:
    parts: list[tuple[str, pd.DataFrame]] = []
    for name, frame in frames.items():
        chunks = max(1, int(np.ceil(len(frame) / EXCEL_MAX_ROWS)))
        for k in range(chunks):
            label = name if k == 0 else f"{name} ({k + 1})"
            parts.append((label, frame.iloc[k * EXCEL_MAX_ROWS:(k + 1) * EXCEL_MAX_ROWS]))
    names = sheet_names(label for label, _ in parts)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for sheet, (_, frame) in zip(names, parts, strict=True):
            _excel_frame(frame).to_excel(writer, sheet_name=sheet, index=False)
    return path
