"""Starting, checking and stopping the local control plane.

Everything listens on 127.0.0.1 on free ports, with client-certificate auth and RBAC. State
(pids, ports, certificates, etcd data, logs, the admin kubeconfig) lives in one directory, so
``down`` can stop exactly the processes ``up`` started, by pid, and remove what they left.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.errors import LocalClusterError
from core.localcluster.binaries import K8S_VERSION, Toolchain
from core.localcluster.fakepods import SCRATCH, streaming_config
from core.localcluster.kwok import FAKE_LOG, KWOK_ANNOTATION, KWOK_CONFIG, NODE_NAMES, node_object
from core.localcluster.pki import Authority, service_account_keys
from core.localcluster.plumbing import HOST, Http, alive, free_port, kubeconfig_yaml, wait_until
from core.localcluster.realnode import RealNode

SERVICE_CIDR = "10.96.0.0/16"
READY_TIMEOUT = 120.0


@dataclass
class ClusterState:
    directory: str
    version: str = K8S_VERSION
    api_port: int = 0
    etcd_port: int = 0
    kwok_port: int = 0
    pids: dict[str, int] = field(default_factory=dict)
    binaries: dict[str, str] = field(default_factory=dict)
    started_at: float = 0.0

    @property
    def server(self) -> str:
        return f"https://{HOST}:{self.api_port}"

    @property
    def kubeconfig(self) -> Path:
        return Path(self.directory) / "admin.kubeconfig"

    def save(self) -> None:
        path = Path(self.directory) / "state.json"
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, directory: Path) -> ClusterState | None:
        path = directory / "state.json"
        if not path.is_file():
            return None
        try:
            return cls(**json.loads(path.read_text()))
        except (ValueError, TypeError):
            return None


STORAGE_CLASS: dict[str, Any] = {
    "apiVersion": "storage.k8s.io/v1",
    "kind": "StorageClass",
    "metadata": {
        "name": "standard",
        "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
    },
    "provisioner": "kubernetes.io/host-path",
    "reclaimPolicy": "Delete",
    "volumeBindingMode": "Immediate",
}


class LocalCluster:
    """One local control plane, identified by its state directory."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    @property
    def state(self) -> ClusterState | None:
        return ClusterState.load(self.dir)

    def running(self) -> bool:
        state = self.state
        if state is None or not state.pids:
            return False
        return all(alive(pid, state.binaries.get(name)) for name, pid in state.pids.items())

    def healthy(self) -> bool:
        state = self.state
        if state is None or not self.running():
            return False
        try:
            status, _ = self._http(state).request("GET", "/readyz", timeout=3)
        except (OSError, ssl.SSLError):
            return False
        return status == 200

    def http(self, state: ClusterState) -> Http:
        """An admin HTTPS client for the control plane of ``state``."""
        return self._http(state)

    def _http(self, state: ClusterState) -> Http:
        pki = Path(state.directory) / "pki"
        return Http(state.server, pki / "ca.crt", pki / "admin.crt", pki / "admin.key")

    def up(
        self, tools: Toolchain, *, progress: Callable[[str], None] = lambda _m: None
    ) -> tuple[ClusterState, bool]:
        """Start everything and wait until nodes are Ready. Returns (state, started_now).

        Kept as one sequence on purpose: each component starts after the one it needs (etcd, the
        API server, the controllers, kwok), and a failure anywhere stops what had started."""
        existing = self.state
        if existing is not None and self.healthy():
            return existing, False
        if existing is not None:
            progress("found a stale local control plane; cleaning it up")
            self.down()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o700)
        state = ClusterState(directory=str(self.dir), started_at=time.time())
        state.api_port, state.etcd_port, state.kwok_port = free_port(), free_port(), free_port()
        peer_port = free_port()
        logs = self.dir / "logs"
        logs.mkdir(exist_ok=True)
        self._pki(state)
        procs: dict[str, subprocess.Popen[bytes]] = {}

        def start(name: str, args: list[str]) -> None:
            binary = str(tools.path(name if name != "kwok-nodes" else "kwok"))
            with open(logs / f"{name}.log", "wb") as log:
                proc = subprocess.Popen(
                    [binary, *args],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                    cwd=self.dir,
                )
            procs[name] = proc
            state.pids[name] = proc.pid
            state.binaries[name] = binary
            state.save()

        try:
            progress("starting etcd")
            start("etcd", self._etcd_args(state, peer_port))
            etcd_url = f"http://{HOST}:{state.etcd_port}/health"
            wait_until(
                lambda: b"true" in urllib.request.urlopen(etcd_url, timeout=2).read(), "etcd", 30, procs, logs
            )
            progress("starting kube-apiserver")
            start("kube-apiserver", self._apiserver_args(state))
            http = self._http(state)
            wait_until(
                lambda: http.request("GET", "/readyz", timeout=3)[0] == 200,
                "kube-apiserver",
                READY_TIMEOUT,
                procs,
                logs,
            )
            progress("starting kube-controller-manager, kube-scheduler and kwok")
            start("kube-controller-manager", self._controller_args(state))
            start("kube-scheduler", self._scheduler_args(state))
            start("kwok", self._kwok_args(state))
            for name in NODE_NAMES:
                status, body = http.request("POST", "/api/v1/nodes", node_object(name))
                if status not in (201, 409):
                    raise LocalClusterError(f"could not create node {name}: HTTP {status} {body}")
            status, body = http.request("POST", "/apis/storage.k8s.io/v1/storageclasses", STORAGE_CLASS)
            if status not in (201, 409):
                raise LocalClusterError(f"could not create the default StorageClass: HTTP {status} {body}")
            progress("waiting for the fake nodes to become Ready")
            wait_until(lambda: self._nodes_ready(http), "nodes to become Ready", READY_TIMEOUT, procs, logs)
            wait_until(
                lambda: http.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")[0] == 200,
                "the default ServiceAccount",
                READY_TIMEOUT,
                procs,
                logs,
            )
        except BaseException:
            self.down()
            raise
        return state, True

    @staticmethod
    def _nodes_ready(http: Http) -> bool:
        status, body = http.request("GET", "/api/v1/nodes")
        if status != 200:
            return False
        ready = 0
        for node in body.get("items", []):
            for cond in node.get("status", {}).get("conditions", []) or []:
                if cond.get("type") == "Ready" and cond.get("status") == "True":
                    ready += 1
        return ready >= len(NODE_NAMES)

    def _pki(self, state: ClusterState) -> Path:
        pki = self.dir / "pki"
        ca = Authority(pki)
        hosts = (
            HOST,
            "localhost",
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
            "10.96.0.1",
        )
        ca.issue("apiserver", "kube-apiserver", server=True, hosts=hosts)
        ca.issue("kubelet-client", "kube-apiserver-kubelet-client", org="system:masters", client=True)
        ca.issue("kwok-serving", "kwok", server=True, hosts=(HOST, "localhost", *NODE_NAMES))
        service_account_keys(pki)
        users = {
            "admin": ("admin", "system:masters"),
            "controller-manager": ("system:kube-controller-manager", None),
            "scheduler": ("system:kube-scheduler", None),
            "kwok": ("kwok-controller", "system:masters"),
        }
        for stem, (cn, org) in users.items():
            pair = ca.issue(stem, cn, org=org, client=True)
            target = self.dir / ("admin.kubeconfig" if stem == "admin" else f"{stem}.kubeconfig")
            target.write_text(kubeconfig_yaml(state.server, ca.ca, pair, cn))
            target.chmod(0o600)
        logs_file = self.dir / "fake-container.log"
        logs_file.write_text(FAKE_LOG.format(ts=time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())))
        stages = (Path(__file__).with_name("kwok-stages.yaml")).read_text()
        (self.dir / SCRATCH).mkdir(exist_ok=True)
        config = (
            KWOK_CONFIG.format(logs_file=logs_file) + "---\n" + stages + "---\n" + streaming_config(self.dir)
        )
        (self.dir / "kwok.yaml").write_text(config)
        return pki

    def _etcd_args(self, state: ClusterState, peer_port: int) -> list[str]:
        return [
            "--name=local",
            f"--data-dir={self.dir / 'etcd'}",
            f"--listen-client-urls=http://{HOST}:{state.etcd_port}",
            f"--advertise-client-urls=http://{HOST}:{state.etcd_port}",
            f"--listen-peer-urls=http://{HOST}:{peer_port}",
            f"--initial-advertise-peer-urls=http://{HOST}:{peer_port}",
            f"--initial-cluster=local=http://{HOST}:{peer_port}",
            "--unsafe-no-fsync=true",
            "--quota-backend-bytes=4294967296",
            "--log-level=warn",
        ]

    def _apiserver_args(self, state: ClusterState) -> list[str]:
        pki = self.dir / "pki"
        return [
            f"--etcd-servers=http://{HOST}:{state.etcd_port}",
            f"--bind-address={HOST}",
            f"--advertise-address={HOST}",
            f"--secure-port={state.api_port}",
            f"--tls-cert-file={pki / 'apiserver.crt'}",
            f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}",
            "--authorization-mode=RBAC",
            "--anonymous-auth=true",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            f"--kubelet-client-certificate={pki / 'kubelet-client.crt'}",
            f"--kubelet-client-key={pki / 'kubelet-client.key'}",
            "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
            "--endpoint-reconciler-type=none",
            "--allow-privileged=true",
            "--enable-priority-and-fairness=false",
            "--storage-media-type=application/vnd.kubernetes.protobuf",
            "--v=0",
        ]

    def _controller_args(self, state: ClusterState) -> list[str]:
        pki = self.dir / "pki"
        kubeconfig = self.dir / "controller-manager.kubeconfig"
        return [
            f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}",
            f"--service-account-private-key-file={pki / 'sa.key'}",
            f"--root-ca-file={pki / 'ca.crt'}",
            f"--cluster-signing-cert-file={pki / 'ca.crt'}",
            f"--cluster-signing-key-file={pki / 'ca.key'}",
            "--use-service-account-credentials=true",
            "--leader-elect=false",
            f"--bind-address={HOST}",
            "--secure-port=0",
            "--controllers=*",
            "--enable-hostpath-provisioner=true",  # PVCs bind (to /tmp/hostpath_pv dirs) without a CSI driver
            "--concurrent-deployment-syncs=10",
            "--concurrent-replicaset-syncs=10",
            "--kube-api-qps=200",
            "--kube-api-burst=400",
            "--v=0",
        ]

    def _scheduler_args(self, state: ClusterState) -> list[str]:
        kubeconfig = self.dir / "scheduler.kubeconfig"
        return [
            f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}",
            "--leader-elect=false",
            f"--bind-address={HOST}",
            "--secure-port=0",
            "--kube-api-qps=200",
            "--kube-api-burst=400",
            "--v=0",
        ]

    def _kwok_args(self, state: ClusterState) -> list[str]:
        pki = self.dir / "pki"
        return [
            f"--kubeconfig={self.dir / 'kwok.kubeconfig'}",
            f"--config={self.dir / 'kwok.yaml'}",
            f"--manage-nodes-with-annotation-selector={KWOK_ANNOTATION}=fake",
            f"--server-address={HOST}:{state.kwok_port}",
            f"--node-ip={HOST}",
            f"--node-port={state.kwok_port}",
            f"--tls-cert-file={pki / 'kwok-serving.crt'}",
            f"--tls-private-key-file={pki / 'kwok-serving.key'}",
            "--cidr=10.244.0.0/16",
        ]

    def down(self) -> list[str]:
        """Stop every process we started (by pid, checking it is ours) and remove the state."""
        state = self.state
        stopped: list[str] = []
        # The real node first, while the API server still answers (it drains the node's pods).
        http = self._http(state) if state is not None and self.running() else None
        real = RealNode(self.dir).down(http)
        if state is not None:
            order = ["kwok", "kube-scheduler", "kube-controller-manager", "kube-apiserver", "etcd"]
            for name in order:
                pid = state.pids.get(name)
                if pid and alive(pid, state.binaries.get(name)):
                    try:
                        os.killpg(pid, signal.SIGTERM)
                    except ProcessLookupError:
                        continue
                    stopped.append(name)
            deadline = time.monotonic() + 15
            for name in stopped:
                pid = state.pids[name]
                while alive(pid, state.binaries.get(name)) and time.monotonic() < deadline:
                    time.sleep(0.1)
                if alive(pid, state.binaries.get(name)):
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
        if self.dir.exists():
            shutil.rmtree(self.dir, ignore_errors=True)
        return real + stopped
