"""The benchmark's per-step dict loop and the vectorised mechanisms agree on its own case."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from gridshare.market import offers_from_net_load, price_book

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "pricing.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("pricing_benchmark", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("pruned", [False, True])
def test_loop_and_vectorised_prices_agree(bench, pruned):
    # 40 members x 48 steps of the benchmark case, four tariff groups; the loop sorts dicts,
    # walks them and shares a partly accepted level of equal values pro rata, as the library
    # does: the same price and the same accepted kWh for every member (an independent,
    # per-step formulation of the same rules).
    net, ip, ep = bench.make_case(40, 48, seed=3)
    book = offers_from_net_load(net.T, ip.T, ep.T, members=[f"m{i}" for i in range(40)])
    assert book.n_groups == 4
    for mechanism, params in bench.MECHANISMS:
        vector = price_book(book, mechanism, pruned, **params)
        loop = []
        for t in range(48):
            buys, sells = bench.step_dicts(list(book.members), net.T[t], ip.T[t], ep.T[t])
            price, acc_b, acc_s = bench.loop_price(buys, sells, mechanism, pruned, params)
            loop.append(price)
            # Same accepted energy of every member, and the loop's money balances too.
            for got, acc in ((acc_b, vector.buy_kwh), (acc_s, vector.sell_kwh)):
                cols = [list(book.members).index(k) for k in got]
                np.testing.assert_allclose(acc[t, cols], list(got.values()), atol=1e-12)
                assert acc[t].sum() == pytest.approx(sum(got.values()), abs=1e-9)
            assert sum(acc_b.values()) == pytest.approx(sum(acc_s.values()), abs=1e-9)
        np.testing.assert_allclose(vector.price, loop, rtol=1e-12, atol=1e-15)
