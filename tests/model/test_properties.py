"""Invariants over small random communities (hypothesis)."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridshare.model import ModelInputs, SolveOptions, build_model, solve

NO_DUALS = SolveOptions(duals=False)

SETTINGS = settings(max_examples=6, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def communities(draw, binary=False):
    n = draw(st.integers(2, 3))
    t = draw(st.integers(2, 5))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    load = rng.uniform(0, 3, (n, t)).round(2)
    pv = (rng.uniform(0, 4, (n, t)) * rng.integers(0, 2, (n, 1))).round(2)
    imp = rng.uniform(0.15, 0.40, (1, t)).round(3)
    batteries = {}
    for i in range(n):
        if draw(st.booleans()):
            batteries[f"b{i}"] = {
                "owner": f"m{i}", "energy_kwh": round(float(rng.uniform(1, 6)), 2),
                "charge_kw": round(float(rng.uniform(0.5, 3)), 2),
                "charge_efficiency": round(float(rng.uniform(0.85, 1.0)), 3),
                "discharge_efficiency": round(float(rng.uniform(0.85, 1.0)), 3),
                "soc_min": 0.1, "soc_max": 0.9, "soc_initial": 0.5, "binary": binary,
                "degradation_cost_per_kwh": round(float(rng.uniform(0, 0.02)), 3)}
    fee = draw(st.sampled_from([0.0, 0.01]))
    loss = draw(st.sampled_from([0.0, 0.05]))
    return ModelInputs.from_arrays(load, pv_kw=pv, import_price=imp, export_price=0.04,
                                   batteries=batteries, pool_fee_per_kwh=fee, pool_loss=loss)


@SETTINGS
@given(communities())
def test_balances_close_and_soc_in_bounds(mi):
    res = solve(build_model(mi, "collective"))
    balance = res.energy_balance()
    assert float(np.abs(balance["member_residual_kw"]).max()) < 1e-6
    assert float(np.abs(balance["pool_residual_kw"]).max()) < 1e-6
    if "battery_soc" in res.solution:
        soc = res.solution["battery_soc"]
        b = mi.batteries.loc[list(soc["battery"].values)]
        energy = b["energy_kwh"].to_numpy()[:, None]
        assert (soc.values >= b["soc_min"].to_numpy()[:, None] * energy - 1e-7).all()
        assert (soc.values <= b["soc_max"].to_numpy()[:, None] * energy + 1e-7).all()
        # The horizon ends where it started (soc_final NaN means "equal to soc_initial").
        np.testing.assert_allclose(soc.values[:, -1], 0.5 * energy[:, 0], atol=1e-7)
    # Bills add up to the optimum (settlement at the pool price balances the budget).
    np.testing.assert_allclose(res.costs["total"].sum(), res.objective, rtol=1e-7, atol=1e-7)


@SETTINGS
@given(communities(binary=True))
def test_binary_battery_never_charges_and_discharges_together(mi):
    res = solve(build_model(mi, "individual"), NO_DUALS)
    if "battery_charge" in res.solution:
        both = res.solution["battery_charge"] * res.solution["battery_discharge"]
        assert float(both.max()) < 1e-9


@settings(SETTINGS, max_examples=4)
@given(communities())
def test_collective_fair_is_individually_rational(mi):
    alone = solve(build_model(mi, "individual"), NO_DUALS)
    together = solve(build_model(mi, "collective"), NO_DUALS)
    fair = solve(build_model(mi, "collective_fair", individual_costs=alone.costs["total"]),
                 NO_DUALS)
    tol = 1e-6
    assert (fair.costs["total"].to_numpy() <= alone.costs["total"].to_numpy() + tol).all()
    assert fair.objective <= alone.objective + tol
    assert fair.objective >= together.objective - tol
