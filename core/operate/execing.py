"""Running a command in a pod of a workload through the API server's ``exec`` subresource
(non-interactive: no stdin, no terminal), and picking the pod. Calls out.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import websocket

from core.clusters.apierrors import transport_error
from core.clusters.channels import ERROR, STDERR, STDOUT, connect, exit_status
from core.clusters.kube import Kube
from core.deploy.watching import list_pods, selector_text
from core.errors import ClusterError, InvalidInput, NotFound
from core.operate.finding import find_workload

Output = Callable[[str, bytes], None]  # ("stdout" | "stderr", data)
CAPTURE_LIMIT = 1 << 20  # what a captured result keeps of each stream


def _ready(pod: dict[str, Any]) -> bool:
    status = pod.get("status") or {}
    if (pod.get("metadata") or {}).get("deletionTimestamp") or status.get("phase") != "Running":
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])


def pick_pod(kube: Kube, namespace: str, service: str, *, pod: str | None = None) -> dict[str, Any]:
    """A running, ready pod of the workload ``service`` means (``pod``: that one, which must be its)."""
    w = find_workload(kube, namespace, service)
    selector = selector_text(w.obj)
    pods = sorted(
        list_pods(kube, namespace, selector) if selector else [], key=lambda p: p["metadata"]["name"]
    )
    if pod is not None:
        for p in pods:
            if p["metadata"]["name"] == pod:
                return p
        names = ", ".join(p["metadata"]["name"] for p in pods) or "none"
        raise NotFound(f"pod {pod!r} is not one of {w.kind} {w.name}'s pods", hint=f"its pods: {names}")
    ready = [p for p in pods if _ready(p)]
    if not ready:
        raise NotFound(
            f"{w.kind} {w.name} in {namespace} has no running, ready pod",
            hint=f"`ushadow-ops status CLUSTER {w.name} -n {namespace}` shows its pods and why",
        )
    return ready[0]


def container_of(pod: dict[str, Any], container: str | None) -> str:
    names = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
    if container is None:
        if not names:
            raise NotFound(f"pod {pod['metadata']['name']} has no containers")
        return str(names[0])
    if container not in names:
        raise NotFound(
            f"pod {pod['metadata']['name']} has no container {container!r}",
            hint=f"its containers: {', '.join(names)}",
        )
    return container


@dataclass
class ExecResult:
    pod: str
    container: str
    command: list[str]
    namespace: str = ""
    exit_code: int = 0
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    truncated: bool = False

    def capture(self, stream: str, data: bytes) -> None:
        buffer = self.stdout if stream == "stdout" else self.stderr
        room = CAPTURE_LIMIT - len(buffer)
        if len(data) > room:
            self.truncated = True
        buffer.extend(data[: max(room, 0)])

    def to_json(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "pod": self.pod,
            "container": self.container,
            "command": self.command,
            "exit_code": self.exit_code,
            "stdout": self.stdout.decode(errors="replace"),
            "stderr": self.stderr.decode(errors="replace"),
            "truncated": self.truncated,
        }


def run_in_pod(
    kube: Kube,
    namespace: str,
    pod: str,
    container: str,
    command: Sequence[str],
    *,
    timeout: float,
    output: Output | None = None,
) -> int:
    """Run ``command`` in ``pod``/``container``, stream its output to ``output``, return its exit status."""
    if not command or not all(isinstance(part, str) and part for part in command):
        raise InvalidInput("give a command to run, e.g. -- echo hello")
    query = [("container", container), ("stdout", "true"), ("stderr", "true")]
    query += [("command", part) for part in command]
    path = f"/api/v1/namespaces/{namespace}/pods/{pod}/exec"
    ws = connect(kube, path, query, what=f"starting `{command[0]}` in pod {pod}")
    deadline = time.monotonic() + timeout
    error = b""
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ClusterError(
                    f"`{' '.join(command)}` did not finish within {timeout:g}s in pod {pod}; it was stopped waiting for",
                    hint="give a longer --timeout, or run it in the background in the pod",
                )
            ws.settimeout(min(left, 1.0))
            try:
                opcode, frame = ws.recv_data_frame(True)
            except websocket.WebSocketTimeoutException:
                continue
            except websocket.WebSocketConnectionClosedException:
                break
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
            data = frame.data or b""
            if opcode != websocket.ABNF.OPCODE_BINARY or not data:
                continue
            channel, payload = data[0], data[1:]
            if channel == ERROR:
                error += payload
            elif channel in (STDOUT, STDERR) and payload and output is not None:
                output("stdout" if channel == STDOUT else "stderr", payload)
    except OSError as exc:
        raise transport_error(exc, server=kube.server, timeout=kube.timeout) from exc
    finally:
        ws.close()
    return exit_status(error)


def exec_in_workload(
    kube: Kube,
    namespace: str,
    service: str,
    command: Sequence[str],
    *,
    pod: str | None = None,
    container: str | None = None,
    timeout: float = 60.0,
    output: Output | None = None,
) -> ExecResult:
    """Pick the pod, run the command; the result keeps (up to 1 MiB of) each stream."""
    chosen = pick_pod(kube, namespace, service, pod=pod)
    name = chosen["metadata"]["name"]
    result = ExecResult(name, container_of(chosen, container), list(command), namespace)

    def both(stream: str, data: bytes) -> None:
        result.capture(stream, data)
        if output is not None:
            output(stream, data)

    result.exit_code = run_in_pod(
        kube, namespace, name, result.container, command, timeout=timeout, output=both
    )
    return result
