"""Tests of gridshare.tariffs: hand-picked prices, DST and leap years, stochastic events, files and
every validation rule. Expected prices are read off the tariff definitions in each test."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gridshare.tariffs import (
    DEFAULT_EXPORT_RATIO,
    CppTariff,
    EdrTariff,
    FlatTariff,
    RtpTariff,
    TariffError,
    TouPeriod,
    TouTariff,
    cpp_event_days,
    cpp_prices,
    edr_event_days,
    edr_prices,
    export_prices,
    flat_prices,
    parse_tariff,
    read_price_series,
    rtp_prices,
    tariff_prices,
    three_level_tou,
    tou_prices,
)
from gridshare.timeindex import make_index, year_index

TZ = "Europe/Lisbon"  # WET/WEST: UTC+0 in winter, UTC+1 in summer


def at(frame: pd.DataFrame | pd.Series, local: str):
    """Row of ``frame`` at a local wall-clock time in TZ."""
    return frame.loc[pd.Timestamp(local, tz=TZ)]


@pytest.fixture(scope="module")
def year_2024() -> pd.DatetimeIndex:
    return year_index(2024, pd.Timedelta("1h"), TZ)


@pytest.fixture(scope="module")
def seasonal_tou() -> TouTariff:
    # Weekday evening peak all year, then a summer 18:00 super-peak on every day that overrides it.
    return TouTariff(default_price=0.10, periods=[
        TouPeriod(name="weekday-peak", price=0.30, hours=[17, 18, 19, 20],
                  weekdays=[0, 1, 2, 3, 4]),
        TouPeriod(name="summer-peak", price=0.45, hours=[18], months=[7, 8]),
    ])


# ------------------------------------------------------------------------------------------------
# flat and time of use
# ------------------------------------------------------------------------------------------------


def test_flat_tariff_and_default_export_ratio():
    idx = make_index("2024-01-01", "15min", TZ, periods=96)
    prices = tariff_prices(FlatTariff(price=0.25), idx)
    assert list(prices.columns) == ["import_price", "export_price"]
    assert prices.index.equals(idx)
    # Expected: the flat price everywhere; export 0.4 x 0.25 = 0.10 (DEFAULT_EXPORT_RATIO).
    np.testing.assert_allclose(prices["import_price"], 0.25, rtol=0, atol=0)
    np.testing.assert_allclose(prices["export_price"], 0.25 * DEFAULT_EXPORT_RATIO, rtol=1e-12)
    assert DEFAULT_EXPORT_RATIO == 0.4


def test_tou_weekday_weekend_summer(year_2024, seasonal_tou):
    prices = tariff_prices(seasonal_tou, year_2024)["import_price"]
    assert date(2024, 1, 15).weekday() == 0 and date(2024, 1, 13).weekday() == 5
    assert date(2024, 7, 15).weekday() == 0 and date(2024, 7, 13).weekday() == 5
    # Expected values read off the tariff: winter Monday 18:00 weekday peak, noon default.
    assert at(prices, "2024-01-15 18:00") == 0.30
    assert at(prices, "2024-01-15 12:00") == 0.10
    assert at(prices, "2024-01-15 21:00") == 0.10  # hour 21 is after the 17..20 block
    assert at(prices, "2024-01-13 18:00") == 0.10  # Saturday: no weekday peak
    # Summer: 18:00 takes the later (summer) period on every day; 17:00 keeps the weekday peak.
    assert at(prices, "2024-07-15 18:00") == 0.45
    assert at(prices, "2024-07-15 17:00") == 0.30
    assert at(prices, "2024-07-13 18:00") == 0.45
    assert at(prices, "2024-07-13 17:00") == 0.10
    assert at(prices, "2024-09-02 18:00") == 0.30  # September is outside months [7, 8]


def test_tou_step_counts_over_leap_year(year_2024, seasonal_tou):
    prices = tou_prices(year_2024, seasonal_tou.default_price, seasonal_tou.periods)
    assert len(prices) == 8784  # 366 x 24, leap year
    # Hand count: 2024 has 262 weekdays (52 full weeks + Mon Jan 1 + Tue Dec 31); July + August
    # have 62 days of which 45 are weekdays. Super-peak: 62 steps. Weekday peak: 262 x 4 minus the
    # 45 weekday 18:00 steps taken over by the summer period.
    assert (prices == 0.45).sum() == 62
    assert (prices == 0.30).sum() == 262 * 4 - 45
    assert (prices == 0.10).sum() == 8784 - 62 - (262 * 4 - 45)
    # Feb 29 exists and is a Thursday: weekday peak at 18:00.
    assert at(prices, "2024-02-29 18:00") == 0.30


def test_three_level_tou_levels_and_override():
    idx = make_index("2024-05-06", "1h", TZ, periods=24)
    prices = tariff_prices(three_level_tou(), idx)["import_price"].to_numpy()
    # Expected from the defaults: off 0-6 and 22-23, mid 7-16 and 21, on 17-20.
    expected = np.array([0.08] * 7 + [0.12] * 10 + [0.20] * 4 + [0.12] + [0.08] * 2)
    np.testing.assert_array_equal(prices, expected)
    # Overlapping hour lists: on-peak comes later, so it wins over mid at 17-20.
    wide = three_level_tou(mid_hours=range(7, 22), weekdays=[0, 1, 2, 3, 4])
    np.testing.assert_array_equal(tariff_prices(wide, idx)["import_price"].to_numpy(), expected)
    sunday = make_index("2024-05-05", "1h", TZ, periods=24)
    np.testing.assert_array_equal(tariff_prices(wide, sunday)["import_price"], 0.08)


def test_dst_spring_forward_day_has_23_local_hours(seasonal_tou):
    idx = make_index("2024-03-31", "1h", TZ, end="2024-04-01")
    assert len(idx) == 23
    assert list(idx.hour) == [0, *range(2, 24)]  # 01:00 local does not exist
    tariff = three_level_tou()
    prices = tariff_prices(tariff, idx)["import_price"]
    on = prices[prices == 0.20]
    # Four on-peak steps at local 17-20, which are 16-19 UTC after the switch to WEST (UTC+1).
    assert list(on.index.hour) == [17, 18, 19, 20]
    assert list(on.index.tz_convert("UTC").hour) == [16, 17, 18, 19]
    # The same instants labelled in UTC see the peak one hour later in UTC terms.
    utc_prices = tariff_prices(tariff, idx.tz_convert("UTC"))["import_price"]
    assert list(utc_prices[utc_prices == 0.20].index.hour) == [17, 18, 19, 20]


def test_dst_fall_back_day_has_25_steps():
    idx = make_index("2024-10-27", "1h", TZ, end="2024-10-28")
    assert len(idx) == 25
    assert list(idx.hour).count(1) == 2  # 01:00 local happens twice
    prices = tariff_prices(three_level_tou(), idx)["import_price"]
    # Off-peak hours 0-6 plus 22-23 with hour 1 repeated: 7 + 1 + 2 = 10 off-peak steps.
    assert (prices == 0.08).sum() == 10
    assert (prices == 0.20).sum() == 4


@settings(max_examples=60, deadline=None)
@given(periods=st.lists(st.tuples(
    st.floats(0, 1, allow_nan=False),
    st.sets(st.integers(0, 23), min_size=1),
    st.sets(st.integers(0, 6), min_size=1),
    st.sets(st.integers(1, 12), min_size=1)), max_size=4))
def test_tou_matches_step_by_step_reference(periods):
    # Second formulation: a plain loop over steps asking "which is the last period covering it?".
    idx = make_index("2023-03-24", "1h", TZ, periods=24 * 10)  # spans DST and a month change
    objs = [TouPeriod(name=f"p{i}", price=p, hours=sorted(h), weekdays=sorted(w), months=sorted(m))
            for i, (p, h, w, m) in enumerate(periods)]
    got = tou_prices(idx, 0.05, objs).to_numpy()
    expected = []
    for ts in idx:
        price = 0.05
        for p in objs:
            if ts.hour in p.hours and ts.weekday() in p.weekdays and ts.month in p.months:
                price = p.price
        expected.append(price)
    np.testing.assert_array_equal(got, expected)


# ------------------------------------------------------------------------------------------------
# critical peak pricing
# ------------------------------------------------------------------------------------------------


def test_cpp_explicit_event_day_vs_normal_day():
    idx = make_index("2024-07-15", "1h", TZ, periods=24 * 7)
    tariff = CppTariff(base=three_level_tou(), event_days=[date(2024, 7, 17)], export_ratio=0.5)
    prices = tariff_prices(tariff, idx)
    assert list(prices.columns) == ["import_price", "export_price", "event"]
    assert prices["event"].dtype == bool
    # Event day, event hour: the critical price 0.40 replaces on-peak 0.20; export is half.
    row = at(prices, "2024-07-17 18:00")
    assert (row["import_price"], row["export_price"], row["event"]) == (0.40, 0.20, True)
    # Same day outside the 17-20 event window: the base ToU (mid-peak 0.12).
    assert at(prices, "2024-07-17 12:00")["import_price"] == 0.12
    assert not at(prices, "2024-07-17 21:00")["event"]
    # Normal day at the same hour: the base on-peak price.
    assert at(prices, "2024-07-16 18:00")["import_price"] == 0.20
    assert prices["event"].sum() == 4  # one day x 4 event hours


def test_cpp_drawn_days_are_hot_season_weekdays_and_reproducible(year_2024):
    tariff = CppTariff(base=FlatTariff(price=0.15), events_per_year=12, seed=5)
    prices = tariff_prices(tariff, year_2024)
    event_days = sorted(set(prices.index[prices["event"]].date))
    # Expected from the definition: 12 distinct days, Mon-Fri, June-September, 4 hours each.
    assert len(event_days) == 12
    assert all(d.weekday() < 5 and 6 <= d.month <= 9 for d in event_days)
    assert prices["event"].sum() == 12 * 4
    assert event_days == cpp_event_days([2024], 12, seed=5)
    np.testing.assert_array_equal(prices.loc[prices["event"], "import_price"], 0.40)
    np.testing.assert_array_equal(prices.loc[~prices["event"], "import_price"], 0.15)
    again = tariff_prices(tariff, year_2024)
    pd.testing.assert_frame_equal(prices, again)
    other = cpp_event_days([2024], 12, seed=6)
    assert other != event_days
    # A shorter index sees exactly the year's events that fall inside it.
    july = make_index("2024-07-01", "15min", TZ, end="2024-08-01")
    july_prices = tariff_prices(tariff, july)
    july_days = sorted(set(july_prices.index[july_prices["event"]].date))
    assert july_days == [d for d in event_days if d.month == 7]
    assert july_prices["event"].sum() == len(july_days) * 4 * 4  # 4 hours x 4 quarter hours


def test_cpp_pure_function_with_array_base():
    idx = make_index("2024-08-01", "1h", "UTC", periods=24)
    base = np.linspace(0.1, 0.2, 24)
    frame = cpp_prices(idx, base, critical_price=0.5, event_hours=[0, 23],
                       event_days=[date(2024, 8, 1)])
    expected = base.copy()
    expected[[0, 23]] = 0.5  # hand: only hours 0 and 23 are event hours
    np.testing.assert_array_equal(frame["import_price"], expected)


# ------------------------------------------------------------------------------------------------
# emergency demand response
# ------------------------------------------------------------------------------------------------


def test_edr_event_frequency_within_binomial_tolerance():
    p, days_per_year = 0.07, 365
    counts = np.array([len(edr_event_days([2023], p, seed=s)) for s in range(20)])
    # Each year's count is Binomial(365, 0.07): mean 25.55, sd sqrt(365 x 0.07 x 0.93) = 4.87.
    sd = np.sqrt(days_per_year * p * (1 - p))
    assert np.all(np.abs(counts - days_per_year * p) < 4.5 * sd)
    # 20 seeds pooled: Binomial(7300, 0.07), mean 511, sd 21.8; allow 4 sd.
    total_sd = np.sqrt(20 * days_per_year * p * (1 - p))
    assert abs(counts.sum() - 20 * days_per_year * p) < 4 * total_sd
    assert len(set(map(tuple, (edr_event_days([2023], p, seed=s) for s in range(5))))) == 5


def test_edr_prices_over_a_year():
    idx = year_index(2023, pd.Timedelta("1h"), TZ)
    tariff = EdrTariff(base=three_level_tou(), event_probability=0.07, seed=11)
    prices = tariff_prices(tariff, idx)
    days = edr_event_days([2023], 0.07, seed=11)
    # Expected: event steps = event days x 4 default hours, at 0.80, export 0.4 x 0.80.
    assert prices["event"].sum() == len(days) * 4
    np.testing.assert_array_equal(prices.loc[prices["event"], "import_price"], 0.80)
    np.testing.assert_allclose(prices.loc[prices["event"], "export_price"], 0.32, rtol=1e-12)
    assert set(prices.index[prices["event"]].hour) == {17, 18, 19, 20}
    base = tariff_prices(three_level_tou(), idx)
    np.testing.assert_array_equal(prices.loc[~prices["event"], "import_price"],
                                  base.loc[~prices["event"], "import_price"])


def test_edr_probability_extremes():
    idx = make_index("2024-01-01", "1h", "UTC", periods=48)
    none = edr_prices(idx, 0.1, event_probability=0.0)
    every = edr_prices(idx, 0.1, event_probability=1.0, event_hours=[3])
    assert not none["event"].any()
    # p = 1: every day has its event at 03:00 -> 2 steps in two days.
    assert every["event"].sum() == 2 and every["import_price"].max() == 0.80


# ------------------------------------------------------------------------------------------------
# real-time pricing
# ------------------------------------------------------------------------------------------------


def test_rtp_deterministic_shape():
    idx = make_index("2023-06-01", "1h", TZ, periods=24 * 10)
    prices = rtp_prices(idx, mean_price=0.12, daily_amplitude=0.04, volatility=0.0)
    # Without noise: the daily shape has zero mean and its maximum (1) at 19:00 local, so the mean
    # is 0.12 and 19:00 costs 0.12 + 0.04 = 0.16; the morning peak is the local maximum of 6-11 h.
    np.testing.assert_allclose(prices.mean(), 0.12, atol=1e-6)
    np.testing.assert_allclose(prices[prices.index.hour == 19], 0.16, rtol=1e-9)
    morning = prices[(prices.index.hour >= 6) & (prices.index.hour <= 11)]
    assert set(morning.groupby(morning.index.date).idxmax().map(lambda t: t.hour)) == {8}


def test_rtp_generated_mean_autocorrelation_and_reproducibility():
    idx = year_index(2023, pd.Timedelta("1h"), "UTC")
    tariff = RtpTariff(mean_price=0.12, daily_amplitude=0.04, volatility=0.15, floor=-1.0, seed=7)
    prices = tariff_prices(tariff, idx)["import_price"]
    # Mean: the noise term averages to 0; for AR(1) with phi = exp(-1/3) the sd of a year's mean
    # is about 0.12 x 0.15 x sqrt((1 + phi) / (1 - phi) / 8760) = 4.7e-4. Allow ~4 sd.
    np.testing.assert_allclose(prices.mean(), 0.12, atol=2e-3)
    level = rtp_prices(idx, 0.12, 0.04, volatility=0.0, floor=-1.0)
    z = (prices / level - 1.0) / 0.15
    # The recovered noise has unit variance and lag-1 correlation exp(-1/3) = 0.7165
    # (sample sd of the lag-1 estimate ~ sqrt((1 - phi^2) / n) = 0.007).
    np.testing.assert_allclose(z.std(), 1.0, atol=0.1)
    np.testing.assert_allclose(np.corrcoef(z[:-1], z[1:])[0, 1], np.exp(-1 / 3), atol=0.04)
    pd.testing.assert_series_equal(prices, tariff_prices(tariff, idx)["import_price"])
    other = tariff_prices(tariff.model_copy(update={"seed": 8}), idx)["import_price"]
    assert not np.allclose(prices, other)
    # A week cut from the year equals the same week priced on its own.
    week = make_index("2023-05-01", "1h", "UTC", periods=168)
    pd.testing.assert_series_equal(tariff_prices(tariff, week)["import_price"], prices.loc[week],
                                   check_freq=False)


def test_rtp_floor_is_never_crossed():
    idx = year_index(2024, pd.Timedelta("30min"), TZ)
    prices = rtp_prices(idx, mean_price=0.12, daily_amplitude=0.05, volatility=0.8, floor=0.09,
                        seed=1)
    assert len(idx) == 8784 * 2
    assert prices.min() == 0.09  # clipped exactly at the floor ...
    assert (prices == 0.09).mean() > 0.05  # ... and the floor binds often at 80 % volatility
    # Half-hour steps of one hour share the hourly noise value: same ratio to the level.
    ratio = prices / rtp_prices(idx, 0.12, 0.05, volatility=0.0, floor=-1)
    unclipped = (prices > 0.09).to_numpy()
    pairs = unclipped[0::2] & unclipped[1::2]
    np.testing.assert_allclose(ratio.to_numpy()[0::2][pairs], ratio.to_numpy()[1::2][pairs],
                               rtol=1e-12)


def test_rtp_from_csv_and_parquet(tmp_path):
    idx = make_index("2024-01-01", "1h", TZ, periods=24)
    values = np.round(np.linspace(0.05, 0.28, 24), 4)
    pd.DataFrame({"time": idx.tz_convert("UTC").astype(str), "price": values}).to_csv(
        tmp_path / "rtp.csv", index=False)
    tariff = RtpTariff(file="rtp.csv", column="price", export_ratio=0.5)
    prices = tariff_prices(tariff, idx, base_dir=tmp_path)
    # Expected: the file's values as written; export half of them.
    np.testing.assert_allclose(prices["import_price"], values, rtol=1e-12)
    np.testing.assert_allclose(prices["export_price"], values / 2, rtol=1e-12)
    # Single numeric column: the column can be left out.
    pd.DataFrame({"eur_per_kwh": values}).to_parquet(tmp_path / "rtp.parquet")
    from_parquet = tariff_prices(RtpTariff(file=tmp_path / "rtp.parquet"), idx)
    np.testing.assert_allclose(from_parquet["import_price"], values, rtol=1e-12)


def test_rtp_file_errors(tmp_path):
    idx = make_index("2024-01-01", "1h", TZ, periods=24)
    pd.DataFrame({"price": np.full(23, 0.1), "other": 1.0}).to_csv(tmp_path / "short.csv",
                                                                   index=False)
    with pytest.raises(TariffError, match=r"23 rows.*24 steps"):
        tariff_prices(RtpTariff(file="short.csv", column="price"), idx, base_dir=tmp_path)
    with pytest.raises(TariffError, match=r"no column 'cost'.*price, other"):
        tariff_prices(RtpTariff(file="short.csv", column="cost"), idx, base_dir=tmp_path)
    with pytest.raises(TariffError, match=r"numeric columns \['price', 'other'\]"):
        tariff_prices(RtpTariff(file="short.csv"), idx, base_dir=tmp_path)
    with pytest.raises(TariffError, match="does not exist"):
        tariff_prices(RtpTariff(file="missing.csv"), idx, base_dir=tmp_path)
    pd.DataFrame({"price": [0.1] * 23 + [np.nan]}).to_csv(tmp_path / "gap.csv", index=False)
    with pytest.raises(TariffError, match="NaN"):
        read_price_series("gap.csv", idx, "price", base_dir=tmp_path)
    # A time column is checked instant by instant: local times written as UTC are caught.
    wrong_times = (idx.tz_localize(None) + pd.Timedelta("1h")).astype(str)
    pd.DataFrame({"time": wrong_times, "price": 0.1}).to_csv(tmp_path / "shifted.csv", index=False)
    with pytest.raises(TariffError, match="time zone"):
        read_price_series("shifted.csv", idx, "price", base_dir=tmp_path)


# ------------------------------------------------------------------------------------------------
# export prices
# ------------------------------------------------------------------------------------------------


def test_export_ratio_price_and_series(tmp_path, year_2024):
    idx = year_2024[:48]
    ratio = tariff_prices(three_level_tou(export_ratio=0.25), idx)
    np.testing.assert_allclose(ratio["export_price"], 0.25 * ratio["import_price"], rtol=1e-12)
    assert at(ratio, "2024-01-01 18:00")["export_price"] == pytest.approx(0.05)  # 0.25 x 0.20
    flat = tariff_prices(three_level_tou(export_price=0.03), idx)
    np.testing.assert_array_equal(flat["export_price"], 0.03)
    series = np.arange(48) / 1000.0
    pd.DataFrame({"feed_in": series}).to_csv(tmp_path / "export.csv", index=False)
    from_file = tariff_prices(FlatTariff(price=0.2, export_file="export.csv",
                                         export_column="feed_in"), idx, base_dir=tmp_path)
    np.testing.assert_allclose(from_file["export_price"], series, rtol=1e-12)
    zero = tariff_prices(FlatTariff(price=0.2, export_ratio=0.0), idx)
    np.testing.assert_array_equal(zero["export_price"], 0.0)


def test_export_prices_pure_function_errors():
    imp = pd.Series([0.1, 0.2])
    with pytest.raises(TariffError, match=r"exactly one.*export_ratio, export_price"):
        export_prices(imp, export_ratio=0.5, export_price=0.1)
    with pytest.raises(TariffError, match="got none"):
        export_prices(imp)
    with pytest.raises(TariffError, match=r"export_ratio is 1.5; allowed is a fraction 0..1"):
        export_prices(imp, export_ratio=1.5)
    with pytest.raises(TariffError, match=r"shape \(3,\).*\(2,\)"):
        export_prices(imp, export_series=[0.1, 0.1, 0.1])


@settings(max_examples=50, deadline=None)
@given(ratio=st.floats(0, 1), off=st.floats(0, 1), on=st.floats(0, 1))
def test_export_never_above_import_with_a_ratio(ratio, off, on):
    idx = make_index("2024-06-03", "1h", TZ, periods=24)
    prices = tariff_prices(three_level_tou(off=off, mid=off, on=on, export_ratio=ratio), idx)
    assert np.all(prices["export_price"] <= prices["import_price"])
    assert np.all(prices["export_price"] >= 0)


# ------------------------------------------------------------------------------------------------
# validation
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("build", "message"), [
    (lambda: TouPeriod(name="x", price=0.1, hours=[24]), r"hours holds 24; allowed .* 0..23"),
    (lambda: TouPeriod(name="x", price=0.1, hours=[]), r"hours is empty"),
    (lambda: TouPeriod(name="x", price=0.1, hours=[1], weekdays=[7]), r"weekdays holds 7"),
    (lambda: TouPeriod(name="x", price=0.1, hours=[1], months=[0]), r"months holds 0"),
    (lambda: TouPeriod(name="x", price=-0.1, hours=[1]), r"price is -0.1; it must be >= 0"),
    (lambda: FlatTariff(price=-0.2), r"price is -0.2; it must be >= 0"),
    (lambda: FlatTariff(price=0.2, colour="red"), r"colour\n.*Extra inputs are not permitted"),
    (lambda: FlatTariff(price=0.2, export_ratio=1.2), r"export_ratio is 1.2; allowed .* 0..1"),
    (lambda: FlatTariff(price=0.2, export_ratio=-0.1), r"export_ratio is -0.1"),
    (lambda: FlatTariff(price=0.2, export_price=-0.01), r"export_price is -0.01"),
    (lambda: FlatTariff(price=0.2, export_ratio=0.3, export_price=0.05),
     r"only one export rule, not export_ratio and export_price"),
    (lambda: FlatTariff(price=0.2, export_price=0.05, export_file="x.csv"),
     r"not export_price and export_file"),
    (lambda: FlatTariff(price=0.2, export_column="x"), r"export_column is set but export_file"),
    (lambda: TouTariff(default_price=-1), r"default_price is -1"),
    (lambda: CppTariff(base=FlatTariff(price=0.1)),
     r"exactly one of event_days .* events_per_year"),
    (lambda: CppTariff(base=FlatTariff(price=0.1), events_per_year=3,
                       event_days=[date(2024, 7, 1)]), r"exactly one of event_days"),
    (lambda: CppTariff(base=FlatTariff(price=0.1), events_per_year=400), r"events_per_year"),
    (lambda: CppTariff(base=FlatTariff(price=0.1), events_per_year=3, critical_price=-0.4),
     r"critical_price is -0.4"),
    (lambda: CppTariff(base=FlatTariff(price=0.1), events_per_year=3, event_hours=[25]),
     r"event_hours holds 25"),
    (lambda: CppTariff(base=FlatTariff(price=0.1, export_ratio=0.2), events_per_year=3),
     r"base sets export_ratio; give the export rule on the cpp tariff"),
    (lambda: CppTariff(base=FlatTariff(price=0.1), events_per_year=3, seed=-1), r"seed"),
    (lambda: EdrTariff(base=FlatTariff(price=0.1), event_probability=1.2),
     r"event_probability is 1.2; allowed is 0..1"),
    (lambda: EdrTariff(base=FlatTariff(price=0.1), event_price=-1), r"event_price is -1"),
    (lambda: EdrTariff(base=TouTariff(default_price=0.1, export_price=0.0)),
     r"base sets export_price"),
    (lambda: RtpTariff(mean_price=0.1, floor=0.2), r"floor 0.2 is above mean_price 0.1"),
    (lambda: RtpTariff(file="p.csv", mean_price=0.1), r"file is given, so mean_price"),
    (lambda: RtpTariff(column="price"), r"column is set but file is not"),
    (lambda: RtpTariff(volatility=-0.1), r"volatility"),
])
def test_model_validation_errors(build, message):
    with pytest.raises(ValidationError, match=message):
        build()


def test_parse_tariff_discriminates_and_rejects_unknown_kind():
    tariff = parse_tariff({"kind": "cpp", "base": {"kind": "tou", "default_price": 0.1,
                                                   "periods": [{"name": "on", "price": 0.3,
                                                                "hours": [18]}]},
                           "events_per_year": 5})
    assert isinstance(tariff, CppTariff) and isinstance(tariff.base, TouTariff)
    assert tariff.event_hours == [17, 18, 19, 20] and tariff.critical_price == 0.40
    # A dumped model reloads to an equal one (case files round-trip).
    assert parse_tariff(tariff.model_dump(mode="json")) == tariff
    with pytest.raises(ValidationError, match=r"'flat', 'tou', 'cpp', 'rtp', 'edr'"):
        parse_tariff({"kind": "dynamic", "price": 0.1})
    # Mappings are accepted by tariff_prices as they are.
    idx = make_index("2024-07-01", "1h", "UTC", periods=2)
    assert tariff_prices({"kind": "flat", "price": 0.2}, idx)["import_price"].tolist() == [0.2, 0.2]


def test_index_and_pure_function_errors(year_2024):
    naive = pd.date_range("2024-01-01", periods=3, freq="h")
    with pytest.raises(TariffError, match="no time zone"):
        flat_prices(naive, 0.1)
    with pytest.raises(TariffError, match="empty"):
        flat_prices(year_2024[:0], 0.1)
    with pytest.raises(TariffError, match="DatetimeIndex"):
        flat_prices([1, 2, 3], 0.1)
    with pytest.raises(ValueError, match=r"price is nan"):
        flat_prices(year_2024[:3], float("nan"))
    with pytest.raises(ValidationError, match="hours holds 24"):
        tou_prices(year_2024[:3], 0.1, [{"name": "x", "price": 0.2, "hours": [24]}])
    with pytest.raises(TariffError, match=r"events_per_year is 100 but 2024 has only 86 weekdays"):
        cpp_prices(year_2024, 0.1, events_per_year=100)
    with pytest.raises(TariffError, match="exactly one of event_days"):
        cpp_prices(year_2024, 0.1)
    with pytest.raises(TariffError, match=r"base_prices has shape \(2,\) but index has 3"):
        cpp_prices(year_2024[:3], [0.1, 0.2], event_days=[])
    with pytest.raises(TariffError, match="base_prices holds NaN"):
        edr_prices(year_2024[:2], [0.1, np.nan])
    with pytest.raises(TariffError, match=r"event_probability is -0.1"):
        edr_prices(year_2024[:3], 0.1, event_probability=-0.1)
    with pytest.raises(TariffError, match=r"correlation_hours is 0"):
        rtp_prices(year_2024[:3], correlation_hours=0)
    with pytest.raises(TariffError, match=r"seed is -3"):
        rtp_prices(year_2024[:3], seed=-3)
