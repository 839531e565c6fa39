"""Benchmark of the local-market pricing mechanisms against a per-step Python loop.

The case: ``--members`` members (default 1,000) over ``--steps`` hourly steps (default 8,760, one
year). Each member has a load, 40 % of them rooftop PV, and one of four retail tariffs (flat,
two time-of-use, one dynamic), each with its own export price, so the offer values come from four
tariff groups. Net load sets one buy or one sell offer per member and step.

Timed, for each mechanism (crossing value, MMR, SDR, SDRC) in full and pruned form:

- ``prices + accepted per member`` (the headline): :func:`gridshare.market.price_book` on a
  prebuilt :class:`OfferBook` and the (step, member) float64 array of every member's accepted
  kWh (``Pricing.accepted_kwh``: + bought, - sold; a member has one net position per step, so
  it is a buyer or a seller and one signed array carries both sides; ``buy_kwh`` / ``sell_kwh``
  are derived from it on request), as the loop returns a price and every offer's accepted kWh
  per step. The tariff-group sums are computed once per book and shared by all mechanisms,
  so the best of ``--repeat`` runs on a prebuilt book does not include them (``build inside``
  does, on every run);
- ``prices + group shares``: the same without expanding the shares per tariff group and step
  into member arrays (for reference only);
- ``build inside``: building the book from the net-load and price arrays, pricing, and the
  member arrays;
- ``loop, prebuilt``: a straightforward loop over steps on offer dicts built before the timer
  (``{"origin", "amount", "value"}``): sort, cumulative sums, walk, accepted kWh of every offer
  (a partly accepted level of equal values shared pro rata, the library's rule, so both sides
  return the same numbers; the same 1e-9 kWh tolerance);
- ``loop, build inside``: the same loop building each step's offer dicts inside the timer.

The loops are timed on ``--loop-steps`` steps spread over the horizon (default 1,000; pass the
full number of steps for a full-year loop) and scaled linearly to the horizon, since their work
per step does not depend on the step; like the vectorised runs they keep the best of
``--loop-repeat`` runs, so machine load affects both sides alike. Prices and accepted kWh of the
loop and the vectorised code are compared on those steps.

Run ``python benchmarks/pricing.py --help`` for the flags; the output is a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from gridshare.market import offers_from_net_load, price_book

MECHANISMS = (("crossing_value", {}), ("mmr", {"divisor": 0.5}), ("sdr", {}),
              ("sdrc", {"compensation": 0.5}))


# --- case -------------------------------------------------------------------------------------

def make_case(n_members: int, n_steps: int, seed: int = 1):
    """Net load (kWh) and prices (currency/kWh), member-major (member, step) like ModelInputs."""
    rng = np.random.default_rng(seed)
    hour = np.arange(n_steps) % 24
    day = np.arange(n_steps) // 24
    season = 1.0 + 0.25 * np.cos(2 * np.pi * day / 365.0)
    shape = 0.35 + 0.4 * np.exp(-((hour - 8) ** 2) / 6) + 0.7 * np.exp(-((hour - 19) ** 2) / 5)
    scale = rng.uniform(0.5, 2.0, (n_members, 1))
    load = scale * shape * season * rng.lognormal(0.0, 0.25, (n_members, n_steps))
    sun = np.clip(np.sin(np.pi * (hour - 6) / 12), 0, None) * (1.2 - 0.25 * np.cos(
        2 * np.pi * day / 365.0))
    clouds = rng.uniform(0.3, 1.0, n_steps)
    has_pv = rng.random((n_members, 1)) < 0.4
    pv = has_pv * rng.uniform(2.0, 6.0, (n_members, 1)) * sun * clouds
    net = load - pv
    flat = np.full(n_steps, 0.22)
    tou1 = np.where((hour >= 8) & (hour < 22), 0.27, 0.14)
    tou2 = np.where((hour >= 18) & (hour < 21), 0.35, np.where(hour < 7, 0.12, 0.21))
    dynamic = np.clip(0.18 + 0.06 * np.sin(2 * np.pi * (hour - 15) / 24)
                      + rng.normal(0, 0.02, n_steps), 0.05, None)
    imports = np.stack([flat, tou1, tou2, dynamic])
    exports = np.stack([np.full(n_steps, 0.05), np.full(n_steps, 0.04), 0.4 * tou2,
                        np.clip(dynamic - 0.1, 0.0, None)])
    tariff = rng.integers(0, 4, n_members)
    return net, imports[tariff], exports[tariff]


TOL_KWH = 1e-9
"""Amounts closer than this are equal; offers below it are absent (the library's tolerance)."""

# --- the per-step Python loop -------------------------------------------------------------------

def step_dicts(names, net_t, ip_t, ep_t):
    """One step's offer dicts from its net loads and prices."""
    buys, sells = [], []
    for name, n, ip, ep in zip(names, net_t, ip_t, ep_t, strict=True):
        if n > TOL_KWH:
            buys.append({"origin": name, "amount": n, "value": ip})
        elif n < -TOL_KWH:
            sells.append({"origin": name, "amount": -n, "value": ep})
    return buys, sells


def loop_clear(buys, sells):
    """Crossing value and accepted kWh of one step: sort, cumulative sums, walk."""
    if not buys and not sells:
        return 0.0, {}, {}
    if not sells:
        return max(o["value"] for o in buys), {}, {}
    if not buys:
        return min(o["value"] for o in sells), {}, {}
    s = sorted(sells, key=lambda o: o["value"])
    b = sorted(buys, key=lambda o: o["value"], reverse=True)
    s_cum, total = [], 0.0
    for o in s:
        total += o["amount"]
        s_cum.append(total)
    b_cum, total = [], 0.0
    for o in b:
        total += o["amount"]
        b_cum.append(total)
    i = j = 0
    traded, last = 0.0, None
    while i < len(s) and j < len(b) and s[i]["value"] < b[j]["value"]:
        last = s[i]["value"]
        # Cumulative amounts closer than TOL_KWH are equal (as in the library).
        if s_cum[i] < b_cum[j] - TOL_KWH:
            traded = s_cum[i]
            i += 1
        elif b_cum[j] < s_cum[i] - TOL_KWH:
            traded = b_cum[j]
            j += 1
        else:
            traded = s_cum[i]
            i += 1
            j += 1
    if traded <= TOL_KWH:
        price = s[0]["value"]
    elif i == len(s) and j < len(b) and traded > (b_cum[j - 1] if j else 0.0) + TOL_KWH:
        price = b[j]["value"]
    else:
        price = last
    return price, accept_levels(b, b_cum, traded), accept_levels(s, s_cum, traded)


def accept_levels(offers, cum, traded):
    """Accepted kWh of sorted offers: offers of equal value (a level) share it pro rata."""
    accepted, i, start = {}, 0, 0.0
    while i < len(offers):
        j = i
        while j + 1 < len(offers) and offers[j + 1]["value"] == offers[i]["value"]:
            j += 1
        width = cum[j] - start
        share = min(max((traded - start) / width, 0.0), 1.0) if width > 0 else 0.0
        for o in offers[i:j + 1]:
            accepted[o["origin"]] = o["amount"] * share
        start, i = cum[j], j + 1
    return accepted


def loop_formula(buys, sells, mechanism, divisor=0.5, compensation=0.0):
    """MMR / SDR price and accepted kWh of one step."""
    if not buys or not sells:
        return loop_clear(buys, sells)
    min_buy = min(o["value"] for o in buys)
    max_sell = max(o["value"] for o in sells)
    if min_buy < max_sell:
        return loop_clear(buys, sells)
    supply = sum(o["amount"] for o in sells)
    demand = sum(o["amount"] for o in buys)
    if mechanism == "mmr":
        price = max_sell + divisor * (min_buy - max_sell)
    else:
        k = compensation * (min_buy - max_sell)
        r = supply / demand
        den = (min_buy - max_sell - k) * r + max_sell + k
        price = max_sell + k / r if r >= 1 else (min_buy * (max_sell + k) / den if den > 0
                                                  else max_sell + k)
    traded = min(supply, demand)
    return (price, {o["origin"]: o["amount"] * traded / demand for o in buys},
            {o["origin"]: o["amount"] * traded / supply for o in sells})


def loop_price(buys, sells, mechanism, pruned, params):
    if pruned:
        _, acc_b, acc_s = loop_clear(buys, sells)
        buys = [dict(o, amount=acc_b[o["origin"]]) for o in buys
                if acc_b.get(o["origin"], 0) > TOL_KWH]
        sells = [dict(o, amount=acc_s[o["origin"]]) for o in sells
                 if acc_s.get(o["origin"], 0) > TOL_KWH]
        if not buys or not sells:
            return 0.0, {}, {}
    if mechanism == "crossing_value":
        return loop_clear(buys, sells)
    return loop_formula(buys, sells, "mmr" if mechanism == "mmr" else "sdr", **params)


# --- timing -------------------------------------------------------------------------------------

def best_of(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - started)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=8760)
    parser.add_argument("--loop-steps", type=int, default=1000,
                        help="steps the Python loop is timed on (scaled to --steps)")
    parser.add_argument("--repeat", type=int, default=3, help="vectorised runs (best is kept)")
    parser.add_argument("--loop-repeat", type=int, default=2, help="loop runs (best is kept)")
    args = parser.parse_args()

    net_mt, ip_mt, ep_mt = make_case(args.members, args.steps)
    net, ip, ep = net_mt.T, ip_mt.T, ep_mt.T  # (step, member) views, no copy
    names = [f"m{i}" for i in range(args.members)]
    sample = np.unique(np.linspace(0, args.steps - 1, min(args.loop_steps, args.steps)).astype(int))
    scale = args.steps / len(sample)

    build_s, book = best_of(lambda: offers_from_net_load(net, ip, ep, members=names),
                            args.repeat)
    prebuilt = [step_dicts(names, net[t], ip[t], ep[t]) for t in sample]
    print(f"# Pricing benchmark: {args.members} members x {args.steps} steps, "
          f"{book.n_groups} tariff groups")
    print(f"\nMachine: {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, numpy {np.__version__}. Book build "
          f"(offers_from_net_load): {build_s:.3f} s. Loops timed on {len(sample)} steps, "
          f"x{scale:.2f} to the horizon. Load average at start: "
          f"{', '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores.\n")
    print("| mechanism | form | prices + accepted per member (s) | prices + group shares (s) "
          "| build inside (s) | loop prebuilt (s) | loop build inside (s) | speed-up (per member) "
          "| speed-up (shares) | speed-up build inside | max price diff | max kWh diff |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    index = {name: i for i, name in enumerate(names)}
    for mechanism, params in MECHANISMS:
        for pruned in (False, True):
            def shares(m=mechanism, p=pruned, kw=params):
                return price_book(book, m, p, **kw)

            def per_member(m=mechanism, p=pruned, kw=params):
                r = price_book(book, m, p, **kw)
                return r, r.accepted_kwh

            def build_inside(m=mechanism, p=pruned, kw=params):
                b = offers_from_net_load(net, ip, ep, members=names)
                r = price_book(b, m, p, **kw)
                return r, r.accepted_kwh

            t_arr, (result, accepted) = best_of(per_member, args.repeat)
            acc_b, acc_s = result.buy_kwh, result.sell_kwh  # derived from accepted, untimed
            np.testing.assert_array_equal(acc_b - acc_s, accepted)
            t_vec, _ = best_of(shares, args.repeat)
            t_in, _ = best_of(build_inside, args.repeat)

            def loop_prebuilt(m=mechanism, p=pruned, kw=params):
                return [loop_price(b, s, m, p, kw) for b, s in prebuilt]

            def loop_inside(m=mechanism, p=pruned, kw=params):
                out = []
                for t in sample:
                    b, s = step_dicts(names, net[t], ip[t], ep[t])
                    out.append(loop_price(b, s, m, p, kw))
                return out

            t_loop, loop_out = best_of(loop_prebuilt, args.loop_repeat)
            t_loop_in, _ = best_of(loop_inside, args.loop_repeat)
            t_loop *= scale
            t_loop_in *= scale
            diff = float(np.max(np.abs(result.price[sample] - np.array([o[0] for o in loop_out]))))
            kwh_diff = 0.0
            for row, (_, got_b, got_s) in zip(sample, loop_out, strict=True):
                for got, acc in ((got_b, acc_b), (got_s, acc_s)):
                    if got:
                        cols = [index[k] for k in got]
                        kwh_diff = max(kwh_diff, float(np.max(np.abs(
                            acc[row, cols] - np.fromiter(got.values(), float)))))
            print(f"| {mechanism} | {'pruned' if pruned else 'full'} | {t_arr:.3f} | {t_vec:.3f} "
                  f"| {t_in:.3f} | {t_loop:.2f} | {t_loop_in:.2f} | {t_loop / t_arr:.0f}x "
                  f"| {t_loop / t_vec:.0f}x | {t_loop_in / t_in:.0f}x | {diff:.1e} "
                  f"| {kwh_diff:.1e} |")


if __name__ == "__main__":
    main()
