"""Why the optimum looks as it does: binding constraint families and shadow prices.

A family *binds* at a row when its shadow price is non-zero (beyond ``tol``) or, for variable
bounds, when a flow sits at its rating. Shadow prices are in currency per kWh (see
:attr:`Result.duals`); the value of stored energy is minus the dual of ``battery_soc``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridshare.model.inputs import COMMUNITY
from gridshare.model.result import Result

TOL = 1e-7


@dataclass
class Finding:
    """One statement about a member at a step.

    Attributes
    ----------
    family : str
        Constraint family (or variable-bound family) it is about.
    binding : bool
    dual : float
        Shadow price, currency/kWh (NaN when there is none).
    sentence : str
    """

    family: str
    binding: bool
    dual: float
    sentence: str


def _dual(result: Result, family: str, **where) -> float:
    if family not in result.duals:
        return float("nan")
    da = result.duals[family]
    sel = {k: v for k, v in where.items() if k in da.dims}
    try:
        value = da.sel(sel)
    except KeyError:
        return float("nan")
    return float(value.values.ravel()[0]) if value.size == 1 else float(np.abs(value).max())


def _at(result: Result, name: str, **where) -> float:
    da = result.solution[name]
    return float(da.sel({k: v for k, v in where.items() if k in da.dims}).values)


def _price_source(value: float, imp: float, exp: float) -> str:
    if np.isnan(value):
        return ""
    if abs(value - imp) < 1e-6:
        return " (set by the import price)"
    if abs(value - exp) < 1e-6:
        return " (set by the export price)"
    return " (set inside the community, between the export and import prices)" \
        if exp < value < imp else " (set by a local limit)"


def explain(result: Result, member: str, step: int | pd.Timestamp) -> list[Finding]:
    """Findings about ``member`` at ``step`` (an integer position or a time label).

    Covers the grid connection, batteries, generators, flexible load, the pool or bilateral
    trades, curtailment, shedding, reserves and the POI.

    Examples
    --------
    >>> from gridshare.model import ModelInputs, build_model, solve
    >>> r = solve(build_model(ModelInputs.from_arrays([[2.0]], import_price=0.2), "individual"))
    >>> print(explain(r, "m0", 0)[0].sentence)  # doctest: +NORMALIZE_WHITESPACE
    m0 imports 2 kW at 0.2/kWh and exports 0 kW at 0.05/kWh;
    energy is worth 0.2/kWh here (set by the import price)
    """
    sol = result.solution
    members = [str(m) for m in sol["member"].values]
    if member not in members:
        raise ValueError(f"member {member!r} is not one of {members}")
    times = pd.DatetimeIndex(sol["time"].values)
    if isinstance(step, int | np.integer):
        if not 0 <= int(step) < len(times):
            raise ValueError(f"step {step} is outside 0..{len(times) - 1}")
        t = times[int(step)]
    else:
        t = pd.Timestamp(step)
        if t.tzinfo is not None:
            t = t.tz_convert("UTC").tz_localize(None)
        if t not in times:
            raise ValueError(f"step {step} is not a time label of the result")
    at = {"member": member, "time": t}
    out: list[Finding] = []
    imp_p, exp_p = _at(result, "import_price", **at), _at(result, "export_price", **at)
    lam = _dual(result, "power_balance", **at)
    imp, exp = _at(result, "grid_import", **at), _at(result, "grid_export", **at)
    out.append(Finding("power_balance", not np.isnan(lam), lam,
                       f"{member} imports {imp:.4g} kW at {imp_p:.4g}/kWh and exports {exp:.4g} "
                       f"kW at {exp_p:.4g}/kWh; energy is worth {lam:.4g}/kWh here"
                       f"{_price_source(lam, imp_p, exp_p)}"))
    imp_lim = float(sol["grid_import_limit_kw"].sel(member=member))
    exp_lim = float(sol["grid_export_limit_kw"].sel(member=member))
    if np.isfinite(imp_lim) and imp >= imp_lim - 1e-6:
        out.append(Finding("grid_import_limit", True, float("nan"),
                           f"import limited by the connection limit {imp_lim:.4g} kW"))
    if np.isfinite(exp_lim) and exp >= exp_lim - 1e-6:
        out.append(Finding("grid_export_limit", True, float("nan"),
                           f"export limited by the connection limit {exp_lim:.4g} kW"))
    for fam in ("grid_kva", "grid_power_factor_lagging", "grid_power_factor_leading"):
        d = _dual(result, fam, **at)
        if not np.isnan(d) and abs(d) > TOL:
            out.append(Finding(fam, True, d, f"{fam.replace('_', ' ')} binds "
                               f"(shadow price {d:.4g}/kWh)"))
    out += _battery_findings(result, member, t, lam)
    out += _generator_findings(result, member, t, lam)
    out += _flexible_findings(result, member, t, lam)
    out += _exchange_findings(result, member, t)
    if "curtail" in sol:
        c = _at(result, "curtail", **at)
        if c > 1e-6:
            out.append(Finding("curtailment", True, lam, f"curtails {c:.4g} kW: one more kWh is "
                               f"worth {lam:.4g}/kWh here, no more than the curtailment penalty"))
    if "shed" in sol:
        s = _at(result, "shed", **at)
        if s > 1e-6:
            out.append(Finding("shedding", True, lam, f"sheds {s:.4g} kW: the marginal price "
                               f"{lam:.4g}/kWh reaches the value of lost load"))
    out += _reserve_findings(result, member, t)
    for fam in ("poi_import_limit", "poi_export_limit", "poi_kva", "poi_power_factor_lagging",
                "poi_power_factor_leading"):
        d = _dual(result, fam, time=t)
        if not np.isnan(d) and abs(d) > TOL:
            out.append(Finding(fam, True, d, f"the community POI binds ({fam.replace('_', ' ')}, "
                               f"shadow price {d:.4g}/kWh)"))
    return out


def _owned(sol, dim: str, member: str) -> list[str]:
    if dim not in sol.dims:
        return []
    owners = sol[f"{dim}_owner"].values
    return [str(a) for a, o in zip(sol[dim].values, owners, strict=True)
            if o == member or o == COMMUNITY]


def _battery_findings(result: Result, member: str, t, lam: float) -> list[Finding]:
    sol, out = result.solution, []
    for b in _owned(sol, "battery", member):
        ch = float(sol["battery_charge"].sel(battery=b, time=t))
        dis = float(sol["battery_discharge"].sel(battery=b, time=t))
        soc = float(sol["battery_soc"].sel(battery=b, time=t))
        value = -_dual(result, "battery_soc", battery=b, time=t)
        limits = []
        if ch > 1e-6 and ch >= float(sol["battery_charge_kw"].sel(battery=b)) - 1e-6:
            limits.append("charge power")
        if dis > 1e-6 and dis >= float(sol["battery_discharge_kw"].sel(battery=b)) - 1e-6:
            limits.append("discharge power")
        if soc >= float(sol["battery_soc_max_kwh"].sel(battery=b)) - 1e-6:
            limits.append("SOC at its maximum")
        if soc <= float(sol["battery_soc_min_kwh"].sel(battery=b)) + 1e-6:
            limits.append("SOC at its minimum")
        why = f"; limited by {', '.join(limits)}" if limits else ""
        if ch > 1e-6:
            text = (f"battery {b} charges {ch:.4g} kW: energy here {lam:.4g} < shadow value of "
                    f"stored energy {value:.4g}{why}")
        elif dis > 1e-6:
            text = (f"battery {b} discharges {dis:.4g} kW: energy here {lam:.4g} > shadow value of "
                    f"stored energy {value:.4g}{why}")
        else:
            text = f"battery {b} idles at {soc:.4g} kWh (stored energy worth {value:.4g}/kWh){why}"
        out.append(Finding("battery_soc", bool(limits) or abs(value) > TOL, value, text))
    return out


def _generator_findings(result: Result, member: str, t, lam: float) -> list[Finding]:
    sol, out = result.solution, []
    for g in _owned(sol, "generator", member):
        p = float(sol["gen_power"].sel(generator=g, time=t))
        cost = float(sol["gen_fuel_cost_per_kwh"].sel(generator=g)
                     + sol["gen_vom_cost_per_kwh"].sel(generator=g))
        cap = float(sol["gen_capacity_kw"].sel(generator=g))
        pmin = float(sol["gen_min_stable_kw"].sel(generator=g))
        on = float(sol["gen_on"].sel(generator=g, time=t)) if (
            "gen_on" in sol and g in sol["gen_on"]["generator"].values) else float(p > 0)
        if on < 0.5:
            text, fam = f"generator {g} is off (energy cost {cost:.4g}/kWh)", "generator_capacity"
        elif p >= cap - 1e-6:
            text, fam = (f"generator {g} runs at capacity {cap:.4g} kW: energy here {lam:.4g} >= "
                         f"its cost {cost:.4g}/kWh"), "generator_capacity"
        elif p <= pmin + 1e-6 and pmin > 0:
            text, fam = (f"generator {g} runs at its minimum stable {pmin:.4g} kW (held on by "
                         f"commitment or minimum up time)"), "generator_min_stable"
        else:
            text, fam = (f"generator {g} runs {p:.4g} kW and sets the price: energy cost "
                         f"{cost:.4g}/kWh"), "generator_capacity"
        d = _dual(result, fam, generator=g, time=t)
        out.append(Finding(fam, not np.isnan(d) and abs(d) > TOL, d, text))
    return out


def _flexible_findings(result: Result, member: str, t, lam: float) -> list[Finding]:
    sol = result.solution
    if "flex_shift" not in sol or member not in sol["flex_shift"]["member"].values:
        return []
    s = float(sol["flex_shift"].sel(member=member, time=t))
    d = _dual(result, "flexible_energy", member=member, time=t)
    if abs(s) <= 1e-6:
        text = "flexible load stays where it is"
    elif s > 0:
        text = f"flexible load moves {s:.4g} kW into this step (energy here {lam:.4g}/kWh)"
    else:
        text = f"flexible load moves {-s:.4g} kW out of this step (energy here {lam:.4g}/kWh)"
    return [Finding("flexible_energy", abs(s) > 1e-6, d, text)]


def _exchange_findings(result: Result, member: str, t) -> list[Finding]:
    sol, out = result.solution, []
    if "pool_buy" in sol:
        b = float(sol["pool_buy"].sel(member=member, time=t))
        s = float(sol["pool_sell"].sel(member=member, time=t))
        d = _dual(result, "pool_balance", time=t)
        out.append(Finding("pool_balance", not np.isnan(d), d,
                           f"{member} buys {b:.4g} kW from and sells {s:.4g} kW to the pool; "
                           f"pool price {d:.4g}/kWh"))
    if "trade" in sol:
        bought = float(sol["trade"].sel(buyer=member, time=t).sum())
        sold = float(sol["trade"].sel(seller=member, time=t).sum())
        out.append(Finding("bilateral", bought + sold > 1e-6, float("nan"),
                           f"{member} buys {bought:.4g} kW and sells {sold:.4g} kW bilaterally"))
    return out


def _reserve_findings(result: Result, member: str, t) -> list[Finding]:
    sol, out = result.solution, []
    if "reserve_battery" in sol:
        for b in _owned(sol, "battery", member):
            held = sol["reserve_battery"].sel(battery=b, time=t)
            for fam in ("reserve_energy_up", "reserve_energy_down"):
                d = _dual(result, fam, battery=b, time=t)
                if not np.isnan(d) and abs(d) > TOL:
                    out.append(Finding(fam, True, d, f"battery {b} holds "
                                       f"{float(held.sum()):.4g} kW of reserve; its energy "
                                       f"backing binds (shadow price {d:.4g}/kWh)"))
    d = _dual(result, "reserve_requirement", time=t)
    if not np.isnan(d) and abs(d) > TOL:
        out.append(Finding("reserve_requirement", True, d, "the community reserve requirement "
                           f"binds (shadow price {d:.4g} per kW-h)"))
    return out


def binding_frequency(result: Result, tol: float = TOL) -> pd.DataFrame:
    """How often each constraint family binds (non-zero shadow price).

    Returns
    -------
    pandas.DataFrame
        Index = family; columns ``rows`` (number of rows), ``binding`` (rows with
        ``|dual| > tol``) and ``share`` (binding / rows), sorted by ``share``.
    """
    rows = []
    for name, da in result.duals.data_vars.items():
        vals = np.asarray(da.values, dtype=float).ravel()
        vals = vals[np.isfinite(vals)]
        n = int(vals.size)
        k = int((np.abs(vals) > tol).sum())
        rows.append((name, n, k, k / n if n else 0.0))
    frame = pd.DataFrame(rows, columns=["family", "rows", "binding", "share"]).set_index("family")
    return frame.sort_values("share", ascending=False)
