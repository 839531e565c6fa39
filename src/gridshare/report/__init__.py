"""Reports of gridshare results: plotly figures, table exports and PDF/HTML reports.

- :mod:`gridshare.report.figures`: the figures (one house style), shared with the web app;
- :func:`export_tables`: every table to JSON, CSV, Parquet and XLSX (one sheet per table);
- :func:`figure_to_png`: a plotly figure drawn offline with matplotlib;
- :func:`write_pdf` / :func:`write_html`: a report with headline figures, plots and tables;
- :func:`build_report`: the report of a benchmark run directory (``gridshare report DIR``).

The names are imported on first use, so importing one figure module stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["build_report", "export_tables", "figure_to_png", "write_html", "write_pdf"]

_HOMES = {"build_report": "build", "export_tables": "exports", "figure_to_png": "static",
          "write_html": "html", "write_pdf": "pdf"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"gridshare.report.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'gridshare.report' has no attribute {name!r}")
