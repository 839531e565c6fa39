"""The prosumer community a tariff benchmark runs on: loads, PV, batteries and load flexibility.

:func:`default_community` generates one (residential and commercial buildings, realistic load
shapes from :mod:`gridshare.profiles`, PV from pvlib); :func:`read_community` reads one from a
folder of files.

Input files (``read_community``)
--------------------------------
``load_profiles.csv``, ``pv_profiles.csv`` (required), kW per building and step, in either
orientation:

- *buildings as rows*: the first column is named ``building`` and holds the names; every other
  column is one step, in time order;
- *steps as rows*: one column per building (named by the building); an optional first column
  ``time`` holds the step-start timestamps (ISO 8601, with offset or in ``timezone``) and then
  sets the start and the step length.

``battery_specs.json`` (optional): ``{building: {"capacity_kwh", "power_kw", "soc_min",
"soc_max", "soc_initial", "efficiency"}}``; only ``capacity_kwh`` and ``power_kw`` are required,
buildings left out have no battery. Missing file: the default batteries of
:func:`default_batteries`.

``load_flexibility.json`` (optional): ``{building: {"shiftable_share", "max_shift_kw",
"window_steps"}}`` or the same keys at top level for every building; left-out keys take
:data:`DEFAULT_FLEXIBILITY`. Missing file: the defaults for every building.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

BATTERY_FIELDS = ("capacity_kwh", "power_kw", "soc_min", "soc_max", "soc_initial", "efficiency")
BATTERY_DEFAULTS = {"soc_min": 0.1, "soc_max": 0.9, "soc_initial": 0.5, "efficiency": 0.95}
"""Defaults of optional battery fields (SOC as fractions of capacity; one-way efficiency)."""

DEFAULT_FLEXIBILITY = {"shiftable_share": 0.2, "max_shift_kw": float("nan"), "window_steps": 0}
"""Load shifting defaults: 20 % of each step's load may move; ``max_shift_kw`` NaN = half the
building's peak load; ``window_steps`` 0 = the whole horizon (energy conserved over it)."""

RESIDENTIAL_KWH, COMMERCIAL_KWH = 4_200.0, 45_000.0
"""Annual consumption of a default residential / commercial building, kWh."""


class CommunityError(ValueError):
    """Bad community input; the message names the file, the row or column and the value."""


@dataclass
class BenchmarkCommunity:
    """Buildings with load, PV, a battery and flexible load, over one horizon.

    Attributes
    ----------
    time : pandas.DatetimeIndex
        Step-start labels (time-zone aware).
    step_hours : float
        Step length, h.
    members : list of str
        Building names.
    load_kw, pv_kw : numpy.ndarray
        Load and available PV per building and step, kW, shape (member, time).
    batteries : pandas.DataFrame
        One row per battery (index = battery name): ``owner`` (building), ``capacity_kwh``,
        ``power_kw`` (charge and discharge), ``soc_min``, ``soc_max``, ``soc_initial``
        (fractions), ``efficiency`` (one way, charge and discharge alike). A battery ends the
        horizon at its initial SOC.
    flexibility : pandas.DataFrame
        One row per building with flexible load: ``shiftable_share`` (0..1 of each step's load
        that may move), ``max_shift_kw`` (most added to or removed from one step, kW),
        ``window_steps`` (energy conserved over consecutive windows of this many steps).
    """

    time: pd.DatetimeIndex
    step_hours: float
    members: list[str]
    load_kw: np.ndarray
    pv_kw: np.ndarray
    batteries: pd.DataFrame
    flexibility: pd.DataFrame

    def __post_init__(self) -> None:
        self.members = [str(m) for m in self.members]
        self.load_kw = np.asarray(self.load_kw, dtype=float)
        self.pv_kw = np.asarray(self.pv_kw, dtype=float)
        shape = (len(self.members), len(self.time))
        for name in ("load_kw", "pv_kw"):
            arr = getattr(self, name)
            if arr.shape != shape:
                raise CommunityError(f"{name} has shape {arr.shape}; expected (member, time) = {shape}")
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise CommunityError(f"{name} must be finite and >= 0 kW")
        if len(set(self.members)) != len(self.members):
            raise CommunityError(f"building names must be unique; got {self.members}")

    @property
    def n_steps(self) -> int:
        """Number of steps."""
        return len(self.time)

    @property
    def min_load_kw(self) -> np.ndarray:
        """Lowest load each building may shift down to, kW, shape (member, time)."""
        share, cap = self._flex_arrays()
        return self.load_kw - np.minimum(share * self.load_kw, cap)

    @property
    def max_load_kw(self) -> np.ndarray:
        """Highest load each building may shift up to, kW, shape (member, time)."""
        share, cap = self._flex_arrays()
        return self.load_kw + np.where(share > 0, cap, 0.0)

    def _flex_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        fl = self.flexibility.reindex(self.members)
        share = fl["shiftable_share"].fillna(0.0).to_numpy(dtype=float)[:, None]
        cap = fl["max_shift_kw"].fillna(0.0).to_numpy(dtype=float)[:, None]
        return share, cap

    def model_tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Battery and flexible-load tables in the core's format (:mod:`gridshare.model.inputs`)."""
        b = self.batteries
        batteries = pd.DataFrame({
            "owner": b["owner"].astype(str), "energy_kwh": b["capacity_kwh"],
            "charge_kw": b["power_kw"], "discharge_kw": b["power_kw"],
            "charge_efficiency": b["efficiency"], "discharge_efficiency": b["efficiency"],
            "soc_min": b["soc_min"], "soc_max": b["soc_max"], "soc_initial": b["soc_initial"],
        }, index=b.index.astype(str))
        fl = self.flexibility[self.flexibility["shiftable_share"] > 0]
        flexible = pd.DataFrame({"shiftable_share": fl["shiftable_share"],
                                 "window_steps": fl["window_steps"].astype(int),
                                 "max_shift_kw": fl["max_shift_kw"]}, index=fl.index.astype(str))
        return batteries, flexible


def default_batteries(members: list[str], pv_kw: np.ndarray, load_kw: np.ndarray) -> pd.DataFrame:
    """One battery per building: 2 kWh per peak PV kW (at least 5 kWh), power = capacity / 2 h.

    Examples
    --------
    >>> default_batteries(["a"], np.array([[0.0, 4.0]]), np.array([[1.0, 1.0]]))[
    ...     ["capacity_kwh", "power_kw"]].to_numpy().tolist()
    [[8.0, 4.0]]
    """
    capacity = np.maximum(2.0 * np.max(pv_kw, axis=1), 5.0).round(1)
    return pd.DataFrame({"owner": members, "capacity_kwh": capacity, "power_kw": capacity / 2.0,
                         **{k: v for k, v in BATTERY_DEFAULTS.items()}},
                        index=pd.Index([f"{m}_battery" for m in members], name="battery"))


def default_flexibility(members: list[str], load_kw: np.ndarray, steps: int) -> pd.DataFrame:
    """:data:`DEFAULT_FLEXIBILITY` for every building (max shift = half its peak load, kW)."""
    return _flex_table({m: {} for m in members}, members, load_kw, steps, "defaults")


def default_community(n_buildings: int = 10, steps: int = 96, step_minutes: int = 15, seed: int = 0,
                      start: str = "2024-07-01", timezone: str = "Europe/Lisbon",
                      commercial_share: float = 0.3) -> BenchmarkCommunity:
    """A generated community of prosumer buildings (Lisbon, summer day by default).

    About ``commercial_share`` of the buildings are commercial (alternately ``business`` and
    ``retail`` load shapes, :data:`COMMERCIAL_KWH` a year, 15-30 kWp PV); the rest residential
    (:data:`RESIDENTIAL_KWH` a year, 3-6 kWp). Annual energies vary by +-20 % per building. PV is
    pvlib PVWatts with a seeded cloud index, south-facing, tilt 20-35 degrees. Batteries are
    :func:`default_batteries`, flexibility :func:`default_flexibility`.

    Parameters
    ----------
    n_buildings : int
        Number of buildings (>= 1).
    steps, step_minutes : int
        Horizon length in steps and step length in minutes (5 to 60, dividing 60).
    seed : int
        Seed of every draw.
    start, timezone : str
        First step and its IANA time zone.
    commercial_share : float
        Fraction of commercial buildings, 0..1.

    Returns
    -------
    BenchmarkCommunity

    Examples
    --------
    >>> c = default_community(n_buildings=3, steps=8, step_minutes=60)
    >>> c.load_kw.shape, c.members[0], len(c.batteries)
    ((3, 8), 'b00', 3)
    """
    from gridshare.profiles import Site, pv_powers, sector_loads
    from gridshare.timeindex import make_index

    if isinstance(n_buildings, bool) or int(n_buildings) != n_buildings or n_buildings < 1:
        raise ValueError(f"n_buildings is {n_buildings!r}; it must be a whole number >= 1")
    if isinstance(steps, bool) or int(steps) != steps or steps < 1:
        raise ValueError(f"steps is {steps!r}; it must be a whole number >= 1")
    if step_minutes not in (5, 10, 15, 20, 30, 60):
        raise ValueError(f"step_minutes is {step_minutes!r}; allowed: 5, 10, 15, 20, 30, 60")
    if not 0 <= commercial_share <= 1:
        raise ValueError(f"commercial_share is {commercial_share}; it must be in [0, 1]")
    n = int(n_buildings)
    time = make_index(start, pd.Timedelta(minutes=step_minutes), timezone, periods=int(steps))
    rng = np.random.default_rng([int(seed), 61])
    n_commercial = round(commercial_share * n)
    commercial = np.zeros(n, dtype=bool)
    commercial[np.linspace(0, n - 1, n_commercial).round().astype(int) if n_commercial else []] = True
    sectors = np.where(commercial, np.where(np.cumsum(commercial) % 2 == 1, "business", "retail"),
                       "residential").tolist()
    annual = np.where(commercial, COMMERCIAL_KWH, RESIDENTIAL_KWH) * rng.uniform(0.8, 1.2, n)
    kwp = np.where(commercial, rng.uniform(15, 30, n), rng.uniform(3, 6, n)).round(1)
    tilt = rng.uniform(20, 35, n)
    seeds = (int(seed) * 1000 + np.arange(n)).tolist()
    load = sector_loads(sectors, time, annual, seeds)
    # The same weather over one small community: one cloud draw for all roofs.
    site = Site(38.72, -9.14, 50.0, timezone)
    pv = pv_powers(site, time, kwp=kwp, tilt=tilt, azimuth=180.0, seeds=[int(seed)] * n)
    members = [f"b{i:02d}" for i in range(n)]
    pv = np.maximum(np.asarray(pv, dtype=float), 0.0)
    load = np.maximum(np.asarray(load, dtype=float), 0.0)
    return BenchmarkCommunity(time=time, step_hours=step_minutes / 60.0, members=members,
                              load_kw=load, pv_kw=pv,
                              batteries=default_batteries(members, pv, load),
                              flexibility=default_flexibility(members, load, int(steps)))


# --- reading files --------------------------------------------------------------------------


def _read_profile(path: Path, timezone: str) -> tuple[pd.DataFrame, pd.DatetimeIndex | None]:
    """A profile CSV as a (building x step) frame, and its time index when the file has one."""
    if not path.is_file():
        raise CommunityError(f"{path.name}: file not found in {path.parent}")
    try:
        raw = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CommunityError(f"{path.name}: cannot be read as CSV ({exc})") from exc
    if raw.empty or raw.shape[1] < 2:
        raise CommunityError(f"{path.name}: needs a header and at least one data row and two "
                             "columns (buildings x steps or steps x buildings)")
    first = str(raw.columns[0]).strip().lower()
    time = None
    if first == "building":
        frame = raw.set_index(raw.columns[0])
        frame.index = frame.index.astype(str)
        where = "row {label!r}, step column {col!r}"
    else:
        if first == "time":
            try:
                stamps = pd.DatetimeIndex(pd.to_datetime(raw.iloc[:, 0], format="ISO8601"))
            except (ValueError, TypeError) as exc:
                raise CommunityError(f"{path.name}: column 'time' has a value that is not a "
                                     f"timestamp ({exc})") from exc
            time = stamps.tz_localize(timezone) if stamps.tz is None else stamps.tz_convert(timezone)
            raw = raw.iloc[:, 1:]
        frame = raw.T
        frame.index = frame.index.astype(str)
        where = "column {label!r}, row {col!r}"
    values = frame.apply(pd.to_numeric, errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.to_numpy().any():
        label, col = next((r, c) for r in bad.index for c in bad.columns if bad.loc[r, c])
        raw_value = frame.loc[label, col]
        text = where.format(label=label, col=col if first == "building" else int(col) + 2)
        shown = repr(raw_value) if isinstance(raw_value, str) else str(float(raw_value))
        raise CommunityError(f"{path.name}: {text} holds {shown}; every value must be a "
                             "number >= 0 kW (no blanks or NaN)")
    return values.astype(float), time


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise CommunityError(f"{path.name}: malformed JSON at line {exc.lineno} column "
                             f"{exc.colno}: {exc.msg}") from exc


def _number(file: str, where: str, key: str, value: Any, low: float, high: float = math.inf) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = math.nan
    if not (math.isfinite(x) and low <= x <= high):
        span = f">= {low}" if high == math.inf else f"in [{low}, {high}]"
        raise CommunityError(f"{file}: {where} {key} is {value!r}; it must be a number {span}")
    return x


def _battery_table(data: Any, members: list[str]) -> pd.DataFrame:
    file = "battery_specs.json"
    if isinstance(data, list):
        data = {str(row.get("building")): row for row in data if isinstance(row, dict)}
    if not isinstance(data, dict):
        raise CommunityError(f"{file}: expected an object {{building: {{capacity_kwh, power_kw, ...}}}}")
    rows = {}
    for building, spec in data.items():
        if building not in members:
            raise CommunityError(f"{file}: building {building!r} is not in load_profiles.csv "
                                 f"(buildings: {members})")
        if not isinstance(spec, dict):
            raise CommunityError(f"{file}: building {building!r} must map to an object, got {spec!r}")
        unknown = sorted(set(spec) - set(BATTERY_FIELDS) - {"building"})
        if unknown:
            raise CommunityError(f"{file}: building {building!r} has unknown key(s) {unknown}; "
                                 f"allowed: {list(BATTERY_FIELDS)}")
        for key in ("capacity_kwh", "power_kw"):
            if key not in spec:
                raise CommunityError(f"{file}: building {building!r} needs {key!r}")
        row = {**BATTERY_DEFAULTS, **{k: v for k, v in spec.items() if k != "building"}}
        where = f"building {building!r}"
        out = {"owner": building,
               "capacity_kwh": _number(file, where, "capacity_kwh", row["capacity_kwh"], 0.0),
               "power_kw": _number(file, where, "power_kw", row["power_kw"], 0.0)}
        for key in ("soc_min", "soc_max", "soc_initial"):
            out[key] = _number(file, where, key, row[key], 0.0, 1.0)
        out["efficiency"] = _number(file, where, "efficiency", row["efficiency"], 1e-9, 1.0)
        if not out["soc_min"] <= out["soc_initial"] <= out["soc_max"]:
            raise CommunityError(f"{file}: {where} needs soc_min <= soc_initial <= soc_max; got "
                                 f"{out['soc_min']}, {out['soc_initial']}, {out['soc_max']}")
        rows[f"{building}_battery"] = out
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["owner", *BATTERY_FIELDS])
    table.index.name = "battery"
    return table


def _flex_table(data: Any, members: list[str], load_kw: np.ndarray, steps: int,
                file: str) -> pd.DataFrame:
    if not isinstance(data, dict):
        raise CommunityError(f"{file}: expected an object {{building: {{shiftable_share, ...}}}}")
    keys = set(DEFAULT_FLEXIBILITY)
    if data and set(data) <= keys:  # one spec for every building
        data = {m: data for m in members}
    peak = dict(zip(members, load_kw.max(axis=1), strict=True))
    rows = {}
    for building in members:
        spec = data.get(building, {} if file == "defaults" else {"shiftable_share": 0.0})
        if not isinstance(spec, dict):
            raise CommunityError(f"{file}: building {building!r} must map to an object, got {spec!r}")
        unknown = sorted(set(spec) - keys)
        if unknown:
            raise CommunityError(f"{file}: building {building!r} has unknown key(s) {unknown}; "
                                 f"allowed: {sorted(keys)}")
        row = {**DEFAULT_FLEXIBILITY, **spec}
        where = f"building {building!r}"
        share = _number(file, where, "shiftable_share", row["shiftable_share"], 0.0, 1.0)
        cap = row["max_shift_kw"]
        cap = 0.5 * float(peak[building]) if cap is None or (isinstance(cap, float) and
                                                              math.isnan(cap)) else (
            _number(file, where, "max_shift_kw", cap, 0.0))
        window = _number(file, where, "window_steps", row["window_steps"], 0.0)
        if window != int(window):
            raise CommunityError(f"{file}: {where} window_steps is {row['window_steps']!r}; "
                                 "give a whole number of steps (0 = whole horizon)")
        rows[building] = {"shiftable_share": share, "max_shift_kw": cap,
                          "window_steps": int(window) or int(steps)}
    extra = sorted(set(data) - set(members))
    if extra:
        raise CommunityError(f"{file}: building(s) {extra} are not in load_profiles.csv "
                             f"(buildings: {members})")
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "member"
    return table


def read_community(folder: str | Path, step_minutes: int = 15, start: str = "2024-07-01",
                   timezone: str = "Europe/Lisbon") -> BenchmarkCommunity:
    """Read a community from ``load_profiles.csv``, ``pv_profiles.csv`` and optional JSON specs.

    See the module docstring for the file formats. ``step_minutes`` and ``start`` are used only
    when the profiles have no ``time`` column.

    Parameters
    ----------
    folder : str or Path
        Directory holding the files.
    step_minutes : int
        Step length when the files carry no timestamps, min.
    start, timezone : str
        First step (when the files carry no timestamps) and the IANA time zone.

    Returns
    -------
    BenchmarkCommunity

    Raises
    ------
    CommunityError
        Missing file, malformed CSV/JSON, a blank/NaN/negative value, profiles of different
        lengths or buildings, battery or flexibility specs for unknown buildings or out of range;
        the message names the file, the row or column and the value.
    """
    from gridshare.timeindex import make_index

    root = Path(folder)
    if not root.is_dir():
        raise CommunityError(f"folder {str(root)!r} does not exist or is not a directory")
    load, load_time = _read_profile(root / "load_profiles.csv", timezone)
    pv, pv_time = _read_profile(root / "pv_profiles.csv", timezone)
    members = list(load.index)
    if len(set(members)) != len(members):
        dup = sorted({m for m in members if members.count(m) > 1})
        raise CommunityError(f"load_profiles.csv: building(s) {dup} appear more than once")
    if set(pv.index) != set(members):
        raise CommunityError(f"pv_profiles.csv has buildings {sorted(pv.index)} but "
                             f"load_profiles.csv has {sorted(members)}; give the same buildings")
    pv = pv.loc[members]
    if pv.shape[1] != load.shape[1]:
        raise CommunityError(f"pv_profiles.csv has {pv.shape[1]} steps but load_profiles.csv has "
                             f"{load.shape[1]}; give the same number of steps")
    steps = load.shape[1]
    time = load_time if load_time is not None else pv_time
    if time is not None:
        if steps < 2:
            raise CommunityError("load_profiles.csv: a time column needs at least two steps")
        deltas = np.unique(np.diff(time.asi8))
        if len(deltas) != 1 or deltas[0] <= 0:
            raise CommunityError("load_profiles.csv: column 'time' must be regular and increasing")
        step_hours = (time[1] - time[0]).total_seconds() / 3600.0
        if load_time is not None and pv_time is not None and not load_time.equals(pv_time):
            raise CommunityError("pv_profiles.csv: column 'time' differs from load_profiles.csv")
    else:
        if step_minutes not in (5, 10, 15, 20, 30, 60):
            raise ValueError(f"step_minutes is {step_minutes!r}; allowed: 5, 10, 15, 20, 30, 60")
        time = make_index(start, pd.Timedelta(minutes=step_minutes), timezone, periods=steps)
        step_hours = step_minutes / 60.0
    load_kw, pv_kw = load.to_numpy(dtype=float), pv.to_numpy(dtype=float)
    battery_file = root / "battery_specs.json"
    batteries = (_battery_table(_read_json(battery_file), members) if battery_file.is_file()
                 else default_batteries(members, pv_kw, load_kw))
    flex_file = root / "load_flexibility.json"
    flexibility = (_flex_table(_read_json(flex_file), members, load_kw, steps, flex_file.name)
                   if flex_file.is_file() else default_flexibility(members, load_kw, steps))
    return BenchmarkCommunity(time=time, step_hours=step_hours, members=members, load_kw=load_kw,
                              pv_kw=pv_kw, batteries=batteries, flexibility=flexibility)


def write_community(community: BenchmarkCommunity, folder: str | Path) -> Path:
    """Write ``community`` in the format :func:`read_community` reads (steps as rows)."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    stamps = [t.isoformat() for t in community.time]
    for name, values in (("load_profiles.csv", community.load_kw), ("pv_profiles.csv", community.pv_kw)):
        frame = pd.DataFrame(values.T, columns=community.members)
        frame.insert(0, "time", stamps)
        frame.to_csv(root / name, index=False)
    specs = {str(r.owner): {k: float(getattr(r, k)) for k in BATTERY_FIELDS}
             for r in community.batteries.itertuples()}
    (root / "battery_specs.json").write_text(json.dumps(specs, indent=1))
    flex = {str(m): {"shiftable_share": float(r.shiftable_share), "max_shift_kw": float(r.max_shift_kw),
                     "window_steps": int(r.window_steps)} for m, r in community.flexibility.iterrows()}
    (root / "load_flexibility.json").write_text(json.dumps(flex, indent=1))
    return root
