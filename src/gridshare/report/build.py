"""Build the report of a benchmark run directory: PDF, HTML, XLSX or the tables as JSON/CSV/Parquet.

A run directory (written by the benchmark orchestrator) holds:

- ``summary.json``: the headline figures, a flat mapping of label to value (optional);
- ``tables/<name>.parquet``: any of :data:`KNOWN_TABLES` (other Parquet files there are exported
  too).

:func:`build_report` uses what is present: figures are chosen from the tables found (a ranking bar
from ``rankings``, fairness against cost from ``results``, a tornado from ``tornado``, a heatmap from
``grid``, the surrogate's learning curve, price profiles of the best scenarios from ``prices``,
building costs of the best scenario from ``buildings``, predicted cost and fairness of
``rapid_eval``). The result goes to ``run_dir/report/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gridshare.report.exports import export_tables
from gridshare.report.figures import benchmark as bf
from gridshare.report.html import write_html
from gridshare.report.pdf import write_pdf

__all__ = ["KNOWN_TABLES", "REPORT_FORMATS", "ReportError", "build_report", "load_run"]

KNOWN_TABLES = ("scenarios", "results", "rankings", "buildings", "oat", "tornado", "grid",
                "surrogate_metrics", "learning_curve", "rapid_eval", "verified", "prices", "failures")
"""Tables a run directory may hold, in report order."""

REPORT_FORMATS = ("pdf", "html", "xlsx", "json", "csv", "parquet")
"""Formats of :func:`build_report`."""

# Columns of the results/grid tables that are outcomes, not grid parameters.
_METRICS = ("community_cost", "cost_cv", "cost_gini", "savings_cv", "savings_gini", "self_sufficiency",
            "p2p_benefit", "p2p_traded_kwh", "import_kwh", "export_kwh", "solve_time_s", "score", "rank")
_NOT_PARAMETERS = {*_METRICS, "scenario_id", "status", "seed", "metric", "n_scenarios"}
_PDF_TABLES = ("rankings", "surrogate_metrics", "tornado", "learning_curve", "verified", "failures")
_PROFILES_SHOWN = 3
# The columns of the ranking worth a printed page; the full table is in the exports.
_RANKING_COLUMNS = ("rank", "scenario_id", "tariff", "p2p", "community_cost", "savings_gini",
                    "self_sufficiency", "score")


class ReportError(ValueError):
    """A run directory can not be reported (says what is missing and where)."""


def load_run(run_dir: str | Path) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Read a run directory's headline figures and tables.

    Returns
    -------
    (dict, dict of str to pandas.DataFrame)
        ``summary.json`` (empty when absent) and the tables by name (known tables first, in
        :data:`KNOWN_TABLES` order, then any others alphabetically).
    """
    folder = Path(run_dir)
    if not folder.is_dir():
        raise ReportError(f"run directory {folder} does not exist; give the folder a benchmark run wrote")
    summary: dict[str, Any] = {}
    summary_path = folder / "summary.json"
    if summary_path.is_file():
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ReportError(f"{summary_path} is not valid JSON ({exc})") from exc
        if not isinstance(summary, dict):
            raise ReportError(f"{summary_path} must hold a JSON object of headline figures, "
                              f"got {type(summary).__name__}")
    files = {p.stem: p for p in sorted((folder / "tables").glob("*.parquet"))}
    if not files:
        raise ReportError(f"{folder / 'tables'} holds no .parquet tables; expected some of "
                          f"{list(KNOWN_TABLES)}")
    order = [n for n in KNOWN_TABLES if n in files] + sorted(set(files) - set(KNOWN_TABLES))
    tables = {}
    for name in order:
        try:
            tables[name] = pd.read_parquet(files[name])
        except Exception as exc:  # any reader failure: say which file
            raise ReportError(f"could not read table {files[name]} ({exc})") from exc
    return summary, tables


def _best_ids(tables: dict[str, pd.DataFrame], n: int) -> list:
    if "rankings" in tables and {"scenario_id", "rank"} <= set(tables["rankings"].columns):
        return tables["rankings"].sort_values("rank", kind="stable")["scenario_id"].head(n).tolist()
    if "results" in tables and {"scenario_id", "community_cost"} <= set(tables["results"].columns):
        ok = tables["results"]
        if "status" in ok.columns:
            ok = ok[ok["status"] == "ok"]
        return ok.sort_values("community_cost", kind="stable")["scenario_id"].head(n).tolist()
    return []


def _price_figure(tables: dict[str, pd.DataFrame], ids: list) -> go.Figure | None:
    prices = tables["prices"]
    if not {"scenario_id", "step", "time", "import_price"} <= set(prices.columns):
        return None
    if not ids:
        ids = list(pd.unique(prices["scenario_id"]))
    ids = [i for i in ids if i in set(prices["scenario_id"])][:_PROFILES_SHOWN]
    if not ids:
        return None
    rows = prices[prices["scenario_id"].isin(ids)]
    wide = rows.pivot(index="scenario_id", columns="step", values="import_price").reindex(ids)
    steps = rows[rows["scenario_id"] == ids[0]].sort_values("step")
    time = pd.DatetimeIndex(steps["time"])
    table = pd.DataFrame(index=pd.Index(ids, name="scenario_id"))
    if "scenarios" in tables and "tariff" in tables["scenarios"].columns:
        scen = tables["scenarios"]
        scen = scen.set_index("scenario_id") if "scenario_id" in scen.columns else scen
        table["tariff"] = scen["tariff"].reindex(ids).to_numpy()
    return bf.price_profiles(time, {"import_price": wide.to_numpy(float)}, table, ids)


def _figures(tables: dict[str, pd.DataFrame], currency: str) -> list[tuple[str, go.Figure]]:
    scenarios = tables.get("scenarios")
    best = _best_ids(tables, _PROFILES_SHOWN)
    figures: list[tuple[str, go.Figure]] = []
    if "rankings" in tables:
        metric = "score" if "score" in tables["rankings"].columns else "community_cost"
        figures.append(("Scenario ranking", bf.ranking_bar(tables["rankings"], metric, 20, scenarios,
                                                           currency)))
    if "results" in tables:
        figures.append(("Fairness against cost", bf.fairness_vs_cost(tables["results"], scenarios,
                                                                      currency=currency)))
    if "tornado" in tables:
        tornado = tables["tornado"]
        metric = None
        if "metric" in tornado.columns:
            names = list(pd.unique(tornado["metric"]))
            metric = "community_cost" if "community_cost" in names else names[0]
        figures.append(("Sensitivity (one at a time)", bf.tornado(tornado, metric, currency)))
    if "grid" in tables:
        grid = tables["grid"]
        params = [c for c in grid.columns if c not in _NOT_PARAMETERS and grid[c].nunique() > 1]
        metrics = [c for c in _METRICS if c in grid.columns]
        if len(params) >= 2 and metrics:
            figures.append(("Sensitivity grid", bf.sensitivity_heatmap(grid, params[0], params[1], metrics[0],
                                                                       currency)))
    if "learning_curve" in tables:
        figures.append(("Surrogate learning curve", bf.learning_curve(tables["learning_curve"])))
    rapid_columns = {"scenario_id", "community_cost", "savings_gini"}
    if "rapid_eval" in tables and rapid_columns <= set(tables["rapid_eval"]):
        rapid = tables["rapid_eval"]
        fig = bf.fairness_vs_cost(rapid, rapid if "tariff" in rapid.columns else None, currency=currency)
        fig.update_layout(title={"text": f"Surrogate rapid evaluation of {len(rapid):,} scenarios"})
        figures.append(("Surrogate rapid evaluation", fig))
    verified = tables.get("verified")
    if verified is not None and {"predicted", "actual"} <= set(verified.columns) and len(verified) >= 2:
        figures.append(("Surrogate picks checked by optimisation",
                        bf.predicted_vs_actual(verified["actual"], verified["predicted"], currency=currency)))
    if "prices" in tables:
        fig = _price_figure(tables, best)
        if fig is not None:
            figures.append(("Price profiles of the best scenarios", fig))
    building_columns = {"scenario_id", "building", "cost", "cost_baseline"}
    if "buildings" in tables and building_columns <= set(tables["buildings"].columns):
        ids = best or list(pd.unique(tables["buildings"]["scenario_id"]))
        present = [i for i in ids if i in set(tables["buildings"]["scenario_id"])]
        if present:
            figures.append((f"Building costs, scenario {present[0]}",
                            bf.building_costs(tables["buildings"], present[0], currency)))
    return figures


def _headline(summary: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in summary.items():
        if isinstance(value, dict | list):
            continue  # nested data belongs in the tables, not in the headline
        if isinstance(value, float) and np.isfinite(value):
            text = f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
        else:
            text = str(value)
        out[str(key).replace("_", " ")] = text
    return out


def build_report(run_dir: str | Path, fmt: str = "pdf", title: str | None = None,
                 currency: str = "EUR") -> list[Path]:
    """Write the report of a run directory to ``run_dir/report/``.

    Parameters
    ----------
    run_dir : str or pathlib.Path
        A benchmark run directory (``summary.json`` and ``tables/*.parquet``).
    fmt : str
        ``pdf`` or ``html`` (headline, figures and the main tables: ``report.pdf`` /
        ``report.html``), ``xlsx`` (every table, one sheet each: ``report.xlsx``), or ``json`` /
        ``csv`` / ``parquet`` (one file per table: ``report/<table>.<fmt>``).
    title : str, optional
        Report title (default: ``"Tariff benchmark: <run folder name>"``).
    currency : str
        Currency shown in cost axis titles.

    Returns
    -------
    list of pathlib.Path
        Files written.
    """
    choice = str(fmt).lower().lstrip(".")
    if choice not in REPORT_FORMATS:
        raise ReportError(f"fmt={fmt!r}; allowed: {list(REPORT_FORMATS)}")
    summary, tables = load_run(run_dir)
    out_dir = Path(run_dir) / "report"
    if choice == "xlsx":
        return export_tables(tables, out_dir, ["xlsx"], workbook="report")["xlsx"]
    if choice in ("json", "csv", "parquet"):
        return export_tables(tables, out_dir, [choice])[choice]
    heading = title or f"Tariff benchmark: {Path(run_dir).resolve().name}"
    headline = _headline(summary)
    figures = _figures(tables, currency)
    shown = {n: tables[n] for n in _PDF_TABLES if n in tables}
    if "rankings" in shown:
        ranking = shown["rankings"]
        shown["rankings"] = ranking[[c for c in _RANKING_COLUMNS if c in ranking.columns]]
    if "rankings" not in shown and "results" in tables:
        shown = {"results": tables["results"], **shown}
    others = [n for n in tables if n not in shown]
    notes = [f"Tables in this run: {', '.join(tables)}.",
             "Long tables are shortened here; every table is complete in the XLSX, CSV, JSON and Parquet "
             "exports (gridshare report DIR --format xlsx)."]
    if others:
        notes.append(f"Not printed here: {', '.join(others)}.")
    if choice == "pdf":
        path = out_dir / "report.pdf"
        write_pdf(path, heading, headline, shown, figures, notes)
    else:
        path = write_html(out_dir / "report.html", heading, headline, shown, figures, notes)
    return [path]
