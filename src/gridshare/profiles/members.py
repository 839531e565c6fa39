"""Every member's profiles and prices for a case, generated in batches.

This is where a :class:`~gridshare.case.Case` meets the pure profile functions: assets that share
their non-geometric parameters are generated in one vectorised call, measured series are read from
their files, and each asset gets its own reproducible seed derived from the case seed, the member
name and the asset's position (so adding a member never changes another member's profile).
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridshare.case import Case, FileSource
from gridshare.datafiles import read_column
from gridshare.tariffs import tariff_prices
from gridshare.timeindex import step_hours, utc_naive

PROFILE_VARIABLES = ("load_kw", "pv_kw", "wind_kw")


def asset_seed(case_seed: int, member: str, kind: str, position: int = 0,
               explicit: int | None = None) -> int:
    """A stable 31-bit seed for one asset (CRC32 of its identity, so it never changes between runs).

    Examples
    --------
    >>> asset_seed(0, "h01", "load") == asset_seed(0, "h01", "load")
    True
    >>> asset_seed(0, "h01", "load") != asset_seed(0, "h02", "load")
    True
    """
    if explicit is not None:
        return int(explicit) & 0x7FFFFFFF
    key = f"{case_seed}/{member}/{kind}/{position}".encode()
    return zlib.crc32(key) & 0x7FFFFFFF


def _measured(source: FileSource, index: pd.DatetimeIndex) -> np.ndarray:
    values = read_column(source.file, source.column, index) * source.scale
    if source.unit == "kWh":  # energy per step -> mean power over the step
        values = values / step_hours(index)
    return values


def member_profiles(case: Case, progress: bool = False) -> xr.Dataset:
    """Load, PV and wind of every member, kW, by (member, time).

    Parameters
    ----------
    case : Case
        A validated case.
    progress : bool
        Show a progress bar (useful for year-long cases with many members).

    Returns
    -------
    xarray.Dataset
        ``load_kw``, ``pv_kw``, ``wind_kw`` with dims (member, time); ``time`` is naive UTC and
        ``attrs["timezone"]`` holds the case's zone.
    """
    from gridshare import profiles as P

    index = case.time_index()
    names = case.member_names
    n, t = len(names), len(index)
    out = {name: np.zeros((n, t)) for name in PROFILE_VARIABLES}
    site = P.Site(case.site.latitude, case.site.longitude, case.site.altitude, case.time.timezone)
    weather = aligned = None
    if case.weather is not None:
        # PV takes the file's whole typical year (so annual scaling works on any horizon);
        # wind takes the series aligned to the case's steps.
        weather = P.read_weather(case.weather.file, case.weather.format)
        aligned = P.align_weather(weather, index)

    steps = _steps(progress, total=3)
    # loads: one batch per noise level
    groups: dict[float, list[tuple[int, str, float, int]]] = defaultdict(list)
    for i, m in enumerate(case.members):
        if m.load is None:
            continue
        if m.load.source() is not None:
            out["load_kw"][i] = _measured(m.load.source(), index)
            continue
        seed = asset_seed(m.seed if m.seed is not None else case.seed, m.name, "load", 0,
                          m.load.seed)
        groups[m.load.noise].append((i, m.load.sector, m.load.annual_kwh, seed))
    for noise, rows in groups.items():
        rows_i, sectors, annual, seeds = zip(*rows, strict=True)
        out["load_kw"][list(rows_i)] = P.sector_loads(list(sectors), index, np.array(annual),
                                                      np.array(seeds), noise=noise)
    steps.update(1)

    # PV: one batch per set of non-geometric parameters
    pv_groups: dict[tuple, list[tuple[int, object, int]]] = defaultdict(list)
    for i, m in enumerate(case.members):
        for j, pv in enumerate(m.pv):
            if pv.source() is not None:
                out["pv_kw"][i] += _measured(pv.source(), index)
                continue
            key = (*pv.system_parameters().values(), pv.annual_kwh is None)
            seed = asset_seed(m.seed if m.seed is not None else case.seed, m.name, "pv", j,
                              pv.seed)
            pv_groups[key].append((i, pv, seed))
    for rows in pv_groups.values():
        specs = [spec for _, spec, _ in rows]
        annual = None
        if specs[0].annual_kwh is not None:
            annual = np.array([s.annual_kwh for s in specs])
        power = P.pv_powers(site, index, kwp=np.array([s.kwp for s in specs]),
                            tilt=np.array([s.tilt for s in specs]),
                            azimuth=np.array([s.azimuth for s in specs]),
                            seeds=np.array([seed for _, _, seed in rows]),
                            weather=weather, annual_kwh=annual, **specs[0].system_parameters())
        np.add.at(out["pv_kw"], [i for i, _, _ in rows], power)
    steps.update(1)

    # wind: one batch per turbine type and wind regime
    wind_groups: dict[tuple, list[tuple[int, object, int]]] = defaultdict(list)
    for i, m in enumerate(case.members):
        for j, w in enumerate(m.wind):
            if w.source() is not None:
                out["wind_kw"][i] += _measured(w.source(), index)
                continue
            seed = asset_seed(m.seed if m.seed is not None else case.seed, m.name, "wind", j,
                              w.seed)
            curve = None if w.curve is None else tuple(w.curve)
            key = (*{**w.turbine_parameters(), "curve": curve}.values(), w.annual_kwh is None)
            wind_groups[key].append((i, w, seed))
    for key, rows in wind_groups.items():
        first = rows[0][1]
        annual = None if key[-1] else np.array([w.annual_kwh for _, w, _ in rows])
        power = P.wind_powers(
            index, np.array([w.capacity_kw for _, w, _ in rows]),
            seeds=np.array([seed for _, _, seed in rows]), weather=aligned, annual_kwh=annual,
            **first.turbine_parameters())
        np.add.at(out["wind_kw"], [i for i, _, _ in rows], power)
    steps.update(1)
    steps.close()

    coords = {"member": names, "time": utc_naive(index)}
    data = xr.Dataset({name: (("member", "time"), out[name]) for name in PROFILE_VARIABLES},
                      coords=coords)
    data.attrs.update(timezone=case.time.timezone, step_hours=step_hours(index), case=case.name)
    for name in PROFILE_VARIABLES:
        data[name].attrs["units"] = "kW"
    return data


def member_prices(case: Case) -> xr.Dataset:
    """Import and export price of every member and step from its tariff, currency/kWh."""
    index = case.time_index()
    by_tariff = {name: tariff_prices(tariff, index) for name, tariff in case.tariffs.items()
                 if any(m.tariff == name for m in case.members)}
    imports = np.stack([by_tariff[m.tariff]["import_price"].to_numpy() for m in case.members])
    exports = np.stack([by_tariff[m.tariff]["export_price"].to_numpy() for m in case.members])
    coords = {"member": case.member_names, "time": utc_naive(index)}
    return xr.Dataset({"import_price": (("member", "time"), imports),
                       "export_price": (("member", "time"), exports)}, coords=coords,
                      attrs={"currency": case.currency, "timezone": case.time.timezone})


def energy_summary(data: xr.Dataset, unit: str = "kWh") -> pd.DataFrame:
    """Energy per member over the horizon, with peak load and a total row.

    ``unit`` is ``"kWh"`` (energies in kWh, peak in kW) or ``"MWh"`` (MWh and MW).

    Examples
    --------
    >>> t = pd.date_range("2024-01-01", periods=2, freq="h")
    >>> ds = xr.Dataset({k: (("member", "time"), np.ones((1, 2))) for k in PROFILE_VARIABLES},
    ...                 coords={"member": ["a"], "time": t}, attrs={"step_hours": 1.0})
    >>> float(energy_summary(ds).loc["a", "load_kwh"])
    2.0
    """
    hours = float(data.attrs.get("step_hours", 1.0))
    frame = pd.DataFrame(index=pd.Index(data["member"].values, name="member"))
    for name in PROFILE_VARIABLES:
        frame[name.replace("_kw", "_kwh")] = data[name].sum("time").values * hours
    frame["net_kwh"] = frame["load_kwh"] - frame["pv_kwh"] - frame["wind_kwh"]
    frame["peak_load_kw"] = data["load_kw"].max("time").values
    total = frame.sum()
    total["peak_load_kw"] = float(data["load_kw"].sum("member").max())
    frame.loc["total"] = total
    if unit == "MWh":
        frame = frame / 1000.0
        frame.columns = [c.replace("_kwh", "_mwh").replace("_kw", "_mw") for c in frame.columns]
    elif unit != "kWh":
        raise ValueError(f"unit {unit!r} is not kWh or MWh")
    return frame


def write_profiles(data: xr.Dataset, path: str | Path) -> Path:
    """Write profiles in long form (time, member, load_kw, pv_kw, wind_kw) to Parquet or CSV.

    Times are written as local, time-zone-aware stamps so the file reads back unambiguously.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise ValueError(f"cannot write profiles as {suffix!r}; use .parquet or .csv")
    frame = data[list(PROFILE_VARIABLES)].to_dataframe().reset_index()
    zone = data.attrs.get("timezone", "UTC")
    frame["time"] = pd.DatetimeIndex(frame["time"]).tz_localize("UTC").tz_convert(zone)
    frame = frame.sort_values(["time", "member"], kind="stable")[["time", "member",
                                                                  *PROFILE_VARIABLES]]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if suffix == ".parquet":
        frame.to_parquet(tmp, index=False)
    else:
        frame.to_csv(tmp, index=False)
    tmp.replace(path)
    return path


class _NoProgress:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _steps(progress: bool, total: int):
    if not progress:
        return _NoProgress()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="profiles", unit="asset kind", leave=False)
