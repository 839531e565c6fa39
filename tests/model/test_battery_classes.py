"""Merging alike batteries under the free-pool aggregation is exact."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridshare.model import ModelInputs, build_model, solve


def community(n: int, energies, degradation=0.01, seed=0) -> ModelInputs:
    rng = np.random.default_rng(seed)
    t = 12
    hour = np.arange(t)
    load = 0.5 + rng.random((n, t)) + np.where((hour >= 8) & (hour <= 10), 1.0, 0.0)
    pv = np.clip(np.sin((hour - 3) / 8 * np.pi), 0, None) * rng.uniform(0, 4, (n, 1))
    price = np.where(hour >= 8, 0.30, 0.10) * np.ones((n, 1))
    batteries = {f"b{i}": {"owner": f"m{i}", "energy_kwh": e, "charge_kw": e / 2,
                           "discharge_kw": e / 2, "soc_initial": 0.5,
                           "degradation_cost_per_kwh": degradation}
                 for i, e in enumerate(energies)}
    return ModelInputs.from_arrays(load, pv_kw=pv, import_price=price, export_price=0.4 * price,
                                   members=[f"m{i}" for i in range(n)], batteries=batteries)


def test_merged_batteries_give_the_full_models_optimum():
    # four members, all 0.5C batteries with equal efficiencies: one class of 4 + 6 + 8 + 10 kWh.
    # Reference: the same LP with every battery kept and no aggregation (an independent model).
    mi = community(4, [4.0, 6.0, 8.0, 10.0])
    merged = solve(build_model(mi, "collective"))
    full = solve(build_model(mi, "collective", aggregate=False))
    assert merged.objective == pytest.approx(full.objective, rel=1e-9, abs=1e-9)
    assert merged.costs["total"].sum() == pytest.approx(merged.objective, rel=1e-9, abs=1e-9)
    # every member battery holds its own energy share and stays within its own bounds
    soc = merged.solution["battery_soc"]
    assert list(soc["battery"].values) == ["b0", "b1", "b2", "b3"]
    energy = np.array([4.0, 6.0, 8.0, 10.0])
    assert (soc.values <= energy[:, None] + 1e-9).all()
    assert (merged.solution["battery_charge"].max("time").values <= energy / 2 + 1e-9).all()
    # wear is billed to each battery's owner: 0.01 per kWh of its own throughput
    through = (merged.solution["battery_charge"] + merged.solution["battery_discharge"]).sum("time")
    np.testing.assert_allclose(merged.costs.loc[["m0", "m1", "m2", "m3"], "degradation"],
                               0.01 * through.values, rtol=1e-9, atol=1e-12)
    balance = merged.energy_balance()
    assert float(np.abs(balance.to_array()).max()) < 1e-6


@settings(max_examples=10, deadline=None)
@given(st.lists(st.floats(1.0, 20.0), min_size=2, max_size=5), st.integers(0, 1000))
def test_merging_is_exact_for_random_communities(energies, seed):
    mi = community(len(energies), energies, seed=seed)
    merged = solve(build_model(mi, "collective"))
    full = solve(build_model(mi, "collective", aggregate=False))
    assert merged.objective == pytest.approx(full.objective, rel=1e-7, abs=1e-7)
