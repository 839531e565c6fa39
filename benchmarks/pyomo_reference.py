"""The benchmark's collective pool LP written in Pyomo, solved by HiGHS through Pyomo's appsi.

This is the reference ``community_lp.py`` times gridshare against. It is written the way a Pyomo
user would write it (indexed sets, rule-based constraints, parameters taken from plain Python
containers) and shares no code with :mod:`gridshare.model`; only the equations are the same.

Equations, for members ``m``, steps ``t`` of ``dt`` hours (powers in kW, energy in kWh):

- member balance: ``pv - curtail + grid_import - grid_export + pool_buy - pool_sell
  + discharge - charge == load``;
- pool balance: ``(1 - pool_loss) * sum_m pool_sell == sum_m pool_buy``;
- battery energy at the end of each step: ``soc[t] = soc[t-1] + dt * (eta_c * charge[t]
  - discharge[t] / eta_d)`` from ``soc[-1] = soc_initial * E``, and ``soc[T-1] = soc_initial * E``;
- bounds: ``0 <= charge <= C``, ``0 <= discharge <= D``, ``soc_min * E <= soc <= soc_max * E``,
  ``0 <= curtail <= pv``;
- objective: ``sum dt * (import_price * grid_import - export_price * grid_export
  + pool_fee * pool_buy + degradation * (charge + discharge))``.

With ``aggregate=True`` (valid only for a free, lossless pool) the members' grid and pool flows are
replaced by one import and one export per tariff group on the community bus:
``sum_g import_g - sum_g export_g + sum_m (pv - curtail + discharge - charge - load) == 0``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.appsi.solvers import Highs

HIGHS_OPTIONS = {
    "simplex": {"solver": "simplex"},
    "ipm": {"solver": "ipm", "run_crossover": "on"},
    "ipm_no_crossover": {"solver": "ipm", "run_crossover": "off"},
    "pdlp": {"solver": "pdlp"},
}
"""HiGHS options of each algorithm name, the same names as :class:`gridshare.model.SolveOptions`."""


def build_pyomo_model(case: Any, aggregate: bool = False) -> pyo.ConcreteModel:
    """The collective pool LP of ``case`` (a :class:`community_lp.CommunityCase`) as a Pyomo model.

    Parameters
    ----------
    case : CommunityCase
        Arrays of the benchmark case (kW, kWh, currency/kWh).
    aggregate : bool
        Use the community-bus formulation (one import/export per tariff group and step); only
        exact for a free, lossless pool.

    Returns
    -------
    pyomo.environ.ConcreteModel
        With the objective ``cost`` (currency over the horizon).
    """
    if aggregate and case.pool_fee_per_kwh != 0.0:
        raise ValueError(f"aggregate=True needs a free pool; pool_fee_per_kwh="
                         f"{case.pool_fee_per_kwh!r}")
    n, n_t = case.load_kw.shape
    dt = float(case.step_hours)
    load = case.load_kw.tolist()
    pv = case.pv_kw.tolist()
    price_in = case.import_price.tolist()
    price_out = case.export_price.tolist()
    bat = case.batteries
    energy = bat["energy_kwh"].tolist()
    charge_kw = bat["charge_kw"].tolist()
    discharge_kw = bat["discharge_kw"].tolist()
    eta_c = bat["charge_efficiency"].tolist()
    eta_d = bat["discharge_efficiency"].tolist()
    soc_min = bat["soc_min"].tolist()
    soc_max = bat["soc_max"].tolist()
    soc_0 = bat["soc_initial"].tolist()
    degradation = bat["degradation_cost_per_kwh"].tolist()
    fee = float(case.pool_fee_per_kwh)

    m = pyo.ConcreteModel("community_pool")
    m.M = pyo.RangeSet(0, n - 1)
    m.T = pyo.RangeSet(0, n_t - 1)

    m.charge = pyo.Var(m.M, m.T, bounds=lambda _, i, t: (0.0, charge_kw[i]))
    m.discharge = pyo.Var(m.M, m.T, bounds=lambda _, i, t: (0.0, discharge_kw[i]))
    m.soc = pyo.Var(m.M, m.T, bounds=lambda _, i, t: (soc_min[i] * energy[i],
                                                       soc_max[i] * energy[i]))
    m.curtail = pyo.Var(m.M, m.T, bounds=lambda _, i, t: (0.0, pv[i][t]))

    def soc_rule(mm, i, t):
        before = soc_0[i] * energy[i] if t == 0 else mm.soc[i, t - 1]
        return mm.soc[i, t] == before + dt * (eta_c[i] * mm.charge[i, t]
                                              - mm.discharge[i, t] / eta_d[i])

    m.battery_soc = pyo.Constraint(m.M, m.T, rule=soc_rule)
    m.battery_soc_end = pyo.Constraint(m.M, rule=lambda mm, i: mm.soc[i, n_t - 1]
                                       == soc_0[i] * energy[i])
    degradation_cost = sum(dt * degradation[i] * (m.charge[i, t] + m.discharge[i, t])
                           for i in m.M for t in m.T if degradation[i] != 0.0)

    if aggregate:
        # Members with identical price series pay the same: one import/export per group.
        prices = np.concatenate([case.import_price, case.export_price], axis=1)
        _, group_of = np.unique(prices, axis=0, return_inverse=True)
        group_of = np.asarray(group_of).ravel()
        first = [int(np.flatnonzero(group_of == g)[0]) for g in range(group_of.max() + 1)]
        m.G = pyo.RangeSet(0, len(first) - 1)
        m.community_import = pyo.Var(m.G, m.T, within=pyo.NonNegativeReals)
        m.community_export = pyo.Var(m.G, m.T, within=pyo.NonNegativeReals)
        m.community_balance = pyo.Constraint(m.T, rule=lambda mm, t: (
            sum(mm.community_import[g, t] - mm.community_export[g, t] for g in mm.G)
            + sum(pv[i][t] - mm.curtail[i, t] + mm.discharge[i, t] - mm.charge[i, t]
                  - load[i][t] for i in mm.M) == 0))
        grid_cost = sum(dt * (price_in[first[g]][t] * m.community_import[g, t]
                              - price_out[first[g]][t] * m.community_export[g, t])
                        for g in m.G for t in m.T)
        m.cost = pyo.Objective(expr=grid_cost + degradation_cost, sense=pyo.minimize)
        return m

    m.grid_import = pyo.Var(m.M, m.T, within=pyo.NonNegativeReals)
    m.grid_export = pyo.Var(m.M, m.T, within=pyo.NonNegativeReals)
    m.pool_buy = pyo.Var(m.M, m.T, within=pyo.NonNegativeReals)
    m.pool_sell = pyo.Var(m.M, m.T, within=pyo.NonNegativeReals)
    m.member_balance = pyo.Constraint(m.M, m.T, rule=lambda mm, i, t: (
        pv[i][t] - mm.curtail[i, t] + mm.grid_import[i, t] - mm.grid_export[i, t]
        + mm.pool_buy[i, t] - mm.pool_sell[i, t] + mm.discharge[i, t] - mm.charge[i, t]
        == load[i][t]))
    m.pool_balance = pyo.Constraint(m.T, rule=lambda mm, t: (
        sum(mm.pool_sell[i, t] for i in mm.M) == sum(mm.pool_buy[i, t] for i in mm.M)))
    grid_cost = sum(dt * (price_in[i][t] * m.grid_import[i, t]
                          - price_out[i][t] * m.grid_export[i, t])
                    for i in m.M for t in m.T)
    pool_cost = sum(dt * fee * m.pool_buy[i, t] for i in m.M for t in m.T) if fee else 0.0
    m.cost = pyo.Objective(expr=grid_cost + pool_cost + degradation_cost, sense=pyo.minimize)
    return m


def solve_pyomo(model: pyo.ConcreteModel, algorithm: str = "ipm", threads: int = 1,
                time_limit_s: float | None = None) -> dict[str, Any]:
    """Solve ``model`` with HiGHS through appsi; time the hand-over and the solve separately.

    Parameters
    ----------
    model : pyomo.environ.ConcreteModel
        A model from :func:`build_pyomo_model`.
    algorithm : str
        One of :data:`HIGHS_OPTIONS`.
    threads : int
        HiGHS threads.
    time_limit_s : float, optional
        HiGHS time limit, s.

    Returns
    -------
    dict
        ``objective`` (currency), ``status``, ``translate_s`` (Pyomo model to HiGHS, s) and
        ``solve_s`` (HiGHS run and loading the solution back, s).
    """
    if algorithm not in HIGHS_OPTIONS:
        raise ValueError(f"algorithm={algorithm!r} is not one of {sorted(HIGHS_OPTIONS)}")
    opt = Highs()
    opt.config.stream_solver = False
    opt.config.load_solution = False  # loaded below, only when optimal
    if time_limit_s is not None:
        opt.config.time_limit = float(time_limit_s)
    opt.highs_options = {**HIGHS_OPTIONS[algorithm], "threads": int(threads)}
    t0 = time.perf_counter()
    opt.set_instance(model)
    translate = time.perf_counter() - t0
    # The model does not change between set_instance and solve: skip appsi's change scan.
    upd = opt.update_config
    for flag in ("check_for_new_or_removed_constraints", "check_for_new_or_removed_vars",
                 "check_for_new_or_removed_params", "check_for_new_objective",
                 "update_constraints", "update_vars", "update_params",
                 "update_named_expressions", "update_objective"):
        setattr(upd, flag, False)
    t1 = time.perf_counter()
    res = opt.solve(model)
    status = str(res.termination_condition).split(".")[-1]
    optimal = status == "optimal"
    if optimal:
        res.solution_loader.load_vars()
    solve_s = time.perf_counter() - t1
    objective = float(res.best_feasible_objective) if optimal else float("nan")
    return {"objective": objective, "status": status, "translate_s": translate,
            "solve_s": solve_s}
