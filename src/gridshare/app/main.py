"""Entry point of the web app: ``streamlit run src/gridshare/app/main.py`` (or ``gridshare app``).

Sets the page layout and the navigation over the page scripts of :data:`gridshare.app.PAGES`.
"""

from __future__ import annotations

import streamlit as st

from gridshare.app import PAGES, PAGES_DIR

st.set_page_config(page_title="gridshare", page_icon=":material/bolt:", layout="wide")

pages = []
missing = []
for position, (file, title, icon) in enumerate(PAGES):
    path = PAGES_DIR / file
    if path.is_file():
        pages.append(st.Page(path, title=title, icon=icon, default=position == 0))
    else:
        missing.append(title)

navigation = st.navigation(pages)
with st.sidebar:
    st.caption("gridshare — plan, optimise, price and simulate shared energy.")
    if missing:
        st.caption("Not installed in this build: " + ", ".join(missing))
navigation.run()
