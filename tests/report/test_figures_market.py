"""Market figures: offer curves worked by hand, and figures that carry exactly the data given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridshare.report.figures.market import bills, offer_book, offer_curve, price_series


def test_offer_curve_by_hand():
    # Buys 1 kWh at 0.30, 2 kWh at 0.20, nothing from the third: demand runs 0-1 kWh at 0.30,
    # then 1-3 kWh at 0.20 (descending values). Sells 1.5 at 0.05 and 0.5 at 0.10 ascending.
    x, y = offer_curve(np.array([1.0, 2.0, 0.0]), np.array([0.30, 0.20, 0.90]), descending=True)
    assert x.tolist() == [0.0, 1.0, 1.0, 3.0]
    assert y.tolist() == [0.30, 0.30, 0.20, 0.20]
    x, y = offer_curve(np.array([0.5, 1.5]), np.array([0.10, 0.05]), descending=False)
    assert x.tolist() == [0.0, 1.5, 1.5, 2.0]
    assert y.tolist() == [0.05, 0.05, 0.10, 0.10]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(-1, 1)), min_size=1, max_size=12), st.booleans())
def test_offer_curve_invariants(offers, descending):
    kwh = np.array([k for k, _ in offers])
    value = np.array([v for _, v in offers])
    x, y = offer_curve(kwh, value, descending)
    # The curve ends at the total offered energy (offers below 1e-9 kWh are absent) and runs
    # monotonically: energy never decreases, values fall (demand) or rise (supply).
    end = x[-1] if len(x) else 0.0
    assert end == pytest.approx(kwh[kwh > 1e-9].sum(), rel=1e-12, abs=1e-12)
    assert np.all(np.diff(x) >= -1e-12)
    steps = np.diff(y)
    assert np.all(steps <= 1e-12) if descending else np.all(steps >= -1e-12)


def test_offer_book_draws_both_curves_and_the_price():
    fig = offer_book(np.array([1.0, 0.0]), np.array([0.3, 0.3]), np.array([0.0, 2.0]),
                     np.array([0.05, 0.05]), 0.175, ["a", "b"], traded_kwh=1.0)
    demand, supply = fig.data
    assert list(demand.x) == [0.0, 1.0] and list(demand.y) == [0.3, 0.3]
    assert list(supply.x) == [0.0, 2.0] and list(supply.text) == ["b", "b"]
    assert fig.layout.shapes[0].y0 == 0.175  # the price line
    assert fig.layout.shapes[1].x0 == 1.0  # the traded energy


def test_price_series_and_bills_carry_the_values():
    t = pd.date_range("2024-01-01", periods=3, freq="h", tz="Europe/Lisbon")
    prices = pd.Series([0.1, 0.2, 0.15], index=t)
    fig = price_series(prices, pd.DataFrame({"import: a": [0.3] * 3, "export: a": [0.05] * 3}, index=t))
    assert [tr.name for tr in fig.data] == ["import: a", "export: a", "local market"]
    assert list(fig.data[-1].y) == [0.1, 0.2, 0.15]
    table = pd.DataFrame({"alone_total": [2.0, 1.0], "total": [1.5, 1.2], "saving": [0.5, -0.2]},
                         index=["a", "b"])
    fig = bills(table, "EUR")
    assert list(fig.data[0].y) == [2.0, 1.0] and list(fig.data[1].y) == [1.5, 1.2]
    assert list(fig.data[2].text) == ["+0.50", "-0.20"]
    with pytest.raises(ValueError, match="saving"):
        bills(table.drop(columns="saving"))
