"""Forecasters: hand values, no look-ahead, and reported errors."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridshare.community import (
    Learned,
    Perfect,
    Persistence,
    SeasonalNaive,
    evaluate_forecasters,
    forecast_errors,
    make_forecaster,
    run_simulation,
)

T = pd.date_range("2024-03-01", periods=120, freq="h", tz="UTC")


def test_persistence_and_seasonal_naive_by_hand():
    past = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]])
    assert Persistence().predict(past, T[:5], T[5:8]).tolist() == [[5.0, 5.0, 5.0]]
    # Season 2: k = 0 -> y[5 - 2] = 4, k = 1 -> y[4] = 5, k = 2 -> y[5 + 2 - 4] = 4.
    assert SeasonalNaive(2).predict(past, T[:5], T[5:8]).tolist() == [[4.0, 5.0, 4.0]]
    # Not enough past for a season: persistence.
    assert SeasonalNaive(24).predict(past, T[:5], T[5:7]).tolist() == [[5.0, 5.0]]
    assert Persistence().predict(np.zeros((2, 0)), T[:0], T[:2]).tolist() == [[0, 0], [0, 0]]


def test_ridge_recovers_a_calendar_signal():
    # y = 2 + sin(2 pi h / 24) + 0.5 weekend lies in the span of the calendar features (four
    # days of history: no yearly pair), so the ridge fit reproduces it to rounding.
    h = np.asarray(T.hour, dtype=float)
    y = (2 + np.sin(2 * np.pi * h / 24) + 0.5 * (T.day_of_week >= 5))[None, :]
    f = Learned(backend="ridge", ridge=1e-9).predict(y[:, :96], T[:96], T[96:])
    np.testing.assert_allclose(f, y[:, 96:], atol=1e-6)


def test_perfect_returns_the_future_and_errors_are_by_hand():
    truth = np.arange(10.0)[None, :]
    assert Perfect(truth).predict(truth[:, :4], T[:4], T[4:6]).tolist() == [[4.0, 5.0]]
    # errors -1, 2: MAE 1.5, RMSE sqrt(2.5)
    e = forecast_errors([[1.0, 4.0]], [[2.0, 2.0]])
    assert e["mae"] == 1.5 and e["rmse"] == pytest.approx(np.sqrt(2.5))
    with pytest.raises(ValueError, match="shape"):
        forecast_errors([1.0], [1.0, 2.0])


@settings(max_examples=20, deadline=None)
@given(origin=st.integers(0, 100), name=st.sampled_from(["persistence", "seasonal_naive",
                                                          "learned"]))
def test_forecasts_never_look_ahead(origin, name):
    rng = np.random.default_rng(origin)
    y = rng.uniform(size=(2, 120))
    other = y.copy()
    other[:, origin:] = rng.uniform(size=(2, 120 - origin))  # a different future
    a = make_forecaster(name, steps_day=24).predict(y[:, :origin], T[:origin], T[origin:origin + 6])
    b = make_forecaster(name, steps_day=24).predict(other[:, :origin], T[:origin],
                                                    T[origin:origin + 6])
    np.testing.assert_array_equal(a, b)


def test_evaluate_forecasters_ranks_on_a_daily_series():
    h = np.asarray(T.hour, dtype=float)
    y = np.maximum(np.sin(2 * np.pi * (h - 6) / 24), 0)[None, :]
    table = evaluate_forecasters(y, T, start=48, horizon=12, stride=6)
    # A purely daily series: the seasonal-naive forecast is exact, persistence is not.
    assert table.loc["perfect", "mae"] == 0.0
    assert table.loc["seasonal_naive", "mae"] == pytest.approx(0.0, abs=1e-12)
    assert table.loc["persistence", "mae"] > 0.1
    with pytest.raises(ValueError, match="forecaster must be one of"):
        make_forecaster("oracle")


def test_simulation_reports_errors_of_the_forecasts_used():
    r = run_simulation(homes=2, steps=3, strategy="convex", forecaster="persistence",
                       horizon=3, history_days=1)
    fe = r.forecast_errors
    assert set(fe.index) == {"load", "pv", "import_price", "export_price"}
    # Flat prices: persistence is exact; loads are not.
    assert fe.loc["import_price", "mae"] == 0.0
    assert fe.loc["load", "mae"] > 0
    # 2 homes x (3 + 2 + 1) window steps were forecast.
    assert fe.loc["load", "n"] == 12
