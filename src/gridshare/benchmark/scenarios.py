"""Tariff scenarios for benchmarking: ToU, CPP, RTP and EDR, each with or without P2P trading.

A :class:`Scenario` is a small frozen record (tariff, P2P on/off, export ratio, community spread,
seed, tariff parameters). :func:`price_matrix` turns many scenarios into import, export and
community prices at once, vectorised over scenarios, so a surrogate model can price thousands of
new scenarios in a fraction of a second.

Prices (currency/kWh), read on the local clock of the time index
------------------------------------------------------------------
``tou``
    ``tou_off`` by default, ``tou_mid`` in :data:`gridshare.tariffs.MID_HOURS` (07:00-16:59 and
    21:00-21:59) and ``tou_on`` in :data:`gridshare.tariffs.PEAK_HOURS` (17:00-20:59); the same
    hours as :func:`gridshare.tariffs.three_level_tou`.
``cpp``
    The ToU prices, with ``cpp_critical`` in the on-peak hours of critical days. Each local day is
    a critical day with probability ``cpp_probability`` (seeded draw per day).
``rtp``
    ``(rtp_mean + rtp_amplitude * shape(hour)) * (1 + rtp_volatility * z)``, floored at 0, where
    ``shape`` is the daily pattern of :func:`gridshare.tariffs.rtp_prices` (morning and larger
    evening peak, zero daily mean, maximum 1) and ``z`` a unit-variance hourly AR(1) noise with
    lag-one correlation ``exp(-1/3)`` (steps within one hour share a value).
``edr``
    The ToU prices, with ``edr_price`` in emergency hours. Each hour of the horizon is an
    emergency hour with probability ``edr_probability`` (seeded draw per hour).

Export price = ``export_ratio * import``; community (P2P) price = ``export + community_spread *
(import - export)``, so it always lies between the export and import price.

Random draws use a counter-based hash of (seed, stream, position), so a scenario's prices do not
depend on which other scenarios are priced with it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import lfilter
from scipy.special import ndtri

from gridshare.tariffs import MID_HOURS, PEAK_HOURS

TARIFFS = ("tou", "cpp", "rtp", "edr")
"""Tariff families a scenario may use."""

TOU_PARAMETERS = {"tou_off": 0.08, "tou_mid": 0.12, "tou_on": 0.20}
TARIFF_PARAMETERS: dict[str, dict[str, float]] = {
    "tou": dict(TOU_PARAMETERS),
    "cpp": {**TOU_PARAMETERS, "cpp_critical": 0.40, "cpp_probability": 1.0},
    "rtp": {"rtp_mean": 0.12, "rtp_amplitude": 0.04, "rtp_volatility": 0.15},
    "edr": {**TOU_PARAMETERS, "edr_price": 0.80, "edr_probability": 0.075},
}
"""Parameters of each tariff and their defaults (prices currency/kWh, probabilities 0..1)."""

PARAMETER_NAMES: tuple[str, ...] = tuple(dict.fromkeys(
    name for params in TARIFF_PARAMETERS.values() for name in params))
"""Every tariff parameter, in record column order."""

PROBABILITIES = ("cpp_probability", "edr_probability")

DEFAULT_RANGES: dict[str, tuple[float, float]] = {
    "export_ratio": (0.2, 0.6),
    "community_spread": (0.3, 0.7),
    "tou_off": (0.06, 0.10),
    "tou_mid": (0.10, 0.14),
    "tou_on": (0.16, 0.24),
    "cpp_critical": (0.30, 0.50),
    "cpp_probability": (0.5, 1.0),
    "rtp_mean": (0.09, 0.15),
    "rtp_amplitude": (0.02, 0.06),
    "rtp_volatility": (0.05, 0.25),
    "edr_price": (0.60, 1.00),
    "edr_probability": (0.05, 0.10),
}
"""Uniform ranges :func:`generate_scenarios` draws from (currency/kWh or fractions)."""

RTP_CORRELATION_HOURS = 3.0
"""Correlation time of the RTP noise, h (lag-one correlation ``exp(-1/3)`` per hour)."""

_STREAM_CPP, _STREAM_EDR, _STREAM_RTP = 11, 12, 13
_SCALARS = ("export_ratio", "community_spread")


def _check_unit(name: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"{name} is {value}; it must be a number in [0, 1]")
    return value


@dataclass(frozen=True)
class Scenario:
    """One tariff scenario.

    Parameters
    ----------
    tariff : str
        One of :data:`TARIFFS`.
    p2p : bool
        Whether buildings may trade energy through the community pool.
    export_ratio : float
        Export price as a fraction of the import price in the same step, 0..1.
    community_spread : float
        Position of the community price between export (0) and import (1) price, 0..1.
    seed : int
        Seed of the CPP/EDR event draws and the RTP noise (>= 0).
    params : tuple of (str, float)
        Tariff parameters (see :data:`TARIFF_PARAMETERS`); left-out ones take their defaults.
        Stored complete and sorted, so equal scenarios compare and hash equal.

    Examples
    --------
    >>> s = Scenario("tou", p2p=True)
    >>> same = Scenario("tou", True, params=(("tou_on", 0.2),))
    >>> dict(s.params)["tou_on"], s.scenario_id == same.scenario_id
    (0.2, True)
    """

    tariff: str
    p2p: bool
    export_ratio: float = 0.4
    community_spread: float = 0.5
    seed: int = 0
    params: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        if self.tariff not in TARIFFS:
            raise ValueError(f"tariff is {self.tariff!r}; allowed: {TARIFFS}")
        if not isinstance(self.p2p, bool | np.bool_):
            raise ValueError(f"p2p is {self.p2p!r}; it must be True or False")
        object.__setattr__(self, "p2p", bool(self.p2p))
        for name in _SCALARS:
            object.__setattr__(self, name, _check_unit(name, getattr(self, name)))
        if isinstance(self.seed, bool) or int(self.seed) != self.seed or self.seed < 0:
            raise ValueError(f"seed is {self.seed!r}; it must be a whole number >= 0")
        object.__setattr__(self, "seed", int(self.seed))
        allowed = TARIFF_PARAMETERS[self.tariff]
        given = dict(self.params.items() if isinstance(self.params, Mapping) else self.params)
        unknown = sorted(set(given) - set(allowed))
        if unknown:
            raise ValueError(f"params {unknown} do not belong to tariff {self.tariff!r}; "
                             f"allowed: {sorted(allowed)}")
        full = {**allowed, **given}
        for name, value in full.items():
            value = float(value)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"params[{name!r}] is {value}; it must be a finite number >= 0")
            if name in PROBABILITIES:
                _check_unit(f"params[{name!r}]", value)
            full[name] = value
        object.__setattr__(self, "params", tuple(sorted(full.items())))

    @property
    def scenario_id(self) -> str:
        """Stable 12-hex-digit id from every field (the same scenario has the same id in any run)."""
        text = json.dumps({"tariff": self.tariff, "p2p": self.p2p,
                           "export_ratio": repr(self.export_ratio),
                           "community_spread": repr(self.community_spread), "seed": self.seed,
                           "params": [[k, repr(v)] for k, v in self.params]}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def to_record(self) -> dict[str, Any]:
        """Flat record: scenario_id, tariff, p2p, export_ratio, community_spread, seed, then every
        name of :data:`PARAMETER_NAMES` (the tariff's own with their values, the others NaN).

        Examples
        --------
        >>> r = Scenario("rtp", False).to_record()
        >>> r["rtp_mean"], bool(np.isnan(r["tou_on"]))
        (0.12, True)
        """
        record: dict[str, Any] = {"scenario_id": self.scenario_id, "tariff": self.tariff,
                                  "p2p": self.p2p, "export_ratio": self.export_ratio,
                                  "community_spread": self.community_spread, "seed": self.seed}
        own = dict(self.params)
        record.update({name: own.get(name, float("nan")) for name in PARAMETER_NAMES})
        return record

    def with_(self, **changes: Any) -> Scenario:
        """A copy with fields or tariff parameters changed.

        Examples
        --------
        >>> Scenario("tou", False).with_(export_ratio=0.3, tou_on=0.25).to_record()["tou_on"]
        0.25
        """
        own = {f.name for f in fields(self)} - {"params"}
        changes = dict(changes)
        params = dict(changes.pop("params", self.params))
        direct = {k: changes.pop(k) for k in list(changes) if k in own}
        if direct.get("tariff", self.tariff) != self.tariff:
            # A new tariff keeps only the parameters it shares with the old one.
            params = {k: v for k, v in params.items()
                      if k in TARIFF_PARAMETERS.get(direct["tariff"], {})}
        unknown = sorted(set(changes) - set(PARAMETER_NAMES))
        if unknown:
            raise ValueError(f"with_ got unknown field(s) {unknown}; allowed: {sorted(own)} and "
                             f"tariff parameters {list(PARAMETER_NAMES)}")
        params.update(changes)
        return replace(self, **direct, params=tuple(params.items()))


def generate_scenarios(n: int, seed: int = 0, tariffs: Sequence[str] = TARIFFS,
                       p2p: Sequence[bool] = (False, True),
                       ranges: dict[str, tuple[float, float]] | None = None) -> list[Scenario]:
    """``n`` scenarios balanced over tariff x P2P, parameters drawn uniformly.

    Scenario ``k`` gets combination ``k mod (len(tariffs) * len(p2p))`` (tariff-major), so the
    classes differ in size by at most one. Each scenario's parameters are drawn uniformly in
    :data:`DEFAULT_RANGES` updated with ``ranges``; its ``seed`` (event draws, RTP noise) is drawn
    too. The same arguments give the same scenarios.

    Parameters
    ----------
    n : int
        Number of scenarios (>= 0).
    seed : int
        Seed of the draw.
    tariffs : sequence of str
        Tariff families to use (subset of :data:`TARIFFS`).
    p2p : sequence of bool
        P2P settings to combine with every tariff.
    ranges : dict of str to (low, high), optional
        Overrides of :data:`DEFAULT_RANGES`; ``low == high`` fixes a value.

    Returns
    -------
    list of Scenario

    Examples
    --------
    >>> s = generate_scenarios(8)
    >>> [(x.tariff, x.p2p) for x in s[:3]], len({x.scenario_id for x in s})
    ([('tou', False), ('tou', True), ('cpp', False)], 8)
    """
    if isinstance(n, bool) or int(n) != n or n < 0:
        raise ValueError(f"n is {n!r}; it must be a whole number >= 0")
    tariffs, p2p = list(tariffs), [bool(x) for x in p2p]
    bad = [t for t in tariffs if t not in TARIFFS]
    if bad or not tariffs:
        raise ValueError(f"tariffs {tariffs} must be a non-empty subset of {TARIFFS}")
    if not p2p:
        raise ValueError("p2p must hold at least one of False, True")
    spans = dict(DEFAULT_RANGES)
    for name, span in (ranges or {}).items():
        if name not in spans:
            raise ValueError(f"ranges has unknown parameter {name!r}; allowed: {sorted(spans)}")
        low, high = (float(v) for v in span)
        if not (math.isfinite(low) and math.isfinite(high) and 0 <= low <= high):
            raise ValueError(f"ranges[{name!r}] is {span}; give (low, high) with 0 <= low <= high")
        spans[name] = (low, high)
    names = list(spans)
    rng = np.random.default_rng([int(seed), 7])
    u = rng.random((int(n), len(names)))
    lows = np.array([spans[k][0] for k in names])
    highs = np.array([spans[k][1] for k in names])
    values = lows + u * (highs - lows)
    seeds = rng.integers(0, 2**31 - 1, size=int(n))
    combos = [(t, q) for t in tariffs for q in p2p]
    out = []
    for k in range(int(n)):
        tariff, with_p2p = combos[k % len(combos)]
        row = dict(zip(names, values[k].tolist(), strict=True))
        params = tuple((name, row[name]) for name in TARIFF_PARAMETERS[tariff])
        out.append(Scenario(tariff, with_p2p, export_ratio=row["export_ratio"],
                            community_spread=row["community_spread"], seed=int(seeds[k]),
                            params=params))
    return out


def scenarios_frame(scenarios: Iterable[Scenario]) -> pd.DataFrame:
    """One row per scenario (index ``scenario_id``), columns of :meth:`Scenario.to_record`.

    Examples
    --------
    >>> scenarios_frame([Scenario("tou", False)]).columns[:3].tolist()
    ['tariff', 'p2p', 'export_ratio']
    """
    records = [s.to_record() for s in scenarios]
    columns = ["scenario_id", "tariff", "p2p", *_SCALARS, "seed", *PARAMETER_NAMES]
    frame = pd.DataFrame.from_records(records, columns=columns)
    return frame.astype({"p2p": bool, "seed": "int64"}).set_index("scenario_id")


# --- prices ---------------------------------------------------------------------------------

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """Counter-based 64-bit hash (SplitMix64 finaliser), vectorised; wraps modulo 2**64."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def uniform_draws(seeds: np.ndarray, stream: int, n: int) -> np.ndarray:
    """Uniform numbers in (0, 1), shape ``(len(seeds), n)``: element (i, j) depends only on
    ``(seeds[i], stream, j)``.

    Examples
    --------
    >>> a = uniform_draws(np.array([1, 2]), 0, 3)
    >>> bool(np.all(a[1] == uniform_draws(np.array([2]), 0, 3)[0])), a.shape
    (True, (2, 3))
    """
    s = np.asarray(seeds, dtype=np.uint64)[:, None]
    j = np.arange(n, dtype=np.uint64)[None, :]
    with np.errstate(over="ignore"):
        key = _splitmix64(_splitmix64(s * np.uint64(1_000_003) + np.uint64(stream)) + j)
    # top 53 bits -> (0, 1), never exactly 0 or 1
    return ((key >> np.uint64(11)).astype(np.float64) + 0.5) / float(2**53)


def _clock(time: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local hour, local day number and horizon hour number of every step."""
    if not isinstance(time, pd.DatetimeIndex) or time.tz is None or len(time) == 0:
        raise ValueError("time must be a non-empty time-zone-aware pandas.DatetimeIndex")
    hour = np.asarray(time.hour, dtype=int)
    day_ns = time.normalize().tz_localize(None).as_unit("ns").asi8
    day = (day_ns - day_ns[0]) // 86_400_000_000_000
    utc = time.tz_convert("UTC").as_unit("ns").asi8
    hour_no = (utc - utc[0]) // 3_600_000_000_000
    return hour, day.astype(int), hour_no.astype(int)


def _rtp_shape(time: pd.DatetimeIndex) -> np.ndarray:
    """The core's RTP daily pattern (zero daily mean, maximum 1) at every step."""
    from gridshare.tariffs import rtp_prices

    return rtp_prices(time, mean_price=0.0, daily_amplitude=1.0, volatility=0.0,
                      floor=-10.0).to_numpy()


def _param_matrix(group: list[Scenario], names: Sequence[str]) -> dict[str, np.ndarray]:
    table = np.array([[dict(s.params)[k] for k in names] for s in group], dtype=float)
    return {k: table[:, i][:, None] for i, k in enumerate(names)}


def price_matrix(scenarios: Sequence[Scenario], time: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Import, export and community prices of many scenarios, currency/kWh.

    Vectorised over scenarios: scenarios are grouped by tariff and each group is priced with
    array operations (10,000 scenarios x 96 steps take a few tens of milliseconds).

    Parameters
    ----------
    scenarios : sequence of Scenario
    time : pandas.DatetimeIndex
        Time-zone-aware step-start labels; hours are read on its local clock.

    Returns
    -------
    dict of str to numpy.ndarray
        ``import_price``, ``export_price``, ``community_price``, each of shape
        ``(len(scenarios), len(time))``.

    Examples
    --------
    >>> t = pd.date_range("2024-07-01", periods=24, freq="h", tz="Europe/Lisbon")
    >>> p = price_matrix([Scenario("tou", False)], t)
    >>> p["import_price"][0, [3, 8, 18]].tolist(), round(float(p["export_price"][0, 18]), 3)
    ([0.08, 0.12, 0.2], 0.08)
    """
    scenarios = list(scenarios)
    hour, day, hour_no = _clock(time)
    n, steps = len(scenarios), len(time)
    imp = np.zeros((n, steps))
    tariff = np.array([s.tariff for s in scenarios], dtype=object)
    level = np.zeros(24, dtype=int)  # 0 off, 1 mid, 2 on
    level[list(MID_HOURS)] = 1
    level[list(PEAK_HOURS)] = 2  # on-peak wins where the hour lists overlap
    step_level = level[hour]
    on_peak = step_level == 2
    for name in TARIFFS:
        rows = np.flatnonzero(tariff == name)
        if not len(rows):
            continue
        group = [scenarios[i] for i in rows]
        p = _param_matrix(group, list(TARIFF_PARAMETERS[name]))
        seeds = np.array([s.seed for s in group], dtype=np.int64)
        if name in ("tou", "cpp", "edr"):
            levels = np.hstack([p["tou_off"], p["tou_mid"], p["tou_on"]])
            price = levels[:, step_level]
            if name == "cpp":
                critical_day = uniform_draws(seeds, _STREAM_CPP, int(day.max()) + 1) < p[
                    "cpp_probability"]
                event = critical_day[:, day] & on_peak[None, :]
                price = np.where(event, p["cpp_critical"], price)
            elif name == "edr":
                emergency = uniform_draws(seeds, _STREAM_EDR, int(hour_no.max()) + 1) < p[
                    "edr_probability"]
                price = np.where(emergency[:, hour_no], p["edr_price"], price)
        else:
            n_hours = int(hour_no.max()) + 1
            phi = math.exp(-1.0 / RTP_CORRELATION_HOURS)
            e = ndtri(uniform_draws(seeds, _STREAM_RTP, n_hours + 1))
            # z_h = phi z_(h-1) + sqrt(1 - phi^2) e_h, started from the stationary law
            z = lfilter([math.sqrt(1 - phi**2)], [1.0, -phi], e[:, 1:], axis=1,
                        zi=phi * e[:, :1])[0]
            shape = _rtp_shape(time)[None, :]
            base = p["rtp_mean"] + p["rtp_amplitude"] * shape
            price = np.maximum(base * (1.0 + p["rtp_volatility"] * z[:, hour_no]), 0.0)
        imp[rows] = price
    ratio = np.array([s.export_ratio for s in scenarios], dtype=float)[:, None]
    spread = np.array([s.community_spread for s in scenarios], dtype=float)[:, None]
    exp = ratio * imp
    community = exp + spread * (imp - exp)
    return {"import_price": imp, "export_price": exp, "community_price": community}


def scenario_prices(scenario: Scenario, time: pd.DatetimeIndex) -> pd.DataFrame:
    """Prices of one scenario as a frame indexed by ``time`` (row 0 of :func:`price_matrix`).

    Examples
    --------
    >>> t = pd.date_range("2024-07-01 17:00", periods=2, freq="h", tz="UTC")
    >>> scenario_prices(Scenario("tou", False), t)["import_price"].tolist()
    [0.2, 0.2]
    """
    p = price_matrix([scenario], time)
    return pd.DataFrame({k: v[0] for k, v in p.items()}, index=time)
