"""Compose services deployed with ``ushadow-ops deploy`` onto the local cluster's real node: the compiler's
runtime promises judged by a kubelet and containerd running real processes, not by kwok."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubernetes import client

from core.cli import main
from core.localcluster.hostnet import BRIDGE, CNI_NETWORK, NODE_IP
from core.localcluster.images import BUSYBOX_IMAGE
from core.localcluster.realnode import RealNode, RealNodeState
from core.localcluster.running import ClusterState, LocalCluster
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import eventually, register
from tests.support.realpods import exec_in, pods, ready, write_compose

pytestmark = pytest.mark.cluster

PAGE = "hello from a real node\n"
ON_REAL_NODE = {"node": "real"}


@pytest.fixture
def cluster(store: Store, settings: Settings, admin_kubeconfig: str, namespace: str, real_node: str) -> str:
    return register(store, settings, Path(admin_kubeconfig).read_text(), namespace)


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    return tmp_path / "registry"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def deploy(capsys: pytest.CaptureFixture[str], cluster: str, registry: Path, sid: str, *extra: str) -> Any:
    code, doc, err = run(capsys, "deploy", cluster, sid, "--registry", str(registry), *extra)
    assert code == 0, err
    return doc


def the_pod(kube_api: client.ApiClient, namespace: str, app: str) -> client.V1Pod:
    """A pod of ``app`` once the scheduler has placed it (a deploy without --wait returns earlier)."""
    return eventually(
        lambda: next((p for p in pods(kube_api, namespace, app) if p.spec.node_name), None),
        f"a scheduled pod of {app}",
    )


def web_service() -> dict[str, Any]:
    """busybox httpd, read-only root, a compose user, a config file, limits, and a healthcheck that
    passes only when the server answers for /ready.txt (absent until a test writes it)."""
    return {
        "services": {
            "web": {
                "image": BUSYBOX_IMAGE,
                "x-ushadow": ON_REAL_NODE,
                "user": "1234:1234",
                "read_only": True,
                "command": ["httpd", "-f", "-vv", "-p", "8080", "-h", "/www"],
                "ports": ["8080"],
                "tmpfs": ["/www"],
                "configs": [{"source": "page", "target": "/etc/site/index.html"}],
                "healthcheck": {
                    "test": ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/ready.txt"],
                    "interval": "1s",
                    "timeout": "2s",
                    "retries": 1,
                },
                "deploy": {"resources": {"limits": {"memory": "64M", "cpus": "0.5"}}},
            }
        },
        "configs": {"page": {"content": PAGE}},
    }


def test_the_real_node_is_ready_labelled_tainted_and_has_busybox(
    kube_api: client.ApiClient, real_node: str
) -> None:
    node = client.CoreV1Api(kube_api).read_node(real_node, _request_timeout=10)
    assert node.metadata.labels["ushadow.io/node"] == "real"
    taints = {(t.key, t.value, t.effect) for t in node.spec.taints or []}
    assert ("ushadow.io/node", "real", "NoSchedule") in taints
    assert any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)
    names = {n for image in node.status.images or [] for n in image.names or []}
    assert BUSYBOX_IMAGE in names


def test_a_web_service_runs_as_compose_says(
    capsys: pytest.CaptureFixture[str],
    cluster: str,
    registry: Path,
    kube_api: client.ApiClient,
    namespace: str,
    real_node: str,
) -> None:
    write_compose(registry, "site", web_service())
    deploy(capsys, cluster, registry, "site:web")
    pod = the_pod(kube_api, namespace, "web")
    assert pod.spec.node_name == real_node

    # The readiness probe runs against the real server: it fails while /ready.txt is missing...
    core = client.CoreV1Api(kube_api)

    def probe_failed() -> bool:
        events = core.list_namespaced_event(namespace, _request_timeout=10).items
        return any(e.reason == "Unhealthy" and e.involved_object.name == pod.metadata.name for e in events)

    eventually(probe_failed, "the readiness probe to fail")
    name = pod.metadata.name
    assert not ready(core.read_namespaced_pod(name, namespace, _request_timeout=10))
    # ...and passes once the server answers for it; then `deploy --wait` reports it ready.
    code, _ = exec_in(kube_api, namespace, name, ["sh", "-c", "cp /etc/site/index.html /www/ready.txt"])
    assert code == 0
    doc = deploy(capsys, cluster, registry, "site:web", "--wait")
    assert doc["status"] == "ready"

    # Through `ushadow-ops exec`: the config file arrives as a file with its content; the compose
    # user and the read-only root hold; limits reach the container's cgroup (v1 on this kind of
    # host): 64M = 64 MiB, 0.5 CPU.
    def ushadow_exec(*command: str) -> tuple[int, str, str]:
        code = main(["exec", cluster, "site:web", "--", *command])
        out, err = capsys.readouterr()
        return code, out, err

    assert ushadow_exec("cat", "/etc/site/index.html") == (0, PAGE, "")
    assert ushadow_exec("test", "-f", "/etc/site/index.html")[0] == 0
    assert ushadow_exec("id", "-u") == (0, "1234\n", "")
    code, _out, err = ushadow_exec("sh", "-c", "echo x > /written")
    assert code != 0 and "Read-only file system" in err
    limit = ushadow_exec("cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")[1]
    assert int(limit) == 64 * 1024 * 1024
    quota = ushadow_exec("cat", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us")[1]
    period = ushadow_exec("cat", "/sys/fs/cgroup/cpu/cpu.cfs_period_us")[1]
    assert int(quota) * 2 == int(period)

    # `ushadow-ops port-forward` reaches the real server; its log shows the request.
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("ushadow-ops")), "port-forward", cluster, "site:web", "0:8080"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "Forwarding from 127.0.0.1:PORT -> 8080 (pod ...)"
        assert line.startswith("Forwarding from 127.0.0.1:"), line
        port = int(line.split(":", 1)[1].split()[0])
        answer = httpx.get(f"http://127.0.0.1:{port}/ready.txt", timeout=30)
        assert (answer.status_code, answer.text) == (200, PAGE)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    code, logs, err = run(capsys, "logs", cluster, "site:web", "--tail", "50")
    assert code == 0, err
    assert any("/ready.txt" in row["text"] for row in logs), logs


def test_an_exec_probe_runs_through_a_shell_in_the_container(
    capsys: pytest.CaptureFixture[str],
    cluster: str,
    registry: Path,
    kube_api: client.ApiClient,
    namespace: str,
) -> None:
    """A shell healthcheck (not an HTTP one, which the compiler may turn into httpGet) stays an
    exec probe through ``sh -c``: the pod is Ready only once the shell says so."""
    service = {
        "image": BUSYBOX_IMAGE,
        "x-ushadow": ON_REAL_NODE,
        "command": ["sleep", "3600"],
        "tmpfs": ["/flag"],
        "healthcheck": {
            "test": ["CMD-SHELL", 'test "$(cat /flag/state 2>/dev/null)" = up'],
            "interval": "1s",
            "retries": 1,
        },
    }
    write_compose(registry, "shelly", {"services": {"shelly": service}})
    deploy(capsys, cluster, registry, "shelly:shelly")
    pod = the_pod(kube_api, namespace, "shelly")
    probe = pod.spec.containers[0].readiness_probe
    assert probe._exec is not None and probe._exec.command[:2] == ["sh", "-c"]
    core = client.CoreV1Api(kube_api)

    def probe_failed() -> bool:
        events = core.list_namespaced_event(namespace, _request_timeout=10).items
        return any(e.reason == "Unhealthy" and e.involved_object.name == pod.metadata.name for e in events)

    eventually(probe_failed, "the shell probe to fail")
    assert not ready(core.read_namespaced_pod(pod.metadata.name, namespace, _request_timeout=10))
    assert exec_in(kube_api, namespace, pod.metadata.name, ["sh", "-c", "echo up > /flag/state"])[0] == 0
    assert deploy(capsys, cluster, registry, "shelly:shelly", "--wait")["status"] == "ready"


def test_a_crash_loop_shows_the_previous_log(
    capsys: pytest.CaptureFixture[str],
    cluster: str,
    registry: Path,
    kube_api: client.ApiClient,
    namespace: str,
) -> None:
    service = {
        "image": BUSYBOX_IMAGE,
        "x-ushadow": ON_REAL_NODE,
        "command": ["sh", "-c", "echo crashing on purpose; exit 3"],
    }
    write_compose(registry, "crash", {"services": {"crasher": service}})
    deploy(capsys, cluster, registry, "crash:crasher")

    def crashed_twice() -> client.V1Pod | None:
        for pod in pods(kube_api, namespace, "crasher"):
            for status in pod.status.container_statuses or []:
                if status.restart_count >= 2 and status.last_state.terminated is not None:
                    return pod
        return None

    pod = eventually(crashed_twice, "the container to crash and restart twice", timeout=120)
    assert pod.status.container_statuses[0].last_state.terminated.exit_code == 3

    def previous_log() -> list[str] | None:
        # The kubelet may be swapping the dead container for the next one: ask until it answers.
        code, logs, err = run(capsys, "logs", cluster, "crash:crasher", "--previous")
        assert code == 0, err
        texts = [row["text"].strip() for row in logs if row["previous"]]
        return texts if texts == ["crashing on purpose"] else None

    assert eventually(previous_log, "the previous container's log") == ["crashing on purpose"]


def test_a_file_bind_mount_arrives_as_the_file(
    capsys: pytest.CaptureFixture[str],
    cluster: str,
    registry: Path,
    kube_api: client.ApiClient,
    namespace: str,
) -> None:
    service = {
        "image": BUSYBOX_IMAGE,
        "x-ushadow": ON_REAL_NODE,
        "command": ["sleep", "3600"],
        "volumes": ["./settings.conf:/etc/app/settings.conf:ro"],
    }
    write_compose(registry, "mounts", {"services": {"app": service}}, {"settings.conf": "mode = real\n"})
    deploy(capsys, cluster, registry, "mounts:app", "--wait")
    name = the_pod(kube_api, namespace, "app").metadata.name
    assert exec_in(kube_api, namespace, name, ["test", "-f", "/etc/app/settings.conf"])[0] == 0
    assert exec_in(kube_api, namespace, name, ["cat", "/etc/app/settings.conf"]) == (0, "mode = real\n")


def test_a_one_shot_service_runs_to_completion(
    capsys: pytest.CaptureFixture[str],
    cluster: str,
    registry: Path,
    kube_api: client.ApiClient,
    namespace: str,
) -> None:
    service = {
        "image": BUSYBOX_IMAGE,
        "x-ushadow": ON_REAL_NODE,
        "restart": "no",
        "command": ["sh", "-c", "echo migrated"],
    }
    write_compose(registry, "once", {"services": {"migrate": service}})
    # `deploy --wait` follows the Job until it completes (a Job has no readiness to wait for).
    doc = deploy(capsys, cluster, registry, "once:migrate", "--wait")
    assert "Job" in {r["kind"] for r in doc["resources"]}
    assert doc["status"] == "ready" and "job migrate: complete, 1/1 completions" in doc["message"]
    batch = client.BatchV1Api(kube_api)
    job = batch.read_namespaced_job("migrate", namespace, _request_timeout=10)
    assert job.status.succeeded == 1
    core = client.CoreV1Api(kube_api)
    (pod,) = core.list_namespaced_pod(namespace, label_selector="job-name=migrate", _request_timeout=10).items
    assert pod.spec.node_name == "ushadow-real-node" and pod.status.phase == "Succeeded"
    # `status` shows its completions; `logs` reads the log of the process that ran.
    code, status, err = run(capsys, "status", cluster, "once:migrate")
    assert code == 0, err
    (row,) = status["workloads"]
    assert row["job"]["succeeded"] == 1 and row["job"]["complete"] is True
    code, logs, err = run(capsys, "logs", cluster, "once:migrate")
    assert code == 0, err
    assert [r["text"] for r in logs] == ["migrated\n"]


def test_a_sidecar_reaches_its_host_on_localhost(
    capsys: pytest.CaptureFixture[str],
    cluster: str,
    registry: Path,
    kube_api: client.ApiClient,
    namespace: str,
) -> None:
    """``network_mode: service:web``: the rider is a second container of web's pod and reaches web's
    server on localhost; deployed alone it is refused with what to do."""
    doc = {
        "services": {
            "web": {  # no ports: its probes are not under test here, the rider's localhost is
                "image": BUSYBOX_IMAGE,
                "x-ushadow": ON_REAL_NODE,
                "command": ["httpd", "-f", "-p", "8080", "-h", "/etc/site"],
                "configs": [{"source": "page", "target": "/etc/site/index.html"}],
            },
            "rider": {
                "image": BUSYBOX_IMAGE,
                "network_mode": "service:web",
                "command": ["sleep", "3600"],
            },
        },
        "configs": {"page": {"content": PAGE}},
    }
    write_compose(registry, "pair", doc)
    code, _doc, err = run(capsys, "deploy", cluster, "pair:rider", "--registry", str(registry))
    assert code == 6 and "runs in the pod of web" in err and "deploy pair:web" in err
    out = deploy(capsys, cluster, registry, "pair:web", "--wait", "--timeout", "150")
    assert out["status"] == "ready"
    assert any(
        "rider (network_mode: service:web) run as containers of this pod" in w for w in out["warnings"]
    )
    pod = the_pod(kube_api, namespace, "web")
    assert [c.name for c in pod.spec.containers] == ["web", "rider"]
    code = main(
        [
            "exec",
            cluster,
            "pair:web",
            "--container",
            "rider",
            "--",
            "wget",
            "-q",
            "-O",
            "-",
            "http://localhost:8080/",
        ]
    )
    out_text, err = capsys.readouterr()
    assert (code, out_text) == (0, PAGE), err


def _chains(saved: str) -> list[str]:
    return [ln[1:].split()[0] for ln in saved.splitlines() if ln.startswith(":")]


def _names_us(chain: str, saved: str) -> bool:
    """A CNI chain is ours when a rule of it names our network (podman's may be there too, and come
    and go while this runs)."""
    return chain.startswith("CNI-") and any(chain in ln and CNI_NETWORK in ln for ln in saved.splitlines())


def host_traces() -> dict[str, Any]:
    """What a real node leaves on the host: processes, mounts, links, chains, cgroups, the address."""
    chains = subprocess.run(["iptables-save"], capture_output=True, text=True, timeout=10).stdout
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, timeout=10).stdout
    addrs = subprocess.run(
        ["ip", "-4", "-o", "addr", "show", "dev", "lo"], capture_output=True, text=True, timeout=10
    )
    mounts = Path("/proc/self/mountinfo").read_text()
    processes = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if Path(cmd[0].decode(errors="replace")).name in ("kubelet", "containerd", "containerd-shim-runc-v2"):
            processes.append(cmd[0].decode())
    return {
        "processes": processes,
        "mounts": [
            ln.split()[4] for ln in mounts.splitlines() if "real-node" in ln or "/run/ushadow-ops" in ln
        ],
        "links": [ln.split(":")[1].strip() for ln in links.splitlines() if BRIDGE in ln],
        "chains": [c for c in _chains(chains) if c.startswith("KUBE-") or _names_us(c, chains)],
        "cgroups": [str(p) for p in Path("/sys/fs/cgroup").glob("*/kubepods")],
        "address": NODE_IP in addrs.stdout,
    }


def test_down_after_a_crash_leaves_nothing_behind(
    capsys: pytest.CaptureFixture[str],
    cluster: str,
    registry: Path,
    kube_api: client.ApiClient,
    namespace: str,
    local_cluster: ClusterState,
) -> None:
    service = {"image": BUSYBOX_IMAGE, "x-ushadow": ON_REAL_NODE, "command": ["sleep", "3600"]}
    write_compose(registry, "victim", {"services": {"victim": service}})
    deploy(capsys, cluster, registry, "victim:victim", "--wait")
    state = RealNodeState.load()
    assert state is not None and host_traces()["links"] and host_traces()["address"]
    for pid in state.pids.values():  # the kubelet and containerd die without cleaning anything
        os.kill(pid, signal.SIGKILL)
    lc = LocalCluster(Path(local_cluster.directory))
    node = RealNode(lc.dir)
    http = lc.http(local_cluster)
    node.down(http)
    node.down(http)  # idempotent
    assert host_traces() == {
        "processes": [],
        "mounts": [],
        "links": [],
        "chains": [],
        "cgroups": [],
        "address": False,
    }
    assert node.up(http, local_cluster.server)  # the rest of the session has its node again
