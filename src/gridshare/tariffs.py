"""Retail tariffs as aligned price series: flat, time-of-use, CPP, RTP and EDR.

A tariff is a pydantic model (part of the case-file schema) and a set of pure functions that turn it
into prices for a time-zone-aware index of step *start* labels. Prices are in currency per kWh.
Hours, weekdays and months are read in the index's own time zone, so a ToU peak at 17:00 stays at
17:00 on the wall clock across daylight-saving changes (a spring-forward day has 23 steps of one
hour, and the missing local hour simply has no price).

Every tariff also says how exported energy is paid, by exactly one of ``export_ratio`` (a fraction
of the import price in the same step), ``export_price`` (flat) or ``export_file`` (a measured
series). When none is given the ratio :data:`DEFAULT_EXPORT_RATIO` applies.

Stochastic tariffs (CPP with drawn event days, RTP generated, EDR) take a ``seed`` and draw per
local calendar year, so the prices of a day do not depend on how long the index around it is: a
one-week index gives the same prices as that week cut from a full-year index.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)
from scipy.signal import lfilter

from gridshare.datafiles import FileProblem, read_column, read_table

DEFAULT_EXPORT_RATIO = 0.4
"""Export price as a fraction of the import price when a tariff names no export rule."""

PEAK_HOURS = (17, 18, 19, 20)
"""Default on-peak / event hours, local clock (the steps starting 17:00 to 20:59)."""

MID_HOURS = (7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 21)
"""Default mid-peak hours of :func:`three_level_tou`, local clock."""

HOT_MONTHS = (6, 7, 8, 9)
"""Months from which CPP event days are drawn by default (northern-hemisphere summer)."""

ALL_WEEKDAYS = (0, 1, 2, 3, 4, 5, 6)
ALL_MONTHS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
_EXPORT_FIELDS = ("export_ratio", "export_price", "export_file", "export_column")
# Salts keep the streams of different tariff families apart when they share a seed.
_SALT_CPP, _SALT_EDR, _SALT_RTP = 1, 2, 3


class TariffError(ValueError):
    """A tariff cannot be turned into prices (bad argument, unreadable or mismatched file)."""


# --------------------------------------------------------------------------------------------
# small checks shared by the models and the pure functions
# --------------------------------------------------------------------------------------------


def _check_int_list(name: str, values: Iterable[int], low: int, high: int, what: str) -> list[int]:
    values = list(values)
    if not values:
        raise TariffError(f"{name} is empty; give at least one {what} in {low}..{high}")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TariffError(f"{name} holds {value!r}; give whole numbers {low}..{high} ({what})")
        if not low <= value <= high:
            raise TariffError(f"{name} holds {value}; allowed {what} are {low}..{high}")
    return sorted(set(int(v) for v in values))


def _check_price(name: str, value: float, allow_negative: bool = False) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError) as exc:
        raise TariffError(f"{name} is {value!r}; give a price in currency/kWh") from exc
    if not np.isfinite(value):
        raise TariffError(f"{name} is {value}; give a finite price in currency/kWh")
    if value < 0 and not allow_negative:
        raise TariffError(f"{name} is {value}; it must be >= 0 currency/kWh")
    return value


def _check_index(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    if not isinstance(index, pd.DatetimeIndex):
        raise TariffError(f"index must be a pandas.DatetimeIndex, got {type(index).__name__}")
    if index.tz is None:
        raise TariffError("index has no time zone; tariff hours are local, so localise it first "
                          "(gridshare.timeindex.make_index builds one)")
    if len(index) == 0:
        raise TariffError("index is empty; give at least one step")
    return index


def _local_dates(index: pd.DatetimeIndex) -> np.ndarray:
    """Local calendar date of each step as ``datetime64[D]``."""
    return index.tz_localize(None).to_numpy().astype("datetime64[D]")


def _hours_mask(index: pd.DatetimeIndex, hours: Sequence[int]) -> np.ndarray:
    return np.isin(index.hour, hours)


def _int_list(low: int, high: int, what: str):
    def check(values: list[int], info: ValidationInfo) -> list[int]:
        return _check_int_list(info.field_name, values, low, high, what)

    return Annotated[list[int], AfterValidator(check)]


def _checked_price(values: float, info: ValidationInfo) -> float:
    return _check_price(info.field_name, values)


LocalHours = _int_list(0, 23, "local hours")
"""Local start hours 0..23, checked and sorted."""
Weekdays = _int_list(0, 6, "weekdays (Monday = 0)")
Months = _int_list(1, 12, "months")
Price = Annotated[float, AfterValidator(_checked_price)]
"""A price in currency/kWh, finite and >= 0."""


# --------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------


class TouPeriod(BaseModel):
    """One priced period of a time-of-use tariff."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Label such as 'on-peak'.", min_length=1)
    price: Price = Field(description="Import price in the period, currency/kWh (>= 0).")
    hours: LocalHours = Field(description="Local start hours 0..23 the period covers.")
    weekdays: Weekdays = Field(default=list(ALL_WEEKDAYS),
                                description="Local weekdays 0..6 (Monday = 0); default every day.")
    months: Months = Field(default=list(ALL_MONTHS),
                              description="Local months 1..12; default every month.")



class _TariffBase(BaseModel):
    """Export rule shared by every tariff: exactly one of ratio, flat price or file."""

    model_config = ConfigDict(extra="forbid")

    export_ratio: float | None = Field(
        default=None, description="Export price as a fraction 0..1 of the import price in the same "
        f"step. Used with {DEFAULT_EXPORT_RATIO} when no export rule is given.")
    export_price: float | None = Field(default=None, description="Flat export price, currency/kWh.")
    export_file: Path | None = Field(
        default=None, description="CSV/Parquet with one export price (currency/kWh) per step; "
        "relative paths are read from the case's directory.")
    export_column: str | None = Field(
        default=None, description="Column of export_file; may be left out when the file has one "
        "numeric column.")

    @field_validator("export_ratio")
    @classmethod
    def _ratio(cls, value: float | None) -> float | None:
        if value is not None and not 0.0 <= value <= 1.0:
            raise ValueError(f"export_ratio is {value}; allowed is a fraction 0..1 of the "
                             "import price")
        return value

    @field_validator("export_price")
    @classmethod
    def _export_price(cls, value: float | None) -> float | None:
        return None if value is None else _check_price("export_price", value)

    @model_validator(mode="after")
    def _one_export_rule(self) -> _TariffBase:
        given = [name for name in ("export_ratio", "export_price", "export_file")
                 if getattr(self, name) is not None]
        if len(given) > 1:
            raise ValueError(f"give only one export rule, not {' and '.join(given)}")
        if self.export_column is not None and self.export_file is None:
            raise ValueError("export_column is set but export_file is not; name the file too")
        return self

    def export_rule(self) -> tuple[str, float | Path]:
        """The export rule in force: ``("ratio", r)``, ``("price", p)`` or ``("file", path)``."""
        if self.export_price is not None:
            return "price", self.export_price
        if self.export_file is not None:
            return "file", self.export_file
        return "ratio", DEFAULT_EXPORT_RATIO if self.export_ratio is None else self.export_ratio


class FlatTariff(_TariffBase):
    """One import price at all times."""

    kind: Literal["flat"] = "flat"
    price: Price = Field(description="Import price, currency/kWh (>= 0).")


class TouTariff(_TariffBase):
    """Time-of-use: a default price overridden by periods (a later period wins on overlap)."""

    kind: Literal["tou"] = "tou"
    default_price: Price = Field(description="Price outside every period, currency/kWh (>= 0).")
    periods: list[TouPeriod] = Field(default_factory=list,
                                     description="Priced periods; a later one wins on overlap.")



BaseTariff = Annotated[FlatTariff | TouTariff, Field(discriminator="kind")]


def _no_export_on_base(base: FlatTariff | TouTariff, kind: str) -> None:
    set_here = [name for name in _EXPORT_FIELDS if getattr(base, name) is not None]
    if set_here:
        raise ValueError(f"base sets {', '.join(set_here)}; give the export rule on the {kind} "
                         "tariff itself (it follows the event prices), not on its base")


class CppTariff(_TariffBase):
    """Critical peak pricing: a base tariff, replaced by ``critical_price`` in event hours.

    Event days are either listed (``event_days``) or drawn (``events_per_year`` weekdays per local
    calendar year from ``event_months``, seeded).
    """

    kind: Literal["cpp"] = "cpp"
    base: BaseTariff = Field(description="Tariff outside events (flat or ToU).")
    critical_price: Price = Field(default=0.40, description="Import price in event hours, "
                                  "currency/kWh (>= 0); replaces the base price.")
    event_hours: LocalHours = Field(default=list(PEAK_HOURS),
                                   description="Local start hours 0..23 of an event day's event.")
    event_days: list[date] | None = Field(default=None, description="Explicit local event dates.")
    events_per_year: int | None = Field(default=None, ge=0, le=366,
                                        description="Event days drawn per local calendar year.")
    event_months: Months = Field(default=list(HOT_MONTHS),
                                    description="Months 1..12 drawn event days come from.")
    seed: int = Field(default=0, ge=0, description="Seed of the event-day draw.")




    @model_validator(mode="after")
    def _days_or_draw(self) -> CppTariff:
        if (self.event_days is None) == (self.events_per_year is None):
            raise ValueError("give exactly one of event_days (explicit dates) and events_per_year "
                             "(a seeded draw of weekdays in event_months)")
        _no_export_on_base(self.base, "cpp")
        return self


class RtpTariff(_TariffBase):
    """Real-time pricing: a series from a file, or a generated one.

    Generated prices are ``(mean_price + daily_amplitude * shape(hour)) * (1 + volatility * z)``,
    clipped below at ``floor``, where ``shape`` has a morning and a larger evening peak (zero daily
    mean, maximum 1) and ``z`` is a unit-variance AR(1) noise with correlation time
    ``correlation_hours``.
    """

    kind: Literal["rtp"] = "rtp"
    file: Path | None = Field(default=None, description="CSV/Parquet with one import price "
                              "(currency/kWh) per step; relative to the case's directory.")
    column: str | None = Field(default=None, description="Column of file; may be left out when "
                               "the file has one numeric column.")
    mean_price: float = Field(default=0.12, description="Mean generated price, currency/kWh.")
    daily_amplitude: float = Field(default=0.04, ge=0,
                                   description="Height of the evening peak over the mean, "
                                   "currency/kWh.")
    volatility: float = Field(default=0.15, ge=0, le=2,
                              description="Relative standard deviation of the noise (0.15 = 15 %).")
    correlation_hours: float = Field(default=3.0, gt=0,
                                     description="Correlation time of the noise, hours.")
    floor: float = Field(default=0.0, description="Lowest generated price, currency/kWh "
                         "(may be negative).")
    seed: int = Field(default=0, ge=0, description="Seed of the noise.")

    @model_validator(mode="after")
    def _file_or_generated(self) -> RtpTariff:
        generation = {"mean_price", "daily_amplitude", "volatility", "correlation_hours", "floor",
                      "seed"} & self.model_fields_set
        if self.file is not None and generation:
            raise ValueError(f"file is given, so {', '.join(sorted(generation))} would be ignored; "
                             "give either a file or generation parameters")
        if self.column is not None and self.file is None:
            raise ValueError("column is set but file is not; name the file too")
        if self.file is None:
            _check_price("mean_price", self.mean_price, allow_negative=True)
            _check_price("floor", self.floor, allow_negative=True)
            if self.floor > self.mean_price:
                raise ValueError(f"floor {self.floor} is above mean_price {self.mean_price}; "
                                 "the floor must not exceed the mean")
        return self


class EdrTariff(_TariffBase):
    """Emergency demand response: each local day is an event day with ``event_probability``."""

    kind: Literal["edr"] = "edr"
    base: BaseTariff = Field(description="Tariff outside events (flat or ToU).")
    event_price: Price = Field(default=0.80, description="Import price in event hours, "
                               "currency/kWh (>= 0); replaces the base price.")
    event_probability: float = Field(default=0.07, description="Chance 0..1 that a day has an "
                                     "event (typical 0.05-0.10).")
    event_hours: LocalHours = Field(default=list(PEAK_HOURS),
                                   description="Local start hours 0..23 of an event.")
    seed: int = Field(default=0, ge=0, description="Seed of the daily draw.")


    @field_validator("event_probability")
    @classmethod
    def _probability(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"event_probability is {value}; allowed is 0..1 (typical 0.05-0.10)")
        return value


    @model_validator(mode="after")
    def _base_export(self) -> EdrTariff:
        _no_export_on_base(self.base, "edr")
        return self


Tariff = Annotated[FlatTariff | TouTariff | CppTariff | RtpTariff | EdrTariff,
                   Field(discriminator="kind")]
"""Any tariff, told apart by its ``kind`` field."""

AnyTariff = FlatTariff | TouTariff | CppTariff | RtpTariff | EdrTariff
"""Plain union of the tariff models, for type hints."""

_TARIFF_ADAPTER: TypeAdapter = TypeAdapter(Tariff, config=ConfigDict(title="Tariff"))


def parse_tariff(data: Mapping | BaseModel) -> AnyTariff:
    """Validate a mapping (from YAML/JSON) into a tariff model.

    Raises
    ------
    pydantic.ValidationError
        A ``ValueError`` naming each bad field's path and what is allowed.

    Examples
    --------
    >>> parse_tariff({"kind": "flat", "price": 0.25}).export_rule()
    ('ratio', 0.4)
    """
    if isinstance(data, BaseModel):
        data = data.model_dump(exclude_unset=True)
    return _TARIFF_ADAPTER.validate_python(data)


def three_level_tou(off: float = 0.08, mid: float = 0.12, on: float = 0.20,
                    mid_hours: Sequence[int] = MID_HOURS, on_hours: Sequence[int] = PEAK_HOURS,
                    weekdays: Sequence[int] = ALL_WEEKDAYS, months: Sequence[int] = ALL_MONTHS,
                    **export: float | str | Path | None) -> TouTariff:
    """Off / mid / on-peak ToU tariff (defaults 0.08 / 0.12 / 0.20 currency/kWh).

    Off-peak is the default; mid-peak then on-peak periods apply on ``weekdays`` in ``months``
    (on-peak wins where the hour lists overlap). ``export`` passes ``export_ratio`` etc. through.

    Parameters
    ----------
    off, mid, on : float
        Off-, mid- and on-peak import prices, currency/kWh.
    mid_hours, on_hours : sequence of int
        Local start hours 0..23 of mid- and on-peak; defaults :data:`MID_HOURS`, :data:`PEAK_HOURS`.
    weekdays : sequence of int
        Days 0..6 (Monday = 0) with mid/on-peak; default every day.
    months : sequence of int
        Months 1..12 with mid/on-peak; default every month.
    **export
        ``export_ratio``, ``export_price`` or ``export_file`` / ``export_column``.

    Returns
    -------
    TouTariff

    Examples
    --------
    >>> t = three_level_tou()
    >>> [p.name for p in t.periods], t.periods[1].hours
    (['mid-peak', 'on-peak'], [17, 18, 19, 20])
    """
    common = {"weekdays": list(weekdays), "months": list(months)}
    return TouTariff(default_price=off, periods=[
        TouPeriod(name="mid-peak", price=mid, hours=list(mid_hours), **common),
        TouPeriod(name="on-peak", price=on, hours=list(on_hours), **common),
    ], **export)


# --------------------------------------------------------------------------------------------
# pure price functions
# --------------------------------------------------------------------------------------------


def flat_prices(index: pd.DatetimeIndex, price: float) -> pd.Series:
    """One price at every step, currency/kWh.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Time-zone-aware step-start labels.
    price : float
        Import price, currency/kWh (>= 0).

    Returns
    -------
    pandas.Series
        ``import_price`` per step, currency/kWh.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="h", tz="UTC")
    >>> flat_prices(idx, 0.25).tolist()
    [0.25, 0.25, 0.25]
    """
    _check_index(index)
    price = _check_price("price", price)
    return pd.Series(np.full(len(index), price), index=index, name="import_price")


def tou_prices(index: pd.DatetimeIndex, default_price: float,
               periods: Sequence[TouPeriod | Mapping]) -> pd.Series:
    """Time-of-use prices, currency/kWh; hours, weekdays and months local to ``index``.

    Later periods override earlier ones where they overlap.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Time-zone-aware step-start labels; a step is priced by its local start hour.
    default_price : float
        Price outside every period, currency/kWh (>= 0).
    periods : sequence of TouPeriod or mappings
        Priced periods (mappings are validated as :class:`TouPeriod`).

    Returns
    -------
    pandas.Series
        ``import_price`` per step, currency/kWh.

    Examples
    --------
    >>> idx = pd.date_range("2024-07-01 16:00", periods=3, freq="h", tz="Europe/Lisbon")
    >>> tou_prices(idx, 0.10, [{"name": "peak", "price": 0.30, "hours": [17]}]).tolist()
    [0.1, 0.3, 0.1]
    """
    _check_index(index)
    prices = np.full(len(index), _check_price("default_price", default_price))
    hour, weekday, month = index.hour, index.day_of_week, index.month
    for period in periods:  # a handful of periods; each is one vectorised mask over all steps
        if not isinstance(period, TouPeriod):
            period = TouPeriod.model_validate(period)
        mask = (np.isin(hour, period.hours) & np.isin(weekday, period.weekdays)
                & np.isin(month, period.months))
        prices[mask] = period.price
    return pd.Series(prices, index=index, name="import_price")


def cpp_event_days(years: Iterable[int], events_per_year: int, seed: int = 0,
                   months: Sequence[int] = HOT_MONTHS) -> list[date]:
    """Seeded draw of ``events_per_year`` distinct weekdays (Mon-Fri) in ``months`` of each year.

    Each year is drawn from its own stream, so a year's days do not depend on the other years.

    Parameters
    ----------
    years : iterable of int
        Local calendar years.
    events_per_year : int
        Distinct event days per year (>= 0).
    seed : int
        Seed (>= 0); the same seed gives the same days.
    months : sequence of int
        Months 1..12 the days are drawn from; default :data:`HOT_MONTHS`.

    Returns
    -------
    list of datetime.date
        Event days, in order.

    Examples
    --------
    >>> days = cpp_event_days([2024], 3, seed=1)
    >>> len(days), all(d.weekday() < 5 and d.month in HOT_MONTHS for d in days)
    (3, True)
    """
    months = _check_int_list("months", months, 1, 12, "months")
    if isinstance(events_per_year, bool) or int(events_per_year) != events_per_year \
            or events_per_year < 0:
        raise TariffError(f"events_per_year is {events_per_year!r}; give a whole number >= 0")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise TariffError(f"seed is {seed!r}; give a whole number >= 0")
    out: list[date] = []
    for year in sorted(set(int(y) for y in years)):  # a few calendar years, not time steps
        days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
        candidates = days[(days.day_of_week < 5) & np.isin(days.month, months)]
        if events_per_year > len(candidates):
            raise TariffError(f"events_per_year is {events_per_year} but {year} has only "
                              f"{len(candidates)} weekdays in months {months}; lower it or widen "
                              "event_months")
        rng = np.random.default_rng([int(seed), _SALT_CPP, year])
        chosen = rng.choice(len(candidates), size=int(events_per_year), replace=False)
        out.extend(d.date() for d in candidates[np.sort(chosen)])
    return out


def edr_event_days(years: Iterable[int], event_probability: float, seed: int = 0) -> list[date]:
    """Seeded draw of emergency event days: each local day independently with ``event_probability``.

    Parameters
    ----------
    years : iterable of int
        Local calendar years.
    event_probability : float
        Chance 0..1 that a day has an event.
    seed : int
        Seed (>= 0); day ``k`` of a year always uses the ``k``-th number of that year's stream.

    Returns
    -------
    list of datetime.date
        Event days, in order.

    Examples
    --------
    >>> edr_event_days([2024], 0.0), len(edr_event_days([2024], 1.0))
    ([], 366)
    """
    p = float(event_probability)
    if not 0.0 <= p <= 1.0:
        raise TariffError(f"event_probability is {event_probability}; allowed is 0..1")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise TariffError(f"seed is {seed!r}; give a whole number >= 0")
    out: list[date] = []
    for year in sorted(set(int(y) for y in years)):
        days = pd.date_range(f"{year}-01-01", f"{year}-12-31", freq="D")
        # Always draw 366 numbers so day k gets the same number whatever the year's length.
        draws = np.random.default_rng([int(seed), _SALT_EDR, year]).random(366)[: len(days)]
        out.extend(d.date() for d in days[draws < p])
    return out


def _event_frame(index: pd.DatetimeIndex, base_prices: pd.Series | np.ndarray | float,
                 event_price: float, event_hours: Sequence[int], days: Iterable[date],
                 price_name: str) -> pd.DataFrame:
    _check_index(index)
    event_price = _check_price(price_name, event_price)
    hours = _check_int_list("event_hours", event_hours, 0, 23, "local hours")
    base = np.broadcast_to(np.asarray(base_prices, dtype=float), (len(index),)) \
        if np.ndim(base_prices) == 0 else np.asarray(base_prices, dtype=float)
    if base.shape != (len(index),):
        raise TariffError(f"base_prices has shape {base.shape} but index has {len(index)} steps; "
                          "give one base price per step")
    if not np.all(np.isfinite(base)):
        raise TariffError("base_prices holds NaN or infinite values")
    day_array = np.array(sorted(set(days)), dtype="datetime64[D]")
    event = np.isin(_local_dates(index), day_array) & _hours_mask(index, hours)
    prices = np.where(event, event_price, base)
    return pd.DataFrame({"import_price": prices, "event": event}, index=index)


def cpp_prices(index: pd.DatetimeIndex, base_prices: pd.Series | np.ndarray | float,
               critical_price: float = 0.40, event_hours: Sequence[int] = PEAK_HOURS,
               event_days: Iterable[date] | None = None, events_per_year: int | None = None,
               seed: int = 0, event_months: Sequence[int] = HOT_MONTHS) -> pd.DataFrame:
    """Critical peak prices: ``base_prices`` with ``critical_price`` in event hours of event days.

    Give exactly one of ``event_days`` and ``events_per_year`` (drawn by :func:`cpp_event_days`
    for each local calendar year the index touches).

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Time-zone-aware step-start labels.
    base_prices : pandas.Series, numpy.ndarray or float
        Import price outside events, currency/kWh, one per step (or one for all).
    critical_price : float
        Import price in event steps, currency/kWh; replaces the base price.
    event_hours : sequence of int
        Local start hours 0..23 of the event on an event day.
    event_days : iterable of datetime.date, optional
        Explicit local event dates.
    events_per_year : int, optional
        Number of event days drawn per local calendar year (weekdays in ``event_months``).
    seed : int
        Seed of the draw.
    event_months : sequence of int
        Months 1..12 drawn days come from.

    Returns
    -------
    pandas.DataFrame
        ``import_price`` (currency/kWh) and ``event`` (bool), indexed like ``index``.

    Examples
    --------
    >>> idx = pd.date_range("2024-07-01 16:00", periods=3, freq="h", tz="UTC")
    >>> cpp_prices(idx, 0.1, event_days=[date(2024, 7, 1)])["import_price"].tolist()
    [0.1, 0.4, 0.4]
    """
    if (event_days is None) == (events_per_year is None):
        raise TariffError("give exactly one of event_days and events_per_year")
    if event_days is None:
        years = sorted(set(_check_index(index).year.tolist()))
        event_days = cpp_event_days(years, int(events_per_year), seed, event_months)
    return _event_frame(index, base_prices, critical_price, event_hours, event_days,
                        "critical_price")


def edr_prices(index: pd.DatetimeIndex, base_prices: pd.Series | np.ndarray | float,
               event_price: float = 0.80, event_probability: float = 0.07,
               event_hours: Sequence[int] = PEAK_HOURS, seed: int = 0) -> pd.DataFrame:
    """Emergency demand-response prices: ``event_price`` in event hours of randomly drawn days.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Time-zone-aware step-start labels.
    base_prices : pandas.Series, numpy.ndarray or float
        Import price outside events, currency/kWh, one per step (or one for all).
    event_price : float
        Import price in event steps, currency/kWh; replaces the base price.
    event_probability : float
        Chance 0..1 that a local day is an event day (drawn by :func:`edr_event_days`).
    event_hours : sequence of int
        Local start hours 0..23 of an event.
    seed : int
        Seed of the daily draw.

    Returns
    -------
    pandas.DataFrame
        ``import_price`` (currency/kWh) and ``event`` (bool), indexed like ``index``.

    Examples
    --------
    >>> idx = pd.date_range("2024-07-01 16:00", periods=2, freq="h", tz="UTC")
    >>> edr_prices(idx, 0.1, event_probability=1.0)["import_price"].tolist()
    [0.1, 0.8]
    """
    years = sorted(set(_check_index(index).year.tolist()))
    days = edr_event_days(years, event_probability, seed)
    return _event_frame(index, base_prices, event_price, event_hours, days, "event_price")


def _two_peaks(hour: np.ndarray) -> np.ndarray:
    """Morning (08:00) and larger evening (19:00) bump on the 24-hour circle."""

    def bump(centre: float, width: float) -> np.ndarray:
        distance = (hour - centre + 12.0) % 24.0 - 12.0
        return np.exp(-0.5 * (distance / width) ** 2)

    return 0.6 * bump(8.0, 1.5) + bump(19.0, 2.0)


# Normalising constants on a one-minute grid, so the shape has zero daily mean and maximum 1.
_SHAPE_MEAN = float(np.mean(_two_peaks(np.arange(0, 24, 1 / 60))))
_SHAPE_SCALE = float(np.max(_two_peaks(np.arange(0, 24, 1 / 60)))) - _SHAPE_MEAN


def _daily_shape(hour: np.ndarray) -> np.ndarray:
    return (_two_peaks(hour) - _SHAPE_MEAN) / _SHAPE_SCALE


def rtp_prices(index: pd.DatetimeIndex, mean_price: float = 0.12, daily_amplitude: float = 0.04,
               volatility: float = 0.15, seed: int = 0, floor: float = 0.0,
               correlation_hours: float = 3.0) -> pd.Series:
    """Generated real-time prices, currency/kWh.

    ``(mean_price + daily_amplitude * shape(local hour)) * (1 + volatility * z)``, clipped below at
    ``floor``. ``shape`` has a morning and a larger evening peak, zero daily mean and maximum 1;
    ``z`` is a unit-variance AR(1) noise on an hourly grid of each local calendar year (steps
    within one hour share a value) with lag-1 correlation ``exp(-1 / correlation_hours)``. Without
    clipping the expected mean is ``mean_price``.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Time-zone-aware step-start labels.
    mean_price : float
        Mean price, currency/kWh.
    daily_amplitude : float
        Height of the evening peak above the mean, currency/kWh (>= 0).
    volatility : float
        Relative standard deviation of the noise (>= 0; 0.15 = 15 %).
    seed : int
        Seed of the noise (>= 0).
    floor : float
        Lowest price, currency/kWh (may be negative).
    correlation_hours : float
        Correlation time of the noise, hours (> 0).

    Returns
    -------
    pandas.Series
        ``import_price`` per step, currency/kWh.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=48, freq="h", tz="UTC")
    >>> p = rtp_prices(idx, volatility=0.0)
    >>> round(float(p.mean()), 6), int(p.idxmax().hour)
    (0.12, 19)
    """
    _check_index(index)
    mean_price = _check_price("mean_price", mean_price, allow_negative=True)
    floor = _check_price("floor", floor, allow_negative=True)
    for name, value in (("daily_amplitude", daily_amplitude), ("volatility", volatility)):
        if not np.isfinite(value) or value < 0:
            raise TariffError(f"{name} is {value}; it must be a finite number >= 0")
    if not np.isfinite(correlation_hours) or correlation_hours <= 0:
        raise TariffError(f"correlation_hours is {correlation_hours}; it must be > 0 hours")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise TariffError(f"seed is {seed!r}; give a whole number >= 0")

    local_hour = index.hour + index.minute / 60.0
    level = mean_price + daily_amplitude * _daily_shape(np.asarray(local_hour, dtype=float))
    noise = np.zeros(len(index))
    phi = float(np.exp(-1.0 / correlation_hours))
    utc_ns = index.tz_convert("UTC").as_unit("ns").asi8  # pandas 3 may hold "us"
    years = index.year.to_numpy()
    for year in np.unique(years):  # one AR(1) path per local calendar year
        start = pd.Timestamp(f"{year}-01-01").tz_localize(index.tz, nonexistent="shift_forward")
        end = pd.Timestamp(f"{year + 1}-01-01").tz_localize(index.tz, nonexistent="shift_forward")
        n_hours = int(np.ceil((end - start) / pd.Timedelta("1h"))) + 1
        rng = np.random.default_rng([int(seed), _SALT_RTP, int(year)])
        shocks = rng.standard_normal(n_hours)
        first = rng.standard_normal()
        # z_t = phi z_{t-1} + sqrt(1 - phi^2) e_t, started from the stationary law (unit variance).
        path = lfilter([np.sqrt(1 - phi**2)], [1.0, -phi], shocks, zi=[phi * first])[0]
        in_year = years == year
        hour_of_year = (utc_ns[in_year] - start.value) // 3_600_000_000_000  # value is ns
        noise[in_year] = path[hour_of_year]
    prices = np.maximum(level * (1.0 + volatility * noise), floor)
    return pd.Series(prices, index=index, name="import_price")


def read_price_series(path: str | Path, index: pd.DatetimeIndex, column: str | None = None,
                      base_dir: str | Path | None = None, what: str = "price") -> np.ndarray:
    """One price per step from a CSV/Parquet file, currency/kWh.

    Relative ``path`` is read from ``base_dir`` (the case's directory; default the working
    directory). The file must have exactly ``len(index)`` rows; a ``time`` column, if present, is
    checked against ``index``. ``column`` may be left out when the file has a single numeric
    column.

    Parameters
    ----------
    path : str or Path
        CSV or Parquet file.
    index : pandas.DatetimeIndex
        The step-start index the file must match.
    column : str, optional
        Column to read.
    base_dir : str or Path, optional
        Directory a relative ``path`` is read from.
    what : str
        What the series is, for messages ("rtp", "export price").

    Returns
    -------
    numpy.ndarray
        One value per step, currency/kWh.

    Raises
    ------
    TariffError
        Missing file or column, wrong length, non-numeric or NaN values, mismatched times.
    """
    _check_index(index)
    path = Path(path)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    try:
        if column is None:
            frame = read_table(path)
            numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
            if len(numeric) != 1:
                raise TariffError(f"{what} file {str(path)!r} has numeric columns {numeric}; "
                                  "name the one to use with the column setting")
            column = str(numeric[0])
        values = read_column(path, column, index)
    except FileProblem as exc:
        raise TariffError(f"{what} file: {exc}") from exc
    if not np.all(np.isfinite(values)):
        raise TariffError(f"{what} file {str(path)!r} column {column!r} holds infinite values")
    return values


def export_prices(import_prices: pd.Series, export_ratio: float | None = None,
                  export_price: float | None = None,
                  export_series: Sequence[float] | np.ndarray | None = None) -> pd.Series:
    """Export prices aligned with ``import_prices``, currency/kWh; give exactly one rule.

    Parameters
    ----------
    import_prices : pandas.Series or array-like
        Import price per step, currency/kWh.
    export_ratio : float, optional
        Export price as a fraction 0..1 of the import price in the same step.
    export_price : float, optional
        Flat export price, currency/kWh (>= 0).
    export_series : array-like, optional
        One export price per step, currency/kWh (any finite values; negative feed-in prices of
        wholesale-linked contracts are allowed).

    Returns
    -------
    pandas.Series
        ``export_price`` per step, with the index of ``import_prices``.

    Examples
    --------
    >>> imp = pd.Series([0.10, 0.20])
    >>> export_prices(imp, export_ratio=0.5).tolist()
    [0.05, 0.1]
    """
    given = [n for n, v in (("export_ratio", export_ratio), ("export_price", export_price),
                            ("export_series", export_series)) if v is not None]
    if len(given) != 1:
        raise TariffError("give exactly one of export_ratio, export_price and export_series; got "
                          + (", ".join(given) if given else "none"))
    imp = np.asarray(import_prices, dtype=float)
    if export_ratio is not None:
        if not 0.0 <= float(export_ratio) <= 1.0:
            raise TariffError(f"export_ratio is {export_ratio}; allowed is a fraction 0..1")
        values = float(export_ratio) * imp
    elif export_price is not None:
        values = np.full(imp.shape, _check_price("export_price", export_price))
    else:
        values = np.asarray(export_series, dtype=float)
        if values.shape != imp.shape:
            raise TariffError(f"export_series has shape {values.shape} but import_prices has "
                              f"{imp.shape}; give one export price per step")
        if not np.all(np.isfinite(values)):
            raise TariffError("export_series holds NaN or infinite values")
    return pd.Series(values, index=getattr(import_prices, "index", None), name="export_price")


def tariff_prices(tariff: AnyTariff | Mapping,
                  index: pd.DatetimeIndex, base_dir: str | Path | None = None) -> pd.DataFrame:
    """Import and export prices of ``tariff`` for every step of ``index``.

    Parameters
    ----------
    tariff : Tariff or mapping
        A tariff model, or a mapping validated with :func:`parse_tariff`.
    index : pandas.DatetimeIndex
        Time-zone-aware step-start labels; hours/weekdays/months are local to its zone.
    base_dir : str or Path, optional
        Directory relative file paths are read from (the case file's folder).

    Returns
    -------
    pandas.DataFrame
        ``import_price`` and ``export_price`` in currency/kWh, plus a boolean ``event`` column
        for CPP and EDR tariffs.

    Examples
    --------
    >>> idx = pd.date_range("2024-07-01 18:00", periods=2, freq="h", tz="Europe/Lisbon")
    >>> tariff_prices(three_level_tou(), idx).round(3).to_dict("list")
    {'import_price': [0.2, 0.2], 'export_price': [0.08, 0.08]}
    """
    if not isinstance(tariff, _TariffBase):
        tariff = parse_tariff(tariff)
    _check_index(index)

    def base_series(base: FlatTariff | TouTariff) -> pd.Series:
        if isinstance(base, FlatTariff):
            return flat_prices(index, base.price)
        return tou_prices(index, base.default_price, base.periods)

    if isinstance(tariff, FlatTariff | TouTariff):
        frame = base_series(tariff).to_frame()
    elif isinstance(tariff, CppTariff):
        frame = cpp_prices(index, base_series(tariff.base).to_numpy(), tariff.critical_price,
                           tariff.event_hours, tariff.event_days, tariff.events_per_year,
                           tariff.seed, tariff.event_months)
    elif isinstance(tariff, EdrTariff):
        frame = edr_prices(index, base_series(tariff.base).to_numpy(), tariff.event_price,
                           tariff.event_probability, tariff.event_hours, tariff.seed)
    elif tariff.file is not None:
        values = read_price_series(tariff.file, index, tariff.column, base_dir, "rtp")
        frame = pd.DataFrame({"import_price": values}, index=index)
    else:
        frame = rtp_prices(index, tariff.mean_price, tariff.daily_amplitude, tariff.volatility,
                           tariff.seed, tariff.floor, tariff.correlation_hours).to_frame()

    rule, value = tariff.export_rule()
    if rule == "file":
        series = read_price_series(value, index, tariff.export_column, base_dir, "export price")
        export = export_prices(frame["import_price"], export_series=series)
    elif rule == "price":
        export = export_prices(frame["import_price"], export_price=value)
    else:
        export = export_prices(frame["import_price"], export_ratio=value)
    frame.insert(1, "export_price", export.to_numpy())
    return frame
