"""Surrogate models of the benchmark: XGBoost regressors from price-profile features to outcomes.

A sweep solves a few hundred scenarios with the optimisation core; a surrogate learns the map from
*features* of each scenario (statistics of its price profiles plus its parameters) to its outcomes
(community cost, cost fairness, ...) and then scores thousands of new scenarios in milliseconds.

- :func:`price_features` turns a scenarios table and its price arrays into one feature row per
  scenario, vectorised over scenarios and steps.
- :class:`Surrogate` fits one model per target (a ridge base plus XGBoost trees on its residuals)
  on a seeded train/test split,
  reports held-out R² and MAE, draws a learning curve on the same held-out set, predicts with a flag
  for rows outside the training range, and saves/loads itself exactly (XGBoost JSON + metadata JSON).
- :func:`verify_top_k` re-evaluates the best predicted scenarios with the real optimisation (injected
  as a callable) and reports the surrogate's error on them.

Prices are in currency/kWh, net load in kW (positive = the community draws from the grid), energies
in kWh.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from gridshare.tariffs import PEAK_HOURS

__all__ = [
    "DEFAULT_TARGETS",
    "TARIFFS",
    "Surrogate",
    "SurrogateError",
    "mean_absolute_error",
    "price_features",
    "r2_score",
    "verify_top_k",
]

DEFAULT_TARGETS: tuple[str, ...] = ("community_cost", "cost_cv")
"""Outcomes a surrogate learns unless told otherwise."""

TARIFFS: tuple[str, ...] = ("tou", "cpp", "rtp", "edr")
"""Tariff families one-hot encoded by :func:`price_features` (fixed, so columns never depend on data)."""

WINDOW_HOURS: tuple[int, ...] = (1, 2, 4)
"""Lengths (h) of the dearest / cheapest price windows summarised by :func:`price_features`."""

PRICE_KEYS = ("import_price", "export_price", "community_price")
# Columns of the scenarios table that are labels or already encoded, never numeric parameters. The
# seed only names a random stream: as a feature it would only add noise and false range flags.
_NOT_PARAMETERS = {"scenario_id", "tariff", "p2p", "seed", "export_ratio", "community_spread"}
_DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "reg:squarederror",
    "tree_method": "hist",
    "max_depth": 3,
    "eta": 0.05,
    "subsample": 0.9,
    "colsample_bytree": 0.9,
    "min_child_weight": 2.0,
    "lambda": 1.0,
}
_DEFAULT_ROUNDS = 300
RIDGE_PENALTY = 10.0
"""Penalty of the linear base model, on standardised features (see :meth:`Surrogate.fit`)."""
RANGE_TOLERANCE = 0.01
"""Slack, as a fraction of a feature's training range, before a value counts as out of range."""
_METADATA_FILE = "surrogate.json"


class SurrogateError(ValueError):
    """Bad input to a surrogate: names the parameter, the value and what is allowed."""


# --------------------------------------------------------------------------------------------------
# metrics


def r2_score(y_true: Sequence[float] | np.ndarray, y_pred: Sequence[float] | np.ndarray) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot``.

    Parameters
    ----------
    y_true, y_pred : array-like of float
        Observed and predicted values, same length (any unit, the same for both).

    Returns
    -------
    float
        1 for a perfect fit, 0 for predicting the mean, negative when worse than the mean; ``nan``
        when ``y_true`` is constant (no variance to explain).

    Examples
    --------
    >>> r2_score([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    0.5
    """
    true, pred = _paired("y_true", y_true, "y_pred", y_pred)
    total = float(np.sum((true - true.mean()) ** 2))
    if total == 0.0:
        return float("nan")
    return 1.0 - float(np.sum((true - pred) ** 2)) / total


def mean_absolute_error(y_true: Sequence[float] | np.ndarray, y_pred: Sequence[float] | np.ndarray) -> float:
    """Mean absolute error ``mean(|y_true - y_pred|)``, in the unit of the values.

    Examples
    --------
    >>> mean_absolute_error([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    0.3333333333333333
    """
    true, pred = _paired("y_true", y_true, "y_pred", y_pred)
    return float(np.mean(np.abs(true - pred)))


def _paired(name_a: str, a: Any, name_b: str, b: Any) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(a, dtype=float).ravel()
    y = np.asarray(b, dtype=float).ravel()
    if x.shape != y.shape or x.size == 0:
        raise SurrogateError(f"{name_a} has {x.size} values and {name_b} has {y.size}; give the same "
                             "non-zero number of each")
    return x, y


# --------------------------------------------------------------------------------------------------
# features


def _price_array(prices: Mapping[str, np.ndarray], key: str, n_rows: int, n_steps: int) -> np.ndarray:
    if key not in prices:
        raise SurrogateError(f"prices has no {key!r} (keys: {sorted(prices)}); give {list(PRICE_KEYS)}")
    array = np.asarray(prices[key], dtype=float)
    if array.shape != (n_rows, n_steps):
        raise SurrogateError(f"prices[{key!r}] has shape {array.shape}; expected (n_scenarios, n_steps) = "
                             f"({n_rows}, {n_steps}), one row per row of the scenarios table")
    if not np.all(np.isfinite(array)):
        raise SurrogateError(f"prices[{key!r}] holds {int(np.sum(~np.isfinite(array)))} NaN or infinite "
                             "values; every step needs a price")
    return array


def _step_hours(time: pd.DatetimeIndex) -> float:
    if len(time) < 2:
        raise SurrogateError(f"time has {len(time)} steps; a price profile needs at least 2")
    steps = np.diff(time.asi8) / 3.6e12  # ns -> h
    if np.any(steps <= 0):
        raise SurrogateError("time must be strictly increasing")
    return float(np.median(steps))


def price_features(scenarios: pd.DataFrame, prices: Mapping[str, np.ndarray], time: pd.DatetimeIndex,
                   net_load_kw: np.ndarray | None = None) -> pd.DataFrame:
    """One row of surrogate features per scenario, from its price profiles and parameters.

    Parameters
    ----------
    scenarios : pandas.DataFrame
        One row per scenario, indexed by (or with a column) ``scenario_id``; columns ``tariff``
        (one of :data:`TARIFFS`), ``p2p`` (bool), ``export_ratio``, ``community_spread``, ``seed`` and
        tariff parameters. Every other numeric column is passed through as a parameter (NaN where it
        does not apply, e.g. ``cpp_price`` of a ToU scenario); ``seed`` is left out.
    prices : dict of str to numpy.ndarray
        ``import_price``, ``export_price`` and ``community_price``, each of shape
        ``(n_scenarios, n_steps)`` in currency/kWh, rows aligned with ``scenarios``.
    time : pandas.DatetimeIndex
        Start of each step (``n_steps``); hours are read on its own (local) clock.
    net_load_kw : numpy.ndarray, optional
        The community's net load in kW, positive when it draws from the grid, of shape
        ``(n_steps,)`` (one community for all scenarios) or ``(n_scenarios, n_steps)``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``scenario_id``. Import-price level and shape (``import_mean``, ``import_std``,
        ``import_min``, ``import_max``, ``import_p90``, ``import_peak_mean`` over the local hours of
        :data:`gridshare.tariffs.PEAK_HOURS`, ``import_offpeak_mean``, ``import_peak_ratio``,
        ``import_event_steps`` and ``import_event_share`` for steps above twice the scenario's
        median price, ``import_max_step_change``), the means of the dearest and cheapest windows of
        :data:`WINDOW_HOURS` hours (``import_top_1h_mean``, ``import_bottom_1h_mean``,
        ``export_top_1h_mean``, ... : what a battery can arbitrage), ``export_mean``, ``community_mean``,
        ``import_export_spread`` (mean import minus mean export), the parameters (``export_ratio``,
        ``community_spread``, ``p2p`` as 0/1, ``tariff_<name>`` one-hot, other numeric columns) and,
        with a net load: ``deficit_kwh``, ``surplus_kwh``, ``weighted_import_price`` (net-load
        weighted over deficit steps), ``weighted_export_price`` (over surplus steps, currency/kWh) and
        ``net_load_cost`` (the unmanaged net load's cost at these prices, currency).

    Examples
    --------
    >>> time = pd.date_range("2026-06-01", periods=4, freq="6h", tz="Europe/Berlin")
    >>> scenarios = pd.DataFrame({"scenario_id": ["a"], "tariff": ["tou"], "p2p": [True],
    ...                           "export_ratio": [0.5], "community_spread": [0.5], "seed": [0]})
    >>> imp = np.array([[0.1, 0.1, 0.1, 0.5]])
    >>> f = price_features(scenarios, {"import_price": imp, "export_price": imp / 2,
    ...                                "community_price": imp * 0.75}, time)
    >>> float(f.loc["a", "import_mean"]), int(f.loc["a", "import_event_steps"])
    (0.2, 1)
    """
    if not isinstance(scenarios, pd.DataFrame) or scenarios.empty:
        raise SurrogateError("scenarios must be a non-empty pandas DataFrame, one row per scenario")
    table = scenarios.set_index("scenario_id") if "scenario_id" in scenarios.columns else scenarios
    table = table.rename_axis("scenario_id")
    if table.index.has_duplicates:
        raise SurrogateError(f"scenarios has duplicate scenario_id values, e.g. "
                             f"{table.index[table.index.duplicated()][0]!r}; each scenario once")
    if not isinstance(time, pd.DatetimeIndex):
        raise SurrogateError(f"time must be a pandas.DatetimeIndex, got {type(time).__name__}")
    n_rows, n_steps = len(table), len(time)
    step_h = _step_hours(time)
    imp = _price_array(prices, "import_price", n_rows, n_steps)
    exp = _price_array(prices, "export_price", n_rows, n_steps)
    com = _price_array(prices, "community_price", n_rows, n_steps)

    peak = np.isin(time.hour, PEAK_HOURS)
    out: dict[str, np.ndarray] = {}
    out["import_mean"] = imp.mean(axis=1)
    out["import_std"] = imp.std(axis=1)
    # One sort per price serves min, max, median, p90 and the window means below.
    imp_sorted, exp_sorted = np.sort(imp, axis=1), np.sort(exp, axis=1)
    out["import_min"] = imp_sorted[:, 0]
    out["import_max"] = imp_sorted[:, -1]
    out["import_p90"] = _sorted_quantile(imp_sorted, 0.9)
    # A day without peak (or off-peak) steps falls back to the overall mean rather than NaN.
    out["import_peak_mean"] = imp[:, peak].mean(axis=1) if peak.any() else out["import_mean"]
    out["import_offpeak_mean"] = imp[:, ~peak].mean(axis=1) if (~peak).any() else out["import_mean"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = out["import_peak_mean"] / out["import_offpeak_mean"]
    out["import_peak_ratio"] = np.where(np.isfinite(ratio), ratio, np.nan)
    events = imp > 2.0 * _sorted_quantile(imp_sorted, 0.5)[:, None]
    out["import_event_steps"] = events.sum(axis=1).astype(float)
    out["import_event_share"] = events.mean(axis=1)
    out["import_max_step_change"] = np.abs(np.diff(imp, axis=1)).max(axis=1)
    # A battery earns on the dearest and cheapest few hours of the day: the means of the top and bottom
    # windows carry that arbitrage value.
    for hours in WINDOW_HOURS:
        k = int(min(n_steps, max(1, round(hours / step_h))))
        out[f"import_top_{hours}h_mean"] = imp_sorted[:, -k:].mean(axis=1)
        out[f"import_bottom_{hours}h_mean"] = imp_sorted[:, :k].mean(axis=1)
        out[f"export_top_{hours}h_mean"] = exp_sorted[:, -k:].mean(axis=1)
    out["export_mean"] = exp.mean(axis=1)
    out["community_mean"] = com.mean(axis=1)
    out["import_export_spread"] = out["import_mean"] - out["export_mean"]

    for column in ("export_ratio", "community_spread"):
        if column not in table.columns:
            raise SurrogateError(f"scenarios has no {column!r} column (columns: {list(table.columns)})")
        out[column] = _numeric_column(table, column)
    if "p2p" not in table.columns:
        raise SurrogateError(f"scenarios has no 'p2p' column (columns: {list(table.columns)})")
    p2p = table["p2p"]
    if p2p.isna().any() or not set(pd.unique(p2p)) <= {False, True}:
        raise SurrogateError(f"scenarios['p2p'] must be True/False, got values {sorted(map(str, set(p2p)))}")
    out["p2p"] = p2p.astype(bool).to_numpy(dtype=float)
    if "tariff" not in table.columns:
        raise SurrogateError(f"scenarios has no 'tariff' column (columns: {list(table.columns)})")
    tariff = table["tariff"].astype(str).str.lower()
    unknown = sorted(set(tariff) - set(TARIFFS))
    if unknown:
        raise SurrogateError(f"scenarios['tariff'] holds {unknown}; allowed: {list(TARIFFS)}")
    for name in TARIFFS:
        out[f"tariff_{name}"] = (tariff == name).to_numpy(dtype=float)
    for column in table.columns:
        if column in _NOT_PARAMETERS or column in out:
            continue
        if pd.api.types.is_bool_dtype(table[column]) or pd.api.types.is_numeric_dtype(table[column]):
            out[column] = table[column].to_numpy(dtype=float)

    if net_load_kw is not None:
        net = np.asarray(net_load_kw, dtype=float)
        if net.shape not in ((n_steps,), (n_rows, n_steps)):
            raise SurrogateError(f"net_load_kw has shape {net.shape}; expected ({n_steps},) or "
                                 f"({n_rows}, {n_steps})")
        if not np.all(np.isfinite(net)):
            raise SurrogateError("net_load_kw holds NaN or infinite values")
        deficit = np.broadcast_to(np.maximum(net, 0.0) * step_h, imp.shape)
        surplus = np.broadcast_to(np.maximum(-net, 0.0) * step_h, imp.shape)
        deficit_kwh, surplus_kwh = deficit.sum(axis=1), surplus.sum(axis=1)
        bought = (imp * deficit).sum(axis=1)
        sold = (exp * surplus).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["weighted_import_price"] = np.where(deficit_kwh > 0, bought / deficit_kwh, out["import_mean"])
            out["weighted_export_price"] = np.where(surplus_kwh > 0, sold / surplus_kwh, out["export_mean"])
        out["deficit_kwh"] = deficit_kwh
        out["surplus_kwh"] = surplus_kwh
        out["net_load_cost"] = bought - sold
    return pd.DataFrame(out, index=table.index)


def _sorted_quantile(rows: np.ndarray, q: float) -> np.ndarray:
    """Quantile ``q`` of each row of an already sorted array (linear interpolation, as numpy's
    default ``np.quantile``)."""
    position = q * (rows.shape[1] - 1)
    low = int(np.floor(position))
    high = min(low + 1, rows.shape[1] - 1)
    return rows[:, low] + (position - low) * (rows[:, high] - rows[:, low])


def _numeric_column(table: pd.DataFrame, column: str) -> np.ndarray:
    try:
        return table[column].to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise SurrogateError(f"scenarios[{column!r}] must be numbers ({exc})") from exc


# --------------------------------------------------------------------------------------------------
# model


def _check_features(features: pd.DataFrame, name: str = "features") -> pd.DataFrame:
    if not isinstance(features, pd.DataFrame) or features.empty:
        raise SurrogateError(f"{name} must be a non-empty pandas DataFrame (one row per scenario)")
    if features.index.has_duplicates:
        raise SurrogateError(f"{name} has duplicate index values, e.g. "
                             f"{features.index[features.index.duplicated()][0]!r}; one row per scenario")
    bad = [c for c in features.columns if not (pd.api.types.is_numeric_dtype(features[c])
                                                or pd.api.types.is_bool_dtype(features[c]))]
    if bad:
        raise SurrogateError(f"{name} columns {bad} are not numeric; encode them first (price_features does)")
    values = features.to_numpy(dtype=float)
    if np.isinf(values).any():
        raise SurrogateError(f"{name} holds infinite values; use NaN for 'not applicable'")
    return features


@dataclass
class _TargetModel:
    """One target's model: an optional ridge base plus the boosted trees fitted on its residuals."""

    booster: xgb.Booster
    linear: dict[str, Any] | None

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        values = x.to_numpy(dtype=float)
        matrix = xgb.DMatrix(values, feature_names=list(map(str, x.columns)), missing=np.nan,
                             base_margin=_ridge_predict(self.linear, values))
        return self.booster.predict(matrix).astype(float)


def _train(x: pd.DataFrame, y: pd.Series, params: Mapping[str, Any], rounds: int,
           penalty: float | None) -> _TargetModel:
    values, labels = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
    linear = _ridge_fit(values, labels, penalty) if penalty is not None else None
    matrix = xgb.DMatrix(values, label=labels, feature_names=list(map(str, x.columns)), missing=np.nan,
                         base_margin=_ridge_predict(linear, values))
    return _TargetModel(xgb.train(dict(params), matrix, num_boost_round=rounds), linear)


class Surrogate:
    """Gradient-boosted tree models, one per target, with held-out metrics and range checks.

    Each target's model is a ridge regression on the standardised features (the base margin) plus
    XGBoost trees fitted to what it leaves unexplained: with a few dozen scenarios the linear part
    carries the prediction, with thousands the trees add the non-linear effects. ``ridge_penalty=None``
    gives plain XGBoost.

    Build one with :meth:`fit` or :meth:`load`; do not call the constructor directly.

    Attributes
    ----------
    targets : tuple of str
        The outcomes predicted, e.g. ``("community_cost", "cost_cv")``.
    feature_names : tuple of str
        Feature columns, in the order the models read them.
    metrics : pandas.DataFrame
        Indexed by target: ``r2`` and ``mae`` on the held-out set, ``n_train``, ``n_test``.
    feature_min, feature_max : pandas.Series
        Training range of each feature (NaN ignored), for :meth:`predict`'s out-of-range flag.
    """

    def __init__(self, targets: tuple[str, ...], feature_names: tuple[str, ...],
                 models: dict[str, _TargetModel], metrics: pd.DataFrame, feature_min: pd.Series,
                 feature_max: pd.Series, train_ids: list, test_ids: list, params: dict[str, Any],
                 num_boost_round: int, seed: int, ridge_penalty: float | None) -> None:
        self.targets = targets
        self.feature_names = feature_names
        self._models = models
        self.ridge_penalty = ridge_penalty
        self.metrics = metrics
        self.feature_min = feature_min
        self.feature_max = feature_max
        self.train_ids = train_ids
        self.test_ids = test_ids
        self.params = params
        self.num_boost_round = num_boost_round
        self.seed = seed

    # ---- fitting
    @staticmethod
    def _aligned(features: pd.DataFrame, targets: pd.DataFrame,
                 names: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
        features = _check_features(features)
        if not isinstance(targets, pd.DataFrame):
            raise SurrogateError(f"targets must be a pandas DataFrame, got {type(targets).__name__}")
        if "scenario_id" in targets.columns:
            targets = targets.set_index("scenario_id")
        missing = [n for n in names if n not in targets.columns]
        if missing:
            raise SurrogateError(f"targets has no column {missing} (columns: {list(targets.columns)}); "
                                 "name the targets to fit with target_names=")
        if targets.index.has_duplicates:
            raise SurrogateError("targets has duplicate scenario ids; one row per scenario")
        absent = features.index.difference(targets.index)
        if len(absent):
            raise SurrogateError(f"{len(absent)} feature rows have no target row (e.g. {absent[0]!r}); "
                                 "features and targets must share their scenario ids")
        y = targets.loc[features.index, list(names)].apply(pd.to_numeric, errors="coerce")
        # Failed scenarios carry no outcome: train on the rows where every target is known.
        keep = np.isfinite(y.to_numpy(dtype=float)).all(axis=1)
        return features.loc[keep], y.loc[keep]

    @classmethod
    def fit(cls, features: pd.DataFrame, targets: pd.DataFrame, test_fraction: float = 0.2, seed: int = 0,
            params: Mapping[str, Any] | None = None, target_names: Sequence[str] = DEFAULT_TARGETS,
            num_boost_round: int = _DEFAULT_ROUNDS, nthread: int = 1,
            ridge_penalty: float | None = RIDGE_PENALTY) -> Surrogate:
        """Fit one model per target (ridge base + XGBoost trees) on a seeded random split.

        Parameters
        ----------
        features : pandas.DataFrame
            One numeric row per scenario (e.g. from :func:`price_features`), indexed by scenario id.
        targets : pandas.DataFrame
            Outcomes by scenario id (index or ``scenario_id`` column), e.g. the results table; rows
            with a missing (NaN) target, such as failed solves, are left out.
        test_fraction : float
            Share of rows held out for the metrics, in (0, 1).
        seed : int
            Seeds the split and XGBoost's row/column sampling: same inputs, same models.
        params : dict, optional
            XGBoost booster parameters overriding the defaults (depth 3, learning rate 0.05, ...).
        target_names : sequence of str
            Target columns to learn; default :data:`DEFAULT_TARGETS`.
        num_boost_round : int
            Boosting rounds per model.
        nthread : int
            Threads XGBoost may use.
        ridge_penalty : float or None
            Penalty of the linear base model on standardised features (>= 0); None fits the trees
            alone.

        Returns
        -------
        Surrogate
        """
        names = tuple(target_names)
        if not names:
            raise SurrogateError("target_names is empty; name at least one target")
        if not isinstance(test_fraction, int | float) or not 0.0 < float(test_fraction) < 1.0:
            raise SurrogateError(f"test_fraction={test_fraction!r}; allowed: a number strictly between 0 "
                                 "and 1")
        if not isinstance(num_boost_round, int) or num_boost_round < 1:
            raise SurrogateError(f"num_boost_round={num_boost_round!r}; allowed: an integer >= 1")
        if not isinstance(nthread, int) or nthread < 1:
            raise SurrogateError(f"nthread={nthread!r}; allowed: an integer >= 1")
        if ridge_penalty is not None and (not isinstance(ridge_penalty, int | float) or ridge_penalty < 0
                                          or not np.isfinite(ridge_penalty)):
            raise SurrogateError(f"ridge_penalty={ridge_penalty!r}; allowed: a number >= 0, or None")
        penalty = None if ridge_penalty is None else float(ridge_penalty)
        x, y = cls._aligned(features, targets, names)
        n = len(x)
        n_test = round(float(test_fraction) * n)
        if n < 10 or n_test < 2 or n - n_test < 5:
            raise SurrogateError(f"{n} usable rows with test_fraction={test_fraction}; need at least 10 rows "
                                 "with 2 or more held out and 5 or more to train on")
        order = np.random.default_rng(seed).permutation(n)
        test_pos, train_pos = order[:n_test], order[n_test:]
        booster_params = {**_DEFAULT_PARAMS, **dict(params or {}), "seed": int(seed), "nthread": nthread}
        booster_params.setdefault("verbosity", 0)
        models, rows = {}, []
        for name in names:  # loop over targets (a handful), not over rows
            model = _train(x.iloc[train_pos], y[name].iloc[train_pos], booster_params, num_boost_round,
                           penalty)
            predicted = model.predict(x.iloc[test_pos])
            truth = y[name].iloc[test_pos].to_numpy(dtype=float)
            models[name] = model
            rows.append({"target": name, "r2": r2_score(truth, predicted),
                         "mae": mean_absolute_error(truth, predicted), "n_train": len(train_pos),
                         "n_test": len(test_pos)})
        metrics = pd.DataFrame(rows).set_index("target")
        values = x.iloc[train_pos]
        return cls(targets=names, feature_names=tuple(map(str, x.columns)), models=models,
                   metrics=metrics, feature_min=values.min().astype(float),
                   feature_max=values.max().astype(float), train_ids=list(x.index[train_pos]),
                   test_ids=list(x.index[test_pos]), params=booster_params,
                   num_boost_round=num_boost_round, seed=int(seed), ridge_penalty=penalty)

    def learning_curve(self, features: pd.DataFrame, targets: pd.DataFrame,
                       fractions: Sequence[float] = (0.2, 0.4, 0.6, 0.8, 1.0)) -> pd.DataFrame:
        """Held-out error against training-set size, on the same held-out rows as :attr:`metrics`.

        Each fraction trains fresh models on the first ``fraction`` of this surrogate's (shuffled)
        training rows, with its parameters, and scores them on its held-out rows.

        Parameters
        ----------
        features, targets : pandas.DataFrame
            The tables this surrogate was fitted on (must contain its train and test scenario ids).
        fractions : sequence of float
            Shares of the training rows, each in (0, 1].

        Returns
        -------
        pandas.DataFrame
            Columns ``target``, ``fraction``, ``n_train``, ``r2_test``, ``mae_test``.
        """
        fracs = [float(f) for f in fractions]
        if not fracs or any(not 0.0 < f <= 1.0 for f in fracs):
            raise SurrogateError(f"fractions={list(fractions)!r}; allowed: numbers in (0, 1]")
        x, y = self._aligned(features, targets, self.targets)
        missing = pd.Index(self.train_ids + self.test_ids).difference(x.index)
        if len(missing):
            raise SurrogateError(f"{len(missing)} scenarios of this surrogate's split are not in features/"
                                 f"targets (e.g. {missing[0]!r}); pass the tables it was fitted on")
        x = x[list(self.feature_names)]
        x_test = x.loc[self.test_ids]
        rows = []
        for fraction in fracs:
            n_train = max(2, round(fraction * len(self.train_ids)))
            ids = self.train_ids[:n_train]
            for name in self.targets:
                model = _train(x.loc[ids], y.loc[ids, name], self.params, self.num_boost_round,
                               self.ridge_penalty)
                predicted = model.predict(x_test)
                truth = y.loc[self.test_ids, name].to_numpy(dtype=float)
                rows.append({"target": name, "fraction": fraction, "n_train": n_train,
                             "r2_test": r2_score(truth, predicted),
                             "mae_test": mean_absolute_error(truth, predicted)})
        return pd.DataFrame(rows)

    # ---- prediction
    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """Predict every target, flagging rows outside the training range.

        Parameters
        ----------
        features : pandas.DataFrame
            Exactly the feature columns this surrogate was fitted on (any order).

        Returns
        -------
        pandas.DataFrame
            Same index as ``features``; one column per target, ``out_of_range`` (bool: some
            feature lies outside its training min/max by more than :data:`RANGE_TOLERANCE` of the
            range) and ``out_of_range_features`` (comma-separated names of those features, "" if none).
        """
        features = _check_features(features)
        columns = set(map(str, features.columns))
        missing = [c for c in self.feature_names if c not in columns]
        unknown = sorted(columns - set(self.feature_names))
        if missing or unknown:
            raise SurrogateError(f"features do not match the surrogate: missing {missing}, unknown "
                                 f"{unknown}; build them with the same price_features call as for training")
        x = features[list(self.feature_names)]
        out = pd.DataFrame({name: self._models[name].predict(x) for name in self.targets},
                           index=features.index)
        values = x.to_numpy(dtype=float)
        low, high = self.feature_min.to_numpy(float), self.feature_max.to_numpy(float)
        slack = RANGE_TOLERANCE * (high - low) + 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(high)))
        # NaN means "not applicable" (a parameter of another tariff): never out of range.
        outside = (values < low - slack) | (values > high + slack)
        outside &= ~np.isnan(values)
        outside &= np.isfinite(low)  # a feature never seen in training (all NaN) can not be judged
        out["out_of_range"] = outside.any(axis=1)
        names = np.array([f"{n}," for n in self.feature_names], dtype=object)
        # Build the labels one feature at a time (a few dozen), vectorised over the rows.
        label = np.full(len(x), "", dtype=object)
        for j in np.flatnonzero(outside.any(axis=0)):
            label = label + np.where(outside[:, j], names[j], "")
        out["out_of_range_features"] = pd.Series(label, index=features.index, dtype=object).str.rstrip(",")
        return out

    # ---- persistence
    def save(self, path: str | Path) -> None:
        """Write the surrogate to directory ``path``: one XGBoost JSON model per target and
        ``surrogate.json`` with targets, features, ranges, metrics, split and parameters."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        model_files = {}
        for i, name in enumerate(self.targets):
            model_files[name] = f"model_{i}.json"
            self._models[name].booster.save_model(folder / model_files[name])
        metadata = {
            "format": "gridshare-surrogate-1",
            "targets": list(self.targets),
            "feature_names": list(self.feature_names),
            "feature_min": [_json_float(v) for v in self.feature_min.to_numpy(float)],
            "feature_max": [_json_float(v) for v in self.feature_max.to_numpy(float)],
            "metrics": self.metrics.reset_index().to_dict(orient="records"),
            "train_ids": [_json_id(v) for v in self.train_ids],
            "test_ids": [_json_id(v) for v in self.test_ids],
            "params": self.params,
            "num_boost_round": self.num_boost_round,
            "seed": self.seed,
            "model_files": model_files,
            "ridge_penalty": self.ridge_penalty,
            "linear": {name: self._models[name].linear for name in self.targets},
        }
        (folder / _METADATA_FILE).write_text(json.dumps(metadata, indent=1))

    @classmethod
    def load(cls, path: str | Path) -> Surrogate:
        """Read a surrogate written by :meth:`save`; its predictions equal the saved one's exactly."""
        folder = Path(path)
        meta_path = folder / _METADATA_FILE
        if not meta_path.is_file():
            raise SurrogateError(f"{folder} holds no {_METADATA_FILE}; give a directory written by "
                                 "Surrogate.save")
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != "gridshare-surrogate-1":
            raise SurrogateError(f"{meta_path} is not a gridshare surrogate (format {meta.get('format')!r})")
        models = {}
        for name in meta["targets"]:
            booster = xgb.Booster()
            booster.load_model(folder / meta["model_files"][name])
            models[name] = _TargetModel(booster, meta["linear"][name])
        names = meta["feature_names"]
        return cls(targets=tuple(meta["targets"]), feature_names=tuple(names), models=models,
                   metrics=pd.DataFrame(meta["metrics"]).set_index("target"),
                   feature_min=pd.Series(meta["feature_min"], index=names, dtype=float),
                   feature_max=pd.Series(meta["feature_max"], index=names, dtype=float),
                   train_ids=meta["train_ids"], test_ids=meta["test_ids"], params=meta["params"],
                   num_boost_round=meta["num_boost_round"], seed=meta["seed"],
                   ridge_penalty=meta["ridge_penalty"])


def _json_float(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _json_id(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# --------------------------------------------------------------------------------------------------
# verification


def verify_top_k(predictions: pd.DataFrame, k: int, evaluate: Callable[[Any], float],
                 target: str = "community_cost", ascending: bool = True) -> pd.DataFrame:
    """Re-evaluate the ``k`` best predicted scenarios with the real model and compare.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Output of :meth:`Surrogate.predict`, indexed by scenario id.
    k : int
        How many scenarios to verify (at most the number of rows).
    evaluate : callable
        ``evaluate(scenario_id) -> float``: the real outcome, e.g. the optimised community cost.
    target : str
        Prediction column to rank by and compare.
    ascending : bool
        True when lower is better (costs, CV); the ``k`` lowest are verified.

    Returns
    -------
    pandas.DataFrame
        One row per verified scenario in predicted order (a plain 0..k-1 index, so the table can be
        written as it is): ``scenario_id``, ``rank`` (1 = best), ``predicted``, ``actual``,
        ``error`` (predicted - actual), ``abs_error``, ``rel_error`` (error / |actual|, NaN when the
        actual is 0) and ``out_of_range``.
    """
    if not isinstance(predictions, pd.DataFrame) or target not in predictions.columns:
        columns = list(predictions.columns) if isinstance(predictions, pd.DataFrame) else None
        raise SurrogateError(f"predictions must be a DataFrame with a {target!r} column (columns: {columns})")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= len(predictions):
        raise SurrogateError(f"k={k!r}; allowed: an integer from 1 to {len(predictions)} (the number of "
                             "predictions)")
    best = predictions.sort_values(target, ascending=ascending, kind="stable").head(int(k))
    # One real optimisation per picked scenario: k is small and each call is the expensive part.
    actual = np.array([float(evaluate(sid)) for sid in best.index])
    predicted = best[target].to_numpy(dtype=float)
    error = predicted - actual
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(actual != 0, error / np.abs(actual), np.nan)
    out = pd.DataFrame({"scenario_id": best.index.to_numpy(), "rank": np.arange(1, len(best) + 1),
                        "predicted": predicted, "actual": actual, "error": error, "abs_error": np.abs(error),
                        "rel_error": rel})
    out["out_of_range"] = (best["out_of_range"].to_numpy(bool) if "out_of_range" in best.columns
                           else np.zeros(len(best), dtype=bool))
    return out


# --------------------------------------------------------------------------------------------------
# linear base model


def _ridge_fit(x: np.ndarray, y: np.ndarray, penalty: float) -> dict[str, Any]:
    """Ridge regression on standardised features; NaN (not applicable) reads as the feature's mean."""
    known = ~np.isnan(x)
    count = known.sum(axis=0)
    mean = np.where(count > 0, np.where(known, x, 0.0).sum(axis=0) / np.maximum(count, 1), 0.0)
    spread = np.sqrt(np.where(known, (x - mean) ** 2, 0.0).sum(axis=0) / np.maximum(count, 1))
    scale = np.where(spread > 0, spread, 1.0)
    z = np.where(known, (x - mean) / scale, 0.0)
    design = np.column_stack([np.ones(len(z)), z])
    # Ridge as least squares on rows augmented with sqrt(penalty) I (the intercept is not shrunk);
    # lstsq's minimum-norm answer also copes with collinear features (one-hot tariffs) at penalty 0.
    shrink = np.sqrt(penalty) * np.eye(design.shape[1])[1:]
    coef = np.linalg.lstsq(np.vstack([design, shrink]), np.concatenate([y, np.zeros(len(shrink))]),
                           rcond=None)[0]
    return {"mean": mean.tolist(), "scale": scale.tolist(), "intercept": float(coef[0]),
            "coef": coef[1:].tolist()}


def _ridge_predict(model: dict[str, Any] | None, x: np.ndarray) -> np.ndarray:
    if model is None:
        return np.zeros(len(x))
    z = (x - np.asarray(model["mean"])) / np.asarray(model["scale"])
    return model["intercept"] + np.where(np.isnan(z), 0.0, z) @ np.asarray(model["coef"])
