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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

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

    @property
    def n_steps(self) -> int:
        """Number of time steps."""
        return len(self.time)


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
