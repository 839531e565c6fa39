"""The data-centre microgrid case (JSON or YAML): validated, then turned into model inputs.

A case names the ISO, the time axis, the electrical topology (point of interconnection and
transformers), the resources (one battery, a fleet of gas units, critical, non-critical and
curtailable loads), the reliability rules and the prices. Units in the file are MW, MWh, MVA,
kV, minutes, hours and currency per MWh; the core works in kW, kWh and currency per kWh.

Every problem is reported at once with its field path (:class:`MicrogridCaseError`).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gridshare.case import CaseError


class MicrogridCaseError(CaseError):
    """Everything wrong with a microgrid case, at once (``problems``: path, value, message)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class TimeSpec(_Strict):
    """Time axis: ``horizon_hours`` of regular ``interval_minutes`` steps."""

    horizon_hours: float = Field(24.0, gt=0, le=8784, description="Horizon, h.")
    interval_minutes: float = Field(15.0, gt=0, le=60, description="Step length, minutes.")
    start: datetime = Field(datetime(2024, 8, 1), description="First step, local time.")
    timezone: str = Field("America/Chicago", description="IANA time zone of the site.")

    @model_validator(mode="after")
    def _whole_steps(self) -> TimeSpec:
        steps = self.horizon_hours * 60 / self.interval_minutes
        if abs(steps - round(steps)) > 1e-9:
            raise ValueError(f"horizon_hours={self.horizon_hours} is not a whole number of "
                             f"{self.interval_minutes}-minute intervals")
        return self

    @property
    def steps(self) -> int:
        return round(self.horizon_hours * 60 / self.interval_minutes)

    @property
    def step_hours(self) -> float:
        return self.interval_minutes / 60.0


class PoiSpec(_Strict):
    """Point of interconnection limits."""

    max_import_mw: float = Field(ge=0, description="Net import limit, MW.")
    max_export_mw: float = Field(ge=0, description="Net export limit, MW.")
    mva_rating: float | None = Field(None, gt=0, description="Apparent-power rating, MVA.")
    min_power_factor: float | None = Field(None, gt=0, le=1,
                                           description="Smallest power factor at the POI.")


class TransformerSpec(_Strict):
    """A HV/MV transformer between the grid and the campus MV bus (parallel units add up)."""

    name: str = "T1"
    mva_rating: float = Field(gt=0, description="Rated apparent power, MVA.")
    hv_kv: float = Field(230.0, gt=0, description="HV rated voltage, kV.")
    lv_kv: float = Field(34.5, gt=0, description="LV (MV bus) rated voltage, kV.")
    impedance_percent: float = Field(10.0, gt=0, lt=100,
                                     description="Short-circuit voltage vk, % of rated.")
    resistance_percent: float = Field(0.3, ge=0, lt=100,
                                      description="Real part of vk (copper losses) vkr, %.")

    @model_validator(mode="after")
    def _r_below_z(self) -> TransformerSpec:
        if self.resistance_percent >= self.impedance_percent:
            raise ValueError(f"resistance_percent={self.resistance_percent} must be below "
                             f"impedance_percent={self.impedance_percent}")
        return self


class TopologySpec(_Strict):
    poi: PoiSpec
    transformers: list[TransformerSpec] = Field(default_factory=list)


class BessSpec(_Strict):
    """Battery energy storage system."""

    power_mw: float = Field(gt=0, description="Charge and discharge power, MW.")
    energy_mwh: float = Field(gt=0, description="Energy capacity, MWh.")
    soc_reserve: float = Field(0.25, ge=0, le=1, description="Ride-through reserve floor, "
                               "fraction of energy; market dispatch never goes below it.")
    soc_min: float = Field(0.05, ge=0, le=1, description="Emergency (hardware) floor, fraction.")
    soc_max: float = Field(0.95, ge=0, le=1, description="Upper SOC limit, fraction.")
    soc_initial: float = Field(0.5, ge=0, le=1, description="SOC at the start, fraction.")
    soc_final: float | None = Field(None, ge=0, le=1, description="SOC at the end (default: "
                                    "the initial SOC).")
    charge_efficiency: float = Field(0.95, gt=0, le=1)
    discharge_efficiency: float = Field(0.95, gt=0, le=1)
    pcs_mva: float | None = Field(None, gt=0, description="Inverter rating, MVA (P-Q circle).")
    degradation_cost_per_mwh: float = Field(2.0, ge=0, description="Per MWh of throughput "
                                            "(charge + discharge), currency/MWh.")

    @model_validator(mode="after")
    def _order(self) -> BessSpec:
        if not self.soc_min <= self.soc_reserve <= self.soc_max:
            raise ValueError(f"need soc_min <= soc_reserve <= soc_max; got {self.soc_min}, "
                             f"{self.soc_reserve}, {self.soc_max}")
        if not self.soc_reserve <= self.soc_initial <= self.soc_max:
            raise ValueError(f"soc_initial={self.soc_initial} must lie in [soc_reserve, "
                             f"soc_max] = [{self.soc_reserve}, {self.soc_max}]")
        if self.soc_final is not None and not self.soc_reserve <= self.soc_final <= self.soc_max:
            raise ValueError(f"soc_final={self.soc_final} must lie in [soc_reserve, soc_max]")
        if self.pcs_mva is not None and self.pcs_mva < self.power_mw:
            raise ValueError(f"pcs_mva={self.pcs_mva} must be >= power_mw={self.power_mw}")
        return self


class GeneratorUnit(_Strict):
    """One gas unit."""

    name: str
    capacity_mw: float = Field(gt=0)
    min_stable_mw: float = Field(0.0, ge=0)
    min_up_h: float = Field(0.0, ge=0)
    min_down_h: float = Field(0.0, ge=0)
    start_cost: float = Field(0.0, ge=0, description="Per start, currency.")
    heat_rate_mmbtu_per_mwh: float = Field(9.0, gt=0)
    vom_per_mwh: float = Field(4.0, ge=0, description="Variable O&M, currency/MWh.")
    start_time_min: float = Field(10.0, ge=0, description="Cold start to full load, minutes.")
    initial_on: bool = False

    @model_validator(mode="after")
    def _min_below_cap(self) -> GeneratorUnit:
        if self.min_stable_mw > self.capacity_mw:
            raise ValueError(f"min_stable_mw={self.min_stable_mw} exceeds capacity_mw="
                             f"{self.capacity_mw}")
        return self


class GeneratorFleet(_Strict):
    fuel_price_per_mmbtu: float = Field(3.5, ge=0, description="Gas price, currency/MMBtu.")
    units: list[GeneratorUnit] = Field(default_factory=list)


LOAD_KINDS = ("critical", "non_critical", "curtailable")
PROFILES = ("flat", "training", "inference", "mixed")


class LoadSpec(_Strict):
    """A load: ``peak_mw`` times a profile shape, or explicit MW per interval."""

    name: str
    kind: Literal["critical", "non_critical", "curtailable"]
    peak_mw: float = Field(ge=0)
    profile: Literal["flat", "training", "inference", "mixed"] | list[float] = "flat"
    power_factor: float = Field(0.97, gt=0, le=1, description="Lagging power factor.")
    curtail_cost_per_mwh: float = Field(250.0, ge=0,
                                        description="Cost of curtailing (curtailable only).")


class ResourcesSpec(_Strict):
    bess: BessSpec | None = None
    generators: GeneratorFleet = Field(default_factory=GeneratorFleet)
    loads: list[LoadSpec] = Field(min_length=1)


class ReliabilitySpec(_Strict):
    ride_through_minutes: float = Field(15.0, ge=0, description="Battery must carry the "
                                        "critical load this long (or the longest start time).")
    voll_per_mwh: float = Field(50_000.0, ge=0, description="Value of lost load, currency/MWh.")
    n_minus_1: bool = Field(True, description="Losing any one source (grid, BESS or a running "
                            "unit) leaves enough to carry the critical load.")
    n_minus_1_counts_grid: bool = Field(True, description="Count the grid import limit as a "
                                        "source in the N-1 rule (False: islanded design).")


class PriceSpec(_Strict):
    base_price: float = Field(35.0, description="Off-peak energy price, currency/MWh.")
    peak_hours: list[int] = Field(default_factory=lambda: [7, 8, 9, 17, 18, 19, 20])
    peak_multiplier: float = Field(2.0, ge=0, description="Peak price / off-peak price.")
    energy_prices: list[float] | None = Field(None, description="Explicit LMP per interval, "
                                              "currency/MWh (overrides the shape).")
    export_price_ratio: float = Field(1.0, ge=0, le=1, description="Export price / LMP.")
    as_prices: dict[str, float] = Field(default_factory=dict, description="Capacity price per "
                                        "product offered, currency/MW-h; default prices from the "
                                        "ISO adapter for listed products with null.")

    @model_validator(mode="after")
    def _hours(self) -> PriceSpec:
        bad = [h for h in self.peak_hours if not 0 <= h <= 23]
        if bad:
            raise ValueError(f"peak_hours must be in 0..23; got {bad}")
        neg = {k: v for k, v in self.as_prices.items() if v is not None and v < 0}
        if neg:
            raise ValueError(f"as_prices must be >= 0; got {neg}")
        return self


class MicrogridCase(_Strict):
    """A data-centre microgrid case."""

    name: str
    iso: str = "ERCOT"
    time: TimeSpec = Field(default_factory=TimeSpec)
    topology: TopologySpec
    resources: ResourcesSpec
    reliability: ReliabilitySpec = Field(default_factory=ReliabilitySpec)
    prices: PriceSpec = Field(default_factory=PriceSpec)


def _pydantic_problems(exc: ValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "(case)"
        message = err["msg"].removeprefix("Value error, ")
        out.append({"path": path, "value": err.get("input"), "message": message})
    return out


def _cross_problems(case: MicrogridCase) -> list[dict[str, Any]]:
    from gridshare.microgrid.iso import ISOError, get_iso_adapter

    problems: list[dict[str, Any]] = []
    try:
        adapter = get_iso_adapter(case.iso)
    except ISOError as exc:
        return [{"path": "iso", "value": case.iso, "message": str(exc)}]
    try:
        adapter.check_interval(case.time.interval_minutes)
    except ISOError as exc:
        problems.append({"path": "time.interval_minutes", "value": case.time.interval_minutes,
                         "message": str(exc)})
    for name in case.prices.as_prices:
        try:
            adapter.product(name)
        except ISOError as exc:
            problems.append({"path": f"prices.as_prices.{name}", "value": name,
                             "message": str(exc)})
    n = case.time.steps
    for i, load in enumerate(case.resources.loads):
        if isinstance(load.profile, list) and len(load.profile) != n:
            problems.append({"path": f"resources.loads.{i}.profile", "value": len(load.profile),
                             "message": f"an explicit profile needs one MW value per interval "
                                        f"({n})"})
        if isinstance(load.profile, list) and min(load.profile, default=0) < 0:
            problems.append({"path": f"resources.loads.{i}.profile", "value": min(load.profile),
                             "message": "profile values must be >= 0 MW"})
    if case.prices.energy_prices is not None and len(case.prices.energy_prices) != n:
        problems.append({"path": "prices.energy_prices", "value": len(case.prices.energy_prices),
                         "message": f"needs one price per interval ({n})"})
    names = [u.name for u in case.resources.generators.units]
    dupes = sorted({x for x in names if names.count(x) > 1})
    if dupes:
        problems.append({"path": "resources.generators.units", "value": dupes,
                         "message": "generator names must be unique"})
    lnames = [ld.name for ld in case.resources.loads]
    if len(set(lnames)) != len(lnames):
        problems.append({"path": "resources.loads", "value": lnames,
                         "message": "load names must be unique"})
    return problems


def validate_microgrid_case(data: dict[str, Any], source: str | None = None) -> MicrogridCase:
    """Validate plain data as a :class:`MicrogridCase`.

    Raises
    ------
    MicrogridCaseError
        Every problem at once, each with its field path, the value and what is allowed.

    Examples
    --------
    >>> try:
    ...     validate_microgrid_case({"name": "x", "topology": {"poi": {"max_import_mw": -1}},
    ...                              "resources": {"loads": []}})
    ... except MicrogridCaseError as e:
    ...     print(sorted(p["path"] for p in e.problems))
    ['resources.loads', 'topology.poi.max_export_mw', 'topology.poi.max_import_mw']
    """
    if not isinstance(data, dict):
        raise MicrogridCaseError([{"path": "(case)", "value": type(data).__name__,
                                   "message": "a case must be a mapping"}], source)
    try:
        case = MicrogridCase.model_validate(data)
    except ValidationError as exc:
        raise MicrogridCaseError(_pydantic_problems(exc), source) from None
    problems = _cross_problems(case)
    if problems:
        raise MicrogridCaseError(problems, source)
    return case


def load_microgrid_case(path_or_data: str | Path | dict[str, Any] | MicrogridCase
                        ) -> MicrogridCase:
    """Read and validate a microgrid case from a JSON/YAML file, a dict or a case.

    Raises
    ------
    MicrogridCaseError
    """
    if isinstance(path_or_data, MicrogridCase):
        return path_or_data
    if isinstance(path_or_data, dict):
        return validate_microgrid_case(path_or_data)
    path = Path(path_or_data)
    if not path.is_file():
        raise MicrogridCaseError([{"path": "(file)", "value": str(path),
                                   "message": "no such case file"}], str(path))
    text = path.read_text()
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        elif path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            raise MicrogridCaseError([{"path": "(file)", "value": path.suffix,
                                       "message": "suffix must be .json, .yaml or .yml"}],
                                     str(path))
    except (json.JSONDecodeError, ValueError) as exc:
        if isinstance(exc, MicrogridCaseError):
            raise
        raise MicrogridCaseError([{"path": "(file)", "value": str(path),
                                   "message": f"cannot parse: {exc}"}], str(path)) from None
    return validate_microgrid_case(data, str(path))


# --- profiles and prices ----------------------------------------------------------------------

def profile_shape(kind: str, hours: np.ndarray) -> np.ndarray:
    """Load shape (fraction of peak) at local clock ``hours`` (fractional h of day).

    ``flat`` = 1; ``training`` = long jobs near full power (0.92 .. 1.0, slow daily swing);
    ``inference`` follows user demand (0.55 at 04:00 to 1.0 at 16:00, cosine); ``mixed`` =
    0.6 training + 0.4 inference. Deterministic, so a case gives the same numbers every run.

    Examples
    --------
    >>> profile_shape("inference", np.array([4.0, 16.0])).round(3).tolist()
    [0.55, 1.0]
    """
    h = np.asarray(hours, dtype=float)
    if kind == "flat":
        return np.ones_like(h)
    training = 0.96 + 0.04 * np.cos(2 * np.pi * (h - 15.0) / 24.0)
    inference = 0.775 + 0.225 * np.cos(2 * np.pi * (h - 16.0) / 24.0)
    if kind == "training":
        return training
    if kind == "inference":
        return inference
    if kind == "mixed":
        return 0.6 * training + 0.4 * inference
    raise ValueError(f"profile must be one of {PROFILES}; got {kind!r}")


def time_index(case: MicrogridCase) -> pd.DatetimeIndex:
    """Interval start labels of the case, local time."""
    start = pd.Timestamp(case.time.start)
    start = start.tz_localize(case.time.timezone) if start.tzinfo is None else start
    return pd.date_range(start, periods=case.time.steps,
                         freq=pd.Timedelta(minutes=case.time.interval_minutes))


def load_profiles_mw(case: MicrogridCase) -> pd.DataFrame:
    """Each load in MW per interval (columns = load names)."""
    idx = time_index(case)
    hours = np.asarray(idx.hour + idx.minute / 60.0, dtype=float)
    data = {}
    for load in case.resources.loads:
        if isinstance(load.profile, list):
            data[load.name] = np.asarray(load.profile, dtype=float)
        else:
            data[load.name] = load.peak_mw * profile_shape(load.profile, hours)
    return pd.DataFrame(data, index=idx)


def energy_prices(case: MicrogridCase, price_scale: float = 1.0) -> pd.Series:
    """LMP per interval, currency/MWh: base off-peak, ``peak_multiplier`` x base in peak hours."""
    idx = time_index(case)
    p = case.prices
    if p.energy_prices is not None:
        values = np.asarray(p.energy_prices, dtype=float)
    else:
        peak = np.isin(np.asarray(idx.hour), p.peak_hours)
        values = np.where(peak, p.base_price * p.peak_multiplier, p.base_price)
    return pd.Series(values * price_scale, index=idx, name="lmp_per_mwh")
