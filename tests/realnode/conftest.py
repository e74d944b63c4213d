"""The real node tier: one real kubelet node beside kwok's, added to the session's local control plane
once (``core.localcluster.realnode``), and removed at the end of the session.

It needs root, iptables and Debian's containerd, runc, containernetworking-plugins and
busybox-static (installed when missing); the first run also builds the kubelet with Go.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.localcluster.realconfig import NODE_NAME
from core.localcluster.realnode import RealNode
from core.localcluster.running import ClusterState, LocalCluster


@pytest.fixture(scope="session")
def real_node(local_cluster: ClusterState) -> Iterator[str]:
    lc = LocalCluster(Path(local_cluster.directory))
    node = RealNode(lc.dir)
    http = lc.http(local_cluster)
    node.up(http, local_cluster.server)
    try:
        yield NODE_NAME
    finally:
        node.down(http)
