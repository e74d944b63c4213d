"""Page render time with 200 clusters and 10,000 stored scan rows, and the dashboard's memory.

A SQLite store is filled directly (``Store.add_cluster`` x200, ``Store.save_scan`` with matches
totalling 10,000 scan-match rows: five scans of ten matches per cluster, so the Clusters page's
"latest scan" column reads 200 scans of 2,000 matches). Each figure is set beside the same
measurement on an empty store in the same run (the baseline: what the page costs by itself).

- Render time: the Clusters and Home pages run through ``streamlit.testing.v1.AppTest`` (the frame
  from ``tests/dashboard_entry.py``, then ``switch_page``), median of several reruns after a warm-up.
- In the browser: a real ``streamlit run serve.py`` on that store, the Clusters page opened in
  headless Chromium (a new tab, so a new session, each time) until its script has finished.
- Memory: that server's peak and current resident set (``VmHWM``/``VmRSS`` in ``/proc/<pid>/status``)
  after it has started, and after the Clusters page was loaded.

Prints markdown table rows. Nothing here asserts a time.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from bench.common import row, scaled, timed
from core.catalog import load_catalog
from core.naming import new_id
from core.settings import SETTINGS, Settings
from core.store.scans import Match, ScanResult
from core.store.store import Store

ROOT = Path(__file__).resolve().parent.parent
ENTRY = ROOT / "tests" / "support" / "dashboard_entry.py"
CLUSTERS, SCANS_PER_CLUSTER, MATCHES_PER_SCAN = scaled(200, 5), 5, 10
MATCH_ROWS = CLUSTERS * SCANS_PER_CLUSTER * MATCHES_PER_SCAN  # 10,000
REPEAT = scaled(7, 2)
BROWSER_REPEAT = scaled(3, 1)
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
STATUSES = ["connected"] * 7 + ["unreachable", "unauthorized", "error"]
SERVICES = [
    ("mongo", 27017, "mongodb"),
    ("redis", 6379, "redis"),
    ("postgres", 5432, "postgresql"),
    ("qdrant", 6333, "http"),
    ("neo4j", 7687, "bolt"),
]


def settings_for(data_dir: Path) -> dict[str, str]:
    """Every USHADOW_* setting blank but the data dir: nothing from the caller's environment leaks in."""
    return {k: "" for k in SETTINGS} | {"USHADOW_DATA_DIR": str(data_dir)}


def fill(store: Store, clusters: int = CLUSTERS) -> None:
    catalog = load_catalog().default_ports()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for c in range(clusters):
        status = STATUSES[c % len(STATUSES)]
        cluster = store.add_cluster(
            name=f"cluster-{c:03d}",
            context=f"ctx-{c:03d}",
            server=f"https://10.{c // 250}.{c % 250}.1:6443",
            namespace="ushadow",
            labels={"env": ("prod", "staging", "dev")[c % 3], "team": f"team-{c % 12}"},
            credential=f"apiVersion: v1\nkind: Config\n# cluster {c}\n".encode(),
            status=status,
            version="v1.37.2" if status == "connected" else None,
            node_count=3 + c % 20 if status == "connected" else None,
            error=None if status == "connected" else f"{status}: bench cluster {c}",
        )
        for s in range(SCANS_PER_CLUSTER):
            matches = []
            for m in range(MATCHES_PER_SCAN):
                name, port, scheme = SERVICES[m % len(SERVICES)]
                svc = f"{name}-{m // len(SERVICES)}"
                host = f"{svc}.ushadow.svc.cluster.local:{port}"
                matches.append(
                    Match(
                        infra_type=name,
                        service=svc,
                        namespace="ushadow",
                        service_type="ClusterIP",
                        reason=f"name token '{name}'; port {port}",
                        ready_endpoints=1,
                        endpoints=[host],
                        connection_string=f"{scheme}://{host}",
                    )
                )
            store.save_scan(
                ScanResult(
                    scan_id=new_id(),
                    cluster_id=cluster.cluster_id,
                    namespaces=["ushadow"],
                    scanned_at=start + timedelta(minutes=c * SCANS_PER_CLUSTER + s),
                    catalog=catalog,
                    matches=matches,
                    duration_ms=40,
                )
            )


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def render_times(data_dir: Path) -> dict[str, tuple[float, list[float]]]:
    """Median rerun time of each page under AppTest, with the dashboard's settings on ``data_dir``."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from pages._ui.navigation import page_file

    results: dict[str, tuple[float, list[float]]] = {}
    with environment(settings_for(data_dir)):
        st.cache_resource.clear()  # settings and the store are cached per process: start clean
        st.cache_data.clear()
        for page, title in (("clusters", "Clusters"), ("home", "ushadow ops")):
            at = AppTest.from_file(str(ENTRY), default_timeout=300)
            at.run()
            at.switch_page(page_file(page)).run()

            def rerun(at: AppTest = at, title: str = title) -> None:
                at.run()
                if at.exception or [t.value for t in at.title] != [title]:
                    raise RuntimeError(f"the {title} page did not render: {at.exception}")

            results[page] = timed(rerun, repeat=REPEAT)
        st.cache_resource.clear()
    return results


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def memory_kib(pid: int) -> dict[str, int]:
    """VmHWM (peak resident set) and VmRSS of a process, in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            found[key] = int(value.split()[0])
    return found


@dataclass
class ServerFigures:
    startup: dict[str, int]
    after_page: dict[str, int]
    loads: list[float]
    first: float  # the first page the server renders after it started (its caches cold)


def _wait_healthy(
    url: str, proc: subprocess.Popen[bytes], timeout: float = 120, path: str = "/healthz"
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}{path}", timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the dashboard did not answer /healthz within {timeout:.0f}s")


READY = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app && app.dataset.testConnectionState === 'CONNECTED'
        && app.dataset.testScriptState === 'notRunning'
        && !document.querySelector('[data-testid="stStatusWidget"]')
        && !!document.querySelector('h1');
}"""


def check_clusters_shown(page: Page, count: int) -> None:
    """The page really shows the store's clusters (or says there are none)."""
    if count == 0:
        page.get_by_text("No clusters yet").wait_for()
        return
    shown = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    if int(shown) != count:
        raise RuntimeError(f"the Clusters page shows {shown} clusters, not {count}")


def serve_and_load(data_dir: Path, expect_rows: int) -> ServerFigures:
    """Run the real dashboard on ``data_dir``, open the Clusters page in Chromium, read its memory."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("USHADOW_")}
    env |= {"USHADOW_DATA_DIR": str(data_dir), "USHADOW_PUBLIC_URL": url}
    env |= {"STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    command = [
        str(Path(sys.executable).with_name("streamlit")),
        "run",
        "serve.py",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
    ]
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_healthy(url, proc)
        startup = memory_kib(proc.pid)
        loads: list[float] = []
        after_page: dict[str, int] = {}
        first = 0.0
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                for i in range(BROWSER_REPEAT + 1):  # the first load is the one memory is read after
                    page = context.new_page()
                    started = time.perf_counter()
                    page.goto(f"{url}/clusters", timeout=300_000)
                    page.wait_for_function(READY, timeout=300_000)
                    took = time.perf_counter() - started
                    check_clusters_shown(page, expect_rows)
                    if i == 0:
                        after_page = memory_kib(proc.pid)
                        first = took
                    else:
                        loads.append(took)
                    page.close()
            finally:
                browser.close()
        return ServerFigures(startup, after_page, loads, first)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ushadow-bench-pages-") as tmp:
        full, empty = Path(tmp) / "full", Path(tmp) / "empty"
        fill_time = 0.0
        for data_dir, filled in ((full, True), (empty, False)):
            store = Store.open(Settings.load(settings_for(data_dir)))
            try:
                if filled:
                    started = time.perf_counter()
                    fill(store)
                    fill_time = time.perf_counter() - started
                    assert len(store.list_clusters()) == CLUSTERS
            finally:
                store.close()

        big = render_times(full)
        small = render_times(empty)
        served_big = serve_and_load(full, CLUSTERS)
        served_small = serve_and_load(empty, 0)

    what = f"{CLUSTERS} clusters, {MATCH_ROWS:,} scan rows"
    print("| benchmark | ours | peer (same run) | note |")
    print("| --- | --- | --- | --- |")
    for page, title in (("clusters", "Clusters"), ("home", "Home")):
        ours, samples = big[page]
        base, _ = small[page]
        print(
            row(
                f"{title} page render (AppTest), {what}",
                f"{ours * 1000:.0f} ms",
                f"empty store: {base * 1000:.0f} ms",
                f"{ours / base:.1f}x the empty page; median of {REPEAT} reruns "
                f"({min(samples) * 1000:.0f}-{max(samples) * 1000:.0f} ms)",
            )
        )
    ours_load, base_load = statistics.median(served_big.loads), statistics.median(served_small.loads)
    print(
        row(
            f"Clusters page in Chromium (open until the script finished), {what}",
            f"{ours_load * 1000:.0f} ms",
            f"empty store: {base_load * 1000:.0f} ms",
            f"{ours_load / base_load:.1f}x the empty store; `streamlit run serve.py`, a new tab (new session) "
            f"each time; median of {BROWSER_REPEAT}",
        )
    )
    print(
        row(
            f"first page after the server started (Clusters, in Chromium), {what}",
            f"{served_big.first * 1000:.0f} ms",
            f"empty store: {served_small.first * 1000:.0f} ms",
            f"{served_big.first / served_small.first:.1f}x the empty store; "
            "`streamlit run serve.py` just answered /healthz, so this includes the first script run's imports",
        )
    )
    print(
        row(
            f"dashboard memory after loading the Clusters page, {what}",
            f"peak {mib(served_big.after_page['VmHWM'])}, now {mib(served_big.after_page['VmRSS'])}",
            f"empty store: peak {mib(served_small.after_page['VmHWM'])}, "
            f"now {mib(served_small.after_page['VmRSS'])}",
            f"VmHWM/VmRSS of the server process; right after start: {mib(served_big.startup['VmRSS'])} "
            f"(empty: {mib(served_small.startup['VmRSS'])})",
        )
    )
    print(
        row(
            f"filling the store ({CLUSTERS} add_cluster, {CLUSTERS * SCANS_PER_CLUSTER} save_scan)",
            f"{fill_time:.1f} s",
            "-",
            "SQLite, one transaction per call, as the dashboard writes them",
        )
    )


if __name__ == "__main__":
    main()
