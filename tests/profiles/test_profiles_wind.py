"""Wind: exact Weibull marginal, resolution-aware autocorrelation, shear and power curves."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import ndtri

from gridshare.profiles import (
    align_weather,
    power_curve,
    read_weather,
    wind_power,
    wind_powers,
    wind_speed,
    wind_speeds,
)
from gridshare.timeindex import make_index

EPW = Path(__file__).parents[2] / "examples" / "data" / "golden_co_sample.epw"


def year(y=2023, res="1h", tz="UTC"):
    return make_index(f"{y}-01-01", res, tz, end=f"{y + 1}-01-01")


@pytest.mark.parametrize("k, c", [(2.0, 7.5), (1.6, 9.0)])
def test_weibull_mean_and_quantiles(k, c):
    v = wind_speeds(year(), seeds=range(40), weibull_shape=k, weibull_scale=c)
    # Expected mean from the Weibull law: c * Gamma(1 + 1/k) (6.647 m/s for k=2, c=7.5).
    mean = c * math.gamma(1 + 1 / k)
    assert abs(v.mean() / mean - 1) < 0.02
    # P(v <= c) = 1 - exp(-1) = 0.6321 for every Weibull.
    assert abs(np.mean(v <= c) - (1 - math.exp(-1))) < 0.01


def test_weibull_marginal_ks_without_autocorrelation():
    # With no autocorrelation the steps are independent draws, so a KS test applies directly.
    v = wind_speed(year(), seed=3, weibull_shape=2.2, weibull_scale=8.0, autocorrelation_1h=0.0)
    result = stats.kstest(v.to_numpy(), stats.weibull_min(2.2, scale=8.0).cdf)
    assert result.pvalue > 0.01


@pytest.mark.parametrize("res, steps_per_hour", [("15min", 4), ("1h", 1)])
def test_autocorrelation_is_resolution_aware(res, steps_per_hour):
    v = wind_speeds(year(res=res), seeds=range(5), autocorrelation_1h=0.9)
    # Back to the Gaussian: z = Phi^-1(1 - exp(-(v/c)^k)); its lag-1 h correlation is 0.9.
    z = ndtri(1 - np.exp(-((v / 7.5) ** 2.0)))
    lag = steps_per_hour
    corr = np.mean([np.corrcoef(r[:-lag], r[lag:])[0, 1] for r in z])
    assert abs(corr - 0.9) < 0.01
    one_step = np.mean([np.corrcoef(r[:-1], r[1:])[0, 1] for r in z])
    assert abs(one_step - 0.9 ** (1 / steps_per_hour)) < 0.01  # per-step phi = 0.9 ** dt


def test_shear_to_hub_height():
    idx = year()
    ref = wind_speed(idx, seed=8, reference_height_m=100.0, hub_height_m=100.0)
    hub = wind_speed(idx, seed=8, reference_height_m=100.0, hub_height_m=150.0,
                     shear_exponent=0.2)
    # Power law by hand: v_hub / v_ref = (150 / 100) ** 0.2 = 1.08447.
    np.testing.assert_allclose(hub / ref, 1.5 ** 0.2, rtol=1e-12)


def test_seed_reproducibility_and_slices():
    idx = year(2024, "10min", "Europe/Lisbon")
    a = wind_speed(idx, seed=1)
    np.testing.assert_array_equal(a, wind_speed(idx, seed=1))
    assert not np.allclose(a, wind_speed(idx, seed=2))
    day = make_index("2024-03-31", "10min", "Europe/Lisbon", end="2024-04-01")
    assert len(day) == 23 * 6  # the spring DST day has 23 local hours
    np.testing.assert_array_equal(wind_speed(day, seed=1), a.loc[day].to_numpy())
    batch = wind_powers(day, [500.0, 3000.0], seeds=[1, 2])
    np.testing.assert_array_equal(batch[0], wind_power(day, 500.0, seed=1))


def test_cubic_power_curve_points_by_hand():
    speeds = np.array([0.0, 2.9, 3.0, 7.5, 10.0, 12.0, 20.0, 24.99, 25.0, 30.0])
    p = power_curve(speeds, 2000.0, cut_in=3.0, rated=12.0, cut_out=25.0)
    # By hand: 2000 (v³ - 27) / (1728 - 27) between cut-in and rated.
    expected = [0.0, 0.0, 0.0, 2000 * (421.875 - 27) / 1701, 2000 * (1000 - 27) / 1701,
                2000.0, 2000.0, 2000.0, 0.0, 0.0]
    np.testing.assert_allclose(p, expected, rtol=1e-12)


def test_tabulated_curves():
    table = [(3.0, 0.0), (5.0, 0.2), (10.0, 1.0), (25.0, 1.0)]
    p = power_curve([2.0, 4.0, 7.5, 20.0, 26.0], 1000.0, curve=table)
    # Linear interpolation by hand: 4 m/s -> 0.1, 7.5 m/s -> 0.2 + 0.8 x 2.5/5 = 0.6; 0 outside.
    np.testing.assert_allclose(p, [0.0, 100.0, 600.0, 1000.0, 0.0], rtol=1e-12)
    kw = power_curve([8.0], 4000.0, curve=[(3.0, 0.0), (13.0, 2000.0)], curve_unit="kw")
    np.testing.assert_allclose(kw, [2000.0])  # half of one 2 MW turbine's rating x 4000 kW
    # "auto" reads a table with powers above 1 as kW, one with powers <= 1 as fractions.
    auto = power_curve([8.0], 4000.0, curve=[(3.0, 0.0), (13.0, 2000.0)])
    np.testing.assert_allclose(auto, [2000.0])


def test_wind_power_annual_energy_and_capacity_bound():
    idx = year(2024, "15min")
    p = wind_power(idx, 3000.0, seed=4)
    assert p.max() <= 3000.0 and p.min() >= 0.0
    scaled = wind_power(idx, 3000.0, seed=4, annual_kwh=8.0e6)
    np.testing.assert_allclose(scaled.sum() * 0.25, 8.0e6, rtol=1e-9)  # expected: the target
    # Rescaling is one factor per year: target / unscaled energy.
    np.testing.assert_allclose(scaled, p * 8.0e6 / (p.sum() * 0.25), rtol=1e-9)


def test_wind_power_from_weather():
    weather = read_weather(EPW)
    idx = make_index("2023-04-01", "1h", "America/Denver", periods=48)
    met = align_weather(weather, idx)
    p = wind_power(idx, 1500.0, hub_height_m=80.0, weather=met)
    # Expected: measured 10 m speed sheared by (80/10)^0.143, then the cubic curve by hand.
    v = met["wind_speed"].to_numpy() * 8.0 ** 0.143
    expected = np.where(v < 3, 0.0, np.where(v < 12, 1500 * (v**3 - 27) / 1701, 1500.0))
    np.testing.assert_allclose(p.to_numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("kwargs, match", [
    ({"cut_in": 12.0}, "cut_in < rated < cut_out"),
    ({"rated": 30.0}, "cut_in < rated < cut_out"),
    ({"curve": [(5.0, 0.1), (4.0, 0.5)]}, "strictly increasing"),
    ({"curve": [(3.0, 0.0), (10.0, 1.5)], "curve_unit": "fraction"}, "fractions"),
    ({"curve": [(3.0, 0.0), (10.0, -1.0)]}, ">= 0"),
    ({"curve": [(3.0, 0.0)]}, "shape"),
])
def test_power_curve_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        power_curve([5.0], 100.0, **kwargs)


@pytest.mark.parametrize("kwargs, match", [
    ({"weibull_shape": 0.0}, "weibull_shape"),
    ({"weibull_scale": -1.0}, "weibull_scale"),
    ({"autocorrelation_1h": 1.0}, "autocorrelation_1h"),
    ({"hub_height_m": float("nan")}, "hub_height_m"),
])
def test_wind_speed_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        wind_speed(year(), **kwargs)


@settings(max_examples=25, deadline=None)
@given(v=st.lists(st.floats(0, 40), min_size=1, max_size=50), cap=st.floats(0, 1e4),
       cut_in=st.floats(0, 5), span=st.floats(1, 15))
def test_property_power_curve_bounded_and_monotone_below_rated(v, cap, cut_in, span):
    rated = cut_in + span
    p = power_curve(np.array(v), cap, cut_in=cut_in, rated=rated, cut_out=rated + 10)
    assert np.all((p >= 0) & (p <= cap * (1 + 1e-12)))
    below = np.sort(np.array(v)[np.array(v) < rated])
    pb = power_curve(below, cap, cut_in=cut_in, rated=rated, cut_out=rated + 10)
    assert np.all(np.diff(pb) >= -1e-9)
