"""A self-contained HTML report: headline figures, interactive plotly figures and tables in one file.

plotly.js is embedded once (no network needed to open the file); tables are plain HTML tables, long
ones cut to their first ``max_rows`` rows with a line saying so.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from gridshare.report.pdf import format_cell

__all__ = ["write_html"]

_STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { margin-bottom: 0.2em; } .generated { color: #666; margin-top: 0; }
table.headline td { padding: 0.25em 1.5em 0.25em 0; border-bottom: 1px solid #ddd; }
table.headline td.value { font-weight: bold; text-align: right; }
table.data { border-collapse: collapse; font-size: 0.85em; margin-bottom: 0.5em; }
table.data th, table.data td { border: 1px solid #ccc; padding: 0.2em 0.5em; }
table.data th { background: #eee; } .note { color: #666; font-size: 0.9em; }
section { margin: 2em 0; }
"""


def write_html(path: str | Path, title: str, headline: Mapping[str, Any],
               tables: Mapping[str, pd.DataFrame], figures: Sequence[tuple[str, go.Figure]],
               notes: Sequence[str] = (), max_rows: int = 200, generated: datetime | None = None) -> Path:
    """Write one self-contained HTML report and return its path.

    Parameters
    ----------
    path : str or pathlib.Path
        The HTML file to write (its folder is created).
    title : str
        Page title and heading.
    headline : mapping of str to str
        Headline figures, label -> value text (numbers are formatted).
    tables : mapping of str to pandas.DataFrame
        Tables, in order, under their names.
    figures : sequence of (str, plotly.graph_objects.Figure)
        Interactive figures, in order, under their titles.
    notes : sequence of str
        Notes listed at the end.
    max_rows : int
        Rows shown per table; longer tables are cut with a note.
    generated : datetime, optional
        Date shown under the title (default: now, UTC).

    Returns
    -------
    pathlib.Path
    """
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1:
        raise ValueError(f"max_rows={max_rows!r}; allowed: an integer >= 1")
    esc = html.escape
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M %Z").strip()
    parts = ["<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">",
             f"<title>{esc(title)}</title>",
             f"<style>{_STYLE}</style>\n</head>\n<body>", f"<h1>{esc(title)}</h1>",
             f"<p class=\"generated\">Generated {esc(when)}</p>"]
    if headline:
        rows = "".join(f"<tr><td>{esc(str(k))}</td><td class=\"value\">"
                       f"{esc(v if isinstance(v, str) else format_cell(v))}</td></tr>"
                       for k, v in headline.items())
        parts.append(f"<section><h2>Headline figures</h2><table class=\"headline\">{rows}</table></section>")
    first = True
    for i, item in enumerate(figures):
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], go.Figure)):
            raise ValueError(f"figures[{i}] must be a (title, plotly Figure) pair, got {type(item).__name__}")
        caption, fig = item
        # plotly.js goes in once, with the first figure; the others reuse it.
        div = fig.to_html(full_html=False, include_plotlyjs=first, div_id=f"figure-{i + 1}",
                          config={"displaylogo": False})
        first = False
        parts.append(f"<section class=\"figure\"><h2>{esc(str(caption))}</h2>{div}</section>")
    for name, table in tables.items():
        if not isinstance(table, pd.DataFrame):
            raise ValueError(f"table {name!r} must be a pandas DataFrame, got {type(table).__name__}")
        frame = table if isinstance(table.index, pd.RangeIndex) and table.index.name is None else \
            table.reset_index()
        shown = frame.head(max_rows)
        note = (f"{len(frame)} rows" if len(frame) <= max_rows
                else f"First {max_rows} of {len(frame)} rows shown; the full table is in the data exports.")
        body = shown.to_html(index=False, classes="data", border=0, na_rep="", escape=True,
                             formatters={c: format_cell for c in shown.columns})
        parts.append(f"<section class=\"table\"><h2>{esc(str(name))}</h2><p class=\"note\">{esc(note)}</p>"
                     f"{body}</section>")
    if notes:
        items = "".join(f"<li>{esc(str(n))}</li>" for n in notes)
        parts.append(f"<section><h2>Notes</h2><ul>{items}</ul></section>")
    parts.append("</body>\n</html>\n")
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(parts), encoding="utf-8")
    return target
