"""Stored clusters against fake API servers: names vs ids, refused stored credentials, warnings,
and key material that never stays on disk."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.cli import main
from core.clusters import registering as ops
from core.clusters.kube import Kube
from core.clusters.kubeconfigs import Credential
from core.errors import Conflict, InvalidInput
from core.scan.jobs import run_scans
from core.settings import Settings
from core.store.store import Store
from tests.support.fakeapi import Answer, fake_api
from tests.support.kubeconfig_factory import dump, kubeconfig

PEM_CERT = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
PEM_KEY = b"-----BEGIN PRIVATE KEY-----\nS3CRETKEYMATERIAL\n-----END PRIVATE KEY-----\n"


def _store_raw(store: Store, name: str, credential: Credential) -> str:
    """Store a cluster as an older version might have (no checks on the way in)."""
    cluster = store.add_cluster(
        name=name,
        context=credential.context,
        server=credential.server,
        namespace="ushadow",
        labels={},
        credential=credential.to_bytes(),
        status="connected",
        version=None,
        node_count=None,
        error=None,
    )
    return cluster.cluster_id


def test_a_name_may_not_be_another_clusters_id(store: Store, settings: Settings) -> None:
    with fake_api() as api:
        first = ops.add_cluster(store, settings, name="first", kubeconfig=api.kubeconfig()).cluster
        with pytest.raises(Conflict, match="is the id of another cluster"):
            ops.add_cluster(store, settings, name=first.cluster_id, kubeconfig=api.kubeconfig())


def test_an_id_that_is_also_a_name_is_ambiguous_and_removes_nothing(store: Store) -> None:
    cred = Credential(context="main", cluster_name="c1", server="https://h:6443", token="t")
    first = _store_raw(store, "first", cred)
    _store_raw(store, first, cred)  # a name equal to the first one's id (an old database)
    with pytest.raises(Conflict, match="both the id of cluster 'first' and the name of another"):
        ops.remove_cluster(store, first)
    assert len(store.list_clusters()) == 2


def test_a_stored_exec_cluster_off_the_allowlist_fails_alone(
    store: Store, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plugin = tmp_path / "gone-plugin"
    plugin.write_text("#!/bin/sh\nexit 1\n")
    plugin.chmod(0o755)
    exec_cred = Credential(
        context="main", cluster_name="c1", server="https://h:6443", exec_spec={"command": str(plugin)}
    )
    _store_raw(store, "exec-one", exec_cred)
    with fake_api() as api:
        ops.add_cluster(store, settings, name="fine", kubeconfig=api.kubeconfig())
        code = main(["clusters", "check", "--all", "--json"])
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert code == 9  # not connected everywhere, but not a refusal of the whole command (2)
    assert rows["fine"]["status"] == "connected"
    assert rows["exec-one"]["status"] == "error"
    assert "must not run commands" in rows["exec-one"]["error"]


def test_insecure_tls_is_a_warning_in_add_and_check(
    store: Store, settings: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with fake_api() as api:
        doc = kubeconfig(server=api.url)
        doc["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = True
        path = tmp_path / "kc.yaml"
        path.write_text(dump(doc))
        assert main(["clusters", "add", "lax", "--kubeconfig", str(path)]) == 0
        added = capsys.readouterr()
        assert main(["clusters", "check", "lax", "--json"]) == 0
        checked = json.loads(capsys.readouterr().out)
    assert "insecure-skip-tls-verify" in added.err
    assert any("insecure-skip-tls-verify" in w for w in checked["warnings"])


def _memfds() -> int:
    """How many in-memory files this process holds open."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("/memfd:")
        except OSError:
            continue
    return count


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_a_failed_client_construction_leaves_no_key_anywhere(tmp_path: Path) -> None:
    workdir = tmp_path / "tmp"
    memfds = _memfds()
    cred = Credential(
        context="main",
        cluster_name="c1",
        server="https://h:6443",
        client_cert=PEM_CERT,
        client_key=PEM_KEY,
        proxy_url="ftp://proxy:21",  # the client library cannot use it
    )
    with pytest.raises(InvalidInput, match="cannot set up a client"):
        Kube(cred, timeout=1, workdir=workdir)
    assert _leftovers(workdir) == []
    assert _memfds() == memfds


def test_key_material_is_never_written_to_the_data_dir(tmp_path: Path) -> None:
    workdir = tmp_path / "tmp"
    cred = Credential(
        context="main", cluster_name="c1", server="https://h:6443", client_cert=PEM_CERT, client_key=PEM_KEY
    )
    with Kube(cred, timeout=1, workdir=workdir) as kube:
        assert _leftovers(workdir) == []
        key_file = kube.tls.key_file
        assert Path(key_file).read_bytes() == PEM_KEY  # readable by the process, from memory
        assert not str(key_file).startswith(str(tmp_path))
        assert _memfds() > 0
    assert _memfds() == 0 or _leftovers(workdir) == []


def test_one_hostile_cluster_never_fails_a_multi_cluster_scan(store: Store, settings: Settings) -> None:
    denied = Answer('{"kind": "Status", "message": "no"}', status=403)
    odd_namespaces = Answer('{"items": [{"kind": "Namespace"}]}')  # a namespace without a name
    with (
        fake_api({"*": denied, "/api/v1/namespaces": odd_namespaces}) as bad,
        fake_api({"*": Answer('{"items": []}')}) as good,
    ):
        bad_id = ops.add_cluster(store, settings, name="bad", kubeconfig=bad.kubeconfig()).cluster.cluster_id
        good_id = ops.add_cluster(
            store, settings, name="good", kubeconfig=good.kubeconfig()
        ).cluster.cluster_id
        outcomes = {
            o.cluster_ref: o for o in run_scans(store, settings, [bad_id, good_id], all_namespaces=True)
        }
    assert outcomes[good_id].error is None
    assert outcomes[bad_id].result is None
    assert outcomes[bad_id].error is not None


def test_the_cli_refuses_a_huge_kubeconfig_without_loading_it(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as out:
        out.write(dump(kubeconfig()).encode() + b"#")
        out.truncate(64 * 1024 * 1024)  # sparse: 64 MiB to read, none of it on disk
    assert main(["clusters", "add", "big", "--kubeconfig", str(huge)]) == 2
    assert "larger than 1 MiB" in capsys.readouterr().err
