"""PDF and HTML reports read back: page count by the documented rule, text, embedded plotly.js."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pypdf
import pytest

from gridshare.report.figures import common
from gridshare.report.html import write_html
from gridshare.report.pdf import ROWS_PER_PAGE, page_count, write_pdf

WHEN = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)


def inputs():
    long = pd.DataFrame({"scenario_id": [f"s{i:03d}" for i in range(100)], "cost": np.arange(100) * 1.5})
    wide = pd.DataFrame(np.arange(2 * 16).reshape(2, 16), columns=[f"c{i}" for i in range(16)])
    tables = {"long": long, "wide": wide, "empty": pd.DataFrame({"a": []})}
    figures = [("Costs — by scenario", common.bar_chart(["a", "b"], [1.0, 2.0], "Cost", "", "Cost (€)")),
               ("Held-out R²", common.line_chart([1, 2], {"r2": [0.8, 0.9]}, "R²"))]
    headline = {"Best community cost": "1 234,50 €", "Surrogate R²": 0.953, "Scenarios": 40}
    return headline, tables, figures


def test_pdf_pages_and_text(tmp_path):
    headline, tables, figures = inputs()
    path = tmp_path / "report.pdf"
    pages = write_pdf(path, "Tariff benchmark — test", headline, tables, figures, notes=["A note — with €."],
                      max_rows=60, generated=WHEN)
    # The rule by hand: 1 title page + 2 figures
    #   + long: 60 of 100 rows shown -> ceil(60 / 40) = 2 pages
    #   + wide: 16 columns -> first column + 15 others in blocks of 7 -> 3 blocks x 1 row page = 3
    #   + empty: 1 page ("no rows") + 1 notes page = 10.
    assert ROWS_PER_PAGE == 40
    assert pages == 10 == page_count(2, tables, ["A note — with €."], max_rows=60)
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == 10
    text = [page.extract_text() for page in reader.pages]
    assert "Tariff benchmark — test" in text[0]
    assert "Generated 2026-12-01 21:00 UTC" in text[0]
    assert "1 234,50 €" in text[0] and "Surrogate R²" in text[0] and "0.953" in text[0]
    assert "Costs — by scenario" in text[1] and "Held-out R²" in text[2]
    assert len(reader.pages[1].images) == 1  # the figure is a picture on its page
    assert "First 60 of 100 rows shown" in text[3]
    assert "s000" in text[3] and "s039" in text[3] and "s040" in text[4] and "s059" in text[4]
    assert "s060" not in text[4]
    assert "s039 58.5" in text[3]  # cost of s039 = 39 x 1.5, printed to 4 significant digits
    assert "wide (columns 1–8 of 16)" in text[5] and "wide (columns 9–15 of 16)" in text[6]
    assert "wide (columns 16–16 of 16)" in text[7] and "c15" in text[7] and "c0" in text[7]
    assert "(no rows)" in text[8]
    assert "A note — with €." in text[9]
    assert re.search(r"page 10", text[9])


def test_pdf_bad_input(tmp_path):
    headline, tables, figures = inputs()
    with pytest.raises(ValueError, match="max_rows=0"):
        write_pdf(tmp_path / "x.pdf", "t", headline, tables, figures, max_rows=0)
    with pytest.raises(ValueError, match=r"figures\[0\] must be a \(title, plotly Figure\) pair"):
        write_pdf(tmp_path / "x.pdf", "t", headline, tables, [figures[0][1]])


def test_html_self_contained(tmp_path):
    headline, tables, figures = inputs()
    path = write_html(tmp_path / "r" / "report.html", "Bench <test>", headline, tables, figures, max_rows=10,
                      generated=WHEN)
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>Bench &lt;test&gt;</title>" in html
    assert 'id="figure-1"' in html and 'id="figure-2"' in html
    # plotly.js is embedded exactly once and nothing is fetched from the network.
    assert html.count("plotly.js v") >= 1
    assert len(re.findall(r"<script[^>]*\bsrc=", html)) == 0
    assert not re.search(r"<link[^>]+href=\"https?:", html)
    assert len(html) > 3_000_000  # the ~4.5 MB bundle is inside
    assert "First 10 of 100 rows shown" in html
    assert "<td>s009</td>" in html and "<td>s010</td>" not in html
    assert "1 234,50 €" in html
