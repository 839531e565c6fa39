"""Benchmark of tariff sweeps (:mod:`gridshare.benchmark`): serial versus a Dask LocalCluster.

``bench_sweep`` runs the same scenarios (default 200, balanced over ToU/CPP/RTP/EDR x P2P, on
the default community of 10 buildings x 96 steps of 15 min) twice in this process, each into a
fresh results store:

- serially (``executor="serial"``, one HiGHS thread);
- on a Dask ``LocalCluster`` of 2 worker processes with 1 thread each (``executor="dask"``), the
  wall time *including* starting and closing the cluster.

It checks that both stores hold the same numbers and prints both times and the ratio. Target:
Dask speed-up >= 1.7x on 2 cores.

``bench_surrogate`` then trains the XGBoost surrogates on the serial sweep's results (80 % train,
20 % held out), scores 10,000 new scenarios with them (features from their price profiles, then
prediction), and compares the time per scenario with the serial optimisation time per scenario
measured above. Targets: >= 1,000x faster per scenario, held-out R² >= 0.9 on community cost.
Run ``python benchmarks/sweep.py --help`` for the flags.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from typing import Any

import numpy as np

TARGET_SPEEDUP = 1.7
TARGET_SURROGATE_SPEEDUP = 1_000.0
TARGET_R2 = 0.9


def bench_sweep(n_scenarios: int = 200, workers: int = 2, seed: int = 0,
                progress: bool = False) -> dict[str, Any]:
    """Time ``n_scenarios`` serially and on a Dask LocalCluster of ``workers`` processes.

    Returns
    -------
    dict
        ``n_scenarios``, ``workers``, ``serial_s``, ``dask_s`` (wall, s, with cluster start and
        stop), ``speedup`` (serial / dask), ``per_scenario_serial_s``, ``max_abs_diff`` (largest
        difference of ``community_cost`` between the two stores, currency), ``failed``.
    """
    from gridshare.benchmark import default_community, generate_scenarios, run_sweep

    community = default_community()
    scenarios = generate_scenarios(n_scenarios, seed=seed)
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
        started = time.perf_counter()
        serial = run_sweep(scenarios, community, os.path.join(tmp, "serial"), executor="serial",
                           progress=progress)
        serial_s = time.perf_counter() - started
        started = time.perf_counter()
        dask = run_sweep(scenarios, community, os.path.join(tmp, "dask"), executor="dask",
                         workers=workers, progress=progress)
        dask_s = time.perf_counter() - started
        a = serial.results.set_index("scenario_id")["community_cost"]
        b = dask.results.set_index("scenario_id")["community_cost"].loc[a.index]
        diff = float(np.nanmax(np.abs(a.to_numpy() - b.to_numpy()))) if len(a) else 0.0
        failed = int(serial.n_failed + dask.n_failed)
        results = serial.results
    return {"n_scenarios": n_scenarios, "workers": workers, "serial_s": serial_s,
            "dask_s": dask_s, "speedup": serial_s / dask_s,
            "per_scenario_serial_s": serial_s / max(n_scenarios, 1), "max_abs_diff": diff,
            "failed": failed, "_results": results, "_scenarios": scenarios, "_community": community}


def bench_surrogate(sweep: dict[str, Any], n_rapid: int = 10_000, seed: int = 0) -> dict[str, Any]:
    """Train surrogates on ``sweep``'s serial results and time a rapid evaluation of ``n_rapid``.

    Returns
    -------
    dict
        ``n_train``, ``n_test``, ``r2_cost``, ``mae_cost`` (currency), ``r2_fairness``
        (Gini of savings), ``n_rapid``, ``rapid_s`` (features + prediction, s),
        ``per_scenario_rapid_s``, ``per_scenario_optimisation_s`` (serial sweep wall / scenarios)
        and ``speedup``; ``out_of_range`` = rapid scenarios flagged outside the training range.
    """
    from gridshare.benchmark import generate_scenarios
    from gridshare.benchmark.run import SURROGATE_TARGETS, surrogate_features
    from gridshare.benchmark.surrogate import Surrogate

    community, scenarios = sweep["_community"], sweep["_scenarios"]
    results = sweep["_results"].set_index("scenario_id")
    ok = results[results["status"] == "ok"]
    features = surrogate_features([s for s in scenarios if s.scenario_id in ok.index], community)
    model = Surrogate.fit(features, ok.loc[features.index, list(SURROGATE_TARGETS)], seed=seed,
                          target_names=SURROGATE_TARGETS)
    metrics = model.metrics
    new = generate_scenarios(n_rapid, seed=seed + 1)
    started = time.perf_counter()
    predicted = model.predict(surrogate_features(new, community))
    rapid_s = time.perf_counter() - started
    per_rapid = rapid_s / n_rapid
    per_opt = sweep["per_scenario_serial_s"]
    return {"n_train": int(metrics.loc["community_cost", "n_train"]),
            "n_test": int(metrics.loc["community_cost", "n_test"]),
            "r2_cost": float(metrics.loc["community_cost", "r2"]),
            "mae_cost": float(metrics.loc["community_cost", "mae"]),
            "r2_fairness": float(metrics.loc[SURROGATE_TARGETS[1], "r2"]),
            "n_rapid": n_rapid, "rapid_s": rapid_s, "per_scenario_rapid_s": per_rapid,
            "per_scenario_optimisation_s": per_opt, "speedup": per_opt / per_rapid,
            "out_of_range": int(predicted["out_of_range"].sum())}


def markdown_surrogate(f: dict[str, Any]) -> str:
    """Markdown rows for :func:`bench_surrogate`'s figures."""
    fast = "met" if f["speedup"] >= TARGET_SURROGATE_SPEEDUP else "NOT met"
    good = "met" if f["r2_cost"] >= TARGET_R2 else "NOT met"
    return "\n".join([
        "| figure | value | target |",
        "|---|---|---|",
        f"| held-out R² community cost ({f['n_train']} train / {f['n_test']} test) | "
        f"**{f['r2_cost']:.3f}** (MAE {f['mae_cost']:.2f}) | >= {TARGET_R2}: {good} |",
        f"| held-out R² Gini of savings | {f['r2_fairness']:.3f} | |",
        f"| rapid evaluation of {f['n_rapid']:,} scenarios | {f['rapid_s']:.3f} s "
        f"({f['per_scenario_rapid_s'] * 1e3:.4f} ms each; {f['out_of_range']:,} flagged out of range) | |",
        f"| optimisation per scenario (serial sweep) | {f['per_scenario_optimisation_s']:.3f} s | |",
        f"| surrogate speed-up per scenario | **{f['speedup']:,.0f}x** | "
        f">= {TARGET_SURROGATE_SPEEDUP:,.0f}x: {fast} |",
    ])


def markdown_sweep(figures: dict[str, Any]) -> str:
    """One Markdown table row block for :func:`bench_sweep`'s figures."""
    met = "met" if figures["speedup"] >= TARGET_SPEEDUP else "NOT met"
    return "\n".join([
        "| scenarios | serial | Dask LocalCluster (workers x 1 thread) | speed-up | target |",
        "|---|---|---|---|---|",
        f"| {figures['n_scenarios']} | {figures['serial_s']:.1f} s "
        f"({figures['per_scenario_serial_s']:.2f} s each) | {figures['dask_s']:.1f} s "
        f"({figures['workers']} x 1) | **{figures['speedup']:.2f}x** | >= {TARGET_SPEEDUP}x: {met} |",
        "",
        f"Same numbers in both stores: max |community_cost difference| = "
        f"{figures['max_abs_diff']:.2e}; failed scenarios: {figures['failed']}.",
    ])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenarios", type=int, default=200, help="number of scenarios (default 200)")
    p.add_argument("--workers", type=int, default=2, help="Dask worker processes (default 2)")
    p.add_argument("--seed", type=int, default=0, help="seed of the scenario draw")
    p.add_argument("--progress", action="store_true", help="show progress bars")
    p.add_argument("--rapid", type=int, default=10_000, help="scenarios scored by the surrogate")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run every section of this benchmark and print its figures; returns them by section."""
    args = parse_args(argv)
    print(f"# Sweep benchmark ({platform.node()}, {os.cpu_count()} cores, Python "
          f"{sys.version.split()[0]})\n")
    figures = {"sweep": bench_sweep(args.scenarios, args.workers, args.seed, args.progress)}
    f = figures["sweep"]
    print(f"serial: {f['serial_s']:.1f} s   dask: {f['dask_s']:.1f} s   ratio: {f['speedup']:.2f}x\n")
    print(markdown_sweep(f))
    figures["surrogate"] = bench_surrogate(f, args.rapid, args.seed)
    print("\n" + markdown_surrogate(figures["surrogate"]))
    return figures


if __name__ == "__main__":
    main()
