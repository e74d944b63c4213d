"""One real node beside kwok's: containerd and a kubelet, started by pid, joined to the local control plane.

Its files live under ``<cluster dir>/real-node/`` (configs, certificates, the kubelet's root and pod
logs, containerd's root); its sockets under ``/run/ushadow-ops/``. Only one real node can run on a
host (the node IP, the bridge, the ``kubepods`` cgroups are host-wide): ``/run/ushadow-ops/realnode.json``
names the cluster that owns it, so a crashed one is found and cleaned before another starts.
The node is labelled and tainted ``ushadow.io/node=real`` (NoSchedule): only pods that ask land there.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.errors import LocalClusterError
from core.localcluster import hostnet, images, realconfig
from core.localcluster.binaries import K8S_VERSION, cache_root, ensure_kubelet
from core.localcluster.pki import Authority
from core.localcluster.plumbing import Http, alive, free_port, kubeconfig_yaml, wait_until
from core.localcluster.realconfig import NODE_NAME

RUN_DIR = Path("/run/ushadow-ops")
MARKER = RUN_DIR / "realnode.json"
READY_TIMEOUT = 120.0
# Folders the kubelet makes outside its root dir (device plugins' socket folder, log links).
HOST_DIRS = ("/var/lib/kubelet", "/var/log/containers", "/var/log/pods", "/run/netns")
Progress = Callable[[str], None]


@dataclass
class RealNodeState:
    cluster_dir: str
    pids: dict[str, int] = field(default_factory=dict)
    binaries: dict[str, str] = field(default_factory=dict)
    kubelet_port: int = 0
    made_run_containerd: bool = False
    made_dirs: list[str] = field(default_factory=list)  # host folders the kubelet makes, if new
    started_at: float = 0.0

    @property
    def dir(self) -> Path:
        return Path(self.cluster_dir) / "real-node"

    @property
    def socket(self) -> Path:
        return RUN_DIR / "containerd.sock"

    def save(self) -> None:
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        MARKER.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls) -> RealNodeState | None:
        try:
            return cls(**json.loads(MARKER.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def alive(self) -> bool:
        return bool(self.pids) and all(alive(pid, self.binaries.get(n)) for n, pid in self.pids.items())


def real_node_running(cluster_dir: Path) -> bool:
    state = RealNodeState.load()
    return state is not None and Path(state.cluster_dir) == cluster_dir and state.alive()


def _node_ready(http: Http) -> bool:
    status, body = http.request("GET", f"/api/v1/nodes/{NODE_NAME}")
    if status != 200:
        return False
    conditions = body.get("status", {}).get("conditions", []) or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _images(work: Path, progress: Progress) -> list[Path]:
    """The pause and busybox archives, built once per Kubernetes version into the cache."""
    out = cache_root() / "images" / K8S_VERSION
    out.mkdir(parents=True, exist_ok=True)
    pause, busybox = out / "pause.tar", out / "busybox.tar"
    if not pause.is_file():
        progress("building the pause image (gcc -static)")
        go = shutil.which("go") or "/usr/local/go/bin/go"
        gomodcache = subprocess.run(
            [go, "env", "GOMODCACHE"], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()
        source = Path(gomodcache) / f"k8s.io/kubernetes@{K8S_VERSION}" / "build/pause/linux/pause.c"
        if not source.is_file():
            raise LocalClusterError(f"{source} is missing", hint="build the kubelet first (it downloads it)")
        images.pause_archive(source, work).replace(pause)
    if not busybox.is_file():
        progress(f"building {images.BUSYBOX_IMAGE}")
        images.busybox_archive(work / "busybox.tar").replace(busybox)
    return [pause, busybox]


class RealNode:
    """The real node of the local control plane in ``cluster_dir``."""

    def __init__(self, cluster_dir: Path) -> None:
        self.cluster_dir = cluster_dir
        self.dir = cluster_dir / "real-node"

    def up(self, http: Http, server: str, *, progress: Progress = lambda _m: None) -> bool:
        """Start containerd and the kubelet and wait for the node to be Ready; False when it already ran.

        Kept as one sequence on purpose: each step needs the one before it (packages, images,
        network, containerd, kubelet, node Ready), and a failure stops what had started."""
        hostnet.require_root()
        other = RealNodeState.load()
        ours = other is not None and Path(other.cluster_dir) == self.cluster_dir
        if ours and other is not None and other.alive() and _node_ready(http):
            return False
        if other is not None:
            if Path(other.cluster_dir) != self.cluster_dir and other.alive():
                raise LocalClusterError(
                    f"the local cluster in {other.cluster_dir} already runs this host's real node",
                    hint="stop it first (`ushadow-ops local-cluster down` with its data dir)",
                )
            progress("cleaning up a real node that did not stop properly")
            teardown(other, None)
        hostnet.install_packages(progress)
        kubelet = ensure_kubelet(progress=progress)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o700)
        state = RealNodeState(
            cluster_dir=str(self.cluster_dir),
            made_run_containerd=not Path("/run/containerd").exists(),
            made_dirs=[d for d in HOST_DIRS if not Path(d).exists()],
            started_at=time.time(),
        )
        state.save()
        try:
            archives = _images(self.dir, progress)
            self._configure(state, server)
            status, body = http.request(
                "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", realconfig.NODE_BINDING
            )
            if status not in (201, 409):
                raise LocalClusterError(f"could not bind the node's role: HTTP {status} {body}")
            hostnet.check_pod_subnet()
            hostnet.add_address()
            procs: dict[str, subprocess.Popen[bytes]] = {}
            progress("starting containerd")
            self._start(
                state, procs, "containerd", "containerd", ["--config", str(self.dir / "containerd.toml")]
            )
            wait_until(
                lambda: _answers(state.socket),
                "containerd",
                60,
                procs,
                self.dir / "logs",
            )
            for archive in archives:
                images.import_archive("ctr", str(state.socket), archive)
            progress("starting the kubelet")
            args = realconfig.kubelet_args(
                self.dir / "kubelet.yaml", self.dir / "kubelet.kubeconfig", self.dir / "kubelet"
            )
            self._start(state, procs, "kubelet", str(kubelet), args)
            progress("waiting for the real node to become Ready")
            wait_until(
                lambda: _node_ready(http),
                "the real node to become Ready",
                READY_TIMEOUT,
                procs,
                self.dir / "logs",
            )
        except BaseException:
            teardown(state, http)
            raise
        return True

    def _start(
        self,
        state: RealNodeState,
        procs: dict[str, subprocess.Popen[bytes]],
        name: str,
        binary: str,
        args: list[str],
    ) -> None:
        logs = self.dir / "logs"
        logs.mkdir(exist_ok=True)
        resolved = binary if binary.startswith("/") else _which(binary)
        with open(logs / f"{name}.log", "wb") as log:
            proc = subprocess.Popen(
                [resolved, *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.dir,
            )
        procs[name] = proc
        state.pids[name] = proc.pid
        state.binaries[name] = resolved
        state.save()

    def _configure(self, state: RealNodeState, server: str) -> None:
        pki = self.cluster_dir / "pki"
        ca = Authority.existing(pki)
        client = ca.issue("real-node", f"system:node:{NODE_NAME}", org="system:nodes", client=True)
        serving = ca.issue(
            "real-node-serving", f"system:node:{NODE_NAME}", server=True, hosts=(hostnet.NODE_IP, NODE_NAME)
        )
        kubeconfig = self.dir / "kubelet.kubeconfig"
        kubeconfig.write_text(kubeconfig_yaml(server, ca.ca, client, f"system:node:{NODE_NAME}"))
        kubeconfig.chmod(0o600)
        cni = self.dir / "cni"
        cni.mkdir(exist_ok=True)
        (cni / "10-ushadow.conflist").write_text(realconfig.cni_conflist(self.dir / "cni-ipam"))
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        (self.dir / "containerd.toml").write_text(
            realconfig.containerd_toml(
                self.dir / "containerd", RUN_DIR / "containerd-state", state.socket, cni
            )
        )
        state.kubelet_port = free_port()
        (self.dir / "kubelet.yaml").write_text(
            realconfig.kubelet_yaml(
                socket=state.socket,
                port=state.kubelet_port,
                ca=ca.ca.cert,
                cert=serving.cert,
                key=serving.key,
                pod_logs=self.dir / "pod-logs",
            )
        )
        state.save()

    def down(self, http: Http | None) -> list[str]:
        state = RealNodeState.load()
        if state is None or Path(state.cluster_dir) != self.cluster_dir:
            return []
        return teardown(state, http)


def _answers(socket: Path) -> bool:
    try:
        ctr = ["ctr", "--address", str(socket), "version"]
        return subprocess.run(ctr, capture_output=True, timeout=5, check=False).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def _which(name: str) -> str:
    for directory in ("/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin", "/sbin"):
        if os.access(f"{directory}/{name}", os.X_OK):
            return f"{directory}/{name}"
    raise LocalClusterError(f"{name} is not installed", hint="install Debian's containerd")


def _stop(pid: int, binary: str | None, grace: float) -> bool:
    if not alive(pid, binary):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive(pid, binary) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid, binary):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    return True


def _drain(http: Http, kubelet_alive: bool) -> None:
    """Delete the node's pods and, while the kubelet runs, wait for it to stop them (sandboxes, CNI)."""
    http.request(
        "PATCH",
        f"/api/v1/nodes/{NODE_NAME}",
        {"spec": {"unschedulable": True}},
        timeout=10,
        content_type="application/merge-patch+json",
    )
    status, body = http.request("GET", f"/api/v1/pods?fieldSelector=spec.nodeName%3D{NODE_NAME}", timeout=10)
    if status != 200:
        return
    grace = 1 if kubelet_alive else 0
    for pod in body.get("items", []):
        meta = pod["metadata"]
        http.request(
            "DELETE",
            f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}",
            {"gracePeriodSeconds": grace},
            timeout=10,
        )
    if not kubelet_alive:
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, body = http.request(
            "GET", f"/api/v1/pods?fieldSelector=spec.nodeName%3D{NODE_NAME}", timeout=10
        )
        if status != 200 or not body.get("items"):
            return
        time.sleep(0.5)


def _kill_leftovers(state: RealNodeState) -> None:
    """Shims of our containerd and every process still in the kubelet's cgroups."""
    needle = str(state.socket).encode()
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            cmdline = (proc / "cmdline").read_bytes()
            if b"containerd-shim" in cmdline and needle in cmdline:
                os.kill(int(proc.name), signal.SIGKILL)
    for procs in hostnet.CGROUP_ROOT.glob("*/kubepods/**/cgroup.procs"):
        with contextlib.suppress(OSError):
            for pid in procs.read_text().split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)


def _remove_tasks(socket: Path) -> None:
    """Kill and delete the tasks (container processes) containerd still runs."""
    ctr = ["ctr", "--address", str(socket), "-n", "k8s.io"]
    listed = subprocess.run(
        [*ctr, "tasks", "ls", "-q"], capture_output=True, text=True, timeout=15, check=False
    )
    for task in listed.stdout.split():
        subprocess.run(
            [*ctr, "tasks", "kill", "-s", "SIGKILL", task], capture_output=True, timeout=15, check=False
        )
        subprocess.run([*ctr, "tasks", "delete", "-f", task], capture_output=True, timeout=15, check=False)


def teardown(state: RealNodeState, http: Http | None) -> list[str]:
    """Remove everything the real node added, in order; safe after a crash and when run twice."""
    done: list[str] = []
    kubelet_pid = state.pids.get("kubelet")
    kubelet_alive = bool(kubelet_pid) and alive(kubelet_pid or 0, state.binaries.get("kubelet"))
    if http is not None:
        with contextlib.suppress(OSError, ValueError):
            _drain(http, kubelet_alive)
    if kubelet_pid and _stop(kubelet_pid, state.binaries.get("kubelet"), 10):
        done.append("kubelet")
    containerd_pid = state.pids.get("containerd")
    if containerd_pid and alive(containerd_pid, state.binaries.get("containerd")):
        with contextlib.suppress(subprocess.TimeoutExpired):  # a hung containerd is killed next
            _remove_tasks(state.socket)
        _stop(containerd_pid, state.binaries.get("containerd"), 10)
        done.append("containerd")
    _kill_leftovers(state)
    hostnet.unmount_under(state.dir, RUN_DIR)
    hostnet.remove_netns()
    hostnet.remove_chains()
    hostnet.remove_bridge()
    hostnet.remove_cgroups()
    hostnet.remove_address()
    hostnet.remove_container_log_links(state.dir / "pod-logs")
    if http is not None:
        with contextlib.suppress(OSError, ValueError):
            http.request("DELETE", f"/api/v1/nodes/{NODE_NAME}", timeout=10)
            http.request(
                "DELETE",
                "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/ushadow-real-node",
                timeout=10,
            )
    if state.made_run_containerd:
        hostnet.unmount_under(Path("/run/containerd"))
        _rmtree(Path("/run/containerd"))
    _rmtree(RUN_DIR / "containerd-state")
    for leftover in (RUN_DIR / "containerd.sock", RUN_DIR / "containerd.sock.ttrpc"):
        leftover.unlink(missing_ok=True)
    for made in state.made_dirs:
        if made == str(hostnet.NETNS_DIR):  # others may have made a namespace there since
            with contextlib.suppress(OSError):
                hostnet.NETNS_DIR.rmdir()
        else:
            _rmtree(Path(made))
    MARKER.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        RUN_DIR.rmdir()
    return done


def _rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
