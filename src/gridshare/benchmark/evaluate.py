"""Evaluate one tariff scenario on a community: the joint optimisation through the core, then bills.

Optimisation
------------
One LP through :mod:`gridshare.model`: load shifting within each building's flexibility,
battery dispatch and, with P2P, trades through the community pool. Without P2P every building
minimises its own grid bill (mode ``"individual"``); with P2P the community minimises the sum of
the grid bills (mode ``"collective"``, exchange ``"pool"``) with :data:`P2P_LOSS` of every kWh sold
to the pool lost on the way (the core's ``pool_loss``).

Bills, currency over the horizon (``dt`` = step length in h)
-----------------------------------------------------------
``cost_i = dt * sum_t [import_it * p_imp_t - export_it * p_exp_t + bought_it * p_com_t
- (1 - loss) * sold_it * p_com_t]``

A buyer pays the community price on what it receives; a seller is paid it on what arrives, so
the **seller bears the P2P loss**. Each step's internal payments then cancel exactly (the pool
delivers ``(1 - loss) * sum(sold) = sum(bought)``), and the community cost, the sum of the
building costs, equals the community's grid bill.

The **baseline** of a building is its passive bill under the same tariff: no battery use, no load
shifting, no P2P, ``dt * sum_t [max(l - pv, 0) * p_imp - max(pv - l, 0) * p_exp]`` in closed
form. ``saving = baseline - cost``.

``p2p_benefit`` = community cost of the same scenario without P2P minus with it: for a P2P
scenario the individual optimum is solved as well; for a scenario without P2P it is 0.

Fairness metrics are :func:`gridshare.metrics.coefficient_of_variation` (population standard
deviation over ``|mean|``) and :func:`gridshare.metrics.gini` (mean absolute difference over
twice ``|mean|``) of the building costs and of the building savings.
"""

from __future__ import annotations

import os
import traceback as _traceback
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gridshare.benchmark.community import BenchmarkCommunity
from gridshare.benchmark.scenarios import Scenario, price_matrix
from gridshare.metrics import coefficient_of_variation, gini, self_sufficiency
from gridshare.model import ModelInputs, SolveOptions, build_model, solve

P2P_LOSS = 0.05
"""Share of energy sold to the community pool that is lost (P2P efficiency 95 %)."""

SWEEP_OPTIONS = SolveOptions(duals=False, threads=1)
"""Solver options of sweeps: one HiGHS thread per scenario, no shadow prices."""

SUMMARY_COLUMNS = ("community_cost", "baseline_cost", "community_saving", "cost_cv", "cost_gini",
                   "savings_cv", "savings_gini", "self_sufficiency", "p2p_benefit",
                   "p2p_traded_kwh", "import_kwh", "export_kwh", "load_kwh", "pv_kwh",
                   "solve_time_s")
"""Numeric columns of :attr:`ScenarioResult.summary` (besides ``status``)."""

BUILDING_COLUMNS = ("scenario_id", "building", "cost", "cost_baseline", "saving", "import_kwh",
                    "export_kwh", "p2p_bought_kwh", "p2p_sold_kwh")

FAULTS_ENV = "GRIDSHARE_BENCHMARK_FAULTS"
"""Fault injection for testing sweeps: ``"<scenario_id>:<action>,..."`` with action ``exit``
(the evaluating process dies with ``os._exit(70)``), ``raise`` (a ``RuntimeError``) or
``infeasible`` (the scenario is solved with every grid import limited to 0 kW, which the core
reports as infeasible). Read at every evaluation; unset in normal use."""


@dataclass
class ScenarioResult:
    """Outcome of one scenario.

    Attributes
    ----------
    scenario_id : str
    summary : dict
        ``status`` ("ok") and :data:`SUMMARY_COLUMNS`: ``community_cost``, ``baseline_cost``,
        ``community_saving`` (currency); ``cost_cv``, ``cost_gini``, ``savings_cv``,
        ``savings_gini`` (dimensionless, NaN where the mean is 0); ``self_sufficiency``
        (0..1, ``1 - import / load``); ``p2p_benefit`` (currency); ``p2p_traded_kwh`` (sold to the
        pool), ``import_kwh``, ``export_kwh``, ``load_kwh``, ``pv_kwh`` (kWh); ``solve_time_s``
        (s, all solves of the scenario).
    buildings : pandas.DataFrame
        One row per building, columns :data:`BUILDING_COLUMNS` (currency, kWh).
    solution : xarray.Dataset or None
        The core's solution, when asked for (``keep_solution=True``); not stored.
    """

    scenario_id: str
    summary: dict[str, Any]
    buildings: pd.DataFrame
    solution: xr.Dataset | None = None


@dataclass
class FailedScenario:
    """A scenario whose evaluation raised or whose worker process died.

    Attributes
    ----------
    scenario_id : str
    error_type : str
        Exception class name (``"WorkerDied"`` when the process running it died).
    message : str
    traceback : str
    attempts : int
        How many times it was run.
    """

    scenario_id: str
    error_type: str
    message: str
    traceback: str = ""
    attempts: int = 1


def _fault(scenario_id: str) -> str | None:
    spec = os.environ.get(FAULTS_ENV, "")
    for item in spec.split(","):
        sid, _, action = item.strip().partition(":")
        if sid == scenario_id:
            return action.strip()
    return None


def baseline_costs(community: BenchmarkCommunity, import_price: np.ndarray,
                   export_price: np.ndarray) -> np.ndarray:
    """Passive bill of each building (no battery, no shifting, no P2P), currency.

    Parameters
    ----------
    community : BenchmarkCommunity
    import_price, export_price : numpy.ndarray
        Prices per step, currency/kWh, shape (time,) or (member, time).

    Returns
    -------
    numpy.ndarray
        Shape (member,).

    Examples
    --------
    >>> from gridshare.benchmark.community import default_community
    >>> c = default_community(n_buildings=1, steps=2, step_minutes=60)
    >>> c.load_kw[:], c.pv_kw[:] = [[2.0, 1.0]], [[0.0, 3.0]]
    >>> baseline_costs(c, np.array([0.2, 0.2]), np.array([0.1, 0.1])).round(6).tolist()
    [0.2]
    """
    net = community.load_kw - community.pv_kw
    bill = np.maximum(net, 0.0) * import_price - np.maximum(-net, 0.0) * export_price
    return bill.sum(axis=1) * community.step_hours


def model_inputs(community: BenchmarkCommunity, import_price: np.ndarray, export_price: np.ndarray,
                 import_limit_kw: float = np.inf) -> ModelInputs:
    """The core's inputs for ``community`` under one price series (currency/kWh, shape (time,))."""
    batteries, flexible = community.model_tables()
    start = community.time[0].tz_localize(None).isoformat()
    grid = {m: {"import_limit_kw": import_limit_kw} for m in community.members}
    return ModelInputs.from_arrays(
        community.load_kw, pv_kw=community.pv_kw, import_price=import_price[None, :],
        export_price=export_price[None, :], step_hours=community.step_hours,
        members=community.members, start=start, timezone=str(community.time.tz),
        batteries=batteries, flexible=flexible, grid=grid, exchange="pool", pool_loss=P2P_LOSS)


def _flows(sol: xr.Dataset, members: list[str], name: str) -> np.ndarray:
    if name not in sol:
        return np.zeros((len(members), sol.sizes["time"]))
    return sol[name].transpose("member", "time").sel(member=members).to_numpy()


def evaluate(scenario: Scenario, community: BenchmarkCommunity, options: SolveOptions | None = None,
             keep_solution: bool = False) -> ScenarioResult:
    """Optimise ``community`` under ``scenario`` and bill every building (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
    community : BenchmarkCommunity
    options : SolveOptions, optional
        Default :data:`SWEEP_OPTIONS` (one thread, no duals).
    keep_solution : bool
        Attach the core's solution (with P2P: of the collective model) to the result.

    Returns
    -------
    ScenarioResult

    Raises
    ------
    gridshare.model.InfeasibleError, gridshare.model.SolverError
        From the core.

    Examples
    --------
    >>> from gridshare.benchmark.community import default_community
    >>> c = default_community(n_buildings=2, steps=4, step_minutes=60, start="2024-07-01 10:00")
    >>> r = evaluate(Scenario("tou", p2p=False), c)
    >>> r.summary["status"], r.summary["p2p_benefit"], len(r.buildings)
    ('ok', 0.0, 2)
    """
    options = options or SWEEP_OPTIONS
    sid = scenario.scenario_id
    fault = _fault(sid)
    if fault == "exit":
        os._exit(70)
    if fault == "raise":
        raise RuntimeError(f"fault injected for scenario {sid} ({FAULTS_ENV})")
    prices = price_matrix([scenario], community.time)
    ip, ep, cp = (prices[k][0] for k in ("import_price", "export_price", "community_price"))
    limit = 0.0 if fault == "infeasible" else np.inf
    inputs = model_inputs(community, ip, ep, import_limit_kw=limit)
    members, dt = community.members, community.step_hours
    solve_time = 0.0
    mode = "collective" if scenario.p2p else "individual"
    result = solve(build_model(inputs, mode), options)
    solve_time += result.solve_time_s + result.build_time_s
    sol = result.solution
    imp, exp = _flows(sol, members, "grid_import"), _flows(sol, members, "grid_export")
    buy, sell = _flows(sol, members, "pool_buy"), _flows(sol, members, "pool_sell")
    keep = 1.0 - P2P_LOSS
    cost = dt * (imp * ip - exp * ep + buy * cp - keep * sell * cp).sum(axis=1)
    baseline = baseline_costs(community, ip, ep)
    saving = baseline - cost
    community_cost = float(cost.sum())
    p2p_benefit = 0.0
    if scenario.p2p:
        alone = solve(build_model(inputs, "individual"), options)
        solve_time += alone.solve_time_s + alone.build_time_s
        a_imp, a_exp = _flows(alone.solution, members, "grid_import"), _flows(
            alone.solution, members, "grid_export")
        p2p_benefit = float(dt * (a_imp * ip - a_exp * ep).sum()) - community_cost
    load_kwh = float(community.load_kw.sum() * dt)
    summary = {
        "status": "ok",
        "community_cost": community_cost,
        "baseline_cost": float(baseline.sum()),
        "community_saving": float(saving.sum()),
        "cost_cv": float(coefficient_of_variation(cost)),
        "cost_gini": float(gini(cost)),
        "savings_cv": float(coefficient_of_variation(saving)),
        "savings_gini": float(gini(saving)),
        "self_sufficiency": float(self_sufficiency(community.load_kw * dt, imp * dt)),
        "p2p_benefit": p2p_benefit,
        "p2p_traded_kwh": float(sell.sum() * dt),
        "import_kwh": float(imp.sum() * dt),
        "export_kwh": float(exp.sum() * dt),
        "load_kwh": load_kwh,
        "pv_kwh": float(community.pv_kw.sum() * dt),
        "solve_time_s": float(solve_time),
    }
    buildings = pd.DataFrame({
        "scenario_id": sid, "building": members, "cost": cost, "cost_baseline": baseline,
        "saving": saving, "import_kwh": imp.sum(axis=1) * dt, "export_kwh": exp.sum(axis=1) * dt,
        "p2p_bought_kwh": buy.sum(axis=1) * dt, "p2p_sold_kwh": sell.sum(axis=1) * dt,
    }, columns=list(BUILDING_COLUMNS))
    return ScenarioResult(scenario_id=sid, summary=summary, buildings=buildings,
                          solution=sol if keep_solution else None)


def evaluate_safe(scenario: Scenario, community: BenchmarkCommunity,
                  options: SolveOptions | None = None) -> ScenarioResult | FailedScenario:
    """:func:`evaluate`, with any exception returned as a :class:`FailedScenario` (for sweeps)."""
    try:
        return evaluate(scenario, community, options)
    except Exception as exc:  # a sweep records every failure and goes on
        return FailedScenario(scenario_id=scenario.scenario_id, error_type=type(exc).__name__,
                              message=str(exc), traceback=_traceback.format_exc())


def with_options(options: SolveOptions | None) -> SolveOptions:
    """``options`` with ``duals=False`` (sweeps never need shadow prices); default :data:`SWEEP_OPTIONS`."""
    return SWEEP_OPTIONS if options is None else replace(options, duals=False)

