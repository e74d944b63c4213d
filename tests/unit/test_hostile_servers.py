"""Hostile API servers (real HTTP servers on 127.0.0.1): wrong shapes, trickled bytes, pages to hide.

Each gives that cluster a clear status, never an AttributeError, a hang past the deadline, or the
server's page in a message; and one bad cluster never fails the check of the others.
"""

from __future__ import annotations

import dataclasses

import pytest

from core.clusters import registering as ops
from core.clusters.connecting import check, check_many
from core.clusters.kube import Kube
from core.clusters.kubeconfigs import Credential
from core.errors import ClusterError, Unreachable
from core.settings import Settings
from core.store.store import Store
from tests.support.fakeapi import Answer, fake_api, trickling_tls


def _cred(url: str) -> Credential:
    return Credential(context="main", cluster_name="c1", server=url, token="abc")


@pytest.mark.parametrize("body", ["[]", '""', "null", '"v1"', "{}", '{"gitVersion": 5}', "", "5"])
def test_a_version_of_the_wrong_shape_is_an_error_status(settings: Settings, body: str) -> None:
    with fake_api({"/version": Answer(body)}) as api:
        health = check(_cred(api.url), settings)
    assert health.status == "error"
    assert health.error is not None
    assert "unexpected shape" in health.error


@pytest.mark.parametrize(
    "body", ['{"items": 5}', "[]", '{"items": [5]}', '{"items": [], "metadata": {"continue": 7}}']
)
def test_a_node_list_of_the_wrong_shape_is_an_error_status(settings: Settings, body: str) -> None:
    with fake_api({"/api/v1/nodes": Answer(body)}) as api:
        health = check(_cred(api.url), settings)
    assert health.status == "error"
    assert "unexpected shape" in (health.error or "")


def test_one_bad_cluster_never_fails_the_others(settings: Settings, store: Store) -> None:
    with fake_api() as good, fake_api({"/version": Answer("[]")}) as bad:
        results = check_many([("good", _cred(good.url)), ("bad", _cred(bad.url))], settings)
        assert results["good"].status == "connected"
        assert results["good"].version == "v1.31.0"
        assert results["bad"].status == "error"
        # and a bad one can still be saved with its status, when asked
        added = ops.add_cluster(
            store, settings, name="odd", kubeconfig=bad.kubeconfig(), save_unreachable=True
        )
        ops.add_cluster(store, settings, name="fine", kubeconfig=good.kubeconfig())
        assert added.cluster.status == "error"
        checked = {c.name: c.status for c in ops.check_all(store, settings)}
    assert checked == {"odd": "error", "fine": "connected"}


@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "status-line"])
def test_a_trickling_server_is_cut_at_the_deadline(settings: Settings, headers_too: bool) -> None:
    # 200 bytes at one every 0.2 s would take 40 s; the request must end at its 1 s deadline
    body = '{"gitVersion": "v1.31.0", "padding": "' + "x" * 160 + '"}'
    slow = Answer(body, trickle_every=0.2, trickle_headers=headers_too)
    quick = dataclasses.replace(settings, request_timeout=1.0)
    with (
        fake_api({"/version": slow}) as api,
        Kube(_cred(api.url), timeout=quick.request_timeout) as kube,
        pytest.raises(Unreachable, match="did not answer within 1s"),
    ):
        kube.get_json("/version")


@pytest.mark.parametrize("status", [500, 502, 404, 403, 400])
def test_an_error_page_is_never_shown(settings: Settings, status: int) -> None:
    page = "<html><body>INTERNAL-WIKI-PAGE token=hunter2</body></html>"
    with fake_api({"/version": Answer(page, status=status, content_type="text/html")}) as api:
        health = check(_cred(api.url), settings)
    assert health.status != "connected"
    assert "INTERNAL-WIKI-PAGE" not in (health.error or "")
    assert "hunter2" not in (health.error or "")
    assert str(status) in (health.error or "") or status == 404


def test_a_status_message_is_shown_clipped_to_one_line(settings: Settings) -> None:
    status = '{"kind": "Status", "message": "quota\\nexceeded ' + "y" * 5000 + '"}'
    with (
        fake_api({"/version": Answer(status, status=500)}) as api,
        Kube(_cred(api.url), timeout=5) as kube,
        pytest.raises(ClusterError) as err,
    ):
        kube.get_json("/version")
    assert "quota exceeded" in err.value.message
    assert "\n" not in err.value.message
    assert len(err.value.message) < 400


@pytest.mark.parametrize("body", ["[]", '"x"', "", '{"metadata": {"labels": ["a"]}}', '{"metadata": 5}'])
def test_an_object_of_the_wrong_shape_is_a_cluster_error(body: str) -> None:
    with (
        fake_api({"/api/v1/namespaces/apps": Answer(body)}) as api,
        Kube(_cred(api.url), timeout=5) as kube,
        pytest.raises(ClusterError, match="unexpected shape"),
    ):
        kube.get_json("/api/v1/namespaces/apps", what="reading namespace apps")


def test_a_trickling_tls_handshake_is_cut_at_the_deadline(settings: Settings) -> None:
    # the server announces a 16 kB handshake record and sends a byte of it every 0.02 s: a
    # per-read timeout never fires; the request's one deadline (1 s) must end the handshake
    quick = dataclasses.replace(settings, request_timeout=1.0)
    with trickling_tls(every=0.02, limit=1000) as server:
        health = check(_cred(server.url), quick)
        sent = server.sent
    assert health.status == "unreachable", health.error
    assert "did not answer within 1s" in (health.error or "")
    assert sent < 400  # about 50 bytes fit in the deadline; without it, the server's limit of 1000


def test_a_proxy_that_trickles_its_tunnel_answer_is_cut_at_the_deadline(settings: Settings) -> None:
    # connecting through a proxy (CONNECT, then TLS) is part of the request: one deadline for all
    quick = dataclasses.replace(settings, request_timeout=1.0)
    with trickling_tls(every=0.02, limit=1000, proxy=True) as proxy:
        far = Credential(
            context="main",
            cluster_name="c1",
            server="https://cluster.invalid:6443",
            token="t",
            proxy_url=proxy.url,
        )
        health = check(far, quick)
        sent = proxy.sent
    assert health.status == "unreachable", health.error
    assert "did not answer within 1s" in (health.error or "")
    assert sent < 400  # about 50 bytes fit in the deadline; without it, the proxy's limit of 1000


def test_an_environment_proxy_is_used_unless_no_proxy_names_the_host(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_api() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        far = Credential(context="main", cluster_name="c1", server="http://cluster.invalid:6443", token="t")
        assert check(far, settings).status == "connected"  # answered by the proxy
        assert ("GET", "http://cluster.invalid:6443/version") in proxy.requests
        monkeypatch.setenv("NO_PROXY", ".invalid")
        assert check(far, settings).status == "unreachable"  # straight to a host that does not resolve


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"token": "tok-1"}, "Bearer tok-1"),
        ({"username": "ann", "password": "pw"}, "Basic YW5uOnB3"),
    ],
    ids=["token", "basic"],
)
def test_the_credential_and_impersonation_are_sent(
    settings: Settings, fields: dict[str, str], expected: str
) -> None:
    with fake_api() as api:
        cred = Credential(context="main", cluster_name="c1", server=api.url, impersonate="bob", **fields)
        assert check(cred, settings).status == "connected"
    assert api.headers
    for sent in api.headers:
        assert sent["Authorization"] == expected
        assert sent["Impersonate-User"] == "bob"
        assert sent["User-Agent"] == "ushadow-ops"
