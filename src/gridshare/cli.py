"""The ``gridshare`` command line. Parses input, calls the API, shows the result — nothing more.

Every user error (a bad case file, an infeasible model, a wrong option) ends with a readable message
and exit code 2, never a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gridshare import __version__

app = typer.Typer(
    name="gridshare",
    help="Plan, optimise, price and simulate shared energy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Tables are wide; a pipe or a log file gets 160 columns rather than rich's 80.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

CasePath = Annotated[Path, typer.Argument(help="Case file (.yaml, .yml or .json).")]


def _version(value: bool) -> None:
    if value:
        console.print(f"gridshare {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Plan, optimise, price and simulate shared energy."""
    import logging

    from gridshare.perf import prefer_small_pages

    prefer_small_pages()
    # linopy logs solver statuses itself; the CLI turns them into one message of its own
    logging.getLogger("linopy").setLevel(logging.ERROR)


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors a user can cause into a message and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from gridshare.case import CaseError
        from gridshare.datafiles import FileProblem

        model_errors: tuple[type[BaseException], ...] = ()
        try:
            from gridshare.model import InfeasibleError, SolverError

            model_errors = (InfeasibleError, SolverError)
        except ImportError:  # pragma: no cover - the core is always installed with the package
            pass
        try:
            return func(*args, **kwargs)
        except CaseError as exc:
            err_console.print(f"[bold red]invalid case[/]: {exc}", highlight=False)
            raise typer.Exit(2) from None
        except (*model_errors, FileProblem, ValueError, OSError) as exc:
            err_console.print(f"[bold red]error[/]: {exc}", highlight=False)
            raise typer.Exit(2) from None

    return wrapper


def _load(path: Path):
    from gridshare.case import load_case

    return load_case(path)


@app.command()
@user_errors
def validate(case: CasePath) -> None:
    """Check a case file; print a summary, or every problem with its field path (exit 2)."""
    loaded = _load(case)
    index = loaded.time_index()
    console.print(f"[green]ok[/]: {case} — {loaded.name!r}, {len(loaded.members)} members, "
                  f"{len(index)} steps of {loaded.time.resolution} from {index[0]} "
                  f"({loaded.time.timezone}), tariffs: {', '.join(loaded.tariffs)}")


@app.command()
@user_errors
def profiles(
    case: CasePath,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output .parquet or .csv file.")] = Path(
        "out/profiles.parquet"),
) -> None:
    """Generate every member's load, PV and wind profiles and write them to a file."""
    from gridshare.profiles.members import energy_summary, member_profiles, write_profiles

    loaded = _load(case)
    data = member_profiles(loaded, progress=True)
    path = write_profiles(data, out)
    unit = "MWh" if float(data["load_kw"].sum()) * data.attrs["step_hours"] > 1e6 else "kWh"
    _print_frame(energy_summary(data, unit), title=f"Energy per member — {loaded.name} ({unit})",
                 float_format="{:,.1f}")
    console.print(f"wrote {path}")


@app.command()
@user_errors
def optimize(
    case: CasePath,
    mode: Annotated[str, typer.Option(help="individual, collective, collective_fair or "
                                           "post_delivery.")] = "collective",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Save the result (.nc or "
                                                                  ".parquet).")] = None,
    algorithm: Annotated[str, typer.Option(help="auto, simplex, ipm, ipm_no_crossover or "
                                                "pdlp.")] = "auto",
    time_limit: Annotated[float | None, typer.Option(help="Solver time limit, s.")] = None,
    mip_gap: Annotated[float | None, typer.Option(help="Relative MIP gap.")] = None,
    threads: Annotated[int | None, typer.Option(help="Solver threads.")] = None,
) -> None:
    """Optimise a case and print each member's costs, the total and the saving versus alone."""
    from gridshare.model.run import optimise_case

    loaded = _load(case)
    outcome = optimise_case(loaded, mode=mode, algorithm=algorithm, time_limit_s=time_limit,
                            mip_gap=mip_gap, threads=threads)
    _print_frame(outcome.table, title=f"{loaded.name} — {mode} ({loaded.currency})",
                 float_format="{:,.2f}")
    console.print(outcome.summary)
    if out is not None:
        console.print(f"wrote {outcome.result.save(out)}")


@app.command()
@user_errors
def explain(
    result: Annotated[Path, typer.Argument(help="A result saved by `gridshare optimize --out`.")],
    member: Annotated[str, typer.Option(help="Member name.")],
    step: Annotated[int, typer.Option(help="Time step (0-based).")],
) -> None:
    """Say which constraints bind for a member at a step, with their shadow prices, and why."""
    from gridshare.model import Result
    from gridshare.model import explain as explain_step

    loaded = Result.load(result)
    findings = explain_step(loaded, member, step)
    table = Table(title=f"{member}, step {step}", title_justify="left")
    for col, justify in (("family", "left"), ("binds", "left"), ("shadow price", "right"),
                         ("why", "left")):
        table.add_column(col, justify=justify)
    for f in findings:
        dual = "" if f.dual != f.dual else f"{f.dual:.4g}"  # NaN: no dual
        table.add_row(f.family, "yes" if f.binding else "no", dual, f.sentence)
    console.print(table)


@app.command()
@user_errors
def procure(
    case: CasePath,
    swap: Annotated[str | None, typer.Option(help="prorata or optimal (default: the case's).")] = None,
    rec_price: Annotated[float | None, typer.Option(help="REC price, currency/MWh.")] = None,
    battery: Annotated[bool, typer.Option("--battery/--no-battery",
                                          help="Dispatch the case's pool battery.")] = True,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the tables.")] = None,
) -> None:
    """Pooled clean-energy procurement: hourly CFE, REC swaps and financials per participant."""
    from gridshare.procurement import run_procurement

    if swap is not None and swap not in ("prorata", "optimal"):
        raise ValueError(f"--swap {swap!r}: use prorata or optimal")
    loaded = _load(case)
    result = run_procurement(loaded, swap=swap, rec_price=rec_price, battery=battery)
    _print_frame(result.participants, title=f"{loaded.name} — participants", float_format="{:,.2f}")
    pool = Table(title="pool", title_justify="left")
    pool.add_column("figure")
    pool.add_column("value", justify="right")
    for key, value in result.pool.items():
        pool.add_row(str(key), _number(value))
    console.print(pool)
    if out is not None:
        written = result.write(out)
        console.print(f"wrote {len(written)} files to {out}")


MECHANISM_NAMES = {"crossing": "crossing_value", "crossing_value": "crossing_value", "mmr": "mmr",
                   "sdr": "sdr", "sdrc": "sdrc", "dual": "dual"}


@app.command()
@user_errors
def price(
    case: CasePath,
    mechanism: Annotated[str | None, typer.Option(help="mmr, sdr, sdrc, crossing or dual "
                                                       "(default: the case's).")] = None,
    timeframe: Annotated[str | None, typer.Option(help="pre (forecast) or post (metered).")] = None,
    structure: Annotated[str | None, typer.Option(help="pool or bilateral (default: the case's "
                                                       "exchange).")] = None,
    pruned: Annotated[bool | None, typer.Option("--pruned/--full",
                                                help="Price only accepted offers.")] = None,
    loop: Annotated[bool | None, typer.Option("--loop/--no-loop",
                                              help="Iterate prices with members' responses.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for prices, accepted "
                                                                  "offers and bills.")] = None,
) -> None:
    """Local-energy-market prices, accepted offers and every member's bill alone and together."""
    from gridshare.market.run import rules_from_case, run_pricing

    loaded = _load(case)
    spec = loaded.market.pricing
    chosen = mechanism or spec.mechanism
    if chosen not in MECHANISM_NAMES:
        raise ValueError(f"--mechanism {chosen!r}: use one of mmr, sdr, sdrc, crossing, dual")
    default_structure = "bilateral" if loaded.market.exchange == "bilateral" else "pool"
    result = run_pricing(
        loaded, MECHANISM_NAMES[chosen], timeframe or spec.timeframe,
        structure or default_structure, spec.pruned if pruned is None else pruned,
        spec.loop if loop is None else loop, stage=spec.stage, divisor=spec.divisor,
        compensation=spec.compensation, increment=spec.increment_per_kwh, tol=spec.tol_per_kwh,
        max_iter=spec.max_iter, damping=spec.damping, averaging=spec.averaging,
        rules=rules_from_case(loaded))
    _print_frame(result.bills, title=f"{loaded.name} — bills ({loaded.currency})",
                 float_format="{:,.2f}")
    summary = Table(title="market", title_justify="left")
    summary.add_column("figure")
    summary.add_column("value", justify="right")
    for key, value in result.summary().items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items() if v is not None)
        summary.add_row(str(key), _number(value))
    console.print(summary)
    if out is not None:
        written = result.write(out)
        console.print(f"wrote {written}")


def _print_block(title: str, data: dict[str, Any], prefix: str = "") -> None:
    """Print a nested summary dict as one two-column table."""
    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")

    def rows(items: dict[str, Any], head: str) -> None:
        for key, value in items.items():
            name = f"{head}{key}"
            if isinstance(value, dict):
                rows(value, f"{name}.")
            elif isinstance(value, list | tuple):
                table.add_row(name, ", ".join(_number(v) for v in value))
            else:
                table.add_row(name, _number(value))

    rows(data, prefix)
    console.print(table)


@app.command()
@user_errors
def dispatch(
    case: Annotated[Path, typer.Argument(help="Microgrid case (.json in the data-centre format).")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the result as JSON.")] = None,
    mip_gap: Annotated[float, typer.Option(help="Relative MIP gap.")] = 1e-3,
    time_limit: Annotated[float, typer.Option(help="Solver time limit, s.")] = 60.0,
    price_scale: Annotated[float, typer.Option(help="Multiply every price (sensitivity).")] = 1.0,
) -> None:
    """Data-centre microgrid dispatch with ancillary services, N-1 and ride-through."""
    from gridshare.microgrid import run_dispatch

    result = run_dispatch(case, mip_gap=mip_gap, time_limit_s=time_limit, price_scale=price_scale)
    _print_block(f"dispatch — {case.name}", result.summary())
    if out is not None:
        console.print(f"wrote {result.to_json(out)}")


@app.command()
@user_errors
def powerflow(
    case: Annotated[Path, typer.Argument(help="Microgrid case (.json in the data-centre format).")],
    arch: Annotated[str, typer.Option(help="ac_racks or dc_800v.")] = "ac_racks",
    mode: Annotated[str, typer.Option(help="training, inference or mixed IT load.")] = "mixed",
    hours: Annotated[int, typer.Option(help="Hours of dispatch to check.")] = 24,
    pf_sweep: Annotated[str | None, typer.Option(help="Power factors, e.g. 0.94,0.97,0.995.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the tables.")] = None,
) -> None:
    """Power-flow feasibility of the interconnection over the dispatch, with a power-factor sweep."""
    from gridshare.microgrid import run_powerflow

    sweep = None
    if pf_sweep:
        try:
            sweep = [float(v) for v in pf_sweep.split(",") if v.strip()]
        except ValueError:
            raise ValueError(f"--pf-sweep {pf_sweep!r}: give numbers like 0.94,0.97,0.995") from None
    result = run_powerflow(case, arch=arch, mode=mode, hours=hours, pf_sweep=sweep)
    _print_block(f"power flow — {case.name}", result.summary())
    if out is not None:
        console.print(f"wrote {result.write(out)}")


SIMULATION_COLUMNS = ("wallet", "cost", "baseline_cost", "savings", "savings_pct", "grid_bought_kwh",
                      "grid_sold_kwh", "p2p_bought_kwh", "p2p_sold_kwh", "self_sufficiency")


@app.command()
@user_errors
def simulate(
    case: Annotated[Path | None, typer.Argument(help="Case file; default: a generated community.")] = None,
    strategy: Annotated[str, typer.Option(help="baseline, greedy or convex.")] = "greedy",
    battery: Annotated[str, typer.Option(help="individual, central, shared or none.")] = "individual",
    steps: Annotated[int | None, typer.Option(help="Steps to simulate (default 48, or the case's).")] = None,
    homes: Annotated[int | None, typer.Option(help="Homes in a generated community (default 5).")] = None,
    forecaster: Annotated[str, typer.Option(help="perfect, persistence, seasonal or learned.")] = "perfect",
    seed: Annotated[int, typer.Option(help="Seed of the generated community.")] = 0,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder: tables, replay, ledger.")] = None,
) -> None:
    """Peer-to-peer simulation: agents step through time, trade, and are compared with baseline."""
    from gridshare.community import run_simulation

    loaded = _load(case) if case is not None else None
    if loaded is not None and homes is not None:
        raise ValueError("--homes is for a generated community; a case brings its own members")
    result = run_simulation(loaded, homes=homes, steps=steps, strategy=strategy, battery=battery,
                            forecaster=forecaster, seed=seed)
    shown = [c for c in SIMULATION_COLUMNS if c in result.households.columns]
    _print_frame(result.households[shown], title=f"households — {strategy}, {battery} battery "
                 "(every column in households.csv with --out)", float_format="{:,.3f}")
    _print_frame(result.comparison, title="scenario versus baseline (identical inputs)",
                 float_format="{:,.3f}")
    if out is not None:
        console.print(f"wrote {result.write(out)}")


@app.command()
@user_errors
def demo(
    case: Annotated[Path | None, typer.Argument(help="Case file; default: the bundled example.")] = None,
) -> None:
    """Run the main job on the bundled example: validate, write profiles, optimise the community."""
    case = case or EXAMPLES / "community_households.yaml"
    console.rule(f"gridshare demo — {case.name}")
    validate(case)
    profiles(case, Path("out/profiles.parquet"))
    optimize(case, mode="collective_fair", out=Path("out/result.nc"), algorithm="auto",
             time_limit=None, mip_gap=None, threads=None)


@app.command()
@user_errors
def benchmark(
    out: Annotated[Path, typer.Option(help="Run directory (an existing one is resumed).")] = Path(
        "out/benchmark"),
    scenarios: Annotated[int, typer.Option(help="Tariff scenarios in the sweep.", min=1)] = 20,
    seed: Annotated[int, typer.Option(help="Seed of the scenario draws.")] = 0,
    data: Annotated[Path | None, typer.Option(
        help="Folder with load_profiles.csv, pv_profiles.csv, battery_specs.json, "
             "load_flexibility.json (default: a generated 10-building community).")] = None,
    sensitivity: Annotated[bool, typer.Option(help="One-at-a-time and grid sensitivity.")] = False,
    train_surrogate: Annotated[bool, typer.Option(help="Train XGBoost surrogates.")] = False,
    training_scenarios: Annotated[int, typer.Option(
        help="Scenarios evaluated for surrogate training (the sweep is topped up).", min=10)] = 200,
    rapid_eval: Annotated[int, typer.Option(help="New scenarios scored by the surrogate.", min=0)] = 0,
    verify_top: Annotated[int, typer.Option(help="Surrogate picks re-checked by optimisation.",
                                            min=0)] = 3,
    executor: Annotated[str, typer.Option(help="process, serial or dask (local cluster).")] = "process",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, tcp://host:8786.")]
    = None,
    workers: Annotated[int | None, typer.Option(help="Local worker processes.", min=1)] = None,
    rank_by: Annotated[str, typer.Option(help="score, cost or fairness.")] = "score",
) -> None:
    """Benchmark tariffs (ToU, CPP, RTP, EDR) with and without P2P on a prosumer community."""
    from gridshare.benchmark.run import run_benchmark
    from gridshare.report.build import build_report

    if executor not in ("process", "serial", "dask"):
        raise ValueError(f"--executor must be process, serial or dask; got {executor!r}")
    run = run_benchmark(out, scenarios, seed=seed, community_dir=data, executor=executor,
                        scheduler=scheduler, workers=workers, sensitivity=sensitivity,
                        train_surrogate=train_surrogate, training_scenarios=training_scenarios,
                        rapid_eval=rapid_eval, verify_top=verify_top, rank_by=rank_by)
    columns = ["rank", "tariff", "p2p", "community_cost", "cost_cv", "cost_gini", "self_sufficiency",
               "p2p_benefit", "score"]
    ranking = run.tables["rankings"]
    _print_frame(ranking[[c for c in columns if c in ranking]].head(10).set_index("rank"),
                 title=f"top scenarios by {rank_by} (of {len(ranking)})")
    if "tornado" in run.tables:
        _print_frame(run.tables["tornado"].set_index("parameter"), title="sensitivity of community cost")
    if "surrogate_metrics" in run.tables:
        _print_frame(run.tables["surrogate_metrics"].set_index("target"),
                     title="surrogate accuracy (held-out)")
    if "rapid_eval" in run.tables:
        _print_block("rapid evaluation", {k: v for k, v in run.summary.items() if k.startswith("rapid")})
    _print_block("summary", {k: v for k, v in run.summary.items() if not k.startswith("rapid")})
    for path in build_report(run.out, "xlsx") + build_report(run.out, "pdf"):
        console.print(f"wrote {path}")


@app.command()
@user_errors
def report(
    run_dir: Annotated[Path, typer.Argument(help="Run directory written by `gridshare benchmark`.")],
    format: Annotated[str, typer.Option("--format", "-f",
                                        help="pdf, xlsx, html, json, csv or parquet.")] = "pdf",
) -> None:
    """Write a report (PDF, XLSX, HTML) or table exports of a benchmark run."""
    from gridshare.report.build import build_report

    formats = ("pdf", "xlsx", "html", "json", "csv", "parquet")
    if format not in formats:
        raise ValueError(f"--format must be one of {', '.join(formats)}; got {format!r}")

    for path in build_report(run_dir, format):
        console.print(f"wrote {path}")


@app.command(name="app")
@user_errors
def web_app(
    port: Annotated[int, typer.Option(help="Port to serve on.", min=1, max=65535)] = 8501,
    host: Annotated[str, typer.Option(help="Address to bind (0.0.0.0 to serve other machines).")]
    = "localhost",
    open_browser: Annotated[bool, typer.Option("--open/--no-open",
                                               help="Open a browser tab on start.")] = False,
) -> None:
    """Start the web app (Streamlit) on http://HOST:PORT."""
    import subprocess

    from gridshare.app.server import streamlit_command

    console.print(f"gridshare app on http://{host}:{port}  (Ctrl+C stops it)")
    command = streamlit_command(port, host, headless=not open_browser)
    try:
        raise typer.Exit(subprocess.call(command))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


def _number(value: Any) -> str:
    """Readable numbers: thousands separators, two decimals, integers as integers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.4g}"


def _print_frame(frame: Any, title: str, float_format: str = "{:,.3f}") -> None:
    table = Table(title=title, title_justify="left")
    table.add_column(frame.index.name or "", style="bold")
    for col in frame.columns:
        table.add_column(str(col), justify="right")
    for label, row in frame.iterrows():
        table.add_row(str(label), *[float_format.format(v) if isinstance(v, float) else str(v)
                                    for v in row.tolist()])
    console.print(table)


def run() -> None:  # pragma: no cover - console entry for `python -m gridshare`
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
