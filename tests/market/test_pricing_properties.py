"""Invariants of the pricing mechanisms, and equality with a plain per-step reference walk."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridshare.market import make_book, price_book

from .reference import formula_price, pruned_price, walk

AMOUNTS = st.sampled_from([0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.25])
VALUES = st.sampled_from([0.0, 0.04, 0.05, 0.10, 0.12, 0.20, 0.25, 0.30])


@st.composite
def books(draw):
    n_steps = draw(st.integers(1, 5))
    n_members = draw(st.integers(1, 6))
    shape = (n_steps, n_members)

    def matrix(elements):
        return np.array(draw(st.lists(elements, min_size=n_steps * n_members,
                                      max_size=n_steps * n_members))).reshape(shape)

    buy, sell = matrix(AMOUNTS), matrix(AMOUNTS)
    if draw(st.booleans()):  # net-load books: at most one side per member and step
        sell = np.where(buy > 0, 0.0, sell)
    return make_book(buy, sell, matrix(VALUES), matrix(VALUES))


def step_offers(book, t):
    buys = [{"origin": m, "amount": book.buy_kwh[t, k], "value": book.buy_value[t, k]}
            for k, m in enumerate(book.members) if book.buy_kwh[t, k] > 0]
    sells = [{"origin": m, "amount": book.sell_kwh[t, k], "value": book.sell_value[t, k]}
             for k, m in enumerate(book.members) if book.sell_kwh[t, k] > 0]
    return buys, sells


def reference(book, mechanism, pruned, **params):
    prices, acc_b, acc_s = [], np.zeros(book.buy_kwh.shape), np.zeros(book.sell_kwh.shape)
    for t in range(book.n_steps):  # the plain loop the vectorised code must reproduce
        buys, sells = step_offers(book, t)
        if pruned:
            p, b, s = pruned_price(buys, sells, mechanism, **params)
        elif mechanism == "crossing_value":
            p, b, s = walk(buys, sells, params.get("increment", 0.0))
        else:
            p, b, s = formula_price(buys, sells, mechanism, **params)
        prices.append(p)
        for k, m in enumerate(book.members):
            acc_b[t, k] = b.get(m, 0.0)
            acc_s[t, k] = s.get(m, 0.0)
    return np.array(prices), acc_b, acc_s


MECHS = [("crossing_value", {}), ("mmr", {"divisor": 0.5}), ("mmr", {"divisor": 0.2}),
         ("sdr", {"compensation": 0.0}), ("sdrc", {"compensation": 0.4})]


@settings(max_examples=60, deadline=None)
@given(book=books(), which=st.sampled_from(range(len(MECHS))), pruned=st.booleans(),
       increment=st.sampled_from([0.0, 0.0, 0.01]))
def test_vectorised_equals_per_step_reference(book, which, pruned, increment):
    mechanism, params = MECHS[which]
    kw = dict(params, increment=increment)
    got = price_book(book, mechanism, pruned, **kw)
    ref_kw = dict(params, increment=increment) if mechanism != "crossing_value" else kw
    if mechanism == "sdrc":
        ref_kw["compensation"] = params["compensation"]
    price, acc_b, acc_s = reference(book, "sdr" if mechanism == "sdrc" else mechanism, pruned,
                                    **ref_kw)
    np.testing.assert_allclose(got.price, price, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got.buy_kwh, acc_b, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(got.sell_kwh, acc_s, rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(book=books(), which=st.sampled_from(range(len(MECHS))), pruned=st.booleans())
def test_price_between_lowest_sell_and_highest_buy_and_money_balances(book, which, pruned):
    mechanism, params = MECHS[which]
    p = price_book(book, mechanism, pruned, **params)
    # The book whose values bound the price: the full one, or the accepted offers when pruned.
    amounts_b = p.buy_kwh if pruned else book.buy_kwh
    amounts_s = p.sell_kwh if pruned else book.sell_kwh
    for t in range(book.n_steps):
        bv = book.buy_value[t][amounts_b[t] > 1e-9]
        sv = book.sell_value[t][amounts_s[t] > 1e-9]
        bounds = list(bv[[bv.argmax()]]) if bv.size else []
        bounds += list(sv[[sv.argmin()]]) if sv.size else []
        if not bounds:
            assert p.price[t] == 0.0
        else:
            assert min(bounds) - 1e-12 <= p.price[t] <= max(bounds) + 1e-12
    # LEM money: what buyers pay equals what sellers receive, in every step.
    paid = (p.buy_kwh * p.price[:, None]).sum(axis=1)
    received = (p.sell_kwh * p.price[:, None]).sum(axis=1)
    np.testing.assert_allclose(paid, received, atol=1e-9)
    assert (p.buy_kwh <= book.buy_kwh + 1e-12).all() and (p.sell_kwh <= book.sell_kwh + 1e-12).all()


@settings(max_examples=40, deadline=None)
@given(book=books(), which=st.sampled_from(range(len(MECHS))), pruned=st.booleans())
def test_tariff_groups_do_not_change_the_result(book, which, pruned):
    # Sorting per tariff group must give exactly what sorting every member gives.
    mechanism, params = MECHS[which]
    grouped = price_book(book, mechanism, pruned, **params)
    alone = price_book(dataclasses.replace(book, groups=np.arange(book.n_members)), mechanism,
                       pruned, **params)
    np.testing.assert_allclose(grouped.price, alone.price, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grouped.buy_kwh, alone.buy_kwh, atol=1e-12)


def test_large_ungrouped_book_uses_the_searchsorted_path():
    # 80 members with distinct values (80 x 80 > 4096 pairs) and 30 steps against the walk.
    rng = np.random.default_rng(7)
    net = rng.normal(0.0, 1.0, (30, 80)).round(1)
    buy, sell = np.maximum(net, 0), np.maximum(-net, 0)
    bval = (rng.choice([0.18, 0.2, 0.22, 0.25, 0.3], size=(30, 80))
            + rng.integers(0, 3, (30, 80)) * 0.01)
    sval = rng.choice([0.03, 0.05, 0.2, 0.23], size=(30, 80))
    book = make_book(buy, sell, bval, sval)
    assert book.n_groups == 80
    got = price_book(book, "crossing_value")
    price, acc_b, acc_s = reference(book, "crossing_value", False)
    np.testing.assert_allclose(got.price, price, rtol=1e-12)
    np.testing.assert_allclose(got.buy_kwh, acc_b, atol=1e-9)
    np.testing.assert_allclose(got.sell_kwh, acc_s, atol=1e-9)


@pytest.mark.parametrize("n_members", [0])
def test_book_without_members_prices_zero(n_members):
    book = make_book(np.zeros((3, n_members)), np.zeros((3, n_members)), 0.3, 0.05)
    assert price_book(book, "mmr").price.tolist() == [0.0, 0.0, 0.0]
