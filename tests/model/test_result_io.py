"""Result: save/load round trip, explain and binding frequency, options and errors."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridshare.model import (
    COMMUNITY,
    ModelInputs,
    Result,
    SolveOptions,
    SolverError,
    binding_frequency,
    build_model,
    explain,
    solve,
)
from gridshare.model.solve import choose_algorithm


def rich_inputs():
    return ModelInputs.from_arrays(
        [[1, 0, 2, 1], [0, 1, 0, 3]], pv_kw=[[0, 1, 0, 0], [1, 0, 3, 0]],
        import_price=[0.1, 0.3, 0.3, 0.1], timezone="Europe/Lisbon", start="2024-07-01",
        batteries={"b1": {"owner": "m0", "energy_kwh": 4, "charge_kw": 2,
                          "charge_efficiency": 0.9},
                   "bc": {"owner": COMMUNITY, "energy_kwh": 2, "charge_kw": 1}},
        generators={"g1": {"owner": "m1", "capacity_kw": 3, "min_stable_kw": 1,
                           "fuel_cost_per_kwh": 0.2, "start_cost": 0.1, "min_up_h": 2}},
        flexible={"m1": {"shiftable_share": 0.5, "window_steps": 2}},
        reserves={"fcr": {"direction": "up", "price_per_kw": 0.01, "requirement_kw": 0.5}})


@pytest.fixture(scope="module")
def rich_result():
    return solve(build_model(rich_inputs(), "collective"))


@pytest.mark.parametrize("suffix", [".nc", ".parquet"])
def test_save_load_round_trip_exact(rich_result, tmp_path, suffix):
    res = rich_result
    back = Result.load(res.save(tmp_path / f"result{suffix}"))
    xr.testing.assert_identical(back.solution, res.solution)
    xr.testing.assert_identical(back.duals, res.duals)
    pd.testing.assert_frame_equal(back.costs, res.costs, check_exact=True, check_names=False)
    assert back.objective == res.objective and back.status == res.status
    assert back.mode == res.mode and back.attrs == res.attrs
    assert back.solve_time_s == res.solve_time_s and back.build_time_s == res.build_time_s
    np.testing.assert_array_equal(back.mip_gap, res.mip_gap)


def test_bad_suffix(rich_result, tmp_path):
    with pytest.raises(ValueError, match="suffix"):
        rich_result.save(tmp_path / "x.csv")


def test_time_is_naive_utc(rich_result):
    # 2024-07-01 00:00 in Lisbon (UTC+1 in summer) is 2024-06-30 23:00 UTC.
    assert str(pd.Timestamp(rich_result.solution["time"].values[0])) == "2024-06-30 23:00:00"


def test_rich_case_balances_and_costs(rich_result):
    res = rich_result
    assert res.status == "optimal" and res.mip_gap <= 1e-4
    balance = res.energy_balance()
    assert float(np.abs(balance["member_residual_kw"]).max()) < 1e-7
    assert float(np.abs(balance["pool_residual_kw"]).max()) < 1e-7
    np.testing.assert_allclose(res.costs["total"].sum(), res.objective, rtol=1e-9)
    expected_cols = ["import", "export_revenue", "exchange", "fuel", "start", "degradation",
                     "curtailment", "shedding", "reserve_revenue", "total"]
    assert list(res.costs.columns) == expected_cols
    np.testing.assert_allclose(res.costs.drop(columns="total").sum(axis=1), res.costs["total"])


def test_explain_covers_every_member_and_step(rich_result):
    for member in ("m0", "m1"):
        for step in range(4):
            findings = explain(rich_result, member, step)
            assert findings[0].family == "power_balance"
            assert all(isinstance(f.sentence, str) and f.sentence for f in findings)
    assert {"battery_soc", "pool_balance"} <= {f.family for f in explain(rich_result, "m0", 0)}
    with pytest.raises(ValueError, match="member 'zz'"):
        explain(rich_result, "zz", 0)
    with pytest.raises(ValueError, match="step 9"):
        explain(rich_result, "m0", 9)


def test_binding_frequency_counts_nonzero_duals():
    # Individual two-step case: the balance dual is the import price at both steps (binding 2
    # of 2 rows); nothing else exists.
    res = solve(build_model(ModelInputs.from_arrays([[1.0, 2.0]]), "individual"))
    freq = binding_frequency(res)
    assert freq.loc["power_balance", "rows"] == 2
    assert freq.loc["power_balance", "binding"] == 2
    assert freq.loc["power_balance", "share"] == 1.0


def test_unbounded_raises_solver_error():
    # Export pays more than import costs and nothing limits the grid: unbounded arbitrage.
    mi = ModelInputs.from_arrays([[1.0]], import_price=0.1, export_price=0.2)
    with pytest.raises(SolverError, match="unbounded"):
        solve(build_model(mi, "individual"))


def test_options_validate_and_auto_algorithm():
    with pytest.raises(ValueError, match="algorithm"):
        SolveOptions(algorithm="barrier")
    with pytest.raises(ValueError, match="mip_gap"):
        SolveOptions(mip_gap=2)
    # By the rule documented in solve.IPM_THRESHOLD_VARIABLES.
    assert choose_algorithm(10_000, False) == "simplex"
    assert choose_algorithm(3_500_000, False) == "simplex"
    assert choose_algorithm(5_000_000, False) == "ipm_no_crossover"
    assert choose_algorithm(5_000_000, True) == "choose"
    mi = ModelInputs.from_arrays([[1.0, 2.0]], import_price=[0.2, 0.3])
    for algorithm in ("simplex", "ipm", "ipm_no_crossover", "pdlp"):
        res = solve(build_model(mi, "individual"), SolveOptions(algorithm=algorithm))
        # 1 * 0.2 + 2 * 0.3 by hand; PDLP is a first-order method, hence the looser tolerance.
        np.testing.assert_allclose(res.objective, 0.8, rtol=1e-6 if algorithm != "pdlp" else 1e-3)
        assert res.attrs["algorithm"] == algorithm


def test_bad_mode_and_inputs():
    mi = ModelInputs.from_arrays([[1.0]])
    with pytest.raises(ValueError, match="mode must be one of"):
        build_model(mi, "together")
    with pytest.raises(ValueError, match="load_kw must be >= 0"):
        ModelInputs.from_arrays([[-1.0]])
    with pytest.raises(ValueError, match="charge_efficiency"):
        ModelInputs.from_arrays([[1.0]], batteries={"b": {"owner": "m0", "energy_kwh": 1,
                                                          "charge_kw": 1,
                                                          "charge_efficiency": 1.5}})
    with pytest.raises(ValueError, match=r"batteries\.owner"):
        ModelInputs.from_arrays([[1.0]], batteries={"b": {"owner": "nobody", "energy_kwh": 1,
                                                          "charge_kw": 1}})
    with pytest.raises(ValueError, match="does not broadcast"):
        ModelInputs.from_arrays([[1.0, 2.0]], import_price=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="unknown field"):
        ModelInputs.from_arrays([[1.0]], pool_fees=0.1)
    with pytest.raises(ValueError, match="exchange='pool'"):
        build_model(ModelInputs.from_arrays([[1.0]], exchange="bilateral", batteries={
            "b": {"owner": COMMUNITY, "energy_kwh": 1, "charge_kw": 1}}), "collective")


def test_post_delivery_fixes_dispatch_to_individual_optimum():
    mi = rich_inputs()
    quick = SolveOptions(duals=False)
    alone = solve(build_model(mi, "individual"), quick)
    post = solve(build_model(mi, "post_delivery", schedule=alone), quick)
    for name in ("gen_power", "flex_shift"):
        np.testing.assert_allclose(post.solution[name].values, alone.solution[name].values,
                                   atol=1e-9)
    np.testing.assert_allclose(post.solution["battery_charge"].sel(battery="b1").values,
                               alone.solution["battery_charge"].sel(battery="b1").values,
                               atol=1e-9)
    # The community battery did not run alone, so it stays idle after delivery.
    assert float(post.solution["battery_charge"].sel(battery="bc").max()) == 0.0
    # Only grid and pool flows change: trading the same delivered energy cannot cost more.
    assert post.objective <= alone.objective + 1e-9
    assert float(np.abs(post.energy_balance()["member_residual_kw"]).max()) < 1e-7


def test_lp_time_limit_raises_solver_error():
    # An LP has no incumbent to keep: stopping at a 0.1 ms limit (far below what a 3-member,
    # 2,000-step pool LP with batteries needs) must raise, naming the time limit.
    rng = np.random.default_rng(5)
    mi = ModelInputs.from_arrays(rng.uniform(0, 2, (3, 2000)), pv_kw=rng.uniform(0, 3, (3, 2000)),
                                 import_price=rng.uniform(0.1, 0.4, 2000), pool_fee_per_kwh=0.01,
                                 batteries={f"b{i}": {"owner": f"m{i}", "energy_kwh": 5,
                                                      "charge_kw": 2} for i in range(3)})
    with pytest.raises(SolverError, match="time limit"):
        solve(build_model(mi, "collective"), SolveOptions(time_limit_s=1e-4))


def test_milp_stopped_early_keeps_incumbent_and_gap():
    # Six members with committable units over 48 steps; HiGHS is told to stop at its first
    # improving solution, which exercises the same path as a time limit with an incumbent.
    rng = np.random.default_rng(1)
    n, t = 6, 48
    hour = np.arange(t) % 24
    gens = {f"g{i}": {"owner": f"m{i}", "capacity_kw": 4, "min_stable_kw": 1.5,
                      "fuel_cost_per_kwh": float(rng.uniform(0.15, 0.3)),
                      "start_cost": float(rng.uniform(0.5, 2)), "min_up_h": 3, "min_down_h": 2}
            for i in range(n)}
    mi = ModelInputs.from_arrays(rng.uniform(0.5, 3, (n, t)),
                                 import_price=0.2 + 0.2 * ((hour >= 17) & (hour < 21)),
                                 export_price=0.05, generators=gens)
    best = solve(build_model(mi, "individual"), SolveOptions(duals=False))
    early = solve(build_model(mi, "individual"), SolveOptions(
        duals=False, mip_gap=0.0,
        highs_options={"mip_max_improving_sols": 1, "mip_heuristic_effort": 0.0}))
    assert early.status in ("solution_limit", "optimal")
    # An incumbent is feasible, so it cannot beat the optimum; its reported gap bounds how far
    # it may be from it: (incumbent - bound) / incumbent.
    assert early.objective >= best.objective - 1e-6
    if early.status == "solution_limit":
        assert early.mip_gap > 0
        assert (early.objective - best.objective) / early.objective <= early.mip_gap + 1e-9
    assert float(np.abs(early.energy_balance()["member_residual_kw"]).max()) < 1e-6
