"""P2P figures: what each figure draws equals the simulation's numbers, worked by hand where small.

The hand case: two homes, one hour per step, no batteries, flat 0.15 / 0.05 per kWh. h0 has 2 kW
of PV and no load at step 0; h1 draws 1 kW at both steps. At step 0 h0 sells h1 1 kWh at the mid
price (0.15 + 0.05) / 2 = 0.10 and exports its other 1 kWh at 0.05; at step 1 h1 imports 1 kWh at
0.15. Wallets: h0 0.15, 0.15; h1 -0.10, -0.25.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridshare.community import CommunityInputs, run_simulation
from gridshare.report.figures import p2p as figs


@pytest.fixture(scope="module")
def hand():
    ci = CommunityInputs.from_arrays([[0.0, 0.0], [1.0, 1.0]], pv_kw=[[2.0, 0.0], [0.0, 0.0]])
    return run_simulation(inputs=ci, strategy="greedy", battery="none")


def test_circle_layout_by_hand():
    pos = figs.circle_layout(["a", "b", "c", "d", "community"])
    # Clockwise from the top: (0, 1), (1, 0), (0, -1), (-1, 0); the community in the centre.
    np.testing.assert_allclose(pos[["x", "y"]].to_numpy(),
                               [[0, 1], [1, 0], [0, -1], [-1, 0], [0, 0]], atol=1e-12)


def test_step_trades_sums_pairs():
    trades = pd.DataFrame({"step": [3, 3, 3, 4], "seller": ["a", "a", "b", "a"],
                           "buyer": ["c", "c", "c", "c"], "kwh": [1.0, 2.0, 0.5, 9.0],
                           "price": [0.1, 0.1, 0.2, 0.1], "amount": [0.1, 0.2, 0.1, 0.9]})
    out = figs.step_trades(trades, 3)
    # Hand: a->c 3 kWh for 0.3 (0.10/kWh), b->c 0.5 kWh for 0.1 (0.20/kWh); largest first.
    assert out[["seller", "buyer"]].values.tolist() == [["a", "c"], ["b", "c"]]
    np.testing.assert_allclose(out["kwh"], [3.0, 0.5])
    np.testing.assert_allclose(out["price"], [0.1, 0.2])
    assert figs.step_trades(trades, 7).empty


def test_trade_network_of_the_hand_case(hand):
    fig = figs.trade_network(hand.replay, hand.trades, 0, currency="EUR")
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert len(arrows) == 1
    # The only trade is the largest: widest arrow, 1 + 9 x 1 kWh / 1 kWh = 10 px, h0's colour.
    assert arrows[0].arrowwidth == pytest.approx(10.0)
    assert arrows[0].arrowcolor == figs.agent_colours(["h0", "h1"])["h0"]
    # It points from h0 (top) down to h1 (bottom).
    assert arrows[0].ay > arrows[0].y
    nodes = fig.data[-1]
    assert list(nodes.marker.symbol) == ["triangle-up", "triangle-down"]
    assert fig.layout.title.text == "Trades at step 0: 1 pairs, 1.000 kWh"
    idle = figs.trade_network(hand.replay, hand.trades, 1)
    assert not [a for a in idle.layout.annotations if a.showarrow]
    with pytest.raises(ValueError, match="step must be in"):
        figs.trade_network(hand.replay, hand.trades, 2)


def test_wallet_timeline_by_hand(hand):
    fig = figs.wallet_timeline(hand.replay, step=1, currency="EUR")
    by_name = {t.name: np.asarray(t.y) for t in fig.data}
    np.testing.assert_allclose(by_name["h0"], [0.15, 0.15], atol=1e-12)
    np.testing.assert_allclose(by_name["h1"], [-0.10, -0.25], atol=1e-12)
    assert len(fig.layout.shapes) == 1  # the playback marker


def test_strategy_comparison_and_ranking(hand):
    summaries = {"baseline": {"total_cost": 2.0, "grid_bought_kwh": 5.0, "grid_sold_kwh": 1.0,
                              "p2p_volume_kwh": 0.0, "self_sufficiency": 0.25,
                              "self_consumption": 0.5, "participation_rate": 0.0},
                 "greedy": hand.summary}
    fig = figs.strategy_comparison(summaries, currency="EUR")
    bars = {(t.name, t.xaxis): list(t.y) for t in fig.data}
    # Shares are drawn in percent.
    assert bars[("self-sufficiency", "x4")][0] == pytest.approx(25.0)
    # Hand case: 1 kWh traded; h1 buys 1 kWh from the grid at step 1.
    assert bars[("traded", "x3")] == pytest.approx([0.0, 1.0])
    assert bars[("bought", "x2")][1] == pytest.approx(1.0)
    table = figs.comparison_frame(summaries)
    assert table.loc["greedy", "total_cost"] == pytest.approx(hand.summary["total_cost"])
    rank = figs.household_ranking(hand.households, "wallet")
    # Largest wallet at the top (plotly draws the first bar at the bottom).
    assert list(rank.data[0].y) == ["h1", "h0"]
    np.testing.assert_allclose(rank.data[0].x, [-0.25, 0.15], atol=1e-12)
    with pytest.raises(ValueError, match="metric must be a column"):
        figs.household_ranking(hand.households, "happiness")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(load=st.lists(st.floats(0.0, 3.0), min_size=6, max_size=6),
       pv=st.lists(st.floats(0.0, 4.0), min_size=6, max_size=6))
def test_network_edges_carry_what_homes_sold(load, pv):
    # Invariant: at every step the arrows' kWh add up to what the homes sold on the P2P market.
    ci = CommunityInputs.from_arrays(np.reshape(load, (3, 2)), pv_kw=np.reshape(pv, (3, 2)))
    r = run_simulation(inputs=ci, strategy="greedy", battery="none", baseline=False)
    for step in range(2):
        edges = figs.step_trades(r.trades, step)
        sold = float(r.replay["p2p_sold_kwh"].isel(step=step).sum())
        assert edges["kwh"].sum() == pytest.approx(sold, abs=1e-9)
        fig = figs.trade_network(r.replay, r.trades, step)
        assert len([a for a in fig.layout.annotations if a.showarrow]) == len(edges)
