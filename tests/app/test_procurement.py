"""Pool procurement page: the figures shown are run_procurement's for the same case and settings.

Expected values come from gridshare.procurement.run_procurement called in the test on the bundled
example, formatted as the page formats them.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gridshare.case import load_case
from gridshare.procurement import run_procurement

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "procurement_ercot.yaml"
PAGE = str(ROOT / "src" / "gridshare" / "app" / "views" / "procurement.py")


@pytest.fixture(scope="module")
def case():
    return load_case(EXAMPLE)


@functools.cache
def procured(swap: str | None = None, rec_price: float | None = None, battery: bool = True):
    """run_procurement on the example, once per setting (a year of hours takes ~2 s)."""
    return run_procurement(load_case(EXAMPLE), swap=swap, rec_price=rec_price, battery=battery)


def page(tab: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    if tab is not None:
        at.session_state["procurement_tab"] = tab  # the tabs are lazy: only the open one runs
    at.run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def expected(result) -> dict[str, tuple[str, str | None]]:
    pool = result.pool
    return {
        "Standalone CFE": (f"{pool['standalone_cfe_pct']:.1f} %", None),
        "Pooled CFE": (f"{pool['pooled_cfe_pct']:.1f} %", f"{pool['pooling_benefit_pct']:+.1f} pts pooling"),
        "Pooled CFE with battery": (f"{pool['battery_cfe_pct']:.1f} %",
                                    f"{pool['battery_uplift_pct']:+.1f} pts battery"),
        "Certificates swapped": (f"{pool['swapped_mwh'] / 1000:,.1f} GWh", None),
        "Net savings (USD)": (f"{pool['net_savings_usd']:,.0f}", None),
    }


def normalise(shown):
    return {k: (v, d or None) for k, (v, d) in shown.items()}


def test_default_settings_show_the_api_figures(case):
    at = page("Individual vs pooled")
    result = procured()
    assert normalise(metrics(at)) == expected(result)
    # Tables are the result's own: the comparison table cell by cell.
    shown = next(d.value for d in at.dataframe if "pooled_cfe_pct" in d.value.columns)
    assert shown["standalone_cfe_pct"].tolist() == pytest.approx(
        result.comparison["standalone_cfe_pct"].tolist(), rel=1e-12)
    # The published example's pooled CFE lies above every standalone share but the best one
    # (pooling moves surplus to the short participants).
    assert result.pool["pooled_cfe_pct"] > result.pool["standalone_cfe_pct"]


def test_rec_price_and_swap_method_inputs(case):
    at = page()
    at.number_input(key="procurement_rec_price").set_value(20.0)
    at.radio(key="procurement_swap").set_value("optimal")
    at.run()
    assert not at.exception, at.exception
    result = procured("optimal", 20.0)
    assert normalise(metrics(at)) == expected(result)
    # A dearer REC changes the money, not the energy: the pooled CFE is the same as at 8 USD/MWh.
    base = procured("optimal", 8.0)
    assert result.pool["pooled_cfe_pct"] == pytest.approx(base.pool["pooled_cfe_pct"], rel=1e-12)
    assert result.pool["net_savings_usd"] != pytest.approx(base.pool["net_savings_usd"])


def test_without_the_battery(case):
    at = page()
    at.checkbox(key="procurement_battery").uncheck()
    at.run()
    shown = metrics(at)
    assert shown["Pooled CFE with battery"][0] == "—"
    result = procured(battery=False)
    assert shown["Pooled CFE"][0] == f"{result.pool['pooled_cfe_pct']:.1f} %"


def test_monthly_table_of_one_participant(case):
    at = page("Monthly balance")
    at.selectbox(key="procurement_month_of").set_value("hospital")
    at.run()
    table = next(d.value for d in at.dataframe if "month" in d.value.columns)
    result = procured()
    want = result.monthly[result.monthly["participant"] == "hospital"]
    assert table["matched_mwh"].tolist() == pytest.approx(want["matched_mwh"].tolist(), rel=1e-12)
    assert len(table) == 12


def test_tabs_run_lazily():
    at = page()
    # Opened on the first tab: its figure is drawn, the other tabs' tables are not built.
    assert not any("month" in d.value.columns for d in at.dataframe)
    at = page("Swaps and money")
    money = next(d.value for d in at.dataframe if "net_savings_usd" in d.value.columns)
    assert money["net_savings_usd"].sum() == pytest.approx(procured().pool["net_savings_usd"], rel=1e-12)
