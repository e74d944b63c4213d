"""Adding, checking and removing clusters against the real local control plane."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from core.clusters import registering as ops
from core.errors import ClusterError, Conflict, InvalidInput, NotFound, Unauthorized, Unreachable
from core.localcluster.running import ClusterState
from core.settings import Settings
from core.store.store import Store
from tests.support.kubeconfig_factory import dump, service_account_token, with_token

pytestmark = pytest.mark.cluster


@pytest.fixture
def admin_text(admin_kubeconfig: str) -> str:
    return Path(admin_kubeconfig).read_text()


@pytest.fixture
def scoped_token(kube_api: client.ApiClient, namespace: str) -> str:
    """A ServiceAccount token that may only read Services and Pods in one namespace."""
    rules = [{"apiGroups": [""], "resources": ["services", "pods"], "verbs": ["get", "list"]}]
    return service_account_token(kube_api, namespace, "reader", rules)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and then never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def _data_files(settings: Settings) -> list[Path]:
    return [p for p in settings.data_dir.rglob("*") if p.is_file()]


def _secret_strings(admin_text: str) -> list[bytes]:
    user = yaml.safe_load(admin_text)["users"][0]["user"]
    key_pem = base64.b64decode(user["client-key-data"])
    body = b"".join(key_pem.splitlines()[1:-1])
    return [user["client-key-data"].encode(), key_pem, body[:40]]


def test_admin_kubeconfig_connects(
    store: Store, settings: Settings, admin_text: str, local_cluster: ClusterState
) -> None:
    result = ops.add_cluster(store, settings, name="local", kubeconfig=admin_text)
    data = result.cluster.to_json()
    assert data["status"] == "connected"
    assert data["version"] == "v1.37.2"
    assert data["server"] == local_cluster.server
    assert data["node_count"] == 2
    assert data["namespace"] == "ushadow"
    assert data["context"] == "ushadow-local"
    assert set(data) == {
        "cluster_id", "name", "context", "server", "status", "version", "node_count",
        "namespace", "labels", "last_checked", "error",
    }  # fmt: skip


def test_credentials_are_encrypted_at_rest(store: Store, settings: Settings, admin_text: str) -> None:
    ops.add_cluster(store, settings, name="local", kubeconfig=admin_text)
    ops.check_cluster(store, settings, "local")
    files = _data_files(settings)
    assert any(p.name == "ushadow.db" for p in files)
    for path in files:
        content = path.read_bytes()
        for secret in _secret_strings(admin_text):
            assert secret not in content, f"{path.name} holds credential material in plain text"
    key_file = settings.data_dir / "secret.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    tmp = settings.data_dir / "tmp"  # key material lives in memory; on other systems briefly here
    assert not (tmp.exists() and any(tmp.iterdir())), "temporary certificate files were left behind"


def test_closed_port_is_unreachable_and_nothing_is_stored(
    store: Store, settings: Settings, admin_text: str
) -> None:
    doc = yaml.safe_load(admin_text)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    doc["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"
    with pytest.raises(Unreachable) as err:
        ops.add_cluster(store, settings, name="dead", kubeconfig=dump(doc))
    assert "nothing was saved" in err.value.message
    # the way out is named: the form's checkbox and the CLI's flag
    assert "Save even if it cannot connect now" in (err.value.hint or "")
    assert "--save-unreachable" in (err.value.hint or "")
    assert store.list_clusters() == []
    saved = ops.add_cluster(store, settings, name="dead", kubeconfig=dump(doc), save_unreachable=True)
    assert saved.cluster.status == "unreachable"
    assert "Connection refused" in (saved.cluster.error or "")


def test_server_that_never_answers_times_out(
    store: Store, settings: Settings, admin_text: str, silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USHADOW_REQUEST_TIMEOUT", "1")
    quick = Settings.load()
    doc = yaml.safe_load(admin_text)
    doc["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{silent_port}"
    result = ops.add_cluster(store, quick, name="silent", kubeconfig=dump(doc), save_unreachable=True)
    assert result.cluster.status == "unreachable"
    assert "did not answer within 1s" in (result.cluster.error or "")


def test_wrong_token_is_unauthorized(store: Store, settings: Settings, admin_text: str) -> None:
    with pytest.raises(Unauthorized) as err:
        ops.add_cluster(store, settings, name="bad", kubeconfig=with_token(admin_text, "not-a-real-token"))
    assert "401" in err.value.message
    assert "not-a-real-token" not in err.value.message
    assert store.list_clusters() == []


def test_forbidden_credential_is_refused(
    store: Store, settings: Settings, admin_text: str, scoped_token: str
) -> None:
    """A token that may not impersonate gets 403 on every request: refused, nothing stored."""
    text = with_token(admin_text, scoped_token, impersonate="admin")
    with pytest.raises(Unauthorized) as err:
        ops.add_cluster(store, settings, name="imp", kubeconfig=text)
    assert "forbidden" in err.value.message.lower()
    assert store.list_clusters() == []


def test_tls_failure_is_an_error(store: Store, settings: Settings, admin_text: str, tmp_path: Path) -> None:
    from core.localcluster.pki import Authority

    other_ca = Authority(tmp_path / "other-ca").ca.cert_pem()
    doc = yaml.safe_load(admin_text)
    doc["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(other_ca).decode()
    with pytest.raises(ClusterError) as err:
        ops.add_cluster(store, settings, name="tls", kubeconfig=dump(doc))
    assert "TLS verification" in err.value.message
    # the library's reason, whole and readable: no Python reprs or cut brackets
    assert "failed: certificate signature failure (nothing was saved)" in err.value.message
    assert store.list_clusters() == []


def test_namespace_scoped_token_is_added_without_node_count(
    store: Store, settings: Settings, admin_text: str, scoped_token: str, namespace: str
) -> None:
    text = with_token(admin_text, scoped_token)
    result = ops.add_cluster(store, settings, name="scoped", kubeconfig=text, namespace=namespace)
    assert result.cluster.status == "connected"
    assert result.cluster.node_count is None
    assert result.cluster.namespace == namespace
    for path in _data_files(settings):
        assert scoped_token.encode() not in path.read_bytes()


def test_exec_user_is_refused_and_its_command_never_runs(
    store: Store, settings: Settings, admin_text: str, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    doc = yaml.safe_load(admin_text)
    doc["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "/bin/sh",
            "args": ["-c", f"touch {marker}; echo '{{}}'"],
            "interactiveMode": "Never",
        }
    }
    with pytest.raises(InvalidInput, match="must not run commands"):
        ops.add_cluster(store, settings, name="exec", kubeconfig=dump(doc))
    assert not marker.exists()
    assert store.list_clusters() == []


def test_names_are_unique_and_contexts_may_repeat(store: Store, settings: Settings, admin_text: str) -> None:
    ops.add_cluster(store, settings, name="one", kubeconfig=admin_text)
    ops.add_cluster(store, settings, name="two", kubeconfig=admin_text)
    with pytest.raises(Conflict, match="already exists"):
        ops.add_cluster(store, settings, name="one", kubeconfig=admin_text)
    assert [c.context for c in store.list_clusters()] == ["ushadow-local", "ushadow-local"]


def test_an_empty_name_is_the_contexts_and_a_second_add_of_the_same_user_warns(
    store: Store, settings: Settings, admin_text: str
) -> None:
    first = ops.add_cluster(store, settings, name="  ", kubeconfig=admin_text)
    assert first.cluster.name == "ushadow-local"  # the context's name
    assert not [w for w in first.health.warnings if "already reaches" in w]
    second = ops.add_cluster(store, settings, name="again", kubeconfig=admin_text)
    assert second.cluster.name == "again"  # added all the same, with a warning naming the first
    assert [w for w in second.health.warnings if "already reaches" in w] == [
        f"cluster 'ushadow-local' already reaches {first.cluster.server} as this user"
    ]


@pytest.mark.parametrize(
    ("context", "name"),
    [("kind-dev", "kind-dev"), ("arn:aws:eks:eu-west-1:1234:cluster/prod", "arn-aws-eks-eu-west-1-1234-cluster-prod"),
     ("gke_proj_europe-west1_main", "gke_proj_europe-west1_main"), ("@@@", "cluster"), ("x" * 80, "x" * 63)],
)  # fmt: skip
def test_a_name_made_from_a_context_is_a_valid_name(context: str, name: str) -> None:
    assert ops.validate_name(ops.name_from_context(context)) == name


def test_check_all_reports_each_cluster(store: Store, settings: Settings, admin_text: str) -> None:
    doc = yaml.safe_load(admin_text)
    doc["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:1"
    ops.add_cluster(store, settings, name="live", kubeconfig=admin_text)
    ops.add_cluster(store, settings, name="dead", kubeconfig=dump(doc), save_unreachable=True)
    statuses = {c.name: c.status for c in ops.check_all(store, settings)}
    assert statuses == {"live": "connected", "dead": "unreachable"}


def test_remove_leaves_no_credential_or_scan(store: Store, settings: Settings, admin_text: str) -> None:
    from core.naming import new_id
    from core.store.scans import Match, ScanResult

    cluster = ops.add_cluster(store, settings, name="gone", kubeconfig=admin_text).cluster
    scan = ScanResult(
        scan_id=new_id(),
        cluster_id=cluster.cluster_id,
        namespaces=["ushadow"],
        catalog={"redis": 6379},
        matches=[Match(infra_type="redis", service="redis", namespace="ushadow", service_type="ClusterIP")],
    )
    store.save_scan(scan)
    store.audit("restart", "ushadow/api", {"cluster": "gone", "kind": "Deployment"})
    ops.remove_cluster(store, "gone")
    assert store.list_clusters() == []
    # the trail keeps only that it was removed: not its server, context, scans or changes
    assert [(e.action, e.target) for e in store.list_audit()] == [("cluster.remove", "gone")]
    with pytest.raises(NotFound):
        store.get_scan(scan.scan_id)
    with pytest.raises(NotFound):
        store.cluster_credential(cluster.cluster_id)
    db = (settings.data_dir / "ushadow.db").read_bytes()
    wal = settings.data_dir / "ushadow.db-wal"
    blob = db + (wal.read_bytes() if wal.exists() else b"")
    assert scan.scan_id.encode() not in blob
    assert cluster.server.encode() not in blob
