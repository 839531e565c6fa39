"""Case files: the description of a study, validated.

A case is a YAML or JSON file (or a :class:`Case` built in Python) holding the time axis, the site,
the members with their assets, the tariffs and the market settings. Units are kW, kWh and currency
per kWh everywhere; fields say their unit in their name, and texts with units (``"25 MW"``) are
converted. :func:`load_case` reports *every* problem at once as a :class:`CaseError`, each with the
field path, the value found and what is allowed.

Examples
--------
>>> case = Case.model_validate({
...     "time": {"start": "2024-06-01", "periods": 4, "resolution": "1h"},
...     "tariffs": {"flat": {"kind": "flat", "price": 0.2}},
...     "members": [{"name": "a", "tariff": "flat", "load": {"sector": "residential",
...                                                         "annual_kwh": 3000}}],
... })
>>> len(case.time_index())
4
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from gridshare import timeindex
from gridshare.datafiles import FileProblem, read_column
from gridshare.tariffs import Tariff, tariff_prices
from gridshare.units import EnergyKWh, PowerKW

SECTORS = ("business", "industrial", "residential", "data_center", "health_care", "retail")
MAX_CASE_BYTES = 50 * 1024**2
"""Largest case file read (50 MiB); profiles belong in CSV/Parquet files beside it."""
MAX_STEPS = 10 * 35_136
"""Longest horizon accepted: ten leap years at 15 minutes."""

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Efficiency = Annotated[float, Field(gt=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\- ]+$")]


def _as_list(value: Any) -> Any:
    """Let a single asset be written without a list around it."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    return value


class CaseError(ValueError):
    """Everything wrong with a case, at once.

    Attributes
    ----------
    problems : list of dict
        One entry per problem with keys ``path`` (e.g. ``members[2](h03).battery.soc_min``),
        ``value`` (what was found) and ``message`` (what is wrong and what is allowed).
    """

    def __init__(self, problems: list[dict[str, Any]], source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        head = f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {source or 'the case'}"
        lines = [head + ":"]
        for p in problems:
            value = "" if p.get("value", _MISSING) is _MISSING else f" (got {_short(p['value'])})"
            lines.append(f"  - {p['path']}: {p['message']}{value}")
        super().__init__("\n".join(lines))


_MISSING = object()


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


# ---------------------------------------------------------------------------------------------
# time and site


class TimeSpec(_Strict):
    """Time axis of a case: regular steps of 5 min to 1 h in a time zone."""

    start: datetime = Field(description="First step start, local time of `timezone` (or with offset).")
    periods: int | None = Field(None, gt=0, le=MAX_STEPS, description="Number of steps.")
    end: datetime | None = Field(None, description="End of the last step (exclusive).")
    resolution: str = Field("1h", description="Step length: 5min, 10min, 15min, 20min, 30min or 1h.")
    timezone: str = Field("UTC", description="IANA time-zone name, e.g. Europe/Lisbon.")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _dates(cls, value: Any) -> Any:
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime(value.year, value.month, value.day)
        return value

    @field_validator("resolution", mode="before")
    @classmethod
    def _resolution(cls, value: Any) -> str:
        delta = timeindex.parse_resolution(value)
        minutes = int(delta.total_seconds() // 60)
        return "1h" if minutes == 60 else f"{minutes}min"

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            pd.Timestamp("2024-01-01").tz_localize(value)
        except Exception as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as "
                             "'UTC', 'Europe/Lisbon' or 'America/Chicago'") from exc
        return value

    @model_validator(mode="after")
    def _one_of_periods_end(self) -> TimeSpec:
        if (self.periods is None) == (self.end is None):
            raise ValueError("give exactly one of 'periods' and 'end'")
        if self.end is not None:
            try:
                index = self.index()
            except ValueError as exc:
                raise ValueError(str(exc)) from exc
            if len(index) > MAX_STEPS:
                raise ValueError(f"the horizon has {len(index)} steps; at most {MAX_STEPS} allowed")
            span = pd.Timestamp(self.end) - pd.Timestamp(self.start)
            if span % pd.Timedelta(self.resolution) != pd.Timedelta(0):
                raise ValueError(f"end - start ({span}) is not a whole number of "
                                 f"{self.resolution} steps")
        return self

    def index(self) -> pd.DatetimeIndex:
        """The step-start index (time-zone aware)."""
        return timeindex.make_index(self.start, self.resolution, self.timezone,
                                    periods=self.periods, end=self.end)


class SiteSpec(_Strict):
    """Geographic site, for solar position."""

    latitude: float = Field(ge=-90, le=90, description="Degrees north.")
    longitude: float = Field(ge=-180, le=180, description="Degrees east.")
    altitude: float = Field(0.0, ge=-500, le=9000, description="Metres above sea level.")


class WeatherSpec(_Strict):
    """A weather file (EPW, TMY3 or CSV) that PV and wind use instead of synthetic weather."""

    file: Path = Field(description="Path, relative to the case file.")
    format: Literal["epw", "tmy3", "csv"] | None = Field(None, description="Default: by suffix.")


# ---------------------------------------------------------------------------------------------
# assets


class FileSource(_Strict):
    """A measured series: a column of a CSV or Parquet file, one row per step."""

    file: Path = Field(description="CSV or Parquet file, relative to the case file.")
    column: str = Field(description="Column holding the values.")
    unit: Literal["kW", "kWh"] = Field("kW", description="kW (mean power) or kWh per step.")
    scale: float = Field(1.0, ge=0.0, description="Multiplier applied to the values.")


class _Measurable(_Strict):
    """An asset whose series is either modelled or read from a file column (``file`` + ``column``)."""

    file: Path | None = Field(None, description="CSV or Parquet file, relative to the case file.")
    column: str | None = Field(None, description="Column holding the values.")
    unit: Literal["kW", "kWh"] = Field("kW", description="kW (mean power) or kWh per step.")
    scale: float = Field(1.0, ge=0.0, description="Multiplier applied to the values.")

    def source(self) -> FileSource | None:
        """The file source, when the series is measured."""
        if self.file is None or self.column is None:
            return None
        return FileSource(file=self.file, column=self.column, unit=self.unit, scale=self.scale)

    def _check_one_source(self, what: str, modelled: dict[str, Any]) -> None:
        """Either the modelled fields (all of them) or file + column, never both."""
        metered = self.file is not None or self.column is not None
        given = [k for k, v in modelled.items() if v is not None]
        names = " + ".join(modelled)
        if metered and given:
            raise ValueError(f"give either {names} (modelled) or file + column (measured), not both")
        if metered and (self.file is None or self.column is None):
            raise ValueError(f"measured {what} needs both 'file' and 'column'")
        if not metered and len(given) != len(modelled):
            raise ValueError(f"{what} needs {names} (or 'file' + 'column' for a measured series)")


class LoadSpec(_Measurable):
    """A member's load: a sector shape scaled to an annual energy, or a metered file column."""

    sector: str | None = Field(None, description=f"One of {', '.join(SECTORS)}.")
    annual_kwh: EnergyKWh | None = Field(None, ge=0.0, description="Energy per calendar year, kWh.")
    noise: Fraction = Field(0.05, description="Relative size of the random variation.")
    seed: int | None = Field(None, description="Random seed; default derived from the member name.")

    @field_validator("sector")
    @classmethod
    def _sector(cls, value: str | None) -> str | None:
        if value is not None and value not in SECTORS:
            raise ValueError(f"unknown sector {value!r}; allowed: {', '.join(SECTORS)}")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> LoadSpec:
        self._check_one_source("load", {"sector": self.sector, "annual_kwh": self.annual_kwh})
        return self


class PVSpec(_Measurable):
    """A PV array: PVWatts model from pvlib, or a measured file column."""

    kwp: PowerKW | None = Field(None, ge=0.0, description="DC rating, kWp.")
    tilt: float = Field(30.0, ge=0.0, le=90.0, description="Degrees from horizontal.")
    azimuth: float = Field(180.0, ge=0.0, lt=360.0, description="Degrees clockwise from north.")
    losses: Fraction = Field(0.14, description="System losses (soiling, wiring, mismatch), fraction.")
    inverter_efficiency: Efficiency = 0.96
    dc_ac_ratio: float = Field(1.2, ge=0.5, le=3.0, description="kWp per kW of inverter.")
    gamma_pdc: float = Field(-0.0037, ge=-0.02, le=0.0, description="Power temperature coefficient, 1/K.")
    annual_kwh: EnergyKWh | None = Field(None, ge=0.0, description="Rescale each calendar year to this.")
    cloudiness: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        0.3, description="Mean daily cloud cover of the synthetic weather, 0 (always clear) to <1; "
                         "desert sites ~0.1, Atlantic Europe ~0.3, central Europe ~0.45.")
    seed: int | None = None
    curtailable: bool = True

    @model_validator(mode="after")
    def _one_source(self) -> PVSpec:
        self._check_one_source("PV", {"kwp": self.kwp})
        return self

    def system_parameters(self) -> dict[str, float]:
        """Keyword arguments of :func:`gridshare.profiles.pv_powers` beyond size and geometry."""
        return {"losses": self.losses, "inverter_efficiency": self.inverter_efficiency,
                "dc_ac_ratio": self.dc_ac_ratio, "gamma_pdc": self.gamma_pdc,
                "cloudiness": self.cloudiness}


class WindSpec(_Measurable):
    """A wind turbine or farm: Weibull/AR(1) wind at hub height through a power curve."""

    capacity_kw: PowerKW | None = Field(None, ge=0.0, description="Rated power, kW (e.g. '3 MW').")
    hub_height_m: float = Field(100.0, gt=0.0, le=300.0)
    weibull_shape: float = Field(2.0, gt=0.0, le=10.0)
    weibull_scale: float = Field(7.5, gt=0.0, le=30.0, description="m/s at reference_height_m.")
    reference_height_m: float = Field(100.0, gt=0.0, le=300.0)
    shear_exponent: float = Field(0.143, ge=0.0, le=1.0)
    cut_in: float = Field(3.0, ge=0.0, description="m/s")
    rated: float = Field(12.0, gt=0.0, description="m/s")
    cut_out: float = Field(25.0, gt=0.0, description="m/s")
    curve: list[tuple[float, float]] | None = Field(
        None, description="Tabulated power curve: (wind speed m/s, power as a fraction of capacity).")
    annual_kwh: EnergyKWh | None = Field(None, ge=0.0)
    seed: int | None = None
    curtailable: bool = True

    @model_validator(mode="after")
    def _checks(self) -> WindSpec:
        self._check_one_source("wind", {"capacity_kw": self.capacity_kw})
        if not self.cut_in < self.rated < self.cut_out:
            raise ValueError(f"need cut_in < rated < cut_out, got {self.cut_in}, {self.rated}, "
                             f"{self.cut_out} m/s")
        if self.curve is not None:
            speeds = [s for s, _ in self.curve]
            if len(speeds) < 2 or any(b <= a for a, b in itertools.pairwise(speeds)):
                raise ValueError("curve speeds must be at least two, strictly increasing")
            if any(not 0.0 <= f <= 1.0 for _, f in self.curve):
                raise ValueError("curve powers are fractions of capacity, between 0 and 1")
        return self

    def turbine_parameters(self) -> dict[str, Any]:
        """Keyword arguments of :func:`gridshare.profiles.wind_powers` beyond size and seed."""
        return {"hub_height_m": self.hub_height_m, "weibull_shape": self.weibull_shape,
                "weibull_scale": self.weibull_scale, "reference_height_m": self.reference_height_m,
                "shear_exponent": self.shear_exponent, "cut_in": self.cut_in, "rated": self.rated,
                "cut_out": self.cut_out, "curve": self.curve}


class BatterySpec(_Strict):
    """A battery. SOC values are fractions of ``energy_kwh``."""

    energy_kwh: EnergyKWh = Field(ge=0.0, description="Usable capacity, kWh.")
    power_kw: PowerKW | None = Field(None, ge=0.0, description="Charge and discharge power, kW.")
    charge_kw: PowerKW | None = Field(None, ge=0.0)
    discharge_kw: PowerKW | None = Field(None, ge=0.0)
    charge_efficiency: Efficiency = 0.95
    discharge_efficiency: Efficiency = 0.95
    soc_min: Fraction = 0.0
    soc_max: Fraction = 1.0
    soc_initial: Fraction = 0.5
    soc_final: Fraction | None = Field(None, description="Default: equal to soc_initial.")
    degradation_cost_per_kwh: NonNegative = Field(0.0, description="Per kWh charged + discharged.")
    binary: bool = Field(False, description="Forbid simultaneous charge and discharge (MILP).")
    pcs_kva: PowerKW | None = Field(None, ge=0.0, description="Inverter apparent-power rating, kVA.")

    @model_validator(mode="after")
    def _checks(self) -> BatterySpec:
        if self.power_kw is None and (self.charge_kw is None or self.discharge_kw is None):
            raise ValueError("give power_kw, or both charge_kw and discharge_kw")
        if self.soc_min > self.soc_max:
            raise ValueError(f"soc_min {self.soc_min} is above soc_max {self.soc_max}")
        for name in ("soc_initial", "soc_final"):
            value = getattr(self, name)
            if value is not None and not self.soc_min <= value <= self.soc_max:
                raise ValueError(f"{name} {value} is outside [soc_min, soc_max] = "
                                 f"[{self.soc_min}, {self.soc_max}]")
        return self

    @property
    def charge_limit_kw(self) -> float:
        """Charge power limit, kW."""
        return float(self.charge_kw if self.charge_kw is not None else self.power_kw)

    @property
    def discharge_limit_kw(self) -> float:
        """Discharge power limit, kW."""
        return float(self.discharge_kw if self.discharge_kw is not None else self.power_kw)


class SharedBatterySpec(BatterySpec):
    """A battery shared by members through virtual accounts (shares of energy and power)."""

    shares: dict[str, float] = Field(description="Member name -> share (shares sum to 1).")

    @field_validator("shares")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError("give at least one member share")
        if any(not math.isfinite(v) or v < 0 for v in value.values()):
            raise ValueError("shares must be finite and non-negative")
        if abs(sum(value.values()) - 1.0) > 1e-6:
            raise ValueError(f"shares sum to {sum(value.values()):.6g}; they must sum to 1")
        return value


class GeneratorSpec(_Strict):
    """A dispatchable generator with unit commitment."""

    name: Name
    capacity_kw: PowerKW = Field(gt=0.0, description="Rated output, kW (e.g. '15 MW').")
    min_stable_kw: PowerKW = Field(0.0, ge=0.0, description="Minimum output when on, kW.")
    min_up_h: NonNegative = 0.0
    min_down_h: NonNegative = 0.0
    start_cost: NonNegative = Field(0.0, description="Currency per start.")
    fuel_price_per_mmbtu: NonNegative | None = Field(None, description="Fuel price, currency/MMBtu.")
    heat_rate_mmbtu_per_mwh: NonNegative | None = Field(None, description="MMBtu per MWh electric.")
    fuel_cost_per_kwh: NonNegative | None = Field(None, description="Alternative: cost per kWh.")
    vom_cost_per_kwh: NonNegative = 0.0
    ramp_kw_per_h: PowerKW | None = Field(None, gt=0.0)
    start_time_min: NonNegative = Field(10.0, description="Time from start signal to full load.")
    initial_on: bool = False
    committable: bool = True

    @model_validator(mode="after")
    def _checks(self) -> GeneratorSpec:
        if self.min_stable_kw > self.capacity_kw:
            raise ValueError(f"min_stable_kw {self.min_stable_kw} exceeds capacity_kw "
                             f"{self.capacity_kw}")
        by_heat_rate = (self.fuel_price_per_mmbtu, self.heat_rate_mmbtu_per_mwh)
        if self.fuel_cost_per_kwh is not None and any(v is not None for v in by_heat_rate):
            raise ValueError("give fuel_cost_per_kwh or fuel_price_per_mmbtu + heat_rate, not both")
        if (by_heat_rate[0] is None) != (by_heat_rate[1] is None):
            raise ValueError("fuel_price_per_mmbtu and heat_rate_mmbtu_per_mwh go together")
        return self

    @property
    def marginal_fuel_cost_per_kwh(self) -> float:
        """Fuel cost per kWh electric: heat rate (MMBtu/MWh) × fuel price / 1000."""
        if self.fuel_cost_per_kwh is not None:
            return float(self.fuel_cost_per_kwh)
        if self.fuel_price_per_mmbtu is None:
            return 0.0
        return float(self.heat_rate_mmbtu_per_mwh) * float(self.fuel_price_per_mmbtu) / 1000.0


class FlexibleLoadSpec(_Strict):
    """A share of the load that may move within a window, energy conserved per window."""

    shiftable_share: Fraction = Field(description="Share of each step's load that may move.")
    window_hours: float = Field(24.0, gt=0.0, le=168.0)
    max_shift_kw: PowerKW | None = Field(None, ge=0.0, description="Most moved into/out of a step.")


class GridSpec(_Strict):
    """A member's grid connection."""

    import_limit_kw: PowerKW | None = Field(None, ge=0.0, description="Default: no limit.")
    export_limit_kw: PowerKW | None = Field(None, ge=0.0, description="Default: no limit.")
    kva: PowerKW | None = Field(None, gt=0.0, description="Apparent-power rating, kVA.")
    min_power_factor: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    load_power_factor: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    binary: bool = Field(False, description="Forbid simultaneous import and export (MILP).")
    contracted_power_kw: PowerKW | None = Field(
        None, ge=0.0, description="Contracted power; imports above it pay the REC rules' penalty.")


class PpaShare(_Strict):
    """A member's share of a clean-energy project, as a fraction, an annual energy or a capacity."""

    project: str = Field(description="Name of a project in the case's 'projects'.")
    share: Fraction | None = Field(None, description="Fraction of the project's output.")
    annual_kwh: EnergyKWh | None = Field(None, ge=0.0, description="Contracted energy per year.")
    capacity_kw: PowerKW | None = Field(None, ge=0.0, description="Contracted capacity, kW.")

    @model_validator(mode="after")
    def _one_measure(self) -> PpaShare:
        given = [k for k in ("share", "annual_kwh", "capacity_kw") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of share, annual_kwh and capacity_kw"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self


class Member(_Strict):
    """A participant with its assets and its tariff."""

    name: Name
    kind: str = Field("prosumer", max_length=64, description="Free label: household, company, ...")
    tariff: str = Field(description="Name of a tariff in the case's 'tariffs'.")
    load: LoadSpec | None = None
    pv: Annotated[list[PVSpec], BeforeValidator(_as_list)] = Field(default_factory=list)
    wind: Annotated[list[WindSpec], BeforeValidator(_as_list)] = Field(default_factory=list)
    battery: BatterySpec | None = None
    generators: Annotated[list[GeneratorSpec], BeforeValidator(_as_list)] = Field(
        default_factory=list)
    flexible_load: FlexibleLoadSpec | None = None
    grid: GridSpec = Field(default_factory=GridSpec)
    ppa: Annotated[list[PpaShare], BeforeValidator(_as_list)] = Field(
        default_factory=list, description="Shares of clean-energy projects (procurement).")
    seed: int | None = Field(None, description="Base seed of this member's random profiles.")

    @model_validator(mode="after")
    def _generators_unique(self) -> Member:
        names = [g.name for g in self.generators]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"generator names repeat: {', '.join(dup)}")
        return self


class PoiSpecModel(_Strict):
    """The community's point of interconnection (sum of every member's grid flow)."""

    import_limit_kw: PowerKW | None = Field(None, ge=0.0)
    export_limit_kw: PowerKW | None = Field(None, ge=0.0)
    kva: PowerKW | None = Field(None, gt=0.0)
    min_power_factor: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    polygon_sides: int = Field(16, ge=4, le=360)


class CommunitySpec(_Strict):
    """Assets owned by the community as a whole."""

    battery: BatterySpec | None = Field(None, description="Central battery on the community bus.")
    shared_battery: SharedBatterySpec | None = Field(None, description="Virtual accounts per member.")
    poi: PoiSpecModel | None = None


class BilateralPair(_Strict):
    """Fee or limit on the trades from one member to another."""

    seller: str
    buyer: str
    fee_per_kwh: NonNegative = 0.0
    limit_kw: PowerKW | None = Field(None, ge=0.0)


class PricingSpec(_Strict):
    """How local-energy-market prices are set (``gridshare price``)."""

    mechanism: Literal["crossing_value", "mmr", "sdr", "sdrc", "dual"] = "mmr"
    pruned: bool = Field(False, description="Price only the offers a pool clearing accepts.")
    timeframe: Literal["pre", "post"] = Field("pre", description="Forecast (pre) or metered (post).")
    stage: Literal["single", "two"] = Field("two", description="two: nobody pays more than alone.")
    loop: bool = Field(False, description="Iterate prices with the members' responses.")
    tol_per_kwh: float = Field(0.01, gt=0.0, description="Loop stop: distance between price vectors.")
    max_iter: int = Field(20, ge=1, le=1000)
    damping: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    averaging: bool = False
    divisor: Fraction = Field(0.5, description="MMR: 0 = highest sell value, 1 = lowest buy value.")
    compensation: Fraction | None = Field(None, description="SDRC factor c (default 0.5).")
    increment_per_kwh: NonNegative = 0.0


class RecRulesSpec(_Strict):
    """Renewable-energy-community operating rules (after the 2023 Portuguese REC rules)."""

    grid_access_fee_per_kwh: NonNegative = Field(0.0, description="On energy exchanged inside.")
    wholesale_tariff: str | None = Field(
        None, description="Tariff whose import/export prices are the community's wholesale "
                          "buy/sell prices (community-level market access).")
    wholesale_limit_kw: PowerKW | None = Field(None, ge=0.0)
    contracted_power_penalty_per_kw: NonNegative = Field(
        0.0, description="Per kW of the largest excess over a member's grid.contracted_power_kw.")
    battery_degradation_cost_per_kwh: NonNegative | None = None
    allocation_above_consumption: bool = Field(
        True, description="A member may receive more than it consumes and sell the rest.")
    strictly_positive_shares: bool = False
    per_step_shares: bool = True


class MarketSpec(_Strict):
    """How members exchange energy inside the community."""

    exchange: Literal["none", "pool", "bilateral"] = "pool"
    fee_per_kwh: NonNegative = Field(0.0, description="Per kWh bought inside the community.")
    loss: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(0.0, description="Share lost in transfer.")
    pairs: list[BilateralPair] = Field(default_factory=list, description="Bilateral fees/limits.")
    pricing: PricingSpec = Field(default_factory=PricingSpec)
    rec_rules: RecRulesSpec | None = None


class ProjectSpec(_Strict):
    """A clean-energy plant whose output members buy shares of (a PPA)."""

    name: Name
    kind: Literal["solar", "wind"]
    pv: PVSpec | None = None
    wind: WindSpec | None = None
    site: SiteSpec | None = Field(None, description="Default: the case's site.")
    seed: int | None = None

    @model_validator(mode="after")
    def _asset_matches_kind(self) -> ProjectSpec:
        if self.kind == "solar" and (self.pv is None or self.wind is not None):
            raise ValueError("a solar project needs 'pv' (and no 'wind')")
        if self.kind == "wind" and (self.wind is None or self.pv is not None):
            raise ValueError("a wind project needs 'wind' (and no 'pv')")
        return self


class ProcurementBatterySpec(BatterySpec):
    """A battery owned by the pool, dispatched to raise pooled carbon-free energy."""


class ProcurementSpec(_Strict):
    """Settings of a pooled clean-energy procurement study."""

    swap: Literal["prorata", "optimal"] = "prorata"
    eligibility_min_re: Fraction = Field(0.5, description="Volumetric RE needed to export RECs.")
    rec_price_per_mwh: NonNegative = Field(8.0, description="Certificate price, currency/MWh.")
    swap_price_per_mwh: NonNegative | None = Field(None, description="Default: the REC price.")
    shortfall_price_per_mwh: NonNegative | None = Field(
        None, description="Cost of covering unmatched load with certificates; default REC price.")
    manager_fee: Fraction = Field(0.2, description="Pool manager's share of the swap value.")
    energy_tariff: str | None = Field(None, description="Tariff whose import price settles "
                                                        "PPA energy hourly (shape risk).")
    ppa_price_per_mwh: NonNegative | None = Field(None, description="PPA strike price.")
    battery: ProcurementBatterySpec | None = None


class ReserveProductSpec(_Strict):
    """An ancillary-service reserve product that batteries and generators may provide."""

    name: Name
    direction: Literal["up", "down"]
    duration_h: float = Field(1.0, gt=0.0, le=24.0)
    price_per_kw: NonNegative = Field(0.0, description="Capacity payment per kW per hour.")
    requirement_kw: PowerKW | None = Field(None, ge=0.0)


# ---------------------------------------------------------------------------------------------
# the case


class Case(_Strict):
    """A whole study: time axis, site, members, tariffs and market settings.

    File paths (profiles, weather) are held as absolute paths once loaded; :func:`save_case`
    writes them relative to the file saved, so a case folder can be moved as a whole.
    """

    name: str = Field("case", max_length=200)
    description: str = ""
    currency: str = Field("EUR", max_length=8)
    time: TimeSpec
    site: SiteSpec = Field(default_factory=lambda: SiteSpec(latitude=38.72, longitude=-9.14))
    weather: WeatherSpec | None = None
    seed: int = Field(0, description="Base seed; each member and asset derives its own from it.")
    tariffs: dict[str, Tariff] = Field(description="Tariffs by name; members refer to them.")
    members: list[Member] = Field(min_length=1)
    community: CommunitySpec = Field(default_factory=CommunitySpec)
    market: MarketSpec = Field(default_factory=MarketSpec)
    reserves: list[ReserveProductSpec] = Field(default_factory=list)
    projects: list[ProjectSpec] = Field(default_factory=list, description="PPA plants.")
    procurement: ProcurementSpec | None = None
    voll_per_kwh: NonNegative | None = Field(None, description="Value of lost load; None: no shedding.")
    curtailment_cost_per_kwh: NonNegative = 0.0

    @field_validator("weather", "tariffs", "members", "community", "projects", mode="before")
    @classmethod
    def _resolve_paths(cls, value: Any, info: ValidationInfo) -> Any:
        base = (info.context or {}).get("base_dir")
        return _resolve(value, Path(base)) if base is not None else value

    def time_index(self) -> pd.DatetimeIndex:
        """The case's step-start index, time-zone aware."""
        return self.time.index()

    @property
    def member_names(self) -> list[str]:
        """Member names in order."""
        return [m.name for m in self.members]

    def member(self, name: str) -> Member:
        """The member called ``name``."""
        for m in self.members:
            if m.name == name:
                return m
        raise KeyError(f"no member {name!r}; members are {', '.join(self.member_names)}")


_FILE_KEYS = ("file", "export_file")


def _resolve(value: Any, base: Path) -> Any:
    """Make every ``file`` entry absolute against ``base`` (walks plain dicts and lists)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in _FILE_KEYS and isinstance(item, str | Path) and not Path(item).is_absolute():
                out[key] = str((base / item).resolve())
            else:
                out[key] = _resolve(item, base)
        return out
    if isinstance(value, list):
        return [_resolve(item, base) for item in value]
    return value


# ---------------------------------------------------------------------------------------------
# loading, checking, saving


def read_case_file(path: str | Path) -> dict[str, Any]:
    """Parse a YAML or JSON case file into a dict (no validation yet).

    Raises
    ------
    CaseError
        Missing file, wrong suffix, too large, malformed YAML/JSON, or a top level that is not a mapping.
    """
    path = Path(path)
    src = str(path)

    def fail(message: str, value: Any = _MISSING) -> CaseError:
        item = {"path": "(file)", "message": message}
        if value is not _MISSING:
            item["value"] = value
        return CaseError([item], src)

    if not path.exists():
        raise fail("file does not exist")
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise fail(f"unsupported file type {suffix!r}; case files are .yaml, .yml or .json")
    size = path.stat().st_size
    if size > MAX_CASE_BYTES:
        raise fail(f"file is {size / 1024**2:.1f} MiB; case files are limited to "
                   f"{MAX_CASE_BYTES // 1024**2} MiB — put long profiles in CSV/Parquet files")
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise fail(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise fail(f"malformed YAML{where}: {getattr(exc, 'problem', None) or exc}") from exc
    if not isinstance(data, dict):
        raise fail("the top level must be a mapping of sections (time, tariffs, members, ...)",
                   type(data).__name__)
    return data


def validate_case(data: dict[str, Any], base_dir: str | Path = ".", source: str | None = None,
                  check_files: bool = True) -> Case:
    """Validate a case dict, collecting every problem before raising.

    Parameters
    ----------
    data : dict
        The parsed case.
    base_dir : str or Path
        Folder relative file paths are resolved against (the case file's folder).
    source : str, optional
        Name used in error messages.
    check_files : bool
        Also open every referenced profile file and check it against the time index.

    Raises
    ------
    CaseError
        With every problem found: schema errors, cross-references and data files.
    """
    problems: list[dict[str, Any]] = []
    case: Case | None = None
    try:
        case = Case.model_validate(data, context={"base_dir": Path(base_dir)})
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc, data))
    problems.extend(_cross_reference_problems(data))
    if case is not None and check_files:
        problems.extend(_file_problems(case))
    if problems:
        raise CaseError(_dedupe(problems), source)
    assert case is not None
    return case


def load_case(path: str | Path, check_files: bool = True) -> Case:
    """Read and validate a case file (YAML or JSON).

    Raises
    ------
    CaseError
        Listing every problem with its field path, the value and what is allowed.
    """
    path = Path(path)
    data = read_case_file(path)
    return validate_case(data, base_dir=path.parent.resolve(), source=str(path),
                         check_files=check_files)


def case_to_dict(case: Case, relative_to: str | Path | None = None) -> dict[str, Any]:
    """The case as plain data (what a file holds): the fields that were given, no defaults.

    ``relative_to`` rewrites file paths relative to that folder where possible.
    """
    # Only what was set: some validators read which fields were given (a tariff with a file must
    # not also carry generation parameters), so writing defaults out would change the case.
    data = case.model_dump(mode="json", exclude_unset=True)
    if relative_to is not None:
        data = _relativise(data, Path(relative_to).resolve())
    return data


def _relativise(value: Any, base: Path) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in _FILE_KEYS and isinstance(item, str) and Path(item).is_absolute():
                try:
                    out[key] = Path(item).resolve().relative_to(base).as_posix()
                except ValueError:
                    import os

                    out[key] = Path(os.path.relpath(item, base)).as_posix()
            else:
                out[key] = _relativise(item, base)
        return out
    if isinstance(value, list):
        return [_relativise(item, base) for item in value]
    return value


def save_case(case: Case, path: str | Path) -> Path:
    """Write a case to YAML (.yaml/.yml) or JSON (.json); ``load_case`` gives an equal case back."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".json"):
        raise ValueError(f"cannot save a case as {suffix!r}; use .yaml, .yml or .json")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = case_to_dict(case, relative_to=path.parent)
    if suffix == ".json":
        text = json.dumps(data, indent=2)
    else:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


# ---------------------------------------------------------------------------------------------
# problem collection


def _pydantic_problems(exc: ValidationError, data: dict[str, Any]) -> list[dict[str, Any]]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = list(err["loc"])
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        if err["type"] == "extra_forbidden":
            message = "unknown key" + _suggest(loc, data)
        elif err["type"] == "missing":
            message = "required field is missing"
        item: dict[str, Any] = {"path": _format_path(loc, data), "message": message}
        if err["type"] not in ("missing",):
            item["value"] = err.get("input")
            if isinstance(item["value"], dict | list):
                item.pop("value")
        problems.append(item)
    return problems


_UNIT_HINTS = {"_mw": "_kw", "_mwh": "_kwh", "_w": "_kw", "_wh": "_kwh", "_gw": "_kw", "_gwh": "_kwh"}


def _suggest(loc: list[Any], data: dict[str, Any]) -> str:
    key = str(loc[-1]) if loc else ""
    for suffix, replacement in _UNIT_HINTS.items():
        if key.endswith(suffix):
            return (f"; fields are in kW/kWh — use {key[: -len(suffix)] + replacement} "
                    "(a text like '25 MW' is converted)")
    return ""


def _format_path(loc: Iterable[Any], data: Any) -> str:
    out = ""
    node = data
    for part in loc:
        if _is_union_tag(part, node):
            continue
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("name"), str):
                out += f"({node['name']})"
        else:
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(case)"


def _is_union_tag(part: Any, node: Any) -> bool:
    """pydantic puts the chosen union member into locations ('tou', 'function-after[...]')."""
    if not isinstance(part, str) or not isinstance(node, dict) or part in node:
        return False
    return "[" in part or node.get("kind") == part or part[:1].isupper()


def _dedupe(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for p in problems:
        key = (p["path"], p["message"])
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _cross_reference_problems(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Checks that span sections; run on the raw data so they are reported with schema errors."""
    problems: list[dict[str, Any]] = []
    members = data.get("members") if isinstance(data.get("members"), list) else []
    tariffs = data.get("tariffs") if isinstance(data.get("tariffs"), dict) else {}
    names = [m.get("name") for m in members if isinstance(m, dict)]
    seen: set[Any] = set()
    for i, m in enumerate(members):
        if not isinstance(m, dict):
            continue
        name = m.get("name")
        if name in seen:
            problems.append({"path": f"members[{i}]({name}).name", "value": name,
                             "message": "member names must be unique"})
        seen.add(name)
        tariff = m.get("tariff")
        if isinstance(tariff, str) and tariffs and tariff not in tariffs:
            problems.append({"path": f"members[{i}]({name}).tariff", "value": tariff,
                             "message": f"no such tariff; defined: {', '.join(map(str, tariffs))}"})
    projects = [p.get("name") for p in data.get("projects") or [] if isinstance(p, dict)]
    share_sum: dict[Any, float] = {}
    for i, m in enumerate(members):
        ppas = m.get("ppa") if isinstance(m, dict) else None
        for j, ppa in enumerate([ppas] if isinstance(ppas, dict) else ppas or []):
            if not isinstance(ppa, dict):
                continue
            if ppa.get("project") not in projects:
                problems.append({"path": f"members[{i}]({m.get('name')}).ppa[{j}].project",
                                 "value": ppa.get("project"),
                                 "message": "no such project; defined: "
                                            + (", ".join(map(str, projects)) or "none")})
            if isinstance(ppa.get("share"), int | float):
                share_sum[ppa.get("project")] = share_sum.get(ppa.get("project"), 0.0) + ppa["share"]
    for project, total in share_sum.items():
        if total > 1.0 + 1e-9:
            problems.append({"path": "members[*].ppa", "value": round(total, 6),
                             "message": f"shares of project {project!r} add up to more than 100 %"})
    procurement = data.get("procurement") if isinstance(data.get("procurement"), dict) else {}
    energy_tariff = procurement.get("energy_tariff")
    if isinstance(energy_tariff, str) and tariffs and energy_tariff not in tariffs:
        problems.append({"path": "procurement.energy_tariff", "value": energy_tariff,
                         "message": f"no such tariff; defined: {', '.join(map(str, tariffs))}"})
    community = data.get("community") if isinstance(data.get("community"), dict) else {}
    shared = community.get("shared_battery")
    if isinstance(shared, dict) and isinstance(shared.get("shares"), dict):
        for who in shared["shares"]:
            if who not in names:
                problems.append({"path": "community.shared_battery.shares", "value": who,
                                 "message": "share for a member that does not exist"})
    market = data.get("market") if isinstance(data.get("market"), dict) else {}
    rules = market.get("rec_rules") if isinstance(market.get("rec_rules"), dict) else {}
    wholesale = rules.get("wholesale_tariff")
    if isinstance(wholesale, str) and tariffs and wholesale not in tariffs:
        problems.append({"path": "market.rec_rules.wholesale_tariff", "value": wholesale,
                         "message": f"no such tariff; defined: {', '.join(map(str, tariffs))}"})
    for i, pair in enumerate(market.get("pairs") or []):
        if not isinstance(pair, dict):
            continue
        for role in ("seller", "buyer"):
            if role in pair and pair[role] not in names:
                problems.append({"path": f"market.pairs[{i}].{role}", "value": pair[role],
                                 "message": "no such member"})
        if pair.get("seller") is not None and pair.get("seller") == pair.get("buyer"):
            problems.append({"path": f"market.pairs[{i}]", "value": pair.get("seller"),
                             "message": "a member cannot trade with itself"})
    return problems


def _file_problems(case: Case) -> list[dict[str, Any]]:
    """Open every referenced data file and check it against the time index."""
    problems: list[dict[str, Any]] = []
    try:
        index = case.time_index()
    except ValueError as exc:
        return [{"path": "time", "message": str(exc)}]
    owners: list[tuple[str, list[tuple[str, Any]]]] = []
    for i, m in enumerate(case.members):
        specs: list[tuple[str, Any]] = [("load", m.load)]
        specs += [(f"pv[{j}]", pv) for j, pv in enumerate(m.pv)]
        specs += [(f"wind[{j}]", w) for j, w in enumerate(m.wind)]
        owners.append((f"members[{i}]({m.name})", specs))
    for i, project in enumerate(case.projects):
        owners.append((f"projects[{i}]({project.name})", [("pv", project.pv), ("wind", project.wind)]))
    for owner, specs in owners:
        for where, spec in specs:
            source = spec.source() if spec is not None else None
            if source is None:
                continue
            try:
                values = read_column(source.file, source.column, index)
            except FileProblem as exc:
                problems.append({"path": f"{owner}.{where}.file", "message": str(exc)})
                continue
            if (values < 0).any():
                row = int((values < 0).argmax())
                problems.append({"path": f"{owner}.{where}.file", "value": float(values[row]),
                                 "message": f"negative value at data row {row + 1} of "
                                            f"{source.file.name}:{source.column}; powers are >= 0"})
    for name, tariff in case.tariffs.items():
        if getattr(tariff, "file", None) is None and getattr(tariff, "export_file", None) is None:
            continue
        try:
            tariff_prices(tariff, index)
        except (FileProblem, ValueError, OSError) as exc:
            problems.append({"path": f"tariffs.{name}", "message": str(exc)})
    if case.weather is not None and not case.weather.file.exists():
        problems.append({"path": "weather.file", "value": str(case.weather.file),
                         "message": "file does not exist"})
    return problems
