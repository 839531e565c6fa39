"""Tariff benchmark page: load a run and run a sweep; the figures shown are the run's own.

A tiny community (3 buildings, 24 hourly steps, 4 scenarios) keeps the optimisations short. The
expected values come from gridshare.benchmark.run.run_benchmark called in the test with the
same settings, and from gridshare.benchmark.rank recomputed on that run's results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gridshare.benchmark import rank
from gridshare.benchmark.community import default_community
from gridshare.benchmark.run import run_benchmark
from gridshare.report.build import load_run

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "src" / "gridshare" / "app" / "views" / "benchmark.py")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "run"
    return run_benchmark(out, 4, seed=0, community=default_community(3, 24, 60), executor="serial",
                         progress=False)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_load_a_run_directory(tiny_run):
    at = page()
    at.text_input(key="benchmark_path").input(str(tiny_run.out))
    at.button(key="benchmark_load").click().run()
    assert not at.exception, at.exception
    s = tiny_run.summary
    shown = metrics(at)
    assert shown["Evaluated"] == f"{s['evaluated']} of {s['scenarios']}"
    assert shown["Best cost (EUR)"] == f"{s['best_community_cost']:,.2f}"
    assert shown["Its savings Gini"] == f"{s['best_savings_gini']:.3f}"
    # The ranking shown is rank() of the run's results, recomputed here.
    tables = load_run(tiny_run.out)[1]
    expected = rank(tables["results"].merge(tables["scenarios"], on="scenario_id"), by="score")
    table = next(d.value for d in at.dataframe if "rank" in d.value.columns)
    assert table["scenario_id"].tolist() == expected["scenario_id"].tolist()
    np.testing.assert_allclose(table["community_cost"], expected["community_cost"], rtol=1e-12)
    # The best-ranked scenario's cost is the headline.
    assert expected["community_cost"].iloc[0] == pytest.approx(s["best_community_cost"], rel=1e-12)


def test_bad_run_directory_is_a_message(tmp_path):
    at = page()
    at.text_input(key="benchmark_path").input(str(tmp_path / "nothing-here"))
    at.button(key="benchmark_load").click().run()
    assert not at.exception
    assert any("does not exist" in e.value for e in at.error)


def test_run_a_sweep_from_the_page(tiny_run):
    at = page()
    at.number_input(key="benchmark_scenarios").set_value(4)
    at.number_input(key="benchmark_buildings").set_value(3)
    at.selectbox(key="benchmark_steps").set_value(24)
    at.checkbox(key="benchmark_sensitivity").uncheck()
    at.selectbox(key="benchmark_executor").set_value("serial")
    at.form_submit_button[0].click().run()
    assert not at.exception, at.exception
    folder = Path(at.session_state["benchmark_run_dir"])
    summary = load_run(folder)[0]
    # Same settings as the test's own run_benchmark: the same scenarios and the same optimum.
    assert summary["best_scenario"] == tiny_run.summary["best_scenario"]
    assert summary["best_community_cost"] == pytest.approx(tiny_run.summary["best_community_cost"],
                                                           rel=1e-6)
    assert metrics(at)["Best cost (EUR)"] == f"{summary['best_community_cost']:,.2f}"
    assert at.status[0].label.startswith("Done in") and "4 evaluated, 0 failed" in at.status[0].label
