"""Bills alone and in the community, money balance and DSO share coefficients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridshare.market import (
    BILL_COLUMNS,
    clear_pool,
    mmr,
    offers_from_net_load,
    price_book,
    settle,
    share_coefficients,
)


def test_bills_worked_by_hand():
    # Two steps, members a, b, c; import 0.30 / export 0.05 for all, fee 0.02 per kWh bought.
    # Step 0: a needs 3, b needs 1, c has 2 spare. MMR = 0.05 + 0.5 * 0.25 = 0.175; supply 2 <
    #   demand 4, so buys get half: a 1.5, b 0.5; c sells 2.
    # Step 1: a has 1 spare, b needs 1, c needs 0: MMR 0.175, b buys 1, a sells 1.
    net = [[3.0, 1.0, -2.0], [-1.0, 1.0, 0.0]]
    s = settle(mmr(offers_from_net_load(net, 0.30, 0.05, members=["a", "b", "c"])),
               fee_per_kwh=0.02)
    b = s.bills
    assert list(b.columns) == list(BILL_COLUMNS)
    # a: retail import 1.5 * 0.30 = 0.45; LEM 1.5 * 0.175 = 0.2625; sells 1 at 0.175; fee 0.03.
    #    total 0.45 + 0.2625 - 0.175 + 0.03 = 0.5675; alone 0.90 - 0.05 = 0.85; saving 0.2825.
    # b: retail 0.5 * 0.30 = 0.15; LEM (0.5 + 1) * 0.175 = 0.2625; fee 0.03 -> 0.4425; alone 0.60.
    # c: LEM sales 2 * 0.175 = 0.35 -> -0.35; alone -0.10; saving 0.25.
    np.testing.assert_allclose(b["total"], [0.5675, 0.4425, -0.35], rtol=1e-12)
    np.testing.assert_allclose(b["alone_total"], [0.85, 0.60, -0.10], rtol=1e-12)
    np.testing.assert_allclose(b["saving"], [0.2825, 0.1575, 0.25], rtol=1e-12)
    # LEM money: buyers pay (2 + 1) * 0.175 = 0.525 = what sellers get; fees 3 kWh * 0.02.
    assert s.lem_paid == pytest.approx(0.525) and s.lem_received == pytest.approx(0.525)
    assert s.fees == pytest.approx(0.06)
    # Share coefficients: step 0 a 1.5 / 2, b 0.5 / 2, c 0; step 1 only b.
    np.testing.assert_allclose(s.share_coefficients.to_numpy(), [[0.75, 0.25, 0], [0, 1, 0]])


def test_share_coefficients_horizon_and_strictly_positive():
    # Horizon: a received 3, b 1 in total -> 0.75 / 0.25 in every step.
    got = share_coefficients(np.array([[3.0, 0.0], [0.0, 1.0]]), per_step=False)
    np.testing.assert_allclose(got, [[0.75, 0.25], [0.75, 0.25]])
    # Strictly positive with floor 0.1: 0.1 + 0.8 * [1, 0] = [0.9, 0.1]; empty step uniform.
    pos = share_coefficients(np.array([[2.0, 0.0], [0.0, 0.0]]), strictly_positive=True,
                             floor=0.1)
    np.testing.assert_allclose(pos, [[0.9, 0.1], [0.5, 0.5]])
    with pytest.raises(ValueError, match="floor must be in"):
        share_coefficients(np.ones((1, 4)), strictly_positive=True, floor=0.5)


def test_fee_validation():
    book = offers_from_net_load([[1.0, -1.0]], 0.3, 0.05)
    with pytest.raises(ValueError, match="fee_per_kwh must be finite and >= 0"):
        settle(mmr(book), fee_per_kwh=-0.01)
    with pytest.raises(ValueError, match="one value per step"):
        settle(mmr(book), fee_per_kwh=[0.01, 0.02])


NET = st.lists(st.sampled_from([-3.0, -1.5, -0.5, 0.0, 0.5, 1.0, 2.5]), min_size=4, max_size=4)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(NET, min_size=1, max_size=4),
       mechanism=st.sampled_from(["crossing_value", "mmr", "sdr", "sdrc"]),
       pruned=st.booleans(), fee=st.sampled_from([0.0, 0.01]))
def test_money_balances_and_nobody_loses_by_trading(rows, mechanism, pruned, fee):
    # Values: imports 0.30/0.25/0.22/0.28, exports 0.05/0.04/0.06/0.05 (every sell value below
    # every buy value), so every price lies between and no trade can hurt either side.
    ip = np.array([0.30, 0.25, 0.22, 0.28])
    ep = np.array([0.05, 0.04, 0.06, 0.05])
    s = settle(price_book(offers_from_net_load(rows, ip, ep), mechanism, pruned), fee)
    assert s.lem_paid == pytest.approx(s.lem_received, abs=1e-12)
    # Without a fee a member's bill can only fall (buyers pay <= import, sellers get >= export).
    if fee == 0:
        assert (s.bills["saving"] >= -1e-12).all()
    # Community total = alone total - the value created by internal trades (recomputed here).
    np.testing.assert_allclose(s.bills["total"].sum(),
                               s.bills["alone_total"].sum() - s.bills["saving"].sum(), atol=1e-12)


def test_crossing_value_settlement_uses_clearing_amounts():
    # a needs 3 (0.30), c has 4 spare (0.05): the sells are long, c is partly served, price
    # 0.05; a buys 3 at 0.05 = 0.15 instead of 0.90; c sells 3 at 0.05 (same as its export).
    s = settle(clear_pool(offers_from_net_load([[3.0, -4.0]], 0.30, 0.05, members=["a", "c"])))
    np.testing.assert_allclose(s.bills["total"], [0.15, -0.20], rtol=1e-12)
    np.testing.assert_allclose(s.bills["saving"], [0.75, 0.0], atol=1e-12)
