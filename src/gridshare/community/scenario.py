"""The inputs of a community simulation: homes, their series (with history) and batteries.

A :class:`CommunityInputs` holds, per home and step, load and PV energy (kWh per step) and grid
prices (currency/kWh), for the simulated steps preceded by ``history_steps`` steps of history
that forecasters may learn from. It comes from plain arrays (:meth:`CommunityInputs.from_arrays`),
from the seeded default community (:func:`default_community`) or from a case
(:func:`community_from_case`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gridshare.timeindex import make_index

DEFAULT_SITE = (38.72, -9.14, 50.0)
"""Default site: Lisbon (latitude, longitude, altitude m), as a case's default site."""


@dataclass
class CommunityInputs:
    """Series and assets of the homes.

    Attributes
    ----------
    homes : list of str
        Home names.
    times : pandas.DatetimeIndex
        Labels of all steps, history first (time-zone aware).
    step_hours : float
        Step length, h.
    history_steps : int
        Leading steps that are history (not simulated).
    load_kwh, pv_kwh : numpy.ndarray
        Energy per step, kWh, shape (time, home), time including history.
    import_price, export_price : numpy.ndarray
        Grid prices, currency/kWh, shape (time, home).
    battery_kwh, battery_kw : numpy.ndarray
        Each home's own battery capacity (kWh) and power (kW); 0 = none.
    community_battery : dict or None
        ``energy_kwh``, ``power_kw`` of a community battery (central or shared), if any.
    shares : numpy.ndarray or None
        Per-home shares of a shared battery.
    efficiency, soc_initial, soc_min, soc_max : float or numpy.ndarray
        The homes' batteries: charge and discharge efficiency (each), initial SOC and SOC
        bounds as fractions of capacity; one value or one per home. A community battery takes
        its own from ``community_battery`` (keys of the same names) or else the mean.
    """

    homes: list[str]
    times: pd.DatetimeIndex
    step_hours: float
    history_steps: int
    load_kwh: np.ndarray
    pv_kwh: np.ndarray
    import_price: np.ndarray
    export_price: np.ndarray
    battery_kwh: np.ndarray
    battery_kw: np.ndarray
    community_battery: dict[str, float] | None = None
    shares: np.ndarray | None = None
    efficiency: float | np.ndarray = 0.95
    soc_initial: float | np.ndarray = 0.5
    soc_min: float | np.ndarray = 0.0
    soc_max: float | np.ndarray = 1.0
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def n_homes(self) -> int:
        """Number of homes."""
        return len(self.homes)

    @property
    def n_steps(self) -> int:
        """Number of simulated steps (history excluded)."""
        return len(self.times) - self.history_steps

    @property
    def sim_times(self) -> pd.DatetimeIndex:
        """Labels of the simulated steps."""
        return self.times[self.history_steps:]

    def validate(self) -> None:
        """Raise ``ValueError`` naming a bad field, its value and what is allowed."""
        n, t = self.n_homes, len(self.times)
        if n < 1:
            raise ValueError(f"homes must hold at least one home; got {self.homes}")
        if len(set(self.homes)) != n or "community" in self.homes:
            raise ValueError(f"home names must be unique and not 'community'; got {self.homes}")
        if not 0 <= self.history_steps < t:
            raise ValueError(f"history_steps must be in [0, {t}); got {self.history_steps}")
        if not (np.isfinite(self.step_hours) and self.step_hours > 0):
            raise ValueError(f"step_hours must be > 0 h; got {self.step_hours}")
        for name in ("load_kwh", "pv_kwh", "import_price", "export_price"):
            arr = getattr(self, name)
            if arr.shape != (t, n):
                raise ValueError(f"{name} must have shape (time, home) = {(t, n)}; got "
                                 f"{arr.shape}")
            if not np.isfinite(arr).all():
                raise ValueError(f"{name} must be finite; found {arr[~np.isfinite(arr)][:3]}")
            if name.endswith("kwh") and (arr < 0).any():
                raise ValueError(f"{name} must be >= 0 kWh; found {arr[arr < 0][:3].tolist()}")
        for name in ("battery_kwh", "battery_kw"):
            arr = getattr(self, name)
            if arr.shape != (n,) or (arr < 0).any() or not np.isfinite(arr).all():
                raise ValueError(f"{name} must hold {n} finite values >= 0; got {arr.tolist()}")

    @classmethod
    def from_arrays(cls, load_kw: Any, pv_kw: Any = 0.0, import_price: Any = 0.15,
                    export_price: Any = 0.05, *, step_hours: float = 1.0,
                    homes: list[str] | None = None, battery_kwh: Any = 0.0,
                    battery_kw: Any = None, start: str = "2024-06-15",
                    timezone: str = "UTC", history_steps: int = 0, efficiency: float = 0.95,
                    soc_initial: float = 0.5, community_battery: dict | None = None,
                    shares: Any = None) -> CommunityInputs:
        """Inputs from arrays in kW laid out (home, time), like :class:`~gridshare.model.ModelInputs`.

        Parameters
        ----------
        load_kw, pv_kw : array_like
            Mean power per home and step, kW, shape (home, time) or broadcastable to it.
        import_price, export_price : array_like
            Grid prices, currency/kWh, broadcastable to (home, time). Defaults 0.15 and 0.05.
        step_hours : float
            Step length, h.
        homes : list of str, optional
            Names; default ``h0, h1, ...``.
        battery_kwh, battery_kw : array_like
            Each home's battery capacity (kWh) and power (kW, default half the capacity per h).
        start, timezone : str
            First label and its zone.
        history_steps : int
            Leading steps that are history only.
        efficiency, soc_initial : float
            Battery efficiency (charge and discharge each) and initial SOC fraction.
        community_battery : dict, optional
            ``{"energy_kwh": ..., "power_kw": ...}`` for a central or shared battery.
        shares : array_like, optional
            Shares of a shared battery per home.

        Examples
        --------
        >>> ci = CommunityInputs.from_arrays([[1.0, 2.0], [0.0, 0.0]], pv_kw=[[0, 0], [3, 3]])
        >>> ci.n_homes, ci.n_steps, ci.load_kwh[:, 0].tolist()
        (2, 2, [1.0, 2.0])
        """
        load = np.atleast_2d(np.asarray(load_kw, dtype=float))
        n, t = load.shape
        homes = [f"h{i}" for i in range(n)] if homes is None else [str(h) for h in homes]
        if len(homes) != n:
            raise ValueError(f"homes has {len(homes)} names but load_kw has {n} rows")

        def grid(values: Any, name: str) -> np.ndarray:
            try:
                return np.broadcast_to(np.asarray(values, dtype=float), (n, t)).T.copy()
            except ValueError as exc:
                raise ValueError(f"{name} has shape {np.shape(values)}, which does not "
                                 f"broadcast to (home, time) = {(n, t)}") from exc

        times = make_index(start, pd.Timedelta(hours=float(step_hours)), timezone, periods=t)
        energy = np.broadcast_to(np.asarray(battery_kwh, dtype=float), (n,)).copy()
        power = energy / 2.0 if battery_kw is None else np.broadcast_to(
            np.asarray(battery_kw, dtype=float), (n,)).copy()
        ci = cls(homes=homes, times=times, step_hours=float(step_hours),
                 history_steps=int(history_steps), load_kwh=grid(load, "load_kw") * step_hours,
                 pv_kwh=grid(pv_kw, "pv_kw") * step_hours,
                 import_price=grid(import_price, "import_price"),
                 export_price=grid(export_price, "export_price"), battery_kwh=energy,
                 battery_kw=power, community_battery=community_battery,
                 shares=None if shares is None else np.asarray(shares, dtype=float),
                 efficiency=float(efficiency), soc_initial=float(soc_initial))
        ci.validate()
        return ci


def _prices(tariff: Any, times: pd.DatetimeIndex, grid_buy: float,
            grid_sell: float) -> tuple[np.ndarray, np.ndarray]:
    if tariff is None:
        for name, value in (("grid_buy", grid_buy), ("grid_sell", grid_sell)):
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a price >= 0 per kWh; got {value}")
        return np.full(len(times), float(grid_buy)), np.full(len(times), float(grid_sell))
    from gridshare.tariffs import tariff_prices

    frame = tariff_prices(tariff, times)
    return frame["import_price"].to_numpy(float), frame["export_price"].to_numpy(float)


def default_community(homes: int = 5, steps: int = 48, *, seed: int = 0,
                      resolution: str = "1h", start: str = "2024-06-15",
                      timezone: str = "Europe/Lisbon", site: Any = None, pv_kwp: Any = 5.0,
                      annual_kwh: Any = None, battery_kwh: float = 10.0,
                      battery_kw: float = 5.0, tariff: Any = None, grid_buy: float = 0.15,
                      grid_sell: float = 0.05, history_days: float = 7.0,
                      efficiency: float = 0.95, soc_initial: float = 0.5) -> CommunityInputs:
    """The seeded default community: residential loads, rooftop PV at one site, batteries.

    Parameters
    ----------
    homes : int
        Number of homes (>= 1).
    steps : int
        Simulated steps (>= 1).
    seed : int
        Base seed: annual consumptions and each home's load and cloud noise derive from it.
    resolution, start, timezone : str
        Step length (5 min ... 1 h), first simulated step, zone.
    site : gridshare.profiles.Site, optional
        Default Lisbon (:data:`DEFAULT_SITE`).
    pv_kwp : float or array_like
        PV peak power per home, kWp (default 5; 0 = no PV).
    annual_kwh : float or array_like, optional
        Annual consumption per home, kWh; default drawn uniformly in [2500, 5500] from the seed.
    battery_kwh, battery_kw : float
        Each home's battery, kWh and kW (the community battery is the sum in central/shared).
    tariff : tariff model or mapping, optional
        Any tariff of :mod:`gridshare.tariffs`; default flat ``grid_buy`` / ``grid_sell``.
    grid_buy, grid_sell : float
        Flat import and export prices, currency/kWh (defaults 0.15 and 0.05).
    history_days : float
        Days of history before ``start`` for the forecasters.
    efficiency, soc_initial : float
        Battery efficiency each way, initial SOC fraction.

    Returns
    -------
    CommunityInputs

    Examples
    --------
    >>> ci = default_community(homes=2, steps=24, history_days=1)
    >>> ci.load_kwh.shape, round(float(ci.pv_kwh.max()), 1) <= 5.0
    ((48, 2), True)
    """
    from gridshare.profiles import Site, pv_powers, sector_loads

    if int(homes) < 1 or int(steps) < 1:
        raise ValueError(f"homes and steps must be >= 1; got homes={homes}, steps={steps}")
    if not history_days >= 0:
        raise ValueError(f"history_days must be >= 0; got {history_days}")
    homes, steps = int(homes), int(steps)
    delta = pd.Timedelta(resolution)
    history = round(pd.Timedelta(days=float(history_days)) / delta)
    first = pd.Timestamp(start).tz_localize(timezone) - history * delta
    times = make_index(first, delta, timezone, periods=history + steps)
    rng = np.random.default_rng(seed)
    annual = rng.uniform(2500.0, 5500.0, homes) if annual_kwh is None else annual_kwh
    seeds = [int(s) for s in rng.integers(0, 2**31 - 1, size=2 * homes)]
    hours = delta / pd.Timedelta(hours=1)
    load = sector_loads("residential", times, annual, seeds=seeds[:homes])
    if site is None:
        site = Site(*DEFAULT_SITE, timezone)
    kwp = np.broadcast_to(np.asarray(pv_kwp, dtype=float), (homes,))
    pv = np.zeros_like(load)
    if (kwp > 0).any():
        pv = pv_powers(site, times, kwp=kwp, seeds=seeds[homes:])
    imp, exp = _prices(tariff, times, grid_buy, grid_sell)
    ci = CommunityInputs(
        homes=[f"h{i:0{len(str(homes - 1))}d}" for i in range(homes)], times=times,
        step_hours=hours, history_steps=history, load_kwh=load.T * hours, pv_kwh=pv.T * hours,
        # One tariff for all homes: read-only broadcast views instead of (time, home) copies.
        import_price=np.broadcast_to(imp[:, None], (len(times), homes)),
        export_price=np.broadcast_to(exp[:, None], (len(times), homes)),
        battery_kwh=np.full(homes, float(battery_kwh)), battery_kw=np.full(homes, float(battery_kw)),
        efficiency=float(efficiency), soc_initial=float(soc_initial),
        attrs={"seed": seed, "source": "default community"})
    ci.validate()
    return ci


def community_from_case(case: Any, history_days: float = 0.0) -> CommunityInputs:
    """Inputs from a case: its members' loads, PV (+ wind) and tariffs, and their batteries.

    Members' batteries become the homes' own; ``community.battery`` or ``community.shared_battery``
    (with its shares) becomes the community battery. With ``history_days`` > 0 the case's
    horizon is extended backwards for the forecasters (files must cover it).

    Parameters
    ----------
    case : gridshare.case.Case
    history_days : float
        Days of history before the case's first step.

    Returns
    -------
    CommunityInputs
    """
    from gridshare.case import Case, TimeSpec
    from gridshare.model.from_case import inputs_from_case

    if not isinstance(case, Case):
        raise ValueError(f"case must be a gridshare.case.Case; got {type(case).__name__}")
    index = case.time_index()
    delta = index[1] - index[0] if len(index) > 1 else pd.Timedelta(case.time.resolution)
    history = round(pd.Timedelta(days=float(history_days)) / delta)
    if history:
        first = index[0] - history * delta
        spec = TimeSpec(start=first.tz_localize(None).to_pydatetime(),
                        periods=history + len(index), resolution=case.time.resolution,
                        timezone=case.time.timezone)
        case = case.model_copy(update={"time": spec})
    mi = inputs_from_case(case)
    hours = float(mi.step_hours)
    names = list(mi.members)
    b = mi.batteries
    own = b[b["owner"].isin(names)]
    energy = np.zeros(len(names))
    power = np.zeros(len(names))
    pos = {n: i for i, n in enumerate(names)}
    for _, row in own.iterrows():
        energy[pos[row["owner"]]] += row["energy_kwh"]
        power[pos[row["owner"]]] += min(row["charge_kw"], row["discharge_kw"])
    community_battery = shares = None
    central = b[b["owner"] == "community"]
    # The engine's batteries have one efficiency each way: the round trip is kept.
    round_trip = np.sqrt(b["charge_efficiency"] * b["discharge_efficiency"])
    fractions = {"efficiency": np.full(len(names), 0.95), "soc_initial": np.full(len(names), 0.5),
                 "soc_min": np.zeros(len(names)), "soc_max": np.ones(len(names))}
    for key, row in own.iterrows():
        i = pos[row["owner"]]
        fractions["efficiency"][i] = round_trip[key]
        for col in ("soc_initial", "soc_min", "soc_max"):
            fractions[col][i] = row[col]
    if len(central):
        row = central.iloc[0]
        community_battery = {"energy_kwh": float(row["energy_kwh"]),
                             "power_kw": float(min(row["charge_kw"], row["discharge_kw"])),
                             "efficiency": float(round_trip[central.index[0]]),
                             "soc_initial": float(row["soc_initial"]),
                             "soc_min": float(row["soc_min"]), "soc_max": float(row["soc_max"])}
        if mi.battery_shares is not None and central.index[0] in mi.battery_shares.index:
            shares = mi.battery_shares.loc[central.index[0]].reindex(names).to_numpy(float)
    gen = (mi.pv_kw + mi.wind_kw).values.T * hours
    ci = CommunityInputs(homes=names, times=mi.time, step_hours=hours, history_steps=history,
                         load_kwh=mi.load_kw.values.T * hours, pv_kwh=gen,
                         import_price=mi.import_price.values.T.copy(),
                         export_price=mi.export_price.values.T.copy(), battery_kwh=energy,
                         battery_kw=power, community_battery=community_battery, shares=shares,
                         **fractions, attrs={"source": f"case {case.name!r}"})
    ci.validate()
    return ci
