"""Helpers for the real node tier: compose files in a private registry, and exec / port-forward
through the real API server with the kubernetes client (``ushadow-ops exec`` and ``port-forward``
are another branch's work)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from kubernetes import client
from kubernetes.stream import portforward, stream

T = 10  # seconds: every request has a timeout


def write_compose(registry: Path, stem: str, doc: dict[str, Any], files: dict[str, str] | None = None) -> str:
    """Write ``<stem>.yaml`` (and files beside it, for bind mounts) into ``registry``; the file's stem."""
    registry.mkdir(parents=True, exist_ok=True)
    (registry / f"{stem}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    for name, text in (files or {}).items():
        (registry / name).write_text(text)
    return stem


def pods(api: client.ApiClient, namespace: str, app: str) -> list[client.V1Pod]:
    core = client.CoreV1Api(api)
    items = core.list_namespaced_pod(namespace, _request_timeout=T).items
    return [p for p in items if p.metadata.name.startswith(f"{app}-") and not p.metadata.deletion_timestamp]


def ready(pod: client.V1Pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))


def exec_in(api: client.ApiClient, namespace: str, pod: str, command: list[str]) -> tuple[int, str]:
    """Exit status and combined output of ``command`` in the pod's first container."""
    core = client.CoreV1Api(api)
    resp = stream(
        core.connect_get_namespaced_pod_exec,
        pod,
        namespace,
        command=command,
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
        _preload_content=False,
        _request_timeout=T,
    )
    resp.run_forever(timeout=T)
    out = resp.read_stdout() + resp.read_stderr()  # read_all would swallow the status channel
    code = resp.returncode
    resp.close()
    return (code if code is not None else -1), out


def http_through_port_forward(api: client.ApiClient, namespace: str, pod: str, port: int, path: str) -> str:
    """One HTTP GET to the pod's ``port`` through the API server's port-forward; the response text."""
    core = client.CoreV1Api(api)
    pf = portforward(
        core.connect_get_namespaced_pod_portforward, pod, namespace, ports=str(port), _request_timeout=T
    )
    sock = pf.socket(port)
    sock.setblocking(True)
    sock.settimeout(T)
    sock.sendall(f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
    chunks = []
    while True:
        try:
            data = sock.recv(4096)
        except TimeoutError:
            break
        if not data:
            break
        chunks.append(data)
    sock.close()
    pf.close()
    return b"".join(chunks).decode(errors="replace")
