"""Tariff scenarios: prices on hand-picked hours, cross-checks with gridshare.tariffs, invariants."""

import time as _time
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridshare import tariffs
from gridshare.benchmark.scenarios import (
    DEFAULT_RANGES,
    TARIFF_PARAMETERS,
    TARIFFS,
    Scenario,
    generate_scenarios,
    price_matrix,
    scenario_prices,
    scenarios_frame,
)
from gridshare.timeindex import make_index

DAY = make_index("2024-07-01", pd.Timedelta(minutes=15), "Europe/Lisbon", periods=96)


def step(hour: int, minute: int = 0) -> int:
    """Index of the 15-min step starting at hour:minute on DAY."""
    return hour * 4 + minute // 15


def imp(scenario: Scenario) -> np.ndarray:
    return price_matrix([scenario], DAY)["import_price"][0]


def test_tou_prices_on_hand_picked_hours():
    # Expected: the defaults 0.08 / 0.12 / 0.20; mid-peak 07:00-16:59 and 21:00-21:59,
    # on-peak 17:00-20:59 (gridshare.tariffs MID_HOURS / PEAK_HOURS), off-peak otherwise.
    p = imp(Scenario("tou", False))
    picked = {(3, 0): 0.08, (6, 45): 0.08, (7, 0): 0.12, (12, 30): 0.12, (16, 45): 0.12,
              (17, 0): 0.20, (20, 45): 0.20, (21, 15): 0.12, (22, 0): 0.08, (23, 45): 0.08}
    for (h, m), expected in picked.items():
        assert p[step(h, m)] == pytest.approx(expected, abs=1e-15), (h, m)
    custom = imp(Scenario("tou", False, params=(("tou_on", 0.31),)))
    assert custom[step(18)] == 0.31 and custom[step(9)] == 0.12


def test_tou_matches_gridshare_tariffs():
    # Independent implementation: gridshare.tariffs.three_level_tou + tou_prices (period masks)
    # against the level lookup of price_matrix, on the same index, with non-default levels.
    s = Scenario("tou", False, params=(("tou_off", 0.07), ("tou_mid", 0.11), ("tou_on", 0.23)))
    t = tariffs.three_level_tou(off=0.07, mid=0.11, on=0.23)
    expected = tariffs.tou_prices(DAY, t.default_price, t.periods).to_numpy()
    np.testing.assert_allclose(imp(s), expected, rtol=0, atol=1e-15)


def test_cpp_prices_and_cross_check():
    # Probability 1: the day is a critical day, so 17:00-20:59 is at 0.40 and the rest is ToU.
    p = imp(Scenario("cpp", False))
    assert p[step(17)] == 0.40 and p[step(20, 45)] == 0.40
    assert p[step(16, 45)] == 0.12 and p[step(21)] == 0.12 and p[step(2)] == 0.08
    # Cross-check with gridshare.tariffs.cpp_prices on a ToU base and that event day.
    base = tariffs.tou_prices(DAY, 0.08, tariffs.three_level_tou().periods)
    expected = tariffs.cpp_prices(DAY, base, critical_price=0.40, event_days=[date(2024, 7, 1)])
    np.testing.assert_allclose(p, expected["import_price"].to_numpy(), atol=1e-15)
    # Probability 0: never critical, plain ToU.
    np.testing.assert_array_equal(imp(Scenario("cpp", False, params=(("cpp_probability", 0.0),))),
                                  imp(Scenario("tou", False)))


def test_cpp_event_days_follow_probability():
    # Over 6000 seeds x 1 day the share of critical days estimates the probability 0.3
    # (binomial standard error 0.006; tolerance 4 standard errors).
    scen = [Scenario("cpp", False, seed=k, params=(("cpp_probability", 0.3),)) for k in range(6000)]
    p = price_matrix(scen, DAY)["import_price"]
    critical = p[:, step(18)] == 0.40
    assert abs(critical.mean() - 0.3) < 0.024
    # A critical day is critical in all 16 on-peak steps and nowhere else.
    assert np.all((p[:, step(17):step(21)] == 0.40).all(axis=1) == critical)
    assert not np.any(p[:, :step(17)] == 0.40)


def test_rtp_daily_pattern_matches_core_and_noise_statistics():
    # Volatility 0: exactly gridshare.tariffs.rtp_prices with the same mean and amplitude.
    s = Scenario("rtp", False, params=(("rtp_volatility", 0.0), ("rtp_mean", 0.10),
                                       ("rtp_amplitude", 0.05)))
    expected = tariffs.rtp_prices(DAY, mean_price=0.10, daily_amplitude=0.05, volatility=0.0)
    np.testing.assert_allclose(imp(s), expected.to_numpy(), rtol=1e-12)
    # The shape has zero daily mean (mean price 0.10 on a 15-min grid, to 1e-3) and its
    # evening peak near 19:00 is the highest price of the day.
    assert imp(s).mean() == pytest.approx(0.10, abs=1e-3)
    assert 18 <= DAY[int(np.argmax(imp(s)))].hour <= 19
    # With volatility v the relative deviation z = (p / base - 1) / v is a unit-variance AR(1) on
    # hours with lag-one correlation exp(-1/3) = 0.7165 (module docstring); 3000 seeds x 24 h.
    base = imp(s)
    scen = [Scenario("rtp", False, seed=k, params=(("rtp_volatility", 0.1), ("rtp_mean", 0.10),
                                                   ("rtp_amplitude", 0.05)))
            for k in range(3000)]
    z = (price_matrix(scen, DAY)["import_price"] / base - 1.0) / 0.1
    hourly = z[:, ::4]
    assert np.allclose(z[:, 1::4], hourly)  # steps within an hour share the noise
    assert abs(hourly.mean()) < 0.05 and abs(hourly.std() - 1.0) < 0.05
    lag1 = np.corrcoef(hourly[:, :-1].ravel(), hourly[:, 1:].ravel())[0, 1]
    assert lag1 == pytest.approx(np.exp(-1 / 3), abs=0.03)


def test_edr_prices():
    # Probability 1: every hour is an emergency hour at 0.80; probability 0: plain ToU.
    assert np.all(imp(Scenario("edr", False, params=(("edr_probability", 1.0),))) == 0.80)
    np.testing.assert_array_equal(imp(Scenario("edr", False, params=(("edr_probability", 0.0),))),
                                  imp(Scenario("tou", False)))
    # Default 7.5 %: over 2000 seeds x 24 hours the share of hours at 0.80 estimates it
    # (standard error 0.0012; tolerance 5 standard errors); events last whole hours.
    p = price_matrix([Scenario("edr", False, seed=k) for k in range(2000)], DAY)["import_price"]
    event = p == 0.80
    assert abs(event[:, ::4].mean() - 0.075) < 0.006
    assert np.array_equal(event[:, ::4], event[:, 3::4])
    np.testing.assert_array_equal(np.where(event, 0.0, p)[~event], np.tile(imp(Scenario(
        "tou", False)), (2000, 1))[~event])


def test_export_and_community_prices_by_hand():
    # At 18:00 import 0.20; export = 0.4 x 0.20 = 0.08; community = 0.08 + 0.5 x (0.20 - 0.08) = 0.14
    p = scenario_prices(Scenario("tou", True, export_ratio=0.4, community_spread=0.5), DAY)
    row = p.iloc[step(18)]
    assert (row["import_price"], row["export_price"]) == pytest.approx((0.20, 0.08), abs=1e-15)
    assert row["community_price"] == pytest.approx(0.14, abs=1e-15)
    # spread 0 -> the export price, spread 1 -> the import price
    lo = scenario_prices(Scenario("tou", True, community_spread=0.0), DAY)
    hi = scenario_prices(Scenario("tou", True, community_spread=1.0), DAY)
    np.testing.assert_array_equal(lo["community_price"], lo["export_price"])
    np.testing.assert_array_equal(hi["community_price"], hi["import_price"])


scenario_strategy = st.builds(
    Scenario, tariff=st.sampled_from(TARIFFS), p2p=st.booleans(),
    export_ratio=st.floats(0, 1), community_spread=st.floats(0, 1),
    seed=st.integers(0, 2**40))


@settings(max_examples=60, deadline=None)
@given(scenarios=st.lists(scenario_strategy, min_size=1, max_size=6))
def test_community_price_between_export_and_import(scenarios):
    p = price_matrix(scenarios, DAY)
    eps = 1e-12
    assert np.all(p["export_price"] <= p["community_price"] + eps)
    assert np.all(p["community_price"] <= p["import_price"] + eps)
    assert np.all(p["import_price"] >= 0)
    # One code path: each scenario priced alone equals its row of the batch.
    for i, s in enumerate(scenarios):
        alone = price_matrix([s], DAY)
        for key in p:
            np.testing.assert_array_equal(alone[key][0], p[key][i])


def test_scenario_id_is_stable_and_complete():
    s = Scenario("edr", True, export_ratio=0.3, community_spread=0.6, seed=5)
    # Pinned value: the id must not change between runs or releases (stores depend on it).
    assert s.scenario_id == Scenario("edr", True, 0.3, 0.6, 5).scenario_id
    assert len(s.scenario_id) == 12 and int(s.scenario_id, 16) >= 0
    assert s.scenario_id == "c3c006a5722e"  # pinned, see test_scenario_id_pinned_literal
    # Explicit defaults are the same scenario; any changed field is a different one.
    assert Scenario("edr", True, 0.3, 0.6, 5, (("edr_price", 0.8),)).scenario_id == s.scenario_id
    changed = [s.with_(p2p=False), s.with_(export_ratio=0.31), s.with_(community_spread=0.61),
               s.with_(seed=6), s.with_(edr_price=0.81), s.with_(tariff="cpp")]
    ids = {x.scenario_id for x in changed}
    assert len(ids) == len(changed) and s.scenario_id not in ids


def test_scenario_id_pinned_literal():
    # Recorded once from this implementation (sha256 of the canonical JSON of every field); a
    # change means stores written by earlier versions would no longer resume.
    assert Scenario("tou", False).scenario_id == "8de5af471638"


def test_records_and_frame():
    s = Scenario("cpp", True, seed=3)
    r = s.to_record()
    assert r["cpp_critical"] == 0.40 and r["tou_on"] == 0.20 and np.isnan(r["rtp_mean"])
    frame = scenarios_frame([s, Scenario("rtp", False)])
    assert list(frame.index) == [s.scenario_id, Scenario("rtp", False).scenario_id]
    assert frame.loc[s.scenario_id, "seed"] == 3 and frame["p2p"].dtype == bool


def test_generate_scenarios_balanced_and_in_ranges():
    scen = generate_scenarios(50, seed=4)
    counts = pd.Series([(s.tariff, s.p2p) for s in scen]).value_counts()
    assert len(counts) == 8 and counts.max() - counts.min() <= 1  # 50 = 8 x 6 + 2
    assert [s.scenario_id for s in scen] == [s.scenario_id for s in generate_scenarios(50, seed=4)]
    assert len({s.scenario_id for s in scen}) == 50
    for s in scen:
        lo, hi = DEFAULT_RANGES["export_ratio"]
        assert lo <= s.export_ratio <= hi
        for name, value in s.params:
            lo, hi = DEFAULT_RANGES[name]
            assert lo <= value <= hi
        assert set(dict(s.params)) == set(TARIFF_PARAMETERS[s.tariff])
    fixed = generate_scenarios(5, tariffs=["rtp"], p2p=[True], ranges={"export_ratio": (0.3, 0.3)})
    assert all(s.tariff == "rtp" and s.p2p and s.export_ratio == 0.3 for s in fixed)


@pytest.mark.parametrize("kwargs, words", [
    ({"tariff": "flat", "p2p": False}, ["tariff", "flat"]),
    ({"tariff": "tou", "p2p": False, "export_ratio": 1.5}, ["export_ratio", "1.5", "[0, 1]"]),
    ({"tariff": "tou", "p2p": False, "community_spread": float("nan")}, ["community_spread"]),
    ({"tariff": "tou", "p2p": False, "seed": -1}, ["seed", "-1"]),
    ({"tariff": "tou", "p2p": False, "params": (("rtp_mean", 0.1),)}, ["rtp_mean", "tou"]),
    ({"tariff": "tou", "p2p": False, "params": (("tou_on", -0.2),)}, ["tou_on", "-0.2"]),
    ({"tariff": "edr", "p2p": False, "params": (("edr_probability", 2.0),)}, ["edr_probability"]),
    ({"tariff": "tou", "p2p": "yes"}, ["p2p", "yes"]),
])
def test_bad_scenarios_are_named(kwargs, words):
    with pytest.raises(ValueError) as info:
        Scenario(**kwargs)
    for word in words:
        assert word in str(info.value)


def test_bad_generate_and_index():
    with pytest.raises(ValueError, match="tariffs"):
        generate_scenarios(2, tariffs=["flat"])
    with pytest.raises(ValueError, match="ranges"):
        generate_scenarios(2, ranges={"export_ratio": (0.5, 0.2)})
    with pytest.raises(ValueError, match="with_ got unknown"):
        Scenario("tou", False).with_(colour=1)
    with pytest.raises(ValueError, match="time-zone-aware"):
        price_matrix([Scenario("tou", False)], pd.date_range("2024-01-01", periods=3, freq="h"))


def test_price_matrix_is_fast():
    # Contract: 10,000 scenarios x 96 steps well under 1 s (the surrogate prices thousands).
    scen = generate_scenarios(10_000, seed=1)
    started = _time.perf_counter()
    p = price_matrix(scen, DAY)
    elapsed = _time.perf_counter() - started
    assert p["import_price"].shape == (10_000, 96)
    assert elapsed < 1.0, f"price_matrix took {elapsed:.2f} s"
