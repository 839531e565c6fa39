"""Tariff benchmarking: scenarios (ToU, CPP, RTP, EDR x P2P), evaluation through the core, sweeps
on local processes or a Dask cluster into a Parquet + DuckDB store, ranking and sensitivity.

Examples
--------
>>> from gridshare.benchmark import Scenario, price_matrix
>>> import pandas as pd
>>> t = pd.date_range("2024-07-01 17:00", periods=1, freq="h", tz="Europe/Lisbon")
>>> p = price_matrix([Scenario("tou", True, export_ratio=0.5, community_spread=0.5)], t)
>>> [round(float(p[k][0, 0]), 3) for k in ("import_price", "export_price", "community_price")]
[0.2, 0.1, 0.15]
"""

from gridshare.benchmark.community import (
    BenchmarkCommunity,
    CommunityError,
    default_community,
    read_community,
    write_community,
)
from gridshare.benchmark.evaluate import (
    P2P_LOSS,
    FailedScenario,
    ScenarioResult,
    baseline_costs,
    evaluate,
    evaluate_safe,
)
from gridshare.benchmark.ranking import DEFAULT_WEIGHTS, rank
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
from gridshare.benchmark.sensitivity import grid_sensitivity, one_at_a_time, tornado_table
from gridshare.benchmark.store import ResultsStore
from gridshare.benchmark.sweep import SweepResult, run_sweep

__all__ = [
    "DEFAULT_RANGES", "DEFAULT_WEIGHTS", "P2P_LOSS", "TARIFFS", "TARIFF_PARAMETERS",
    "BenchmarkCommunity", "CommunityError", "FailedScenario", "ResultsStore", "Scenario",
    "ScenarioResult", "SweepResult", "baseline_costs", "default_community", "evaluate",
    "evaluate_safe", "generate_scenarios", "grid_sensitivity", "one_at_a_time", "price_matrix",
    "rank", "read_community", "run_sweep", "scenario_prices", "scenarios_frame", "tornado_table",
    "write_community",
]
