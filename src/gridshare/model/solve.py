"""Solve a community model with HiGHS and turn the outcome into a :class:`Result` or an error."""

from __future__ import annotations

import contextlib
import io
import time as _time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gridshare.model.blocks.battery import physical_batteries
from gridshare.model.blocks.generator import active_generators
from gridshare.model.build import CommunityModel, build_model
from gridshare.model.result import COST_COLUMNS, Result, bus_terms, member_terms

ALGORITHMS = ("auto", "simplex", "ipm", "ipm_no_crossover", "pdlp")

IPM_THRESHOLD_VARIABLES = 4_000_000
"""LPs with more variables than this go to interior point (no crossover) under ``"auto"``.

Measured on this 2-core machine (1 HiGHS thread, other work running), hourly year, pool LP
with one battery per member (``benchmarks/community_lp.py``): 10 members, full model (0.70 M
variables): simplex 35 s, IPM 38 s, IPM without crossover 33 s; 10 members aggregated (0.40 M):
9.7 / 13.1 / 11.4 s; 50 members aggregated (1.1 M): simplex 72 s, IPM without crossover 123 s;
50 members full (3.5 M): simplex 391 s, both IPM variants unfinished after 420 s; 200 members
aggregated (4.4 M): neither simplex (700 s) nor IPM without crossover (820 s) finished. Simplex
is therefore kept up to the largest size where it was measured to win; above it interior point
without crossover is used, the only method reported (earlier, ~9 min) to finish 200 members.
Crossover made IPM 2-3x slower at 1 M variables."""

KWH_FAMILIES = ("battery_soc", "battery_soc_end", "shared_battery_soc", "shared_battery_soc_end",
                "reserve_energy_up", "reserve_energy_down", "individual_rationality",
                "settlement_balance")
"""Families whose rows are in kWh or currency already; the others are kW per step."""


MILP_LIMITS = {"time_limit": "time_limit", "terminated_by_limit": "solution_limit",
               "iteration_limit": "iteration_limit"}
"""Termination conditions after which a MILP keeps its incumbent, and the status it reports."""


class InfeasibleError(ValueError):
    """The model has no feasible solution; the message names the conflicting families."""

    def __init__(self, message: str, families: dict[str, float] | None = None):
        super().__init__(message)
        self.families = families or {}


class SolverError(RuntimeError):
    """The solver stopped without a usable solution (unbounded, time limit, numerical trouble)."""


@dataclass
class SolveOptions:
    """How HiGHS is run.

    Parameters
    ----------
    time_limit_s : float or None
        Wall-clock limit, s. A MILP stopped with an incumbent keeps it (status "time_limit").
    mip_gap : float
        Relative MIP gap at which branch and bound stops.
    threads : int or None
        HiGHS threads (default: HiGHS decides).
    algorithm : {"auto", "simplex", "ipm", "ipm_no_crossover", "pdlp"}
        LP algorithm; "auto" lets HiGHS choose for MILPs, uses dual simplex for LPs up to
        :data:`IPM_THRESHOLD_VARIABLES` variables and interior point without crossover above.
    highs_options : dict
        Extra HiGHS options passed through unchanged.
    log : bool
        Show the HiGHS log.
    duals : bool
        Collect shadow prices (for a MILP this re-solves the LP with integers fixed); switch
        off in sweeps that need only flows and costs. Without duals, pool trades in collective
        modes are settled at zero internal price (only fees are billed).
    """

    time_limit_s: float | None = None
    mip_gap: float = 1e-4
    threads: int | None = None
    algorithm: str = "auto"
    highs_options: dict[str, Any] = field(default_factory=dict)
    log: bool = False
    duals: bool = True

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}; got {self.algorithm!r}")
        if self.time_limit_s is not None and not self.time_limit_s > 0:
            raise ValueError(f"time_limit_s must be > 0 s or None; got {self.time_limit_s}")
        if not 0 <= self.mip_gap < 1:
            raise ValueError(f"mip_gap must be in [0, 1); got {self.mip_gap}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be >= 1 or None; got {self.threads}")


def choose_algorithm(n_variables: int, is_milp: bool, requested: str = "auto") -> str:
    """The LP algorithm to use.

    Examples
    --------
    >>> choose_algorithm(1_000, False), choose_algorithm(5_000_000, False)
    ('simplex', 'ipm_no_crossover')
    """
    if requested != "auto":
        return requested
    if is_milp:
        return "choose"
    return "ipm_no_crossover" if n_variables > IPM_THRESHOLD_VARIABLES else "simplex"


def _highs_options(options: SolveOptions, algorithm: str) -> dict[str, Any]:
    opts: dict[str, Any] = {"output_flag": bool(options.log), "mip_rel_gap": options.mip_gap}
    if algorithm == "ipm_no_crossover":
        opts.update(solver="ipm", run_crossover="off")
    elif algorithm == "ipm":
        opts.update(solver="ipm", run_crossover="on")
    elif algorithm != "choose":
        opts["solver"] = algorithm
    if options.time_limit_s is not None:
        opts["time_limit"] = float(options.time_limit_s)
    if options.threads is not None:
        opts["threads"] = int(options.threads)
    opts.update(options.highs_options)
    return opts


@contextlib.contextmanager
def _quiet_stdout():
    """Silence file descriptor 1 as well as ``sys.stdout``.

    HiGHS prints its banner from C when a solver object is created, whatever ``output_flag``
    says; only a descriptor-level redirect keeps a user's terminal (and CSV piped to stdout)
    clean. C's buffered output is flushed before the descriptor is given back.
    """
    import ctypes
    import os
    import sys

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # captured stdout (pytest, notebooks)
        with contextlib.redirect_stdout(io.StringIO()):
            yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(io.StringIO()):
            os.dup2(devnull.fileno(), fd)
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    ctypes.CDLL(None).fflush(None)
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _run(model, opts: dict[str, Any], log: bool) -> tuple[str, str]:
    sink = contextlib.nullcontext() if log else _quiet_stdout()
    try:
        with sink:
            # direct: the model goes to HiGHS in memory, not through an LP file (measured at
            # 200 x 8,760: 13.8 s and 4.7 GiB instead of 38.3 s and 6.7 GiB)
            return model.solve(solver_name="highs", io_api="direct", **opts)
    except Exception as exc:  # linopy or HiGHS failed before returning a status
        raise SolverError(f"HiGHS failed: {exc}") from exc


def solve(cm: CommunityModel, options: SolveOptions | None = None) -> Result:
    """Solve a built model.

    Parameters
    ----------
    cm : CommunityModel
        From :func:`build_model`.
    options : SolveOptions, optional

    Returns
    -------
    Result

    Raises
    ------
    InfeasibleError
        No feasible solution; the message names the constraint families that need slack.
    SolverError
        Unbounded, LP time limit, or numerical trouble.

    Examples
    --------
    >>> from gridshare.model import ModelInputs, build_model
    >>> r = solve(build_model(ModelInputs.from_arrays([[2.0]], import_price=0.25), "individual"))
    >>> round(r.objective, 6)
    0.5
    """
    options = options or SolveOptions()
    m = cm.model
    algorithm = choose_algorithm(m.nvars, cm.is_milp, options.algorithm)
    started = _time.perf_counter()
    _status, condition = _run(m, _highs_options(options, algorithm), options.log)
    solve_time = _time.perf_counter() - started
    highs = m.solver_model
    status = "optimal"
    if condition != "optimal":
        has_incumbent = _has_primal(highs)
        if condition in MILP_LIMITS and cm.is_milp and has_incumbent:
            status = MILP_LIMITS[condition]
        elif condition in ("infeasible", "infeasible_or_unbounded"):
            raise _diagnose(cm, options, condition)
        elif condition == "unbounded":
            raise SolverError("unbounded: the cost can fall without limit; check for export "
                              "prices above import prices with no grid limit, or negative costs")
        elif condition == "time_limit":
            raise SolverError(f"time limit of {options.time_limit_s} s reached without a "
                              "usable solution; raise time_limit_s or use algorithm='ipm'")
        else:
            raise SolverError(f"HiGHS stopped with status {condition!r}")
    mip_gap = float("nan")
    if cm.is_milp:
        info = highs.getInfo()
        mip_gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else float("inf")
        if status == "optimal":
            mip_gap = max(mip_gap, 0.0)
    if options.duals:
        duals, dual_note = _duals(cm, options)
    else:
        duals, dual_note = xr.Dataset(), "duals not requested"
    return assemble_result(cm, status, mip_gap, solve_time, duals,
                           {"algorithm": algorithm, "dual_note": dual_note})


def _has_primal(highs) -> bool:
    try:
        return int(highs.getInfo().primal_solution_status) == 2
    except Exception:  # no solver object or no info
        return False


# --- duals ----------------------------------------------------------------------------------

def _family_duals(cm: CommunityModel, model) -> xr.Dataset:
    dt = cm.inputs.step_hours
    out = {}
    for name in cm.context.families:
        if name not in model.constraints:
            continue
        dual = model.constraints[name].dual
        out[name] = (dual if name in KWH_FAMILIES else dual / dt).rename(name)
    # Families over a subset of members or assets: NaN where a family has no row.
    return xr.merge(list(out.values()), join="outer", compat="no_conflicts") if out else (
        xr.Dataset())


def _duals(cm: CommunityModel, options: SolveOptions) -> tuple[xr.Dataset, str]:
    m = cm.model
    if not cm.is_milp:
        return _family_duals(cm, m), "LP duals"
    # Duals of a MILP: the LP with every integer fixed at its optimal value. The same model is
    # re-solved with its binaries made continuous and fixed, then restored as it was, the MILP
    # solution included.
    primal = {n: m.variables[n].solution.copy() for n in m.variables}
    objective = m.objective.value
    saved = {}
    for name in list(m.variables):
        var = m.variables[name]
        if var.attrs.get("binary", False):
            saved[name] = (var.lower.copy(), var.upper.copy())
            value = np.round(primal[name])
            var.attrs["binary"] = False
            var.update(lower=value, upper=value)
    lp_options = SolveOptions(time_limit_s=options.time_limit_s, threads=options.threads,
                              algorithm="simplex", log=options.log)
    try:
        _s, condition = _run(m, _highs_options(lp_options, "simplex"), options.log)
        duals = _family_duals(cm, m) if condition == "optimal" else xr.Dataset()
    finally:
        for name, (lower, upper) in saved.items():
            var = m.variables[name]
            var.attrs["binary"] = True
            var.update(lower=lower, upper=upper)
        for name, value in primal.items():
            m.variables[name].solution = value
        m.objective._value = objective
    if condition != "optimal":
        return duals, f"fixed-integer LP ended {condition!r}; no duals"
    return duals, "duals of the LP with integers fixed"


# --- infeasibility --------------------------------------------------------------------------

def _diagnose(cm: CommunityModel, options: SolveOptions, condition: str) -> Exception:
    elastic = build_model(cm.inputs, cm.mode, schedule=cm.schedule, relax_integers=True,
                          blocks=cm.blocks, aggregate=cm.aggregate, elastic=True,
                          individual_costs=cm.individual_costs)
    opts = _highs_options(SolveOptions(time_limit_s=options.time_limit_s,
                                       threads=options.threads), "simplex")
    _s, cond = _run(elastic.model, opts, options.log)
    if cond == "unbounded" or (cond == "infeasible_or_unbounded" and condition != "infeasible"):
        return SolverError("unbounded: the cost can fall without limit; check for export prices "
                           "above import prices with no grid limit, or negative costs")
    if cond != "optimal":
        return InfeasibleError(f"infeasible (variable bounds conflict; elastic check {cond!r})")
    ctx = elastic.context
    found: dict[str, float] = {}
    details = []
    for family, slack_names in ctx.slacks.items():
        total = sum(float(elastic.model.variables[n].solution.sum()) for n in slack_names)
        if total > 1e-6:
            found[family] = total
            details.append(_describe(elastic, family, slack_names, total))
    if not found:
        return InfeasibleError("infeasible only with integer requirements (binaries, minimum "
                               "up/down times); the relaxed model is feasible")
    return InfeasibleError("infeasible: " + "; ".join(details), found)


def _describe(elastic: CommunityModel, family: str, slack_names: list[str], total: float) -> str:
    fam = elastic.context.families[family]
    where = ""
    if fam.asset_dim:
        per_asset = None
        for n in slack_names:
            sol = elastic.model.variables[n].solution
            if fam.asset_dim in sol.dims:
                s = sol.sum([d for d in sol.dims if d != fam.asset_dim])
                per_asset = s if per_asset is None else per_asset + s
        if per_asset is not None:
            worst = [str(a) for a, v in zip(per_asset[fam.asset_dim].values, per_asset.values,
                                            strict=True) if v > 1e-6]
            where = ", ".join(worst)
    unit = "kWh" if family in KWH_FAMILIES else "kW"
    if family.startswith("reactive") or "power_factor" in family:
        unit = "kvar"
    text = fam.meaning
    if family == "battery_soc_end" or family == "shared_battery_soc_end":
        text = "cannot reach its final SOC"
    elif family in ("battery_soc", "shared_battery_soc"):
        text = "cannot follow its SOC dynamics within its bounds"
    subject = f"{fam.asset_dim.replace('_', ' ')} {where}" if where else fam.block
    return f"{family} ({subject}: {text}) needs slack {total:.4g} {unit}"


# --- result ---------------------------------------------------------------------------------

def _split_battery_classes(cm: CommunityModel, sol: xr.Dataset, duals: xr.Dataset,
                           classes: dict[str, tuple[str, float]]) -> tuple[xr.Dataset, xr.Dataset]:
    """Give every merged battery its share of its class's flows and SOC (see ``battery_classes``).

    Flows and SOC scale with the battery's share of the class energy; shadow prices (per kWh)
    are the class's own.
    """
    names = list(physical_batteries(cm.inputs, cm.mode).index.astype(str))
    source = [classes.get(n, (n, 1.0))[0] for n in names]
    share = xr.DataArray([classes.get(n, (n, 1.0))[1] for n in names], dims="battery",
                         coords={"battery": names})

    def expand(ds: xr.Dataset, scale: bool) -> xr.Dataset:
        out = {}
        for var, da in ds.data_vars.items():
            if "battery" not in da.dims:
                continue
            picked = da.sel(battery=source).assign_coords(battery=names)
            out[var] = picked * share if scale else picked
        keep = ds.drop_dims("battery") if "battery" in ds.dims else ds
        return xr.merge([keep, xr.Dataset(out)], join="outer", compat="no_conflicts")

    return expand(sol, scale=True), expand(duals, scale=False)


def _rebook_class_wear(inputs: Any, mode: str, sol: xr.Dataset,
                       classes: dict[str, tuple[str, float]], costs: pd.DataFrame) -> None:
    """Move merged batteries' wear from the class's first owner to each battery's own owner."""
    b = physical_batteries(inputs, mode)
    names = [n for n in classes if n in set(sol["battery"].values)]
    through = (sol["battery_charge"] + sol["battery_discharge"]).sel(battery=names).sum("time")
    wear = (through.values * b.loc[names, "degradation_cost_per_kwh"].to_numpy(dtype=float)
            * float(inputs.step_hours))
    owners = b.loc[names, "owner"].to_numpy()
    first_owner: dict[str, str] = {}
    for name, owner in zip(names, owners, strict=True):
        first_owner.setdefault(classes[name][0], owner)  # the merged row took the first owner
    booked = pd.Series(wear, index=[first_owner[classes[n][0]] for n in names]).groupby(level=0).sum()
    actual = pd.Series(wear, index=owners).groupby(level=0).sum()
    shift = actual.sub(booked, fill_value=0.0)
    costs.loc[shift.index, "degradation"] += shift.to_numpy()


def _share_savings_equally(cm: CommunityModel, sol: xr.Dataset, costs: pd.DataFrame) -> None:
    """Re-split the settlement payments of ``collective_fair`` so every member saves the same.

    The LP leaves the settlement at a vertex, which typically hands the whole saving of the
    community to one member. Any split with the same sum and no member above its cost alone is
    equally optimal, so the saving ``S = sum(alone) - sum(costs)`` is shared in equal parts:
    each member pays ``alone_i - S / n``. Payments still sum to the same total, so the budget
    balances and the dispatch is untouched.
    """
    members = pd.Index(cm.inputs.members, name="member")
    alone = cm.individual_costs.reindex(members).to_numpy(dtype=float)
    settle = sol["settlement"].reindex(member=members).to_numpy()
    parts = [c for c in COST_COLUMNS[:-1]]
    before = costs.loc[members, parts].sum(axis=1).to_numpy() - settle
    saving = float(alone.sum() - (before + settle).sum())
    fair = alone - max(saving, 0.0) / len(members) - before
    costs.loc[members, "exchange"] += fair - settle
    sol["settlement"] = xr.DataArray(fair, dims="member", coords={"member": members})


def assemble_result(cm: CommunityModel, status: str, mip_gap: float, solve_time: float,
                    duals: xr.Dataset, attrs: dict[str, Any]) -> Result:
    inputs, m = cm.inputs, cm.model
    # Variables on a subset of members or assets are aligned on the full labels (NaN where a
    # variable does not exist, e.g. ``gen_on`` of a non-committable unit).
    parts = [m.variables[n].solution.rename(n) for n in m.variables if not n.startswith("slack_")]
    sol = xr.merge(parts, join="outer", compat="no_conflicts") if parts else xr.Dataset()
    sol = sol.map(lambda da: da + 0.0)  # HiGHS reports some zeros as -0.0
    classes = cm.context.extra.get("battery_classes")
    if classes:
        sol, duals = _split_battery_classes(cm, sol, duals, classes)
    if "flex_shift" in sol:
        sol["flex_shift"] = sol["flex_shift"].fillna(0.0)
        sol["flex_cumulative"] = sol["flex_cumulative"].fillna(0.0)
    for name in ("load_kw", "pv_kw", "wind_kw", "import_price", "export_price"):
        sol[name] = getattr(inputs, name)
    b = physical_batteries(inputs, cm.mode)
    if "battery" in sol.dims:
        sol = sol.assign_coords(battery_owner=("battery", b.loc[list(sol["battery"].values),
                                                               "owner"].to_numpy().astype(object)))
    if "generator" in sol.dims:
        g = active_generators(inputs, cm.mode)
        sol = sol.assign_coords(generator_owner=("generator", g.loc[
            list(sol["generator"].values), "owner"].to_numpy().astype(object)))
    _add_parameters(cm, sol)
    sol.attrs = {"pool_loss": float(inputs.pool_loss),
                 "bilateral_loss": float(inputs.bilateral_loss),
                 "step_hours": float(inputs.step_hours)}
    dt = inputs.step_hours
    members = pd.Index(inputs.members, name="member")
    costs = pd.DataFrame(0.0, index=members, columns=list(COST_COLUMNS))
    for component, expr in cm.member_costs.items():
        costs[component] += expr.solution.reindex(member=members).to_numpy()
    if classes:
        _rebook_class_wear(inputs, cm.mode, sol, classes, costs)
    community = pd.Series(0.0, index=list(COST_COLUMNS))
    for component, expr in cm.community_costs.items():
        community[component] += float(expr.solution) if hasattr(expr, "solution") else float(expr)
    if cm.aggregate:
        sol = _allocate(cm, sol)
        ip, ep = inputs.import_price, inputs.export_price
        costs["import"] = (sol["grid_import"] * ip * dt).sum("time").to_numpy()
        costs["export_revenue"] = -(sol["grid_export"] * ep * dt).sum("time").to_numpy()
        price = duals.get("community_balance")
        if price is not None:
            # With a free pool every member's marginal price is the community's.
            per_member = price.expand_dims(member=members).transpose("member", "time")
            duals = xr.merge([duals, price.rename("pool_balance"),
                              per_member.rename("power_balance")], join="outer",
                             compat="no_conflicts")
    if cm.mode in ("collective", "post_delivery"):
        community["exchange"] += _settle(cm, sol, duals, costs)
    if cm.mode == "collective_fair" and "settlement" in sol:
        _share_savings_equally(cm, sol, costs)
    costs["total"] = costs[list(COST_COLUMNS[:-1])].sum(axis=1)
    community["total"] = community[list(COST_COLUMNS[:-1])].sum()
    bus_s, bus_d = bus_terms(sol)
    if cm.community_costs or float(np.abs(bus_s).sum() + np.abs(bus_d).sum()) > 0 or (
            _has_community_assets(cm)):
        costs.loc["community"] = community
    objective = float(m.objective.value)
    attrs = dict(attrs, aggregate=bool(cm.aggregate))
    return Result(solution=sol, costs=costs, objective=objective, status=status,
                  mip_gap=mip_gap, solve_time_s=solve_time, build_time_s=cm.build_time_s,
                  duals=duals, mode=cm.mode, attrs=attrs)


def _add_parameters(cm: CommunityModel, sol: xr.Dataset) -> None:
    """Ratings the explanations compare flows with (kW, kWh), next to the flows themselves."""
    inputs = cm.inputs
    members = pd.Index(inputs.members, name="member")
    for col in ("import_limit_kw", "export_limit_kw"):
        sol[f"grid_{col}"] = xr.DataArray(inputs.grid[col].to_numpy(dtype=float), dims="member",
                                          coords={"member": members})
    if "battery" in sol.dims:
        b = physical_batteries(inputs, cm.mode).loc[list(sol["battery"].values)]
        e = b["energy_kwh"].to_numpy(dtype=float)
        for name, values in (("battery_charge_kw", b["charge_kw"]),
                             ("battery_discharge_kw", b["discharge_kw"]),
                             ("battery_soc_min_kwh", b["soc_min"] * e),
                             ("battery_soc_max_kwh", b["soc_max"] * e)):
            sol[name] = xr.DataArray(np.asarray(values, dtype=float), dims="battery",
                                     coords={"battery": sol["battery"].values})
    if "generator" in sol.dims:
        g = active_generators(inputs, cm.mode).loc[list(sol["generator"].values)]
        for col in ("capacity_kw", "min_stable_kw", "fuel_cost_per_kwh", "vom_cost_per_kwh"):
            sol[f"gen_{col}"] = xr.DataArray(g[col].to_numpy(dtype=float), dims="generator",
                                             coords={"generator": sol["generator"].values})


def _has_community_assets(cm: CommunityModel) -> bool:
    if cm.mode == "individual":
        return False
    from gridshare.model.inputs import COMMUNITY

    return bool((physical_batteries(cm.inputs, cm.mode)["owner"] == COMMUNITY).any()
                or (active_generators(cm.inputs, cm.mode)["owner"] == COMMUNITY).any())


def _allocate(cm: CommunityModel, sol: xr.Dataset) -> xr.Dataset:
    """Members' grid and pool flows of a free-pool optimum, by one deterministic rule, kW.

    The free pool makes the members' flows degenerate: in a step only the energy imported at
    each import price and exported at each export price carries cost (which contracts it goes
    through), so the rule below gives the same flows from the aggregated and the full model.

    1. Each member's own position after its own assets: ``net = demand - supply`` (positive:
       a deficit ``d``; negative: a surplus ``s``).
    2. In every step, the energy imported at one import price is shared among the members
       with that price in proportion to their deficits, the energy exported at one export
       price among the members with that price in proportion to their surpluses. In a
       single-tariff community this is the proportional pool split: every deficit member gets
       the same fraction ``min(1, pool supply / deficit)`` of its deficit from the pool and
       imports the rest, every surplus member sells the same fraction of its surplus. Members
       that import (export) for the community while none of them has a deficit (surplus) share
       that energy by load (generation), equally if none.
    3. The rest of each member's position is bought from or sold to the pool, so every member
       balance and the pool balance close.
    """
    members = pd.Index(cm.inputs.members, name="member")
    inputs = cm.inputs
    n_members, n_steps = len(members), len(sol["time"])

    def member_array(da: xr.DataArray) -> np.ndarray:
        return da.reindex(member=members).transpose("member", "time").values

    supply, demand = member_terms(sol, include_grid_pool=False)
    net = member_array(demand - supply)
    deficit, surplus = np.maximum(net, 0.0), np.maximum(-net, 0.0)
    if cm.aggregate:
        # A tariff group's flow sits on its first member; the classes below spread it.
        groups = np.asarray(cm.context.extra["tariff_group_of_member"])
        first = np.array([np.flatnonzero(groups == k)[0] for k in range(groups.max() + 1)])
        imp = np.zeros((n_members, n_steps))
        exp = np.zeros((n_members, n_steps))
        imp[first] = sol["community_import"].transpose("tariff_group", "time").values
        exp[first] = sol["community_export"].transpose("tariff_group", "time").values
    else:
        imp, exp = member_array(sol["grid_import"]), member_array(sol["grid_export"])
    steps = np.broadcast_to(np.arange(n_steps), (n_members, n_steps))

    def price_classes(price: np.ndarray) -> np.ndarray:
        # Per step, members with the same price share a class id (flat index class * T + t).
        order = np.argsort(price, axis=0, kind="stable")
        ranked = np.take_along_axis(price, order, axis=0)
        new = np.ones(ranked.shape, dtype=bool)
        new[1:] = ranked[1:] != ranked[:-1]
        cls = np.empty(order.shape, dtype=np.intp)
        np.put_along_axis(cls, order, np.cumsum(new, axis=0) - 1, axis=0)
        return cls * n_steps + steps

    def class_total(values: np.ndarray, cls: np.ndarray) -> np.ndarray:
        total = np.bincount(cls.ravel(), weights=values.ravel(), minlength=n_members * n_steps)
        return total[cls]

    def share(flow: np.ndarray, price: np.ndarray, weights: np.ndarray,
              fallback: np.ndarray) -> np.ndarray:
        cls = price_classes(price)
        frac = np.zeros(flow.shape)
        todo = np.ones(flow.shape, dtype=bool)
        for w in (weights, fallback, np.ones(flow.shape)):
            per_class = class_total(w, cls)
            use = todo & (per_class > 0)
            frac[use] = w[use] / per_class[use]
            todo &= ~use
        return frac * class_total(flow, cls)

    load = member_array(inputs.load_kw)
    generation = member_array(inputs.pv_kw + inputs.wind_kw)
    grid_import = share(imp, member_array(inputs.import_price), deficit, load)
    grid_export = share(exp, member_array(inputs.export_price), surplus, generation)
    pool_net = net - grid_import + grid_export
    # Round-off of the shares (and HiGHS's tolerances) must not turn into tiny pool trades.
    scale = 1e-9 * max(1.0, float(np.abs(net).max(initial=0.0)))
    pool_net = np.where(np.abs(pool_net) < scale, 0.0, pool_net)
    coords = {"member": members, "time": sol["time"].values}
    dims = ("member", "time")
    sol["grid_import"] = xr.DataArray(grid_import, dims=dims, coords=coords)
    sol["grid_export"] = xr.DataArray(grid_export, dims=dims, coords=coords)
    sol["pool_buy"] = xr.DataArray(np.maximum(pool_net, 0.0), dims=dims, coords=coords)
    sol["pool_sell"] = xr.DataArray(np.maximum(-pool_net, 0.0), dims=dims, coords=coords)
    return sol


def _settle(cm: CommunityModel, sol: xr.Dataset, duals: xr.Dataset, costs: pd.DataFrame) -> float:
    """Settle internal exchange at the shadow prices; returns the community's share, currency.

    Pool trades clear at the pool price (the dual of ``pool_balance``): a buyer pays it on what
    it buys, a seller gets it on what reaches the pool after loss. A bilateral trade clears at
    the buyer's marginal price (the dual of its ``power_balance``). Both balance the budget.

    A full model of a free pool first gets its members' grid and pool flows re-allocated by
    :func:`_allocate`, so its bills do not depend on which optimal vertex HiGHS returned and
    equal those of the aggregated model.
    """

    def degenerate_free_pool() -> bool:
        """Whether a full (not aggregated) pool model has the free pool's degenerate member flows.

        True when the aggregation's conditions hold for the inputs and no constraint besides the
        member and pool balances involves a member's grid or pool flow (e.g. a contracted-power
        limit), so re-allocating them by :func:`_allocate` keeps the solution feasible and optimal.
        """
        from gridshare.model.build import aggregation_blockers

        if cm.aggregate or cm.inputs.exchange != "pool" or len(cm.inputs.members) < 2:
            return False
        if aggregation_blockers(cm.inputs, "collective"):
            return False
        m = cm.model
        flows = ("grid_import", "grid_export", "pool_buy", "pool_sell")
        if any(name not in m.variables for name in flows):
            return False
        labels = np.concatenate([m.variables[n].labels.values.ravel() for n in flows])
        labels = labels[labels >= 0]
        for name in m.constraints:
            if name in ("power_balance", "pool_balance"):
                continue
            if np.isin(m.constraints[name].vars.values, labels).any():
                return False
        return True

    dt = cm.inputs.step_hours
    if degenerate_free_pool():
        # The same flows as the aggregated model would report, with the member costs to match.
        _allocate(cm, sol)
        ip, ep = cm.inputs.import_price, cm.inputs.export_price
        members = list(costs.index)
        costs["import"] = (sol["grid_import"] * ip * dt).sum("time").reindex(
            member=members).to_numpy()
        costs["export_revenue"] = -(sol["grid_export"] * ep * dt).sum("time").reindex(
            member=members).to_numpy()
    if "pool_buy" in sol and "pool_balance" in duals:
        price = duals["pool_balance"]
        keep = 1.0 - cm.inputs.pool_loss
        paid = ((sol["pool_buy"] - keep * sol["pool_sell"]) * price * dt).sum("time")
        costs["exchange"] += paid.reindex(member=costs.index).to_numpy()
        bus_s, bus_d = bus_terms(sol)
        return float(((bus_d - bus_s) * price * dt).sum())
    if "trade" in sol and "power_balance" in duals:
        keep = 1.0 - cm.inputs.bilateral_loss
        price = duals["power_balance"].rename(member="buyer")
        value = keep * sol["trade"] * price * dt
        pays = value.sum(["seller", "time"]).rename(buyer="member")
        gets = value.sum(["buyer", "time"]).rename(seller="member")
        costs["exchange"] += (pays - gets).reindex(member=costs.index).to_numpy()
    return 0.0
