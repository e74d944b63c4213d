"""Migration 0007: a database written before passwords in server URLs were refused keeps none.

The database is built at the revision before 0007 the way the old code filled it (a cluster whose server URL
holds a user and password, its audit entry, an error naming the URL, a scan error and a deployment
message with it), then opened by the current code, which migrates it. The password is then found
nowhere in the database file (nor its WAL), and the stored credential loads again.
"""

from __future__ import annotations

from pathlib import Path

from core.clusters.kubeconfigs import Credential
from core.settings import Settings
from core.store.crypto import Cipher
from core.store.databases import alembic_config, make_engine, migrate
from core.store.scans import NamespaceError, ScanResult
from core.store.store import Store

PASSWORD = "s3cret-pw-0007"
URL = f"https://admin:{PASSWORD}@cluster.example:6443"


def _before_0007() -> str:
    from alembic.script import ScriptDirectory

    previous = ScriptDirectory.from_config(alembic_config()).get_revision("0007").down_revision
    assert isinstance(previous, str)
    return previous


def _old_database(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    migrate(engine, _before_0007())
    old = Store(engine, Cipher.from_settings(settings))  # 0007 changes data only: the same schema
    credential = Credential(context="main", cluster_name="c1", server=URL, token="tok")
    cluster = old.add_cluster(
        name="legacy",
        context="main",
        server=URL,
        namespace="apps",
        labels={},
        credential=credential.to_bytes(),
        status="unreachable",
        version=None,
        node_count=None,
        error=f"cannot connect to {URL}: connection refused",
    )
    old.save_scan(
        ScanResult(
            scan_id="scan0007",
            cluster_id=cluster.cluster_id,
            namespaces=["apps"],
            catalog={"postgres": 5432},
            errors=[NamespaceError(namespace="apps", reason=f"{URL} did not answer within 5s")],
        )
    )
    old.record_deployment(
        cluster_id=cluster.cluster_id,
        namespace="apps",
        service_id="shop:db",
        name="db",
        manifests="",
        resources=[],
        status="failed",
        message=f"cluster legacy: cannot connect to {URL}",
        dry_run=False,
    )
    old.close()


def _files(settings: Settings) -> list[Path]:
    return [p for p in settings.data_dir.rglob("*") if p.is_file()]


def test_upgrading_removes_every_password_in_a_server_url(settings: Settings) -> None:
    _old_database(settings)
    assert any(PASSWORD.encode() in p.read_bytes() for p in _files(settings))  # the old state

    store = Store.open(settings)  # migrates to head
    try:
        cluster = store.get_cluster("legacy")
        assert cluster.server == "https://cluster.example:6443"
        assert PASSWORD not in (cluster.error or "")
        credential = Credential.from_bytes(store.cluster_credential("legacy"))  # loads again
        assert credential.server == "https://cluster.example:6443"
        assert credential.token == "tok"
        assert all(PASSWORD not in str(e.detail) for e in store.list_audit())
    finally:
        store.close()
    for path in _files(settings):
        assert PASSWORD.encode() not in path.read_bytes(), path
        assert b"admin:" not in path.read_bytes(), path
