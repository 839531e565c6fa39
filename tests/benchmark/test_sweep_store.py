"""Sweeps and the results store: resume after a crash, failures recorded, dead workers, Dask."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from gridshare.benchmark.evaluate import FAULTS_ENV, evaluate
from gridshare.benchmark.scenarios import Scenario, generate_scenarios
from gridshare.benchmark.store import ResultsStore
from gridshare.benchmark.sweep import run_sweep

SCENARIOS = generate_scenarios(6, seed=11)


@pytest.fixture(scope="module")
def serial_store(small_community, tmp_path_factory):
    calls = []
    result = run_sweep(SCENARIOS, small_community, tmp_path_factory.mktemp("serial"),
                       executor="serial", progress=False,
                       on_result=lambda done, total, outcome: calls.append((done, total)))
    assert calls == [(k, 6) for k in range(1, 7)]
    assert (result.n_run, result.n_skipped, result.n_failed) == (6, 0, 0)
    return result.store


def test_store_tables_and_numbers(serial_store, small_community):
    results, buildings, scen = serial_store.results(), serial_store.buildings(), serial_store.scenarios()
    assert len(results) == 6 and results["scenario_id"].is_unique and set(results["status"]) == {"ok"}
    assert len(buildings) == 6 * 3 and len(scen) == 6
    assert set(scen["scenario_id"]) == {s.scenario_id for s in SCENARIOS}
    # The stored numbers are those of evaluate() (same core, same options).
    direct = evaluate(SCENARIOS[3], small_community)
    row = results.set_index("scenario_id").loc[SCENARIOS[3].scenario_id]
    assert row["community_cost"] == pytest.approx(direct.summary["community_cost"], rel=1e-9)
    # Building rows sum to the scenario's community cost.
    per = buildings.groupby("scenario_id")["cost"].sum()
    np.testing.assert_allclose(per.loc[results["scenario_id"]].to_numpy(),
                               results["community_cost"].to_numpy(), rtol=1e-9)


def test_duckdb_catalogue_is_queryable(serial_store):
    got = serial_store.query("SELECT tariff, avg(community_cost) AS cost FROM results "
                             "JOIN scenarios USING (scenario_id) GROUP BY tariff ORDER BY tariff")
    # Independent path: the same average with pandas on the Parquet-backed tables.
    merged = serial_store.results().merge(serial_store.scenarios(), on="scenario_id")
    expected = merged.groupby("tariff")["community_cost"].mean().sort_index()
    assert got["tariff"].tolist() == expected.index.tolist()
    np.testing.assert_allclose(got["cost"].to_numpy(), expected.to_numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="query failed"):
        serial_store.query("SELECT nope FROM results")


def test_rerun_skips_everything(serial_store, small_community):
    again = run_sweep(SCENARIOS, small_community, serial_store, executor="serial", progress=False)
    assert (again.n_run, again.n_skipped) == (0, 6) and len(again.results) == 6


CRASH_SCRIPT = """
import sys
from gridshare.benchmark.community import default_community
from gridshare.benchmark.scenarios import generate_scenarios
from gridshare.benchmark.sweep import run_sweep
community = default_community(n_buildings=3, steps=24, step_minutes=60, seed=1)
run_sweep(generate_scenarios(8, seed=12), community, sys.argv[1], executor="serial",
          progress=False)
"""


def finished_dirs(root):
    folder = root / "scenarios"
    return [p for p in folder.iterdir() if not p.name.startswith(".")] if folder.exists() else []


def test_resume_after_sigkill(tmp_path, small_community):
    root = tmp_path / "store"
    proc = subprocess.Popen([sys.executable, "-c", CRASH_SCRIPT, str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(finished_dirs(root)) < 3:  # poll the directories, never the locked catalogue
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "the sweep wrote nothing for 60 s"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    store = ResultsStore(root)  # reconciles the catalogue with the directories
    before = store.results()
    k = len(before)
    assert 3 <= k < 8 and k == len(finished_dirs(root)) and before["scenario_id"].is_unique
    assert not list(root.glob(".tmp-*"))
    resumed = run_sweep(generate_scenarios(8, seed=12), small_community, store,
                        executor="serial", progress=False)
    assert (resumed.n_skipped, resumed.n_run) == (k, 8 - k)
    after = resumed.results
    assert len(after) == 8 and after["scenario_id"].is_unique  # none lost, none duplicated
    assert set(after["scenario_id"]) == {s.scenario_id for s in generate_scenarios(8, seed=12)}
    assert len(resumed.buildings) == 24 and not resumed.buildings.duplicated(
        ["scenario_id", "building"]).any()
    # Rows written before the crash are kept as they were, not recomputed.
    kept = after.set_index("scenario_id").loc[before["scenario_id"]]
    np.testing.assert_array_equal(kept["community_cost"].to_numpy(),
                                  before["community_cost"].to_numpy())


def test_reconcile_after_crash_between_rename_and_insert(tmp_path, small_community):
    store = ResultsStore(tmp_path)
    s, t = Scenario("tou", True), Scenario("rtp", False)
    result = evaluate(s, small_community)
    # A directory that reached its final name but not the catalogue (crash after os.replace):
    folder = tmp_path / "scenarios" / s.scenario_id
    folder.mkdir()
    files = {"scenarios": "scenario.parquet", "results": "results.parquet",
             "buildings": "buildings.parquet"}
    for table, frame in ResultsStore.frames(result, s).items():
        frame.to_parquet(folder / files[table], index=False)
    # A half-written temporary directory (crash before the rename):
    (tmp_path / f".tmp-{t.scenario_id}-dead").mkdir()
    assert len(store.results()) == 0  # this handle has not reconciled yet
    reopened = ResultsStore(tmp_path)
    assert reopened.results()["scenario_id"].tolist() == [s.scenario_id]
    assert len(reopened.buildings()) == 3 and not list(tmp_path.glob(".tmp-*"))
    # A catalogue row whose directory is gone is removed (the directories are the truth).
    reopened.write(evaluate(t, small_community), t)
    import shutil

    shutil.rmtree(tmp_path / "scenarios" / t.scenario_id)
    assert set(ResultsStore(tmp_path).results()["scenario_id"]) == {s.scenario_id}
    # A repeated write does not duplicate.
    reopened.write(result, s)
    reopened.write(result, s)
    assert len(ResultsStore(tmp_path).results()) == 1


def test_failing_scenario_recorded_and_sweep_goes_on(tmp_path, small_community, monkeypatch):
    few = SCENARIOS[:4]
    bad, boom = few[1], few[3]
    monkeypatch.setenv(FAULTS_ENV, f"{bad.scenario_id}:infeasible,{boom.scenario_id}:raise")
    r = run_sweep(few, small_community, tmp_path, executor="serial", progress=False)
    assert (r.n_run, r.n_failed) == (4, 2)
    res = r.results.set_index("scenario_id")
    assert res.loc[bad.scenario_id, "status"] == "failed"
    assert np.isnan(res.loc[bad.scenario_id, "community_cost"])
    assert (res["status"] == "ok").sum() == 2
    fail = r.store.failures().set_index("scenario_id")
    assert fail.loc[bad.scenario_id, "error_type"] == "InfeasibleError"
    assert "power_balance" in fail.loc[bad.scenario_id, "message"]
    assert fail.loc[boom.scenario_id, "error_type"] == "RuntimeError"
    assert "Traceback" in fail.loc[boom.scenario_id, "traceback"]
    # Failures count as done on a plain re-run; retry_failed runs them again.
    monkeypatch.delenv(FAULTS_ENV)
    assert run_sweep(few, small_community, tmp_path, executor="serial",
                     progress=False).n_run == 0
    fixed = run_sweep(few, small_community, tmp_path, executor="serial", progress=False,
                      retry_failed=True)
    assert (fixed.n_run, fixed.n_failed) == (2, 0)
    assert set(fixed.results["status"]) == {"ok"} and len(fixed.store.failures()) == 0
    assert len(fixed.results) == 4


def test_dead_worker_retried_then_recorded(tmp_path, small_community, serial_store, monkeypatch):
    dying = SCENARIOS[2]
    monkeypatch.setenv(FAULTS_ENV, f"{dying.scenario_id}:exit")
    r = run_sweep(SCENARIOS, small_community, tmp_path, executor="process", workers=2,
                  progress=False, retries=1)
    assert (r.n_run, r.n_failed) == (6, 1)
    res = r.results
    assert len(res) == 6 and res["scenario_id"].is_unique
    fail = r.store.failures()
    assert fail["scenario_id"].tolist() == [dying.scenario_id]
    assert fail["error_type"].iloc[0] == "WorkerDied" and fail["attempts"].iloc[0] == 2
    # The other five finished with the serial numbers (scenarios hit by the broken pool were
    # run again, not blamed).
    ok = res[res["status"] == "ok"].set_index("scenario_id")
    serial = serial_store.results().set_index("scenario_id").loc[ok.index]
    np.testing.assert_allclose(ok["community_cost"], serial["community_cost"], rtol=1e-9)


def test_dask_local_cluster_matches_serial(tmp_path, small_community, serial_store):
    # CI: a LocalCluster of 2 worker processes with 1 thread each.
    r = run_sweep(SCENARIOS, small_community, tmp_path, executor="dask", workers=2,
                  progress=False)
    assert (r.n_run, r.n_failed) == (6, 0)
    cols = ["community_cost", "cost_cv", "cost_gini", "self_sufficiency", "p2p_benefit"]
    got = r.results.set_index("scenario_id")[cols]
    want = serial_store.results().set_index("scenario_id").loc[got.index, cols]
    pd.testing.assert_frame_equal(got, want, rtol=1e-9)
    b1 = r.buildings.set_index(["scenario_id", "building"]).sort_index()
    b2 = serial_store.buildings().set_index(["scenario_id", "building"]).sort_index()
    np.testing.assert_allclose(b1["cost"], b2["cost"], rtol=1e-9, atol=1e-12)


def test_bad_sweep_arguments(small_community, tmp_path):
    with pytest.raises(ValueError, match="executor"):
        run_sweep(SCENARIOS, small_community, tmp_path, executor="threads")
    with pytest.raises(ValueError, match="retries"):
        run_sweep(SCENARIOS, small_community, tmp_path, retries=-1)
    with pytest.raises(ValueError, match="Scenario objects"):
        run_sweep(["tou"], small_community, tmp_path)
