"""The dashboard as people use it: ``streamlit run serve.py`` in a subprocess, and Debian's Chromium.

Fixtures
- ``dashboard`` (session): the server on a free port of 127.0.0.1, with its own data dir, the repo's
  ``compose/`` demo registry and ``USHADOW_PUBLIC_URL`` pointing at itself. Ready once ``/healthz``
  answers 200; always stopped at the end (its whole process group: the one we started).
- ``browser`` (session): Chromium from the system (``/usr/bin/chromium``) launched by Playwright with
  ``executable_path``; Playwright's own browser downloads are never used.
- ``app`` (function): a fresh browser context (no cookies, no Streamlit session) with one page,
  wrapped in :class:`App`. ``new_app()`` opens another fresh context, as a second person would.

What works for driving Streamlit 1.67 in a browser (found by trying)
- The page is ready when ``[data-testid="stApp"]`` says ``data-test-connection-state="CONNECTED"`` and
  ``data-test-script-state="notRunning"`` and no ``stStatusWidget`` ("Running...") is shown. Right
  after a click the rerun may not have started yet, so :meth:`App.settle` wants that state twice in a
  row, a moment apart; assertions then use ``expect`` (which retries) on what the action shows.
- Widgets are found by their label (``get_by_label("Name")``, ``get_by_role("button", name=...)``).
  A selectbox is a combobox: click it, then click ``get_by_role("option", name=...)``. A file
  uploader's button opens a real file chooser (``page.expect_file_chooser()``).
- ``st.dataframe`` draws on a canvas (glide-data-grid), but the canvas holds an accessible
  ``table[role=grid]`` with the *visible* cells only (columns scrolled off to the right, and rows
  below the fold, are missing): :meth:`App.grid` reads it. To read a whole table, :meth:`App.table`
  hovers it and clicks its toolbar's "Download as CSV": the CSV has every row and column, under the
  dataframe's own column names (not the labels). Streamlit saves through ``showSaveFilePicker``
  when the browser has it (a native dialog); each context deletes it first, so the download falls
  back to a plain file download that Playwright catches.
- The main area scrolls inside ``[data-testid="stMain"]``, so a "full page" screenshot would stop at
  the viewport: :meth:`App.shot` grows the viewport to the content's height for the picture.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Playwright, sync_playwright

from core.settings import Settings
from core.store.store import Store
from tests.support.apiserver import running_server

REPO = Path(__file__).resolve().parents[2]
# Every run saves its screenshots; into docs/screenshots (the README's) only when asked
# (`USHADOW_SCREENSHOTS=docs make test`), so ordinary runs leave the working tree alone.
SHOTS = (
    REPO / "docs" / "screenshots"
    if os.environ.get("USHADOW_SCREENSHOTS") == "docs"
    else REPO / "tests" / "artifacts" / "screenshots"
)
ARTIFACTS = REPO / "tests" / "artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 900}
SETTLE_TIMEOUT = 90_000  # ms for one script run (adding a cluster connects to it)

_READY = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app && app.dataset.testConnectionState === 'CONNECTED'
        && app.dataset.testScriptState === 'notRunning'
        && !document.querySelector('[data-testid="stStatusWidget"]');
}"""
_MAIN_HEIGHT = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    return main ? main.scrollHeight : document.documentElement.scrollHeight;
}"""
_TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
_GRID = """(frame) => {
    const grid = frame.querySelector('table[role="grid"]');
    if (!grid) return null;
    const header = [...grid.querySelectorAll('thead th')].map(th => th.textContent);
    const rows = [...grid.querySelectorAll('tbody tr')].map(
        tr => [...tr.querySelectorAll('td')].map(td => td.textContent));
    return {header, rows};
}"""


@dataclass(frozen=True)
class Dashboard:
    """A running ``streamlit run serve.py`` and where its data lives."""

    url: str
    data_dir: Path
    log: Path
    settings: Settings

    def open_store(self) -> Store:
        """The server's own database (SQLite in WAL mode, so both processes may use it)."""
        return Store.open(self.settings)

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """``streamlit run serve.py`` on a free port with the demo registry (``tests.support.apiserver``:
    nothing from the environment running the tests leaks in, and the in-test Settings read the
    same data dir and key)."""
    home = tmp_path_factory.mktemp("dashboard")
    with running_server(home, USHADOW_COMPOSE_DIR=str(REPO / "compose")) as server:
        yield Dashboard(url=server.url, data_dir=home / "data", log=server.log, settings=server.settings)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        yield browser
    finally:
        browser.close()


class App:
    """One browser tab on the dashboard, with the Streamlit-specific waits and readers."""

    def __init__(self, page: Page, dashboard: Dashboard) -> None:
        self.page = page
        self.dashboard = dashboard

    def open(self, path: str = "") -> App:
        """Go to ``/<path>`` (a page's url_path, query string allowed) and wait for its script."""
        self.page.goto(f"{self.dashboard.url}/{path.lstrip('/')}")
        self.page.wait_for_selector('[data-testid="stApp"]')
        return self.settle()

    def settle(self) -> App:
        """Wait until the app is connected and no script run is pending, and stays so for a moment."""
        for _ in range(2):
            self.page.wait_for_function(_READY, timeout=SETTLE_TIMEOUT)
            self.page.wait_for_timeout(250)
        self.page.wait_for_function(_READY, timeout=SETTLE_TIMEOUT)
        return self

    @property
    def main(self) -> Locator:
        return self.page.locator('[data-testid="stMain"]')

    def html(self) -> str:
        return self.page.content()

    def assert_no_traceback(self) -> None:
        """Errors reach people as messages: Streamlit's exception box never shows."""
        assert self.page.locator('[data-testid="stException"]').count() == 0, self.main.inner_text()

    def dataframes(self) -> Locator:
        return self.page.locator('[data-testid="stDataFrame"]')

    def dataframe(self, column: str) -> Locator:
        """The dataframe that has a column labelled ``column``.

        (A ``key=`` gives a dataframe an ``st-key-<key>`` class only when it has selections on, so
        the column labels, which its accessible grid carries, are what tells dataframes apart.)
        """
        header = self.page.locator('table[role="grid"] th[role="columnheader"]').filter(
            has_text=re.compile(f"^{re.escape(column)}$")
        )
        return self.dataframes().filter(has=header)

    def grid(self, frame: Locator) -> tuple[list[str], list[list[str]]]:
        """The dataframe's visible cells from its accessible grid: (header labels, rows)."""
        frame.locator('table[role="grid"]').wait_for(state="attached")
        found = frame.evaluate(_GRID)
        assert found is not None, "the dataframe has no accessible grid"
        return list(found["header"]), [list(r) for r in found["rows"]]

    def table(self, frame: Locator) -> list[dict[str, str]]:
        """Every row of the dataframe, through its toolbar's "Download as CSV"."""
        # in the middle of the viewport, so the toolbar (drawn above the frame) is on screen too
        frame.evaluate("e => e.scrollIntoView({block: 'center'})")
        frame.hover()
        button = frame.get_by_role("button", name="Download as CSV")
        button.wait_for(state="visible")
        with self.page.expect_download() as download:
            # dispatched to the button itself: while a page still redraws, a heading above the frame
            # can lie over the toolbar for a moment and take an ordinary click
            button.dispatch_event("click")
        path = download.value.path()
        self.rest_mouse()
        text = Path(path).read_text(encoding="utf-8-sig")
        return list(csv.DictReader(io.StringIO(text)))

    def rest_mouse(self) -> None:
        """Park the pointer in the empty header, so no toolbar or sidebar button shows in pictures."""
        self.page.mouse.move(VIEWPORT["width"] - 10, 10)

    def shot(self, name: str) -> Path:
        """A full-page PNG of what the page shows now, as ``docs/screenshots/<name>.png``."""
        self.settle()
        self.rest_mouse()
        height = int(self.page.evaluate(_MAIN_HEIGHT))
        self.page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], height)})
        self.page.evaluate(_TWO_FRAMES)
        self.page.wait_for_timeout(300)  # canvases (dataframes) redraw at the new size
        SHOTS.mkdir(parents=True, exist_ok=True)
        target = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(target), full_page=True, animations="disabled")
        self.page.set_viewport_size(VIEWPORT)
        return target


def _context(browser: Browser) -> BrowserContext:
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="en-US")
    context.add_init_script("delete window.showSaveFilePicker;")  # CSV downloads as plain downloads
    context.set_default_timeout(30_000)
    return context


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[_FAILED] = report.failed


@pytest.fixture
def new_app(
    browser: Browser, dashboard: Dashboard, request: pytest.FixtureRequest
) -> Iterator[Callable[[], App]]:
    """Open the dashboard in a fresh browser context (no session, no cookies), as often as wanted."""
    contexts: list[BrowserContext] = []

    def make() -> App:
        context = _context(browser)
        contexts.append(context)
        return App(context.new_page(), dashboard)

    yield make
    if request.node.stash.get(_FAILED, False):
        where = ARTIFACTS / request.node.name  # git-ignored; kept after pytest rotates its tmp dirs
        where.mkdir(parents=True, exist_ok=True)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                page.screenshot(path=str(where / f"failure-{i}-{j}.png"), full_page=True)
        (where / "streamlit.log").write_text(dashboard.log_tail(400))
        print(f"screenshots of the failure in {where}\n--- streamlit log ---\n{dashboard.log_tail()}")
    for context in contexts:
        context.close()


@pytest.fixture
def app(new_app: Callable[[], App]) -> App:
    """The dashboard in a fresh browser context of its own."""
    return new_app()
