"""The solution of a community model: flows, costs, duals; saved and reloaded exactly."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gridshare.model.inputs import COMMUNITY

COST_COLUMNS = ("import", "export_revenue", "exchange", "fuel", "start", "degradation",
                "curtailment", "shedding", "reserve_revenue", "total")

ATTR_KEYS = ("objective", "status", "mip_gap", "solve_time_s", "build_time_s", "mode")


def _member_sum(da: xr.DataArray, asset_dim: str, members: pd.Index) -> xr.DataArray:
    """Sum an asset-level array over each member's assets (owner coordinate), full member index."""
    owner = da[f"{asset_dim}_owner"].values
    out = xr.zeros_like(xr.DataArray(np.zeros((len(members), da.sizes["time"])),
                                     dims=("member", "time"),
                                     coords={"member": members, "time": da["time"].values}))
    keep = owner != COMMUNITY
    if keep.any():
        summed = da.isel({asset_dim: np.flatnonzero(keep)}).groupby(
            xr.DataArray(owner[keep], dims=asset_dim, name="member")).sum(asset_dim)
        out = out + summed.reindex(member=members, fill_value=0.0)
    return out


def _community_sum(da: xr.DataArray, asset_dim: str) -> xr.DataArray:
    owner = da[f"{asset_dim}_owner"].values
    return da.isel({asset_dim: np.flatnonzero(owner == COMMUNITY)}).sum(asset_dim)


def member_terms(solution: xr.Dataset, *, include_grid_pool: bool = True
                 ) -> tuple[xr.DataArray, xr.DataArray]:
    """Supply and demand of each member and step from a solution, kW.

    supply = pv + wind + discharge + generation + shed + import + pool_buy + trades received;
    demand = load + curtail + shift + charge + export + pool_sell + trades sold.
    """
    s = solution
    members = pd.Index(s["member"].values, name="member")
    supply = s["pv_kw"] + s["wind_kw"]
    demand = s["load_kw"].copy()
    for name, dim, side in (("battery_discharge", "battery", "supply"),
                            ("battery_charge", "battery", "demand"),
                            ("gen_power", "generator", "supply")):
        if name in s:
            term = _member_sum(s[name], dim, members)
            supply, demand = (supply + term, demand) if side == "supply" else (supply,
                                                                               demand + term)
    if "shared_discharge" in s:
        supply = supply + s["shared_discharge"].sum("shared_battery")
        demand = demand + s["shared_charge"].sum("shared_battery")
    for name, side in (("shed", "supply"), ("curtail", "demand"), ("flex_shift", "demand")):
        if name in s:
            term = s[name].reindex(member=members, fill_value=0.0)
            supply, demand = (supply + term, demand) if side == "supply" else (supply,
                                                                               demand + term)
    if include_grid_pool:
        for name, side in (("grid_import", "supply"), ("grid_export", "demand"),
                           ("pool_buy", "supply"), ("pool_sell", "demand")):
            if name in s:
                supply, demand = ((supply + s[name], demand) if side == "supply"
                                  else (supply, demand + s[name]))
        if "trade" in s:
            keep = 1.0 - float(s.attrs.get("bilateral_loss", 0.0))
            supply = supply + keep * s["trade"].sum("seller").rename(buyer="member")
            demand = demand + s["trade"].sum("buyer").rename(seller="member")
    return supply.transpose("member", "time"), demand.transpose("member", "time")


def bus_terms(solution: xr.Dataset) -> tuple[xr.DataArray, xr.DataArray]:
    """Supply and demand of community-owned assets on the pool bus, kW."""
    s = solution
    zero = xr.zeros_like(s["load_kw"].isel(member=0, drop=True))
    supply, demand = zero, zero
    if "battery_discharge" in s:
        supply = supply + _community_sum(s["battery_discharge"], "battery")
        demand = demand + _community_sum(s["battery_charge"], "battery")
    if "gen_power" in s:
        supply = supply + _community_sum(s["gen_power"], "generator")
    return supply, demand


@dataclass
class Result:
    """Solution of a community model.

    Attributes
    ----------
    solution : xarray.Dataset
        Every variable by (member | asset, time, ...), kW or kWh; ``time`` is naive UTC. Also
        holds the input series ``load_kw``, ``pv_kw``, ``wind_kw``, ``import_price``,
        ``export_price``; asset dims carry an ``<dim>_owner`` coordinate.
    costs : pandas.DataFrame
        One row per member (plus ``"community"`` when community assets or costs exist); columns
        :data:`COST_COLUMNS`, currency over the horizon; revenues are negative; ``total`` is the
        row sum. ``exchange`` holds pool/bilateral fees and settlement (at the pool price, the
        dual of the pool balance, in collective and post-delivery modes; the chosen
        budget-balanced payments in ``collective_fair``).
    objective : float
        Total cost, currency.
    status : str
        ``"optimal"``, or for a MILP stopped early with an incumbent ``"time_limit"`` (or
        ``"solution_limit"`` / ``"iteration_limit"`` when such HiGHS limits were set); see
        ``mip_gap``.
    mip_gap : float
        Relative MIP gap (NaN for an LP).
    solve_time_s, build_time_s : float
        Wall times, s.
    duals : xarray.Dataset
        Shadow prices of every constraint family, currency per kWh (per kW-step families are
        divided by the step length). For MILPs, from the LP with integers fixed at the optimum.
    mode : str
    attrs : dict
        Anything else (aggregation, the algorithm used, notes).
    """

    solution: xr.Dataset
    costs: pd.DataFrame
    objective: float
    status: str
    mip_gap: float
    solve_time_s: float
    build_time_s: float
    duals: xr.Dataset
    mode: str = "collective"
    attrs: dict[str, Any] = field(default_factory=dict)

    # --- checks ------------------------------------------------------------------------------
    def energy_balance(self) -> xr.Dataset:
        """Residuals of the energy balances, kW (zero up to solver tolerance).

        Returns
        -------
        xarray.Dataset
            ``member_residual_kw`` (member, time) = supply - demand of each member, recomputed
            from the solution variables; ``pool_residual_kw`` (time) = pool sales after loss
            plus community supply minus pool purchases and community demand, when a pool exists.
        """
        supply, demand = member_terms(self.solution)
        out = xr.Dataset({"member_residual_kw": supply - demand})
        if "pool_buy" in self.solution:
            keep = 1.0 - float(self.solution.attrs.get("pool_loss", 0.0))
            bus_s, bus_d = bus_terms(self.solution)
            out["pool_residual_kw"] = (keep * self.solution["pool_sell"].sum("member") + bus_s
                                       - self.solution["pool_buy"].sum("member") - bus_d)
        return out

    # --- persistence -------------------------------------------------------------------------
    def _header(self) -> dict[str, Any]:
        return {"objective": float(self.objective), "status": self.status,
                "mip_gap": float(self.mip_gap), "solve_time_s": float(self.solve_time_s),
                "build_time_s": float(self.build_time_s), "mode": self.mode,
                "attrs": self.attrs, "solution_coords": [str(c) for c in self.solution.coords],
                "dual_coords": [str(c) for c in self.duals.coords],
                "cost_index": [str(i) for i in self.costs.index],
                "cost_columns": [str(c) for c in self.costs.columns]}

    def save(self, path: str | Path) -> Path:
        """Save to ``.nc`` (NetCDF4 via h5netcdf) or ``.parquet``; :meth:`load` reloads exactly.

        Examples
        --------
        >>> import tempfile, os
        >>> from gridshare.model import ModelInputs, build_model, solve
        >>> r = solve(build_model(ModelInputs.from_arrays([[1.0, 2.0]]), "individual"))
        >>> p = r.save(os.path.join(tempfile.mkdtemp(), "r.nc"))
        >>> Result.load(p).objective == r.objective
        True
        """
        path = Path(path)
        if path.suffix == ".nc":
            ds = xr.Dataset(attrs={"gridshare_result": json.dumps(self._header())})
            for name, da in self.solution.data_vars.items():
                ds[f"solution__{name}"] = da
            for name, da in self.duals.data_vars.items():
                ds[f"dual__{name}"] = da
            ds["costs"] = xr.DataArray(self.costs.to_numpy(dtype=float),
                                       dims=("cost_owner", "cost_component"))
            ds.attrs["solution_attrs"] = json.dumps(self.solution.attrs)
            ds.to_netcdf(path, engine="h5netcdf")
        elif path.suffix == ".parquet":
            _save_parquet(self, path)
        else:
            raise ValueError(f"path {str(path)!r}: suffix must be '.nc' or '.parquet'")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Result:
        """Reload a result written by :meth:`save`."""
        path = Path(path)
        if path.suffix == ".nc":
            with xr.open_dataset(path, engine="h5netcdf") as ds:
                ds = ds.load()
            header = json.loads(ds.attrs["gridshare_result"])
            sol = xr.Dataset({k[len("solution__"):]: v for k, v in ds.data_vars.items()
                              if k.startswith("solution__")})
            duals = xr.Dataset({k[len("dual__"):]: v for k, v in ds.data_vars.items()
                                if k.startswith("dual__")})
            # A NetCDF file shares coordinates between all variables; keep each part's own.
            sol = sol.drop_vars([c for c in sol.coords if c not in header["solution_coords"]])
            duals = duals.drop_vars([c for c in duals.coords if c not in header["dual_coords"]])
            sol.attrs = json.loads(ds.attrs["solution_attrs"])
            sol, duals = _restore_coords(sol), _restore_coords(duals)
            costs = ds["costs"].values
        elif path.suffix == ".parquet":
            header, sol, duals, costs = _load_parquet(path)
        else:
            raise ValueError(f"path {str(path)!r}: suffix must be '.nc' or '.parquet'")
        frame = pd.DataFrame(costs, index=pd.Index(header["cost_index"], name="member"),
                             columns=header["cost_columns"])
        return cls(solution=sol, costs=frame, objective=header["objective"],
                   status=header["status"], mip_gap=header["mip_gap"],
                   solve_time_s=header["solve_time_s"], build_time_s=header["build_time_s"],
                   duals=duals, mode=header["mode"], attrs=header["attrs"])


def _restore_coords(ds: xr.Dataset) -> xr.Dataset:
    # Drop coordinates that only the file format introduced and keep strings as objects.
    for name in list(ds.coords):
        if ds[name].dtype.kind in "SU":
            ds = ds.assign_coords({name: ds[name].astype(object)})
    return ds


def _encode_coord(values: np.ndarray) -> dict[str, Any]:
    values = np.asarray(values)
    if values.dtype.kind == "M":
        unit = np.datetime_data(values.dtype)[0]
        return {"kind": "datetime", "unit": unit, "values": values.astype(np.int64).tolist()}
    if values.dtype.kind in "iu":
        return {"kind": "int", "values": values.tolist()}
    if values.dtype.kind == "f":
        return {"kind": "float", "values": values.tolist()}
    return {"kind": "str", "values": [str(v) for v in values]}


def _decode_coord(spec: dict[str, Any]) -> np.ndarray:
    if spec["kind"] == "datetime":
        return np.asarray(spec["values"], dtype=np.int64).astype(f"datetime64[{spec['unit']}]")
    if spec["kind"] == "int":
        return np.asarray(spec["values"], dtype=np.int64)
    if spec["kind"] == "float":
        return np.asarray(spec["values"], dtype=float)
    return np.asarray(spec["values"], dtype=object)


def _dataset_layout(ds: xr.Dataset) -> dict[str, Any]:
    return {"coords": {name: {"dims": list(ds[name].dims), **_encode_coord(ds[name].values)}
                       for name in ds.coords},
            "vars": {name: {"dims": list(da.dims), "dtype": str(da.dtype)}
                     for name, da in ds.data_vars.items()},
            "attrs": ds.attrs}


def _save_parquet(result: Result, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    groups, names, values = [], [], []
    for group, ds in (("solution", result.solution), ("dual", result.duals)):
        for name, da in ds.data_vars.items():
            flat = np.asarray(da.values, dtype=float).ravel()
            groups.append(np.full(flat.size, group, dtype=object))
            names.append(np.full(flat.size, name, dtype=object))
            values.append(flat)
    flat = result.costs.to_numpy(dtype=float).ravel()
    groups.append(np.full(flat.size, "costs", dtype=object))
    names.append(np.full(flat.size, "costs", dtype=object))
    values.append(flat)
    table = pa.table({"group": np.concatenate(groups) if groups else [],
                      "name": np.concatenate(names) if names else [],
                      "value": np.concatenate(values) if values else []})
    meta = {"header": result._header(), "solution": _dataset_layout(result.solution),
            "dual": _dataset_layout(result.duals)}
    table = table.replace_schema_metadata({b"gridshare_result": json.dumps(meta).encode()})
    pq.write_table(table, path)


def _load_parquet(path: Path):
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"gridshare_result"])
    groups = table.column("group").to_numpy(zero_copy_only=False)
    names = table.column("name").to_numpy(zero_copy_only=False)
    values = table.column("value").to_numpy()

    def rebuild(group: str) -> xr.Dataset:
        layout = meta[group]
        coords = {n: (c["dims"], _decode_coord(c)) for n, c in layout["coords"].items()}
        mask_group = groups == group
        data = {}
        for name, spec in layout["vars"].items():
            vals = values[mask_group & (names == name)]
            shape = [len(coords[d][1]) for d in spec["dims"]]
            data[name] = (spec["dims"], vals.reshape(shape).astype(spec["dtype"]))
        ds = xr.Dataset(data, coords=coords)
        ds.attrs = layout["attrs"]
        return ds

    header = meta["header"]
    costs = values[groups == "costs"].reshape(len(header["cost_index"]),
                                             len(header["cost_columns"]))
    return header, rebuild("solution"), rebuild("dual"), costs
