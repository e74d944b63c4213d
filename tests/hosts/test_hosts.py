"""``hosts add/list/check/remove`` against a real engine (podman's Docker API on its own socket)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.clusters import registering as clusters
from core.errors import Conflict, InvalidInput, Unreachable
from core.hosts import registering as hosts
from core.hosts.engines import make_credential
from core.settings import Settings
from core.store.store import Store
from tests.support.clirun import run, run_json
from tests.support.dockerengine import Engine
from tests.support.kubeconfig_factory import dump, kubeconfig
from tests.support.tlsproxy import tls_front


def test_add_list_check_remove_a_unix_socket_host(
    settings: Settings, docker_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    client = docker_engine.client()
    running = client.containers.run("ushadow.local/busybox:1", ["sleep", "600"], detach=True, name="idle")
    try:
        added = run_json(capsys, "hosts", "add", "edge", "--url", docker_engine.url)
        assert added["status"] == "connected"
        assert added["kind"] == "docker"
        assert added["version"].startswith("Podman Engine")
        assert added["containers_running"] == 1
        listed = run_json(capsys, "hosts", "list")
        assert [h["name"] for h in listed] == ["edge"]
        assert listed[0]["url"] == docker_engine.url
        running.stop(timeout=1)
        checked = run_json(capsys, "hosts", "check", "edge")
        assert checked["containers_running"] == 0
        code, out, _ = run(capsys, "hosts", "list")
        assert code == 0 and "edge" in out and "connected" in out
        removed = run_json(capsys, "hosts", "remove", "edge")
        assert removed["name"] == "edge"
        assert run_json(capsys, "hosts", "list") == []
    finally:
        running.remove(force=True)
        client.close()


def test_a_socket_nobody_serves_saves_nothing(
    store: Store, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"unix://{tmp_path / 'none.sock'}"
    with pytest.raises(Unreachable) as err:
        hosts.add_host(store, settings, name="gone", url=url)
    assert "nothing was saved" in err.value.message
    assert store.list_hosts() == []
    code, out, err_text = run(capsys, "hosts", "add", "gone", "--url", url, "--save-unreachable", "--json")
    assert code == 0, err_text
    assert json.loads(out)["status"] == "unreachable"
    code, _, _ = run(capsys, "hosts", "check", "gone")
    assert code == 9


def test_names_are_unique_across_clusters_and_hosts(
    store: Store, settings: Settings, docker_engine: Engine
) -> None:
    doc = kubeconfig(server="https://127.0.0.1:1")
    clusters.add_cluster(store, settings, name="shared", kubeconfig=dump(doc), save_unreachable=True)
    with pytest.raises(Conflict, match="already names a cluster"):
        hosts.add_host(store, settings, name="shared", url=docker_engine.url)
    hosts.add_host(store, settings, name="box", url=docker_engine.url)
    with pytest.raises(Conflict, match="already names a Docker host"):
        clusters.add_cluster(store, settings, name="box", kubeconfig=dump(doc), save_unreachable=True)
    with pytest.raises(Conflict):
        hosts.add_host(store, settings, name="box", url=docker_engine.url)


def test_tcp_with_tls_client_certificate_is_stored_encrypted(
    store: Store,
    settings: Settings,
    docker_engine: Engine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with tls_front(docker_engine.socket, tmp_path / "tls") as tls:
        url = f"tcp://127.0.0.1:{tls.port}"
        added = run_json(
            capsys,
            "hosts", "add", "secure", "--url", url,
            "--tls-ca", str(tls.ca), "--tls-cert", str(tls.cert), "--tls-key", str(tls.key),
        )  # fmt: skip
        assert added["status"] == "connected", added
        assert added["url"] == url
        assert run_json(capsys, "hosts", "check", "secure")["status"] == "connected"
    key_body = tls.key.read_text().splitlines()[1]
    database = (settings.data_dir / "ushadow.db").read_bytes()
    assert key_body.encode() not in database
    assert b"BEGIN PRIVATE KEY" not in database
    assert "BEGIN PRIVATE KEY" in hosts.stored_credential(store, "secure").key_pem


def test_plain_tcp_and_unlisted_ssh_are_refused(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidInput, match="needs TLS client authentication"):
        make_credential("tcp://10.0.0.5:2375", settings)
    with pytest.raises(InvalidInput, match="USHADOW_SSH_ALLOWLIST"):
        make_credential("ssh://ops@edge.example", settings)
    with pytest.raises(InvalidInput, match="not a Docker Engine URL"):
        make_credential("http://edge.example:2375", settings)
    monkeypatch.setenv("USHADOW_SSH_ALLOWLIST", "ops@edge.example")
    allowed = make_credential("ssh://ops@edge.example", Settings.load())
    assert allowed.url == "ssh://ops@edge.example"


def test_a_password_in_a_host_url_is_refused_without_echoing_it(settings: Settings) -> None:
    for url in ("tcp://admin:Hunter2pw@10.0.0.5:2376", "ssh://ops:Hunter2pw@edge.example"):
        with pytest.raises(InvalidInput, match="must not hold a password") as caught:
            make_credential(url, settings)
        assert "Hunter2pw" not in caught.value.message and "Hunter2pw" not in str(caught.value.hint)


def test_bad_host_names_are_refused(store: Store, settings: Settings) -> None:
    with pytest.raises(InvalidInput, match="host name"):
        hosts.add_host(store, settings, name="Bad_Name", url="unix:///nowhere.sock")


def test_the_clusters_page_lists_docker_hosts_beside_clusters(
    store: Store, settings: Settings, docker_engine: Engine
) -> None:
    from tests.support.pagekit import open_page

    hosts.add_host(store, settings, name="edge", url=docker_engine.url)
    at = open_page("clusters")
    assert not at.exception
    table = at.dataframe[-1].value
    assert list(table["name"]) == ["edge"]
    assert list(table["status"]) == ["connected"]
    assert str(table["version"][0]).startswith("Podman Engine")
