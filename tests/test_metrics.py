"""Tests of gridshare.metrics: each metric against a case worked by hand here, zero-denominator and
bad-input behaviour, and hypothesis invariants (bounds, scale invariance, second formulations)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gridshare.metrics import (
    cfe_score,
    coefficient_of_variation,
    gini,
    instantaneous_self_consumption,
    instantaneous_self_sufficiency,
    matched_energy,
    savings_pct,
    self_consumption,
    self_sufficiency,
    volumetric_re,
)

LOAD = [10.0, 10.0, 10.0, 10.0]
CLEAN = [0.0, 5.0, 20.0, 15.0]


# ------------------------------------------------------------------------------------------------
# hand-worked cases
# ------------------------------------------------------------------------------------------------


def test_volumetric_re_cfe_and_matched_energy_by_hand():
    # Hand: sum clean = 40 = sum load -> volumetric 1.0; min per step = [0, 5, 10, 10] = 25 of 40.
    assert volumetric_re(LOAD, CLEAN) == 1.0
    np.testing.assert_array_equal(matched_energy(LOAD, CLEAN), [0.0, 5.0, 10.0, 10.0])
    assert cfe_score(LOAD, CLEAN) == pytest.approx(25 / 40, rel=1e-12)
    assert isinstance(cfe_score(LOAD, CLEAN), float)


def test_metrics_along_an_axis_per_member():
    load = np.array([LOAD, [4.0, 4.0, 0.0, 0.0]])
    clean = np.array([CLEAN, [2.0, 6.0, 3.0, 0.0]])
    # Member 2 by hand: volumetric 11 / 8 = 1.375; matched [2, 4, 0, 0] = 6 of 8 = 0.75.
    np.testing.assert_allclose(volumetric_re(load, clean, axis=1), [1.0, 1.375], rtol=1e-12)
    np.testing.assert_allclose(cfe_score(load, clean, axis=1), [0.625, 0.75], rtol=1e-12)
    # Pooled over members (axis=None): matched 25 + 6 = 31 of 48.
    assert cfe_score(load, clean) == pytest.approx(31 / 48, rel=1e-12)
    # Along time for each step (axis=0): step 3 has matched 10 + 0 of load 10 + 0.
    np.testing.assert_allclose(cfe_score(load, clean, axis=0), [2 / 14, 9 / 14, 1.0, 1.0])


def test_self_sufficiency_and_self_consumption_by_hand():
    load, grid_import = [3.0, 5.0, 2.0], [1.0, 0.0, 2.0]
    generation, grid_export = [0.0, 6.0, 4.0], [0.0, 2.0, 3.0]
    # Hand: 1 - 3 / 10 = 0.7 and 1 - 5 / 10 = 0.5.
    assert self_sufficiency(load, grid_import) == pytest.approx(0.7, rel=1e-12)
    assert self_consumption(generation, grid_export) == pytest.approx(0.5, rel=1e-12)


def test_instantaneous_variants_by_hand():
    load, generation = [3.0, 5.0, 2.0], [0.0, 8.0, 4.0]
    # Hand: min per step = [0, 5, 2] = 7; over load 10 -> 0.7; over generation 12 -> 7/12.
    assert instantaneous_self_sufficiency(load, generation) == pytest.approx(0.7, rel=1e-12)
    assert instantaneous_self_consumption(load, generation) == pytest.approx(7 / 12, rel=1e-12)


def test_flow_and_instantaneous_forms_agree_without_storage():
    # Second formulation: with no battery the grid balance is import = max(load - gen, 0) and
    # export = max(gen - load, 0); the metered and the instantaneous forms must then agree.
    rng = np.random.default_rng(3)
    load, gen = rng.uniform(0, 5, 500), rng.uniform(0, 8, 500) * (rng.random(500) < 0.6)
    grid_import, grid_export = np.maximum(load - gen, 0), np.maximum(gen - load, 0)
    np.testing.assert_allclose(self_sufficiency(load, grid_import),
                               instantaneous_self_sufficiency(load, gen), rtol=1e-12)
    np.testing.assert_allclose(self_consumption(gen, grid_export),
                               instantaneous_self_consumption(load, gen), rtol=1e-12)


def test_gini_by_hand():
    # [1, 2, 3, 4]: the pairwise |differences| sum to 10 over i < j, 20 over all (i, j);
    # mean 2.5 -> G = 20 / (2 x 16 x 2.5) = 0.25 (the textbook value for 1..4).
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25, rel=1e-12)
    assert gini([4, 1, 3, 2]) == pytest.approx(0.25, rel=1e-12)  # order does not matter
    # One member holds everything: G = 1 - 1/n.
    assert gini([0, 0, 0, 0, 5]) == pytest.approx(0.8, rel=1e-12)
    assert gini([7.0]) == 0.0


def test_gini_with_negative_values_uses_absolute_mean():
    # [-2, 2, 4]: |differences| 4, 6, 2 -> 24 over all (i, j); |mean| = 4/3;
    # G = 24 / (2 x 9 x 4/3) = 1.0. [-3, 1, 3]: same 24, |mean| = 1/3 -> G = 4 (can exceed 1).
    assert gini([-2, 2, 4]) == pytest.approx(1.0, rel=1e-12)
    assert gini([-3, 1, 3]) == pytest.approx(4.0, rel=1e-12)
    # All negative (net revenues): same as their magnitudes.
    assert gini([-1, -2, -3, -4]) == pytest.approx(0.25, rel=1e-12)


def test_gini_and_cv_along_axis():
    costs = np.array([[1, 2, 3, 4], [5, 5, 5, 5]], dtype=float)
    np.testing.assert_allclose(gini(costs, axis=1), [0.25, 0.0], atol=1e-12)
    np.testing.assert_allclose(gini(costs.T, axis=0), [0.25, 0.0], atol=1e-12)
    # CV of [1, 2, 3, 4]: population sd sqrt(1.25), mean 2.5.
    np.testing.assert_allclose(coefficient_of_variation(costs, axis=1),
                               [math.sqrt(1.25) / 2.5, 0.0], rtol=1e-12)


def test_coefficient_of_variation_by_hand():
    # Textbook data: [2, 4, 4, 4, 5, 5, 7, 9] has mean 5 and population sd 2 -> CV 0.4.
    data = [2, 4, 4, 4, 5, 5, 7, 9]
    assert coefficient_of_variation(data) == pytest.approx(0.4, rel=1e-12)
    assert coefficient_of_variation([-x for x in data]) == pytest.approx(0.4, rel=1e-12)
    # Sample sd (ddof=1) would give sqrt(32/7)/5 = 0.4276; the population form is documented.
    assert coefficient_of_variation(data) != pytest.approx(math.sqrt(32 / 7) / 5, rel=1e-3)


def test_savings_pct_by_hand():
    # Hand: (80 - 60) / 80 = 25 %; revenue case: earning 75 instead of 50 -> (-50 + 75) / 50 = 50 %.
    assert savings_pct(80.0, 60.0) == pytest.approx(25.0, rel=1e-12)
    assert savings_pct(-50.0, -75.0) == pytest.approx(50.0, rel=1e-12)
    assert savings_pct(80.0, 100.0) == pytest.approx(-25.0, rel=1e-12)
    np.testing.assert_allclose(savings_pct([100.0, 200.0], [90.0, 250.0]), [10.0, -25.0])
    # One baseline against several costs broadcasts.
    np.testing.assert_allclose(savings_pct(100.0, [90.0, 50.0]), [10.0, 50.0])


def test_labelled_inputs_are_read_as_arrays():
    load = pd.Series(LOAD, index=pd.date_range("2024-01-01", periods=4, freq="h", tz="UTC"))
    clean = xr.DataArray(CLEAN, dims="time")
    assert cfe_score(load, clean) == pytest.approx(0.625, rel=1e-12)


# ------------------------------------------------------------------------------------------------
# zero denominators and bad input
# ------------------------------------------------------------------------------------------------


def test_zero_denominators_give_nan():
    assert math.isnan(volumetric_re([0, 0], [1, 1]))
    assert math.isnan(cfe_score([0, 0], [1, 1]))
    assert math.isnan(self_sufficiency([0, 0], [0, 0]))
    assert math.isnan(self_consumption([0, 0], [0, 0]))  # no PV: undefined, not an error
    assert math.isnan(instantaneous_self_consumption([1, 1], [0, 0]))
    assert math.isnan(gini([0, 0, 0]))
    assert math.isnan(gini([-1, 1]))  # zero mean
    assert math.isnan(gini([]))
    assert math.isnan(coefficient_of_variation([0, 0]))
    assert math.isnan(coefficient_of_variation([]))
    assert math.isnan(savings_pct(0.0, 10.0))
    # Along an axis only the empty member is nan.
    per_member = self_consumption([[0, 0], [4, 4]], [[0, 0], [1, 1]], axis=1)
    assert math.isnan(per_member[0]) and per_member[1] == pytest.approx(0.75)


@pytest.mark.parametrize("metric", [volumetric_re, cfe_score, self_sufficiency, self_consumption,
                                    instantaneous_self_sufficiency, instantaneous_self_consumption,
                                    matched_energy])
def test_pair_metrics_reject_bad_input(metric):
    with pytest.raises(ValueError, match=r"shape \(3,\) but .* shape \(2,\)"):
        metric([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="NaN"):
        metric([1, np.nan], [1, 2])
    with pytest.raises(ValueError, match="NaN or infinite"):
        metric([1, 2], [1, np.inf])
    with pytest.raises(ValueError, match="negative energy -1"):
        metric([1, -1], [1, 2])
    with pytest.raises(ValueError, match="must be numbers"):
        metric(["a", "b"], [1, 2])


def test_solver_noise_negatives_are_zero():
    # -1e-12 is solver round-off on a 10 kWh scale, read as 0: matched [0, 5] of load 20.
    assert cfe_score([10, 10], [-1e-12, 5]) == pytest.approx(0.25, rel=1e-12)


def test_value_metrics_reject_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        gini([1, np.nan])
    with pytest.raises(ValueError, match="NaN"):
        coefficient_of_variation([np.nan])
    with pytest.raises(ValueError, match="NaN"):
        savings_pct(np.nan, 1.0)
    with pytest.raises(ValueError, match=r"baseline has shape \(2,\) but cost has shape \(3,\)"):
        savings_pct([1.0, 2.0], [1.0, 2.0, 3.0])


# ------------------------------------------------------------------------------------------------
# invariants
# ------------------------------------------------------------------------------------------------

# Subnormal floats are left out: their means underflow to 0, which is the documented nan case.
energy = st.floats(0, 1e4, allow_nan=False, allow_infinity=False, allow_subnormal=False)
pairs = st.integers(1, 40).flatmap(lambda n: st.tuples(
    arrays(float, n, elements=energy), arrays(float, n, elements=energy)))
values = arrays(float, st.integers(1, 40), elements=energy)
signed = arrays(float, st.integers(1, 40), elements=st.floats(-1e4, 1e4, allow_subnormal=False))


@settings(max_examples=200, deadline=None)
@given(pairs)
def test_cfe_never_exceeds_one_or_volumetric_re(pair):
    load, clean = pair
    assume(load.sum() > 0)
    cfe, vre = cfe_score(load, clean), volumetric_re(load, clean)
    assert 0.0 <= cfe <= min(1.0, vre) + 1e-12
    assert 0.0 <= instantaneous_self_sufficiency(load, clean) <= 1.0 + 1e-12


@settings(max_examples=200, deadline=None)
@given(values)
def test_gini_of_nonnegative_values_within_bounds(x):
    assume(x.sum() > 0)
    g = gini(x)
    assert -1e-12 <= g <= 1.0 - 1.0 / len(x) + 1e-9


@settings(max_examples=100, deadline=None)
@given(st.floats(-1e6, 1e6).filter(lambda v: abs(v) > 1e-6), st.integers(1, 50))
def test_gini_and_cv_of_equal_values_are_zero(value, n):
    x = np.full(n, value)
    assert gini(x) == pytest.approx(0.0, abs=1e-12)
    assert coefficient_of_variation(x) == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(signed, st.floats(1e-3, 1e3) | st.floats(-1e3, -1e-3))
def test_gini_and_cv_are_scale_invariant(x, scale):
    assume(abs(x.mean()) > 1e-3 * max(1.0, np.abs(x).max()))
    # atol covers round-off of an exactly-zero spread (equal values scaled by 1.001).
    np.testing.assert_allclose(gini(scale * x), gini(x), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(coefficient_of_variation(scale * x),
                               coefficient_of_variation(x), rtol=1e-9, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(pairs, st.floats(1e-3, 1e3))
def test_ratio_metrics_are_scale_invariant(pair, scale):
    load, clean = pair
    assume(load.sum() > 0 and clean.sum() > 0)
    for metric in (cfe_score, volumetric_re, instantaneous_self_consumption):
        np.testing.assert_allclose(metric(scale * load, scale * clean), metric(load, clean),
                                   rtol=1e-9)


@settings(max_examples=200, deadline=None)
@given(signed)
def test_gini_matches_double_sum_definition(x):
    # Independent formulation: the O(n^2) double sum of the documented definition.
    assume(abs(x.mean()) > 1e-6)
    n = len(x)
    reference = np.abs(x[:, None] - x[None, :]).sum() / (2 * n * n * abs(x.mean()))
    np.testing.assert_allclose(gini(x), reference, rtol=1e-9, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(signed)
def test_savings_against_itself_is_zero(x):
    assume(np.all(x != 0))
    np.testing.assert_array_equal(savings_pct(x, x), 0.0)
