"""Power flow: hand calculation of the base case, batched versus per-hour runs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import EXAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from gridshare.microgrid.powerflow import (
    NetworkSpec,
    pandapower_available,
    run_powerflow,
    solve_batch,
    solve_loop,
    solve_pandapower,
    two_bus_solution,
)


def _fixed_point(spec: NetworkSpec, p_mw: float, q_mvar: float) -> complex:
    # Independent formulation: iterate V2 = V1 - z * conj(S / V2) in complex p.u.
    z = complex(spec.r_pu, spec.x_pu)
    s = complex(p_mw, q_mvar) / spec.sn_mva
    v = complex(1.0, 0.0)
    for _ in range(200):
        v = spec.slack_vm_pu - z * (s / v).conjugate()
    return v


def test_base_case_against_hand_calculation():
    # Base case: 50 MW at PF 0.97 lagging on an 80 MVA, vk 10 %, vkr 0.3 % 230/34.5 kV unit.
    spec = NetworkSpec()
    q = 50 * np.tan(np.arccos(0.97))  # 12.53 MVAr
    out = two_bus_solution(spec, [50.0], [q]).iloc[0]
    v = _fixed_point(spec, 50.0, q)
    np.testing.assert_allclose(out["vm_mv_pu"], abs(v), atol=1e-10)
    np.testing.assert_allclose(out["va_mv_degree"], np.degrees(np.angle(v)), atol=1e-8)
    # Loading = |S| / (V x S_n): 51.55 MVA / (0.9801 x 80) = 65.7 %.
    s_mva = np.hypot(50.0, q)
    np.testing.assert_allclose(out["trafo_loading_percent"], 100 * s_mva / abs(v) / 80,
                               rtol=1e-10)
    # Hand, second order: dV = (r p + x q) + (x p - r q)^2 / 2
    #   = (0.003 x 0.625 + 0.09995 x 0.1566) + (0.09995 x 0.625 - 0.003 x 0.1566)^2 / 2
    #   = 0.01753 + 0.00192 = 0.01946 p.u., so V ~ 0.9805 (exact 0.9801: load current at V < 1).
    r, x = 0.003, np.sqrt(0.1 ** 2 - 0.003 ** 2)
    p_pu, q_pu = 50 / 80, q / 80
    approx = 1 - (r * p_pu + x * q_pu) - (x * p_pu - r * q_pu) ** 2 / 2
    np.testing.assert_allclose(out["vm_mv_pu"], approx, atol=1e-3)
    # Grid supplies the load plus r |I|^2 losses.
    i_pu = s_mva / 80 / abs(v)
    np.testing.assert_allclose(out["grid_p_mw"], 50 + 0.003 * i_pu ** 2 * 80, rtol=1e-12)


def test_batch_matches_single_runs_per_hour():
    # The batched Newton-Raphson, one run per hour and the closed form agree to 1e-6 p.u.
    spec = NetworkSpec()
    rng = np.random.default_rng(7)
    p = 20 + 40 * rng.random(48)
    q = p * np.tan(np.arccos(0.95)) - 10 * rng.random(48)
    batch, loop, exact = solve_batch(spec, p, q), solve_loop(spec, p, q), two_bus_solution(
        spec, p, q)
    np.testing.assert_allclose(batch["vm_mv_pu"], loop["vm_mv_pu"], atol=1e-9)
    np.testing.assert_allclose(batch["vm_mv_pu"], exact["vm_mv_pu"], atol=1e-9)
    np.testing.assert_allclose(batch["trafo_loading_percent"], exact["trafo_loading_percent"],
                               atol=1e-6)
    np.testing.assert_allclose(batch["grid_q_mvar"], exact["grid_q_mvar"], atol=1e-6)


@pytest.mark.skipif(not pandapower_available()[0],
                    reason=f"pandapower does not run here: {pandapower_available()[1][:120]}")
def test_batch_matches_pandapower():
    spec = NetworkSpec()
    p = np.array([30.0, 50.0, 70.0])
    q = p * 0.25
    ref = solve_pandapower(spec, p, q)
    batch = solve_batch(spec, p, q)
    np.testing.assert_allclose(batch["vm_mv_pu"], ref["vm_mv_pu"], atol=1e-6)
    np.testing.assert_allclose(batch["trafo_loading_percent"], ref["trafo_loading_percent"],
                               atol=1e-4)


@settings(max_examples=20, deadline=None)
@given(st.floats(-60, 90), st.floats(-30, 30))
def test_closed_form_solves_the_power_flow(p, q):
    # Invariant: the closed-form voltage satisfies V1 = V2 + z conj(S / V2) exactly.
    spec = NetworkSpec()
    out = two_bus_solution(spec, [p], [q]).iloc[0]
    v2 = out["vm_mv_pu"] * np.exp(1j * np.radians(out["va_mv_degree"]))
    s = complex(p, q) / spec.sn_mva
    residual = spec.slack_vm_pu - (v2 + complex(spec.r_pu, spec.x_pu) * (s / v2).conjugate())
    assert abs(residual) < 1e-10
    # Energy: grid P = load P + losses >= load P.
    assert out["grid_p_mw"] >= p - 1e-9


def test_voltage_collapse_is_a_clear_error():
    with pytest.raises(ValueError, match="voltage collapse"):
        two_bus_solution(NetworkSpec(sn_mva=10), [500.0], [0.0])


def test_hourly_feasibility_and_pf_sweep(tmp_path):
    r = run_powerflow(EXAMPLE, arch="ac_racks", mode="mixed", hours=24,
                      pf_sweep=[0.94, 0.97, 0.995])
    s = r.summary()
    by_pf = s["by_power_factor"]
    assert set(by_pf) == {"0.94", "0.97", "0.995"}
    # Physics: a lower power factor draws more MVAr, so the MV voltage is lower and the
    # transformer more loaded, hour by hour.
    h = r.hourly
    v = {pf: g["vm_mv_pu"].to_numpy() for pf, g in h.groupby("power_factor")}
    assert (v[0.94] < v[0.97]).all() and (v[0.97] < v[0.995]).all()
    assert by_pf["0.94"]["trafo_loading_max_percent"] > by_pf["0.995"]["trafo_loading_max_percent"]
    # The batched run equals the closed form for the same hours (second formulation).
    exact = run_powerflow(EXAMPLE, hours=24, pf_sweep=[0.94, 0.97, 0.995],
                          engine="closed_form").hourly
    np.testing.assert_allclose(h["vm_mv_pu"], exact["vm_mv_pu"], atol=1e-9)
    # Hand: a 50 MW campus through 80 MVA stays well inside 0.95..1.05 p.u. and 100 %.
    assert all(x["voltage_violations"] == 0 for x in by_pf.values())
    assert s["base_case"]["trafo_loading_percent"] == pytest.approx(
        100 * np.hypot(50, 50 * np.tan(np.arccos(0.97))) / 80 / s["base_case"]["vm_mv_pu"])
    folder = r.write(tmp_path / "pf")
    assert (folder / "hourly.csv").is_file() and (folder / "summary.json").is_file()
    dc = run_powerflow(EXAMPLE, arch="dc_800v", mode="mixed", hours=24).hourly
    ac = run_powerflow(EXAMPLE, arch="ac_racks", mode="mixed", hours=24).hourly
    # 800 V DC: higher efficiency and PF, so less grid power at every hour.
    assert (dc["grid_p_mw"].to_numpy() < ac["grid_p_mw"].to_numpy()).all()
    with pytest.raises(ValueError, match="arch must be one of"):
        run_powerflow(EXAMPLE, arch="steam")


def test_powerflow_over_the_dispatch(example_dispatch):
    r = run_powerflow(EXAMPLE, hours=24, dispatch=example_dispatch)
    h = r.hourly
    # The dispatch's hourly BESS means feed the MV bus: hour 0 carries the first four
    # 15-minute intervals' mean net discharge.
    ts = example_dispatch.timeseries
    first = (ts["bess_discharge_mw"] - ts["bess_charge_mw"]).iloc[:4].mean()
    np.testing.assert_allclose(h["p_bess_mw"].iloc[0], first, atol=1e-9)
    assert h["loading_ok"].all()
