"""PV: the clear-sky pipeline against pvlib called directly, stochastic bounds and seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridshare.profiles import (
    Site,
    align_weather,
    clear_sky,
    clear_sky_index,
    clear_sky_indices,
    pv_power,
    pv_powers,
    read_weather,
)
from gridshare.timeindex import make_index

GOLDEN = Site(39.742, -105.179, 1829.0, "Etc/GMT+7")
EPW = Path(__file__).parents[2] / "examples" / "data" / "golden_co_sample.epw"


def reference_pv(site, index, kwp, tilt, azimuth, ghi=None, dni=None, dhi=None, temp_air=None,
                 wind=None, losses=0.14, eta=0.96, ratio=1.2, gamma=-0.0037):
    """PVWatts chain written directly against pvlib, as documented in gridshare.profiles.solar."""
    dt = index[1] - index[0]
    mid = index + dt / 2
    loc = pvlib.location.Location(site.latitude, site.longitude, site.timezone, site.altitude)
    sp = loc.get_solarposition(mid)
    if ghi is None:
        cs = loc.get_clearsky(mid, model="ineichen")
        ghi, dni, dhi = cs["ghi"], cs["dni"], cs["dhi"]
    if temp_air is None:
        # The documented climatology, written out independently:
        # 29 - 0.3|lat| - 0.004 alt - 0.3|lat| cos(2 pi (doy - 20)/365.25) + 6 cos(2 pi (h - 15)/24)
        u = mid.tz_convert("UTC")
        doy = u.day_of_year + (u.hour + u.minute / 60) / 24
        solar_h = (u.hour + u.minute / 60 + site.longitude / 15) % 24
        lat = abs(site.latitude)
        temp_air = (29 - 0.3 * lat - 0.004 * site.altitude
                    - min(0.3 * lat, 15) * np.cos(2 * np.pi * (doy - 20) / 365.25)
                    + 6 * np.cos(2 * np.pi * (solar_h - 15) / 24))
        wind = 1.0
    poa = pvlib.irradiance.get_total_irradiance(
        tilt, azimuth, sp["apparent_zenith"], sp["azimuth"], dni, ghi, dhi,
        dni_extra=pvlib.irradiance.get_extra_radiation(mid), albedo=0.2,
        model="haydavies")["poa_global"].fillna(0.0)
    tcell = pvlib.temperature.faiman(poa, np.asarray(temp_air), wind)
    pdc = pvlib.pvsystem.pvwatts_dc(poa, tcell, kwp, gamma) * (1 - losses)
    return np.asarray(pvlib.inverter.pvwatts(pdc, kwp / ratio / eta, eta_inv_nom=eta))


@pytest.mark.parametrize("day", ["2023-06-21", "2023-12-21"])
@pytest.mark.parametrize("res", ["1h", "15min", "5min"])
def test_clear_sky_pv_equals_direct_pvlib_pipeline(day, res):
    idx = make_index(day, res, GOLDEN.timezone, end=pd.Timestamp(day) + pd.Timedelta(days=1))
    ours = pv_power(GOLDEN, idx, kwp=7.5, tilt=25.0, azimuth=170.0, stochastic=False)
    # Expected: the same chain called directly in pvlib (independent of our code paths).
    ref = reference_pv(GOLDEN, idx, 7.5, 25.0, 170.0)
    np.testing.assert_allclose(ours.to_numpy(), ref, rtol=1e-9, atol=1e-12)
    assert ours.max() > 0.5 * 7.5 / 1.2  # a clear day in Golden gets near the inverter limit


def test_clear_sky_is_ineichen_at_step_midpoints():
    idx = make_index("2023-06-21", "15min", GOLDEN.timezone, periods=96)
    ours = clear_sky(GOLDEN, idx)
    loc = pvlib.location.Location(39.742, -105.179, "Etc/GMT+7", 1829.0)
    # Expected: pvlib Ineichen evaluated at t + 7.5 min for the step starting at t.
    ref = loc.get_clearsky(idx + pd.Timedelta(minutes=7.5), model="ineichen")
    for col in ("ghi", "dni", "dhi"):
        np.testing.assert_allclose(ours[col].to_numpy(), ref[col].to_numpy(), rtol=1e-12)
    # Published order of magnitude: clear-sky GHI at a high-altitude site near solar noon on the
    # summer solstice is about 1000-1100 W/m².
    assert 950 < ours["ghi"].max() < 1150


def test_pv_with_weather_uses_the_measured_irradiance():
    weather = read_weather(EPW)
    idx = make_index("2023-07-10", "1h", "America/Denver", periods=72)
    met = align_weather(weather, idx)
    ours = pv_power(GOLDEN, idx, kwp=4.0, tilt=35.0, weather=met)
    ref = reference_pv(GOLDEN, idx, 4.0, 35.0, 180.0, ghi=met["ghi"].to_numpy(),
                       dni=met["dni"].to_numpy(), dhi=met["dhi"].to_numpy(),
                       temp_air=met["temp_air"].to_numpy(), wind=met["wind_speed"].to_numpy())
    np.testing.assert_allclose(ours.to_numpy(), ref, rtol=1e-9, atol=1e-12)
    # Passing the Weather object aligns it internally and gives the same numbers.
    np.testing.assert_allclose(pv_power(GOLDEN, idx, 4.0, tilt=35.0, weather=weather), ours,
                               rtol=1e-12)


@pytest.fixture(scope="module")
def stochastic_year():
    idx = make_index("2024-01-01", "30min", "America/Denver", end="2025-01-01")
    powers = pv_powers(GOLDEN, idx, kwp=[3.0, 10.0, 6.0], tilt=[10.0, 30.0, 60.0],
                       azimuth=[90.0, 180.0, 270.0], seeds=[1, 2, 3], dc_ac_ratio=1.3)
    return idx, powers


def test_stochastic_pv_respects_inverter_limit_and_night(stochastic_year):
    idx, powers = stochastic_year
    limit = np.array([3.0, 10.0, 6.0]) / 1.3  # AC rating = kWp / dc_ac_ratio
    assert np.all(powers <= limit[:, None] * (1 + 1e-12))
    assert np.all(powers >= 0)
    night = clear_sky(GOLDEN, idx)["ghi"].to_numpy() == 0
    assert night.sum() > 0.4 * len(idx)
    assert np.all(powers[:, night] == 0.0)


def test_stochastic_yield_is_below_clear_sky_and_plausible(stochastic_year):
    idx, powers = stochastic_year
    clear = pv_powers(GOLDEN, idx, kwp=[3.0, 10.0, 6.0], tilt=[10.0, 30.0, 60.0],
                      azimuth=[90.0, 180.0, 270.0], dc_ac_ratio=1.3, stochastic=False)
    ratio = powers.sum(axis=1) / clear.sum(axis=1)
    # Mean clear-sky index 1 - 0.8 x 0.35 = 0.72 (see clear_sky_index), less for beam-heavy
    # planes since cloudy hours are mostly diffuse.
    assert np.all((ratio > 0.5) & (ratio < 0.8))
    south_yield = clear[1].sum() * 0.5 / 10.0
    # PVWatts-type clear-sky yield of a 30° south plane at ~40° N and 1.8 km: ~2000 kWh/kWp.
    assert 1800 < south_yield < 2300


def test_seeds_slices_and_batches():
    idx = make_index("2023-01-01", "1h", "UTC", end="2024-01-01")
    a = pv_power(GOLDEN, idx, 5.0, seed=4)
    np.testing.assert_array_equal(a, pv_power(GOLDEN, idx, 5.0, seed=4))
    assert not np.allclose(a, pv_power(GOLDEN, idx, 5.0, seed=5))
    day = make_index("2023-08-02", "1h", "UTC", periods=24)
    np.testing.assert_array_equal(pv_power(GOLDEN, day, 5.0, seed=4), a.loc[day].to_numpy())
    batch = pv_powers(GOLDEN, day, [5.0, 2.0], tilt=[30.0, 15.0], azimuth=[180.0, 135.0],
                      seeds=[4, 9])
    np.testing.assert_allclose(batch[0], a.loc[day].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(batch[1], pv_power(GOLDEN, day, 2.0, tilt=15.0, azimuth=135.0,
                                                  seed=9), rtol=1e-12)


def test_zero_kwp_member_gives_zero():
    idx = make_index("2023-06-01", "1h", "UTC", periods=48)
    p = pv_powers(GOLDEN, idx, kwp=[0.0, 1.0], seeds=[1, 2])
    assert np.all(p[0] == 0) and p[1].max() > 0


@pytest.mark.parametrize("y, res, hours", [(2023, "1h", 1.0), (2024, "15min", 0.25)])
def test_pv_annual_energy_is_exact(y, res, hours):
    idx = make_index(f"{y}-01-01", res, "America/Denver", end=f"{y + 1}-01-01")
    p = pv_power(GOLDEN, idx, 5.0, seed=1, annual_kwh=7_654.3)
    np.testing.assert_allclose(p.sum() * hours, 7_654.3, rtol=1e-9)  # expected: the target


def test_clear_sky_index_process():
    idx = make_index("2023-01-01", "1h", "UTC", end="2024-01-01")
    kt = clear_sky_indices(idx, seeds=range(30))
    assert kt.min() >= 0.05 and kt.max() <= 1.05
    # Daily regime mean 1 - 0.8 x cloudiness = 0.72 before clipping (Beta mean = cloudiness).
    assert abs(kt.mean() - 0.72) < 0.02
    np.testing.assert_array_equal(clear_sky_index(idx, seed=0, cloudiness=0.0), 1.0)
    # Resolution-aware: the lag-1 h autocorrelation is the same at 15 min and at 1 h.
    idx15 = make_index("2023-01-01", "15min", "UTC", end="2024-01-01")
    kt15 = clear_sky_indices(idx15, seeds=range(30))

    def lag_corr(x, lag):
        return np.mean([np.corrcoef(r[:-lag], r[lag:])[0, 1] for r in x])

    assert abs(lag_corr(kt, 1) - lag_corr(kt15, 4)) < 0.02


def test_bad_inputs():
    idx = make_index("2023-01-01", "1h", "UTC", periods=24)
    with pytest.raises(ValueError, match="latitude"):
        Site(95.0, 0.0)
    with pytest.raises(ValueError, match="timezone"):
        Site(0.0, 0.0, 0.0, "Mars/Olympus")
    with pytest.raises(ValueError, match="tilt"):
        pv_power(GOLDEN, idx, 5.0, tilt=100.0)
    with pytest.raises(ValueError, match="losses"):
        pv_power(GOLDEN, idx, 5.0, losses=1.2)
    with pytest.raises(ValueError, match="kwp"):
        pv_power(GOLDEN, idx, -5.0)
    with pytest.raises(ValueError, match="cloudiness"):
        clear_sky_index(idx, cloudiness=1.5)
    with pytest.raises(ValueError, match="does not cover"):
        pv_power(GOLDEN, idx, 5.0, weather=align_weather(read_weather(EPW), idx[:10]))


@settings(max_examples=15, deadline=None)
@given(tilt=st.floats(0, 90), azimuth=st.floats(0, 360), seed=st.integers(0, 10_000),
       ratio=st.floats(0.8, 1.6))
def test_property_pv_bounded_by_inverter_and_zero_at_night(tilt, azimuth, seed, ratio):
    idx = make_index("2023-03-10", "20min", "America/Denver", periods=3 * 72)
    p = pv_power(GOLDEN, idx, 4.0, tilt=tilt, azimuth=azimuth, seed=seed, dc_ac_ratio=ratio)
    night = clear_sky(GOLDEN, idx)["ghi"].to_numpy() == 0
    assert np.all(p.to_numpy() <= 4.0 / ratio * (1 + 1e-12)) and np.all(p >= 0)
    assert np.all(p.to_numpy()[night] == 0)


def test_horizon_across_new_year_with_one_step_in_the_next_year():
    # 25 hourly steps: 24 in 2023 and a single one (00:00) in 2024; each year's stream is used.
    idx = make_index("2023-12-31", "1h", "UTC", periods=25)
    p = pv_power(GOLDEN, idx, 5.0, seed=2)
    y23 = pv_power(GOLDEN, make_index("2023-01-01", "1h", "UTC", end="2024-01-01"), 5.0, seed=2)
    y24 = pv_power(GOLDEN, make_index("2024-01-01", "1h", "UTC", periods=24), 5.0, seed=2)
    np.testing.assert_array_equal(p.to_numpy()[:24], y23.to_numpy()[-24:])
    np.testing.assert_array_equal(p.to_numpy()[24:], y24.to_numpy()[:1])
    met = align_weather(read_weather(EPW), idx)
    assert pv_power(GOLDEN, idx, 5.0, weather=met).shape == (25,)


@pytest.mark.parametrize("day, hours", [("2023-03-12", 23), ("2023-11-05", 25)])
def test_pv_on_dst_days_is_a_slice_of_the_year(day, hours):
    tz = "America/Denver"
    idx = make_index(day, "1h", tz, end=pd.Timestamp(day) + pd.Timedelta(days=1))
    assert len(idx) == hours
    full = pv_power(GOLDEN, make_index("2023-01-01", "1h", tz, end="2024-01-01"), 5.0, seed=6)
    np.testing.assert_array_equal(pv_power(GOLDEN, idx, 5.0, seed=6), full.loc[idx].to_numpy())
    # Physics follows absolute time: the same instants in a fixed-offset zone give the same kW
    # under clear sky (the stochastic stream depends on the local calendar, the sun does not).
    utc7 = idx.tz_convert("Etc/GMT+7")
    np.testing.assert_allclose(pv_power(GOLDEN, idx, 5.0, stochastic=False).to_numpy(),
                               pv_power(GOLDEN, utc7, 5.0, stochastic=False).to_numpy(),
                               rtol=1e-12)


def test_pv_annual_energy_with_weather():
    weather = read_weather(EPW)
    week = make_index("2023-05-01", "1h", "America/Denver", periods=168)
    # The Weather object is aligned to each full year, so annual scaling is exact...
    year_idx = make_index("2023-01-01", "1h", "America/Denver", end="2024-01-01")
    full = pv_power(GOLDEN, year_idx, 5.0, weather=weather, annual_kwh=8000.0)
    np.testing.assert_allclose(full.sum(), 8000.0, rtol=1e-9)  # expected: the target
    np.testing.assert_allclose(pv_power(GOLDEN, week, 5.0, weather=weather, annual_kwh=8000.0),
                               full.loc[week].to_numpy(), rtol=1e-12)
    # ...while a DataFrame aligned to a week cannot be rescaled to a year.
    with pytest.raises(ValueError, match="pass the Weather object"):
        pv_power(GOLDEN, week, 5.0, weather=align_weather(weather, week), annual_kwh=8000.0)
