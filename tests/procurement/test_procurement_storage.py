r"""The pool battery (dispatched by gridshare.model) against hand calculations and an independent LP.

Independent formulation (scipy.optimize.linprog with HiGHS, sharing no code with gridshare): for
hours :math:`t`, load :math:`L_t`, clean :math:`S_t`, variables grid :math:`g_t`, spill
:math:`k_t`, charge :math:`c_t`, discharge :math:`d_t` and end-of-hour energy :math:`e_t`,

.. math::

    \min \sum_t g_t \quad\text{s.t.}\quad S_t - k_t + g_t + d_t - c_t = L_t,\;
    e_t = e_{t-1} + \eta_c c_t - d_t/\eta_d,\; e_{-1} = e_{T-1} = \sigma_0 E,\;
    0 \le c_t, d_t \le P,\; 0 \le e_t \le E,\; 0 \le k_t \le S_t,\; g_t \ge 0,

and the CFE with the battery is :math:`1 - \sum_t g_t / \sum_t L_t`.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from gridshare.case import BatterySpec
from gridshare.procurement import ProcurementError, pool_battery_dispatch


def independent_cfe(load, clean, energy, power, eta_c, eta_d, soc0):
    t = len(load)
    n = 5 * t  # g, k, c, d, e
    g, k, c, d, e = (np.arange(t) + i * t for i in range(5))
    rows, cols, vals, rhs = [], [], [], []
    for h in range(t):  # balance
        for col, v in ((k[h], -1.0), (g[h], 1.0), (d[h], 1.0), (c[h], -1.0)):
            rows.append(h), cols.append(col), vals.append(v)
        rhs.append(load[h] - clean[h])
    for h in range(t):  # energy
        r = t + h
        for col, v in ((e[h], 1.0), (c[h], -eta_c), (d[h], 1.0 / eta_d)):
            rows.append(r), cols.append(col), vals.append(v)
        if h > 0:
            rows.append(r), cols.append(e[h - 1]), vals.append(-1.0)
        rhs.append(soc0 * energy if h == 0 else 0.0)
    rows.append(2 * t), cols.append(e[-1]), vals.append(1.0)
    rhs.append(soc0 * energy)
    a_eq = sp.csr_matrix((vals, (rows, cols)), shape=(2 * t + 1, n))
    bounds = [(0, None)] * t + [(0, s) for s in clean] + [(0, power)] * 2 * t + [(0, energy)] * t
    cost = np.zeros(n)
    cost[g] = 1.0
    res = linprog(cost, A_eq=a_eq, b_eq=rhs, bounds=bounds, method="highs")
    assert res.status == 0
    return 1.0 - res.fun / np.sum(load)


def test_lossy_battery_by_hand():
    # load 1, 1, 1 MWh; clean 3, 0, 0; efficiencies 0.9 each, empty at start and end.
    # Hour 0 stores the 2 MWh surplus as 1.8 MWh, which returns 1.8 x 0.9 = 1.62 MWh:
    # matched 1 + 1.62 = 2.62 of 3 -> CFE 0.873333 (without: 1/3)
    spec = BatterySpec(
        energy_kwh=10_000, power_kw=5_000, charge_efficiency=0.9, discharge_efficiency=0.9, soc_initial=0.0
    )
    d = pool_battery_dispatch([1.0, 1.0, 1.0], [3.0, 0.0, 0.0], spec)
    assert d.cfe_without == pytest.approx(1 / 3, rel=1e-9)
    assert d.cfe_with == pytest.approx(2.62 / 3, rel=1e-6)
    assert d.uplift == pytest.approx(1.62 / 3, rel=1e-6)
    assert d.charge[0] == pytest.approx(2.0, rel=1e-6)
    assert d.discharge[1:].sum() == pytest.approx(1.62, rel=1e-6)
    assert d.soc[0] == pytest.approx(1.8, rel=1e-6)


def test_power_limit_by_hand():
    # lossless, 0.5 MW: only 0.5 MWh of the 2 MWh surplus can be stored in hour 0
    spec = BatterySpec(
        energy_kwh=10_000, power_kw=500, charge_efficiency=1.0, discharge_efficiency=1.0, soc_initial=0.0
    )
    d = pool_battery_dispatch([1.0, 1.0], [3.0, 0.0], spec)
    assert d.cfe_with == pytest.approx(1.5 / 2, rel=1e-6)


def test_matches_independent_formulation():
    rng = np.random.default_rng(7)
    hours = np.arange(72)
    load = 10 + 3 * np.sin(hours / 24 * 2 * np.pi) + rng.uniform(0, 2, hours.size)
    clean = np.clip(25 * np.sin((hours % 24 - 6) / 12 * np.pi), 0, None) * rng.uniform(0.3, 1.0, hours.size)
    spec = BatterySpec(
        energy_kwh=30_000, power_kw=8_000, charge_efficiency=0.93, discharge_efficiency=0.95, soc_initial=0.5
    )
    d = pool_battery_dispatch(load, clean, spec)
    expected = independent_cfe(load, clean, 30.0, 8.0, 0.93, 0.95, 0.5)
    assert d.cfe_with == pytest.approx(expected, rel=1e-6)
    assert d.uplift > 0
    assert (d.soc <= 30.0 + 1e-6).all() and (d.charge <= 8.0 + 1e-6).all()


def test_bad_battery_inputs():
    spec = BatterySpec(energy_kwh=1.0, power_kw=1.0)
    with pytest.raises(ProcurementError, match="load_mwh has 2 hours but clean_mwh has 3"):
        pool_battery_dispatch([1.0, 1.0], [1.0, 1.0, 1.0], spec)
    with pytest.raises(ProcurementError, match=r"battery must be a gridshare\.case\.BatterySpec"):
        pool_battery_dispatch([1.0], [1.0], {"energy_kwh": 1})
