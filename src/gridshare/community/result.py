"""Results of a community simulation: per-home metrics, the comparison with the baseline,
the replay and the files written for the web app."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gridshare import metrics
from gridshare.community.engine import COMMUNITY_AGENT, ScenarioRun
from gridshare.community.ledger import Ledger

HOUSEHOLD_COLUMNS = ("strategy", "wallet", "cost", "baseline_cost", "savings", "savings_pct",
                     "grid_bought_kwh", "grid_sold_kwh", "p2p_bought_kwh", "p2p_sold_kwh",
                     "p2p_volume_kwh", "battery_charge_kwh", "battery_discharge_kwh",
                     "load_kwh", "pv_kwh", "self_consumption", "self_sufficiency",
                     "trade_steps")
"""Columns of :attr:`SimulationResult.households` (kWh, currency, fractions)."""


def _nan_metric(func, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.array([func([x], [y]) if x > 0 else np.nan for x, y in zip(a, b, strict=True)],
                        dtype=float)


def household_table(run: ScenarioRun, baseline: ScenarioRun | None) -> pd.DataFrame:
    """Per-agent metrics of a run, with savings against ``baseline`` (same inputs).

    Wallet = money in minus money out over the horizon (start at 0), currency; cost = -wallet;
    self-consumption = 1 - grid export / PV; self-sufficiency = 1 - grid import / load
    (:mod:`gridshare.metrics`).
    """
    t = run.totals
    cost = run.cost
    out = pd.DataFrame(index=t.index)
    strategies = [*run.strategies, *(["operator"] * (len(t) - len(run.strategies)))]
    out["strategy"] = strategies
    out["wallet"] = -cost
    out["cost"] = cost
    if baseline is not None:
        base = baseline.cost.reindex(t.index, fill_value=0.0)
        out["baseline_cost"] = base
        out["savings"] = base - cost
        with np.errstate(invalid="ignore", divide="ignore"):
            out["savings_pct"] = metrics.savings_pct(base.to_numpy(), cost.to_numpy())
    else:
        out["baseline_cost"] = np.nan
        out["savings"] = np.nan
        out["savings_pct"] = np.nan
    out["grid_bought_kwh"] = t["grid_import_kwh"]
    out["grid_sold_kwh"] = t["grid_export_kwh"]
    out["p2p_bought_kwh"] = t["p2p_bought_kwh"]
    out["p2p_sold_kwh"] = t["p2p_sold_kwh"]
    out["p2p_volume_kwh"] = t["p2p_bought_kwh"] + t["p2p_sold_kwh"]
    out["battery_charge_kwh"] = t["battery_charge_kwh"]
    out["battery_discharge_kwh"] = t["battery_discharge_kwh"]
    out["load_kwh"] = t["load_kwh"]
    out["pv_kwh"] = t["pv_kwh"]
    out["self_consumption"] = _nan_metric(metrics.self_consumption, t["pv_kwh"].to_numpy(),
                                          t["grid_export_kwh"].to_numpy())
    out["self_sufficiency"] = _nan_metric(metrics.self_sufficiency, t["load_kwh"].to_numpy(),
                                          t["grid_import_kwh"].to_numpy())
    out["trade_steps"] = run.traded_steps
    return out[list(HOUSEHOLD_COLUMNS)]


def community_summary(run: ScenarioRun, households: pd.DataFrame) -> dict[str, float]:
    """Community totals and equity of a run (homes only, plus the community agent's cost)."""
    homes = households.drop(index=[COMMUNITY_AGENT], errors="ignore")
    t = run.totals
    load, pv = float(t["load_kwh"].sum()), float(t["pv_kwh"].sum())
    imp, exp = float(t["grid_import_kwh"].sum()), float(t["grid_export_kwh"].sum())
    savings = homes["savings"].to_numpy(float)
    base_total = float(households["baseline_cost"].sum())
    cost_total = float(households["cost"].sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        gini = (float(metrics.gini(savings)) if np.isfinite(savings).all()
                and abs(savings.mean()) > 1e-12 else float("nan"))
        saving_pct = float(metrics.savings_pct(base_total, cost_total)) \
            if np.isfinite(base_total) else float("nan")
    return {
        "homes": len(homes), "steps": int(run.attrs["steps"]),
        "total_cost": cost_total, "baseline_cost": base_total,
        "savings": base_total - cost_total, "savings_pct": saving_pct,
        "total_wallet": float(households["wallet"].sum()),
        "grid_bought_kwh": imp, "grid_sold_kwh": exp,
        "p2p_volume_kwh": float(t["p2p_bought_kwh"].sum()),
        "p2p_paid": float(t["p2p_paid"].sum()), "p2p_received": float(t["p2p_received"].sum()),
        "self_consumption": 1.0 - exp / pv if pv > 0 else float("nan"),
        "self_sufficiency": 1.0 - imp / load if load > 0 else float("nan"),
        "participation_rate": float((homes["trade_steps"] > 0).mean()),
        "mean_step_participation": float(run.step_participation.mean()),
        "gini_savings": gini,
        "mean_local_price": float(run.prices.mean()) if len(run.prices) else float("nan"),
        "trades": len(run.trades),
        "steps_per_second": (run.attrs["steps"] / run.elapsed_s) if run.elapsed_s > 0
        else float("inf"),
    }


COMPARISON_METRICS = ("total_cost", "grid_bought_kwh", "grid_sold_kwh", "p2p_volume_kwh",
                      "self_consumption", "self_sufficiency", "participation_rate",
                      "gini_savings")


def comparison_table(run: dict[str, float], baseline: dict[str, float]) -> pd.DataFrame:
    """Community metrics of the scenario against the baseline: ``baseline``, ``scenario``,
    ``change`` (scenario - baseline) per metric."""
    rows = {k: {"baseline": baseline.get(k, np.nan), "scenario": run.get(k, np.nan)}
            for k in COMPARISON_METRICS}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "metric"
    out["change"] = out["scenario"] - out["baseline"]
    return out


@dataclass
class SimulationResult:
    """A scenario and its baseline on identical inputs.

    Attributes
    ----------
    households : pandas.DataFrame
        Per home (and the community agent of a central battery): :data:`HOUSEHOLD_COLUMNS`.
    comparison : pandas.DataFrame
        Community metrics, baseline vs scenario (:func:`comparison_table`).
    summary : dict
        Community totals (:func:`community_summary`), settings and the ledger head hash.
    replay : xarray.Dataset or None
        State at every step per agent (SOC, flows, prices, wallets); trades in :attr:`trades`.
    trades : pandas.DataFrame
        Every bilateral trade: step, seller, buyer, kWh, price, amount.
    ledger : Ledger or None
    forecast_errors : pandas.DataFrame
        MAE and RMSE of the forecasts used.
    scenario, baseline : ScenarioRun
    """

    households: pd.DataFrame
    comparison: pd.DataFrame
    summary: dict[str, Any]
    replay: xr.Dataset | None
    trades: pd.DataFrame
    ledger: Ledger | None
    forecast_errors: pd.DataFrame
    scenario: ScenarioRun
    baseline: ScenarioRun | None
    attrs: dict[str, Any] = field(default_factory=dict)

    def write(self, out_dir: str | Path) -> Path:
        """Write the result to a folder; return it.

        Files: ``households.csv``, ``comparison.csv``, ``summary.json``,
        ``forecast_errors.csv``, ``trades.parquet``, ``replay.nc`` and ``replay.parquet``
        (one row per step and agent) when recorded, ``ledger.jsonl`` when kept.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        self.households.to_csv(out / "households.csv")
        self.comparison.to_csv(out / "comparison.csv")
        self.forecast_errors.to_csv(out / "forecast_errors.csv")
        summary = {k: (v if not isinstance(v, float) or np.isfinite(v) else None)
                   for k, v in self.summary.items()}
        (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
        self.trades.to_parquet(out / "trades.parquet", index=False)
        if self.replay is not None:
            self.replay.to_netcdf(out / "replay.nc", engine="h5netcdf")
            # The long table is one row per (step, agent); trade edges are in trades.parquet.
            flat = self.replay.drop_vars(["time", "trade_kwh", "seller", "buyer"],
                                         errors="ignore")
            frame = flat.to_dataframe().reset_index()
            frame.insert(1, "time", np.asarray(self.replay["time"].values)[frame["step"]])
            frame.to_parquet(out / "replay.parquet", index=False)
        if self.ledger is not None:
            self.ledger.save(out / "ledger.jsonl")
        return out
