"""Weather files: the shipped EPW, TMY3 and CSV readers, alignment, Feb 29 and bad files."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pvlib
import pytest

from gridshare.profiles import Site, Weather, WeatherError, align_weather, read_weather
from gridshare.profiles.weather import COLUMNS
from gridshare.timeindex import make_index

EPW = Path(__file__).parents[2] / "examples" / "data" / "golden_co_sample.epw"


@pytest.fixture(scope="module")
def golden():
    return read_weather(EPW)


def test_shipped_epw_reads_with_pvlib_and_ours(golden):
    raw, meta = pvlib.iotools.read_epw(EPW)  # the independent reader must accept the file
    assert len(raw) == 8760
    assert (meta["latitude"], meta["longitude"], meta["altitude"], meta["TZ"]) == \
        (39.742, -105.179, 1829.0, -7.0)
    assert golden.site == Site(39.742, -105.179, 1829.0, "Etc/GMT+7")
    assert list(golden.data.columns) == list(COLUMNS)
    for col in COLUMNS:
        np.testing.assert_array_equal(golden.data[col].to_numpy(), raw[col].to_numpy())
    # EPW hour 1 covers 00:00-01:00 local standard time: its step start is 00:00 at UTC-7.
    assert golden.data.index[0] == pd.Timestamp("2023-01-01 00:00", tz="Etc/GMT+7")
    # Plausibility of the synthetic year (Golden, CO: sunny, high, cold winters).
    ghi_kwh = golden.data["ghi"].sum() / 1000
    assert 1500 < ghi_kwh < 2000
    assert golden.data["temp_air"].groupby(golden.data.index.month).mean().idxmin() in (1, 12)
    np.testing.assert_allclose(
        golden.data[["dni", "dhi"]].to_numpy().min(), 0.0)  # no negative irradiance


def test_alignment_matches_local_standard_time(golden):
    # A summer case in America/Denver (UTC-6 in July): 12:00 MDT is 11:00 MST in the file.
    idx = make_index("2023-07-01", "1h", "America/Denver", periods=24)
    aligned = align_weather(golden, idx)
    row = golden.data.loc[pd.Timestamp("2023-07-01 11:00", tz="Etc/GMT+7")]
    pd.testing.assert_series_equal(aligned.loc[pd.Timestamp("2023-07-01 12:00",
                                                            tz="America/Denver")],
                                   row, check_names=False)


def test_alignment_of_another_year_uses_month_day_hour(golden):
    idx = make_index("2031-01-01", "1h", "Etc/GMT+7", end="2032-01-01")
    aligned = align_weather(golden, idx)
    np.testing.assert_array_equal(aligned.to_numpy(), golden.data.to_numpy())


def test_feb_29_is_filled_from_feb_28_with_a_warning(golden):
    idx = make_index("2024-01-01", "1h", "Etc/GMT+7", end="2025-01-01")
    with pytest.warns(UserWarning, match="Feb 29"):
        aligned = align_weather(golden, idx)
    assert len(aligned) == 8784
    np.testing.assert_array_equal(aligned.loc["2024-02-29"].to_numpy(),
                                  golden.data.loc["2023-02-28"].to_numpy())
    np.testing.assert_array_equal(aligned.loc["2024-03-01"].to_numpy(),
                                  golden.data.loc["2023-03-01"].to_numpy())


def test_sub_hourly_linear_and_hold(golden):
    idx = make_index("2023-06-15", "15min", "Etc/GMT+7", periods=96)
    lin = align_weather(golden, idx, method="linear")
    hold = align_weather(golden, idx, method="hold")
    hourly = golden.data.loc["2023-06-15"]
    # Hold: each quarter hour repeats its hour, so each hour's energy is exact.
    np.testing.assert_allclose(hold["ghi"].to_numpy().reshape(24, 4).mean(axis=1),
                               hourly["ghi"].to_numpy(), rtol=1e-12)
    # Linear by hand: the 12:00-12:15 step (midpoint 12:07:30) lies between the hour means of
    # 11:00 (at 11:30) and 12:00 (at 12:30) with weight 37.5/60 on 12:00.
    g11, g12 = hourly["ghi"].iloc[11], hourly["ghi"].iloc[12]
    np.testing.assert_allclose(lin["ghi"].iloc[48], (22.5 * g11 + 37.5 * g12) / 60, rtol=1e-12)
    # Energy nearly preserved over the day (linear interpolation keeps trapezoid areas).
    np.testing.assert_allclose(lin["ghi"].sum() / 4, hourly["ghi"].sum(), rtol=0.01)


def test_measured_data_on_the_case_index_is_used_directly(golden, tmp_path):
    idx = make_index("2023-05-01", "30min", "America/Denver", periods=96)
    frame = align_weather(golden, idx)
    csv = tmp_path / "measured.csv"
    frame.rename_axis("time").reset_index().to_csv(csv, index=False)
    w = read_weather(csv, index=idx)
    assert w.site is None
    np.testing.assert_allclose(align_weather(w, idx).to_numpy(), frame.to_numpy(), rtol=1e-12)


def _write_tmy3(path: Path, data: pd.DataFrame) -> None:
    # Minimal TMY3: metadata line, then hour-ending labels 01:00..24:00 in local standard time.
    ends = data.index + pd.Timedelta(hours=1)
    hour = np.where(ends.hour == 0, 24, ends.hour)
    date = np.where(ends.hour == 0, (ends - pd.Timedelta(days=1)).strftime("%m/%d/%Y"),
                    ends.strftime("%m/%d/%Y"))
    table = pd.DataFrame({
        "Date (MM/DD/YYYY)": date,
        "Time (HH:MM)": [f"{h:02d}:00" for h in hour],
        "GHI (W/m^2)": data["ghi"].to_numpy(), "DNI (W/m^2)": data["dni"].to_numpy(),
        "DHI (W/m^2)": data["dhi"].to_numpy(), "Dry-bulb (C)": data["temp_air"].to_numpy(),
        "Wspd (m/s)": data["wind_speed"].to_numpy(),
    })
    with path.open("w") as fh:
        fh.write("724666,GOLDEN SYNTHETIC,CO,-7.0,39.742,-105.179,1829\n")
        table.to_csv(fh, index=False)


def test_tmy3_reader_gives_step_starts(golden, tmp_path):
    path = tmp_path / "golden_tmy3.csv"
    _write_tmy3(path, golden.data)
    w = read_weather(path)  # recognised as TMY3 from its metadata line
    assert w.site == golden.site
    assert w.data.index[0] == golden.data.index[0]
    np.testing.assert_allclose(w.data.to_numpy(), golden.data.to_numpy())


def _csv(tmp_path, frame, name="w.csv"):
    path = tmp_path / name
    frame.rename_axis("time").reset_index().to_csv(path, index=False)
    return path


def test_bad_files_raise_clear_errors(golden, tmp_path):
    with pytest.raises(WeatherError, match="does not exist"):
        read_weather(tmp_path / "nowhere.epw")
    with pytest.raises(WeatherError, match="missing column"):
        read_weather(_csv(tmp_path, golden.data.drop(columns="dhi")))
    bad = golden.data.copy()
    bad.iloc[100, 0] = np.nan
    with pytest.raises(WeatherError, match="missing or non-numeric"):
        read_weather(_csv(tmp_path, bad))
    with pytest.raises(WeatherError, match="8760"):
        read_weather(_csv(tmp_path, golden.data.iloc[:-24]))
    idx = make_index("2023-01-01", "1h", "Etc/GMT+7", periods=48)
    with pytest.raises(WeatherError, match="must match exactly"):
        read_weather(_csv(tmp_path, golden.data.iloc[:24]), index=idx)
    naive = golden.data.tz_localize(None)
    with pytest.raises(WeatherError, match="pass site"):
        read_weather(_csv(tmp_path, naive))
    ok = read_weather(_csv(tmp_path, naive), site=golden.site)
    np.testing.assert_array_equal(ok.data.to_numpy(), golden.data.to_numpy())
    with pytest.raises(WeatherError, match="format"):
        read_weather(_csv(tmp_path, golden.data, "w.txt"))


def test_epw_missing_codes_are_rejected(tmp_path):
    lines = EPW.read_text().splitlines()
    fields = lines[8 + 4000].split(",")
    fields[13] = "9999"  # GHI missing code
    lines[8 + 4000] = ",".join(fields)
    path = tmp_path / "holes.epw"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(WeatherError, match="column 'ghi'"):
        read_weather(path)


def test_typical_year_with_a_gap_is_rejected(golden):
    data = golden.data.drop(golden.data.index[500])
    w = Weather(data, golden.site)
    idx = make_index("2030-01-01", "1h", "Etc/GMT+7", periods=24 * 30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(WeatherError, match="no row for 01-21 20:00"):
            align_weather(w, idx)
