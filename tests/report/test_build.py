"""build_report on a run directory: every format, read back; clear errors for a bad directory."""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pandas as pd
import pypdf
import pytest

from gridshare.report.build import KNOWN_TABLES, ReportError, build_report, load_run
from gridshare.report.pdf import page_count

from .conftest import run_tables


def test_pdf_report(run_dir):
    (path,) = build_report(run_dir, "pdf", title="Benchmark test")
    assert path == run_dir / "report" / "report.pdf"
    reader = pypdf.PdfReader(path)
    text = [p.extract_text() for p in reader.pages]
    # Figures from the tables present: ranking, fairness, tornado, grid, learning curve, rapid evaluation,
    # verified picks, price profiles, building costs = 9. Printed tables: rankings (8 chosen columns,
    # 11 rows: 1 page), surrogate_metrics, tornado, learning_curve, verified (1 page each); notes 1 page.
    tables = {"rankings": pd.DataFrame(columns=range(8), index=range(11)), "a": pd.DataFrame({"x": [1]}),
              "b": pd.DataFrame({"x": [1]}), "c": pd.DataFrame({"x": [1]}), "d": pd.DataFrame({"x": [1]})}
    assert len(reader.pages) == page_count(9, tables, ["n"]) == 16
    assert "Benchmark test" in text[0]
    summary, _ = run_tables()
    assert summary["best_scenario"] in text[0] and "surrogate r2 cost" in text[0]
    assert [t.splitlines()[0] for t in text[1:10]] == [
        "Scenario ranking", "Fairness against cost", "Sensitivity (one at a time)", "Sensitivity grid",
        "Surrogate learning curve", "Surrogate rapid evaluation", "Surrogate picks checked by optimisation",
        "Price profiles of the best scenarios", f"Building costs, scenario {summary['best_scenario']}"]
    assert text[10].startswith("rankings") and "11 rows" in text[10]
    assert "Notes" in text[-1] and "prices" in text[-1]


def test_xlsx_report_has_every_table(run_dir):
    (path,) = build_report(run_dir, "xlsx")
    assert path.name == "report.xlsx"
    book = openpyxl.load_workbook(path, read_only=True)
    _, tables = run_tables()
    assert book.sheetnames == [n for n in KNOWN_TABLES if n in tables]
    rows = list(book["results"].iter_rows(values_only=True))
    assert rows[0][:3] == ("scenario_id", "status", "community_cost")
    np.testing.assert_allclose([r[2] for r in rows[1:]], tables["results"]["community_cost"])
    assert next(book["prices"].iter_rows(values_only=True))[2] == "time (Europe/Berlin)"


@pytest.mark.parametrize("fmt", ["json", "csv", "parquet"])
def test_table_exports(run_dir, fmt):
    paths = build_report(run_dir, fmt)
    _, tables = run_tables()
    assert sorted(p.name for p in paths) == sorted(f"{n}.{fmt}" for n in tables)
    path = run_dir / "report" / f"tornado.{fmt}"
    back = {"json": lambda p: pd.DataFrame(json.loads(p.read_text())), "csv": pd.read_csv,
            "parquet": pd.read_parquet}[fmt](path)
    pd.testing.assert_frame_equal(back, tables["tornado"], check_dtype=False)


def test_html_report(run_dir):
    (path,) = build_report(run_dir, "HTML")
    html = path.read_text(encoding="utf-8")
    assert html.count('class="plotly-graph-div"') == 9
    assert "<h2>surrogate_metrics</h2>" in html


def test_partial_run_uses_what_is_there(tmp_path):
    (tmp_path / "tables").mkdir()
    _, tables = run_tables()
    tables["results"].to_parquet(tmp_path / "tables" / "results.parquet")
    (path,) = build_report(tmp_path, "pdf")
    text = [p.extract_text() for p in pypdf.PdfReader(path).pages]
    # No summary, one table: title page, the fairness figure, the results table (12 rows, 13 columns ->
    # 2 column blocks), notes = 5 pages.
    assert len(text) == 5
    assert text[1].startswith("Fairness against cost") and text[2].startswith("results")


def test_bad_run_directories(tmp_path):
    with pytest.raises(ReportError, match="does not exist"):
        build_report(tmp_path / "missing")
    with pytest.raises(ReportError, match=r"holds no \.parquet tables"):
        build_report(tmp_path)
    (tmp_path / "tables").mkdir()
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "tables" / "extra.parquet")
    with pytest.raises(ReportError, match=r"fmt='docx'; allowed"):
        build_report(tmp_path, "docx")
    (tmp_path / "summary.json").write_text("[1, 2]")
    with pytest.raises(ReportError, match="JSON object"):
        load_run(tmp_path)
