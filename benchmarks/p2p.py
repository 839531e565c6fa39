"""Benchmark of the P2P community simulation (:mod:`gridshare.community`).

Two cases, each timed in a fresh subprocess so that peak memory (max RSS) is its own:

- ``greedy``: 500 homes x 35,040 steps (a year at 15 min), greedy strategy, individual
  batteries, mid-market price. The step loop is inherent; within a step everything is vectorised
  across homes. Replay and ledger are off (the year's replay would hold 500 x 35,040 values per
  quantity); the run keeps per-home totals. Target: under 60 s.
- ``greedy_ledger``: the greedy case for 3,504 steps (five weeks) with every trade paired and
  hashed into the ledger, to show what the ledger costs (not in the default run).
- ``convex``: 50 homes x 96 steps (a day at 15 min), convex strategy with a one-day look-ahead:
  one individual-mode core model over all 50 homes per step (replay and ledger on).
  Target: under 60 s.

For each case the profile generation, the scenario's step loop and the baseline's step loop are
timed separately; steps per second are for the scenario's loop. Run
``python benchmarks/p2p.py --help`` for the flags; the output is a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

CASES = {
    "greedy": {"homes": 500, "steps": 35_040, "strategy": "greedy", "record": False,
               "ledger": False, "history_days": 0.0, "start": "2025-01-01"},
    "greedy_ledger": {"homes": 500, "steps": 3_504, "strategy": "greedy", "record": False,
                      "ledger": True, "history_days": 0.0, "start": "2025-01-01"},
    "convex": {"homes": 50, "steps": 96, "strategy": "convex", "record": True,
               "ledger": True, "history_days": 0.0, "start": "2025-06-15"},
}
TARGET_S = 60.0


def run_case(name: str, homes: int | None, steps: int | None) -> dict:
    """Run one case in this process; return its timings and figures."""
    from gridshare.community import default_community, simulate
    from gridshare.community.result import community_summary, household_table
    from gridshare.perf import prefer_small_pages

    prefer_small_pages()
    spec = dict(CASES[name])
    homes = homes or spec["homes"]
    steps = steps or spec["steps"]
    t0 = time.perf_counter()
    inputs = default_community(homes, steps, seed=1, resolution="15min", start=spec["start"],
                               history_days=spec["history_days"])
    t1 = time.perf_counter()
    run = simulate(inputs, strategy=spec["strategy"], battery="individual",
                   record=spec["record"], ledger=spec["ledger"])
    t2 = time.perf_counter()
    base = simulate(inputs, strategy="baseline", battery="individual", record=False,
                    ledger=False)
    t3 = time.perf_counter()
    summary = community_summary(run, household_table(run, base))
    return {
        "case": name, "homes": homes, "steps": steps, "profiles_s": t1 - t0,
        "scenario_s": t2 - t1, "baseline_s": t3 - t2, "total_s": t3 - t0,
        "steps_per_s": steps / (t2 - t1),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "savings_pct": summary["savings_pct"], "p2p_kwh": summary["p2p_volume_kwh"],
        "trades": summary["trades"], "model_builds": run.attrs["model_builds"],
        "model_solves": run.attrs["model_solves"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["greedy", "convex"],
                        choices=list(CASES))
    parser.add_argument("--homes", type=int, default=None, help="override the homes of a case")
    parser.add_argument("--steps", type=int, default=None, help="override the steps of a case")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_case(args.child, args.homes, args.steps)))
        return 0
    rows = []
    for name in args.cases:
        cmd = [sys.executable, __file__, "--child", name]
        if args.homes:
            cmd += ["--homes", str(args.homes)]
        if args.steps:
            cmd += ["--steps", str(args.steps)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                             env=dict(os.environ, PYTHONWARNINGS="ignore"))
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}; load average {os.getloadavg()[0]:.1f}")
    print()
    print("| case | homes x steps | profiles s | scenario s | baseline s | steps/s | "
          "peak RSS MB | savings % | P2P kWh | trades | core builds/solves | target |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ok = "met" if r["scenario_s"] < TARGET_S else "missed"
        print(f"| {r['case']} | {r['homes']} x {r['steps']} | {r['profiles_s']:.1f} | "
              f"{r['scenario_s']:.1f} | {r['baseline_s']:.1f} | {r['steps_per_s']:,.0f} | "
              f"{r['peak_rss_mb']:,.0f} | {r['savings_pct']:.1f} | {r['p2p_kwh']:,.0f} | "
              f"{r['trades']:,} | {r['model_builds']}/{r['model_solves']} | "
              f"{ok} (< {TARGET_S:.0f} s) |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
