"""A second, independent formulation of one case as a plain scipy linprog matrix model."""

import numpy as np
from scipy.optimize import linprog

from gridshare.model import ModelInputs, build_model, solve


def test_pool_with_batteries_matches_scipy_linprog():
    rng = np.random.default_rng(11)
    n, t = 2, 6
    load = rng.uniform(0.5, 3.0, (n, t))
    pv = rng.uniform(0.0, 4.0, (n, t)) * np.array([[1.0], [0.3]])
    ip = rng.uniform(0.15, 0.40, (n, t))
    ep = np.full((n, t), 0.04)
    fee, loss = 0.01, 0.05
    energy = np.array([4.0, 2.5])
    power = np.array([2.0, 1.0])
    eta_c, eta_d = np.array([0.95, 0.9]), np.array([0.92, 0.9])
    smin, smax, s0 = 0.1, 0.9, 0.5
    deg = np.array([0.01, 0.005])
    batteries = {f"b{i}": {"owner": f"m{i}", "energy_kwh": energy[i], "charge_kw": power[i],
                           "charge_efficiency": eta_c[i], "discharge_efficiency": eta_d[i],
                           "soc_min": smin, "soc_max": smax, "soc_initial": s0,
                           "degradation_cost_per_kwh": deg[i]} for i in range(n)}
    mi = ModelInputs.from_arrays(load, pv_kw=pv, import_price=ip, export_price=ep,
                                 batteries=batteries, pool_fee_per_kwh=fee, pool_loss=loss,
                                 curtailable=False)
    ours = solve(build_model(mi, "collective"))

    # Variables, each an (n, t) block: import, export, buy, sell, charge, discharge, soc.
    names = ["imp", "exp", "buy", "sell", "ch", "dis", "soc"]
    size = n * t

    def idx(name, i, k):
        return names.index(name) * size + i * t + k

    nv = len(names) * size
    c = np.zeros(nv)
    bounds = [(0, None)] * nv
    a_eq, b_eq = [], []
    for i in range(n):
        for k in range(t):
            c[idx("imp", i, k)] = ip[i, k]
            c[idx("exp", i, k)] = -ep[i, k]
            c[idx("buy", i, k)] = fee
            c[idx("ch", i, k)] = deg[i]
            c[idx("dis", i, k)] = deg[i]
            bounds[idx("ch", i, k)] = (0, power[i])
            bounds[idx("dis", i, k)] = (0, power[i])
            bounds[idx("soc", i, k)] = (smin * energy[i], smax * energy[i])
            row = np.zeros(nv)  # member balance
            row[idx("imp", i, k)], row[idx("exp", i, k)] = 1, -1
            row[idx("buy", i, k)], row[idx("sell", i, k)] = 1, -1
            row[idx("dis", i, k)], row[idx("ch", i, k)] = 1, -1
            a_eq.append(row)
            b_eq.append(load[i, k] - pv[i, k])
            row = np.zeros(nv)  # SOC dynamics
            row[idx("soc", i, k)] = 1
            if k > 0:
                row[idx("soc", i, k - 1)] = -1
            row[idx("ch", i, k)] = -eta_c[i]
            row[idx("dis", i, k)] = 1 / eta_d[i]
            a_eq.append(row)
            b_eq.append(s0 * energy[i] if k == 0 else 0.0)
        row = np.zeros(nv)  # end SOC
        row[idx("soc", i, t - 1)] = 1
        a_eq.append(row)
        b_eq.append(s0 * energy[i])
    for k in range(t):  # pool
        row = np.zeros(nv)
        for i in range(n):
            row[idx("sell", i, k)] = 1 - loss
            row[idx("buy", i, k)] = -1
        a_eq.append(row)
        b_eq.append(0.0)
    ref = linprog(c, A_eq=np.array(a_eq), b_eq=np.array(b_eq), bounds=bounds, method="highs")
    assert ref.status == 0
    np.testing.assert_allclose(ours.objective, ref.fun, rtol=1e-6)
