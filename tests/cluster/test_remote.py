"""``ushadow-ops exec`` and ``ushadow-ops port-forward`` end to end: through the real API server's
``exec`` and ``portforward`` subresources to the local control plane's kwok fake pods (which run a
command in a scratch folder, and relay a forwarded port to a small HTTP server this test starts)."""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kubernetes import client

from core.cli import main
from core.localcluster.fakepods import FORWARD_TARGET
from core.localcluster.running import ClusterState
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import REGISTRY, eventually, register

pytestmark = pytest.mark.cluster


@pytest.fixture
def deployed(
    store: Store,
    settings: Settings,
    admin_kubeconfig: str,
    namespace: str,
    capsys: pytest.CaptureFixture[str],
) -> str:
    """Cluster ``local`` (default namespace: the test's) with ``shop:shop-api`` deployed and ready."""
    register(store, settings, Path(admin_kubeconfig).read_text(), namespace)
    args = [
        "deploy",
        "local",
        "shop:shop-api",
        "--registry",
        str(REGISTRY),
        "--env",
        "SHOP_API_KEY=k",
        "--wait",
    ]
    assert main([*args, "--json"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    return "local"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_exec_streams_output_and_exits_with_the_commands_status(
    deployed: str, capsys: pytest.CaptureFixture[str], local_cluster: ClusterState, store: Store
) -> None:
    assert run(capsys, "exec", deployed, "shop-api", "--", "echo", "hello") == (0, "hello\n", "")
    code, out, err = run(
        capsys, "exec", deployed, "shop-api", "--", "sh", "-c", "echo to-out; echo to-err >&2; exit 3"
    )
    assert (code, out, err) == (3, "to-out\n", "to-err\n")
    # kwok runs it in the control plane's scratch folder
    code, out, _ = run(capsys, "exec", deployed, "shop:shop-api", "-c", "shop-api", "--", "pwd")
    assert code == 0 and Path(out.strip()) == Path(local_cluster.directory) / "pods"
    code, out, _ = run(capsys, "exec", deployed, "shop-api", "--json", "--", "sh", "-c", "echo json; exit 2")
    doc = json.loads(out)
    assert code == 2 and (doc["stdout"], doc["exit_code"], doc["command"]) == (
        "json\n",
        2,
        ["sh", "-c", "echo json; exit 2"],
    )
    assert doc["pod"].startswith("shop-api-") and doc["container"] == "shop-api"
    exec_events = [e for e in store.list_audit() if e.action == "exec"]
    assert [e.detail["exit_code"] for e in exec_events] == [2, 0, 3, 0]


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["shop-api", "--", "no-such-command-here"], 5, "could not run"),
        (["shop-api", "--container", "nope", "--", "true"], 3, "has no container 'nope'"),
        (["shop-api", "--pod", "shop-api-zzz", "--", "true"], 3, "is not one of"),
        (["nothing", "--", "true"], 3, "no Deployment or StatefulSet 'nothing'"),
        (["shop-api"], 2, "give a command"),
    ],
)
def test_exec_failures_are_one_line(
    deployed: str, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, says: str
) -> None:
    got, _out, err = run(capsys, "exec", deployed, *argv)
    assert got == code and says in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"hello from the test server: {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def test_server(local_cluster: ClusterState) -> Iterator[int]:
    """A small HTTP server; the fake pods' forwarded ports relay to it while this runs."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    target = Path(local_cluster.directory) / FORWARD_TARGET
    target.write_text(f"127.0.0.1:{server.server_address[1]}")
    try:
        yield int(server.server_address[1])
    finally:
        target.unlink(missing_ok=True)
        server.shutdown()


def _start_forward(*argv: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("ushadow-ops")), "port-forward", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "Forwarding from 127.0.0.1:PORT -> 80 (pod ...)"
    assert line.startswith("Forwarding from 127.0.0.1:"), (
        line,
        proc.stderr.read() if proc.poll() is not None else "",
    )
    return proc, int(line.split(":", 1)[1].split()[0])


def test_port_forward_reaches_the_test_server_and_stops_on_ctrl_c(deployed: str, test_server: int) -> None:
    proc, port = _start_forward(deployed, "shop-api", ":80")
    try:
        for path in ("/one", "/two"):  # one websocket per connection, each relayed
            answer = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=30)
            assert answer.text == f"hello from the test server: {path}"
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopped" in err and "Traceback" not in err


def test_port_forward_without_a_target_answers_from_the_fake_pod(deployed: str) -> None:
    proc, port = _start_forward(deployed, "shop:shop-api", "0:8080", "--address", "127.0.0.1")
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=30)
        assert answer.status_code == 200 and "reached a kwok fake pod" in answer.text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_port_forward_says_when_its_pod_goes_away(
    deployed: str, namespace: str, kube_api: client.ApiClient, test_server: int
) -> None:
    proc, port = _start_forward(deployed, "shop-api", ":80")
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200
        core = client.CoreV1Api(kube_api)
        [pod] = core.list_namespaced_pod(namespace, label_selector="app.kubernetes.io/name=shop-api").items
        core.delete_namespaced_pod(pod.metadata.name, namespace, grace_period_seconds=0, _request_timeout=10)

        def gone() -> bool:
            names = [p.metadata.name for p in core.list_namespaced_pod(namespace, _request_timeout=10).items]
            return pod.metadata.name not in names

        eventually(gone, "the pod to be deleted")
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=30)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    assert proc.returncode == 3
    assert f"pod {pod.metadata.name} is gone" in err and "Traceback" not in err
