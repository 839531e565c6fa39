"""Pricing mechanisms on hand-worked offer books, full and pruned, one step and many at once."""

import numpy as np
import pytest

from gridshare.market import (
    clear_pool,
    crossing_value,
    make_book,
    mmr,
    offers_from_net_load,
    price_book,
    sdr,
    single_step_book,
)

MEMBERS = ["a", "b", "c", "d"]


def book_of(steps):
    """A multi-step book over members a..d from per-step ({buyer: (kWh, value)}, {seller: ...})."""
    n = len(steps)
    arr = np.zeros((4, n, len(MEMBERS)))
    for t, (buys, sells) in enumerate(steps):
        for side, offers in ((0, buys), (1, sells)):
            for member, (kwh, value) in offers.items():
                k = MEMBERS.index(member)
                arr[side, t, k] = kwh
                arr[side + 2, t, k] = value
    return make_book(arr[0], arr[1], arr[2], arr[3], members=MEMBERS)


# Each case: the book, then the hand-worked price of every mechanism (full, pruned) and the
# accepted kWh of the crossing value (full form) per member a, b, c, d (buy + sell).
CROSS_AT_SELL = ({"a": (3, 0.30), "b": (2, 0.20)}, {"c": (4, 0.05), "d": (2, 0.25)})
# Walk: sells c 0.05 (cum 4), d 0.25 (cum 6); buys a 0.30 (cum 3), b 0.20 (cum 5).
# c < a, 4 > 3 -> a accepted; c < b, 4 < 5 -> c accepted; d 0.25 >= b 0.20: cross at 4 kWh.
# Price = marginal seller c = 0.05; b gets 1 of its 2 kWh.
# MMR/SDR full: min_buy 0.20 < max_sell 0.25 -> crossing value 0.05.
# Pruned book: buys a 3 @0.30, b 1 @0.20, sell c 4 @0.05:
#   MMR 0.05 + 0.5 * 0.15 = 0.125; SDR r = 1 -> 0.05; SDRC(0.5) 0.05 + 0.075 = 0.125.
SHORT_SUPPLY = ({"a": (3, 0.30), "b": (2, 0.25)}, {"c": (1, 0.05), "d": (2.5, 0.10)})
# Walk: c < a, 1 < 3 -> c; d < a, 3.5 > 3 -> a; d < b, 3.5 < 5 -> d; sells run out with b
# partly served (0.5 of 2): price = b's value 0.25. Q = 3.5.
# MMR: 0.10 + 0.5 * 0.15 = 0.175. SDR: r = 3.5 / 5 = 0.7,
#   0.25 * 0.10 / (0.15 * 0.7 + 0.10) = 0.025 / 0.205.
# SDRC(0.5): k = 0.075, 0.25 * 0.175 / (0.075 * 0.7 + 0.175) = 0.04375 / 0.2275.
# Pruned (a 3, b 0.5 | c 1, d 2.5): MMR 0.175, SDR r = 1 -> 0.10, SDRC 0.10 + 0.075 = 0.175,
#   crossing value = marginal seller d = 0.10.
SURPLUS = ({"a": (2, 0.30)}, {"c": (1, 0.05), "d": (3, 0.10)})
# Walk: c < a, 1 < 2 -> c; d < a, 4 > 2 -> a; buys run out, d partly served (1 of 3):
# price 0.10. MMR 0.10 + 0.5 * 0.20 = 0.20; SDR r = 2 -> 0.10; SDRC 0.10 + 0.10 / 2 = 0.15.
# Pruned (a 2 | c 1, d 1): MMR 0.20, SDR 0.10, SDRC 0.10 + 0.10 = 0.20, crossing 0.10.
NO_CROSS = ({"a": (2, 0.10)}, {"c": (1, 0.20)})
# Nothing trades; crossing value = lowest sell 0.20; MMR/SDR fall back to it; pruned: empty -> 0.
ONLY_BUY = ({"a": (2, 0.30), "b": (1, 0.25)}, {})
# Highest buy value 0.30; pruned: empty -> 0.
ONLY_SELL = ({}, {"c": (1, 0.05), "d": (1, 0.04)})
# Lowest sell value 0.04; pruned: 0.
EMPTY = ({}, {})
SELL_PARTLY_AT_CROSS = ({"a": (2, 0.30), "b": (2, 0.04)}, {"c": (3, 0.05)})
# c < a, 3 > 2 -> a accepted; c 0.05 >= b 0.04: cross at 2 kWh with c partly served (2 of 3):
# marginal seller c -> 0.05. MMR/SDR: min_buy 0.04 < max_sell 0.05 -> 0.05.
# Pruned (a 2 | c 2): MMR 0.05 + 0.5 * 0.25 = 0.175, SDR 0.05, SDRC 0.05 + 0.125 = 0.175.

CASES = {
    "cross_at_sell": (CROSS_AT_SELL, {
        "crossing_value": (0.05, 0.05), "mmr": (0.05, 0.125), "sdr": (0.05, 0.05),
        "sdrc": (0.05, 0.125)}, [3, 1, 4, 0]),
    "short_supply": (SHORT_SUPPLY, {
        "crossing_value": (0.25, 0.10), "mmr": (0.175, 0.175), "sdr": (0.025 / 0.205, 0.10),
        "sdrc": (0.04375 / 0.2275, 0.175)}, [3, 0.5, 1, 2.5]),
    "surplus": (SURPLUS, {
        "crossing_value": (0.10, 0.10), "mmr": (0.20, 0.20), "sdr": (0.10, 0.10),
        "sdrc": (0.15, 0.20)}, [2, 0, 1, 1]),
    "no_cross": (NO_CROSS, {m: (0.20, 0.0) for m in ("crossing_value", "mmr", "sdr", "sdrc")},
                 [0, 0, 0, 0]),
    "only_buy": (ONLY_BUY, {m: (0.30, 0.0) for m in ("crossing_value", "mmr", "sdr", "sdrc")},
                 [0, 0, 0, 0]),
    "only_sell": (ONLY_SELL, {m: (0.04, 0.0) for m in ("crossing_value", "mmr", "sdr", "sdrc")},
                  [0, 0, 0, 0]),
    "empty": (EMPTY, {m: (0.0, 0.0) for m in ("crossing_value", "mmr", "sdr", "sdrc")},
              [0, 0, 0, 0]),
    "sell_partly_at_cross": (SELL_PARTLY_AT_CROSS, {
        "crossing_value": (0.05, 0.05), "mmr": (0.05, 0.175), "sdr": (0.05, 0.05),
        "sdrc": (0.05, 0.175)}, [2, 0, 2, 0]),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("mechanism", ["crossing_value", "mmr", "sdr", "sdrc"])
@pytest.mark.parametrize("pruned", [False, True])
def test_hand_worked_price_one_step(case, mechanism, pruned):
    book_spec, expected, _ = CASES[case]
    p = price_book(book_of([book_spec]), mechanism, pruned)
    np.testing.assert_allclose(p.price, [expected[mechanism][int(pruned)]], rtol=1e-12,
                               atol=1e-15)


@pytest.mark.parametrize("mechanism", ["crossing_value", "mmr", "sdr", "sdrc"])
@pytest.mark.parametrize("pruned", [False, True])
def test_all_cases_in_one_vectorised_call(mechanism, pruned):
    # The same hand-worked books stacked as the steps of one horizon give the same prices.
    names = list(CASES)
    p = price_book(book_of([CASES[c][0] for c in names]), mechanism, pruned)
    expected = [CASES[c][1][mechanism][int(pruned)] for c in names]
    np.testing.assert_allclose(p.price, expected, rtol=1e-12, atol=1e-15)


def test_crossing_value_accepted_amounts():
    # Accepted kWh per member from the hand walks above (buy side a, b; sell side c, d).
    names = list(CASES)
    p = clear_pool(book_of([CASES[c][0] for c in names]))
    got = p.buy_kwh + p.sell_kwh
    np.testing.assert_allclose(got, [CASES[c][2] for c in names], atol=1e-12)
    np.testing.assert_allclose(p.buy_kwh.sum(axis=1), p.sell_kwh.sum(axis=1), atol=1e-12)


def test_mmr_accepts_short_side_fully_and_long_side_pro_rata():
    # SHORT_SUPPLY at the MMR price 0.175: every offer is willing; supply 3.5 < demand 5, so the
    # sells are fully accepted and each buy gets 3.5 / 5 = 0.7 of its amount: a 2.1, b 1.4.
    p = mmr(book_of([SHORT_SUPPLY]))
    np.testing.assert_allclose(p.buy_kwh[0], [2.1, 1.4, 0, 0], rtol=1e-12)
    np.testing.assert_allclose(p.sell_kwh[0], [0, 0, 1, 2.5], rtol=1e-12)
    assert not p.fallback[0]
    # CROSS_AT_SELL falls back: accepted as in the clearing (a 3, b 1 | c 4).
    q = mmr(book_of([CROSS_AT_SELL]))
    assert q.fallback[0]
    np.testing.assert_allclose(q.buy_kwh[0] + q.sell_kwh[0], [3, 1, 4, 0], atol=1e-12)


def test_pruned_accepts_exactly_the_cleared_offers():
    # Pruned MMR on SHORT_SUPPLY trades the clearing's amounts (a 3, b 0.5 | c 1, d 2.5).
    p = mmr(book_of([SHORT_SUPPLY]), pruned=True)
    np.testing.assert_allclose(p.buy_kwh[0] + p.sell_kwh[0], [3, 0.5, 1, 2.5], atol=1e-12)
    assert p.pruned and p.book.buy_kwh[0, 1] == 2  # the full book is kept


def test_equal_values_share_a_partly_accepted_level_pro_rata():
    # a and b both bid 2 kWh at 0.30, c sells 3 kWh at 0.05: the sells run out inside the
    # level {a, b}, each gets 3 / 4 of its 2 kWh = 1.5, and the price is that level's 0.30.
    p = clear_pool(single_step_book([("a", 2, 0.30), ("b", 2, 0.30)], [("c", 3, 0.05)]))
    assert p.price[0] == pytest.approx(0.30)
    np.testing.assert_allclose(p.buy_kwh[0], [1.5, 1.5, 0], rtol=1e-12)


def test_increment_separates_close_values():
    # Equal values never trade (0.10 < 0.10 is false); lowest sell 0.10 is the price.
    same = single_step_book([("a", 1, 0.10)], [("c", 1, 0.10)])
    assert clear_pool(same).traded_kwh[0] == 0 and clear_pool(same).price[0] == 0.10
    close = single_step_book([("a", 1, 0.11)], [("c", 1, 0.10)])
    # 0.10 + 0.004 < 0.11 - 0.004 trades 1 kWh at the marginal seller's 0.10 ...
    p = clear_pool(close, increment=0.004)
    assert p.traded_kwh[0] == pytest.approx(1.0) and p.price[0] == pytest.approx(0.10)
    # ... but 0.10 + 0.006 < 0.11 - 0.006 fails: nothing trades.
    assert clear_pool(close, increment=0.006).traded_kwh[0] == 0


def test_sdr_pruned_and_full_named_forms():
    # sdr() with compensation > 0 is SDRC; price_book('sdr') refuses a compensation.
    assert sdr(book_of([SURPLUS]), compensation=0.5).mechanism == "sdrc"
    with pytest.raises(ValueError, match="mechanism 'sdr' has no compensation"):
        price_book(book_of([SURPLUS]), "sdr", compensation=0.3)
    # SDRC with c = 1 on SURPLUS: k = 0.20, r = 2 -> 0.10 + 0.20 / 2 = 0.20.
    assert price_book(book_of([SURPLUS]), "sdrc", compensation=1.0).price[0] == pytest.approx(0.2)


def test_crossing_value_pruned_is_marginal_seller():
    # SHORT_SUPPLY: full 0.25 (partly served buyer), pruned 0.10 (marginal seller d).
    b = book_of([SHORT_SUPPLY])
    assert crossing_value(b).price[0] == pytest.approx(0.25)
    assert crossing_value(b, pruned=True).price[0] == pytest.approx(0.10)


def test_offers_from_net_load_one_offer_per_member():
    # net +2 (buy 2 kWh at 0.3), -1 (sell 1 kWh at 0.05), 0 (no offer).
    b = offers_from_net_load([[2.0, -1.0, 0.0]], 0.3, 0.05, members=["x", "y", "z"])
    assert b.buy_kwh.tolist() == [[2.0, 0.0, 0.0]] and b.sell_kwh.tolist() == [[0.0, 1.0, 0.0]]
    frame = b.to_frame()
    assert list(frame["member"]) == ["x", "y"] and list(frame["side"]) == ["buy", "sell"]


@pytest.mark.parametrize("bad, match", [
    (dict(buy_kwh=[[-1.0]]), "buy_kwh must be >= 0"),
    (dict(buy_value=[[np.nan]]), "buy_value must be finite"),
    (dict(sell_value=[[0.1, 0.2, 0.3]]), "sell_value has shape"),
])
def test_bad_books_raise(bad, match):
    args = dict(buy_kwh=[[1.0]], sell_kwh=[[0.0]], buy_value=[[0.3]], sell_value=[[0.05]])
    args.update(bad)
    with pytest.raises(ValueError, match=match):
        make_book(**args)


@pytest.mark.parametrize("call, match", [
    (lambda b: mmr(b, divisor=1.5), "divisor must be in"),
    (lambda b: sdr(b, compensation=-0.1), "compensation must be in"),
    (lambda b: clear_pool(b, increment=-1), "increment must be"),
    (lambda b: price_book(b, "vickrey"), "mechanism must be one of"),
])
def test_bad_parameters_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call(book_of([SURPLUS]))


def test_sdr_rejects_negative_values():
    b = single_step_book([("a", 1, 0.3)], [("c", 1, -0.02)])
    with pytest.raises(ValueError, match="SDR needs offer values >= 0"):
        sdr(b)


@pytest.mark.parametrize("member_major", [False, True])
def test_given_groups_are_checked_exactly(member_major):
    # Members 0 and 2 share a tariff, member 1 differs in one step by 1e-12: it may not join.
    values = np.array([[0.30, 0.30, 0.30], [0.25, 0.25 + 1e-12, 0.25]])
    if member_major:  # the (member, time) memory layout of ModelInputs, seen as (time, member)
        values = np.asfortranarray(values)
    amounts = np.ones((2, 3))
    ok = make_book(amounts, 0 * amounts, values, 0.05, groups=[0, 1, 0])
    assert ok.n_groups == 2
    with pytest.raises(ValueError, match="groups must join only members with identical"):
        make_book(amounts, 0 * amounts, values, 0.05, groups=[0, 0, 0])
    # Found automatically: members 0 and 2 together, member 1 alone.
    assert make_book(amounts, 0 * amounts, values, 0.05).groups.tolist() == [0, 1, 0]


def test_net_load_errors_name_the_parameter():
    with pytest.raises(ValueError, match="net_load_kwh must be finite"):
        offers_from_net_load([[1.0, np.inf]], 0.3, 0.05)
    with pytest.raises(ValueError, match=r"import_price has shape \(3,\)"):
        offers_from_net_load([[1.0, -1.0]], [0.3, 0.2, 0.1], 0.05)
