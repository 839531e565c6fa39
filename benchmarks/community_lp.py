"""Benchmark of the optimisation core on the collective pool LP, against the same model in Pyomo.

The case: ``N`` members, each with a load, rooftop PV and one battery of its own, a grid connection
at the member's time-of-use tariff (export paid at 0.4 x import) and a community pool through which
members trade energy. Two variants are timed:

- ``free``: the pool is free, so the exact single-bus aggregation applies (the core may use it);
- ``fee``: a fee per kWh bought from the pool, so every member's grid and pool flows stay in the LP.

For each size the build time, solve time, end-to-end time, peak memory and objective of gridshare
and of the reference written in Pyomo (``pyomo_reference.py``, HiGHS through Pyomo's appsi
interface) are measured, each size and tool in a fresh subprocess so the memory peaks are separate.

Times are wall-clock and CPU (``time.process_time`` of the worker; with ``--threads 1`` the two
agree on an idle machine, and CPU time is the steadier figure on a busy one). gridshare's *build* is
``ModelInputs.from_arrays`` plus ``build_model``; its *solve* is ``Result.solve_time_s`` (hand-over
to HiGHS, the HiGHS run, reading the solution back); *end-to-end* adds assembling the Result.
Pyomo's *build* is constructing the ConcreteModel; its *solve* is appsi's hand-over to HiGHS plus
the HiGHS run. Data generation is outside every timer.

Run ``python benchmarks/community_lp.py --help`` for the flags; the output is a Markdown table ready
for ``BENCHMARKS.md``. A full rerun on a quiet machine::

    python benchmarks/community_lp.py --sizes 10,50,200 --json out/community_lp.json
    python benchmarks/community_lp.py --report out/community_lp.json   # reprint the tables
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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
START = "2025-01-01"  # not a leap year: 8,760 hourly steps is exactly one year
POOL_FEE_PER_KWH = 0.02
"""Fee on energy bought from the pool in the ``fee`` variant, currency/kWh."""
EXPORT_SHARE = 0.4
"""Export price as a share of the member's import price."""


# ---------------------------------------------------------------------------------------------
# Case data (seeded numpy; no profile module needed)
# ---------------------------------------------------------------------------------------------


@dataclass
class CommunityCase:
    """Arrays of one benchmark case.

    Attributes
    ----------
    members : list of str
        Member names.
    time : pandas.DatetimeIndex
        Hourly step starts, UTC.
    load_kw, pv_kw : numpy.ndarray
        Mean load and available PV per member and step, kW, shape (member, time).
    import_price, export_price : numpy.ndarray
        Grid prices per member and step, currency/kWh, shape (member, time).
    batteries : pandas.DataFrame
        One battery per member (index ``bat_<member>``), columns as the core's battery table.
    pool_fee_per_kwh : float
        Fee per kWh bought from the pool, currency/kWh.
    step_hours : float
        Step length, h.
    """

    members: list[str]
    time: pd.DatetimeIndex
    load_kw: np.ndarray
    pv_kw: np.ndarray
    import_price: np.ndarray
    export_price: np.ndarray
    batteries: pd.DataFrame
    pool_fee_per_kwh: float
    step_hours: float = 1.0


def tou_price(hour: np.ndarray) -> np.ndarray:
    """Time-of-use import price by local hour: off-peak 0.18, shoulder 0.28, peak 0.42 per kWh."""
    price = np.full(hour.shape, 0.28)
    price[(hour < 7) | (hour >= 23)] = 0.18
    price[(hour >= 17) & (hour < 21)] = 0.42
    return price


def make_case(n_members: int, n_steps: int = 8760, seed: int = 7,
              pool_fee_per_kwh: float = POOL_FEE_PER_KWH) -> CommunityCase:
    """Seeded community of households with load, PV and a battery each.

    Loads have a morning and an evening peak, more in winter, and a per-member annual energy of
    2,500-7,000 kWh; PV is a clear-sky-like half sine between sunrise and sunset whose day length
    and height follow the season, times a daily cloud factor and an hourly jitter, for 0-8 kWp.
    Tariffs are one ToU shape scaled per member by 0.9, 1.0 or 1.1 (so members differ and the pool
    is worth using); export is 0.4 x import.

    Parameters
    ----------
    n_members : int
        Number of members, >= 1.
    n_steps : int
        Number of hourly steps, >= 1 (8,760 = one year).
    seed : int
        Seed of the random generator; the same seed gives the same case.
    pool_fee_per_kwh : float
        Fee per kWh bought from the pool, currency/kWh (0 = free pool).

    Returns
    -------
    CommunityCase
    """
    if int(n_members) < 1:
        raise ValueError(f"n_members={n_members!r} must be a whole number >= 1")
    if int(n_steps) < 1:
        raise ValueError(f"n_steps={n_steps!r} must be a whole number >= 1")
    rng = np.random.default_rng(seed)
    n, t = int(n_members), int(n_steps)
    time_index = pd.date_range(START, periods=t, freq="h", tz="UTC")
    hour = time_index.hour.to_numpy()
    day = (time_index.dayofyear.to_numpy() - 1).astype(float)
    season = np.cos(2 * np.pi * (day - 172) / 365.0)  # +1 mid-summer, -1 mid-winter

    # Load: base + morning and evening bumps (member-specific timing), winter uplift, noise.
    shift = rng.uniform(-1.0, 1.0, size=(n, 1))
    h = hour[None, :] - shift
    shape = (0.45 + 0.6 * np.exp(-0.5 * ((h - 7.5) / 1.2) ** 2)
             + 1.0 * np.exp(-0.5 * ((h - 19.0) / 2.0) ** 2)) * (1.0 - 0.25 * season[None, :])
    shape = shape * rng.lognormal(0.0, 0.25, size=(n, t))
    annual_kwh = rng.uniform(2500.0, 7000.0, size=(n, 1))
    load_kw = shape / shape.mean(axis=1, keepdims=True) * annual_kwh / 8760.0

    # PV: day length 8-16 h and peak height following the season; cloud factor per day and member.
    half_day = 6.0 + 2.0 * season
    angle = (hour + 0.5 - (12.0 - half_day)) / (2 * half_day) * np.pi
    clear = np.where((angle > 0) & (angle < np.pi), np.sin(np.clip(angle, 0, np.pi)), 0.0)
    clear = clear * (0.65 + 0.35 * season)
    n_days = int(np.ceil(t / 24)) + 1
    cloud_day = rng.beta(4.0, 1.6, size=(n, n_days))
    day_of_step = ((time_index - time_index[0]) // pd.Timedelta(days=1)).to_numpy()
    cloud = cloud_day[:, day_of_step] * rng.uniform(0.85, 1.0, size=(n, t))
    kwp = np.round(rng.uniform(0.0, 8.0, size=(n, 1)), 1)
    pv_kw = 0.85 * kwp * clear[None, :] * cloud

    scale = rng.choice([0.9, 1.0, 1.1], size=(n, 1))
    import_price = scale * tou_price(hour)[None, :]
    export_price = EXPORT_SHARE * import_price

    members = [f"m{i:03d}" for i in range(n)]
    energy = np.round(rng.uniform(5.0, 13.5, size=n), 1)
    batteries = pd.DataFrame({
        "owner": members,
        "energy_kwh": energy,
        "charge_kw": 0.5 * energy,
        "discharge_kw": 0.5 * energy,
        "charge_efficiency": 0.95,
        "discharge_efficiency": 0.95,
        "soc_min": 0.1,
        "soc_max": 1.0,
        "soc_initial": 0.5,
        "soc_final": np.nan,
        "degradation_cost_per_kwh": 0.0,
        "binary": False,
        "pcs_kva": np.nan,
    }, index=[f"bat_{m}" for m in members])
    return CommunityCase(members=members, time=time_index, load_kw=load_kw, pv_kw=pv_kw,
                         import_price=import_price, export_price=export_price,
                         batteries=batteries, pool_fee_per_kwh=float(pool_fee_per_kwh))


# ---------------------------------------------------------------------------------------------
# Workers: one tool, one size, one variant, in a fresh process
# ---------------------------------------------------------------------------------------------


def peak_rss_gib() -> float:
    """Peak resident memory of this process so far, GiB (Linux reports ru_maxrss in KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024**2 if sys.platform != "darwin" else kib / 1024**3


def run_gridshare(n_members: int, n_steps: int, variant: str, algorithm: str,
                  threads: int | None, time_limit_s: float | None) -> dict:
    """Build and solve the case with gridshare; times in s, memory in GiB, objective in currency."""
    from gridshare.model import ModelInputs, SolveOptions, SolverError, build_model, solve
    from gridshare.model.solve import choose_algorithm

    case = make_case(n_members, n_steps, pool_fee_per_kwh=variant_fee(variant))
    started, cpu_started = time.perf_counter(), time.process_time()
    inputs = ModelInputs.from_arrays(
        case.load_kw, pv_kw=case.pv_kw, import_price=case.import_price,
        export_price=case.export_price, step_hours=case.step_hours, members=case.members,
        start=START, timezone="UTC", batteries=case.batteries,
        pool_fee_per_kwh=case.pool_fee_per_kwh)
    inputs_s = time.perf_counter() - started
    cm = build_model(inputs, mode="collective")
    built, cpu_built = time.perf_counter(), time.process_time()
    sizes = {"aggregate": bool(cm.aggregate), "n_variables": int(cm.model.nvars),
             "n_constraints": int(cm.model.ncons)}
    try:
        result = solve(cm, SolveOptions(algorithm=algorithm, threads=threads,
                                        time_limit_s=time_limit_s))
    except SolverError as exc:  # e.g. the time limit: report how far it got
        return {"build_s": inputs_s + cm.build_time_s, "solve_s": time.perf_counter() - built,
                "build_cpu_s": cpu_built - cpu_started,
                "solve_cpu_s": time.process_time() - cpu_built,
                "status": "time limit" if "time limit" in str(exc) else f"error: {exc}"[:60],
                "algorithm": choose_algorithm(cm.model.nvars, cm.is_milp, algorithm), **sizes,
                "peak_rss_gib": peak_rss_gib()}
    finished = time.perf_counter()
    return {"build_s": inputs_s + cm.build_time_s, "solve_s": result.solve_time_s,
            "build_cpu_s": cpu_built - cpu_started,
            "solve_cpu_s": time.process_time() - cpu_built,
            "end_to_end_s": finished - started, "result_s": finished - built - result.solve_time_s,
            "objective": float(result.objective), "status": result.status,
            "algorithm": result.attrs.get("algorithm", algorithm), **sizes,
            "peak_rss_gib": peak_rss_gib()}


def run_pyomo(n_members: int, n_steps: int, variant: str, algorithm: str,
              threads: int | None, time_limit_s: float | None, solve_it: bool) -> dict:
    """Build (and solve, when ``solve_it``) the same case in Pyomo with HiGHS through appsi."""
    sys.path.insert(0, str(HERE))
    from pyomo_reference import build_pyomo_model, solve_pyomo

    case = make_case(n_members, n_steps, pool_fee_per_kwh=variant_fee(variant))
    aggregate = variant == "free"  # the same formulation gridshare picks for a free pool
    started, cpu_started = time.perf_counter(), time.process_time()
    model = build_pyomo_model(case, aggregate=aggregate)
    build_s, cpu_built = time.perf_counter() - started, time.process_time()
    out = {"build_s": build_s, "build_cpu_s": cpu_built - cpu_started, "aggregate": aggregate,
           "algorithm": algorithm}
    if solve_it:
        res = solve_pyomo(model, algorithm=algorithm, threads=threads or 1,
                          time_limit_s=time_limit_s)
        out.update(solve_s=res["translate_s"] + res["solve_s"], translate_s=res["translate_s"],
                   solve_cpu_s=time.process_time() - cpu_built,
                   end_to_end_s=time.perf_counter() - started, objective=res["objective"],
                   status=res["status"])
    out["peak_rss_gib"] = peak_rss_gib()
    return out


def variant_fee(variant: str) -> float:
    """Pool fee of a variant: ``free`` = 0, ``fee`` = :data:`POOL_FEE_PER_KWH`, currency/kWh."""
    fees = {"free": 0.0, "fee": POOL_FEE_PER_KWH}
    if variant not in fees:
        raise ValueError(f"variant={variant!r} is not one of {sorted(fees)}")
    return fees[variant]


def worker_main(args: argparse.Namespace) -> None:
    if args.worker == "gridshare":
        out = run_gridshare(args.n, args.steps, args.variant, args.algorithm, args.threads,
                            args.time_limit)
    else:
        out = run_pyomo(args.n, args.steps, args.variant, pyomo_algorithm(args.algorithm,
                        args.n, args.steps), args.threads, args.time_limit, args.solve)
    print("RESULT " + json.dumps(out), flush=True)


HIGHS_ALGORITHMS = ("simplex", "ipm", "ipm_no_crossover", "pdlp")
"""Algorithms both tools can be told to use."""


def pyomo_algorithm(algorithm: str, n_members: int, n_steps: int) -> str:
    """The HiGHS algorithm Pyomo runs for ``auto`` when gridshare's choice is not known yet."""
    if algorithm != "auto":
        return algorithm
    from gridshare.model.solve import IPM_THRESHOLD_VARIABLES

    # the full model has 8 variables per member and step (grid, pool, battery, curtailment)
    return "ipm" if 8 * n_members * n_steps > IPM_THRESHOLD_VARIABLES else "simplex"


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------


def spawn(tool: str, n: int, steps: int, variant: str, args: argparse.Namespace,
          solve_it: bool = True, algorithm: str | None = None) -> dict:
    """Run one worker in a fresh interpreter and return its figures (or the error it hit)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", tool, "--n", str(n),
           "--steps", str(steps), "--variant", variant, "--algorithm",
           algorithm or args.algorithm]
    if args.threads is not None:
        cmd += ["--threads", str(args.threads)]
    if args.time_limit is not None:
        cmd += ["--time-limit", str(args.time_limit)]
    if not solve_it:
        cmd += ["--no-solve"]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ,
                          "PYTHONWARNINGS": "ignore"})
    wall = time.perf_counter() - started
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            out = json.loads(line[len("RESULT "):])
            out.update(tool=tool, n=n, steps=steps, variant=variant, process_s=wall)
            return out
    # progress bars are not errors; a negative exit code is a signal (-9: killed, often for memory)
    lines = [ln for ln in (proc.stderr or proc.stdout).strip().splitlines()
             if "it/s]" not in ln and ln.strip()]
    why = lines[-1][:80] if lines else ""
    return {"tool": tool, "n": n, "steps": steps, "variant": variant, "process_s": wall,
            "status": f"died (exit {proc.returncode}) {why}".strip()}


def fmt(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    return f"{value:,.{digits}f}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or not b:
        return "-"
    return f"{a / b:.3g}x"


def markdown(rows: list[dict], args: argparse.Namespace) -> str:
    """The results as a Markdown table, one line per size, variant and tool, then the ratios."""
    head = ("| members x steps | pool | tool | formulation | algorithm | build s | solve s | "
            "end-to-end s | build CPU s | solve CPU s | peak RSS GiB | objective | status |")
    lines = [head, "|" + "---|" * 13]
    for r in rows:
        form = "aggregated" if r.get("aggregate") else "full"
        lines.append(
            f"| {r['n']} x {r['steps']:,} | {r['variant']} | {r['tool']} | {form} | "
            f"{r.get('algorithm', '-')} | {fmt(r.get('build_s'))} | {fmt(r.get('solve_s'))} | "
            f"{fmt(r.get('end_to_end_s'))} | {fmt(r.get('build_cpu_s'))} | "
            f"{fmt(r.get('solve_cpu_s'))} | {fmt(r.get('peak_rss_gib'))} | "
            f"{fmt(r.get('objective'), 4)} | {r.get('status', 'built only')} |")
    lines += ["", "| members x steps | pool | Pyomo / gridshare build | solve | end-to-end | "
              "build CPU | solve CPU | objective rel. diff |", "|---|---|---|---|---|---|---|---|"]
    for (n, steps, variant), pair in group_pairs(rows).items():
        g, p = pair.get("gridshare", {}), pair.get("pyomo", {})
        diff = "-"
        if g.get("objective") is not None and p.get("objective") is not None:
            diff = f"{abs(g['objective'] - p['objective']) / max(1.0, abs(p['objective'])):.1e}"
        lines.append(f"| {n} x {steps:,} | {variant} | {ratio(p.get('build_s'), g.get('build_s'))}"
                     f" | {ratio(p.get('solve_s'), g.get('solve_s'))} | "
                     f"{ratio(p.get('end_to_end_s'), g.get('end_to_end_s'))} | "
                     f"{ratio(p.get('build_cpu_s'), g.get('build_cpu_s'))} | "
                     f"{ratio(p.get('solve_cpu_s'), g.get('solve_cpu_s'))} | {diff} |")
    return "\n".join(lines)


def group_pairs(rows: list[dict]) -> dict:
    pairs: dict = {}
    for r in rows:
        pairs.setdefault((r["n"], r["steps"], r["variant"]), {})[r["tool"]] = r
    return pairs


def check_targets(rows: list[dict], variant: str) -> list[str]:
    """The benchmark's targets, each with the measured figure and pass/fail, for one variant.

    A time target passes only when the solve reached the optimum; a stopped solve fails it with
    the time it ran for.
    """
    pairs = group_pairs(rows)
    out = []

    def get(n, tool, key):
        return pairs.get((n, 8760, variant), {}).get(tool, {}).get(key)

    def solved(n, key):
        value = get(n, "gridshare", key)
        if value is None and get(n, "gridshare", "status") not in (None, "optimal"):
            value = get(n, "gridshare", "solve_s")  # stopped: what it ran for
        return value, get(n, "gridshare", "status")

    pyomo_50, gridshare_50 = get(50, "pyomo", "build_s"), get(50, "gridshare", "build_s")
    checks = [
        ("build >= 3x faster than Pyomo at 50 x 8,760",
         (pyomo_50 / gridshare_50 if pyomo_50 and gridshare_50 else None, None), 3.0, ">="),
        ("50 x 8,760 end-to-end < 120 s", solved(50, "end_to_end_s"), 120.0, "<"),
        ("200 x 8,760 build < 10 s", (get(200, "gridshare", "build_s"), None), 10.0, "<"),
        ("200 x 8,760 solve < 600 s", solved(200, "solve_s"), 600.0, "<"),
        ("200 x 8,760 peak memory < 6 GiB", (get(200, "gridshare", "peak_rss_gib"), None), 6.0,
         "<"),
    ]
    for label, (value, status), limit, op in checks:
        if value is None:
            out.append(f"- {label}: not measured")
            continue
        ok = value >= limit if op == ">=" else value < limit
        note = ""
        if status not in (None, "optimal"):
            ok, note = False, f" ({status}, not solved)"
        out.append(f"- {label}: {value:,.2f}{note} -> {'PASS' if ok else 'FAIL'}")
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10,50,200",
                   help="comma-separated member counts (default 10,50,200)")
    p.add_argument("--steps", type=int, default=8760, help="hourly steps (default 8,760)")
    p.add_argument("--variants", default="free,fee",
                   help="pool variants: free (aggregation applies) and/or fee (default both)")
    p.add_argument("--algorithm", default="auto",
                   choices=["auto", "simplex", "ipm", "ipm_no_crossover", "pdlp"],
                   help="LP algorithm for both tools (default auto = gridshare's choice)")
    p.add_argument("--threads", type=int, default=1, help="HiGHS threads (default 1)")
    p.add_argument("--time-limit", type=float, default=1800.0,
                   help="time limit per solve, s (default 1,800)")
    p.add_argument("--no-pyomo", action="store_true", help="skip the Pyomo reference")
    p.add_argument("--pyomo-max", type=int, default=50,
                   help="above this many members, time the Pyomo build but skip its solve")
    p.add_argument("--quick", action="store_true", help="smoke run: 5 members x 168 steps")
    p.add_argument("--json", type=Path, default=None, help="also write the raw figures here")
    p.add_argument("--report", type=Path, nargs="+", default=None, metavar="JSON",
                   help="print the tables from figures saved with --json instead of running")
    # internal: one measurement in a fresh process
    p.add_argument("--worker", choices=["gridshare", "pyomo"], help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, help=argparse.SUPPRESS)
    p.add_argument("--variant", default="fee", help=argparse.SUPPRESS)
    p.add_argument("--no-solve", dest="solve", action="store_false", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.sizes, args.steps = "5", 168
    try:
        args.size_list = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    except ValueError:
        p.error(f"--sizes {args.sizes!r} must be comma-separated whole numbers, e.g. 10,50,200")
    if not args.size_list or min(args.size_list) < 1:
        p.error(f"--sizes {args.sizes!r} must list member counts >= 1")
    args.variant_list = [v.strip() for v in str(args.variants).split(",") if v.strip()]
    bad = [v for v in args.variant_list if v not in ("free", "fee")]
    if bad or not args.variant_list:
        p.error(f"--variants {args.variants!r}: allowed are free and fee")
    if args.steps < 1:
        p.error(f"--steps {args.steps} must be >= 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker_main(args)
        return
    if args.report:
        rows = [row for path in args.report for row in json.loads(path.read_text())]
        print(markdown(rows, args))
        for variant in sorted({r["variant"] for r in rows}):
            print(f"\nTargets, {variant} pool (wall-clock figures):")
            print("\n".join(check_targets(rows, variant)))
        return
    rows = []
    for n in args.size_list:
        for variant in args.variant_list:
            chosen = None  # Pyomo runs the algorithm gridshare's "auto" picked for this model
            for tool in ("gridshare", "pyomo"):
                if tool == "pyomo" and args.no_pyomo:
                    continue
                solve_it = tool == "gridshare" or n <= args.pyomo_max
                row = spawn(tool, n, args.steps, variant, args, solve_it=solve_it,
                            algorithm=chosen if tool == "pyomo" else None)
                if tool == "gridshare" and row.get("algorithm") in HIGHS_ALGORITHMS:
                    chosen = row["algorithm"]
                rows.append(row)
                print(f"# {tool:9s} {variant:4s} {n} x {args.steps}: "
                      f"build {fmt(row.get('build_s'))} s, solve {fmt(row.get('solve_s'))} s, "
                      f"peak {fmt(row.get('peak_rss_gib'))} GiB, {row.get('status', 'built')}",
                      file=sys.stderr, flush=True)
    print(f"Collective pool LP, {args.steps:,} hourly steps; HiGHS threads={args.threads}, "
          f"algorithm={args.algorithm}; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print(markdown(rows, args))
    if args.steps == 8760:
        for variant in args.variant_list:
            print(f"\nTargets, {variant} pool (wall-clock figures):")
            print("\n".join(check_targets(rows, variant)))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
