"""kwok's fake nodes: the Node objects it manages, its configuration and the fixed log its pods show."""

from __future__ import annotations

from typing import Any

NODE_NAMES = ("kwok-node-0", "kwok-node-1")


KWOK_ANNOTATION = "kwok.x-k8s.io/node"


def node_object(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {KWOK_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "type": "kwok",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node-role.kubernetes.io/agent": "",
            },
        },
        "status": {
            "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
            "capacity": {"cpu": "32", "memory": "256Gi", "pods": "110"},
        },
    }


KWOK_CONFIG = """\
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: all-containers
spec:
  selector: {{}}
  logs:
  - containers: []
    logsFile: {logs_file}
    follow: false
"""


# CRI log format (what the kubelet serves): timestamp, stream, P(artial)/F(ull), message.
FAKE_LOG = """\
{ts} stdout F ushadow-local: container started on a kwok fake node
{ts} stdout F ushadow-local: no real process runs here; kwok serves these lines for the logs API
{ts} stdout F ushadow-local: ready
"""
