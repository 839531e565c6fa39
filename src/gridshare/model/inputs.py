"""Numeric inputs of the optimisation core, independent of how they were made.

A :class:`ModelInputs` holds everything a model needs as labelled arrays and tables, in kW, kWh
and currency per kWh. Case files are turned into it by :func:`gridshare.model.from_case.inputs_from_case`;
workflows that do not start from a case file (a tariff sweep, a data-centre dispatch) build it
directly. Keeping the core on this one structure means a new workflow never needs a new model.

Conventions
-----------
- ``time`` labels are the *start* of each step; a step lasts ``step_hours`` hours.
- Power is in kW (mean over the step), energy in kWh, prices in currency per kWh.
- Member-level series are ``xarray.DataArray`` with dims ``("member", "time")``. xarray does not
  hold time-zone-aware coordinates well, so their ``time`` coordinate is *naive UTC*
  (:func:`gridshare.timeindex.utc_naive`); ``ModelInputs.time`` keeps the aware local index.
- Asset tables are ``pandas.DataFrame`` indexed by the asset name, one row per asset, with an
  ``owner`` column naming the member (or :data:`COMMUNITY` for assets on the community bus).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

ArrayLike = float | Sequence[Any] | np.ndarray

COMMUNITY = "community"
"""Owner name of assets connected to the community (pool) bus rather than to one member."""

BATTERY_COLUMNS = {
    "owner": str,
    "energy_kwh": float,
    "charge_kw": float,
    "discharge_kw": float,
    "charge_efficiency": float,
    "discharge_efficiency": float,
    "soc_min": float,  # fraction of energy_kwh
    "soc_max": float,  # fraction of energy_kwh
    "soc_initial": float,  # fraction of energy_kwh
    "soc_final": float,  # fraction; NaN means "equal to soc_initial"
    "degradation_cost_per_kwh": float,  # per kWh of throughput (charge + discharge)
    "binary": bool,  # forbid simultaneous charge and discharge with a binary
    "pcs_kva": float,  # inverter apparent-power rating; NaN = no P-Q limit
}

GENERATOR_COLUMNS = {
    "owner": str,
    "capacity_kw": float,
    "min_stable_kw": float,
    "min_up_h": float,
    "min_down_h": float,
    "start_cost": float,  # currency per start
    "fuel_cost_per_kwh": float,  # heat rate x fuel price, currency per kWh electric
    "vom_cost_per_kwh": float,
    "ramp_kw_per_h": float,  # NaN = no ramp limit
    "initial_on": bool,
    "committable": bool,  # False: continuous 0..capacity, no binaries
}

FLEXIBLE_COLUMNS = {
    "shiftable_share": float,  # share of each step's load that may move, 0..1
    "window_steps": int,  # energy conserved over consecutive windows of this many steps
    "max_shift_kw": float,  # most that may be added to or removed from one step; NaN = no limit
}

GRID_COLUMNS = {
    "import_limit_kw": float,  # inf = none
    "export_limit_kw": float,  # inf = none
    "binary": bool,  # forbid simultaneous import and export with a binary
    "kva": float,  # apparent-power limit of the member's connection; NaN = none
    "min_power_factor": float,  # NaN = none
    "load_power_factor": float,  # power factor of the member's load (lagging), for Q
}

RESERVE_COLUMNS = {
    "direction": str,  # "up" or "down"
    "duration_h": float,  # how long a provider must be able to sustain the reserve
    "price_per_kw": float,  # capacity payment per kW held per hour
    "requirement_kw": float,  # community requirement per step; NaN = none (revenue only)
}


@dataclass
class PoiSpec:
    """Point of interconnection of the whole community (sum of all members' grid flows).

    Parameters
    ----------
    import_limit_kw, export_limit_kw : float
        Net active-power limits at the POI, kW (``inf`` = none).
    kva : float
        Apparent-power rating, kVA (``nan`` = none). Linearised with a regular polygon of
        ``polygon_sides`` sides inscribed in the circle, so the limit is never exceeded.
    min_power_factor : float
        Smallest power factor allowed at the POI (``nan`` = none).
    polygon_sides : int
        Number of sides of the polygon that approximates the apparent-power circle.
    """

    import_limit_kw: float = np.inf
    export_limit_kw: float = np.inf
    kva: float = np.nan
    min_power_factor: float = np.nan
    polygon_sides: int = 16


@dataclass
class ModelInputs:
    """Everything the optimisation core needs, in labelled arrays.

    Attributes
    ----------
    time : pandas.DatetimeIndex
        Step start labels (time-zone aware).
    step_hours : float
        Length of one step, h.
    members : list of str
        Member names; the order of the ``member`` dimension.
    load_kw : xarray.DataArray
        Inflexible + flexible load per member and step, kW, dims (member, time).
    pv_kw, wind_kw : xarray.DataArray
        Available PV and wind generation per member and step, kW, dims (member, time).
    import_price, export_price : xarray.DataArray
        Grid prices per member and step, currency/kWh, dims (member, time).
    grid : pandas.DataFrame
        One row per member (index = member), columns :data:`GRID_COLUMNS`.
    batteries, generators : pandas.DataFrame
        One row per asset, columns :data:`BATTERY_COLUMNS` / :data:`GENERATOR_COLUMNS`; the owner
        may be :data:`COMMUNITY`. Empty frames when there are none.
    battery_shares : pandas.DataFrame or None
        For a shared battery with virtual accounts: rows = battery, columns = members, values = each
        member's share of energy and power (rows sum to 1). ``None`` when no battery is shared.
    flexible : pandas.DataFrame
        One row per member with flexible load (index = member), columns :data:`FLEXIBLE_COLUMNS`.
    curtailable : bool
        Whether PV and wind may be curtailed (at ``curtailment_cost_per_kwh``).
    curtailment_cost_per_kwh : float
        Penalty per kWh curtailed.
    voll_per_kwh : float or None
        Value of lost load; ``None`` forbids shedding.
    exchange : {"none", "pool", "bilateral"}
        How members may exchange energy in collective modes.
    pool_fee_per_kwh : float
        Fee per kWh bought from the pool (e.g. a grid-access tariff on internal trades).
    pool_loss : float
        Fraction of energy sold to the pool that is lost, 0..1.
    bilateral_fee_per_kwh, bilateral_limit_kw : xarray.DataArray or None
        Dims (seller, buyer); fee per kWh and limit per step of each directed pair (inf = none).
    reserves : pandas.DataFrame
        One row per reserve product (index = product name), columns :data:`RESERVE_COLUMNS`.
    poi : PoiSpec or None
        Community point of interconnection.
    """

    time: pd.DatetimeIndex
    step_hours: float
    members: list[str]
    load_kw: xr.DataArray
    pv_kw: xr.DataArray
    wind_kw: xr.DataArray
    import_price: xr.DataArray
    export_price: xr.DataArray
    grid: pd.DataFrame
    batteries: pd.DataFrame = field(default_factory=lambda: empty_table(BATTERY_COLUMNS))
    generators: pd.DataFrame = field(default_factory=lambda: empty_table(GENERATOR_COLUMNS))
    battery_shares: pd.DataFrame | None = None
    flexible: pd.DataFrame = field(default_factory=lambda: empty_table(FLEXIBLE_COLUMNS))
    curtailable: bool = True
    curtailment_cost_per_kwh: float = 0.0
    voll_per_kwh: float | None = None
    exchange: str = "pool"
    pool_fee_per_kwh: float = 0.0
    pool_loss: float = 0.0
    bilateral_fee_per_kwh: xr.DataArray | None = None
    bilateral_limit_kw: xr.DataArray | None = None
    reserves: pd.DataFrame = field(default_factory=lambda: empty_table(RESERVE_COLUMNS))
    poi: PoiSpec | None = None
    bilateral_loss: float = 0.0

    @property
    def n_steps(self) -> int:
        """Number of time steps."""
        return len(self.time)

    @classmethod
    def from_arrays(cls, load_kw: ArrayLike, pv_kw: ArrayLike | None = None,
                    wind_kw: ArrayLike | None = None, import_price: ArrayLike = 0.30,
                    export_price: ArrayLike = 0.05, step_hours: float = 1.0,
                    members: list[str] | None = None, start: str = "2024-01-01",
                    timezone: str = "UTC", **tables: Any) -> ModelInputs:
        """Inputs from plain arrays, in one line.

        Parameters
        ----------
        load_kw : array_like
            Load per member and step, kW: shape (member, time), or (time,) for one member.
        pv_kw, wind_kw : array_like, optional
            Available PV / wind generation, kW, same shape as ``load_kw`` or broadcastable to it
            (a scalar, a (time,) series shared by all members); ``None`` means none.
        import_price, export_price : array_like
            Grid prices, currency/kWh, broadcastable to (member, time). Defaults 0.30 and 0.05.
        step_hours : float
            Step length, h (one of 5 min ... 1 h, as in :mod:`gridshare.timeindex`).
        members : list of str, optional
            Member names; default ``m0, m1, ...``.
        start, timezone : str
            First step label and its time zone.
        **tables
            Any other :class:`ModelInputs` field. Asset tables (``grid``, ``batteries``,
            ``generators``, ``flexible``, ``reserves``) may be DataFrames, a dict of rows keyed by
            name or a list of row dicts with a ``name`` key; missing columns take the defaults in
            :data:`TABLE_DEFAULTS`. ``grid`` may give only some members (others get no limits).

        Returns
        -------
        ModelInputs

        Examples
        --------
        >>> mi = ModelInputs.from_arrays([[1.0, 2.0], [0.5, 0.5]], pv_kw=[[0.0, 3.0], [0, 0]])
        >>> mi.members, mi.n_steps, float(mi.pv_kw.sel(member="m0").sum())
        (['m0', 'm1'], 2, 3.0)
        """
        load = np.asarray(load_kw, dtype=float)
        if load.ndim == 1:
            load = load[None, :]
        if load.ndim != 2:
            raise ValueError(f"load_kw must have shape (member, time); got shape {load.shape}")
        n_members, n_steps = load.shape
        if members is None:
            members = [f"m{i}" for i in range(n_members)]
        members = [str(m) for m in members]
        if len(members) != n_members:
            raise ValueError(f"members has {len(members)} names but load_kw has {n_members} rows")
        from gridshare.timeindex import make_index

        minutes = float(step_hours) * 60.0
        try:
            time = make_index(start, pd.Timedelta(minutes=minutes), timezone, periods=n_steps)
        except ValueError as exc:
            raise ValueError(f"step_hours={step_hours}: {exc}") from exc

        def series(values: ArrayLike | None, name: str) -> xr.DataArray:
            arr = np.zeros_like(load) if values is None else np.asarray(values, dtype=float)
            try:
                arr = np.broadcast_to(arr, load.shape).copy()
            except ValueError as exc:
                raise ValueError(f"{name} has shape {np.shape(values)}, which does not broadcast "
                                 f"to (member, time) = {load.shape}") from exc
            return member_series(arr, members, time, name)

        fields: dict[str, Any] = {
            "time": time, "step_hours": float(step_hours), "members": members,
            "load_kw": series(load, "load_kw"), "pv_kw": series(pv_kw, "pv_kw"),
            "wind_kw": series(wind_kw, "wind_kw"),
            "import_price": series(import_price, "import_price"),
            "export_price": series(export_price, "export_price"),
        }
        grid = make_table(tables.pop("grid", None), "grid")
        fields["grid"] = complete_table(grid.reindex([m for m in members]), "grid")
        for name in ("batteries", "generators", "flexible", "reserves"):
            fields[name] = complete_table(make_table(tables.pop(name, None), name), name)
        shares = tables.pop("battery_shares", None)
        if shares is not None and not isinstance(shares, pd.DataFrame):
            shares = pd.DataFrame(shares).T if isinstance(shares, dict) else pd.DataFrame(shares)
        fields["battery_shares"] = shares
        for key in ("bilateral_fee_per_kwh", "bilateral_limit_kw"):
            if key in tables and tables[key] is not None:
                fields[key] = pair_array(tables.pop(key), members, key)
        known = {f.name for f in dataclass_fields(cls)}
        unknown = sorted(set(tables) - known)
        if unknown:
            raise ValueError(f"from_arrays got unknown field(s) {unknown}; "
                             f"allowed: {sorted(known)}")
        fields.update(tables)
        inputs = cls(**fields)
        inputs.validate()
        return inputs

    def validate(self) -> None:
        """Check shapes, signs and table contents; raise ``ValueError`` naming what is wrong."""
        validate_inputs(self)


def empty_table(columns: dict[str, type]) -> pd.DataFrame:
    """An empty asset table with the given typed columns.

    Examples
    --------
    >>> list(empty_table({"owner": str, "energy_kwh": float}).columns)
    ['owner', 'energy_kwh']
    """
    return pd.DataFrame({name: pd.Series(dtype=object if kind is str else kind)
                         for name, kind in columns.items()})


def member_series(values: np.ndarray, members: list[str], time: pd.DatetimeIndex,
                  name: str) -> xr.DataArray:
    """Wrap a (member, time) array as a labelled DataArray.

    Examples
    --------
    >>> t = pd.date_range("2024-01-01", periods=2, freq="h", tz="UTC")
    >>> member_series(np.zeros((1, 2)), ["a"], t, "load_kw").dims
    ('member', 'time')
    """
    from gridshare.timeindex import utc_naive

    return xr.DataArray(np.asarray(values, dtype=float), dims=("member", "time"),
                        coords={"member": list(members), "time": utc_naive(time)}, name=name)


TABLE_COLUMNS = {"grid": GRID_COLUMNS, "batteries": BATTERY_COLUMNS,
                 "generators": GENERATOR_COLUMNS, "flexible": FLEXIBLE_COLUMNS,
                 "reserves": RESERVE_COLUMNS}

TABLE_DEFAULTS: dict[str, dict[str, Any]] = {
    "grid": {"import_limit_kw": np.inf, "export_limit_kw": np.inf, "binary": False,
             "kva": np.nan, "min_power_factor": np.nan, "load_power_factor": 1.0},
    "batteries": {"owner": COMMUNITY, "charge_efficiency": 1.0, "discharge_efficiency": 1.0,
                  "soc_min": 0.0, "soc_max": 1.0, "soc_initial": 0.0, "soc_final": np.nan,
                  "degradation_cost_per_kwh": 0.0, "binary": False, "pcs_kva": np.nan},
    "generators": {"min_stable_kw": 0.0, "min_up_h": 0.0, "min_down_h": 0.0, "start_cost": 0.0,
                   "fuel_cost_per_kwh": 0.0, "vom_cost_per_kwh": 0.0, "ramp_kw_per_h": np.nan,
                   "initial_on": False, "committable": True},
    "flexible": {"max_shift_kw": np.nan},
    "reserves": {"duration_h": 1.0, "price_per_kw": 0.0, "requirement_kw": np.nan},
}
"""Values used by :meth:`ModelInputs.from_arrays` for columns a table leaves out.

A battery without ``discharge_kw`` gets its ``charge_kw``; required columns (a battery's
``energy_kwh`` and ``charge_kw``, a generator's ``owner`` and ``capacity_kw``, a flexible load's
``shiftable_share`` and ``window_steps``, a reserve's ``direction``) have no default."""


def make_table(rows: Any, name: str) -> pd.DataFrame:
    """A table from a DataFrame, a dict of rows keyed by asset name, or a list of row dicts."""
    if rows is None:
        return empty_table(TABLE_COLUMNS[name])
    if isinstance(rows, pd.DataFrame):
        return rows.copy()
    if isinstance(rows, dict):
        return pd.DataFrame.from_dict(rows, orient="index")
    if isinstance(rows, list | tuple):
        frame = pd.DataFrame(list(rows))
        if "name" not in frame.columns:
            raise ValueError(f"{name}: rows given as a list need a 'name' key each")
        return frame.set_index("name")
    raise ValueError(f"{name} must be a DataFrame, a dict of rows or a list of rows; "
                     f"got {type(rows).__name__}")


def complete_table(table: pd.DataFrame, name: str) -> pd.DataFrame:
    """Fill left-out columns with :data:`TABLE_DEFAULTS` and cast to the documented types."""
    columns = TABLE_COLUMNS[name]
    table = table.copy()
    table.index = table.index.astype(str) if len(table) else table.index
    extra = sorted(set(table.columns) - set(columns))
    if extra:
        raise ValueError(f"{name} has unknown column(s) {extra}; allowed: {list(columns)}")
    defaults = dict(TABLE_DEFAULTS.get(name, {}))
    if name == "batteries" and "charge_kw" in table.columns:
        defaults.setdefault("discharge_kw", table["charge_kw"])
    for col in columns:
        if col not in table.columns:
            if col not in defaults:
                if len(table):
                    raise ValueError(f"{name} needs column {col!r} (no default)")
                table[col] = pd.Series(dtype=object if columns[col] is str else columns[col])
                continue
            table[col] = defaults[col]
        elif col in defaults and not isinstance(defaults[col], pd.Series):
            # Rows that left a cell empty (e.g. members missing from a partial grid table).
            default = defaults[col]
            if not (isinstance(default, float) and np.isnan(default)):
                table[col] = table[col].astype(object).where(table[col].notna(), default)
    for col, kind in columns.items():
        if kind is str:
            table[col] = table[col].astype(object).map(str) if len(table) else table[col]
        else:
            try:
                table[col] = table[col].astype(kind)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name}.{col} must be {kind.__name__}; got "
                                 f"{table[col].tolist()}") from exc
    return table[list(columns)]


def pair_array(values: Any, members: list[str], name: str) -> xr.DataArray:
    """A (seller, buyer) array from a scalar, a square array or a DataArray."""
    if isinstance(values, xr.DataArray):
        return values.transpose("seller", "buyer").astype(float)
    arr = np.broadcast_to(np.asarray(values, dtype=float), (len(members), len(members))).copy()
    return xr.DataArray(arr, dims=("seller", "buyer"),
                        coords={"seller": list(members), "buyer": list(members)}, name=name)


def _check(ok: Any, message: str) -> None:
    if not bool(np.all(ok)):
        raise ValueError(message)


def _bad(values: Any) -> list:
    return list(np.asarray(values).ravel()[:5])


def validate_inputs(mi: ModelInputs) -> None:
    """Raise ``ValueError`` naming the field, the value and what is allowed."""
    n_members, n_steps = len(mi.members), len(mi.time)
    _check(n_steps >= 1, "time must hold at least one step")
    _check(len(set(mi.members)) == n_members, f"members must be unique; got {mi.members}")
    _check(COMMUNITY not in mi.members, f"{COMMUNITY!r} is reserved for community assets")
    _check(np.isfinite(mi.step_hours) and mi.step_hours > 0,
           f"step_hours must be > 0; got {mi.step_hours}")
    for name in ("load_kw", "pv_kw", "wind_kw", "import_price", "export_price"):
        da = getattr(mi, name)
        _check(da.dims == ("member", "time") and da.shape == (n_members, n_steps),
               f"{name} must have dims (member, time) and shape {(n_members, n_steps)}; "
               f"got {da.dims} {da.shape}")
        _check(list(map(str, da["member"].values)) == list(mi.members),
               f"{name} member coordinate must equal members {mi.members}")
        vals = da.values
        _check(np.isfinite(vals), f"{name} must be finite; found {_bad(vals[~np.isfinite(vals)])}")
        if name.endswith("_kw"):
            _check(vals >= 0, f"{name} must be >= 0 kW; found {_bad(vals[vals < 0])}")
    g = mi.grid
    _check(list(g.index) == list(mi.members), f"grid must have one row per member "
           f"{mi.members}; got {list(g.index)}")
    for col in ("import_limit_kw", "export_limit_kw"):
        _check(g[col].to_numpy() >= 0, f"grid.{col} must be >= 0 (inf = none); got "
               f"{g[col].tolist()}")
    pf = g["load_power_factor"].to_numpy()
    _check((pf > 0) & (pf <= 1), f"grid.load_power_factor must be in (0, 1]; got {pf.tolist()}")
    mpf = g["min_power_factor"].to_numpy()
    _check(np.isnan(mpf) | ((mpf > 0) & (mpf <= 1)),
           f"grid.min_power_factor must be in (0, 1] or NaN; got {mpf.tolist()}")
    b = mi.batteries
    owners_ok = set(mi.members) | {COMMUNITY}
    if len(b):
        _check(b["owner"].isin(owners_ok), f"batteries.owner must be a member or {COMMUNITY!r}; "
               f"got {b['owner'].tolist()}")
        for col in ("energy_kwh", "charge_kw", "discharge_kw"):
            _check(b[col] >= 0, f"batteries.{col} must be >= 0; got {b[col].tolist()}")
        for col in ("charge_efficiency", "discharge_efficiency"):
            _check((b[col] > 0) & (b[col] <= 1),
                   f"batteries.{col} must be in (0, 1]; got {b[col].tolist()}")
        lo, hi, ini = b["soc_min"], b["soc_max"], b["soc_initial"]
        _check((lo >= 0) & (lo <= hi) & (hi <= 1),
               f"batteries need 0 <= soc_min <= soc_max <= 1; got soc_min {lo.tolist()}, "
               f"soc_max {hi.tolist()}")
        _check((ini >= lo - 1e-12) & (ini <= hi + 1e-12), "batteries.soc_initial must lie in "
               f"[soc_min, soc_max]; got {ini.tolist()}")
        fin = b["soc_final"]
        _check(fin.isna() | ((fin >= 0) & (fin <= 1)),
               f"batteries.soc_final must be in [0, 1] or NaN; got {fin.tolist()}")
    if mi.battery_shares is not None:
        sh = mi.battery_shares
        _check(sh.index.isin(b.index), f"battery_shares rows must be batteries {list(b.index)}; "
               f"got {list(sh.index)}")
        _check(pd.Index(sh.columns).isin(mi.members),
               f"battery_shares columns must be members; got {list(sh.columns)}")
        _check((sh.to_numpy() >= 0) & np.isfinite(sh.to_numpy()),
               "battery_shares must be finite and >= 0")
        sums = sh.sum(axis=1).to_numpy()
        _check(np.abs(sums - 1) < 1e-6, f"battery_shares rows must sum to 1; got {sums.tolist()}")
    gen = mi.generators
    if len(gen):
        _check(gen["owner"].isin(owners_ok), f"generators.owner must be a member or "
               f"{COMMUNITY!r}; got {gen['owner'].tolist()}")
        _check((gen["capacity_kw"] >= 0) & (gen["min_stable_kw"] >= 0)
               & (gen["min_stable_kw"] <= gen["capacity_kw"]),
               "generators need 0 <= min_stable_kw <= capacity_kw; got "
               f"{gen[['min_stable_kw', 'capacity_kw']].to_dict('index')}")
        for col in ("min_up_h", "min_down_h", "start_cost"):
            _check(gen[col] >= 0, f"generators.{col} must be >= 0; got {gen[col].tolist()}")
        ramp = gen["ramp_kw_per_h"]
        _check(ramp.isna() | (ramp > 0), f"generators.ramp_kw_per_h must be > 0 or NaN; got "
               f"{ramp.tolist()}")
    fl = mi.flexible
    if len(fl):
        _check(fl.index.isin(mi.members), f"flexible rows must be members; got {list(fl.index)}")
        share = fl["shiftable_share"]
        _check((share >= 0) & (share <= 1), f"flexible.shiftable_share must be in [0, 1]; got "
               f"{share.tolist()}")
        _check(fl["window_steps"] >= 1, f"flexible.window_steps must be >= 1; got "
               f"{fl['window_steps'].tolist()}")
    rs = mi.reserves
    if len(rs):
        _check(rs["direction"].isin(["up", "down"]), f"reserves.direction must be 'up' or "
               f"'down'; got {rs['direction'].tolist()}")
        _check(rs["duration_h"] >= 0, f"reserves.duration_h must be >= 0; got "
               f"{rs['duration_h'].tolist()}")
    _check(mi.exchange in ("none", "pool", "bilateral"),
           f"exchange must be 'none', 'pool' or 'bilateral'; got {mi.exchange!r}")
    for name in ("pool_loss", "bilateral_loss"):
        val = getattr(mi, name)
        _check(0 <= val < 1, f"{name} must be in [0, 1); got {val}")
    _check(mi.pool_fee_per_kwh >= 0, f"pool_fee_per_kwh must be >= 0; got {mi.pool_fee_per_kwh}")
    _check(mi.voll_per_kwh is None or mi.voll_per_kwh >= 0,
           f"voll_per_kwh must be >= 0 or None; got {mi.voll_per_kwh}")
    if mi.poi is not None:
        _check(mi.poi.polygon_sides >= 4, f"poi.polygon_sides must be >= 4; got "
               f"{mi.poi.polygon_sides}")
        _check(np.isnan(mi.poi.min_power_factor) or 0 < mi.poi.min_power_factor <= 1,
               f"poi.min_power_factor must be in (0, 1] or NaN; got {mi.poi.min_power_factor}")
