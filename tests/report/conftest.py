"""A small benchmark run directory built by hand, with every table of the contract."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

TIME = pd.date_range("2026-06-01", periods=96, freq="15min", tz="Europe/Berlin")


def run_tables(n: int = 12) -> tuple[dict, dict[str, pd.DataFrame]]:
    rng = np.random.default_rng(5)
    ids = [f"s{i:03d}" for i in range(n)]
    tariffs = np.array(["tou", "cpp", "rtp", "edr"])[np.arange(n) % 4]
    scenarios = pd.DataFrame({"scenario_id": ids, "tariff": tariffs, "p2p": np.arange(n) % 2 == 0,
                              "export_ratio": np.linspace(0.2, 0.6, n), "community_spread": 0.5,
                              "seed": np.arange(n), "cpp_price": np.where(tariffs == "cpp", 0.4, np.nan)})
    cost = np.round(rng.uniform(50, 150, n), 3)
    results = pd.DataFrame({"scenario_id": ids, "status": ["ok"] * (n - 1) + ["failed"],
                            "community_cost": cost, "cost_cv": rng.uniform(0.1, 0.5, n),
                            "cost_gini": rng.uniform(0.05, 0.3, n), "savings_cv": 0.2,
                            "savings_gini": rng.uniform(0.2, 0.6, n),
                            "self_sufficiency": 0.4, "p2p_benefit": 3.0, "p2p_traded_kwh": 10.0,
                            "import_kwh": 100.0, "export_kwh": 20.0, "solve_time_s": 0.5})
    ok = results[results["status"] == "ok"].sort_values("community_cost").reset_index(drop=True)
    rankings = ok.assign(rank=np.arange(1, len(ok) + 1), score=np.linspace(1, 0, len(ok)))
    buildings = pd.DataFrame({"scenario_id": np.repeat(ids, 3), "building": np.tile(["b1", "b2", "b3"], n),
                              "cost": rng.uniform(10, 50, 3 * n), "cost_baseline": rng.uniform(20, 60, 3 * n),
                              "saving": 1.0, "import_kwh": 5.0, "export_kwh": 1.0})
    tornado = pd.DataFrame({"parameter": ["export_ratio", "community_spread"], "low_value": [0.2, 0.3],
                            "high_value": [0.6, 0.7], "metric_low": [110.0, 99.0],
                            "metric_high": [90.0, 102.0],
                            "base_metric": [100.0, 100.0], "swing": [20.0, 3.0]})
    er, cs = np.meshgrid([0.2, 0.4, 0.6], [0.3, 0.5, 0.7])
    grid = pd.DataFrame({"export_ratio": er.ravel(), "community_spread": cs.ravel(),
                         "community_cost": 100 - 20 * er.ravel() + cs.ravel(), "cost_cv": 0.2})
    oat = pd.DataFrame({"parameter": ["export_ratio"] * 3, "value": [0.2, 0.4, 0.6],
                        "community_cost": [110.0, 100.0, 90.0]})
    metrics = pd.DataFrame({"target": ["community_cost", "cost_cv"], "r2": [0.95, 0.91], "mae": [1.2, 0.01],
                            "n_train": [80, 80], "n_test": [20, 20]})
    curve = pd.DataFrame({"target": ["community_cost"] * 2 + ["cost_cv"] * 2, "fraction": [0.5, 1.0] * 2,
                          "n_train": [40, 80] * 2, "r2_test": [0.8, 0.95, 0.7, 0.91],
                          "mae_test": [2.0, 1.2, 0.02, 0.01]})
    rapid = scenarios.assign(community_cost=cost, savings_gini=0.3, out_of_range=False,
                             out_of_range_features="")
    verified = pd.DataFrame({"scenario_id": ids[:3], "rank": [1, 2, 3], "predicted": [50.0, 55.0, 60.0],
                             "actual": [51.0, 54.0, 61.0], "error": [-1.0, 1.0, -1.0]})
    prices = pd.DataFrame({"scenario_id": np.repeat(ids, 96), "step": np.tile(np.arange(96), n),
                           "time": np.tile(TIME, n), "import_price": rng.uniform(0.05, 0.4, 96 * n)})
    prices["export_price"] = prices["import_price"] * 0.4
    prices["community_price"] = prices["import_price"] * 0.7
    tables = {"scenarios": scenarios, "results": results, "rankings": rankings, "buildings": buildings,
              "oat": oat, "tornado": tornado, "grid": grid, "surrogate_metrics": metrics,
              "learning_curve": curve, "rapid_eval": rapid, "verified": verified, "prices": prices}
    summary = {"scenarios": n, "evaluated": n - 1, "best_scenario": rankings["scenario_id"].iloc[0],
               "best_community_cost": float(rankings["community_cost"].iloc[0]), "surrogate_r2_cost": 0.95}
    return summary, tables


@pytest.fixture
def run_dir(tmp_path):
    summary, tables = run_tables()
    (tmp_path / "tables").mkdir()
    for name, table in tables.items():
        table.to_parquet(tmp_path / "tables" / f"{name}.parquet", index=False)
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    return tmp_path
