"""Community market page: prices, offer book and bills shown are run_pricing's for the same case.

Expected values come from gridshare.market.run.run_pricing (with the case's REC rules from
rules_from_case) called in the test on the bundled example, formatted as the page formats them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _apptest import metrics, run_page
from streamlit.testing.v1 import AppTest

from gridshare.case import load_case
from gridshare.market.run import rules_from_case, run_pricing

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "rec_lem_community.yaml"


@pytest.fixture(scope="module")
def case():
    return load_case(EXAMPLE)


def pricing(case, mechanism="mmr", timeframe="pre", structure="pool"):
    return run_pricing(case, mechanism, timeframe, structure, rules=rules_from_case(case))


def page() -> AppTest:
    return run_page("market.py")



def expected(result) -> dict[str, str]:
    s = result.summary()
    return {"Mean local price (EUR/kWh)": f"{s['mean_price_per_kwh']:.4f}",
            "Traded inside": f"{s['traded_kwh']:,.2f} kWh",
            "Community bill (EUR)": f"{s['community_total']:,.2f}",
            "Community saving (EUR)": f"{s['community_saving']:,.2f}"}


def bills_shown(at: AppTest):
    return next(d.value for d in at.dataframe if "saving" in d.value.columns)


def test_default_mmr_figures_and_bills(case):
    at = page()
    result = pricing(case)
    assert metrics(at) == expected(result)
    bills = bills_shown(at)
    np.testing.assert_allclose(bills["saving"].to_numpy(), result.bills["saving"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(bills["total"].to_numpy(), result.bills["total"].to_numpy(), rtol=1e-12)


@pytest.mark.parametrize(("mechanism", "timeframe"), [("sdr", "pre"), ("crossing_value", "post")])
def test_changing_mechanism_and_timeframe(case, mechanism, timeframe):
    at = page()
    at.selectbox(key="market_mechanism").set_value(mechanism)
    at.segmented_control(key="market_timeframe").set_value(timeframe)
    at.run()
    assert not at.exception, at.exception
    assert metrics(at) == expected(pricing(case, mechanism, timeframe))


def test_offer_book_step(case):
    at = page()
    result = pricing(case)
    traded = result.pricing.buy_kwh.sum(axis=1)
    # The slider opens on the step with the most energy traded.
    assert at.slider(key="market_step").value == int(np.argmax(traded))
    at.slider(key="market_step").set_value(40).run()
    caption = next(c.value for c in at.caption if c.value.startswith("Step 40"))
    assert f"price {result.prices.iloc[40]:.4f} EUR/kWh" in caption
    assert f"traded {traded[40]:.3f} kWh" in caption
    offers = next(d.value for d in at.dataframe if "buy_value" in d.value.columns)
    np.testing.assert_allclose(offers["sell_kwh"].to_numpy(), result.pricing.book.sell_kwh[40], rtol=1e-12)
    # Local price between the dearest sell and cheapest buy value of the traded offers at the
    # step (MMR is their midpoint when they cross).
    book = result.pricing.book
    if traded[40] > 1e-9:
        sell = book.sell_value[40][book.sell_kwh[40] > 0].min()
        buy = book.buy_value[40][book.buy_kwh[40] > 0].max()
        assert sell - 1e-12 <= result.prices.iloc[40] <= buy + 1e-12
