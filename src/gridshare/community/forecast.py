"""Forecasters for the series an agent must anticipate: its load, its PV and grid prices.

Every forecaster sees only the past: :meth:`Forecaster.predict` gets the values observed before
the forecast origin (shape ``(series, t)``) and the labels of the steps to forecast (calendar
information is known in advance) and returns ``(series, horizon)``. All series (every home) are
forecast at once.

- :class:`Persistence` repeats the last observed value.
- :class:`SeasonalNaive` repeats the value one season (default one day) earlier.
- :class:`Learned` fits a model on calendar features (hour-of-day and day-of-year harmonics,
  weekend flag) to the past and refits every ``refit_steps``: gradient boosting
  (scikit-learn's ``HistGradientBoostingRegressor``) when scikit-learn is installed, otherwise a
  ridge regression solved in closed form for all series at once.
- :class:`Perfect` is an oracle that returns the actual future (for studies and tests).

:func:`forecast_errors` reports MAE and RMSE.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pandas as pd

FORECASTERS = ("perfect", "persistence", "seasonal_naive", "learned")
"""Names accepted by :func:`make_forecaster`."""

HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None

SEASONAL_MIN_DAYS = 60
"""History span, days, from which the learned model also fits the yearly harmonics."""


def steps_per_day(times: pd.DatetimeIndex) -> int:
    """Number of steps in 24 h for a regular index (>= 1)."""
    if len(times) < 2:
        return 24
    step = (times[1] - times[0]).total_seconds()
    return max(1, round(86_400 / step))


class Forecaster:
    """Base class: forecasts ``horizon`` steps of many series from their past."""

    name = "base"

    def predict(self, past: np.ndarray, past_times: pd.DatetimeIndex,
                future_times: pd.DatetimeIndex) -> np.ndarray:
        """Forecast of the steps ``future_times``.

        Parameters
        ----------
        past : numpy.ndarray
            Observed values before the origin, shape ``(series, t)`` (t may be 0).
        past_times : pandas.DatetimeIndex
            Labels of the observed steps (length t).
        future_times : pandas.DatetimeIndex
            Labels of the steps to forecast (length = horizon).

        Returns
        -------
        numpy.ndarray
            Shape ``(series, horizon)``, in the unit of ``past``.
        """
        raise NotImplementedError


def _fallback(past: np.ndarray, horizon: int) -> np.ndarray:
    if past.shape[1] == 0:
        return np.zeros((past.shape[0], horizon))
    return np.repeat(past[:, -1:], horizon, axis=1)


class Persistence(Forecaster):
    """The last observed value, for every future step (zero without any past).

    Examples
    --------
    >>> t = pd.date_range("2024-01-01", periods=3, freq="h")
    >>> Persistence().predict(np.array([[1.0, 2.0]]), t[:2], t[2:]).tolist()
    [[2.0]]
    """

    name = "persistence"

    def predict(self, past, past_times, future_times):
        return _fallback(np.asarray(past, dtype=float), len(future_times))


class SeasonalNaive(Forecaster):
    """The value one season earlier: ``y[t + k - m * ceil((k + 1) / m)]`` for season length m.

    Parameters
    ----------
    season_steps : int, optional
        Season length, steps; default one day of the index. With less than one season of past,
        falls back to persistence.

    Examples
    --------
    >>> t = pd.date_range("2024-01-01", periods=6, freq="h")
    >>> SeasonalNaive(2).predict(np.array([[1.0, 5.0, 1.0, 5.0]]), t[:4], t[4:]).tolist()
    [[1.0, 5.0]]
    """

    name = "seasonal_naive"

    def __init__(self, season_steps: int | None = None):
        if season_steps is not None and int(season_steps) < 1:
            raise ValueError(f"season_steps must be >= 1 step; got {season_steps}")
        self.season_steps = None if season_steps is None else int(season_steps)

    def predict(self, past, past_times, future_times):
        past = np.asarray(past, dtype=float)
        m = self.season_steps or steps_per_day(pd.DatetimeIndex(future_times))
        t, horizon = past.shape[1], len(future_times)
        if t < m:
            return _fallback(past, horizon)
        k = np.arange(horizon)
        return past[:, t + k - m * ((k // m) + 1)]


def calendar_features(times: pd.DatetimeIndex, harmonics: int = 3,
                      seasonal: bool = True) -> np.ndarray:
    """Calendar regressors: constant, hour-of-day and day-of-year harmonics, weekend flag.

    Parameters
    ----------
    times : pandas.DatetimeIndex
        Step labels; hours and weekdays are read in their own time zone.
    harmonics : int
        Number of daily sine/cosine pairs.
    seasonal : bool
        Include the yearly sine/cosine pair.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(times), 4 + 2 * harmonics)`` (two columns fewer without ``seasonal``).

    Examples
    --------
    >>> calendar_features(pd.date_range("2024-01-06", periods=2, freq="h"), 1).shape
    (2, 6)
    """
    times = pd.DatetimeIndex(times)
    hour = np.asarray(times.hour + times.minute / 60.0, dtype=float)
    day = np.asarray(times.day_of_year, dtype=float)
    cols = [np.ones(len(times))]
    for k in range(1, harmonics + 1):
        cols += [np.sin(2 * np.pi * k * hour / 24), np.cos(2 * np.pi * k * hour / 24)]
    if seasonal:
        cols += [np.sin(2 * np.pi * day / 365.25), np.cos(2 * np.pi * day / 365.25)]
    cols.append(np.asarray(times.day_of_week >= 5, dtype=float))
    return np.column_stack(cols)


class Learned(Forecaster):
    """A model of each series on calendar features, fitted to the past.

    Parameters
    ----------
    refit_steps : int
        Refit after this many new observations (default one day at hourly steps).
    min_train_steps : int
        Below this many past steps, fall back to persistence.
    ridge : float
        L2 penalty of the ridge regression (ignored by gradient boosting).
    nonnegative : bool
        Clip forecasts at zero (loads, PV).
    harmonics : int
        Daily harmonics in :func:`calendar_features`.
    window_steps : int or None
        Train on at most this many most recent steps (None = all).
    backend : {"auto", "ridge", "gbm"}
        ``"auto"`` = gradient boosting when scikit-learn is installed, else ridge.

    Examples
    --------
    >>> t = pd.date_range("2024-01-01", periods=96, freq="h")
    >>> y = 1 + np.sin(2 * np.pi * np.arange(96) / 24)[None, :]
    >>> f = Learned(backend="ridge").predict(y[:, :72], t[:72], t[72:])
    >>> bool(np.abs(f - y[:, 72:]).max() < 1e-3)
    True
    """

    name = "learned"

    def __init__(self, refit_steps: int = 24, min_train_steps: int = 24, ridge: float = 1e-6,
                 nonnegative: bool = False, harmonics: int = 3, window_steps: int | None = None,
                 backend: str = "auto"):
        if backend not in ("auto", "ridge", "gbm"):
            raise ValueError(f"backend must be 'auto', 'ridge' or 'gbm'; got {backend!r}")
        if backend == "gbm" and not HAS_SKLEARN:
            raise ValueError("backend='gbm' needs scikit-learn, which is not installed; use "
                             "backend='ridge' or 'auto'")
        for name, value in (("refit_steps", refit_steps), ("min_train_steps", min_train_steps)):
            if int(value) < 1:
                raise ValueError(f"{name} must be >= 1 step; got {value}")
        if not ridge >= 0:
            raise ValueError(f"ridge must be >= 0; got {ridge}")
        self.backend = ("gbm" if HAS_SKLEARN else "ridge") if backend == "auto" else backend
        self.refit_steps, self.min_train_steps = int(refit_steps), int(min_train_steps)
        self.ridge, self.nonnegative, self.harmonics = float(ridge), nonnegative, int(harmonics)
        self.window_steps = window_steps
        self._fitted_at: int | None = None
        self._model: Any = None
        self._seasonal = False

    def _fit(self, past: np.ndarray, past_times: pd.DatetimeIndex) -> None:
        if self.window_steps is not None:
            past, past_times = past[:, -self.window_steps:], past_times[-self.window_steps:]
        # Over a short history the yearly pair is nearly collinear with the constant and only
        # adds a trend to extrapolate; it is used once the past spans two months.
        span = past_times[-1] - past_times[0] if len(past_times) > 1 else pd.Timedelta(0)
        self._seasonal = span >= pd.Timedelta(days=SEASONAL_MIN_DAYS)
        x = calendar_features(past_times, self.harmonics, self._seasonal)
        if self.backend == "ridge":
            # One regularised normal-equation solve fits every series at once.
            gram = x.T @ x + self.ridge * len(x) * np.eye(x.shape[1])
            self._model = np.linalg.solve(gram, x.T @ past.T)
        else:  # pragma: no cover - scikit-learn is optional
            from sklearn.ensemble import HistGradientBoostingRegressor

            self._model = [HistGradientBoostingRegressor(max_iter=100).fit(x, row)
                           for row in past]

    def predict(self, past, past_times, future_times):
        past = np.asarray(past, dtype=float)
        t = past.shape[1]
        if t < self.min_train_steps:
            return _fallback(past, len(future_times))
        if self._fitted_at is None or t - self._fitted_at >= self.refit_steps \
                or t < self._fitted_at:
            self._fit(past, pd.DatetimeIndex(past_times))
            self._fitted_at = t
        x = calendar_features(pd.DatetimeIndex(future_times), self.harmonics, self._seasonal)
        if self.backend == "ridge":
            out = (x @ self._model).T
        else:  # pragma: no cover
            out = np.stack([m.predict(x) for m in self._model])
        return np.maximum(out, 0.0) if self.nonnegative else out


class Perfect(Forecaster):
    """The actual future, read from the full series (an oracle, for studies and tests).

    Parameters
    ----------
    truth : numpy.ndarray
        The whole series, shape ``(series, T)``; the origin is ``past.shape[1]``.
    """

    name = "perfect"

    def __init__(self, truth: np.ndarray):
        self.truth = np.asarray(truth, dtype=float)

    def predict(self, past, past_times, future_times):
        t = np.shape(past)[1]
        return self.truth[:, t:t + len(future_times)]


def make_forecaster(name: str, truth: np.ndarray | None = None, *,
                    nonnegative: bool = False, steps_day: int = 24) -> Forecaster:
    """A forecaster by name (one of :data:`FORECASTERS`).

    Examples
    --------
    >>> make_forecaster("seasonal_naive", steps_day=96).season_steps
    96
    """
    if name == "perfect":
        if truth is None:
            raise ValueError("the perfect forecaster needs the actual series (truth)")
        return Perfect(truth)
    if name == "persistence":
        return Persistence()
    if name == "seasonal_naive":
        return SeasonalNaive(steps_day)
    if name == "learned":
        return Learned(refit_steps=steps_day, min_train_steps=steps_day,
                       nonnegative=nonnegative)
    raise ValueError(f"forecaster must be one of {FORECASTERS}; got {name!r}")


def forecast_errors(forecast: Any, actual: Any) -> dict[str, float]:
    """Mean absolute error and root-mean-square error of a forecast.

    Parameters
    ----------
    forecast, actual : array_like
        Same shape, same unit.

    Returns
    -------
    dict
        ``{"mae": ..., "rmse": ..., "n": ...}`` in the unit of the inputs (``n`` values).

    Examples
    --------
    >>> forecast_errors([1.0, 2.0], [2.0, 0.0])
    {'mae': 1.5, 'rmse': 1.5811388300841898, 'n': 2}
    """
    f, a = np.asarray(forecast, dtype=float), np.asarray(actual, dtype=float)
    if f.shape != a.shape:
        raise ValueError(f"forecast has shape {f.shape} but actual has {a.shape}")
    if f.size == 0:
        return {"mae": float("nan"), "rmse": float("nan"), "n": 0}
    err = f - a
    return {"mae": float(np.abs(err).mean()), "rmse": float(np.sqrt((err ** 2).mean())),
            "n": int(err.size)}


def evaluate_forecasters(series: np.ndarray, times: pd.DatetimeIndex, start: int, horizon: int,
                         names: tuple[str, ...] = FORECASTERS, stride: int = 1,
                         nonnegative: bool = False) -> pd.DataFrame:
    """MAE and RMSE of each forecaster on a series, over rolling origins.

    Parameters
    ----------
    series : numpy.ndarray
        Shape ``(series, T)``; steps before ``start`` are history.
    times : pandas.DatetimeIndex
        Labels of the T steps.
    start : int
        First forecast origin.
    horizon : int
        Steps forecast from each origin.
    names : tuple of str
        Forecasters to evaluate.
    stride : int
        Steps between origins.
    nonnegative : bool
        Clip learned forecasts at zero.

    Returns
    -------
    pandas.DataFrame
        Index = forecaster name, columns ``mae``, ``rmse``, ``n``.
    """
    series = np.atleast_2d(np.asarray(series, dtype=float))
    if not 0 <= start < series.shape[1]:
        raise ValueError(f"start must be in [0, {series.shape[1]}); got {start}")
    if horizon < 1 or stride < 1:
        raise ValueError(f"horizon and stride must be >= 1; got {horizon}, {stride}")
    rows = {}
    for name in names:
        fc = make_forecaster(name, series, nonnegative=nonnegative,
                             steps_day=steps_per_day(times))
        preds, acts = [], []
        for origin in range(start, series.shape[1], stride):
            end = min(origin + horizon, series.shape[1])
            preds.append(fc.predict(series[:, :origin], times[:origin], times[origin:end]))
            acts.append(series[:, origin:end])
        rows[name] = forecast_errors(np.concatenate(preds, axis=1),
                                     np.concatenate(acts, axis=1))
    return pd.DataFrame.from_dict(rows, orient="index")
