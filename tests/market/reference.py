"""Plain per-step reference of the pricing mechanisms, written independently of the package.

The crossing value is found with a literal pointer walk over value levels (offers of equal value
merged), not with the package's vectorised max-min formula; MMR and SDR apply their formulas to
plain Python lists. Used by the tests. ``benchmarks/pricing.py`` keeps its own timed loop (which
also shares tied levels pro rata per member); ``test_pricing_benchmark_reference.py`` checks that
loop against the package step by step.
"""

from __future__ import annotations

TOL = 1e-9


def _levels(offers, descending):
    values = sorted({o["value"] for o in offers}, reverse=descending)
    return values, [sum(o["amount"] for o in offers if o["value"] == v) for v in values]


def walk(buys, sells, increment=0.0):
    """Crossing value and accepted kWh per offer of one step.

    ``buys`` and ``sells`` are lists of ``{"origin", "amount", "value"}`` with amount > 0.
    Returns ``(price, accepted_buys, accepted_sells)``, the latter two dicts origin -> kWh.
    """
    if not buys and not sells:
        return 0.0, {}, {}
    if not sells:
        return max(o["value"] for o in buys), {}, {}
    if not buys:
        return min(o["value"] for o in sells), {}, {}
    s_val, s_amt = _levels(sells, descending=False)
    b_val, b_amt = _levels(buys, descending=True)
    i = j = 0
    s_end, b_end = s_amt[0], b_amt[0]
    traded, last_sell = 0.0, None
    while (i < len(s_val) and j < len(b_val)
           and s_val[i] + increment < b_val[j] - increment):
        last_sell = s_val[i]  # this sell level trades a positive amount with buy level j
        if s_end < b_end - TOL:
            traded = s_end
            i += 1
            s_end += s_amt[i] if i < len(s_val) else 0.0
        elif b_end < s_end - TOL:
            traded = b_end
            j += 1
            b_end += b_amt[j] if j < len(b_val) else 0.0
        else:
            traded = s_end
            i += 1
            j += 1
            s_end += s_amt[i] if i < len(s_val) else 0.0
            b_end += b_amt[j] if j < len(b_val) else 0.0
    if traded <= TOL:
        price = s_val[0]
    else:
        price = last_sell
        if i == len(s_val) and j < len(b_val):
            served = traded - (b_end - b_amt[j])
            if served > TOL:  # the sells ran out while buy level j is only partly served
                price = b_val[j]

    def accepted(offers, values, amounts):
        out, start = {}, 0.0
        share = {}
        for v, a in zip(values, amounts, strict=True):
            share[v] = min(max((traded - start) / a, 0.0), 1.0)
            start += a
        for o in offers:
            out[o["origin"]] = o["amount"] * share[o["value"]]
        return out

    return price, accepted(buys, b_val, b_amt), accepted(sells, s_val, s_amt)


def formula_price(buys, sells, mechanism, divisor=0.5, compensation=0.0, increment=0.0):
    """MMR / SDR price and accepted kWh of one step (full form)."""
    if not buys or not sells:
        return walk(buys, sells, increment)
    min_buy = min(o["value"] for o in buys)
    max_sell = max(o["value"] for o in sells)
    if min_buy < max_sell:
        return walk(buys, sells, increment)
    supply = sum(o["amount"] for o in sells)
    demand = sum(o["amount"] for o in buys)
    if mechanism == "mmr":
        price = max_sell + divisor * (min_buy - max_sell)
    else:
        k = compensation * (min_buy - max_sell)
        r = supply / demand
        if r >= 1:
            price = max_sell + k / r
        else:
            den = (min_buy - max_sell - k) * r + max_sell + k
            price = min_buy * (max_sell + k) / den if den > 0 else max_sell + k
    traded = min(supply, demand)
    return (price, {o["origin"]: o["amount"] * traded / demand for o in buys},
            {o["origin"]: o["amount"] * traded / supply for o in sells})


def pruned_price(buys, sells, mechanism, **params):
    """The mechanism applied to the offers the pool clearing accepts."""
    increment = params.get("increment", 0.0)
    _, acc_b, acc_s = walk(buys, sells, increment)
    pb = [dict(o, amount=acc_b[o["origin"]]) for o in buys if acc_b.get(o["origin"], 0) > TOL]
    ps = [dict(o, amount=acc_s[o["origin"]]) for o in sells if acc_s.get(o["origin"], 0) > TOL]
    if not pb or not ps:
        return 0.0, {}, {}
    if mechanism == "crossing_value":
        return walk(pb, ps, increment)
    return formula_price(pb, ps, mechanism, **params)
