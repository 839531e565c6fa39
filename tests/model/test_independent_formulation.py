r"""The collective pool LP of :mod:`gridshare.model` against an independent formulation.

The same small community is written here as plain sparse matrices and solved with
``scipy.optimize.linprog(method="highs")``; gridshare's optimal objective must equal it to 1e-6
relative. The two share no code: only the equations below.

Model (collective mode, pool exchange), for members :math:`m`, steps :math:`t = 0..T-1` of
:math:`\Delta t` hours; every variable is a mean power over the step, kW, and non-negative:

- :math:`g^+_{mt}, g^-_{mt}`: grid import and export of member :math:`m`;
- :math:`b_{mt}, s_{mt}`: energy bought from and sold to the pool;
- :math:`c_{mt}, d_{mt}`: battery charge and discharge (AC side);
- :math:`e_{mt}`: battery energy at the *end* of step :math:`t`, kWh;
- :math:`k_{mt}`: PV curtailed.

Minimise the community's cost, currency,

.. math::

    \sum_{m,t} \Delta t \left( \pi^+_{mt} g^+_{mt} - \pi^-_{mt} g^-_{mt} + f\, b_{mt}
        + \delta_m (c_{mt} + d_{mt}) + \kappa\, k_{mt} \right)

subject to

.. math::

    \text{member balance:}\quad & PV_{mt} - k_{mt} + g^+_{mt} - g^-_{mt} + b_{mt} - s_{mt}
        + d_{mt} - c_{mt} = L_{mt} \\
    \text{pool balance:}\quad & (1 - \lambda) \textstyle\sum_m s_{mt} = \sum_m b_{mt} \\
    \text{battery energy:}\quad & e_{mt} = e_{m,t-1} + \Delta t\,(\eta^c_m c_{mt}
        - d_{mt} / \eta^d_m), \quad e_{m,-1} = \sigma^0_m E_m \\
    \text{final energy:}\quad & e_{m,T-1} = \sigma^T_m E_m
        \quad (\sigma^T_m = \sigma^0_m \text{ when not given}) \\
    \text{bounds:}\quad & \underline\sigma_m E_m \le e_{mt} \le \overline\sigma_m E_m,\;
        c_{mt} \le C_m,\; d_{mt} \le D_m,\; k_{mt} \le PV_{mt},\;
        g^+_{mt} \le G^+_m,\; g^-_{mt} \le G^-_m

with :math:`\pi^\pm` the member's import and export prices, :math:`f` the pool fee per kWh bought,
:math:`\lambda` the pool loss, :math:`\delta_m` the battery's degradation cost per kWh of
throughput and :math:`\kappa` the curtailment cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from gridshare.model import ModelInputs, SolveOptions, build_model, solve

VARIABLES = ("grid_import", "grid_export", "pool_buy", "pool_sell", "charge", "discharge",
             "energy", "curtail")


@dataclass
class SmallCommunity:
    """Numbers of one small case, in the units of the model docstring."""

    load_kw: np.ndarray  # (member, time)
    pv_kw: np.ndarray
    import_price: np.ndarray
    export_price: np.ndarray
    energy_kwh: np.ndarray  # (member,)
    charge_kw: np.ndarray
    discharge_kw: np.ndarray
    charge_efficiency: np.ndarray
    discharge_efficiency: np.ndarray
    soc_min: np.ndarray
    soc_max: np.ndarray
    soc_initial: np.ndarray
    degradation_cost_per_kwh: np.ndarray
    pool_fee_per_kwh: float = 0.0
    pool_loss: float = 0.0
    curtailment_cost_per_kwh: float = 0.0
    step_hours: float = 1.0
    import_limit_kw: np.ndarray = field(default_factory=lambda: np.array([]))
    export_limit_kw: np.ndarray = field(default_factory=lambda: np.array([]))

    @property
    def shape(self) -> tuple[int, int]:
        return self.load_kw.shape

    def limits(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.shape[0]
        imp = self.import_limit_kw if self.import_limit_kw.size else np.full(n, np.inf)
        exp = self.export_limit_kw if self.export_limit_kw.size else np.full(n, np.inf)
        return imp, exp


def reference_objective(case: SmallCommunity) -> float:
    """Optimal cost of ``case`` from the matrices of the module docstring, via scipy's HiGHS."""
    n, t = case.shape
    nt = n * t
    dt = case.step_hours
    offset = {name: i * nt for i, name in enumerate(VARIABLES)}
    n_var = len(VARIABLES) * nt

    def col(name: str) -> np.ndarray:
        # column index of variable `name` for every (member, time), row-major
        return offset[name] + np.arange(nt).reshape(n, t)

    cost = np.zeros(n_var)
    cost[col("grid_import")] = dt * case.import_price
    cost[col("grid_export")] = -dt * case.export_price
    cost[col("pool_buy")] = dt * case.pool_fee_per_kwh
    cost[col("charge")] = dt * case.degradation_cost_per_kwh[:, None]
    cost[col("discharge")] = dt * case.degradation_cost_per_kwh[:, None]
    cost[col("curtail")] = dt * case.curtailment_cost_per_kwh

    rows, cols, vals, rhs = [], [], [], []
    n_row = 0

    def add(row: np.ndarray, column: np.ndarray, value: np.ndarray | float) -> None:
        row, column = np.broadcast_arrays(row, column)
        rows.append(row.ravel())
        cols.append(column.ravel())
        vals.append(np.broadcast_to(value, row.shape).ravel().astype(float))

    # member balance: one row per (member, time)
    bal = n_row + np.arange(nt).reshape(n, t)
    for name, sign in (("grid_import", 1), ("grid_export", -1), ("pool_buy", 1),
                       ("pool_sell", -1), ("discharge", 1), ("charge", -1), ("curtail", -1)):
        add(bal, col(name), sign)
    rhs.append((case.load_kw - case.pv_kw).ravel())
    n_row += nt

    # pool balance: one row per time
    pool = n_row + np.arange(t)[None, :].repeat(n, axis=0)
    add(pool, col("pool_sell"), 1.0 - case.pool_loss)
    add(pool, col("pool_buy"), -1.0)
    rhs.append(np.zeros(t))
    n_row += t

    # battery energy: e_t - e_{t-1} - dt*eta_c*c_t + dt/eta_d*d_t = (sigma0*E at t=0, else 0)
    soc = n_row + np.arange(nt).reshape(n, t)
    add(soc, col("energy"), 1.0)
    add(soc[:, 1:], col("energy")[:, :-1], -1.0)
    add(soc, col("charge"), -dt * case.charge_efficiency[:, None])
    add(soc, col("discharge"), dt / case.discharge_efficiency[:, None])
    first = np.zeros((n, t))
    first[:, 0] = case.soc_initial * case.energy_kwh
    rhs.append(first.ravel())
    n_row += nt

    # final energy back to the initial level
    fin = n_row + np.arange(n)
    add(fin, col("energy")[:, -1], 1.0)
    rhs.append(case.soc_initial * case.energy_kwh)
    n_row += n

    a_eq = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(n_row, n_var))
    b_eq = np.concatenate(rhs)

    imp_lim, exp_lim = case.limits()
    lower = np.zeros(n_var)
    upper = np.full(n_var, np.inf)
    upper[col("grid_import")] = imp_lim[:, None]
    upper[col("grid_export")] = exp_lim[:, None]
    upper[col("charge")] = case.charge_kw[:, None]
    upper[col("discharge")] = case.discharge_kw[:, None]
    lower[col("energy")] = (case.soc_min * case.energy_kwh)[:, None]
    upper[col("energy")] = (case.soc_max * case.energy_kwh)[:, None]
    upper[col("curtail")] = case.pv_kw
    res = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=np.column_stack([lower, upper]),
                  method="highs")
    assert res.status == 0, res.message
    return float(res.fun)


def gridshare_objective(case: SmallCommunity, **build_kwargs) -> float:
    """Optimal cost of ``case`` from gridshare's collective model."""
    n = case.shape[0]
    members = [f"member_{i}" for i in range(n)]
    imp_lim, exp_lim = case.limits()
    batteries = pd.DataFrame({
        "owner": members,
        "energy_kwh": case.energy_kwh,
        "charge_kw": case.charge_kw,
        "discharge_kw": case.discharge_kw,
        "charge_efficiency": case.charge_efficiency,
        "discharge_efficiency": case.discharge_efficiency,
        "soc_min": case.soc_min,
        "soc_max": case.soc_max,
        "soc_initial": case.soc_initial,
        "soc_final": np.nan,
        "degradation_cost_per_kwh": case.degradation_cost_per_kwh,
        "binary": False,
        "pcs_kva": np.nan,
    }, index=[f"battery_{i}" for i in range(n)])
    grid = pd.DataFrame({
        "import_limit_kw": imp_lim,
        "export_limit_kw": exp_lim,
        "binary": False,
        "kva": np.nan,
        "min_power_factor": np.nan,
        "load_power_factor": 1.0,
    }, index=members)
    inputs = ModelInputs.from_arrays(
        case.load_kw, pv_kw=case.pv_kw, import_price=case.import_price,
        export_price=case.export_price, step_hours=case.step_hours, members=members,
        start="2025-06-01", timezone="UTC", batteries=batteries, grid=grid,
        pool_fee_per_kwh=case.pool_fee_per_kwh, pool_loss=case.pool_loss,
        curtailment_cost_per_kwh=case.curtailment_cost_per_kwh,
    )
    cm = build_model(inputs, mode="collective", **build_kwargs)
    result = solve(cm, SolveOptions(algorithm="simplex", threads=1))
    return float(result.objective)


def three_member_case(**overrides) -> SmallCommunity:
    """3 members x 6 hourly steps with batteries, a pool fee and lossy batteries.

    Member 0 has large PV and a cheap export, member 1 a plain load on the dearest tariff, member 2
    a small PV and a battery with a degradation cost, so the pool, the batteries and the fee all
    change the optimum (checked in ``test_case_exercises_every_part``).
    """
    values = dict(
        load_kw=np.array([[0.5, 0.6, 0.8, 1.0, 1.5, 1.2],
                          [1.0, 1.2, 0.9, 1.5, 2.5, 2.0],
                          [0.8, 0.7, 1.1, 1.3, 1.8, 1.0]]),
        pv_kw=np.array([[0.0, 2.0, 4.5, 5.0, 1.0, 0.0],
                        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                        [0.0, 0.5, 1.0, 1.2, 0.2, 0.0]]),
        import_price=np.array([[0.20, 0.25, 0.25, 0.30, 0.45, 0.40],
                               [0.22, 0.28, 0.28, 0.33, 0.50, 0.44],
                               [0.18, 0.25, 0.25, 0.30, 0.40, 0.35]]),
        export_price=np.array([[0.05, 0.06, 0.06, 0.07, 0.10, 0.09],
                               [0.08, 0.10, 0.10, 0.12, 0.18, 0.16],
                               [0.07, 0.09, 0.09, 0.11, 0.15, 0.13]]),
        energy_kwh=np.array([4.0, 2.0, 6.0]),
        charge_kw=np.array([2.0, 1.0, 3.0]),
        discharge_kw=np.array([2.0, 1.0, 2.5]),
        charge_efficiency=np.array([0.95, 0.90, 0.92]),
        discharge_efficiency=np.array([0.95, 0.92, 0.90]),
        soc_min=np.array([0.1, 0.2, 0.0]),
        soc_max=np.array([0.9, 1.0, 0.95]),
        soc_initial=np.array([0.5, 0.3, 0.4]),
        degradation_cost_per_kwh=np.array([0.0, 0.0, 0.01]),
        pool_fee_per_kwh=0.03,
        pool_loss=0.0,
    )
    values.update(overrides)
    return SmallCommunity(**values)


def test_three_members_with_pool_fee_matches_linprog():
    # Expected: the independent matrix formulation above, solved by scipy's HiGHS.
    case = three_member_case()
    expected = reference_objective(case)
    np.testing.assert_allclose(gridshare_objective(case), expected, rtol=1e-6)


def test_free_pool_matches_linprog():
    # Expected: the same matrices with a zero pool fee (the case where exact aggregation applies).
    case = three_member_case(pool_fee_per_kwh=0.0)
    expected = reference_objective(case)
    np.testing.assert_allclose(gridshare_objective(case), expected, rtol=1e-6)


def test_pool_loss_and_half_hour_steps_match_linprog():
    # Expected: the independent matrices with 0.5 h steps and 3 % pool loss.
    case = three_member_case(pool_loss=0.03, step_hours=0.5)
    expected = reference_objective(case)
    np.testing.assert_allclose(gridshare_objective(case), expected, rtol=1e-6)


def test_free_pool_without_aggregation_matches_linprog():
    # Expected: the independent matrices; gridshare keeps every member's grid and pool flows.
    case = three_member_case(pool_fee_per_kwh=0.0)
    expected = reference_objective(case)
    np.testing.assert_allclose(gridshare_objective(case, aggregate=False), expected, rtol=1e-6)


def test_grid_limits_match_linprog():
    # Expected: the independent matrices with finite import and export bounds on two members.
    case = three_member_case(import_limit_kw=np.array([np.inf, 1.2, 1.0]),
                             export_limit_kw=np.array([2.0, np.inf, 0.5]))
    expected = reference_objective(case)
    assert expected > reference_objective(three_member_case())  # the limits bind
    np.testing.assert_allclose(gridshare_objective(case), expected, rtol=1e-6)


def test_case_exercises_every_part():
    # The comparison above only means something if the pool, the fee, the batteries and their
    # efficiencies change the optimum; each is checked on the reference formulation itself.
    base = reference_objective(three_member_case())
    no_pool = reference_objective(three_member_case(pool_fee_per_kwh=1e3))  # pool priced out
    free_pool = reference_objective(three_member_case(pool_fee_per_kwh=0.0))
    lossless = reference_objective(three_member_case(charge_efficiency=np.ones(3),
                                                     discharge_efficiency=np.ones(3)))
    no_battery = reference_objective(three_member_case(charge_kw=np.zeros(3),
                                                       discharge_kw=np.zeros(3)))
    assert free_pool < base < no_pool
    assert lossless < base < no_battery


def test_no_pool_no_battery_by_hand():
    # Expected, by hand: with no storage and the pool priced out, each member imports its net load
    # when positive and exports it when negative, paying import - export prices per step.
    case = three_member_case(charge_kw=np.zeros(3), discharge_kw=np.zeros(3),
                             pool_fee_per_kwh=1e3)
    net = case.load_kw - case.pv_kw
    by_hand = float(np.sum(np.where(net > 0, net * case.import_price, net * case.export_price)))
    np.testing.assert_allclose(reference_objective(case), by_hand, rtol=1e-9)
    np.testing.assert_allclose(gridshare_objective(case), by_hand, rtol=1e-6)


@st.composite
def random_communities(draw) -> SmallCommunity:
    n = draw(st.integers(1, 3))
    t = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    imp = rng.uniform(0.1, 0.5, size=(n, t))
    return SmallCommunity(
        load_kw=rng.uniform(0.0, 3.0, size=(n, t)),
        pv_kw=rng.uniform(0.0, 4.0, size=(n, t)) * (rng.random((n, 1)) < 0.7),
        import_price=imp,
        # below every member's import price: otherwise buying at one tariff and selling at
        # another through the pool is an unbounded arbitrage
        export_price=imp.min(axis=0) * rng.uniform(0.0, 0.9, size=(n, t)),
        energy_kwh=rng.uniform(0.5, 8.0, size=n),
        charge_kw=rng.uniform(0.0, 3.0, size=n),
        discharge_kw=rng.uniform(0.0, 3.0, size=n),
        charge_efficiency=rng.uniform(0.8, 1.0, size=n),
        discharge_efficiency=rng.uniform(0.8, 1.0, size=n),
        soc_min=rng.uniform(0.0, 0.3, size=n),
        soc_max=rng.uniform(0.7, 1.0, size=n),
        soc_initial=rng.uniform(0.3, 0.7, size=n),
        degradation_cost_per_kwh=rng.uniform(0.0, 0.02, size=n),
        pool_fee_per_kwh=float(draw(st.sampled_from([0.0, 0.01, 0.05]))),
        pool_loss=float(draw(st.sampled_from([0.0, 0.02]))),
        step_hours=float(draw(st.sampled_from([0.25, 1.0]))),
    )


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_communities())
def test_random_communities_match_linprog(case):
    # Expected: the independent matrix formulation, for random small communities.
    expected = reference_objective(case)
    np.testing.assert_allclose(gridshare_objective(case), expected, rtol=1e-6, atol=1e-9)


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__, "-q"])
