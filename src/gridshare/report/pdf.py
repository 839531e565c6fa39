"""A PDF report (A4, fpdf2): headline figures, plots and tables, with a predictable page count.

Text is set in DejaVu Sans, the TrueType font that ships with matplotlib, embedded in the file, so
"€", "²", "—" and other non-Latin-1 characters print as they are, offline.

Page rule (what :func:`write_pdf` returns):

``pages = 1 + len(figures) + sum(table_pages) + (1 if notes else 0)`` where for each table
``table_pages = column_blocks x ceil(max(shown_rows, 1) / ROWS_PER_PAGE)``,
``shown_rows = min(len(table), max_rows)`` and ``column_blocks = ceil((n_columns - 1) /
(COLUMNS_PER_PAGE - 1))`` (at least 1; the first column is repeated in every block so each row
stays identifiable).

- Page 1: title, date and the headline figures (at most :data:`HEADLINE_MAX`; more are cut with a
  line saying how many).
- One page per figure: its title and the plot, drawn offline by :mod:`gridshare.report.static`.
- Tables: a heading, then at most :data:`ROWS_PER_PAGE` rows per page; a table longer than
  ``max_rows`` shows its first ``max_rows`` rows and says so; cell text too wide for its column is
  cut with "…".
- A last page of notes when there are any (notes are meant to fit one page).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from fpdf import FPDF

from gridshare.report.static import figure_to_png

__all__ = ["COLUMNS_PER_PAGE", "HEADLINE_MAX", "ROWS_PER_PAGE", "format_cell", "page_count", "write_pdf"]

ROWS_PER_PAGE = 40
"""Table rows per page."""
COLUMNS_PER_PAGE = 8
"""Table columns per page, the repeated first column included."""
HEADLINE_MAX = 30
"""Headline figures printed on page 1."""
DEFAULT_MAX_ROWS = 80

_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_FONT = "DejaVu"
_MARGIN = 15.0  # mm
_WIDTH = 210.0 - 2 * _MARGIN
_ROW_H = 5.5  # mm
_FIGURE_PX = (1100, 700)


def _column_blocks(n_columns: int) -> list[list[int]]:
    if n_columns <= COLUMNS_PER_PAGE:
        return [list(range(n_columns))]
    rest = list(range(1, n_columns))
    step = COLUMNS_PER_PAGE - 1
    return [[0, *rest[i:i + step]] for i in range(0, len(rest), step)]


def _table_pages(table: pd.DataFrame, max_rows: int) -> int:
    shown = min(len(table), max_rows)
    return len(_column_blocks(len(table.columns))) * math.ceil(max(shown, 1) / ROWS_PER_PAGE)


def page_count(n_figures: int, tables: Mapping[str, pd.DataFrame], notes: Sequence[str] = (),
               max_rows: int = DEFAULT_MAX_ROWS) -> int:
    """Pages :func:`write_pdf` will write for these inputs (the rule in the module docstring).

    Examples
    --------
    >>> page_count(2, {"t": pd.DataFrame({"a": range(100), "b": 0.5})}, max_rows=80)
    5
    """
    frames = [_prepare(name, t) for name, t in tables.items()]
    return 1 + int(n_figures) + sum(_table_pages(f, max_rows) for f in frames) + (1 if notes else 0)


def _prepare(name: str, table: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table {name!r} must be a pandas DataFrame, got {type(table).__name__}")
    if not isinstance(table.index, pd.RangeIndex) or any(n is not None for n in table.index.names):
        table = table.reset_index()
    return table


def format_cell(value: Any) -> str:
    """A table value as report text: 4 significant digits (2 decimals from 100 up), thousands
    separators, ``yes``/``no``, times to the minute, blank for missing.

    Examples
    --------
    >>> [format_cell(v) for v in (1234.567, 0.012345, 7, True, float("nan"))]
    ['1,234.57', '0.01235', '7', 'yes', '']
    """
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
    if isinstance(value, pd.Timestamp | datetime):
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


class _Report(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report_title = title
        self.add_font(_FONT, "", str(_FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(_FONT, "B", str(_FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        # Pages are laid out explicitly so that their number follows the documented rule.
        self.set_auto_page_break(False)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(_FONT, "", 8)
        self.set_text_color(120)
        self.cell(0, 5, f"{self.report_title} — page {self.page_no()}", align="C")
        self.set_text_color(0)

    def heading(self, text: str, size: float = 14) -> None:
        self.set_font(_FONT, "B", size)
        self.multi_cell(_WIDTH, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def fitted(self, text: str, width: float) -> str:
        """Cut text with an ellipsis to fit a cell of ``width`` mm (1 mm padding each side)."""
        room = width - 2.0
        if self.get_string_width(text) <= room:
            return text
        while text and self.get_string_width(text + "…") > room:
            text = text[:-1]
        return text + "…"


def write_pdf(path: str | Path, title: str, headline: Mapping[str, Any],
              tables: Mapping[str, pd.DataFrame], figures: Sequence[tuple[str, go.Figure]],
              notes: Sequence[str] = (), max_rows: int = DEFAULT_MAX_ROWS,
              generated: datetime | None = None) -> int:
    """Write an A4 PDF report and return its number of pages.

    Parameters
    ----------
    path : str or pathlib.Path
        The PDF file to write (its folder is created).
    title : str
        Report title (page 1 and every footer).
    headline : mapping of str to str
        Headline figures, label -> value text (numbers are formatted), printed on page 1.
    tables : mapping of str to pandas.DataFrame
        Tables to print, in order, under their names.
    figures : sequence of (str, plotly.graph_objects.Figure)
        Figures, one page each, under their titles.
    notes : sequence of str
        Notes for a last page (method, assumptions, truncations elsewhere).
    max_rows : int
        Longest table printed in full; longer ones show their first ``max_rows`` rows.
    generated : datetime, optional
        Date printed on page 1 (default: now, UTC).

    Returns
    -------
    int
        Pages written, equal to :func:`page_count` for the same inputs.
    """
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1:
        raise ValueError(f"max_rows={max_rows!r}; allowed: an integer >= 1")
    figure_list = list(figures)
    for i, item in enumerate(figure_list):
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], go.Figure)):
            raise ValueError(f"figures[{i}] must be a (title, plotly Figure) pair, got {type(item).__name__}")
    frames = {str(name): _prepare(str(name), table) for name, table in tables.items()}
    pdf = _Report(title)
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M %Z").strip()

    pdf.add_page()
    pdf.set_font(_FONT, "B", 22)
    pdf.multi_cell(_WIDTH, 10, title, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, "", 10)
    pdf.cell(_WIDTH, 6, f"Generated {when}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    items = list(headline.items())
    if items:
        pdf.heading("Headline figures")
        pdf.set_font(_FONT, "", 11)
        for label, value in items[:HEADLINE_MAX]:
            text = value if isinstance(value, str) else format_cell(value)
            pdf.cell(_WIDTH * 0.55, 7, pdf.fitted(str(label), _WIDTH * 0.55), border="B")
            pdf.set_font(_FONT, "B", 11)
            pdf.cell(_WIDTH * 0.45, 7, pdf.fitted(text, _WIDTH * 0.45), border="B", align="R",
                     new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(_FONT, "", 11)
        if len(items) > HEADLINE_MAX:
            pdf.ln(2)
            pdf.cell(_WIDTH, 6, f"… and {len(items) - HEADLINE_MAX} more headline figures (see the tables).",
                     new_x="LMARGIN", new_y="NEXT")

    for caption, fig in figure_list:
        pdf.add_page()
        pdf.heading(str(caption))
        png = figure_to_png(fig, None, *_FIGURE_PX)
        pdf.image(png, x=_MARGIN, w=_WIDTH)

    for name, frame in frames.items():
        _write_table(pdf, name, frame, max_rows)

    if notes:
        pdf.add_page()
        pdf.heading("Notes")
        pdf.set_font(_FONT, "", 10)
        for note in notes:
            pdf.multi_cell(_WIDTH, 5.5, f"• {note}", align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(target))
    return pdf.page_no()


def _write_table(pdf: _Report, name: str, frame: pd.DataFrame, max_rows: int) -> None:
    shown = frame.head(max_rows)
    columns = [str(c) for c in frame.columns]
    text = shown.astype(object).to_numpy()
    blocks = _column_blocks(len(columns))
    row_pages = math.ceil(max(len(shown), 1) / ROWS_PER_PAGE)
    for b, block in enumerate(blocks):
        width = _WIDTH / len(block)
        for page in range(row_pages):
            pdf.add_page()
            label = name
            if len(blocks) > 1:
                label += f" (columns {block[1] + 1 if b else 1}–{block[-1] + 1} of {len(columns)})"
            if page:
                label += " (continued)"
            pdf.heading(label, 12)
            if b == 0 and page == 0:
                pdf.set_font(_FONT, "", 9)
                note = f"{len(frame)} rows" if len(frame) <= max_rows else \
                    f"First {max_rows} of {len(frame)} rows shown; the full table is in the data exports."
                pdf.cell(_WIDTH, 5, note, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(1)
            pdf.set_font(_FONT, "B", 8)
            pdf.set_fill_color(230, 230, 230)
            for j in block:
                pdf.cell(width, _ROW_H, pdf.fitted(columns[j], width), border=1, fill=True, align="C")
            pdf.ln(_ROW_H)
            pdf.set_font(_FONT, "", 8)
            rows = text[page * ROWS_PER_PAGE:(page + 1) * ROWS_PER_PAGE]
            if not len(rows):
                pdf.cell(_WIDTH, _ROW_H, "(no rows)", border=1, align="C")
            for row in rows:
                for j in block:
                    value = row[j]
                    numeric = isinstance(value, int | float | np.number) and not isinstance(value, bool)
                    pdf.cell(width, _ROW_H, pdf.fitted(format_cell(value), width), border=1,
                             align="R" if numeric else "L")
                pdf.ln(_ROW_H)
