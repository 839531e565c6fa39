"""Wind speed with an exact Weibull marginal, hub-height shear and turbine power curves.

Speed model: a stationary Gaussian AR(1) ``z`` (per-step coefficient ``autocorrelation_1h **
step_hours``) is mapped through the standard normal CDF and the Weibull inverse CDF, so every
step has exactly the Weibull(shape, scale) law at the reference height; the power law
``v_hub = v_ref (hub / ref) ** shear_exponent`` moves it to hub height. Each (seed, local
calendar year) has its own random stream, so any horizon is an exact slice of the full year
(the process therefore restarts, from its stationary law, at each local 1 January).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import ndtr

from gridshare.profiles.load import (
    STREAM_WIND,
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

__all__ = ["power_curve", "wind_power", "wind_powers", "wind_speed", "wind_speeds"]


def _positive(name: str, value: float, unit: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} = {value!r} is not allowed; use a positive number ({unit})")
    return v


def _check_speed_params(weibull_shape: float, weibull_scale: float, reference_height_m: float,
                        hub_height_m: float, shear_exponent: float,
                        autocorrelation_1h: float) -> None:
    _positive("weibull_shape", weibull_shape, "dimensionless")
    _positive("weibull_scale", weibull_scale, "m/s")
    _positive("reference_height_m", reference_height_m, "m")
    _positive("hub_height_m", hub_height_m, "m")
    check_fraction("shear_exponent", shear_exponent, 0.0, 1.0)
    check_fraction("autocorrelation_1h", autocorrelation_1h, 0.0, 1.0, open_high=True)


def _weibull_from_normal(z: np.ndarray, shape: float, scale: float) -> np.ndarray:
    # 1 - Phi(z) = Phi(-z) keeps precision in the upper tail.
    return scale * (-np.log(ndtr(-z))) ** (1.0 / shape)


def wind_speeds(index: pd.DatetimeIndex, seeds: int | Sequence[int] | np.ndarray,
                weibull_shape: float = 2.0, weibull_scale: float = 7.5,
                reference_height_m: float = 100.0, hub_height_m: float = 100.0,
                shear_exponent: float = 0.143, autocorrelation_1h: float = 0.95) -> np.ndarray:
    """Hub-height wind speed of many members, m/s, shape ``(n_members, len(index))``.

    See :func:`wind_speed`; row ``i`` uses ``seeds[i]``.
    """
    _check_speed_params(weibull_shape, weibull_scale, reference_height_m, hub_height_m,
                        shear_exponent, autocorrelation_1h)
    seed_arr = check_seeds(seeds)
    hours = check_index(index)
    phi = step_phi(autocorrelation_1h, hours)
    shear = (hub_height_m / reference_height_m) ** shear_exponent
    out = np.empty((seed_arr.size, len(index)))
    for block in year_blocks(index):
        steps = len(block.year_index)
        innovations = np.stack(
            [rng_for(s, block.year, STREAM_WIND).standard_normal(steps) for s in seed_arr])
        z = ar1_filter(innovations, phi)[:, block.in_year]
        out[:, block.in_index] = shear * _weibull_from_normal(z, weibull_shape, weibull_scale)
    return out


def wind_speed(index: pd.DatetimeIndex, seed: int = 0, weibull_shape: float = 2.0,
               weibull_scale: float = 7.5, reference_height_m: float = 100.0,
               hub_height_m: float = 100.0, shear_exponent: float = 0.143,
               autocorrelation_1h: float = 0.95) -> pd.Series:
    """Stochastic hub-height wind speed, m/s.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Time-zone-aware regular step-start index (5 min to 1 h).
    seed : int, default 0
        Non-negative seed.
    weibull_shape : float, default 2.0
        Weibull shape ``k`` at the reference height (2 = Rayleigh).
    weibull_scale : float, default 7.5
        Weibull scale ``c`` at the reference height, m/s (mean = ``c * Gamma(1 + 1/k)``).
    reference_height_m : float, default 100
        Height of the Weibull parameters, m.
    hub_height_m : float, default 100
        Hub height, m.
    shear_exponent : float, default 0.143
        Power-law (Hellmann) exponent; 1/7 is the open-terrain textbook value.
    autocorrelation_1h : float, default 0.95
        Lag-1 h correlation of the underlying Gaussian process, in [0, 1).

    Returns
    -------
    pandas.Series
        Named ``"wind_speed_m_s"``.

    Examples
    --------
    >>> from gridshare.timeindex import make_index
    >>> v = wind_speed(make_index("2023-01-01", "1h", "UTC", periods=48), seed=2)
    >>> bool((v > 0).all())
    True
    """
    values = wind_speeds(index, [seed], weibull_shape, weibull_scale, reference_height_m,
                         hub_height_m, shear_exponent, autocorrelation_1h)[0]
    return pd.Series(values, index=index, name="wind_speed_m_s")


def _check_curve(curve: object, curve_unit: str) -> tuple[np.ndarray, np.ndarray]:
    if curve_unit not in ("auto", "fraction", "kw"):
        raise ValueError(f"curve_unit = {curve_unit!r} is not allowed; use 'auto', 'fraction' "
                         "or 'kw'")
    if isinstance(curve, pd.Series):
        table = np.column_stack([curve.index.to_numpy(dtype=float), curve.to_numpy(dtype=float)])
    else:
        try:
            table = np.asarray(curve, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError("curve must be pairs of (speed m/s, power) numbers") from exc
    if table.ndim != 2 or table.shape[1] != 2 or table.shape[0] < 2:
        raise ValueError(f"curve must have shape (n >= 2, 2) of (speed m/s, power), got "
                         f"{table.shape}")
    speeds, power = table[:, 0], table[:, 1]
    if not np.all(np.isfinite(table)):
        raise ValueError("curve has NaN or infinite values")
    if np.any(np.diff(speeds) <= 0):
        raise ValueError(f"curve speeds must be strictly increasing, got {speeds.tolist()}")
    if speeds[0] < 0 or np.any(power < 0):
        raise ValueError("curve speeds and powers must be >= 0")
    if curve_unit == "auto":
        curve_unit = "fraction" if power.max() <= 1.0 else "kw"
    if curve_unit == "fraction":
        if power.max() > 1.0 + 1e-9:
            raise ValueError(f"curve power fractions must be in [0, 1], got max {power.max():g}; "
                             "use curve_unit='kw' for a curve in kW")
        fraction = power
    else:
        if power.max() <= 0:
            raise ValueError("curve in kW has no positive power")
        fraction = power / power.max()
    return speeds, fraction


def power_curve(speed: float | np.ndarray | pd.Series, capacity_kw: float | np.ndarray,
                cut_in: float = 3.0, rated: float = 12.0, cut_out: float = 25.0,
                curve: Sequence[tuple[float, float]] | np.ndarray | pd.Series | None = None,
                curve_unit: Literal["auto", "fraction", "kw"] = "auto") -> np.ndarray | pd.Series:
    """Turbine or farm output for a wind speed, kW.

    Without ``curve``: zero below ``cut_in`` and from ``cut_out`` on, ``capacity_kw`` from
    ``rated`` to ``cut_out``, and ``capacity_kw * (v³ - cut_in³) / (rated³ - cut_in³)`` in
    between. With ``curve``, a table of (speed m/s, power) interpolated linearly, zero outside
    the table's speed range; powers are fractions of ``capacity_kw`` (``curve_unit="fraction"``)
    or kW of one turbine whose rating is the table's maximum (``"kw"``, scaled to
    ``capacity_kw``). ``"auto"`` (default) reads a table whose powers are all <= 1 as fractions
    and any other table as kW.

    Parameters
    ----------
    speed : float, array or Series
        Hub-height wind speed, m/s (>= 0).
    capacity_kw : float or array
        Rated output, kW; an array broadcasts against ``speed`` (e.g. shape ``(n, 1)``).
    cut_in, rated, cut_out : float
        Speeds in m/s with ``0 <= cut_in < rated < cut_out``.
    curve : table, optional
    curve_unit : {"auto", "fraction", "kw"}

    Returns
    -------
    numpy.ndarray or pandas.Series
        Same shape as ``speed`` (a Series stays a Series named ``"wind_kw"``).

    Examples
    --------
    >>> power_curve([2.0, 7.5, 12.0, 30.0], 1000.0).round(3).tolist()
    [0.0, 232.143, 1000.0, 0.0]
    """
    capacity = np.asarray(capacity_kw, dtype=float)
    if not np.all(np.isfinite(capacity)) or np.any(capacity < 0):
        raise ValueError(f"capacity_kw = {capacity_kw!r} is not allowed; use finite kW >= 0")
    v = np.asarray(speed, dtype=float)
    if np.any(np.isnan(v)) or np.any(v < 0):
        raise ValueError("speed must be >= 0 m/s with no NaN")
    if curve is not None:
        speeds, fraction = _check_curve(curve, curve_unit)
        frac = np.interp(v, speeds, fraction, left=0.0, right=0.0)
    else:
        if not (np.isfinite(cut_out) and 0 <= cut_in < rated < cut_out):
            raise ValueError(f"need 0 <= cut_in < rated < cut_out, got cut_in={cut_in}, "
                             f"rated={rated}, cut_out={cut_out} (m/s)")
        ramp = (v ** 3 - cut_in ** 3) / (rated ** 3 - cut_in ** 3)
        frac = np.where(v < cut_in, 0.0, np.where(v < rated, ramp, np.where(v < cut_out, 1.0,
                                                                              0.0)))
    # v**3 - cut_in**3 can round to a hair below zero at v == cut_in; output never leaves [0, 1]
    power = np.clip(frac, 0.0, 1.0) * capacity
    if isinstance(speed, pd.Series):
        return pd.Series(power, index=speed.index, name="wind_kw")
    return power


def wind_powers(index: pd.DatetimeIndex, capacity_kw: float | Sequence[float] | np.ndarray,
                seeds: int | Sequence[int] | np.ndarray = 0, hub_height_m: float = 100.0,
                weibull_shape: float = 2.0, weibull_scale: float = 7.5,
                reference_height_m: float = 100.0, shear_exponent: float = 0.143,
                autocorrelation_1h: float = 0.95, cut_in: float = 3.0, rated: float = 12.0,
                cut_out: float = 25.0,
                curve: Sequence[tuple[float, float]] | np.ndarray | pd.Series | None = None,
                curve_unit: Literal["auto", "fraction", "kw"] = "auto",
                weather: pd.DataFrame | None = None, weather_height_m: float = 10.0,
                annual_kwh: float | Sequence[float] | np.ndarray | None = None) -> np.ndarray:
    """Wind output of many members, kW, shape ``(n_members, len(index))``.

    Parameters are those of :func:`wind_power`; ``capacity_kw``, ``seeds`` and ``annual_kwh``
    may be one value or one per member. With ``weather`` every member sees the same measured
    speed (their outputs differ only by capacity).

    Examples
    --------
    >>> from gridshare.timeindex import make_index
    >>> idx = make_index("2023-01-01", "1h", "UTC", periods=24)
    >>> wind_powers(idx, [100.0, 2000.0], seeds=[1, 2]).shape
    (2, 24)
    """
    hours = check_index(index)
    sizes = [np.size(capacity_kw), np.size(seeds)]
    if annual_kwh is not None:
        sizes.append(np.size(annual_kwh))
    n = max(sizes)
    capacity = np.asarray(capacity_kw, dtype=float)
    if capacity.ndim > 1 or (capacity.ndim == 1 and capacity.size not in (1, n)):
        raise ValueError(f"capacity_kw must be a number or one number per member ({n})")
    capacity = np.broadcast_to(capacity.reshape(-1) if capacity.ndim else capacity, (n,))
    seed_arr = check_seeds(seeds)
    seed_arr = np.broadcast_to(seed_arr, (n,)) if seed_arr.size == 1 else check_seeds(seeds, n)
    annual = None if annual_kwh is None else check_annual(annual_kwh, n)
    # Validate the curve before any heavy work.
    power_curve(np.zeros(1), 1.0, cut_in, rated, cut_out, curve, curve_unit)

    def curve_kw(v: np.ndarray) -> np.ndarray:
        return power_curve(v, capacity[:, None], cut_in, rated, cut_out, curve, curve_unit)

    if weather is not None:
        _positive("hub_height_m", hub_height_m, "m")
        _positive("weather_height_m", weather_height_m, "m")
        check_fraction("shear_exponent", shear_exponent, 0.0, 1.0)
        if not isinstance(weather, pd.DataFrame) or "wind_speed" not in weather.columns:
            raise ValueError("weather must be a DataFrame with a wind_speed column (m/s), e.g. "
                             "from gridshare.profiles.weather.align_weather")
        shear = (hub_height_m / weather_height_m) ** shear_exponent
        out = np.empty((n, len(index)))
        for block in year_blocks(index):
            steps = block.year_index if annual is not None else index[block.in_index]
            if not steps.isin(weather.index).all():
                need = "every full calendar year (annual_kwh is set)" if annual is not None \
                    else "every step of the index"
                raise ValueError(f"weather does not cover {need}")
            v = weather.loc[steps, "wind_speed"].to_numpy(dtype=float) * shear
            if np.any(np.isnan(v)):
                raise ValueError("weather wind_speed has NaN values")
            kw = curve_kw(np.broadcast_to(v, (n, v.size)))
            if annual is not None:
                kw = scale_to_annual(kw, hours, annual, "wind")[:, block.in_year]
            out[:, block.in_index] = kw
        return out

    _check_speed_params(weibull_shape, weibull_scale, reference_height_m, hub_height_m,
                        shear_exponent, autocorrelation_1h)
    if annual is None:
        return curve_kw(wind_speeds(index, seed_arr, weibull_shape, weibull_scale,
                                    reference_height_m, hub_height_m, shear_exponent,
                                    autocorrelation_1h))
    out = np.empty((n, len(index)))
    for block in year_blocks(index):
        v = wind_speeds(block.year_index, seed_arr, weibull_shape, weibull_scale,
                        reference_height_m, hub_height_m, shear_exponent, autocorrelation_1h)
        kw = scale_to_annual(curve_kw(v), hours, annual, "wind")
        out[:, block.in_index] = kw[:, block.in_year]
    return out


def wind_power(index: pd.DatetimeIndex, capacity_kw: float, seed: int = 0,
               hub_height_m: float = 100.0, weibull_shape: float = 2.0,
               weibull_scale: float = 7.5, reference_height_m: float = 100.0,
               shear_exponent: float = 0.143, autocorrelation_1h: float = 0.95,
               cut_in: float = 3.0, rated: float = 12.0, cut_out: float = 25.0,
               curve: Sequence[tuple[float, float]] | np.ndarray | pd.Series | None = None,
               curve_unit: Literal["auto", "fraction", "kw"] = "auto",
               weather: pd.DataFrame | None = None, weather_height_m: float = 10.0,
               annual_kwh: float | None = None) -> pd.Series:
    """Wind output of one turbine or farm, kW.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Time-zone-aware regular step-start index (5 min to 1 h).
    capacity_kw : float
        Rated output, kW.
    seed : int, default 0
        Seed of the wind-speed process (ignored with ``weather``).
    hub_height_m : float, default 100
        Hub height, m.
    weibull_shape, weibull_scale, reference_height_m, shear_exponent, autocorrelation_1h
        Wind-speed model, see :func:`wind_speed`.
    cut_in, rated, cut_out, curve, curve_unit
        Power curve, see :func:`power_curve`.
    weather : pandas.DataFrame, optional
        Weather on the index with a ``wind_speed`` column in m/s measured at
        ``weather_height_m`` (10 m in EPW/TMY3 files); sheared to hub height with
        ``shear_exponent`` and used instead of the stochastic speed.
    weather_height_m : float, default 10
        Measurement height of ``weather["wind_speed"]``, m.
    annual_kwh : float, optional
        If given, each full local calendar year is rescaled to exactly this energy, kWh.

    Returns
    -------
    pandas.Series
        AC power in kW on ``index``, named ``"wind_kw"``.

    Examples
    --------
    >>> from gridshare.timeindex import make_index
    >>> idx = make_index("2023-01-01", "1h", "UTC", end="2024-01-01")
    >>> p = wind_power(idx, 2000.0, seed=5, annual_kwh=6.0e6)
    >>> round(float(p.sum()), 6)
    6000000.0
    """
    values = wind_powers(index, [capacity_kw], [seed], hub_height_m, weibull_shape,
                         weibull_scale, reference_height_m, shear_exponent, autocorrelation_1h,
                         cut_in, rated, cut_out, curve, curve_unit, weather, weather_height_m,
                         None if annual_kwh is None else [annual_kwh])[0]
    return pd.Series(values, index=index, name="wind_kw")
