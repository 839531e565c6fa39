"""The app in a real browser: every page renders, a bad upload shows its problem list, a workflow runs.

Starts ``streamlit run`` on a free local port, drives Debian's chromium through Playwright
(headless, no sandbox) and saves a screenshot of every page to ``artifacts/``. Select with
``pytest -m browser``; skipped (with the reason) where chromium or Playwright is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gridshare.app import PAGES, server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGE_TIMEOUT_MS = 180_000  # first computation of a year-long example, on a busy 2-core machine

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed (the Makefile's test set-up installs it with apt)",
                allow_module_level=True)
try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # pragma: no cover - playwright is a test dependency
    pytest.skip("playwright is not installed (pip install playwright)", allow_module_level=True)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    """A running app on a free port; the server (and its process group) is always stopped."""
    port = server.free_port()
    log = tmp_path_factory.mktemp("app") / "streamlit.log"
    try:
        running = server.start(port, log, cwd=ROOT)
    except server.ServerError as exc:
        pytest.fail(f"{exc}:\n{log.read_text()}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop(running)


@pytest.fixture(scope="module")
def browser_page(app_url) -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            yield page
        finally:
            browser.close()


def wait_idle(page: Page) -> None:
    """Wait until the script run has finished (the app says it is not running) and drew content."""
    page.wait_for_selector('[data-testid="stMain"]')
    page.wait_for_timeout(500)  # let a rerun that was just triggered start
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.wait_for_selector('[data-testid="stHeading"], [data-testid="stMetric"]')
    page.wait_for_timeout(500)  # plotly draws after the run


def screenshot(page: Page, name: str) -> Path:
    """Whole page: the viewport grows to the main area's height (Streamlit scrolls inside it)."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return m ? m.scrollHeight : 1000 }")
    page.set_viewport_size({"width": 1400, "height": max(1000, min(int(height) + 40, 8000))})
    page.wait_for_timeout(700)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})
    return path


PAGE_PATHS = [("" if i == 0 else Path(file).stem, Path(file).stem, title)
              for i, (file, title, _) in enumerate(PAGES)]


@pytest.mark.parametrize(("url_path", "name", "title"), PAGE_PATHS, ids=[p[1] for p in PAGE_PATHS])
def test_every_page_renders(browser_page: Page, app_url: str, url_path: str, name: str, title: str):
    page = browser_page
    page.goto(f"{app_url}/{url_path}")
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0, \
        page.locator('[data-testid="stException"]').first.inner_text()
    # The page is in the navigation, and is the one selected.
    nav = page.locator('[data-testid="stSidebarNav"]')
    expect(nav.get_by_text(title, exact=True)).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    shot = screenshot(page, name)
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank one


def test_bad_upload_shows_the_problem_list(browser_page: Page, app_url: str):
    page = browser_page
    page.goto(app_url)
    wait_idle(page)
    bad = b"name: broken\ntime: {start: 2024-01-01, periods: 4\nmembers: []\n"
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "broken.yaml", "mimeType": "application/x-yaml", "buffer": bad}])
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="problem in broken.yaml")
    expect(alert).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    table = page.locator('[data-testid="stDataFrame"]').filter(has_text="malformed YAML")
    expect(table.first).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    screenshot(page, "home_bad_upload")
    # The session stays usable: the case opened before is still shown.
    expect(page.get_by_text("Lisbon ten homes").first).to_be_visible(timeout=PAGE_TIMEOUT_MS)


def test_optimise_workflow_shows_the_api_saving(browser_page: Page, app_url: str):
    from gridshare.case import load_case
    from gridshare.model.run import optimise_case

    page = browser_page
    page.goto(app_url)
    wait_idle(page)
    page.get_by_role("button", name="Optimise").click()
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Saving")
    expect(metric).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    wait_idle(page)
    outcome = optimise_case(load_case(ROOT / "examples" / "community_households.yaml"), "collective")
    saving = outcome.table.loc["total", "saving"]
    expect(metric).to_contain_text(f"{saving:,.2f} EUR", timeout=PAGE_TIMEOUT_MS)
    screenshot(page, "home_optimised")
