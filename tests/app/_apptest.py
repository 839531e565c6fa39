"""What every page test does: run a page script in AppTest, read the metrics it shows."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from gridshare.app import PAGES_DIR


def run_page(file: str, timeout: float = 60) -> AppTest:
    """Run ``views/<file>`` once (first computations can take a while) and fail on any exception."""
    at = AppTest.from_file(str(PAGES_DIR / file), default_timeout=timeout)
    at.run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    """Label -> displayed value of every ``st.metric`` on the page."""
    return {m.label: m.value for m in at.metric}
