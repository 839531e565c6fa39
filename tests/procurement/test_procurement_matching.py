"""Matching metrics, pro-rata swaps, eligibility and certificate money on a case worked by hand.

The hand case: 3 participants x 3 hours, energies in MWh.

======  =============  =============  ======================================
hour    load L         clean S        situation
======  =============  =============  ======================================
0       2, 1, 3        5, 1, 4        only surplus (U = 3, 0, 1; D = 0)
1       1, 2, 1        0, 1, 0        only shortfall (D = 1, 1, 1; U = 0)
2       3, 2, 1        1, 6, 2        both (U = 0, 4, 1; D = 2, 0, 0)
======  =============  =============  ======================================

Worked values (every expected number below comes from this table):
matched M = min(L, S): P0 2+0+1 = 3, P1 1+1+2 = 4, P2 3+0+1 = 4.
Loads 6, 5, 5 (pool 16); clean 6, 8, 6 (pool 20).
Volumetric RE 6/6 = 1, 8/5 = 1.6, 6/5 = 1.2. Standalone CFE 3/6, 4/5, 4/5.
Pool hourly sums: L = 6, 4, 6; S = 10, 1, 9; min = 6, 1, 6 -> 13, pooled CFE 13/16 = 0.8125.
Load-weighted standalone CFE (3 + 4 + 4) / 16 = 0.6875; pooling benefit 2/16 = 0.125.
Pro-rata, hour 2: surplus 4 + 1 = 5, shortfall 2 -> swap 2; P1 exports 4 x 2/5 = 1.6,
P2 exports 1 x 2/5 = 0.4, P0 imports 2. Hours 0 and 1 swap nothing.
Optimised CFE: P0 (3 + 2)/6 = 5/6, P1 4/5, P2 4/5.
"""

from __future__ import annotations

import numpy as np
import pytest

from gridshare.metrics import cfe_score, volumetric_re
from gridshare.procurement import (
    POOL,
    CertificatePrices,
    ProcurementError,
    analyse_pool,
    certificate_settlement,
    eligibility,
    energy_settlement,
    grouped_metrics,
    hourly_balance,
    optimised_cfe,
    participant_metrics,
    pool_metrics,
    prorata_swaps,
    swap,
    swap_sides,
)

LOAD = np.array([[2.0, 1.0, 3.0], [1.0, 2.0, 2.0], [3.0, 1.0, 1.0]])
CLEAN = np.array([[5.0, 0.0, 1.0], [1.0, 1.0, 6.0], [4.0, 0.0, 2.0]])


@pytest.fixture
def balance():
    return hourly_balance(LOAD, CLEAN)


def test_hourly_balance_by_hand(balance):
    # M, U, D from the table in the module docstring
    np.testing.assert_array_equal(balance.matched, [[2, 0, 1], [1, 1, 2], [3, 0, 1]])
    np.testing.assert_array_equal(balance.surplus, [[3, 0, 0], [0, 0, 4], [1, 0, 1]])
    np.testing.assert_array_equal(balance.shortfall, [[0, 1, 2], [0, 1, 0], [0, 1, 0]])


def test_participant_metrics_by_hand(balance):
    m = participant_metrics(balance)
    np.testing.assert_allclose(m["load"], [6, 5, 5])
    np.testing.assert_allclose(m["clean"], [6, 8, 6])
    np.testing.assert_allclose(m["volumetric_re"], [1.0, 1.6, 1.2], rtol=1e-12)
    np.testing.assert_allclose(m["cfe"], [0.5, 0.8, 0.8], rtol=1e-12)
    np.testing.assert_allclose(m["surplus"], [3, 4, 2])
    np.testing.assert_allclose(m["shortfall"], [3, 1, 1])
    # second implementation: gridshare.metrics (the core's metric functions)
    np.testing.assert_allclose(m["cfe"], cfe_score(LOAD, CLEAN, axis=1), rtol=1e-12)
    np.testing.assert_allclose(m["volumetric_re"], volumetric_re(LOAD, CLEAN, axis=1), rtol=1e-12)


def test_pool_metrics_by_hand(balance):
    p = pool_metrics(balance)
    assert p["pooled_cfe"] == pytest.approx(13 / 16, rel=1e-12)
    assert p["standalone_cfe"] == pytest.approx(11 / 16, rel=1e-12)
    assert p["pooling_benefit"] == pytest.approx(2 / 16, rel=1e-12)
    assert p["volumetric_re"] == pytest.approx(20 / 16, rel=1e-12)
    # pool surplus: 10 - 6, 1 - 1 -> 0, 9 - 6 -> 4 + 0 + 3 = 7; shortfall: 0 + 3 + 0 = 3
    assert p["surplus"] == pytest.approx(7.0)
    assert p["shortfall"] == pytest.approx(3.0)
    assert (p["hours_long"], p["hours_short"]) == (2.0, 1.0)


def test_prorata_swaps_by_hand(balance):
    s = prorata_swaps(balance)
    # hour 0 only surplus, hour 1 only shortfall: nothing moves; hour 2 as worked above
    np.testing.assert_allclose(s.exported, [[0, 0, 0], [0, 0, 1.6], [0, 0, 0.4]], atol=1e-12)
    np.testing.assert_allclose(s.imported, [[0, 0, 2.0], [0, 0, 0], [0, 0, 0]], atol=1e-12)
    np.testing.assert_allclose(s.swapped, [0, 0, 2.0], atol=1e-12)
    np.testing.assert_allclose(optimised_cfe(balance, s), [5 / 6, 0.8, 0.8], rtol=1e-12)


def test_prorata_scarce_hour_shares_by_shortfall():
    # one hour: surplus 2 (P1), shortfalls 3 (P0) and 1 (P2); swap 2, imports 2x3/4 and 2x1/4
    b = hourly_balance([[4.0], [1.0], [1.0]], [[1.0], [3.0], [0.0]])
    s = prorata_swaps(b)
    np.testing.assert_allclose(s.imported[:, 0], [1.5, 0.0, 0.5], rtol=1e-12)
    np.testing.assert_allclose(s.exported[:, 0], [0.0, 2.0, 0.0], rtol=1e-12)


def test_eligibility_threshold_by_hand(balance):
    # RE 1.0, 1.6, 1.2 (worked above)
    assert eligibility(balance, 0.5).tolist() == [True, True, True]
    assert eligibility(balance, 1.25).tolist() == [False, True, False]
    assert eligibility(balance, 1.2).tolist() == [False, True, True]  # exactly at the threshold
    assert eligibility(balance, 1.7).tolist() == [False, False, False]


def test_eligibility_restricts_exporters(balance):
    # min RE 1.25: only P1 may export; hour 2 offers 4, P0 needs 2 -> P1 exports 2
    s = swap(balance, "prorata", min_re=1.25, side="export")
    np.testing.assert_allclose(s.exported[:, 2], [0.0, 2.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(s.imported[:, 2], [2.0, 0.0, 0.0], atol=1e-12)
    # nobody eligible: no swaps, optimised CFE = standalone CFE
    none = swap(balance, "prorata", min_re=1.7, side="export")
    assert none.swapped.sum() == 0.0
    np.testing.assert_allclose(optimised_cfe(balance, none), [0.5, 0.8, 0.8])


def test_eligibility_restricts_importers(balance):
    # min RE 1.25 on the import side: only P1 may import, and P1 is short only in hour 1,
    # when nobody has surplus -> nothing is swapped
    can_export, can_import = swap_sides(balance, 1.25, "import")
    assert can_export.tolist() == [True, True, True]
    assert can_import.tolist() == [False, True, False]
    assert swap(balance, "prorata", min_re=1.25, side="import").swapped.sum() == 0.0
    both = swap_sides(balance, 1.25, "both")
    assert [m.tolist() for m in both] == [[False, True, False], [False, True, False]]


def test_analyse_pool_all_eligible_reaches_pooled_cfe():
    # identity: sum_p min(L, S) + min(sum U, sum D) = min(sum L, sum S), so with everybody
    # eligible the swaps lift the pool exactly to its pooled CFE (13/16, worked above)
    a = analyse_pool(LOAD, CLEAN, ["a", "b", "c"], swap="prorata", min_re=0.0)
    assert a.pool["optimised_cfe"] == pytest.approx(13 / 16, rel=1e-12)
    assert a.pool["min_cfe_standalone"] == pytest.approx(0.5)
    assert a.pool["min_cfe_swapped"] == pytest.approx(0.8)  # P0 at 5/6, P1 and P2 at 0.8


def test_grouped_metrics_by_hand(balance):
    # groups: hours 0, 1 -> group 0; hour 2 -> group 1
    t = grouped_metrics(balance, np.array([0, 0, 1]), ["a", "b"], ["p0", "p1", "p2"], "period")
    pool = t[t["participant"] == POOL].set_index("period")
    # group a: pool L 6 + 4 = 10, S 10 + 1 = 11, pooled matched 6 + 1 = 7, standalone matched
    # (2+0) + (1+1) + (3+0) = 7; group b: L 6, S 9, pooled 6, standalone 1 + 2 + 1 = 4
    np.testing.assert_allclose(pool["load_mwh"], [10, 6])
    np.testing.assert_allclose(pool["matched_mwh"], [7, 6])
    np.testing.assert_allclose(pool["cfe_pct"], [70.0, 100.0])
    np.testing.assert_allclose(pool["standalone_cfe_pct"], [70.0, 400 / 6])
    np.testing.assert_allclose(pool["pooling_benefit_pct"], [0.0, 100 - 400 / 6])
    p0 = t[t["participant"] == "p0"].set_index("period")
    np.testing.assert_allclose(p0["cfe_pct"], [200 / 3, 100 / 3])  # 2/3 and 1/3
    np.testing.assert_allclose(p0["volumetric_re_pct"], [500 / 3, 100 / 3])


def test_grouped_metrics_with_swaps_sum_to_totals(balance):
    s = prorata_swaps(balance)
    t = grouped_metrics(
        balance, np.array([0, 1, 2]), [0, 1, 2], ["p0", "p1", "p2"], "hour", s.imported, s.exported
    )
    p0 = t[t["participant"] == "p0"]
    # P0 imports 2 in hour 2, so its hour-2 optimised CFE is (1 + 2)/3 = 100 %
    assert p0["imported_mwh"].tolist() == [0.0, 0.0, 2.0]
    assert p0["optimised_cfe_pct"].iloc[2] == pytest.approx(100.0)


def test_certificate_settlement_by_hand(balance):
    # r = 8, s = 10, q = 15, f = 0.2 with the pro-rata swaps above; per participant (MWh):
    # clean 6, 8, 6; U 3, 4, 2; D 3, 1, 1; E 0, 1.6, 0.4; I 2, 0, 0
    prices = CertificatePrices(8.0, swap_price_per_mwh=10.0, shortfall_price_per_mwh=15.0, manager_fee=0.2)
    s = prorata_swaps(balance)
    m = participant_metrics(balance, s.imported, s.exported)
    money = certificate_settlement(
        m["clean"], m["surplus"], m["shortfall"], m["exported"], m["imported"], prices
    )
    np.testing.assert_allclose(money["rec_value"], [48, 64, 48])
    np.testing.assert_allclose(money["surplus_value"], [24, 32, 16])
    np.testing.assert_allclose(money["shortfall_cost"], [45, 15, 15])
    np.testing.assert_allclose(money["standalone_net"], [-21, 17, 1])
    np.testing.assert_allclose(money["swap_revenue"], [0, 16, 4])
    np.testing.assert_allclose(money["swap_cost"], [20, 0, 0])
    np.testing.assert_allclose(money["manager_fee"], [4, 0, 0])  # 0.2 x 2 MWh x 10
    # P0: -20 - 4 + 3x8 - 1x15 = -15; P1: 16 + 2.4x8 - 15 = 20.2; P2: 4 + 1.6x8 - 15 = 1.8
    np.testing.assert_allclose(money["net_settlement"], [-15, 20.2, 1.8], rtol=1e-12)
    # savings E (s - r) + I (q - s (1 + f)): 2 x 3 = 6, 1.6 x 2 = 3.2, 0.4 x 2 = 0.8
    np.testing.assert_allclose(money["net_savings"], [6, 3.2, 0.8], rtol=1e-12)


def test_energy_settlement_by_hand():
    # P0 of the hand case, prices 10, 50, 30 /MWh, strike 20: market value 5x10 + 1x30 = 80,
    # cost 6 x 20 = 120, load cost 2x10 + 1x50 + 3x30 = 160; capture 80/6, load price 160/6,
    # shape cost 6 x (160 - 80)/6 = 80
    e = energy_settlement(LOAD[:1], CLEAN[:1], [10.0, 50.0, 30.0], ppa_price_per_mwh=20.0)
    assert e["ppa_market_value"][0] == pytest.approx(80.0)
    assert e["ppa_settlement"][0] == pytest.approx(-40.0)
    assert e["net_energy_cost"][0] == pytest.approx(200.0)
    assert e["capture_price_per_mwh"][0] == pytest.approx(80 / 6)
    assert e["load_weighted_price_per_mwh"][0] == pytest.approx(160 / 6)
    assert e["shape_cost"][0] == pytest.approx(80.0)
    assert np.isnan(energy_settlement(LOAD[:1], CLEAN[:1], [1, 1, 1])["ppa_settlement"][0])


def test_zero_load_participant_has_undefined_ratios():
    b = hourly_balance([[0.0, 0.0], [1.0, 1.0]], [[1.0, 0.0], [0.0, 0.0]])
    m = participant_metrics(b)
    assert np.isnan(m["cfe"][0]) and np.isnan(m["volumetric_re"][0])
    # the producer without load is eligible and gives its 1 MWh to participant 1 in hour 0
    s = prorata_swaps(b, *swap_sides(b, 0.5))
    np.testing.assert_allclose(s.imported[1], [1.0, 0.0])


@pytest.mark.parametrize(
    ("load", "clean", "match"),
    [
        ([[1.0, -2.0]], [[1.0, 1.0]], "load holds a negative energy -2"),
        ([[1.0, np.nan]], [[1.0, 1.0]], "load holds 1 NaN"),
        ([1.0, 2.0], [1.0, 2.0], r"load must have shape \(participant, hour\)"),
        ([[1.0, 2.0]], [[1.0, 2.0, 3.0]], "shapes differ"),
        ([["a", "b"]], [[1.0, 2.0]], "load must be numbers"),
    ],
)
def test_bad_arrays_are_named(load, clean, match):
    with pytest.raises(ProcurementError, match=match):
        hourly_balance(load, clean)


def test_bad_settings_are_named(balance):
    with pytest.raises(ProcurementError, match="swap = 'greedy' is not allowed"):
        swap(balance, "greedy")
    with pytest.raises(ProcurementError, match="eligible side = 'left'"):
        swap_sides(balance, 0.5, "left")
    with pytest.raises(ProcurementError, match="min_re = -1"):
        eligibility(balance, -1)
    with pytest.raises(ProcurementError, match="can_export must be 3 booleans"):
        prorata_swaps(balance, can_export=[True, False])
    with pytest.raises(ProcurementError, match=r"manager_fee = 1\.5"):
        CertificatePrices(8.0, manager_fee=1.5)
    with pytest.raises(ProcurementError, match="rec_price_per_mwh = -3"):
        CertificatePrices(-3.0)
    with pytest.raises(ProcurementError, match="price_per_mwh needs one price per hour"):
        energy_settlement(LOAD, CLEAN, [1.0, 2.0])
