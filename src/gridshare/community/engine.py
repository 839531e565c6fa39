"""The time-stepped engine: agents decide, the market clears, energy and money move.

At every step ``t`` each agent decides with what it knows then: its metered net load of the step
(a real-time controller) and forecasts of the steps ahead (from values observed before ``t``).
Then the battery flows happen (clipped to what the battery can do), agents offer their residual
to the P2P market, the market prices and matches the offers (:mod:`.matching`), unmatched energy
goes to the grid, and money moves: buyers pay the local price to sellers, the grid is paid at
its import price and pays its export price. Everything is vectorised across agents; the only
loop is over steps, which is inherent (decisions depend on the state the previous step left).

Per agent and step the energy balance closes exactly (kWh)::

    pv + discharge + p2p_bought + grid_import == load + charge + p2p_sold + grid_export

and the market balances money: ``sum(price * p2p_bought) == sum(price * p2p_sold)``.
"""

from __future__ import annotations

import time as _time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gridshare.community.forecast import make_forecaster, steps_per_day
from gridshare.community.ledger import Ledger
from gridshare.community.matching import PRICE_ESTIMATORS, clear_step, pair_trades
from gridshare.community.scenario import CommunityInputs
from gridshare.community.storage import ARRANGEMENTS, Storage
from gridshare.community.strategies import OPERATOR, STRATEGIES, ConvexPlanner

COMMUNITY_AGENT = "community"
"""Agent name of the community (owner of a central battery)."""

FLOWS = ("load_kwh", "pv_kwh", "battery_charge_kwh", "battery_discharge_kwh", "grid_import_kwh",
         "grid_export_kwh", "p2p_bought_kwh", "p2p_sold_kwh", "grid_cost", "grid_revenue",
         "p2p_paid", "p2p_received")
"""Quantities recorded per agent and step (kWh, currency)."""

TRADE_TOL_KWH = 1e-9

TRADE_MATRIX_MAX_AGENTS = 100
"""Up to this many agents the replay also holds ``trade_kwh`` by (step, seller, buyer)."""


def _trade_matrix(trades: pd.DataFrame, agents: list[str], steps: int) -> xr.DataArray:
    """Energy traded per step from each seller to each buyer, kWh (the network graph's edges)."""
    pos = {a: i for i, a in enumerate(agents)}
    out = np.zeros((steps, len(agents), len(agents)))
    if len(trades):
        np.add.at(out, (trades["step"].to_numpy(int), trades["seller"].map(pos).to_numpy(int),
                        trades["buyer"].map(pos).to_numpy(int)), trades["kwh"].to_numpy(float))
    return xr.DataArray(out, dims=("step", "seller", "buyer"),
                        coords={"step": np.arange(steps), "seller": agents, "buyer": agents},
                        attrs={"units": "kWh"})


def build_storage(inputs: CommunityInputs, arrangement: str) -> Storage:
    """Battery accounts of ``inputs`` under a battery arrangement.

    ``"individual"`` uses each home's battery; ``"central"`` and ``"shared"`` use the community
    battery of the inputs or, without one, pool the homes' batteries into one; a shared
    battery without given shares is split equally between all homes.
    """
    n = inputs.n_homes
    keys = ("efficiency", "soc_initial", "soc_min", "soc_max")
    if arrangement == "individual":
        return Storage.build("individual", n, inputs.battery_kwh, inputs.battery_kw,
                             **{k: getattr(inputs, k) for k in keys})
    if arrangement == "none":
        return Storage.build("none", n)
    if arrangement not in ARRANGEMENTS:
        raise ValueError(f"battery must be one of {ARRANGEMENTS}; got {arrangement!r}")
    cb = inputs.community_battery or {"energy_kwh": float(inputs.battery_kwh.sum()),
                                      "power_kw": float(inputs.battery_kw.sum())}
    common = {k: float(cb.get(k, np.mean(getattr(inputs, k)))) for k in keys}
    shares = None
    if arrangement == "shared":
        shares = inputs.shares if inputs.shares is not None else np.full(n, 1.0 / n)
    return Storage.build(arrangement, n, cb["energy_kwh"], cb["power_kw"], shares=shares,
                         **common)


def _strategies(strategy: str | Sequence[str], n: int) -> np.ndarray:
    names = [strategy] * n if isinstance(strategy, str) else [str(s) for s in strategy]
    if len(names) != n:
        raise ValueError(f"strategy must be one name or one per home ({n}); got {len(names)}")
    bad = sorted({s for s in names if s not in STRATEGIES})
    if bad:
        raise ValueError(f"strategy must be one of {STRATEGIES}; got {bad}")
    return np.asarray(names, dtype=object)


@dataclass
class ScenarioRun:
    """One simulated scenario.

    Attributes
    ----------
    name : str
    agents : list of str
        Homes, then ``"community"`` when a central battery exists.
    strategies : numpy.ndarray
        Strategy of each home.
    totals : pandas.DataFrame
        Per agent (index) the sum over steps of every :data:`FLOWS` quantity.
    replay : xarray.Dataset or None
        Full state per (step, agent) when recorded.
    trades : pandas.DataFrame
        Bilateral trades: ``step``, ``seller``, ``buyer``, ``kwh``, ``price``, ``amount``.
    ledger : Ledger or None
    traded_steps : numpy.ndarray
        Steps in which each agent traded.
    step_participation : numpy.ndarray
        Share of homes trading, per step.
    prices : numpy.ndarray
        Local price per step, currency/kWh.
    forecast_errors : pandas.DataFrame
        MAE and RMSE of the forecasts the agents used (empty when none were used).
    elapsed_s : float
        Wall time of the step loop, s.
    """

    name: str
    agents: list[str]
    strategies: np.ndarray
    totals: pd.DataFrame
    replay: xr.Dataset | None
    trades: pd.DataFrame
    ledger: Ledger | None
    traded_steps: np.ndarray
    step_participation: np.ndarray
    prices: np.ndarray
    forecast_errors: pd.DataFrame
    elapsed_s: float
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def cost(self) -> pd.Series:
        """Net cost per agent over the horizon, currency (negative = net income)."""
        t = self.totals
        return (t["grid_cost"] - t["grid_revenue"] + t["p2p_paid"] - t["p2p_received"]).rename(
            "cost")


def simulate(inputs: CommunityInputs, *, strategy: str | Sequence[str] = "greedy",
             battery: str = "individual", price: str = "mid", forecaster: str = "perfect",
             horizon: int | None = None, central_strategy: str | None = None,
             record: bool = True, ledger: bool = True, solve_options: Any = None,
             name: str | None = None) -> ScenarioRun:
    """Run one scenario step by step.

    Parameters
    ----------
    inputs : CommunityInputs
    strategy : str or sequence of str
        One of :data:`~gridshare.community.strategies.STRATEGIES` for all homes, or one per home.
    battery : str
        Battery arrangement, one of :data:`~gridshare.community.storage.ARRANGEMENTS`.
    price : str
        Local price estimator, one of :data:`~gridshare.community.matching.PRICE_ESTIMATORS`.
    forecaster : str
        Forecaster of load, PV and prices for convex agents (see :mod:`.forecast`).
    horizon : int, optional
        Convex look-ahead window, steps (default one day of steps).
    central_strategy : str, optional
        How the community dispatches a central battery: ``"greedy"`` (absorb the community's
        unmatched surplus, cover its unmatched deficit) or ``"convex"`` (an operator model of the
        community's aggregate net load); default ``"convex"`` when every home is convex, idle
        when every home is baseline, else ``"greedy"``.
    record : bool
        Keep the full replay (state per step and agent). Off for long benchmarks.
    ledger : bool
        Record trades in a hash-chained :class:`~gridshare.community.ledger.Ledger`.
    solve_options : gridshare.model.SolveOptions, optional
    name : str, optional

    Returns
    -------
    ScenarioRun
    """
    inputs.validate()
    if price not in PRICE_ESTIMATORS:
        raise ValueError(f"price must be one of {PRICE_ESTIMATORS}; got {price!r}")
    n, steps, dt, h0 = inputs.n_homes, inputs.n_steps, inputs.step_hours, inputs.history_steps
    strat = _strategies(strategy, n)
    greedy, convex, trading = strat == "greedy", strat == "convex", strat != "baseline"
    storage = build_storage(inputs, battery)
    central = storage.arrangement == "central"
    if central_strategy is None:
        central_strategy = ("convex" if convex.all() else "idle" if not trading.any()
                            else "greedy")
    if central_strategy not in ("greedy", "convex", "idle"):
        raise ValueError(f"central_strategy must be 'greedy', 'convex' or 'idle'; got "
                         f"{central_strategy!r}")
    day = steps_per_day(inputs.times)
    horizon = day if horizon is None else int(horizon)
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1 step; got {horizon}")
    n_agents = n + int(central)
    agents = [*inputs.homes, *([COMMUNITY_AGENT] if central else [])]
    offer_mask = np.concatenate([trading, [True] * int(central)])

    load_all, pv_all = inputs.load_kwh, inputs.pv_kwh
    imp_all, exp_all = inputs.import_price, inputs.export_price
    zeros_c = np.zeros(int(central))

    # Per-account facts used by the convex planner.
    home_acc = not central and storage.n_accounts == n
    target = storage.initial_fraction.copy()
    use_convex_homes = home_acc and convex.any()
    use_convex_central = central and central_strategy == "convex"
    forecasting = use_convex_homes or use_convex_central
    fcs: dict[str, Any] = {}
    err_sums: dict[str, np.ndarray] = {}
    if forecasting:
        for key, truth, nonneg in (("load", load_all, True), ("pv", pv_all, True),
                                   ("import_price", imp_all, False),
                                   ("export_price", exp_all, False)):
            fcs[key] = make_forecaster(forecaster, truth.T, nonnegative=nonneg, steps_day=day)
            err_sums[key] = np.zeros(3)  # sum |e|, sum e^2, count
    convex_idx = np.flatnonzero(convex)
    convex_names = [inputs.homes[i] for i in convex_idx]
    home_planner = ConvexPlanner(solve_options)
    operator_planner = ConvexPlanner(solve_options)

    totals = {k: np.zeros(n_agents) for k in FLOWS}
    rec = {k: np.zeros((steps, n_agents)) for k in (*FLOWS, "soc_kwh")} if record else None
    prices = np.zeros(steps)
    traded_steps = np.zeros(n_agents, dtype=np.int64)
    participation = np.zeros(steps)
    trade_parts: list[tuple[np.ndarray, ...]] = []
    chain = Ledger() if ledger else None
    want_pairs = record or ledger
    agent_names = np.asarray(agents, dtype=object)

    started = _time.perf_counter()
    for t in range(steps):
        row = h0 + t
        load, pv = load_all[row], pv_all[row]
        imp, exp = imp_all[row], exp_all[row]
        net = load - pv
        home_ch = np.zeros(n)
        home_dis = np.zeros(n)
        forecasts = None
        if forecasting:
            window = min(horizon, steps - t)
            past_t, fut_t = inputs.times[:row], inputs.times[row:row + window]
            forecasts = {k: fcs[k].predict(src[:row].T, past_t, fut_t)
                         for k, src in (("load", load_all), ("pv", pv_all),
                                        ("import_price", imp_all), ("export_price", exp_all))}
            for k, src in (("load", load_all), ("pv", pv_all), ("import_price", imp_all),
                           ("export_price", exp_all)):
                err = forecasts[k] - src[row:row + window].T
                err_sums[k] += (np.abs(err).sum(), (err ** 2).sum(), err.size)
        if home_acc:
            ch_req = np.where(greedy, np.maximum(-net, 0.0), 0.0)
            dis_req = np.where(greedy, np.maximum(net, 0.0), 0.0)
            if use_convex_homes:
                f, sel, acc = forecasts, convex_idx, storage
                with np.errstate(invalid="ignore", divide="ignore"):
                    cap = np.maximum(acc.energy_kwh[sel], 1e-300)
                    spec = {"energy_kwh": acc.energy_kwh[sel], "charge_kw": acc.charge_kw[sel],
                            "discharge_kw": acc.discharge_kw[sel],
                            "charge_efficiency": acc.charge_efficiency[sel],
                            "discharge_efficiency": acc.discharge_efficiency[sel],
                            "soc_min": acc.soc_min_kwh[sel] / cap,
                            "soc_max": acc.soc_max_kwh[sel] / cap,
                            "soc_initial": acc.soc_kwh[sel] / cap, "soc_final": target[sel]}
                c, d = home_planner.plan(convex_names, f["load"][sel] / dt,
                                         f["pv"][sel] / dt, f["import_price"][sel],
                                         f["export_price"][sel], dt, spec, pad_to=horizon)
                ch_req[sel], dis_req[sel] = c, d
            home_ch, home_dis = storage.apply(ch_req, dis_req, dt)
        residual = net + home_ch - home_dis
        buy, sell = np.maximum(residual, 0.0), np.maximum(-residual, 0.0)
        if central:
            c_ch = c_dis = 0.0
            if central_strategy == "greedy":
                gap = float(buy[trading].sum() - sell[trading].sum())
                c_ch, c_dis = max(-gap, 0.0), max(gap, 0.0)
            elif central_strategy == "convex":
                f, tr = forecasts, trading
                spec = {"energy_kwh": storage.energy_kwh, "charge_kw": storage.charge_kw,
                        "discharge_kw": storage.discharge_kw,
                        "charge_efficiency": storage.charge_efficiency,
                        "discharge_efficiency": storage.discharge_efficiency,
                        "soc_min": storage.soc_min_kwh / np.maximum(storage.energy_kwh, 1e-300),
                        "soc_max": storage.soc_max_kwh / np.maximum(storage.energy_kwh, 1e-300),
                        "soc_initial": storage.initial_fraction, "soc_final": target}
                cc, dd = operator_planner.plan([OPERATOR], f["load"][tr].sum(0)[None] / dt,
                                               f["pv"][tr].sum(0)[None] / dt,
                                               f["import_price"].mean(0)[None],
                                               f["export_price"].mean(0)[None], dt, spec,
                                               pad_to=horizon)
                c_ch, c_dis = float(cc[0]), float(dd[0])
            cch, cdis = storage.apply(np.array([c_ch]), np.array([c_dis]), dt)
            buy = np.concatenate([buy, cch])
            sell = np.concatenate([sell, cdis])
            imp = np.concatenate([imp, [imp.mean()]])
            exp = np.concatenate([exp, [exp.mean()]])
            charge = np.concatenate([home_ch, cch])
            discharge = np.concatenate([home_dis, cdis])
            load_a = np.concatenate([load, zeros_c])
            pv_a = np.concatenate([pv, zeros_c])
        else:
            charge, discharge, load_a, pv_a = home_ch, home_dis, load, pv
        clearing = clear_step(np.where(offer_mask, buy, 0.0), np.where(offer_mask, sell, 0.0),
                              imp, exp, price)
        p = clearing.price
        bought, sold = clearing.bought_kwh, clearing.sold_kwh
        gi, ge = buy - bought, sell - sold
        values = (load_a, pv_a, charge, discharge, gi, ge, bought, sold, imp * gi, exp * ge,
                  p * bought, p * sold)
        for key, val in zip(FLOWS, values, strict=True):
            totals[key] += val
        active = (bought + sold) > TRADE_TOL_KWH
        traded_steps += active
        participation[t] = active[:n].mean()
        prices[t] = p
        if rec is not None:
            for key, val in zip(FLOWS, values, strict=True):
                rec[key][t] = val
            if central:
                rec["soc_kwh"][t, n] = storage.soc_kwh[0]
            elif storage.n_accounts:
                rec["soc_kwh"][t, :n] = storage.soc_kwh
        if want_pairs and active.any():
            s_idx, b_idx, kwh = pair_trades(sold, bought)
            if len(kwh):
                trade_parts.append((np.full(len(kwh), t), s_idx, b_idx, kwh, np.full(len(kwh), p)))
                if chain is not None:
                    chain.append(t, [{"seller": agents[s], "buyer": agents[b], "kwh": float(e),
                                      "price": p, "amount": float(e) * p}
                                     for s, b, e in zip(s_idx, b_idx, kwh, strict=True)])
    elapsed = _time.perf_counter() - started

    if trade_parts:
        cols = [np.concatenate(c) for c in zip(*trade_parts, strict=True)]
        trades = pd.DataFrame({"step": cols[0], "seller": agent_names[cols[1]],
                               "buyer": agent_names[cols[2]], "kwh": cols[3], "price": cols[4]})
        trades["amount"] = trades["kwh"] * trades["price"]
    else:
        trades = pd.DataFrame({"step": pd.Series(dtype=int), "seller": pd.Series(dtype=object),
                               "buyer": pd.Series(dtype=object), "kwh": pd.Series(dtype=float),
                               "price": pd.Series(dtype=float), "amount": pd.Series(dtype=float)})
    errors = pd.DataFrame(
        {k: {"mae": v[0] / v[2], "rmse": float(np.sqrt(v[1] / v[2])), "n": int(v[2])}
         for k, v in err_sums.items() if v[2] > 0}).T
    if len(errors):
        errors["n"] = errors["n"].astype(int)
        errors.index.name = "quantity"
        errors.insert(0, "forecaster", forecaster)
    replay = None
    if rec is not None:
        replay = _replay(inputs, agents, rec, prices, imp_all[h0:], exp_all[h0:], central)
        if n_agents <= TRADE_MATRIX_MAX_AGENTS:
            replay["trade_kwh"] = _trade_matrix(trades, agents, steps)
        replay.attrs.update({"strategy": ",".join(sorted(set(strat))), "battery": battery,
                             "price_estimator": price})
    return ScenarioRun(name=name or ("baseline" if not trading.any() else str(strategy)),
                       agents=agents, strategies=strat,
                       totals=pd.DataFrame(totals, index=pd.Index(agents, name="agent")),
                       replay=replay, trades=trades, ledger=chain, traded_steps=traded_steps,
                       step_participation=participation, prices=prices, forecast_errors=errors,
                       elapsed_s=elapsed,
                       attrs={"battery": storage.arrangement, "price": price,
                              "central_strategy": central_strategy if central else None,
                              "horizon": horizon, "steps": steps, "homes": n,
                              "model_builds": home_planner.builds + operator_planner.builds,
                              "model_solves": home_planner.solves + operator_planner.solves,
                              "final_soc_kwh": storage.soc_kwh.copy(),
                              "initial_soc_kwh": build_storage(inputs, battery).soc_kwh})


def _replay(inputs: CommunityInputs, agents: list[str], rec: dict[str, np.ndarray],
            prices: np.ndarray, imp: np.ndarray, exp: np.ndarray, central: bool) -> xr.Dataset:
    from gridshare.timeindex import utc_naive

    steps = inputs.n_steps
    coords = {"step": np.arange(steps), "agent": agents,
              "time": ("step", utc_naive(inputs.sim_times))}
    data = {k: (("step", "agent"), v) for k, v in rec.items()}
    extra = np.repeat(imp.mean(axis=1, keepdims=True), int(central), axis=1)
    data["import_price"] = (("step", "agent"), np.concatenate([imp, extra], axis=1))
    extra = np.repeat(exp.mean(axis=1, keepdims=True), int(central), axis=1)
    data["export_price"] = (("step", "agent"), np.concatenate([exp, extra], axis=1))
    ds = xr.Dataset(data, coords=coords)
    ds["cost"] = ds["grid_cost"] - ds["grid_revenue"] + ds["p2p_paid"] - ds["p2p_received"]
    ds["wallet"] = -ds["cost"].cumsum("step")
    ds["local_price"] = ("step", prices)
    for name in ds.data_vars:
        unit = "kWh" if name.endswith("_kwh") else "currency/kWh" if "price" in name \
            else "currency"
        ds[name].attrs["units"] = unit
    ds.attrs["timezone"] = str(inputs.times.tz)
    ds.attrs["step_hours"] = inputs.step_hours
    return ds
