"""Helpers for the real node tier: compose files in a private registry, and exec through the real
API server with the kubernetes client for a test's own setup steps (what is under test goes
through ``ushadow-ops exec`` and ``port-forward``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from kubernetes import client
from kubernetes.stream import stream

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
