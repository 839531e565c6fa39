"""The gridshare web app: one Streamlit multipage app over the public API.

Start it with ``gridshare app`` (or ``streamlit run src/gridshare/app/main.py``). Every page is a
plain Streamlit script in :mod:`gridshare.app.views`; it calls the API, draws
:mod:`gridshare.report` figures and offers its results for download. Heavy calls are cached by
the content of the case (:func:`gridshare.app.state.cached`), so revisiting a page is fast.

Examples
--------
>>> [title for _, title, _ in PAGES][:3]
['Home', 'Pool procurement', 'Community market']
"""

from __future__ import annotations

from pathlib import Path

APP_DIR = Path(__file__).resolve().parent
"""Folder of the app (``main.py`` and ``views/``)."""

PAGES_DIR = APP_DIR / "views"
"""Folder of the page scripts."""

PAGES: list[tuple[str, str, str]] = [
    ("home.py", "Home", ":material/home:"),
    ("procurement.py", "Pool procurement", ":material/solar_power:"),
    ("market.py", "Community market", ":material/storefront:"),
    ("p2p.py", "P2P simulation", ":material/hub:"),
    ("benchmark.py", "Tariff benchmark", ":material/leaderboard:"),
    ("microgrid.py", "Microgrid", ":material/factory:"),
]
"""Pages in menu order: (file in ``views/``, title, Material icon)."""

DEFAULT_PORT = 8501
"""Port the app listens on unless told otherwise."""
