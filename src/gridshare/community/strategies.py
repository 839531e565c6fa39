"""Agent strategies: what each home charges, discharges and offers in a step.

``"baseline"``
    No battery logic and no trading: the net load goes to the grid.
``"greedy"``
    Self-consume; charge the battery from surplus and discharge it at deficit (on the step's
    metered net load, as a battery inverter does in real time); offer what is left to peers.
``"convex"``
    Rolling horizon through the optimisation core: for the forecast window, build
    :class:`~gridshare.model.ModelInputs` of all convex agents (each with its own battery), solve
    one ``"individual"``-mode model (separable by member), apply the first step's battery
    decision, and offer the residual to peers. Each window ends at the agent's target SOC (its
    initial SOC), so with perfect forecasts no agent ever costs more than without a battery.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gridshare.model import InfeasibleError, ModelInputs, SolveOptions, build_model, solve

STRATEGIES = ("baseline", "greedy", "convex")
"""Strategy names."""

OPERATOR = "operator"
"""Member name of the community operator in the convex model of a central battery."""


def greedy_requests(net_kwh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Battery requests of the greedy rule: charge the surplus, discharge the deficit, kWh.

    Examples
    --------
    >>> c, d = greedy_requests(np.array([-2.0, 1.5, 0.0]))
    >>> c.tolist(), d.tolist()
    ([2.0, 0.0, 0.0], [0.0, 1.5, 0.0])
    """
    return np.maximum(-net_kwh, 0.0), np.maximum(net_kwh, 0.0)


BATTERY_KEYS = ("energy_kwh", "charge_kw", "discharge_kw", "charge_efficiency",
                "discharge_efficiency", "soc_min", "soc_max", "soc_initial", "soc_final")
"""Per-member battery parameters of :meth:`ConvexPlanner.plan` (SOC values are fractions)."""

WINDOW_START = "2000-01-01"
"""Label of the first step of every window model: equal labels let a built model be reused."""


def _battery_rows(members: list[str], battery: dict[str, np.ndarray]) -> dict[str, dict]:
    missing = [k for k in BATTERY_KEYS if k not in battery]
    if missing:
        raise ValueError(f"battery lacks {missing}; give {list(BATTERY_KEYS)}")
    rows = {}
    for i in np.flatnonzero(np.asarray(battery["energy_kwh"]) > 0):
        lo, hi = float(battery["soc_min"][i]), float(battery["soc_max"][i])
        rows[f"battery{i}"] = {
            "owner": members[i], "energy_kwh": float(battery["energy_kwh"][i]),
            "charge_kw": float(battery["charge_kw"][i]),
            "discharge_kw": float(battery["discharge_kw"][i]),
            "charge_efficiency": float(battery["charge_efficiency"][i]),
            "discharge_efficiency": float(battery["discharge_efficiency"][i]),
            "soc_min": lo, "soc_max": hi,
            # Rounding in the SOC update may leave it a hair outside its bounds.
            "soc_initial": float(np.clip(battery["soc_initial"][i], lo, hi)),
            "soc_final": float(np.clip(battery["soc_final"][i], lo, hi)),
        }
    return rows


class ConvexPlanner:
    """Rolling-horizon planner: one individual-mode core model of all convex agents per step.

    Consecutive windows of equal length, members, battery ratings and prices differ only in
    the forecast net load and the batteries' initial and final SOC, which are the right-hand
    sides of the families ``power_balance``, ``battery_soc`` and ``battery_soc_end``. The
    planner then updates those on the model :func:`~gridshare.model.build_model` built for the
    previous window instead of building it again (``reuse=False`` always rebuilds; both give
    the same plan, which the tests check).

    Parameters
    ----------
    options : gridshare.model.SolveOptions, optional
        Default: no duals (only the flows are needed).
    reuse : bool
        Reuse the last built model when only right-hand sides change.
    """

    def __init__(self, options: SolveOptions | None = None, reuse: bool = True):
        self.options = options or SolveOptions(duals=False)
        self.reuse = reuse
        self.builds = 0
        self.solves = 0
        self._key: tuple | None = None
        self._model: Any = None

    def plan(self, members: list[str], load_kw: np.ndarray, pv_kw: np.ndarray,
             import_price: np.ndarray, export_price: np.ndarray, step_hours: float,
             battery: dict[str, np.ndarray],
             pad_to: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """First-step battery decision of each member for the forecast window.

        Parameters
        ----------
        members : list of str
            Agents in the model.
        load_kw, pv_kw : numpy.ndarray
            Forecast load and PV over the window, kW, shape (member, window).
        import_price, export_price : numpy.ndarray
            Forecast grid prices, currency/kWh, shape (member, window).
        step_hours : float
            Step length, h.
        battery : dict of numpy.ndarray
            Per member the :data:`BATTERY_KEYS`; members with zero capacity have no battery.
        pad_to : int, optional
            Model length, steps. A shorter window (the last ones of a simulation) is padded with
            idle steps (no load, no PV, battery power 0), which leaves the optimum of the
            window unchanged and lets one model serve every window.

        Returns
        -------
        charge_kwh, discharge_kwh : numpy.ndarray
            Planned first-step charge and discharge of each member, kWh, shape (member,).
        """
        n = len(members)
        rows = _battery_rows(members, battery)
        if not rows:
            return np.zeros(n), np.zeros(n)
        active = np.shape(load_kw)[1]
        if pad_to is not None and active < pad_to:
            extra = int(pad_to) - active
            load_kw, pv_kw = (np.pad(a, ((0, 0), (0, extra))) for a in (load_kw, pv_kw))
            import_price, export_price = (np.pad(a, ((0, 0), (0, extra)), mode="edge")
                                          for a in (import_price, export_price))
        mi = ModelInputs.from_arrays(load_kw, pv_kw=pv_kw, import_price=import_price,
                                     export_price=export_price, step_hours=step_hours,
                                     members=members, start=WINDOW_START, batteries=rows,
                                     curtailable=False, exchange="none")
        static = tuple((k, *(r[c] for c in BATTERY_KEYS[:7])) for k, r in rows.items())
        key = (tuple(members), mi.n_steps, float(step_hours), static)
        cm = self._model
        if (self.reuse and cm is not None and key == self._key
                and np.array_equal(cm.inputs.import_price.values, mi.import_price.values)
                and np.array_equal(cm.inputs.export_price.values, mi.export_price.values)):
            _update_rhs(cm, mi)
        else:
            cm = build_model(mi, "individual")
            self.builds += 1
            self._key, self._model = key, cm
        if pad_to is not None:
            _limit_power(cm, mi, active)
        try:
            result = solve(cm, self.options)
        except InfeasibleError:
            # Forecast errors can make the window's end target unreachable: end where it starts.
            mi.batteries["soc_final"] = mi.batteries["soc_initial"]
            result = solve(build_model(mi, "individual"), self.options)
            self._key = self._model = None
        self.solves += 1
        sol = result.solution
        names = list(rows)
        idx = np.array([int(k[len("battery"):]) for k in names])
        charge, discharge = np.zeros(n), np.zeros(n)
        first = sol[["battery_charge", "battery_discharge"]].isel(time=0).sel(battery=names)
        charge[idx] = first["battery_charge"].to_numpy() * step_hours
        discharge[idx] = first["battery_discharge"].to_numpy() * step_hours
        return np.maximum(charge, 0.0), np.maximum(discharge, 0.0)


def _limit_power(cm: Any, mi: ModelInputs, active: int) -> None:
    """Battery power limits of the model, zero from step ``active`` on (idle padding)."""
    b = mi.batteries
    for var_name, col in (("battery_charge", "charge_kw"), ("battery_discharge", "discharge_kw")):
        var = cm.model.variables[var_name]
        upper = var.upper
        rating = b[col].reindex(list(upper["battery"].values)).to_numpy(float)
        values = np.broadcast_to(rating[:, None] if upper.dims[0] == "battery"
                                 else rating[None, :], upper.shape).copy()
        if upper.dims[0] == "battery":
            values[:, active:] = 0.0
        else:
            values[active:, :] = 0.0
        var.update(upper=upper.copy(data=values))


def _update_rhs(cm: Any, mi: ModelInputs) -> None:
    cons = cm.model.constraints
    balance = cons["power_balance"]
    net = (mi.load_kw - mi.pv_kw - mi.wind_kw).transpose(*balance.rhs.dims)
    balance.update(rhs=balance.rhs.copy(data=net.values))
    b = mi.batteries
    energy = b["energy_kwh"].to_numpy(float)
    soc = cons["battery_soc"]
    order = [list(b.index).index(name) for name in soc.rhs["battery"].values]
    initial = np.zeros(soc.rhs.shape)
    initial_kwh = (b["soc_initial"].to_numpy(float) * energy)[order]
    tpos = soc.rhs.dims.index("time")
    if tpos == 1:
        initial[:, 0] = initial_kwh
    else:
        initial[0, :] = initial_kwh
    soc.update(rhs=soc.rhs.copy(data=initial))
    end = cons["battery_soc_end"]
    end_order = [list(b.index).index(name) for name in end.rhs["battery"].values]
    end.update(rhs=end.rhs.copy(data=(b["soc_final"].to_numpy(float) * energy)[end_order]))
    cm.inputs = mi


def convex_plan(members: list[str], load_kw: np.ndarray, pv_kw: np.ndarray,
                import_price: np.ndarray, export_price: np.ndarray, step_hours: float,
                battery: dict[str, np.ndarray],
                options: SolveOptions | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One window, built and solved from scratch (see :meth:`ConvexPlanner.plan`).

    Examples
    --------
    >>> one = {k: np.array([v]) for k, v in dict(energy_kwh=4.0, charge_kw=2.0,
    ...        discharge_kw=2.0, charge_efficiency=1.0, discharge_efficiency=1.0, soc_min=0.0,
    ...        soc_max=1.0, soc_initial=0.0, soc_final=0.0).items()}
    >>> c, d = convex_plan(["a"], [[0.0, 2.0]], [[2.0, 0.0]], [[0.30, 0.30]], [[0.05, 0.05]],
    ...                    1.0, one)
    >>> float(c[0]), float(d[0])
    (2.0, 0.0)
    """
    planner = ConvexPlanner(options, reuse=False)
    return planner.plan(members, np.atleast_2d(np.asarray(load_kw, dtype=float)),
                        np.atleast_2d(np.asarray(pv_kw, dtype=float)),
                        np.atleast_2d(np.asarray(import_price, dtype=float)),
                        np.atleast_2d(np.asarray(export_price, dtype=float)), step_hours,
                        battery)
