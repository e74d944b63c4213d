"""Two dashboard processes writing at once lose nothing (SQLite with WAL, and PostgreSQL)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from core.settings import Settings
from core.store.store import Store

WRITER = """
import sys
from core.settings import Settings
from core.store.store import Store
from core.store.scans import Match, ScanResult
from core.naming import new_id

tag, count = sys.argv[1], int(sys.argv[2])
store = Store.open(Settings.load())
for i in range(count):
    cluster = store.add_cluster(
        name=f"{tag}-{i}", context="ctx", server="https://h:6443", namespace="ushadow", labels={},
        credential=b"secret", status="connected", version="v1", node_count=1, error=None, actor=tag,
    )
    store.save_scan(ScanResult(
        scan_id=new_id(), cluster_id=cluster.cluster_id, namespaces=["ushadow"], catalog={"redis": 6379},
        matches=[Match(infra_type="redis", service="redis", namespace="ushadow", service_type="ClusterIP")],
    ))
store.close()
"""


def test_two_processes_writing_at_once_lose_nothing(
    database_url: str, tmp_path: Path, monkeypatch: object
) -> None:
    import os

    env = {**os.environ, "USHADOW_DATA_DIR": str(tmp_path / "data"), "USHADOW_DATABASE_URL": database_url}
    # Create the schema first, as the first dashboard process would, so the writers race on data.
    Store.open(
        Settings.load({"USHADOW_DATABASE_URL": database_url, "USHADOW_DATA_DIR": env["USHADOW_DATA_DIR"]})
    ).close()
    count = 40
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, tag, str(count)], env=env, stderr=subprocess.PIPE, text=True
        )
        for tag in ("a", "b")
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    store = Store.open(
        Settings.load({"USHADOW_DATABASE_URL": database_url, "USHADOW_DATA_DIR": env["USHADOW_DATA_DIR"]})
    )
    try:
        names = {c.name for c in store.list_clusters()}
        assert names == {f"{t}-{i}" for t in "ab" for i in range(count)}
        assert store.count_scans() == 2 * count
        assert len(store.list_audit(limit=1000)) == 4 * count
    finally:
        store.close()
