"""The tariff benchmark from end to end: sweep, rank, sensitivity, surrogate, rapid evaluation.

:func:`run_benchmark` is what ``gridshare benchmark`` and the web app's benchmark page run. It writes a
run directory that :func:`gridshare.report.build.build_report` turns into a report::

    DIR/store/                 results store of the main sweep (resumable)
    DIR/sensitivity_store/     results store of the sensitivity runs
    DIR/tables/<name>.parquet  scenarios, results, rankings, buildings, prices, oat, tornado, grid,
                               surrogate_metrics, learning_curve, rapid_eval, verified
    DIR/surrogate/             the trained surrogate (when asked for)
    DIR/summary.json           headline figures
"""

from __future__ import annotations

import json
import time as _time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridshare.benchmark.community import BenchmarkCommunity, default_community, read_community
from gridshare.benchmark.evaluate import evaluate
from gridshare.benchmark.ranking import rank
from gridshare.benchmark.scenarios import (
    Scenario,
    generate_scenarios,
    price_matrix,
    scenarios_frame,
)
from gridshare.benchmark.sensitivity import grid_sensitivity, one_at_a_time, tornado_table
from gridshare.benchmark.sweep import OnResult, run_sweep

#: Values of the one-at-a-time and grid sensitivity when none are given.
DEFAULT_SENSITIVITY: dict[str, list[float]] = {
    "export_ratio": [0.2, 0.3, 0.4, 0.5, 0.6],
    "community_spread": [0.3, 0.4, 0.5, 0.6, 0.7],
}
#: Surrogate targets: community cost (currency) and the Gini coefficient of the buildings' savings
#: (see :data:`gridshare.benchmark.ranking.DEFAULT_WEIGHTS` for why savings, not costs).
SURROGATE_TARGETS = ("community_cost", "savings_gini")


@dataclass
class BenchmarkRun:
    """What :func:`run_benchmark` produced.

    Attributes
    ----------
    out : Path
        Run directory.
    tables : dict of str to pandas.DataFrame
        Every table written to ``out/tables``.
    summary : dict
        Headline figures (also in ``out/summary.json``).
    """

    out: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


def prices_long(scenarios: list[Scenario], community: BenchmarkCommunity) -> pd.DataFrame:
    """Price profiles of ``scenarios`` in long form: scenario_id, step, time, three prices (currency/kWh)."""
    prices = price_matrix(scenarios, community.time)
    n, t = prices["import_price"].shape
    return pd.DataFrame({
        "scenario_id": np.repeat([s.scenario_id for s in scenarios], t),
        "step": np.tile(np.arange(t), n),
        "time": np.tile(community.time, n),
        **{key: prices[key].ravel() for key in ("import_price", "export_price", "community_price")},
    })


def surrogate_features(scenarios: list[Scenario], community: BenchmarkCommunity) -> pd.DataFrame:
    """Surrogate features of ``scenarios`` (price statistics, parameters, net-load-weighted prices)."""
    from gridshare.benchmark.surrogate import price_features

    net_load = (community.load_kw - community.pv_kw).sum(axis=0)
    return price_features(scenarios_frame(scenarios), price_matrix(scenarios, community.time),
                          community.time, net_load_kw=net_load)


def run_benchmark(out: str | Path, n_scenarios: int = 20, *, seed: int = 0,
                  community: BenchmarkCommunity | None = None, community_dir: str | Path | None = None,
                  executor: str | Any = "process", scheduler: str | None = None,
                  workers: int | None = None, sensitivity: bool = False,
                  sensitivity_ranges: dict[str, list[float]] | None = None,
                  train_surrogate: bool = False, training_scenarios: int = 200,
                  rapid_eval: int = 0, verify_top: int = 3, rank_by: str = "score",
                  progress: bool = True, on_result: OnResult | None = None) -> BenchmarkRun:
    """Benchmark tariff scenarios on a community and write every table to ``out``.

    Parameters
    ----------
    out : str or Path
        Run directory (created; an existing one is resumed: finished scenarios are not run again).
    n_scenarios : int
        Scenarios in the main sweep, balanced over tariff (ToU, CPP, RTP, EDR) x P2P on/off.
    seed : int
        Seed of the scenario draws; rapid evaluation draws from ``seed + 1``.
    community, community_dir : optional
        The community; or a folder with ``load_profiles.csv``, ``pv_profiles.csv``,
        ``battery_specs.json`` and ``load_flexibility.json``; default 10 buildings x 96 x 15 min.
    executor : {"process", "serial", "dask"} or distributed.Client
        Where scenarios run (see :func:`~gridshare.benchmark.sweep.run_sweep`).
    scheduler : str, optional
        Dask scheduler address (``tcp://host:8786``); overrides ``executor``.
    workers : int, optional
        Local worker processes.
    sensitivity : bool
        Run one-at-a-time and grid sensitivity around the best-ranked scenario.
    sensitivity_ranges : dict, optional
        Parameter -> values; default :data:`DEFAULT_SENSITIVITY`. The grid uses the first two.
    train_surrogate : bool
        Train XGBoost surrogates of :data:`SURROGATE_TARGETS`; the sweep is topped up with extra
        scenarios so that at least ``training_scenarios`` are evaluated.
    rapid_eval : int
        Evaluate this many new scenarios with the surrogate (implies ``train_surrogate``).
    verify_top : int
        Re-evaluate the best ``verify_top`` surrogate picks with the real optimisation.
    rank_by : {"score", "cost", "fairness"}
        Ranking criterion.
    progress : bool
        Progress bars.
    on_result : callable, optional
        ``on_result(done, total, outcome)`` after each stored scenario of the main sweep.

    Returns
    -------
    BenchmarkRun
    """
    started = _time.perf_counter()
    out = Path(out)
    if n_scenarios < 1:
        raise ValueError(f"n_scenarios must be >= 1; got {n_scenarios}")
    if rapid_eval < 0 or training_scenarios < 0 or verify_top < 0:
        raise ValueError("rapid_eval, training_scenarios and verify_top must be >= 0")
    if community is None:
        community = read_community(community_dir) if community_dir is not None else default_community()
    # only once the inputs are known good, so a bad --data leaves no empty run behind
    (out / "tables").mkdir(parents=True, exist_ok=True)
    train_surrogate = train_surrogate or rapid_eval > 0
    where = scheduler if scheduler else executor
    sweep_kw = {"executor": where, "workers": workers, "progress": progress}

    scenarios = generate_scenarios(n_scenarios, seed=seed)
    training: list[Scenario] = []
    if train_surrogate and training_scenarios > n_scenarios:
        # drawn from their own seed so the main sweep is the same with or without a surrogate
        training = generate_scenarios(training_scenarios - n_scenarios, seed=seed + 1_000)
    sweep = run_sweep(scenarios + training, community, store=out / "store", on_result=on_result,
                      **sweep_kw)
    main_ids = {s.scenario_id for s in scenarios}
    all_results = sweep.results
    results = all_results[all_results["scenario_id"].isin(main_ids)].reset_index(drop=True)
    scen_table = scenarios_frame(scenarios).reset_index()
    tables: dict[str, pd.DataFrame] = {
        "scenarios": scen_table,
        "results": results,
        "rankings": rank(results.merge(scen_table, on="scenario_id", how="left"), by=rank_by),
        "buildings": sweep.buildings[sweep.buildings["scenario_id"].isin(main_ids)]
        .reset_index(drop=True),
        "prices": prices_long(scenarios, community),
    }
    failures = sweep.store.failures()
    if len(failures):
        tables["failures"] = failures
    ok = tables["rankings"]
    summary: dict[str, Any] = {
        "scenarios": len(scenarios), "evaluated": int((results["status"] == "ok").sum()),
        "failed": int((results["status"] != "ok").sum()),
        "buildings": len(community.members), "steps": community.n_steps,
        "step_minutes": community.step_hours * 60,
    }
    if len(ok):
        best = ok.iloc[0]
        summary.update({
            "best_scenario": str(best["scenario_id"]), "best_tariff": str(best["tariff"]),
            "best_p2p": bool(best["p2p"]), "best_community_cost": float(best["community_cost"]),
            "best_cost_cv": float(best["cost_cv"]),
            "best_savings_gini": float(best["savings_gini"]),
            "mean_p2p_benefit": float(ok.loc[ok["p2p"].astype(bool), "p2p_benefit"].mean())
            if ok["p2p"].astype(bool).any() else 0.0,
        })

    if sensitivity and len(ok):
        ranges = sensitivity_ranges or DEFAULT_SENSITIVITY
        base = next(s for s in scenarios if s.scenario_id == summary["best_scenario"])
        sens_kw = {**sweep_kw, "store": out / "sensitivity_store"}
        oat = one_at_a_time(base, ranges, community, **sens_kw)
        tables["oat"] = oat
        tables["tornado"] = tornado_table(oat, "community_cost")
        names = list(ranges)[:2]
        if len(names) == 2:
            tables["grid"] = grid_sensitivity(base, {n: ranges[n] for n in names}, community, **sens_kw)

    if train_surrogate:
        _surrogate(out, scenarios + training, all_results, community, tables, summary, seed,
                   rapid_eval, verify_top)

    summary["wall_s"] = round(_time.perf_counter() - started, 2)
    for name, table in tables.items():
        table.to_parquet(out / "tables" / f"{name}.parquet", index=False)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return BenchmarkRun(out=out, tables=tables, summary=summary)


def _surrogate(out: Path, scenarios: list[Scenario], results: pd.DataFrame,
               community: BenchmarkCommunity, tables: dict[str, pd.DataFrame], summary: dict[str, Any],
               seed: int, rapid_eval: int, verify_top: int) -> None:
    from gridshare.benchmark.surrogate import Surrogate, verify_top_k

    ok = results[results["status"] == "ok"].set_index("scenario_id")
    trained = [s for s in scenarios if s.scenario_id in ok.index]
    if len(trained) < 10:
        raise ValueError(f"the surrogate needs at least 10 evaluated scenarios; {len(trained)} are")
    features = surrogate_features(trained, community)
    targets = ok.loc[features.index, list(SURROGATE_TARGETS)]
    model = Surrogate.fit(features, targets, seed=seed, target_names=SURROGATE_TARGETS)
    model.save(out / "surrogate")
    tables["surrogate_metrics"] = model.metrics.reset_index()
    tables["learning_curve"] = model.learning_curve(features, targets)
    metrics = model.metrics
    summary["surrogate_r2_cost"] = float(metrics.loc["community_cost", "r2"])
    summary["surrogate_mae_cost"] = float(metrics.loc["community_cost", "mae"])
    if rapid_eval <= 0:
        return
    new = generate_scenarios(rapid_eval, seed=seed + 1)
    t0 = _time.perf_counter()
    predicted = model.predict(surrogate_features(new, community))
    per_scenario = (_time.perf_counter() - t0) / rapid_eval
    table = scenarios_frame(new).join(predicted).reset_index()
    table = table.sort_values("community_cost", kind="stable").reset_index(drop=True)
    tables["rapid_eval"] = table
    summary["rapid_eval_scenarios"] = rapid_eval
    summary["rapid_eval_ms_per_scenario"] = round(per_scenario * 1e3, 4)
    summary["rapid_eval_out_of_range"] = int(table["out_of_range"].sum())
    if verify_top > 0:
        by_id = {s.scenario_id: s for s in new}

        def actual(scenario_id: str) -> float:
            return float(evaluate(by_id[scenario_id], community).summary["community_cost"])

        tables["verified"] = verify_top_k(table.set_index("scenario_id"), verify_top, actual)
