"""Sector load profiles: exact annual energy, reproducibility, calendars and sector shapes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridshare.profiles import SECTORS, sector_load, sector_loads
from gridshare.profiles.load import ar1_filter
from gridshare.timeindex import make_index

TZ = "America/Denver"


def year(y: int, res: str = "1h", tz: str = TZ) -> pd.DatetimeIndex:
    return make_index(f"{y}-01-01", res, tz, end=f"{y + 1}-01-01")


@pytest.mark.parametrize("y, res, steps", [(2023, "1h", 8760), (2024, "1h", 8784),
                                           (2023, "15min", 35040), (2024, "15min", 35136)])
@pytest.mark.parametrize("sector", SECTORS)
def test_annual_energy_is_exact(sector, y, res, steps):
    idx = year(y, res)
    assert len(idx) == steps  # 8760 h, or 8784 h in the leap year: no day dropped or padded
    p = sector_load(sector, idx, annual_kwh=123_456.7, seed=7)
    hours = {"1h": 1.0, "15min": 0.25}[res]
    # Expected: the annual_kwh we asked for (energy = sum of kW x step hours).
    np.testing.assert_allclose(p.sum() * hours, 123_456.7, rtol=1e-9)
    assert p.name == "load_kw" and p.index.equals(idx)
    assert (p > 0).all()


def test_each_full_year_of_a_multi_year_index_is_scaled():
    # An index from mid-2023 to mid-2024 touches both years; each is generated whole and scaled,
    # so the slices equal the single-year profiles (which we know integrate to annual_kwh).
    idx = make_index("2023-07-01", "30min", TZ, end="2024-07-01")
    p = sector_load("retail", idx, 5.0e5, seed=3)
    full_23 = sector_load("retail", year(2023, "30min"), 5.0e5, seed=3)
    full_24 = sector_load("retail", year(2024, "30min"), 5.0e5, seed=3)
    np.testing.assert_array_equal(p.to_numpy(), pd.concat([full_23, full_24]).loc[idx].to_numpy())


def test_seed_reproducibility_and_horizon_slice():
    idx = year(2023)
    a = sector_load("residential", idx, 4000.0, seed=11)
    b = sector_load("residential", idx, 4000.0, seed=11)
    c = sector_load("residential", idx, 4000.0, seed=12)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    # A 24 h horizon is an exact slice of the full year (same stream per seed and year).
    day = make_index("2023-05-17", "1h", TZ, periods=24)
    np.testing.assert_array_equal(sector_load("residential", day, 4000.0, seed=11),
                                  a.loc[day].to_numpy())


def test_batch_rows_equal_single_calls():
    idx = make_index("2024-02-27", "5min", "Europe/Lisbon", periods=3 * 288)
    sectors = ["business", "data_center", "health_care"]
    batch = sector_loads(sectors, idx, [1e5, 2e6, 3e5], seeds=[1, 2, 3], noise=0.08)
    for row, (s, e, seed) in enumerate(zip(sectors, [1e5, 2e6, 3e5], [1, 2, 3], strict=True)):
        np.testing.assert_array_equal(batch[row], sector_load(s, idx, e, seed, noise=0.08))


@pytest.mark.parametrize("day, hours", [("2023-03-12", 23), ("2023-11-05", 25),
                                        ("2024-02-29", 24)])
def test_dst_and_leap_days_are_real_days(day, hours):
    idx = make_index(day, "1h", TZ, end=pd.Timestamp(day) + pd.Timedelta(days=1))
    assert len(idx) == hours  # 23 or 25 local hours on DST days, Feb 29 is a whole day
    p = sector_load("residential", idx, 4000.0, seed=5)
    full = sector_load("residential", year(int(day[:4])), 4000.0, seed=5)
    np.testing.assert_array_equal(p.to_numpy(), full.loc[idx].to_numpy())


def test_patterns_follow_local_time_across_dst():
    # Without noise the shape is deterministic: the evening peak stays at the same local hour
    # (template peak at 19:30 local) in winter (UTC-7) and summer (UTC-6).
    idx = year(2023)
    p = sector_load("residential", idx, 4000.0, noise=0.0)
    for day in ("2023-01-18", "2023-07-19"):  # both Wednesdays
        d = p.loc[day]
        assert d.index[d.to_numpy().argmax()].hour == 19


def test_zero_noise_is_deterministic_and_seed_free():
    idx = year(2023)
    np.testing.assert_array_equal(sector_load("business", idx, 1e5, seed=1, noise=0.0),
                                  sector_load("business", idx, 1e5, seed=2, noise=0.0))


@pytest.fixture(scope="module")
def yearly():
    idx = year(2023)
    loads = sector_loads(list(SECTORS), idx, 1.0e6, seeds=range(len(SECTORS)))
    return {s: pd.Series(loads[i], index=idx) for i, s in enumerate(SECTORS)}


def _weekday(p):
    return p[p.index.day_of_week < 5]


def test_data_center_is_flat(yearly):
    p = yearly["data_center"]
    # Thresholds from the specification of the sector: load factor > 0.9 and flat.
    assert p.mean() / p.max() > 0.9
    assert p.std() / p.mean() < 0.03


def test_business_weekends_and_daytime(yearly):
    p = yearly["business"]
    daily = p.resample("D").sum()
    weekend = daily[daily.index.day_of_week >= 5].mean()
    weekday = daily[daily.index.day_of_week < 5].mean()
    assert weekend < 0.6 * weekday  # offices mostly closed at weekends
    wd = _weekday(p)
    day_mean = wd[(wd.index.hour >= 9) & (wd.index.hour < 17)].mean()
    night_mean = wd[(wd.index.hour < 5)].mean()
    assert day_mean > 2.0 * night_mean


def test_residential_morning_and_evening_peaks(yearly):
    prof = _weekday(yearly["residential"]).groupby(lambda t: t.hour).mean()
    morning = prof.loc[6:9].max()
    midday = prof.loc[11:15].mean()
    evening = prof.loc[17:21].max()
    night = prof.loc[1:4].mean()
    assert morning > 1.2 * midday and evening > 1.5 * midday and evening > morning > night
    assert 18 <= prof.idxmax() <= 21


def test_retail_open_hours_include_saturday(yearly):
    p = yearly["retail"]
    sat = p[p.index.day_of_week == 5]
    open_ = sat[(sat.index.hour >= 10) & (sat.index.hour < 19)].mean()
    closed = sat[(sat.index.hour < 7) | (sat.index.hour >= 22)].mean()
    assert open_ > 2.5 * closed
    wd = _weekday(p)
    assert wd[(wd.index.hour >= 10) & (wd.index.hour < 19)].mean() > 2.5 * closed


def test_health_care_runs_around_the_clock_with_a_daytime_bump(yearly):
    wd = _weekday(yearly["health_care"])
    day = wd[(wd.index.hour >= 9) & (wd.index.hour < 17)].mean()
    night = wd[wd.index.hour < 5].mean()
    assert 0.6 * day < night < 0.9 * day


def test_industrial_shifts_and_weekends(yearly):
    p = yearly["industrial"]
    wd = _weekday(p)
    shift = wd[(wd.index.hour >= 7) & (wd.index.hour < 21)].mean()
    night = wd[wd.index.hour < 5].mean()
    sunday = p[p.index.day_of_week == 6].mean()
    assert shift > 1.6 * night
    assert sunday < 0.6 * wd.mean()


def test_seasonal_heating_and_cooling(yearly):
    res = yearly["residential"].groupby(lambda t: t.month).mean()
    bus = yearly["business"].groupby(lambda t: t.month).mean()
    assert res[1] > 1.15 * res[4]  # heating: January above April
    assert bus[7] > 1.1 * bus[4]  # cooling: July above April


@pytest.mark.parametrize("kwargs, match", [
    ({"sector": "school"}, "allowed sectors are business, industrial"),
    ({"annual_kwh": -1.0}, "annual_kwh"),
    ({"annual_kwh": float("nan")}, "annual_kwh"),
    ({"noise": -0.1}, "noise"),
    ({"seed": -3}, "seeds"),
])
def test_bad_arguments_raise_clear_errors(kwargs, match):
    args = {"sector": "business", "index": year(2023), "annual_kwh": 1e5, **kwargs}
    with pytest.raises(ValueError, match=match):
        sector_load(**args)


def test_bad_indices_raise_clear_errors():
    naive = pd.date_range("2023-01-01", periods=24, freq="h")
    with pytest.raises(ValueError, match="no time zone"):
        sector_load("business", naive, 1e5)
    odd = pd.date_range("2023-01-01", periods=24, freq="7min", tz="UTC")
    with pytest.raises(ValueError, match="7 min"):
        sector_load("business", odd, 1e5)
    shifted = pd.date_range("2023-01-01 00:07", periods=24, freq="h", tz="UTC")
    with pytest.raises(ValueError, match="grid"):
        sector_load("business", shifted, 1e5)


def test_ar1_helper_has_unit_variance_and_requested_correlation():
    # Expected: a stationary AR(1) with coefficient phi has variance 1 and lag-1 correlation phi.
    rng = np.random.default_rng(0)
    z = ar1_filter(rng.standard_normal((20, 20_000)), 0.8)
    assert abs(z.var() - 1.0) < 0.03
    lag = np.mean([np.corrcoef(r[:-1], r[1:])[0, 1] for r in z])
    assert abs(lag - 0.8) < 0.01


@settings(max_examples=20, deadline=None)
@given(sector=st.sampled_from(SECTORS), annual=st.floats(0.0, 1e8),
       seed=st.integers(0, 2**31), y=st.sampled_from([2023, 2024]),
       res=st.sampled_from(["30min", "1h"]))
def test_property_annual_energy_and_positivity(sector, annual, seed, y, res):
    idx = year(y, res, "UTC")
    p = sector_load(sector, idx, annual, seed=seed)
    hours = 0.5 if res == "30min" else 1.0
    # Invariant: every generated year integrates to the requested energy, loads are >= 0.
    np.testing.assert_allclose(p.sum() * hours, annual, rtol=1e-9, atol=1e-9)
    assert (p >= 0).all()


def test_non_numeric_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="annual_kwh = 'lots'"):
        sector_load("business", year(2023), "lots")
    with pytest.raises(ValueError, match="noise"):
        sector_load("business", year(2023), 1e5, noise="some")
    with pytest.raises(ValueError, match="sectors has 1 entries but seeds has 2"):
        sector_loads(["business"], year(2023), 1e5, seeds=[1, 2])
