"""The result of a procurement study: its tables, and writing them out."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

EXCEL_MAX_ROWS = 1_048_575
"""Rows an XLSX sheet holds below its header; longer tables are written as CSV only."""

TABLES = (
    "participants",
    "participant_details",
    "pool",
    "hourly",
    "participant_hourly",
    "monthly",
    "hour_of_day",
    "net_position",
    "comparison",
    "certificates",
)
"""Tables of a :class:`ProcurementResult`, in the order they are written."""


_INDEXED = ("participants", "participant_details")


def excel_engine() -> str | None:
    """The installed XLSX writer (``openpyxl`` or ``xlsxwriter``), or ``None``."""
    for name in ("openpyxl", "xlsxwriter"):
        if importlib.util.find_spec(name) is not None:
            return name
    return None


@dataclass
class ProcurementResult:
    """Everything a procurement study reports; energies in MWh, money in the case currency.

    Attributes
    ----------
    participants : pandas.DataFrame
        The short table, one row per participant (index ``participant``): load and clean
        energy, volumetric RE, standalone and optimised CFE, swaps and net savings.
    participant_details : pandas.DataFrame
        Every per-participant figure: energies by technology, matched, surplus, shortfall,
        eligibility, swaps, certificate money and (with an energy tariff) the hourly energy
        settlement of the PPAs.
    pool : pandas.Series
        Pool summary: pooled versus standalone CFE (the pooling benefit), swaps, battery uplift
        and totals.
    hourly : pandas.DataFrame
        Pool dispatch per hour: load, clean supply by technology, pooled match, surplus,
        shortfall, swaps, battery and price.
    participant_hourly : pandas.DataFrame
        Long table (hour, participant) of load, supply, match, surplus, shortfall and swaps.
    monthly, hour_of_day : pandas.DataFrame
        Balance by local month and by local hour of day, per participant and for the pool.
    net_position : pandas.DataFrame
        Hourly net position (clean − load, MWh; positive = long) of each participant and the
        pool.
    comparison : pandas.DataFrame
        Individual versus pooled: standalone CFE, CFE after each swap method, pooled CFE with
        and without the battery.
    certificates : pandas.DataFrame
        Hourly granular certificate records (:mod:`gridshare.procurement.records`).
    data : xarray.Dataset
        The hourly arrays (load, supply by source, swaps) by participant and hour.
    settings : dict
        Swap method, prices, eligibility and battery settings used.
    """

    participants: pd.DataFrame
    participant_details: pd.DataFrame
    pool: pd.Series
    hourly: pd.DataFrame
    participant_hourly: pd.DataFrame
    monthly: pd.DataFrame
    hour_of_day: pd.DataFrame
    net_position: pd.DataFrame
    comparison: pd.DataFrame
    certificates: pd.DataFrame
    data: Any = None
    settings: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name, as DataFrames (the pool summary as a two-column table)."""
        out: dict[str, pd.DataFrame] = {}
        for name in TABLES:
            value = getattr(self, name)
            if isinstance(value, pd.Series):
                value = value.rename("value").rename_axis("metric").reset_index()
            out[name] = value
        return out

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write every table as CSV, plus one XLSX workbook when an XLSX writer is installed.

        Parameters
        ----------
        out_dir : str or Path
            Folder, created if missing. Files: ``<table>.csv`` for each of :data:`TABLES`, and
            ``procurement.xlsx`` (one sheet per table that fits a sheet) when ``openpyxl`` or
            ``xlsxwriter`` imports.

        Returns
        -------
        list of Path
            The files written.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        tables = self.tables()
        for name, frame in tables.items():
            path = out / f"{name}.csv"
            tmp = path.with_name(path.name + ".tmp")
            keep_index = name in _INDEXED
            frame.to_csv(tmp, index=keep_index)
            tmp.replace(path)
            written.append(path)
        engine = excel_engine()
        if engine is not None:
            path = out / "procurement.xlsx"
            tmp = path.with_name("procurement.tmp.xlsx")
            with pd.ExcelWriter(tmp, engine=engine) as book:
                for name, frame in tables.items():
                    if len(frame) > EXCEL_MAX_ROWS:
                        continue
                    sheet = _without_zones(frame)
                    sheet.to_excel(book, sheet_name=name[:31], index=name in _INDEXED)
            tmp.replace(path)
            written.append(path)
        return written


def _without_zones(frame: pd.DataFrame) -> pd.DataFrame:
    """XLSX holds no time zones: write local wall-clock times."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_localize(None)
    return out
