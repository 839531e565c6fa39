"""Optimal swaps against hand-worked allocations, and invariants of both swap methods.

Invariants (hypothesis): each hour the pool's exports equal its imports; nobody imports more than
its shortfall nor exports more than its surplus; ineligible participants do neither; the pro-rata
swap equals min(total exportable surplus, total importable shortfall) each hour; the optimal
method's pooled matching is at least pro-rata's and its lowest participant CFE is at least
pro-rata's (pro-rata is feasible for both LP stages); optimised CFE never exceeds 100 %.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gridshare.procurement import (
    hourly_balance,
    optimal_swaps,
    optimised_cfe,
    prorata_swaps,
    swap_sides,
)

TOL = 1e-6


def test_optimal_beats_prorata_on_the_lowest_cfe():
    # a: load 1 in hour 1; b: load 1 in hours 1 and 2; c offers 1 MWh in hour 1 only.
    # Pro-rata: a and b take 0.5 each -> CFE a 50 %, b 25 %. Max-min: a takes x, b 1 - x with
    # x = (1 - x)/2 -> x = 1/3, both at 1/3. Pooled matching is 1 MWh either way.
    b = hourly_balance([[0, 1, 0], [0, 1, 1], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 1, 0]])
    pro = prorata_swaps(b)
    opt = optimal_swaps(b)
    np.testing.assert_allclose(optimised_cfe(b, pro)[:2], [0.5, 0.25], rtol=1e-12)
    np.testing.assert_allclose(optimised_cfe(b, opt)[:2], [1 / 3, 1 / 3], rtol=1e-6)
    assert opt.swapped.sum() == pytest.approx(pro.swapped.sum(), rel=1e-9)
    np.testing.assert_allclose(opt.exported[2], [0, 1, 0], atol=1e-9)


def test_optimal_equals_prorata_when_supply_is_ample():
    # every shortfall can be covered (the hand case of test_procurement_matching, hour 2):
    # both methods give P0 its full 2 MWh and share the exports 1.6 / 0.4
    load = [[2.0, 1.0, 3.0], [1.0, 2.0, 2.0], [3.0, 1.0, 1.0]]
    clean = [[5.0, 0.0, 1.0], [1.0, 1.0, 6.0], [4.0, 0.0, 2.0]]
    b = hourly_balance(load, clean)
    opt = optimal_swaps(b)
    np.testing.assert_allclose(opt.imported[:, 2], [2.0, 0.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(opt.exported[:, 2], [0.0, 1.6, 0.4], atol=1e-9)


def test_optimal_respects_eligibility():
    # the only surplus belongs to an ineligible participant: nothing can be swapped
    b = hourly_balance([[1.0, 1.0], [0.0, 1.0]], [[0.0, 0.0], [1.0, 0.0]])
    opt = optimal_swaps(b, can_export=np.array([True, False]))
    assert opt.swapped.sum() == 0.0


def test_fairness_stage_can_be_skipped():
    b = hourly_balance([[0, 1, 0], [0, 1, 1], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 1, 0]])
    stage_one = optimal_swaps(b, fairness=False)
    assert stage_one.swapped.sum() == pytest.approx(1.0, rel=1e-9)


energies = arrays(
    np.float64,
    st.tuples(st.integers(2, 4), st.integers(1, 6)),
    elements=st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.0, 3.5, 7.0]),
)


@st.composite
def pools(draw):
    load = draw(energies)
    clean = draw(
        arrays(np.float64, load.shape, elements=st.sampled_from([0.0, 0.0, 0.25, 1.0, 2.0, 4.0, 9.0]))
    )
    min_re = draw(st.sampled_from([0.0, 0.5, 1.0]))
    side = draw(st.sampled_from(["export", "import", "both", "none"]))
    return hourly_balance(load, clean), min_re, side


def _check_common(b, s, can_export, can_import):
    np.testing.assert_allclose(s.exported.sum(axis=0), s.imported.sum(axis=0), atol=TOL)
    assert (s.exported >= -TOL).all() and (s.imported >= -TOL).all()
    assert (s.exported <= b.surplus * can_export[:, None] + TOL).all()
    assert (s.imported <= b.shortfall * can_import[:, None] + TOL).all()
    cfe = optimised_cfe(b, s)
    assert (cfe[np.isfinite(cfe)] <= 1.0 + TOL).all()


@settings(max_examples=60, deadline=None)
@given(pools())
def test_prorata_invariants(case):
    b, min_re, side = case
    can_export, can_import = swap_sides(b, min_re, side)
    s = prorata_swaps(b, can_export, can_import)
    _check_common(b, s, can_export, can_import)
    best = np.minimum(
        (b.surplus * can_export[:, None]).sum(axis=0), (b.shortfall * can_import[:, None]).sum(axis=0)
    )
    np.testing.assert_allclose(s.swapped, best, atol=TOL)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools())
def test_optimal_invariants_and_dominance(case):
    b, min_re, side = case
    can_export, can_import = swap_sides(b, min_re, side)
    pro = prorata_swaps(b, can_export, can_import)
    opt = optimal_swaps(b, can_export, can_import)
    _check_common(b, opt, can_export, can_import)
    assert opt.swapped.sum() >= pro.swapped.sum() - TOL
    judged = can_import & (b.load.sum(axis=1) > 0)
    if judged.any():
        lowest_opt = optimised_cfe(b, opt)[judged].min()
        lowest_pro = optimised_cfe(b, pro)[judged].min()
        assert lowest_opt >= lowest_pro - TOL


@settings(max_examples=60, deadline=None)
@given(pools())
def test_metric_bounds_and_pooling_identity(case):
    from gridshare.procurement import participant_metrics, pool_metrics

    b, _, _ = case
    m = participant_metrics(b)
    p = pool_metrics(b)
    ok = np.isfinite(m["cfe"])
    assert (m["cfe"][ok] <= 1.0 + 1e-12).all()
    assert (m["cfe"][ok] <= m["volumetric_re"][ok] + 1e-12).all()
    if p["load"] > 0:
        assert p["pooling_benefit"] >= -1e-12
        # with everybody allowed, pro-rata swaps close the whole pooling gap
        s = prorata_swaps(b)
        assert (m["matched"].sum() + s.swapped.sum()) == pytest.approx(p["matched"], abs=1e-9)
