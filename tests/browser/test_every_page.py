"""Every page in real Chromium, as a newcomer's first hour shows it (issue 13): on a 390x844 phone
(nothing wider than the screen, the column people need on screen), in dark mode when the browser
prefers it, and with nothing fetched from any host but the dashboard's own.

The pages show a cluster with the demo's infrastructure scanned and ``notes-api`` deployed (the
fixtures of ``test_flows``, imported: run this file on its own, as every browser file).

Which columns are on screen is read from each dataframe's accessible grid: glide-data-grid puts
only the columns that are (at least partly) in view into it, so a header there is a header a person
sees. A key column counts as wholly on screen when a header after it is in the grid too, or when it
is the table's last column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, expect

from core.store.records import Cluster
from core.store.scans import ScanResult
from tests.browser.conftest import _MAIN_HEIGHT, _TWO_FRAMES, CHROMIUM_ARGS, SHOTS, App, Dashboard
from tests.browser.test_flows import (  # noqa: F401 (fixtures, found by pytest by their names)
    NAMESPACE,
    deployed,
    infrastructure,
    local_cluster_registered,
    scanned,
)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}
_ = CHROMIUM_ARGS  # (the browser fixture launches Chromium with them)


@dataclass(frozen=True)
class Shown:
    """A page, what says it is drawn, and the dataframes whose key columns must be on screen."""

    name: str
    path: str
    heading: str
    keys: tuple[tuple[str, ...], ...] = ()  # per dataframe, its key column labels (the first picks it)
    first_screen: str | None = None  # a heading a phone shows without scrolling


@pytest.fixture(scope="module")
def pages(local_cluster_registered: Cluster, scanned: ScanResult, deployed: str) -> list[Shown]:  # noqa: F811
    cid = local_cluster_registered.cluster_id
    return [
        Shown("home", "home", "ushadow ops"),
        Shown("clusters", "clusters", "Clusters", (("Name", "Status"),)),
        Shown(
            "scan",
            f"scan?scan={scanned.scan_id}",
            "Scan",
            (("main endpoint", "type", "readiness"), ("service", "connection string")),
            "Scan of local",
        ),
        Shown("services", "services", "Services", (("Service id",),)),
        Shown(
            "deploy",
            f"deploy?cluster={cid}&namespace={NAMESPACE}&service=notes-compose:notes-api",
            "Deploy",
            (("variable", "value"), ("service", "status")),
        ),
        Shown(
            "workloads",
            f"workloads?cluster={cid}&namespace={NAMESPACE}",
            "Workloads",
            (("workload", "ready"), ("pod", "problem")),
            "Pods",
        ),
        Shown("fleet", "fleet", "Fleet", (("service",),)),
        Shown("tokens", "tokens", "API tokens"),
    ]


@pytest.fixture
def open_in(browser: Browser, dashboard: Dashboard) -> Iterator[Callable[..., App]]:
    """A fresh browser context of the given size and colour scheme, with one page."""
    contexts: list[BrowserContext] = []

    def make(viewport: dict[str, int], color_scheme: str = "light") -> App:
        context = browser.new_context(
            viewport=viewport,  # type: ignore[arg-type]
            color_scheme=color_scheme,  # type: ignore[arg-type]
            locale="en-US",
            accept_downloads=True,
        )
        context.set_default_timeout(90_000)  # a loaded machine can take a while to draw a page
        contexts.append(context)
        return App(context.new_page(), dashboard)

    yield make
    for context in contexts:
        context.close()


def frame_with(app: App, header: str) -> Locator:
    frame = app.dataframe(header).first
    expect(frame).to_be_visible(timeout=60_000)
    return frame


def visible_headers(app: App, frame: Locator) -> tuple[list[str], bool]:
    """The headers the grid shows, and whether its last column is among them."""
    frame.locator('table[role="grid"]').wait_for(state="attached")
    found = frame.evaluate(
        """(f) => {
            const grid = f.querySelector('table[role="grid"]');
            const ths = [...grid.querySelectorAll('thead th')];
            const last = ths.length ? Number(ths[ths.length - 1].getAttribute('aria-colindex')) : 0;
            return {headers: ths.map(th => th.textContent), lastShown: last >= Number(grid.getAttribute('aria-colcount'))};
        }"""
    )
    return list(found["headers"]), bool(found["lastShown"])


def open_page(app: App, shown: Shown) -> None:
    app.open(shown.path)
    expect(app.page.get_by_role("heading", name=shown.heading, level=1)).to_be_visible()
    app.assert_no_traceback()


_WIDTHS = """() => ({
    doc: document.documentElement.scrollWidth,
    main: document.querySelector('[data-testid="stMain"]').scrollWidth,
    view: window.innerWidth,
})"""


@pytest.mark.cluster
def test_every_page_fits_a_phone_with_its_key_columns_on_screen(
    open_in: Callable[..., App], pages: list[Shown]
) -> None:
    app = open_in(PHONE)
    for shown in pages:
        open_page(app, shown)
        for keys in shown.keys:
            header = keys[0]
            frame = frame_with(app, header)
            box = frame.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (
                shown.name,
                header,
                box,
            )
            headers, last_shown = visible_headers(app, frame)
            for key in keys:
                assert key in headers, f"{shown.name}: {key!r} is off-screen on a phone ({headers})"
                wholly = headers.index(key) < len(headers) - 1 or last_shown
                assert wholly, f"{shown.name}: {key!r} is cut at the screen's edge ({headers})"
        if shown.first_screen:
            box = app.page.get_by_role("heading", name=shown.first_screen).bounding_box()
            assert box is not None and box["y"] + box["height"] <= PHONE["height"], (shown.name, box)
        widths = app.page.evaluate(_WIDTHS)
        assert widths["doc"] <= PHONE["width"] and widths["main"] <= PHONE["width"], (shown.name, widths)
        phone_shot(app, f"phone-{shown.name}")


def phone_shot(app: App, name: str) -> None:
    """The whole page at a phone's width (the viewport grown to its height, as :meth:`App.shot`)."""
    app.page.mouse.move(PHONE["width"] - 5, 5)
    height = int(app.page.evaluate(_MAIN_HEIGHT))
    app.page.set_viewport_size({"width": PHONE["width"], "height": max(PHONE["height"], height)})
    app.page.evaluate(_TWO_FRAMES)
    app.settle()  # canvases (dataframes) redraw at the new size
    SHOTS.mkdir(parents=True, exist_ok=True)
    app.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, animations="disabled")
    app.page.set_viewport_size(PHONE)


@pytest.mark.cluster
def test_nothing_is_fetched_from_another_host(open_in: Callable[..., App], pages: list[Shown]) -> None:
    app = open_in(DESKTOP)
    requested: list[str] = []
    app.page.on("request", lambda request: requested.append(request.url))
    own = urlsplit(app.dashboard.url).netloc
    for shown in pages:
        open_page(app, shown)
        for keys in shown.keys:
            frame_with(app, keys[0])
    # the tab icon and every font are the dashboard's own (a ":material/...:" page icon was
    # fetched from fonts.gstatic.com)
    elsewhere = sorted({u for u in requested if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                        and urlsplit(u).netloc != own})  # fmt: skip
    assert requested and not elsewhere, elsewhere
    icons = app.page.evaluate("() => [...document.querySelectorAll('link[rel~=\"icon\"]')].map(l => l.href)")
    assert icons and all(urlsplit(u).netloc == own or u.startswith("data:") for u in icons), icons


def colours(app: App) -> dict[str, str]:
    return dict(
        app.page.evaluate(
            """() => {
                const app = document.querySelector('[data-testid="stApp"]');
                const h1 = document.querySelector('h1');
                return {background: getComputedStyle(app).backgroundColor, text: getComputedStyle(h1).color};
            }"""
        )
    )


@pytest.mark.cluster
def test_the_theme_follows_the_browsers_dark_preference(
    open_in: Callable[..., App], pages: list[Shown]
) -> None:
    light = open_in(DESKTOP, "light")
    open_page(light, pages[0])
    assert colours(light) == {"background": "rgb(255, 255, 255)", "text": "rgb(31, 41, 55)"}
    dark = open_in(DESKTOP, "dark")
    for shown in pages:
        open_page(dark, shown)
        assert colours(dark) == {"background": "rgb(17, 24, 39)", "text": "rgb(229, 231, 235)"}, shown.name
        for keys in shown.keys:
            frame_with(dark, keys[0])
        dark.shot(f"dark-{shown.name}")


@pytest.mark.cluster
def test_the_title_sits_near_the_top_and_the_table_toolbar_leaves_the_switch_alone(
    open_in: Callable[..., App], pages: list[Shown]
) -> None:
    app = open_in(DESKTOP)
    open_page(app, next(p for p in pages if p.name == "services"))
    title = app.page.get_by_role("heading", name="Services", level=1)
    # where the title's text starts (its box's top plus its own padding): just below the 60 px
    # header bar, not ~100 px down
    top = title.evaluate("h => h.getBoundingClientRect().top + parseFloat(getComputedStyle(h).paddingTop)")
    assert top < 70, top
    frame = frame_with(app, "File")
    frame.hover()
    toolbar = frame.locator('[data-testid="stElementToolbar"]')
    expect(toolbar).to_be_visible(timeout=30_000)  # drawn on hover, after the grid (slow when loaded)
    switch = app.page.locator('[data-testid="stCheckbox"]').filter(has_text="Infra only")
    a, b = toolbar.bounding_box(), switch.bounding_box()
    assert a is not None and b is not None
    overlap = a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]
    assert not (overlap and a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]), (a, b)


@pytest.mark.cluster
def test_the_namespace_picker_lists_the_clusters_and_takes_a_new_name(
    open_in: Callable[..., App],
    pages: list[Shown],
    local_cluster_registered: Cluster,  # noqa: F811
) -> None:
    app = open_in(DESKTOP)
    open_page(app, next(p for p in pages if p.name == "workloads"))
    picker = app.page.get_by_role("combobox", name="Namespace")
    picker.click()
    expect(app.page.get_by_role("option", name="kube-system", exact=True)).to_be_visible()
    picker.fill("brand-new-ns")
    picker.press("Enter")
    app.settle()
    expect(app.page).to_have_url(re.compile(r"namespace=brand-new-ns"))
    expect(app.main).to_contain_text("namespace brand-new-ns does not exist")  # read, not refused
