"""Planning-level power-flow feasibility of a data-centre interconnection.

Network (positive sequence, balanced, RMS steady state)::

    grid (slack, HV) --[HV/MV transformer, e.g. 230/34.5 kV]-- MV bus
                                                               |-- data-centre load (P, Q at PF)
                                                               |-- BESS inverter (P, Q set points)

Three solvers of the same network:

- :func:`two_bus_solution` -- the exact closed form of a slack bus feeding a PQ bus through a
  series impedance (the hand calculation), vectorised over any number of hours;
- :func:`solve_batch` -- power-grid-model's batched Newton-Raphson over all hours at once
  (the fast time-series path);
- :func:`build_pandapower_net` / :func:`solve_pandapower` -- one pandapower run per hour, used
  as the reference where pandapower runs with the installed pandas (it needs pandas 2.x).

Transformer loading follows pandapower's definition: current times rated voltage over rated
power, ``|I| x sqrt(3) x V_n / S_n``. The transformer has no magnetising branch and no taps
(``pfe = i0 = 0``, tap at neutral), so it is a series impedance ``z = vk``, ``r = vkr``.

Out of scope by design: EMT and switching transients, inverter controls (PLL, current loops),
harmonics and flicker, protection coordination, unbalanced and negative-sequence studies.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ARCHITECTURES = {
    # Facility power = IT load / conversion efficiency; PF seen at the MV bus.
    "ac_racks": {"efficiency": 0.92, "power_factor": 0.97},
    "dc_800v": {"efficiency": 0.96, "power_factor": 0.995},
}
MODES = ("training", "inference", "mixed")
V_LIMITS = (0.95, 1.05)


@dataclass(frozen=True)
class NetworkSpec:
    """The grid-transformer-MV-bus network.

    Parameters
    ----------
    hv_kv, mv_kv : float
        Rated voltages, kV.
    sn_mva : float
        Transformer rating, MVA.
    vk_percent, vkr_percent : float
        Short-circuit voltage and its real part, % of rated.
    slack_vm_pu : float
        Grid voltage, p.u.
    """

    hv_kv: float = 230.0
    mv_kv: float = 34.5
    sn_mva: float = 80.0
    vk_percent: float = 10.0
    vkr_percent: float = 0.3
    slack_vm_pu: float = 1.0

    def __post_init__(self) -> None:
        for name in ("hv_kv", "mv_kv", "sn_mva", "vk_percent", "slack_vm_pu"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be finite and > 0; got {value}")
        if not 0 <= self.vkr_percent < self.vk_percent:
            raise ValueError(f"vkr_percent must be in [0, vk_percent={self.vk_percent}); got "
                             f"{self.vkr_percent}")

    @property
    def r_pu(self) -> float:
        return self.vkr_percent / 100.0

    @property
    def x_pu(self) -> float:
        return float(np.sqrt((self.vk_percent / 100.0) ** 2 - self.r_pu ** 2))

    @classmethod
    def from_case(cls, case) -> NetworkSpec:
        """From a case's first transformer; parallel identical units add their ratings."""
        trafos = case.topology.transformers
        if not trafos:
            return cls()
        t = trafos[0]
        return cls(hv_kv=t.hv_kv, mv_kv=t.lv_kv, sn_mva=sum(x.mva_rating for x in trafos),
                   vk_percent=t.impedance_percent, vkr_percent=t.resistance_percent)


def _columns(p_mw, q_mvar) -> tuple[np.ndarray, np.ndarray]:
    p = np.atleast_1d(np.asarray(p_mw, dtype=float))
    q = np.broadcast_to(np.atleast_1d(np.asarray(q_mvar, dtype=float)), p.shape)
    if not (np.isfinite(p).all() and np.isfinite(q).all()):
        raise ValueError("net load p_mw and q_mvar must be finite")
    return p, np.asarray(q)


def two_bus_solution(spec: NetworkSpec, p_mw, q_mvar) -> pd.DataFrame:
    """Exact power flow of the two-bus network for net MV-bus loads (hand calculation).

    With the load ``s = p + jq`` (p.u. on ``sn_mva``) and series impedance ``r + jx``, the MV
    voltage ``V`` solves ``V^4 + (2(rp + xq) - V1^2) V^2 + |z|^2 |s|^2 = 0``; the current is
    ``|s| / V`` and the grid supplies ``s + z |I|^2``.

    Parameters
    ----------
    spec : NetworkSpec
    p_mw, q_mvar : array_like
        Net load at the MV bus (load minus BESS injection), MW and MVAr, one per case.

    Returns
    -------
    pandas.DataFrame
        ``vm_mv_pu``, ``va_mv_degree``, ``trafo_loading_percent``, ``grid_p_mw``,
        ``grid_q_mvar``, ``loss_mw``.

    Examples
    --------
    50 MW at unity PF on 80 MVA, vk 10 %: V ~ 1 - r p - (x p)^2 / 2 = 0.9962, loading
    0.625 / V = 62.7 %:

    >>> out = two_bus_solution(NetworkSpec(), [50.0], [0.0]).iloc[0]
    >>> round(float(out["vm_mv_pu"]), 4), round(float(out["trafo_loading_percent"]), 2)
    (0.9961, 62.74)
    """
    p_mw, q_mvar = _columns(p_mw, q_mvar)
    p, q = p_mw / spec.sn_mva, q_mvar / spec.sn_mva
    r, x, v1 = spec.r_pu, spec.x_pu, spec.slack_vm_pu
    b = v1 ** 2 - 2 * (r * p + x * q)
    disc = b ** 2 - 4 * (r ** 2 + x ** 2) * (p ** 2 + q ** 2)
    if np.any(disc < 0):
        worst = float(np.hypot(p_mw, q_mvar)[disc < 0].max())
        raise ValueError(f"no power-flow solution: {worst:.4g} MVA is beyond the transformer's "
                         f"maximum transfer (voltage collapse)")
    v2 = np.sqrt((b + np.sqrt(disc)) / 2)
    i = np.hypot(p, q) / v2
    # Angle of the MV bus with the grid at 0: V1 = V2 + z * conj(s / V2) with V2 real.
    va = -np.degrees(np.arctan2((x * p - r * q) / v2, v2 + (r * p + x * q) / v2))
    return pd.DataFrame({"vm_mv_pu": v2, "va_mv_degree": va,
                         "trafo_loading_percent": 100 * i,
                         "grid_p_mw": (p + r * i ** 2) * spec.sn_mva,
                         "grid_q_mvar": (q + x * i ** 2) * spec.sn_mva,
                         "loss_mw": r * i ** 2 * spec.sn_mva})


# --- power-grid-model ----------------------------------------------------------------------------

def _pgm_model(spec: NetworkSpec):
    from power_grid_model import (
        ComponentType,
        LoadGenType,
        PowerGridModel,
        WindingType,
        initialize_array,
    )

    node = initialize_array("input", ComponentType.node, 2)
    node["id"] = [1, 2]
    node["u_rated"] = [spec.hv_kv * 1e3, spec.mv_kv * 1e3]
    trafo = initialize_array("input", ComponentType.transformer, 1)
    trafo["id"], trafo["from_node"], trafo["to_node"] = 3, 1, 2
    trafo["from_status"], trafo["to_status"] = 1, 1
    trafo["u1"], trafo["u2"] = spec.hv_kv * 1e3, spec.mv_kv * 1e3
    trafo["sn"] = spec.sn_mva * 1e6
    trafo["uk"] = spec.vk_percent / 100
    trafo["pk"] = spec.vkr_percent / 100 * spec.sn_mva * 1e6
    trafo["i0"], trafo["p0"] = 0.0, 0.0
    trafo["winding_from"], trafo["winding_to"] = WindingType.wye_n, WindingType.wye_n
    trafo["clock"], trafo["tap_side"] = 0, 0
    trafo["tap_pos"], trafo["tap_min"], trafo["tap_max"], trafo["tap_nom"] = 0, 0, 0, 0
    trafo["tap_size"] = 0.0
    source = initialize_array("input", ComponentType.source, 1)
    # A stiff grid: the slack holds its voltage (short-circuit power far above the load).
    source["id"], source["node"], source["status"] = 4, 1, 1
    source["u_ref"], source["sk"] = spec.slack_vm_pu, 1e20
    load = initialize_array("input", ComponentType.sym_load, 1)
    load["id"], load["node"], load["status"] = 5, 2, 1
    load["type"] = LoadGenType.const_power
    load["p_specified"], load["q_specified"] = 0.0, 0.0
    data = {ComponentType.node: node, ComponentType.transformer: trafo,
            ComponentType.source: source, ComponentType.sym_load: load}
    return PowerGridModel(data, system_frequency=60.0)


def _pgm_frame(spec: NetworkSpec, out: dict) -> pd.DataFrame:
    from power_grid_model import ComponentType

    node = out[ComponentType.node]
    trafo = out[ComponentType.transformer]
    src = out[ComponentType.source]
    u_pu = np.asarray(node["u_pu"]).reshape(-1, 2)
    ang = np.asarray(node["u_angle"]).reshape(-1, 2)
    i_to = np.asarray(trafo["i_to"]).reshape(-1)
    p_grid = np.asarray(src["p"]).reshape(-1) / 1e6
    q_grid = np.asarray(src["q"]).reshape(-1) / 1e6
    p_from = np.asarray(trafo["p_from"]).reshape(-1)
    p_to = np.asarray(trafo["p_to"]).reshape(-1)
    loading = i_to * np.sqrt(3) * spec.mv_kv * 1e3 / (spec.sn_mva * 1e6) * 100
    return pd.DataFrame({"vm_mv_pu": u_pu[:, 1], "va_mv_degree": np.degrees(ang[:, 1] - ang[:, 0]),
                         "trafo_loading_percent": loading, "grid_p_mw": p_grid,
                         "grid_q_mvar": q_grid, "loss_mw": (p_from + p_to) / 1e6})


def solve_batch(spec: NetworkSpec, p_mw, q_mvar, tolerance: float = 1e-10) -> pd.DataFrame:
    """All cases in one batched Newton-Raphson run (power-grid-model).

    Parameters
    ----------
    spec : NetworkSpec
    p_mw, q_mvar : array_like
        Net MV-bus load per case, MW and MVAr.
    tolerance : float
        Newton-Raphson voltage tolerance, p.u.

    Returns
    -------
    pandas.DataFrame
        Same columns as :func:`two_bus_solution`.
    """
    from power_grid_model import ComponentType, initialize_array

    p_mw, q_mvar = _columns(p_mw, q_mvar)
    model = _pgm_model(spec)
    update = initialize_array("update", ComponentType.sym_load, (p_mw.size, 1))
    update["id"] = 5
    update["p_specified"] = p_mw[:, None] * 1e6
    update["q_specified"] = q_mvar[:, None] * 1e6
    out = model.calculate_power_flow(error_tolerance=tolerance, max_iterations=30,
                                     update_data={ComponentType.sym_load: update}, threading=0)
    return _pgm_frame(spec, out)


def solve_loop(spec: NetworkSpec, p_mw, q_mvar, tolerance: float = 1e-10) -> pd.DataFrame:
    """One power-grid-model run per case (the plain loop the batch is checked against)."""
    from power_grid_model import ComponentType, initialize_array

    p_mw, q_mvar = _columns(p_mw, q_mvar)
    model = _pgm_model(spec)
    frames = []
    for p, q in zip(p_mw, q_mvar, strict=True):
        update = initialize_array("update", ComponentType.sym_load, 1)
        update["id"], update["p_specified"], update["q_specified"] = 5, p * 1e6, q * 1e6
        model.update(update_data={ComponentType.sym_load: update})
        frames.append(_pgm_frame(spec, model.calculate_power_flow(
            error_tolerance=tolerance, max_iterations=30)))
    return pd.concat(frames, ignore_index=True)


# --- pandapower -----------------------------------------------------------------------------------

def pandapower_available() -> tuple[bool, str]:
    """Whether pandapower imports and runs a tiny network here (it needs pandas 2.x)."""
    try:
        net = build_pandapower_net(NetworkSpec())
        import pandapower as pp

        pp.runpp(net)
    except Exception as exc:  # import error or an incompatible pandas
        return False, f"{type(exc).__name__}: {exc}"
    return True, ""


def build_pandapower_net(spec: NetworkSpec, p_load_mw: float = 0.0, q_load_mvar: float = 0.0,
                         p_bess_mw: float = 0.0, q_bess_mvar: float = 0.0):
    """The network as a pandapower ``net`` (grid slack, transformer, MV load, BESS sgen)."""
    import pandapower as pp

    net = pp.create_empty_network(f_hz=60.0)
    hv = pp.create_bus(net, vn_kv=spec.hv_kv, name="grid")
    mv = pp.create_bus(net, vn_kv=spec.mv_kv, name="dc_mv")
    pp.create_ext_grid(net, hv, vm_pu=spec.slack_vm_pu, name="grid")
    pp.create_transformer_from_parameters(
        net, hv, mv, sn_mva=spec.sn_mva, vn_hv_kv=spec.hv_kv, vn_lv_kv=spec.mv_kv,
        vk_percent=spec.vk_percent, vkr_percent=spec.vkr_percent, pfe_kw=0.0, i0_percent=0.0,
        name="hv_mv")
    pp.create_load(net, mv, p_mw=p_load_mw, q_mvar=q_load_mvar, name="data_centre")
    pp.create_sgen(net, mv, p_mw=p_bess_mw, q_mvar=q_bess_mvar, name="bess")
    return net


def solve_pandapower(spec: NetworkSpec, p_mw, q_mvar) -> pd.DataFrame:
    """One pandapower run per case (net load on the load element, BESS at zero)."""
    import pandapower as pp

    p_mw, q_mvar = _columns(p_mw, q_mvar)
    net = build_pandapower_net(spec)
    rows = []
    for p, q in zip(p_mw, q_mvar, strict=True):
        net.load.loc[0, ["p_mw", "q_mvar"]] = [p, q]
        pp.runpp(net, tolerance_mva=1e-10)
        rows.append({"vm_mv_pu": net.res_bus.vm_pu.iloc[1],
                     "va_mv_degree": net.res_bus.va_degree.iloc[1],
                     "trafo_loading_percent": net.res_trafo.loading_percent.iloc[0],
                     "grid_p_mw": net.res_ext_grid.p_mw.iloc[0],
                     "grid_q_mvar": net.res_ext_grid.q_mvar.iloc[0],
                     "loss_mw": net.res_trafo.pl_mw.iloc[0]})
    return pd.DataFrame(rows)


# --- hourly feasibility ---------------------------------------------------------------------------

def hourly_operating_points(case, arch: str = "ac_racks", mode: str = "mixed", hours: int = 24,
                            power_factor: float | None = None, dispatch=None) -> pd.DataFrame:
    """Hourly load and BESS set points at the MV bus, MW and MVAr.

    IT load = the case's critical loads' peak x the ``mode`` shape; facility load = IT /
    architecture efficiency + the other loads at their shapes. BESS: the dispatch's hourly
    means when a :class:`~gridshare.microgrid.DispatchResult` is given (repeated past its
    horizon), otherwise a conservative rule: discharge during peak hours at up to half rating
    within the energy above the reserve floor, recharge the same energy evenly off-peak (Q = 0).
    """
    from gridshare.microgrid.case import profile_shape

    if arch not in ARCHITECTURES:
        raise ValueError(f"arch must be one of {sorted(ARCHITECTURES)}; got {arch!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
    if not (isinstance(hours, int | np.integer) and 1 <= hours <= 8784):
        raise ValueError(f"hours must be an integer in 1..8784; got {hours!r}")
    a = ARCHITECTURES[arch]
    pf = a["power_factor"] if power_factor is None else float(power_factor)
    if not 0 < pf <= 1:
        raise ValueError(f"power_factor must be in (0, 1]; got {pf}")
    start = pd.Timestamp(case.time.start)
    idx = pd.date_range(start, periods=hours, freq="h")
    hod = np.asarray(idx.hour, dtype=float)
    it_peak = sum(ld.peak_mw for ld in case.resources.loads if ld.kind == "critical")
    it = it_peak * profile_shape(mode, hod) / a["efficiency"]
    other = np.zeros(hours)
    for ld in case.resources.loads:
        if ld.kind != "critical":
            shape = np.ones(hours) if isinstance(ld.profile, list) else profile_shape(
                ld.profile, hod)
            other += ld.peak_mw * shape
    p_load = it + other
    q_load = p_load * np.tan(np.arccos(pf))
    bess = case.resources.bess
    p_bess = np.zeros(hours)
    q_bess = np.zeros(hours)
    if dispatch is not None:
        ts = dispatch.timeseries
        hourly = ts[["bess_discharge_mw", "bess_charge_mw", "bess_mvar"]].resample("h").mean()
        net = (hourly["bess_discharge_mw"] - hourly["bess_charge_mw"]).to_numpy()
        p_bess = np.resize(net, hours)
        q_bess = np.resize(hourly["bess_mvar"].to_numpy(), hours)
    elif bess is not None:
        peak = np.isin(np.asarray(idx.hour), case.prices.peak_hours)
        n_peak = max(int(np.isin(np.arange(24), case.prices.peak_hours).sum()), 1)
        usable = (bess.soc_max - bess.soc_reserve) * bess.energy_mwh * bess.discharge_efficiency
        p_dis = min(0.5 * bess.power_mw, usable / n_peak)
        p_ch = p_dis * n_peak / (bess.charge_efficiency * bess.discharge_efficiency
                                 * max(24 - n_peak, 1))
        p_bess = np.where(peak, p_dis, -min(p_ch, bess.power_mw))
    return pd.DataFrame({"p_load_mw": p_load, "q_load_mvar": q_load, "p_bess_mw": p_bess,
                         "q_bess_mvar": q_bess}, index=idx)


@dataclass
class PowerFlowResult:
    """Hourly power-flow feasibility of one or more power factors.

    Attributes
    ----------
    spec : NetworkSpec
    hourly : pandas.DataFrame
        Per hour (and ``power_factor`` when swept): set points, MV voltage, transformer
        loading, grid MW/MVAr and the flags ``voltage_ok`` and ``loading_ok``.
    base : pandas.DataFrame
        The base case: the peak-hour load alone, BESS at 0 MW / 0 MVAr.
    engine : str
    timings : dict
    """

    spec: NetworkSpec
    hourly: pd.DataFrame
    base: pd.DataFrame
    arch: str
    mode: str
    engine: str
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Extremes and violation counts, per power factor."""
        out: dict[str, Any] = {"arch": self.arch, "mode": self.mode, "engine": self.engine,
                               "hours": int(self.hourly.groupby("power_factor").size().iloc[0]),
                               "base_case": {k: round(float(v), 6) for k, v in
                                             self.base.iloc[0].items()},
                               "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
                               "by_power_factor": {}}
        for pf, g in self.hourly.groupby("power_factor"):
            out["by_power_factor"][f"{pf:g}"] = {
                "vm_mv_min_pu": round(float(g["vm_mv_pu"].min()), 6),
                "vm_mv_max_pu": round(float(g["vm_mv_pu"].max()), 6),
                "trafo_loading_max_percent": round(float(g["trafo_loading_percent"].max()), 4),
                "grid_p_max_mw": round(float(g["grid_p_mw"].max()), 4),
                "grid_q_max_mvar": round(float(g["grid_q_mvar"].max()), 4),
                "voltage_violations": int((~g["voltage_ok"]).sum()),
                "loading_violations": int((~g["loading_ok"]).sum()),
            }
        return out

    def write(self, out: str | Path) -> Path:
        """Write ``hourly.csv`` and ``summary.json`` into the folder ``out``."""
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        self.hourly.to_csv(folder / "hourly.csv")
        (folder / "summary.json").write_text(json.dumps(self.summary(), indent=1))
        return folder


def run_powerflow(path_or_case, arch: str = "ac_racks", mode: str = "mixed", hours: int = 24,
                  pf_sweep: list[float] | None = None, dispatch=None,
                  engine: str = "batch") -> PowerFlowResult:
    """Hourly power-flow feasibility of a case's interconnection.

    Parameters
    ----------
    path_or_case : path, dict or MicrogridCase
    arch : {"ac_racks", "dc_800v"}
        Rack power architecture (efficiency and power factor at the MV bus).
    mode : {"training", "inference", "mixed"}
        IT load assumption.
    hours : int
        Hours to simulate from the case start (1..8784).
    pf_sweep : list of float, optional
        Load power factors to run (default: the architecture's), e.g. ``[0.94, 0.97, 0.995]``.
    dispatch : DispatchResult, optional
        Use its BESS schedule instead of the conservative rule.
    engine : {"batch", "loop", "closed_form", "pandapower"}
        Solver of the hourly runs (all give the same numbers to 1e-6 p.u.).

    Returns
    -------
    PowerFlowResult
    """
    from gridshare.microgrid.case import load_microgrid_case

    case = load_microgrid_case(path_or_case)
    spec = NetworkSpec.from_case(case)
    solvers = {"batch": solve_batch, "loop": solve_loop, "closed_form": two_bus_solution,
               "pandapower": solve_pandapower}
    if engine not in solvers:
        raise ValueError(f"engine must be one of {sorted(solvers)}; got {engine!r}")
    pfs = [None] if not pf_sweep else [float(x) for x in pf_sweep]
    frames, timings = [], {}
    for pf in pfs:
        points = hourly_operating_points(case, arch, mode, hours, pf, dispatch)
        started = time.perf_counter()
        res = solvers[engine](spec, points["p_load_mw"] - points["p_bess_mw"],
                              points["q_load_mvar"] - points["q_bess_mvar"])
        pf_value = ARCHITECTURES[arch]["power_factor"] if pf is None else pf
        timings[f"pf_{pf_value:g}"] = time.perf_counter() - started
        res.index = points.index
        frame = pd.concat([points, res], axis=1)
        frame["power_factor"] = pf_value
        frame["voltage_ok"] = frame["vm_mv_pu"].between(*V_LIMITS)
        frame["loading_ok"] = frame["trafo_loading_percent"] <= 100.0
        frames.append(frame)
    hourly = pd.concat(frames)
    peak_mw = sum(ld.peak_mw for ld in case.resources.loads)
    base_pf = ARCHITECTURES[arch]["power_factor"]
    base = two_bus_solution(spec, [peak_mw], [peak_mw * np.tan(np.arccos(base_pf))])
    return PowerFlowResult(spec=spec, hourly=hourly, base=base, arch=arch, mode=mode,
                           engine=engine, timings=timings)
