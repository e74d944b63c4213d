"""The dashboard under load: one page opened by many people at once, and the server's memory.

Three pages, each on its own store and its own freshly started server (``streamlit run serve.py``):

- ``link``: a scan's shareable link (``/scan?scan=ID``) on a SQLite store of 25 all-namespaces scans,
  each shaped like a real scan of 10,000 Services in ten namespaces (about 3,300 recognised, each
  with two endpoints and a connection string; consecutive scans differ by a few Services, so each
  has a real diff, stored with it through ``Store.save_scan`` as ``run_scan`` does);
- ``clusters``: the Clusters page with 200 clusters (``bench_pages``' store: 1,000 scans);
- ``workloads``: the Workloads page of a namespace holding 200 Deployments ushadow manages, on a
  private local control plane (started here, stopped at the end).

For each page: the page's script under ``AppTest`` (server side; the first viewer after start, then
each later viewer in a new session); the server alone, one session (median of 3) against 10 at once
over Streamlit's own websocket protocol (what the browser's script sends: the page and its query
string, then every message until the server says the script finished), with the server's CPU
seconds for the ten; then in headless Chromium one viewer (median of 3) against 10 at once (each its
own browser context, so its own session and a cold cache: timed from navigation until the script has
finished and the page's content is in the page, painted or not), with the CPU seconds the whole
machine and the server spent meanwhile; and the server's resident memory after 25 and after 50
views (the views after the first 14 are made five at a time). The Chromium rows have a peer: the
same measurement of a two-line Streamlit page (a title and a sentence), which shows what ten
browsers cost on the same two cores with nothing of ours in the page. ``BENCH_SCALE`` shrinks the
sizes and counts (see ``bench.common``); a viewer that does not see the page within
``BENCH_LOAD_BROWSER_TIMEOUT`` seconds is reported as such, not waited for.

Prints markdown. Nothing here asserts a time.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import control_plane, ms, row, scaled

ROOT = Path(__file__).resolve().parent.parent
SCANS = scaled(25, 2)
NAMESPACES, SERVICES_PER_NAMESPACE, RECOGNISED_EVERY = 10, scaled(1000, 30), 3
CLUSTERS = scaled(200, 5)
DEPLOYMENTS = scaled(200, 5)
VIEWERS = int(os.environ.get("BENCH_LOAD_VIEWERS") or scaled(10, 3))
VIEWS = (scaled(25, 8), scaled(50, 12))  # memory is read after this many views of the page in all
REPEAT = scaled(7, 2)
BATCH = 5  # views up to VIEWS are made this many at once
BROWSER_TIMEOUT_MS = int(float(os.environ.get("BENCH_LOAD_BROWSER_TIMEOUT", "300")) * 1000)
FURTHER_TIMEOUT_MS = min(BROWSER_TIMEOUT_MS, 120_000)  # the views made for the memory figure only
WORKLOAD_NS = "bench-load"


@dataclass
class Case:
    """One page under load: its path, its store, and what shows that it rendered."""

    name: str
    label: str
    path: str
    params: dict[str, str]
    data_dir: Path
    ready_selector: str  # a CSS selector present once the page's content is there
    element: str  # the Streamlit element (ForwardMsg delta) that carries the page's content
    check: Callable[[Any], bool]  # the AppTest run shows the content
    setup_s: float = 0.0
    figures: dict[str, Any] = field(default_factory=dict)


# -- stores -----------------------------------------------------------------------------------------


def fill_scans(data_dir: Path) -> str:
    """Fill a store with the scans; returns the newest scan's id (the shared link's)."""
    from datetime import UTC, datetime, timedelta

    from bench.bench_pages import settings_for
    from core.catalog import load_catalog
    from core.naming import new_id
    from core.scan.reports import compute_changes
    from core.settings import Settings
    from core.store.scans import Match, ScanResult
    from core.store.store import Store

    catalog = load_catalog().default_ports()
    types = list(catalog)
    store = Store.open(Settings.load(settings_for(data_dir)))
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
            store.save_scan(result, changes=compute_changes(store, result).to_json())
            last = result.scan_id
        return last
    finally:
        store.close()


def fill_clusters(data_dir: Path) -> None:
    from bench.bench_pages import fill, settings_for
    from core.settings import Settings
    from core.store.store import Store

    store = Store.open(Settings.load(settings_for(data_dir)))
    try:
        fill(store, CLUSTERS)
    finally:
        store.close()


def fill_workloads(data_dir: Path, kubeconfig: Path) -> None:
    """Register the control plane and give it ``DEPLOYMENTS`` Deployments that ushadow manages."""
    import json

    from bench.bench_pages import settings_for
    from core.clusters import registering
    from core.conventions import MANAGED_BY_LABEL, MANAGED_BY_VALUE
    from core.settings import Settings
    from core.store.store import Store

    settings = Settings.load(settings_for(data_dir) | {"USHADOW_REQUEST_TIMEOUT": "60"})
    store = Store.open(settings)
    try:
        registering.add_cluster(store, settings, name="bench", kubeconfig=kubeconfig.read_bytes())
    finally:
        store.close()
    items: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": WORKLOAD_NS}}
    ]
    for i in range(DEPLOYMENTS):
        labels = {"app.kubernetes.io/name": f"svc-{i:03d}"}
        items.append({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": f"svc-{i:03d}", "namespace": WORKLOAD_NS,
                         "labels": {**labels, MANAGED_BY_LABEL: MANAGED_BY_VALUE}},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "main", "image": f"ghcr.io/acme/svc-{i}:1"}]}}},
        })  # fmt: skip
    kubectl = str(Path(sys.executable).with_name("kubectl"))
    subprocess.run(
        [kubectl, "--kubeconfig", str(kubeconfig), "--request-timeout", "120s", "apply", "--server-side", "-f", "-"],
        input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}), text=True,
        capture_output=True, check=True, timeout=600,
    )  # fmt: skip


# -- the page's script, server side -------------------------------------------------------------------


def script_runs(case: Case) -> dict[str, Any]:
    """The page's script under AppTest: the first viewer, then each later one (new sessions)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from bench.bench_pages import ENTRY, environment, settings_for
    from pages._ui.navigation import page_file

    def view() -> float:
        at = AppTest.from_file(str(ENTRY), default_timeout=BROWSER_TIMEOUT_MS / 1000)
        at.run()
        at.query_params.update(case.params)
        started = time.perf_counter()
        at.switch_page(page_file(case.name if case.name != "link" else "scan")).run()
        took = time.perf_counter() - started
        if at.exception or not case.check(at):
            raise RuntimeError(f"the {case.label} did not render: {at.exception}")
        return took

    with environment(settings_for(case.data_dir)):
        st.cache_resource.clear()  # settings, the store and shared views are per process: start cold
        st.cache_data.clear()
        first = view()
        later = [view() for _ in range(REPEAT)]
        st.cache_resource.clear()
    return {"first": first, "later": later}


# -- the server in Chromium ----------------------------------------------------------------------------


def serve(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    from bench.bench_pages import _wait_healthy, free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("USHADOW_")}
    env |= {"USHADOW_DATA_DIR": str(data_dir), "USHADOW_PUBLIC_URL": url, "USHADOW_REQUEST_TIMEOUT": "60"}
    env |= {"STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    command = [str(Path(sys.executable).with_name("streamlit")), "run", "serve.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    try:
        _wait_healthy(url, proc)
    except BaseException:
        stop(proc)
        raise
    return proc, url


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


async def _shown(page: Any) -> str:
    """What a page that did not finish shows: its script state and the start of its text or exception."""
    try:
        return str(
            await asyncio.wait_for(
                page.evaluate(
                    """() => { const a = document.querySelector('[data-testid="stApp"]');
                    const e = document.querySelector('[data-testid="stException"]');
                    return [a && a.dataset.testConnectionState, a && a.dataset.testScriptState,
                            (e ? e.innerText : document.body.innerText).slice(0, 300)]; }"""
                ),
                timeout=30,
            )
        )
    except Exception as exc:  # a page too busy to answer says so
        return f"(no answer: {type(exc).__name__})"


async def viewers(
    url: str, count: int, browser: Any, selector: str, timeout_ms: int = BROWSER_TIMEOUT_MS
) -> list[float | None]:
    """``count`` viewers opening ``url`` at once, each in its own browser context (a new session, a
    cold cache): each one's seconds, or None if it never saw the page within ``timeout_ms``."""
    from bench.bench_pages import READY

    async def one() -> float | None:
        context = await browser.new_context(viewport={"width": 1400, "height": 900})
        page = await context.new_page()
        try:
            started = time.perf_counter()
            await page.goto(url, timeout=timeout_ms)
            # in the page (attached), not necessarily painted: ten headless pages at once on two cores may
            # not lay a grid out for minutes, and serving it is what is measured
            await page.wait_for_selector(selector, state="attached", timeout=timeout_ms)
            await page.wait_for_function(READY, timeout=timeout_ms, polling=100)
            return time.perf_counter() - started
        except Exception as exc:  # a viewer that never sees the page is a figure, not an abort
            shown = await _shown(page)
            print(
                f"a viewer of {url} gave up: {type(exc).__name__}: {str(exc)[:160]}; it shows: {shown}",
                file=sys.stderr,
            )
            return None
        finally:
            await context.close()

    return list(await asyncio.gather(*(one() for _ in range(count))))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """CPU seconds every process on the machine has used (busy time of all cores, from /proc/stat)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    busy = sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


async def sessions(base: str, case: Case, count: int) -> list[float | None]:
    """``count`` sessions opening the page at once over Streamlit's own websocket protocol, as the
    browser's script does, without a browser: connect to ``/_stcore/stream``, ask for the page (its
    path and query string), read until the server says the script finished. Each one's seconds until
    then (the server has run the page and sent all of it), or None if it failed or lacked the page's
    content element."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    query = "&".join(f"{k}={v}" for k, v in case.params.items())
    stream = base.replace("http://", "ws://", 1) + "/_stcore/stream"

    async def one() -> float | None:
        started = time.perf_counter()
        try:
            async with websockets.connect(stream, subprotocols=["streamlit"], max_size=None) as ws:  # type: ignore[list-item]
                ask = BackMsg()
                ask.rerun_script.query_string = query
                ask.rerun_script.page_name = case.path
                await ws.send(ask.SerializeToString())
                seen = False
                while True:
                    message = ForwardMsg()
                    message.ParseFromString(await asyncio.wait_for(ws.recv(), BROWSER_TIMEOUT_MS / 1000))
                    kind = message.WhichOneof("type")
                    if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                        seen = seen or message.delta.new_element.WhichOneof("type") == case.element
                    elif kind == "page_not_found":
                        raise RuntimeError(f"page {case.path!r} not found")
                    elif kind == "script_finished" and message.script_finished in (
                        ForwardMsg.FINISHED_SUCCESSFULLY,
                        ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
                    ):
                        if not seen:
                            raise RuntimeError(f"the script finished without a {case.element} element")
                        return time.perf_counter() - started
        except Exception as exc:  # a session that fails is a figure, not an abort
            print(f"a session of {case.path} failed: {type(exc).__name__}: {str(exc)[:160]}", file=sys.stderr)
            return None

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def protocol(case: Case) -> dict[str, Any]:
    """The server alone: one session (median of 3 after a first) against VIEWERS at once, with the
    server's CPU seconds for the burst."""
    proc, base = serve(case.data_dir)
    try:
        first = (await sessions(base, case, 1))[0]
        ones = [(await sessions(base, case, 1))[0] for _ in range(3)]
        cpu = cpu_seconds(proc.pid)
        many = await sessions(base, case, VIEWERS)
        return {
            "first": first,
            "one": statistics.median([t for t in ones if t is not None] or [float("nan")]),
            "many": many,
            "server_cpu": cpu_seconds(proc.pid) - cpu,
        }
    finally:
        stop(proc)


async def browse(case: Case) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from bench.bench_pages import CHROMIUM, CHROMIUM_ARGS, memory_kib

    proc, base = serve(case.data_dir)
    query = "&".join(f"{k}={v}" for k, v in case.params.items())
    url = f"{base}/{case.path}" + (f"?{query}" if query else "")
    figures: dict[str, Any] = {"start_kib": memory_kib(proc.pid)["VmRSS"]}
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                print(f"  {case.name}: the first viewer", file=sys.stderr, flush=True)
                figures["first"] = (await viewers(url, 1, browser, case.ready_selector))[0]
                ones = [(await viewers(url, 1, browser, case.ready_selector))[0] for _ in range(3)]
                figures["one"] = statistics.median([t for t in ones if t is not None] or [float("nan")])
                print(f"  {case.name}: {VIEWERS} viewers at once", file=sys.stderr, flush=True)
                server_cpu, machine_cpu = cpu_seconds(proc.pid), machine_cpu_seconds()
                figures["many"] = await viewers(url, VIEWERS, browser, case.ready_selector)
                figures["server_cpu"] = cpu_seconds(proc.pid) - server_cpu
                figures["machine_cpu"] = machine_cpu_seconds() - machine_cpu
                print(f"  {case.name}: more views, then memory", file=sys.stderr, flush=True)
                done, rss = 1 + 3 + VIEWERS, {}
                for target in VIEWS:
                    while done < target:  # the further views a few at a time (the run stays short)
                        batch = min(BATCH, target - done)
                        await viewers(url, batch, browser, case.ready_selector, FURTHER_TIMEOUT_MS)
                        done += batch
                    rss[max(done, target)] = memory_kib(proc.pid)
                figures["rss"] = rss
            finally:
                await browser.close()
    finally:
        stop(proc)
    return figures


FLOOR_APP = 'import streamlit as st\n\nst.title("A two-line page")\nst.write("Nothing of the dashboard.")\n'


async def floor(tmp: Path) -> dict[str, Any]:
    """The peer of the Chromium rows: a two-line Streamlit page (a title and a sentence) served with
    the dashboard's settings, one viewer against VIEWERS at once in the same browser on the same
    cores. What Chromium and Streamlit's own page cost with no page of ours in it."""
    from playwright.async_api import async_playwright

    from bench.bench_pages import CHROMIUM, CHROMIUM_ARGS, _wait_healthy, free_port

    app = tmp / "floor.py"
    app.write_text(FLOOR_APP)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).with_name("streamlit")), "run", str(app), "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    try:
        _wait_healthy(url, proc, path="/_stcore/health")  # a plain Streamlit app: no /healthz of ours
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                await viewers(url, 1, browser, "h1")  # the first, as the pages' first viewer
                ones = [(await viewers(url, 1, browser, "h1"))[0] for _ in range(3)]
                server_cpu, machine_cpu = cpu_seconds(proc.pid), machine_cpu_seconds()
                many = await viewers(url, VIEWERS, browser, "h1")
                return {
                    "one": statistics.median([t for t in ones if t is not None] or [float("nan")]),
                    "many": many,
                    "server_cpu": cpu_seconds(proc.pid) - server_cpu,
                    "machine_cpu": machine_cpu_seconds() - machine_cpu,
                }
            finally:
                await browser.close()
    finally:
        stop(proc)


# -- orchestration -------------------------------------------------------------------------------------


def measure(case: Case) -> None:
    print(f"  {case.name}: script runs", file=sys.stderr, flush=True)
    case.figures["runs"] = script_runs(case)
    print(f"  {case.name}: websocket sessions", file=sys.stderr, flush=True)
    try:
        case.figures["protocol"] = asyncio.run(protocol(case))
    except Exception as exc:  # keep the other figures
        case.figures["protocol_error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    print(f"  {case.name}: Chromium", file=sys.stderr, flush=True)
    try:
        case.figures["browse"] = asyncio.run(browse(case))
    except Exception as exc:  # keep the other pages' figures
        case.figures["browse_error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"


def main() -> None:
    cases: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="ushadow-bench-load-") as name:
        tmp = Path(name)
        print("  the two-line page in Chromium", file=sys.stderr, flush=True)
        try:
            floor_figures: dict[str, Any] = asyncio.run(floor(tmp))
        except Exception as exc:  # keep the pages' figures
            floor_figures = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"}
        started = time.perf_counter()
        scan_id = fill_scans(tmp / "link")
        matches = len(range(0, SERVICES_PER_NAMESPACE, RECOGNISED_EVERY)) * NAMESPACES
        link = Case(
            "link", "shareable link to a scan", "scan", {"scan": scan_id}, tmp / "link",
            '[data-testid="stDataFrame"]', "dataframe",
            lambda at: any("connection string" in d.value.columns for d in at.dataframe),
        )  # fmt: skip
        link.setup_s = time.perf_counter() - started
        link.label = f"{SCANS} stored scans of {NAMESPACES * SERVICES_PER_NAMESPACE:,} Services (~{matches:,} matches each)"
        measure(link)
        cases.append(link)

        started = time.perf_counter()
        fill_clusters(tmp / "clusters")
        clusters = Case(
            "clusters", f"Clusters page, {CLUSTERS} clusters", "clusters", {}, tmp / "clusters",
            '[data-testid="stMetricValue"]', "metric", lambda at: [t.value for t in at.title] == ["Clusters"],
            setup_s=time.perf_counter() - started,
        )  # fmt: skip
        measure(clusters)
        cases.append(clusters)

        with control_plane() as state:
            started = time.perf_counter()
            fill_workloads(tmp / "workloads", state.kubeconfig)
            workloads = Case(
                "workloads", f"Workloads page, {DEPLOYMENTS} Deployments in one namespace", "workloads",
                {"cluster": "bench", "namespace": WORKLOAD_NS}, tmp / "workloads",
                '[data-testid="stDataFrame"]', "dataframe", lambda at: len(at.dataframe) > 0,
                setup_s=time.perf_counter() - started,
            )  # fmt: skip
            measure(workloads)
            cases.append(workloads)
    report(cases, floor_figures)


def seconds(value: float | None) -> str:
    return "did not finish" if value is None or value != value else ms(value)


def report(cases: list[Case], floor_figures: dict[str, Any]) -> None:
    print("| page under load | ours | peer (same run) | ratio | note |")
    print("| --- | --- | --- | --- | --- |")
    if "error" in floor_figures:
        print(
            row(
                "the floor: a two-line Streamlit page in Chromium",
                f"not measured ({floor_figures['error']})",
                "-",
                "-",
                "-",
            )
        )
    else:
        done = [t for t in floor_figures["many"] if t is not None]
        slowest = max(done) if len(done) == len(floor_figures["many"]) else None
        one = floor_figures["one"]
        ratio = f"{slowest / one:.1f}x" if slowest is not None and one == one else "-"
        print(row(f"**the floor**: a two-line Streamlit page (a title and a sentence, nothing of ours) in Chromium, {VIEWERS} viewers at once (slowest)",
                  seconds(slowest), f"one viewer: {seconds(one)} (median of 3)", ratio,
                  f"the peer of each page's Chromium row: the same browser, settings and cores; of the {floor_figures['machine_cpu']:.0f} CPU seconds "
                  f"the machine spent meanwhile, the server's were {floor_figures['server_cpu']:.1f}"))  # fmt: skip
    for case in cases:
        runs = case.figures["runs"]
        later = statistics.median(runs["later"])
        print(row(f"**{case.name}** ({case.label}): page script (AppTest), each further viewer (new session)",
                  ms(later), f"first viewer after start: {ms(runs['first'])}", f"{later / runs['first']:.2f}x",
                  f"median of {REPEAT}; store set up in {case.setup_s:.0f} s"))  # fmt: skip
        if "protocol" in case.figures:
            got = case.figures["protocol"]
            done = [t for t in got["many"] if t is not None]
            slowest = max(done) if len(done) == len(got["many"]) else None
            ratio = (
                f"{slowest / got['one']:.1f}x" if slowest is not None and got["one"] == got["one"] else "-"
            )
            print(row(f"{case.name}, the server alone: {VIEWERS} sessions at once over Streamlit's websocket (slowest; median {seconds(statistics.median(done) if done else None)})",
                      seconds(slowest), f"one session: {seconds(got['one'])} (median of 3; the very first: {seconds(got['first'])})",
                      ratio, f"{len(done)} of {VIEWERS} got the page (until the server's script-finished message); "
                      f"server CPU for the {VIEWERS}: {got['server_cpu']:.1f} s"))  # fmt: skip
        else:
            print(
                row(
                    f"{case.name}, the server alone",
                    f"not measured ({case.figures.get('protocol_error')})",
                    "-",
                    "-",
                    "-",
                )
            )
        if "browse" not in case.figures:
            print(
                row(
                    f"{case.name} in Chromium",
                    f"not measured ({case.figures.get('browse_error')})",
                    "-",
                    "-",
                    "-",
                )
            )
            continue
        got = case.figures["browse"]
        many = got["many"]
        finished = [t for t in many if t is not None]
        slowest = max(finished) if len(finished) == len(many) else None
        one = got["one"]
        ratio = f"{slowest / one:.1f}x" if slowest is not None and one == one else "-"
        print(row(f"{case.name} in Chromium, {VIEWERS} viewers at once (slowest; median {seconds(statistics.median(finished) if finished else None)})",
                  seconds(slowest), f"one viewer: {seconds(one)} (median of 3; the very first: {seconds(got['first'])})",
                  ratio, f"{len(finished)} of {VIEWERS} saw the page; each its own browser context (session); Chromium on the same cores: "
                  f"of the {got['machine_cpu']:.0f} CPU seconds the machine spent meanwhile, the server's were {got['server_cpu']:.1f}"))  # fmt: skip
        rss = got["rss"]
        counts = sorted(rss)
        print(row(f"{case.name}: server memory (VmRSS) after {counts[-1]} views", f"{rss[counts[-1]]['VmRSS'] / 1024:.0f} MiB",
                  f"after {counts[0]} views: {rss[counts[0]]['VmRSS'] / 1024:.0f} MiB",
                  f"{rss[counts[-1]]['VmRSS'] / rss[counts[0]]['VmRSS']:.2f}x",
                  f"right after start {got['start_kib'] / 1024:.0f} MiB; peak (VmHWM) {max(r['VmHWM'] for r in rss.values()) / 1024:.0f} MiB"))  # fmt: skip


if __name__ == "__main__":
    main()
