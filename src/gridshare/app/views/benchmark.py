"""Tariff benchmark: run or load a sweep of tariff scenarios, rank them, sensitivity, surrogate."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from gridshare.app.state import USER_ERRORS, show_error
from gridshare.app.widgets import download_figure, download_table
from gridshare.benchmark.community import default_community
from gridshare.benchmark.run import run_benchmark
from gridshare.report.build import build_report, load_run
from gridshare.report.figures import benchmark as figures

# Run directories of the sweeps started from the page (one per settings, so a rerun resumes).
RUNS_DIR = Path(tempfile.gettempdir()) / "gridshare-app-benchmark"

RUN_KEY = "benchmark_run_dir"
CURRENCY = "EUR"


def run_folder(settings: dict[str, Any]) -> Path:
    """The run directory of a set of sweep settings (the same settings resume the same folder)."""
    text = json.dumps(settings, sort_keys=True)
    tag = f"{settings['scenarios']}sc-{settings['buildings']}b-{settings['steps']}st-seed{settings['seed']}"
    return RUNS_DIR / f"{tag}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


@st.cache_data(show_spinner=False, max_entries=8)
def read_run(folder: str, stamp: str) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Headline figures and tables of a run directory (re-read when its summary changes)."""
    return load_run(folder)


def stamp_of(folder: Path) -> str:
    summary = folder / "summary.json"
    return str(summary.stat().st_mtime_ns) if summary.exists() else "-"


def earlier_runs() -> list[Path]:
    """Finished runs in :data:`RUNS_DIR`, newest first."""
    if not RUNS_DIR.is_dir():
        return []
    done = [p for p in RUNS_DIR.iterdir() if (p / "summary.json").is_file()]
    return sorted(done, key=lambda p: (p / "summary.json").stat().st_mtime, reverse=True)


st.title("Tariff benchmark")
st.markdown("Sweep tariff designs (time of use, critical peak, real time, event-driven; each with and "
            "without peer-to-peer trading) over a community of buildings, optimise each scenario, "
            "and rank them by cost and fairness.")

with st.sidebar:
    st.subheader("Sweep")
    with st.form("benchmark_form", border=False):
        n_scenarios = st.number_input("Scenarios", 4, 2000, 16, step=4, key="benchmark_scenarios",
                                      help="Balanced over tariff x P2P on/off.")
        seed = st.number_input("Seed", 0, 2**31 - 1, 0, key="benchmark_seed")
        with st.expander("Community", expanded=False):
            buildings = st.number_input("Buildings", 2, 200, 10, key="benchmark_buildings")
            steps = st.selectbox("Steps in the day", [24, 48, 96], index=2, key="benchmark_steps",
                                 format_func=lambda s: f"{s} ({1440 // s} min)")
        with st.expander("Analyses", expanded=False):
            rank_by = st.selectbox("Rank by", ["score", "cost", "fairness"], key="benchmark_rank_by")
            sensitivity = st.checkbox("Sensitivity around the best scenario", value=True,
                                      key="benchmark_sensitivity",
                                      help="One at a time and a grid over export ratio and P2P spread.")
            surrogate = st.checkbox("Train the surrogate", value=False, key="benchmark_surrogate")
            training = st.number_input("Training scenarios", 10, 5000, 60, key="benchmark_training")
            rapid = st.number_input("Rapid evaluations by the surrogate", 0, 100_000, 500,
                                    key="benchmark_rapid")
        executor = st.selectbox("Run on", ["process", "serial", "dask"], key="benchmark_executor",
                                help="process: local worker processes; dask: a local Dask cluster.")
        run = st.form_submit_button("Run sweep", type="primary", icon=":material/play_arrow:")
    st.subheader("Load a run")
    runs = earlier_runs()
    if runs:
        picked = st.selectbox("Earlier runs", runs, format_func=lambda p: p.name, key="benchmark_earlier")
        if st.button("Open run", key="benchmark_open", icon=":material/folder_open:"):
            st.session_state[RUN_KEY] = str(picked)
    typed = st.text_input("Run directory on the server", key="benchmark_path",
                          placeholder="/path/to/run (holds summary.json and tables/)")
    if st.button("Load directory", key="benchmark_load", icon=":material/upload_file:") and typed:
        st.session_state[RUN_KEY] = typed.strip()

if run:
    settings = {"scenarios": int(n_scenarios), "seed": int(seed), "buildings": int(buildings),
                "steps": int(steps), "rank_by": rank_by, "sensitivity": bool(sensitivity),
                "surrogate": bool(surrogate), "training": int(training), "rapid": int(rapid)}
    folder = run_folder(settings)
    bar = st.progress(0.0, text="Starting the sweep ...")

    def on_result(done: int, total: int, outcome: Any) -> None:
        status = "ok" if type(outcome).__name__ == "ScenarioResult" else "failed"
        bar.progress(done / max(total, 1), text=f"Scenario {done} of {total} evaluated ({status})")

    try:
        with st.status(f"Running {settings['scenarios']} scenarios on {executor} ...", expanded=True) as box:
            community = default_community(settings["buildings"], settings["steps"], 1440 // settings["steps"])
            result = run_benchmark(folder, settings["scenarios"], seed=settings["seed"], community=community,
                                   executor=executor, sensitivity=settings["sensitivity"],
                                   train_surrogate=settings["surrogate"],
                                   training_scenarios=settings["training"],
                                   rapid_eval=settings["rapid"] if settings["surrogate"] else 0,
                                   rank_by=rank_by, progress=False, on_result=on_result)
            box.update(label=f"Done in {result.summary.get('wall_s', 0):.1f} s: "
                             f"{result.summary['evaluated']} evaluated, {result.summary['failed']} failed",
                       state="complete", expanded=False)
        st.session_state[RUN_KEY] = str(folder)
    except USER_ERRORS as exc:
        show_error(exc)

folder_text = st.session_state.get(RUN_KEY)
if folder_text is None:
    runs = earlier_runs()
    if not runs:
        st.info("No sweep yet. Set the sweep in the sidebar and press **Run sweep** (16 scenarios on "
                "the default ten buildings take a minute or two), or load a run directory.",
                icon=":material/info:")
        st.stop()
    folder_text = str(runs[0])
folder = Path(folder_text)
try:
    summary, tables = read_run(str(folder), stamp_of(folder))
except USER_ERRORS as exc:
    show_error(exc)
    st.stop()

st.caption(f"Run: `{folder}`")
cols = st.columns(5)
cols[0].metric("Evaluated", f"{summary.get('evaluated', 0)} of {summary.get('scenarios', 0)}",
               f"{summary.get('failed', 0)} failed" if summary.get("failed") else None, delta_color="inverse")
if "best_tariff" in summary:
    best = summary["best_tariff"].upper() + ("+P2P" if summary["best_p2p"] else "")
    cols[1].metric("Best tariff", best, help=f"Scenario {summary['best_scenario']}")
    cols[2].metric(f"Best cost ({CURRENCY})", f"{summary['best_community_cost']:,.2f}",
                   help="Community cost of the best-ranked scenario.")
    cols[3].metric("Its savings Gini", f"{summary.get('best_savings_gini', float('nan')):.3f}",
                   help="Gini coefficient of the buildings' savings against their passive bills: "
                        "0 = equal savings, lower is fairer.")
    cols[4].metric(f"P2P benefit ({CURRENCY})", f"{summary['mean_p2p_benefit']:,.2f}",
                   help="Mean saving that peer-to-peer trading adds, over the P2P scenarios.")

scenarios = tables.get("scenarios")
tabs = st.tabs(["Rankings", "Fairness vs cost", "Sensitivity", "Surrogate", "Downloads"],
               key="benchmark_tab", on_change="rerun")
if tabs[0].open:
    with tabs[0]:
        if "rankings" in tables and len(tables["rankings"]):
            ranking = tables["rankings"]
            metric = "score" if "score" in ranking.columns else "community_cost"
            fig = figures.ranking_bar(ranking, metric, 20, scenarios, CURRENCY)
            st.plotly_chart(fig, key="benchmark_ranking_fig")
            shown = [c for c in ("rank", "scenario_id", "tariff", "p2p", "score", "community_cost",
                                 "community_saving", "savings_gini", "cost_cv", "self_sufficiency",
                                 "p2p_benefit") if c in ranking.columns]
            st.dataframe(ranking[shown], hide_index=True, width="stretch", key="benchmark_rankings")
            download_table(ranking, "rankings", key="benchmark_rankings_dl")
        else:
            st.warning("No scenario of this run was evaluated; see the failures table under Downloads.")
if tabs[1].open:
    with tabs[1]:
        fig = figures.fairness_vs_cost(tables["results"], scenarios, currency=CURRENCY)
        st.plotly_chart(fig, key="benchmark_fairness_fig")
        download_figure(fig, "fairness_vs_cost", key="benchmark_fairness_html")
if tabs[2].open:
    with tabs[2]:
        if "tornado" not in tables:
            st.info("This run has no sensitivity analysis; tick it under Analyses and run again.")
        else:
            tornado = tables["tornado"]
            metric = None
            if "metric" in tornado.columns:
                names = list(pd.unique(tornado["metric"]))
                metric = "community_cost" if "community_cost" in names else names[0]
            st.plotly_chart(figures.tornado(tornado, metric, CURRENCY), key="benchmark_tornado_fig")
            st.dataframe(tornado, hide_index=True, width="stretch", key="benchmark_tornado")
        if "grid" in tables:
            grid = tables["grid"]
            params = [c for c in ("export_ratio", "community_spread") if c in grid.columns]
            if len(params) == 2:
                st.plotly_chart(figures.sensitivity_heatmap(grid, params[0], params[1], "community_cost",
                                                            CURRENCY), key="benchmark_grid_fig")
if tabs[3].open:
    with tabs[3]:
        if "surrogate_metrics" not in tables:
            st.info("This run trained no surrogate; tick it under Analyses and run again.")
        else:
            st.markdown("**Held-out accuracy**")
            st.dataframe(tables["surrogate_metrics"], hide_index=True, width="stretch",
                         key="benchmark_surrogate_metrics")
            if "learning_curve" in tables:
                st.plotly_chart(figures.learning_curve(tables["learning_curve"]), key="benchmark_lc_fig")
            if "verified" in tables and len(tables["verified"]):
                verified = tables["verified"]
                st.plotly_chart(figures.predicted_vs_actual(verified["actual"], verified["predicted"],
                                                            "community_cost", CURRENCY),
                                key="benchmark_pva_fig")
                st.dataframe(verified, hide_index=True, width="stretch", key="benchmark_verified")
            if "rapid_eval" in tables:
                rapid_table = tables["rapid_eval"]
                st.markdown(f"**Rapid evaluation**: {len(rapid_table):,} scenarios predicted, best first")
                st.dataframe(rapid_table.head(50), hide_index=True, width="stretch", key="benchmark_rapid")
if tabs[4].open:
    with tabs[4]:
        st.caption("Every table of the run as CSV and XLSX, and the report as PDF.")

        def pdf() -> bytes:
            return build_report(folder, "pdf", currency=CURRENCY)[0].read_bytes()

        st.download_button("Report (PDF)", pdf, file_name=f"{folder.name}.pdf", mime="application/pdf",
                           key="benchmark_pdf", icon=":material/picture_as_pdf:", on_click="ignore",
                           type="primary")
        for name, table in tables.items():
            st.markdown(f"**{name}** — {len(table):,} rows")
            download_table(table, name, key=f"benchmark_all_{name}")
