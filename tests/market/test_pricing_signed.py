"""Signed accepted kWh (one array per pricing) and the per-book group sums."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridshare.market import make_book, offers_from_net_load, price_book
from gridshare.market.clearing import column_book
from gridshare.market.pricing import Pricing, expand_columns, expand_signed

FORMS = [("crossing_value", False), ("crossing_value", True), ("mmr", False), ("mmr", True),
         ("sdr", False), ("sdr", True), ("sdrc", False), ("sdrc", True)]


def test_signed_accepted_hand_worked():
    # Net loads a +3, b +2, c -4, d -2 with values a 0.30, b 0.20 (buy) and c 0.05, d 0.25
    # (sell). Walk by hand: c (0.05, 4 kWh) serves a (0.30, 3 kWh) and 1 of b's 2 kWh
    # (0.20); d's 0.25 is above b's 0.20, so 4 kWh trade at c's 0.05.
    # Signed: a bought 3, b bought 1, c sold 4, d nothing.
    b = offers_from_net_load([[3.0, 2.0, -4.0, -2.0]], [[0.30, 0.20, 0.9, 0.9]],
                             [[0.0, 0.0, 0.05, 0.25]], members=list("abcd"))
    p = price_book(b, "crossing_value")
    assert float(p.price[0]) == 0.05
    np.testing.assert_allclose(p.accepted_kwh, [[3.0, 1.0, -4.0, 0.0]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(p.buy_kwh, [[3.0, 1.0, 0.0, 0.0]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(p.sell_kwh, [[0.0, 0.0, 4.0, 0.0]], rtol=0, atol=1e-12)
    # MMR, same book: min buy 0.20 < max sell 0.25 -> falls back to the crossing value.
    np.testing.assert_allclose(price_book(b, "mmr").accepted_kwh, p.accepted_kwh, atol=1e-12)


def test_signed_mmr_pro_rata_hand_worked():
    # Buys a 4 kWh @0.30, b 2 kWh @0.25; sell c 3 kWh @0.10: min buy 0.25 >= max sell 0.10,
    # so MMR trades min(6, 3) = 3 kWh: the sell side in full, each buy at 3/6 = 1/2.
    b = offers_from_net_load([[4.0, 2.0, -3.0]], [[0.30, 0.25, 0.9]], [[0.0, 0.0, 0.10]])
    p = price_book(b, "mmr")
    np.testing.assert_allclose(p.price, [0.10 + 0.5 * 0.15], rtol=1e-12)
    np.testing.assert_allclose(p.accepted_kwh, [[2.0, 1.0, -3.0]], rtol=1e-12)
    np.testing.assert_allclose(p.traded_kwh, [3.0], rtol=1e-12)


@st.composite
def one_sided_books(draw):
    n_steps = draw(st.integers(1, 12))
    n_members = draw(st.integers(1, 9))
    n_groups = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    net = np.round(rng.normal(0, 2, (n_steps, n_members)), 1)
    net[rng.random(net.shape) < 0.2] = 0.0
    group = rng.integers(0, n_groups, n_members)
    imports = np.round(rng.uniform(0.10, 0.35, (n_steps, n_groups)), 2)[:, group]
    exports = np.round(rng.uniform(0.0, 0.12, (n_steps, n_groups)), 2)[:, group]
    member_major = draw(st.booleans())
    if member_major:  # the ModelInputs layout: (member, step) arrays transposed
        net, imports, exports = (np.ascontiguousarray(a.T).T for a in (net, imports, exports))
    return net, imports, exports


@settings(max_examples=40, deadline=None)
@given(one_sided_books(), st.sampled_from(FORMS))
def test_signed_equals_two_sided_formulation(case, form):
    # Second formulation: the same offers given as two arrays without net_kwh take the older
    # path (each side expanded on its own); the signed array must equal buy - sell exactly,
    # and the derived sides must equal that path's arrays exactly.
    net, imports, exports = case
    signed_book = offers_from_net_load(net, imports, exports)
    two_book = make_book(signed_book.buy_kwh, signed_book.sell_kwh, imports, exports)
    assert two_book.net_kwh is None
    p1 = price_book(signed_book, *form)
    p2 = price_book(two_book, *form)
    np.testing.assert_array_equal(p1.price, p2.price)
    np.testing.assert_array_equal(p1.accepted_kwh, p2.buy_kwh - p2.sell_kwh)
    np.testing.assert_array_equal(p1.buy_kwh, p2.buy_kwh)
    np.testing.assert_array_equal(p1.sell_kwh, p2.sell_kwh)
    assert not np.signbit(p1.buy_kwh).any() and not np.signbit(p1.sell_kwh).any()
    # A member is a buyer or a seller: accepted has the sign of its net load, and is no more.
    assert (p1.accepted_kwh * net >= 0).all()
    assert (np.abs(p1.accepted_kwh) <= np.abs(net) + 1e-12).all()


@settings(max_examples=30, deadline=None)
@given(one_sided_books(), st.integers(8, 200), st.integers(1, 3))
def test_expand_signed_blocks_and_threads(case, block_bytes, workers):
    # Any block size and thread count gives the same numbers as expanding each side with
    # expand_columns (an independent, unblocked formulation).
    net, imports, exports = case
    b = offers_from_net_load(net, imports, exports)
    p = price_book(b, "mmr", True)
    got = expand_signed(p.buy_fraction, p.sell_fraction, p.column_of_member, b.buy_kwh,
                        b.sell_kwh, workers=workers, block_bytes=block_bytes)
    if p.column_of_member is None:
        want = p.buy_fraction * b.buy_kwh - p.sell_fraction * b.sell_kwh
    else:
        want = (expand_columns(p.buy_fraction, p.column_of_member, b.buy_kwh)
                - expand_columns(p.sell_fraction, p.column_of_member, b.sell_kwh))
    np.testing.assert_array_equal(got, want)
    if min(net.shape) > 1 and p.column_of_member is not None:  # the book's memory order is kept
        assert got.flags.f_contiguous == b.net_kwh.flags.f_contiguous


def test_expand_signed_bad_arguments():
    with pytest.raises(ValueError, match="workers must be >= 1"):
        expand_signed(np.ones((1, 1)), np.ones((1, 1)), None, np.ones((1, 1)), np.ones((1, 1)),
                      workers=0)


def test_group_sums_once_per_book():
    # Two tariff groups: members 0 and 2 (0.30 / 0.05), member 1 (0.20 / 0.04).
    # Group sums by hand, step 0: buys 1 + 0 = 1 (group 0), 2 (group 1); sells 0 + 3 = 3, 0.
    b = offers_from_net_load([[1.0, 2.0, -3.0]], [[0.30, 0.20, 0.30]], [[0.05, 0.04, 0.05]])
    cols = column_book(b)
    assert column_book(b) is cols  # computed once, reused by every mechanism
    np.testing.assert_array_equal(cols.buy_kwh, [[1.0, 2.0]])
    np.testing.assert_array_equal(cols.sell_kwh, [[3.0, 0.0]])
    price_book(b, "sdr", True)
    assert column_book(b) is cols
    # Other amounts are another book: new sums, and no signed net load (it may be two-sided).
    other = b.with_amounts(b.buy_kwh * 2, b.sell_kwh)
    assert other.net_kwh is None
    np.testing.assert_array_equal(column_book(other).buy_kwh, [[2.0, 4.0]])
    sub = b.select_steps(np.array([0]))
    np.testing.assert_array_equal(sub.net_kwh, [[1.0, 2.0, -3.0]])


def test_make_book_net_kwh_shape_is_checked():
    with pytest.raises(ValueError, match=r"net_kwh must have shape \(step, member\) = \(1, 2\)"):
        make_book([[1.0, 0.0]], [[0.0, 1.0]], 0.2, 0.05, net_kwh=np.zeros((2, 2)))


def test_from_accepted_signed_is_buy_minus_sell():
    # From given arrays: accepted = bought - sold, by definition.
    b = offers_from_net_load([[2.0, -1.0]], 0.25, 0.04)
    p = Pricing.from_accepted("dual", np.array([0.1]), b, np.array([[1.0, 0.0]]),
                              np.array([[0.0, 1.0]]))
    np.testing.assert_array_equal(p.accepted_kwh, [[1.0, -1.0]])
    np.testing.assert_array_equal(p.buy_kwh, [[1.0, 0.0]])
