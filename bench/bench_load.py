"""The dashboard under load: a shareable link to a big scan, opened by many people at once.

A SQLite store holds 25 all-namespaces scans of one cluster, each shaped like a real scan of 10,000
Services across ten namespaces (about 3,000 of them recognised as infrastructure, each with two
endpoints and a connection string; consecutive scans differ by a few Services, so each has a
real diff). The store is filled through ``Store.save_scan`` (with the diff, as ``run_scan`` does).

Each figure is measured on this tree and, as the peer in the same run, on the code before the
speed work (``git archive`` of the commit given by ``BENCH_BEFORE``, default ``main``'s merge base),
run from its own folder on its own store:

- the shareable link's page script (server side) under ``AppTest``: the first viewer after start,
  and each later viewer (a new session each: what one more person opening the link costs);
- ``streamlit run serve.py`` with that link opened in headless Chromium by 1 viewer, then by 10 at
  once (each a new browser context, timed from navigation until the script finished and the
  matches table is there);
- the server's resident memory after 10, 25 and 50 views of the link, one after another.

Prints markdown. Nothing here asserts a time.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCANS = int(os.environ.get("BENCH_LOAD_SCANS", "25"))  # smaller only to try the benchmark out
NAMESPACES, SERVICES_PER_NAMESPACE, RECOGNISED_EVERY = 10, 1000, 3
VIEWERS = int(os.environ.get("BENCH_LOAD_VIEWERS", "10"))
VIEWS = (25, 50)  # memory is read after the concurrent viewers, then after this many views
REPEAT = 7
BROWSER_TIMEOUT_MS = int(os.environ.get("BENCH_LOAD_BROWSER_TIMEOUT", "300")) * 1000


# -- run inside a tree (this one, or the code before) ---------------------------------------------


def _fill(data_dir: str) -> str:
    """Fill a store with the scans; returns the newest scan's id (the shared link's)."""
    from datetime import UTC, datetime, timedelta

    from bench.bench_pages import settings_for
    from core.catalog import load_catalog
    from core.naming import new_id
    from core.settings import Settings
    from core.store.scans import Match, ScanResult
    from core.store.store import Store

    catalog = load_catalog().default_ports()
    types = list(catalog)
    store = Store.open(Settings.load(settings_for(Path(data_dir))))
    try:
        cluster = store.add_cluster(
            name="big", context="c", server="https://10.0.0.1:6443", namespace="ushadow", labels={},
            credential=b"apiVersion: v1\nkind: Config\n", status="connected", version="v1.37.2",
            node_count=12, error=None,
        )  # fmt: skip
        start = datetime(2026, 1, 1, tzinfo=UTC)
        last = ""
        for s in range(SCANS):
            matches = []
            for n in range(NAMESPACES):
                for i in range(0, SERVICES_PER_NAMESPACE, RECOGNISED_EVERY):
                    if (i + s) % 97 == 0:  # a few Services come and go between scans
                        continue
                    infra = types[(i // RECOGNISED_EVERY) % len(types)]
                    svc, port = f"{infra}-{i:04d}", catalog[infra]
                    hosts = [
                        f"{svc}.team-{n}.svc.cluster.local:{port}",
                        f"10.{n}.{i // 250}.{i % 250}:{port}",
                    ]
                    matches.append(
                        Match(infra_type=infra, service=svc, namespace=f"team-{n}", service_type="ClusterIP",
                              reason=f"name token '{infra}'; port {port}", ready_endpoints=int(i % 50 != 0),
                              endpoints=hosts, connection_string=f"{infra}://{hosts[0]}",
                              extra={"ports": [port], "ready": True})
                    )  # fmt: skip
            result = ScanResult(
                scan_id=new_id(), cluster_id=cluster.cluster_id, namespaces=[], all_namespaces=True,
                scanned_at=start + timedelta(hours=s), catalog=catalog, matches=matches, duration_ms=1458,
            )  # fmt: skip
            try:
                from core.scan.reports import compute_changes  # this tree: the diff is stored with the scan

                store.save_scan(result, changes=compute_changes(store, result).to_json())
            except ImportError:  # the code before kept no diff
                store.save_scan(result)
            last = result.scan_id
        return last
    finally:
        store.close()


def _script_runs(data_dir: str, scan_id: str) -> dict[str, Any]:
    """The link's page script under AppTest: the first viewer, then each later one (new sessions)."""
    from bench.bench_pages import environment, settings_for

    entry = Path.cwd() / "tests" / "support" / "dashboard_entry.py"
    if not entry.exists():
        entry = Path.cwd() / "tests" / "dashboard_entry.py"
    from streamlit.testing.v1 import AppTest

    from pages._ui.navigation import page_file

    def view() -> float:
        at = AppTest.from_file(str(entry), default_timeout=300)
        at.run()
        at.query_params.update({"scan": scan_id})
        started = time.perf_counter()
        at.switch_page(page_file("scan")).run()
        took = time.perf_counter() - started
        if at.exception or not any("connection string" in d.value.columns for d in at.dataframe):
            raise RuntimeError(f"the link did not show the scan: {at.exception}")
        return took

    with environment(settings_for(Path(data_dir))):
        first = view()
        later = [view() for _ in range(REPEAT)]
    return {"first": first, "later": later}


# -- the server in Chromium -----------------------------------------------------------------------


def _serve(tree: Path, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    from bench.bench_pages import _wait_healthy, free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("USHADOW_")}
    env |= {"USHADOW_DATA_DIR": str(data_dir), "USHADOW_PUBLIC_URL": url}
    env |= {"STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", "PYTHONPATH": str(tree)}
    command = [str(Path(sys.executable).with_name("streamlit")), "run", "serve.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    _wait_healthy(url, proc)
    return proc, url


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


async def _viewers(url: str, count: int, browser: Any) -> list[float]:
    from bench.bench_pages import READY

    async def one() -> float:
        context = await browser.new_context(viewport={"width": 1400, "height": 900})
        try:
            page = await context.new_page()
            started = time.perf_counter()
            await page.goto(url, timeout=BROWSER_TIMEOUT_MS)
            await page.wait_for_function(READY, timeout=BROWSER_TIMEOUT_MS, polling=100)
            await page.get_by_role("heading", name="Services recognised").wait_for(timeout=BROWSER_TIMEOUT_MS)
            return time.perf_counter() - started
        finally:
            await context.close()

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def _browse(tree: Path, data_dir: Path, scan_id: str, views: bool) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from bench.bench_pages import CHROMIUM, CHROMIUM_ARGS, memory_kib

    proc, base = _serve(tree, data_dir)
    url = f"{base}/scan?scan={scan_id}"
    figures: dict[str, Any] = {"start_kib": memory_kib(proc.pid)["VmRSS"]}
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                figures["first"] = (await _viewers(url, 1, browser))[0]  # fills the caches
                figures["one"] = statistics.median([(await _viewers(url, 1, browser))[0] for _ in range(3)])
                figures["many"] = await _viewers(url, VIEWERS, browser)
                if views:
                    done = 1 + 3 + VIEWERS
                    rss = {done: memory_kib(proc.pid)}
                    for target in VIEWS:
                        while done < target:
                            await _viewers(url, 1, browser)
                            done += 1
                        rss[target] = memory_kib(proc.pid)
                    figures["rss"] = rss
            finally:
                await browser.close()
    finally:
        _stop(proc)
    return figures


# -- orchestration --------------------------------------------------------------------------------


def _before_tree(tmp: Path) -> Path | None:
    ref = os.environ.get("BENCH_BEFORE") or "d629675"  # main before the speed work (issue 16)
    tree = tmp / "before"
    tree.mkdir()
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=False)
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def _in_tree(tree: Path, *args: str) -> Any:
    """Run this module's ``args`` command with ``tree``'s code first on the path; its JSON answer."""
    env = {**os.environ, "PYTHONPATH": f"{tree}:{ROOT}"}
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        cwd=tree, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"{args[0]} in {tree} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="ushadow-bench-load-") as name:
        tmp = Path(name)
        trees = {"now": ROOT}
        before = _before_tree(tmp)
        if before is not None:
            trees["before"] = before
        got: dict[str, dict[str, Any]] = {}
        for label, tree in trees.items():
            data_dir = tmp / f"data-{label}"
            started = time.perf_counter()
            scan_id = _in_tree(tree, "fill", str(data_dir))
            fill_s = time.perf_counter() - started
            runs = _in_tree(tree, "script", str(data_dir), scan_id)
            got[label] = {"fill": fill_s, "runs": runs}
            try:
                got[label]["browse"] = asyncio.run(_browse(tree, data_dir, scan_id, views=label == "now"))
            except Exception as exc:  # a browser that never sees the page finish: keep the rest
                got[label]["browse_error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    _print(got)


def _print(got: dict[str, dict[str, Any]]) -> None:
    now, before = got["now"], got.get("before")
    matches = sum(1 for n in range(NAMESPACES) for i in range(0, SERVICES_PER_NAMESPACE, RECOGNISED_EVERY))

    def peer(key: str, fn: Any) -> str:
        if before is None:
            return "-"
        if key == "browse" and "browse" not in before:
            return f"not measured ({before.get('browse_error')})"
        return str(fn(before))

    what = f"{SCANS} stored scans of {NAMESPACES * SERVICES_PER_NAMESPACE:,} Services (~{matches:,} matches each)"
    print("| benchmark | now | before the speed work (same run) | note |")
    print("| --- | --- | --- | --- |")
    first = lambda g: ms(g["runs"]["first"])  # noqa: E731
    later = lambda g: ms(statistics.median(g["runs"]["later"]))  # noqa: E731
    print(row(f"shareable link's page script (AppTest), first viewer after start; {what}", first(now),
              peer("runs", first), "server side: the whole script run of the Scan page"))  # fmt: skip
    print(row("the same, each further viewer (a new session)", later(now), peer("runs", later),
              f"median of {REPEAT}"))  # fmt: skip
    print(row("filling the store", f"{now['fill']:.0f} s", peer("fill", lambda g: f"{g['fill']:.0f} s"),
              "`save_scan` per scan (now with its diff)"))  # fmt: skip
    if "browse" not in now:
        print(row("the link in Chromium", f"not measured ({now.get('browse_error')})", "-", "-"))
        return
    one = lambda g: ms(g["browse"]["one"])  # noqa: E731
    print(row("the link in Chromium, one viewer", one(now), peer("browse", one),
              "`streamlit run serve.py`; navigation until the script finished and the matches table is shown; median of 3"))  # fmt: skip

    def many(g: dict[str, Any]) -> str:
        times = g["browse"]["many"]
        return f"median {ms(statistics.median(times))}, slowest {ms(max(times))} ({max(times) / g['browse']['one']:.1f}x one)"

    print(row(f"the link in Chromium, {VIEWERS} viewers at once", many(now), peer("browse", many),
              "each its own browser context (session); Chromium runs on the same 2 cores"))  # fmt: skip
    rss = now["browse"]["rss"]
    print(row(f"server memory (VmRSS) after {' / '.join(str(v) for v in rss)} views of the link",
              " / ".join(f"{r['VmRSS'] / 1024:.0f} MiB" for r in rss.values()),
              "-", f"right after start {now['browse']['start_kib'] / 1024:.0f} MiB; peak (VmHWM) "
              f"{max(r['VmHWM'] for r in rss.values()) / 1024:.0f} MiB"))  # fmt: skip


def row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "fill":
        print(json.dumps(_fill(sys.argv[2])))
    elif len(sys.argv) > 1 and sys.argv[1] == "script":
        print(json.dumps(_script_runs(sys.argv[2], sys.argv[3])))
    else:
        main()
