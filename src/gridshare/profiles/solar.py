"""PV output from pvlib physics and a stochastic clear-sky index.

Pipeline of :func:`pv_powers`, for every full local calendar year the index touches:

1. solar position (:func:`pvlib.solarposition.get_solarposition`) and Ineichen clear sky
   (:meth:`pvlib.location.Location.get_clearsky`), both at step *midpoints* so that a step's value
   represents its whole interval (labels stay step starts);
2. GHI = clear-sky index x clear-sky GHI, split into DNI/DHI with :func:`pvlib.irradiance.erbs`
   (``stochastic=False`` uses the Ineichen GHI/DNI/DHI directly; ``weather`` uses measured values);
3. plane-of-array irradiance with :func:`pvlib.irradiance.get_total_irradiance` (Hay-Davies sky
   diffuse, ground albedo 0.2, apparent zenith);
4. cell temperature with :func:`pvlib.temperature.faiman` (air temperature and wind from the
   weather, else :func:`seasonal_air_temperature` and 1 m/s);
5. DC power with :func:`pvlib.pvsystem.pvwatts_dc` (``pdc0 = kwp``, plane-of-array irradiance as
   effective irradiance), times ``1 - losses``;
6. AC power with :func:`pvlib.inverter.pvwatts` (AC rating ``kwp / dc_ac_ratio``).

Shared quantities (solar position, clear sky, air temperature) are computed once per site and
year; member arrays are ``(n_members, n_steps)`` and members are processed in chunks to bound
memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pvlib
from scipy.special import betaincinv, ndtr

from gridshare.profiles.load import (
    STREAM_CLOUD,
    ar1_filter,
    check_annual,
    check_fraction,
    check_index,
    check_seeds,
    rng_for,
    scale_to_annual,
    step_phi,
    year_blocks,
)

if TYPE_CHECKING:
    from gridshare.profiles.weather import Weather

__all__ = ["Site", "clear_sky", "clear_sky_index", "clear_sky_indices", "pv_power", "pv_powers",
           "seasonal_air_temperature"]

_CHUNK = 128  # members per vectorised block: bounds temporaries to ~chunk x steps floats
_ALBEDO = 0.2
_OVERCAST_DEPTH = 0.8  # clear-sky index of a fully overcast day is 1 - 0.8
_REGIME_CONCENTRATION = 1.5  # Beta(a, b) with a + b = 1.5: many clear and many overcast days


@dataclass(frozen=True)
class Site:
    """A location.

    Parameters
    ----------
    latitude : float
        Degrees north, in [-90, 90].
    longitude : float
        Degrees east, in [-180, 180].
    altitude : float, default 0
        Metres above sea level.
    timezone : str, default "UTC"
        IANA name or fixed offset (``"Etc/GMT+7"``, ``"+05:30"``).

    Examples
    --------
    >>> Site(39.742, -105.179, 1829, "Etc/GMT+7").latitude
    39.742
    """

    latitude: float
    longitude: float
    altitude: float = 0.0
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        for name in ("latitude", "longitude", "altitude"):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, float(value))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name} = {value!r} is not a number") from exc
        if not (np.isfinite(self.latitude) and -90.0 <= self.latitude <= 90.0):
            raise ValueError(
                f"latitude = {self.latitude!r} is not allowed; use degrees in [-90, 90]")
        if not (np.isfinite(self.longitude) and -180.0 <= self.longitude <= 180.0):
            raise ValueError(
                f"longitude = {self.longitude!r} is not allowed; use degrees east in [-180, 180]"
            )
        if not np.isfinite(self.altitude) or self.altitude < -500.0 or self.altitude > 9000.0:
            raise ValueError(f"altitude = {self.altitude!r} is not allowed; use metres in "
                             "[-500, 9000]")
        try:
            pd.Timestamp("2000-01-01", tz="UTC").tz_convert(self.timezone)
        except Exception as exc:
            raise ValueError(
                f"timezone = {self.timezone!r} is not a time zone; use an IANA name such as "
                "'America/Denver' or a fixed offset such as 'Etc/GMT+7'"
            ) from exc

    def location(self) -> pvlib.location.Location:
        """The equivalent :class:`pvlib.location.Location`."""
        return pvlib.location.Location(self.latitude, self.longitude, self.timezone,
                                       self.altitude)


def _midpoints(index: pd.DatetimeIndex, hours: float) -> pd.DatetimeIndex:
    return index + pd.Timedelta(hours=hours / 2.0)


def clear_sky(site: Site, index: pd.DatetimeIndex) -> pd.DataFrame:
    """Ineichen clear-sky irradiance, W/m².

    Evaluated at step midpoints (a step ``[t, t + dt)`` gets the value at ``t + dt/2``), with
    the Linke turbidity from pvlib's monthly climatology and the site's altitude.

    Parameters
    ----------
    site : Site
    index : pandas.DatetimeIndex
        Time-zone-aware regular step-start index.

    Returns
    -------
    pandas.DataFrame
        Columns ``ghi``, ``dni``, ``dhi`` in W/m² on ``index``.

    Examples
    --------
    >>> idx = pd.date_range("2023-06-21 12:00", periods=1, freq="h", tz="Etc/GMT+7")
    >>> cs = clear_sky(Site(39.742, -105.179, 1829, "Etc/GMT+7"), idx)
    >>> bool(cs["ghi"].iloc[0] > 900)
    True
    """
    hours = check_index(index)
    mid = _midpoints(index, hours)
    cs = site.location().get_clearsky(mid, model="ineichen")
    return pd.DataFrame({c: cs[c].to_numpy() for c in ("ghi", "dni", "dhi")}, index=index)


def seasonal_air_temperature(site: Site, index: pd.DatetimeIndex) -> pd.Series:
    """A simple air-temperature climatology, °C, at step midpoints.

    Annual mean ``29 - 0.3 |latitude| - 0.004 altitude``; seasonal amplitude ``0.3 |latitude|``
    (at most 15 K) with the coldest day on 20 January (20 July south of the equator); diurnal
    amplitude 6 K with the maximum at 15:00 local solar time. Used when no weather is given.

    Examples
    --------
    >>> idx = pd.date_range("2023-07-20 21:00", periods=1, freq="h", tz="UTC")
    >>> t = seasonal_air_temperature(Site(40.0, 0.0), idx)
    >>> round(float(t.iloc[0]), 2)
    28.22
    """
    hours = check_index(index)
    mid = _midpoints(index, hours).tz_convert("UTC")
    lat = abs(site.latitude)
    mean = 29.0 - 0.3 * lat - 0.004 * site.altitude
    seasonal = min(0.3 * lat, 15.0)
    doy = mid.day_of_year.to_numpy() + (mid.hour.to_numpy() + mid.minute.to_numpy() / 60) / 24
    sign = 1.0 if site.latitude >= 0 else -1.0
    solar_hour = (mid.hour.to_numpy() + mid.minute.to_numpy() / 60 + site.longitude / 15) % 24
    temp = (mean - sign * seasonal * np.cos(2 * np.pi * (doy - 20.0) / 365.25)
            + 6.0 * np.cos(2 * np.pi * (solar_hour - 15.0) / 24.0))
    return pd.Series(temp, index=index, name="temp_air")


def _check_kt_params(cloudiness: float, persistence_days: float, autocorrelation_1h: float,
                     variability: float, kt_min: float, kt_max: float) -> None:
    check_fraction("cloudiness", cloudiness, 0.0, 1.0, open_high=True)
    check_fraction("persistence_days", persistence_days, 0.0, 1.0, open_high=True)
    check_fraction("autocorrelation_1h", autocorrelation_1h, 0.0, 1.0, open_high=True)
    check_fraction("variability", variability, 0.0, 1.0)
    check_fraction("kt_min", kt_min, 0.0, 1.0)
    if not (np.isfinite(kt_max) and kt_min < kt_max <= 1.5):
        raise ValueError(f"kt_max = {kt_max!r} is not allowed; use kt_min < kt_max <= 1.5")


def _kt_year(year_idx: pd.DatetimeIndex, year: int, seeds: np.ndarray, hours: float,
             cloudiness: float, persistence_days: float, autocorrelation_1h: float,
             variability: float, kt_min: float, kt_max: float) -> np.ndarray:
    """Clear-sky index of one full year for each seed, shape (n_seeds, n_steps)."""
    steps = len(year_idx)
    day = year_idx.day_of_year.to_numpy() - 1
    n_days = int(day[-1]) + 1
    day_z = np.empty((seeds.size, n_days))
    step_z = np.empty((seeds.size, steps))
    for i, seed in enumerate(seeds):
        # Fixed draw order per (seed, year): daily regime first, then the within-day noise.
        rng = rng_for(seed, year, STREAM_CLOUD)
        day_z[i] = rng.standard_normal(n_days)
        step_z[i] = rng.standard_normal(steps)
    day_z = ar1_filter(day_z, persistence_days)
    step_z = ar1_filter(step_z, step_phi(autocorrelation_1h, hours))
    if cloudiness == 0.0:
        cover = np.zeros_like(day_z)
    else:
        # Gaussian copula -> Beta marginal of the daily cloud cover with mean ``cloudiness``.
        a = cloudiness * _REGIME_CONCENTRATION
        b = (1.0 - cloudiness) * _REGIME_CONCENTRATION
        cover = betaincinv(a, b, ndtr(day_z))
    kt_day = 1.0 - _OVERCAST_DEPTH * cover
    # Broken-cloud days vary most within the day; clear and overcast days are steady.
    sd_day = variability * 4.0 * cover * (1.0 - cover)
    kt = kt_day[:, day] + sd_day[:, day] * step_z
    return np.clip(kt, kt_min, kt_max)


def clear_sky_indices(index: pd.DatetimeIndex, seeds: int | Sequence[int] | np.ndarray,
                      cloudiness: float = 0.35, persistence_days: float = 0.6,
                      autocorrelation_1h: float = 0.8, variability: float = 0.25,
                      kt_min: float = 0.05, kt_max: float = 1.05) -> np.ndarray:
    """Stochastic clear-sky index of many members, shape ``(n_members, len(index))``.

    See :func:`clear_sky_index` for the model; row ``i`` uses ``seeds[i]``.
    """
    _check_kt_params(cloudiness, persistence_days, autocorrelation_1h, variability, kt_min,
                     kt_max)
    seed_arr = check_seeds(seeds)
    hours = check_index(index)
    out = np.empty((seed_arr.size, len(index)))
    for block in year_blocks(index):
        kt = _kt_year(block.year_index, block.year, seed_arr, hours, cloudiness,
                      persistence_days, autocorrelation_1h, variability, kt_min, kt_max)
        out[:, block.in_index] = kt[:, block.in_year]
    return out


def clear_sky_index(index: pd.DatetimeIndex, seed: int = 0, cloudiness: float = 0.35,
                    persistence_days: float = 0.6, autocorrelation_1h: float = 0.8,
                    variability: float = 0.25, kt_min: float = 0.05,
                    kt_max: float = 1.05) -> pd.Series:
    """Stochastic clear-sky index (GHI / clear-sky GHI), dimensionless.

    Each local day has a weather regime: a cloud cover ``c`` in [0, 1] with a Beta marginal of
    mean ``cloudiness`` (through a Gaussian copula, AR(1) from day to day with lag-1 correlation
    ``persistence_days``), giving a daily mean index ``1 - 0.8 c``. Within the day a Gaussian
    AR(1) with standard deviation ``variability * 4 c (1 - c)`` is added (largest on broken-cloud
    days); its per-step coefficient is ``autocorrelation_1h ** step_hours``, so the lag-1 h
    correlation is the same at every resolution. The result is clipped to ``[kt_min, kt_max]``
    (values above 1 are cloud enhancement).

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Time-zone-aware regular step-start index; days are local days.
    seed : int, default 0
        Non-negative seed; each (seed, local calendar year) has its own stream.
    cloudiness : float, default 0.35
        Mean daily cloud cover in [0, 1); 0 gives a clear sky every day.
    persistence_days, autocorrelation_1h, variability, kt_min, kt_max : float
        See above.

    Returns
    -------
    pandas.Series
        Named ``"clear_sky_index"``.

    Examples
    --------
    >>> from gridshare.timeindex import make_index
    >>> idx = make_index("2023-01-01", "1h", "UTC", end="2024-01-01")
    >>> kt = clear_sky_index(idx, seed=4)
    >>> bool(0.05 <= kt.min() and kt.max() <= 1.05)
    True
    """
    values = clear_sky_indices(index, [seed], cloudiness, persistence_days, autocorrelation_1h,
                               variability, kt_min, kt_max)[0]
    return pd.Series(values, index=index, name="clear_sky_index")


_WEATHER_COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed")


def _weather_frame(weather: pd.DataFrame | Weather, index: pd.DatetimeIndex,
                   full_year: bool = False) -> pd.DataFrame:
    """Weather on ``index``: a :class:`Weather` is aligned; a DataFrame must cover ``index``."""
    from gridshare.profiles.weather import Weather, align_weather

    if isinstance(weather, Weather):
        return align_weather(weather, index)
    if not isinstance(weather, pd.DataFrame):
        raise ValueError("weather must be a gridshare.profiles.weather.Weather or a DataFrame "
                         f"from align_weather, got {type(weather).__name__}")
    missing = [c for c in _WEATHER_COLUMNS if c not in weather.columns]
    if missing:
        raise ValueError(f"weather DataFrame lacks columns {missing}; it needs "
                         f"{list(_WEATHER_COLUMNS)}")
    if not index.isin(weather.index).all():
        if full_year:
            raise ValueError("annual_kwh rescales whole calendar years, but the weather "
                             "DataFrame does not cover every step of them; pass the Weather "
                             "object (it is aligned to each full year) or a full-year DataFrame")
        raise ValueError("weather DataFrame does not cover every step of the index; build it "
                         "with align_weather(weather, index) or pass the Weather object")
    frame = weather.loc[index, list(_WEATHER_COLUMNS)]
    if frame.isna().to_numpy().any():
        raise ValueError("weather DataFrame has NaN values on the index")
    return frame


def _broadcast(name: str, value: float | Sequence[float] | np.ndarray, n: int, low: float,
               high: float) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} = {value!r} is not a number") from exc
    if arr.ndim > 1 or (arr.ndim == 1 and arr.size != n):
        raise ValueError(f"{name} must be a number or one number per member ({n})")
    if not np.all(np.isfinite(arr)) or np.any(arr < low) or np.any(arr > high):
        raise ValueError(f"{name} = {value!r} is not allowed; use values in [{low}, {high}]")
    return np.broadcast_to(arr, (n,)).astype(float)


def pv_powers(site: Site, index: pd.DatetimeIndex, kwp: float | Sequence[float] | np.ndarray,
              tilt: float | Sequence[float] | np.ndarray = 30.0,
              azimuth: float | Sequence[float] | np.ndarray = 180.0,
              seeds: int | Sequence[int] | np.ndarray = 0, losses: float = 0.14,
              inverter_efficiency: float = 0.96, dc_ac_ratio: float = 1.2,
              gamma_pdc: float = -0.0037, stochastic: bool = True,
              weather: pd.DataFrame | Weather | None = None,
              annual_kwh: float | Sequence[float] | np.ndarray | None = None,
              cloudiness: float = 0.35) -> np.ndarray:
    """AC output of many PV systems at one site, kW, shape ``(n_members, len(index))``.

    Parameters are those of :func:`pv_power`; ``kwp``, ``tilt``, ``azimuth``, ``seeds`` and
    ``annual_kwh`` may be one value or one per member (the member count is the longest of them).
    Solar position, clear sky and air temperature are computed once for all members.

    Examples
    --------
    >>> from gridshare.timeindex import make_index
    >>> idx = make_index("2023-06-21", "1h", "Etc/GMT+7", periods=24)
    >>> p = pv_powers(Site(39.742, -105.179, 1829, "Etc/GMT+7"), idx, kwp=[5.0, 10.0],
    ...               tilt=[20.0, 35.0], azimuth=[180.0, 200.0], seeds=[1, 2])
    >>> p.shape, bool((p[:, :5] == 0).all())
    ((2, 24), True)
    """
    if not isinstance(site, Site):
        raise ValueError(f"site must be a gridshare.profiles.solar.Site, got {type(site).__name__}")
    hours = check_index(index)
    sizes = [np.size(v) for v in (kwp, tilt, azimuth, seeds)]
    if annual_kwh is not None:
        sizes.append(np.size(annual_kwh))
    n = max(sizes)
    kwp_arr = _broadcast("kwp", kwp, n, 0.0, np.inf)
    tilt_arr = _broadcast("tilt", tilt, n, 0.0, 90.0)
    az_arr = _broadcast("azimuth", azimuth, n, 0.0, 360.0)
    seed_arr = np.broadcast_to(check_seeds(seeds), (n,)) if np.size(seeds) == 1 else \
        check_seeds(seeds, n)
    check_fraction("losses", losses, 0.0, 1.0, open_high=True)
    check_fraction("inverter_efficiency", inverter_efficiency, 0.5, 1.0)
    if not (np.isfinite(dc_ac_ratio) and 0.5 <= dc_ac_ratio <= 3.0):
        raise ValueError(f"dc_ac_ratio = {dc_ac_ratio!r} is not allowed; use a value in [0.5, 3]")
    if not (np.isfinite(gamma_pdc) and -0.02 <= gamma_pdc <= 0.0):
        raise ValueError(f"gamma_pdc = {gamma_pdc!r} is not allowed; use 1/K in [-0.02, 0]")
    annual = None if annual_kwh is None else check_annual(annual_kwh, n)
    if stochastic and weather is None:
        _check_kt_params(cloudiness, 0.6, 0.8, 0.25, 0.05, 1.05)

    loc = site.location()
    out = np.empty((n, len(index)))
    for block in year_blocks(index):
        # The whole year is only needed to rescale it; otherwise the physics runs on the
        # requested steps (the random stream is still drawn for the whole year).
        if annual is not None:
            steps, sel, kt_cols = block.year_index, block.in_year, slice(None)
        else:
            # A regular index is contiguous within a year; a slice keeps the freq.
            first, last = int(block.in_year[0]), int(block.in_year[-1])
            steps = block.year_index[first:last + 1]
            sel, kt_cols = np.arange(len(steps)), slice(first, last + 1)
        mid = _midpoints(steps, hours)
        solpos = pvlib.solarposition.get_solarposition(mid, site.latitude, site.longitude,
                                                       site.altitude)
        app_zenith = solpos["apparent_zenith"].to_numpy()
        zenith = solpos["zenith"].to_numpy()
        sun_az = solpos["azimuth"].to_numpy()
        dni_extra = pvlib.irradiance.get_extra_radiation(mid).to_numpy()
        if weather is not None:
            met = _weather_frame(weather, steps, full_year=annual is not None)
            ghi1, dni1, dhi1 = (met[c].to_numpy() for c in ("ghi", "dni", "dhi"))
            temp_air = met["temp_air"].to_numpy()
            wind = met["wind_speed"].to_numpy()
        else:
            cs = loc.get_clearsky(mid, model="ineichen", solar_position=solpos,
                                  dni_extra=dni_extra)
            ghi1, dni1, dhi1 = (cs[c].to_numpy() for c in ("ghi", "dni", "dhi"))
            temp_air = seasonal_air_temperature(site, steps).to_numpy()
            wind = np.ones(len(steps))
        # Physics only where there is light: elsewhere the PVWatts chain gives exactly 0 W.
        lit = (ghi1 > 0) | (dni1 > 0) | (dhi1 > 0)
        doy = mid.day_of_year.to_numpy()[lit]
        shared = [x[lit] for x in (app_zenith, sun_az, dni_extra, temp_air, wind)]
        ghi1, dni1, dhi1, zenith = ghi1[lit], dni1[lit], dhi1[lit], zenith[lit]
        direct = len(sel) == len(steps) and bool(np.all(np.diff(block.in_index) == 1))
        if direct:  # the whole year is requested: fill the output in place
            year_kw = out[:, block.in_index[0]:block.in_index[-1] + 1]
            year_kw[:] = 0.0
        else:
            year_kw = np.zeros((n, len(steps)))
        for start in range(0, n, _CHUNK):
            part = slice(start, min(start + _CHUNK, n))
            if weather is None and stochastic:
                kt = _kt_year(block.year_index, block.year, seed_arr[part], hours, cloudiness,
                              0.6, 0.8, 0.25, 0.05, 1.05)[:, kt_cols]
                ghi = kt[:, lit] * ghi1
                split = pvlib.irradiance.erbs(ghi, zenith, doy)
                dni, dhi = split["dni"], split["dhi"]
            else:
                ghi, dni, dhi = ghi1, dni1, dhi1
            year_kw[part, lit] = _plane_to_ac(
                tilt_arr[part, None], az_arr[part, None], kwp_arr[part, None], shared[0],
                shared[1], dni, ghi, dhi, shared[2], shared[3], shared[4], losses,
                inverter_efficiency, dc_ac_ratio, gamma_pdc)
        if annual is not None:
            year_kw[:] = scale_to_annual(year_kw, hours, annual, "PV")
        if not direct:
            out[:, block.in_index] = year_kw[:, sel]
    return out


def _plane_to_ac(tilt: np.ndarray, azimuth: np.ndarray, kwp: np.ndarray, app_zenith: np.ndarray,
                 sun_azimuth: np.ndarray, dni: np.ndarray, ghi: np.ndarray, dhi: np.ndarray,
                 dni_extra: np.ndarray, temp_air: np.ndarray, wind: np.ndarray, losses: float,
                 inverter_efficiency: float, dc_ac_ratio: float, gamma_pdc: float) -> np.ndarray:
    """Transposition, cell temperature, PVWatts DC and AC; arrays broadcast to (members, steps)."""
    # A zero-kWp member would divide by zero inside the inverter model; it simply produces 0.
    has_pv = kwp > 0
    kwp = np.where(has_pv, kwp, 1.0)
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth, app_zenith, sun_azimuth, dni, ghi, dhi, dni_extra=dni_extra,
        albedo=_ALBEDO, model="haydavies")["poa_global"]
    poa = np.nan_to_num(np.asarray(poa, dtype=float), nan=0.0)
    temp_cell = pvlib.temperature.faiman(poa, temp_air, wind)
    pdc = pvlib.pvsystem.pvwatts_dc(poa, temp_cell, kwp, gamma_pdc) * (1.0 - losses)
    pac0 = kwp / dc_ac_ratio
    pac = pvlib.inverter.pvwatts(np.maximum(pdc, 0.0), pac0 / inverter_efficiency,
                                 eta_inv_nom=inverter_efficiency)
    return np.broadcast_to(pac * has_pv, np.broadcast_shapes(np.shape(pac), np.shape(kwp)))


def pv_power(site: Site, index: pd.DatetimeIndex, kwp: float, tilt: float = 30.0,
             azimuth: float = 180.0, losses: float = 0.14, inverter_efficiency: float = 0.96,
             dc_ac_ratio: float = 1.2, gamma_pdc: float = -0.0037, seed: int = 0,
             stochastic: bool = True, weather: pd.DataFrame | Weather | None = None,
             annual_kwh: float | None = None, cloudiness: float = 0.35) -> pd.Series:
    """AC output of one PV system, kW.

    Parameters
    ----------
    site : Site
    index : pandas.DatetimeIndex
        Time-zone-aware regular step-start index (5 min to 1 h).
    kwp : float
        DC rating at STC, kWp (PVWatts ``pdc0``).
    tilt : float, default 30
        Surface tilt from horizontal, degrees.
    azimuth : float, default 180
        Surface azimuth, degrees clockwise from north (180 = south).
    losses : float, default 0.14
        DC system losses (soiling, wiring, mismatch, ...) as a fraction.
    inverter_efficiency : float, default 0.96
        Nominal inverter efficiency (PVWatts ``eta_inv_nom``).
    dc_ac_ratio : float, default 1.2
        DC rating over inverter AC rating; AC output never exceeds ``kwp / dc_ac_ratio``.
    gamma_pdc : float, default -0.0037
        Power temperature coefficient, 1/K.
    seed : int, default 0
        Seed of the clear-sky index process (each local calendar year has its own stream).
    stochastic : bool, default True
        ``False`` gives the clear-sky output (Ineichen GHI, DNI and DHI).
    weather : Weather or pandas.DataFrame, optional
        Measured or typical-year weather (columns ``ghi``, ``dni``, ``dhi`` W/m², ``temp_air``
        °C, ``wind_speed`` m/s); used instead of the stochastic process. A DataFrame must cover
        the index (see :func:`~gridshare.profiles.weather.align_weather`), and every full year
        if ``annual_kwh`` is given.
    annual_kwh : float, optional
        If given, each full local calendar year is rescaled to exactly this energy, kWh (the
        rescaled output may then exceed the inverter rating).
    cloudiness : float, default 0.35
        Mean daily cloud cover of the stochastic process, see :func:`clear_sky_index`.

    Returns
    -------
    pandas.Series
        AC power in kW on ``index``, named ``"pv_kw"``.

    Examples
    --------
    >>> from gridshare.timeindex import make_index
    >>> idx = make_index("2023-06-21", "1h", "Etc/GMT+7", periods=24)
    >>> p = pv_power(Site(39.742, -105.179, 1829, "Etc/GMT+7"), idx, kwp=10.0, stochastic=False)
    >>> bool(p.max() <= 10.0 / 1.2), bool(p.iloc[0] == 0.0)
    (True, True)
    """
    values = pv_powers(site, index, [kwp], [tilt], [azimuth], [seed], losses=losses,
                       inverter_efficiency=inverter_efficiency, dc_ac_ratio=dc_ac_ratio,
                       gamma_pdc=gamma_pdc, stochastic=stochastic, weather=weather,
                       annual_kwh=None if annual_kwh is None else [annual_kwh],
                       cloudiness=cloudiness)[0]
    return pd.Series(values, index=index, name="pv_kw")
