"""The dashboard against hostile input: sign-in by verified email only, the paste size limit, and
the TLS warning on the Clusters page."""

from __future__ import annotations

import pytest

from core.clusters.kubeconfigs import MAX_BYTES, Credential
from core.settings import Settings
from core.store.store import Store
from tests.support.kubeconfig_factory import dump, kubeconfig
from tests.support.pagekit import AUTH, open_page, texts

ALLOW = {"auth": AUTH, "USHADOW_AUTH_ALLOW": "@example.com", "USHADOW_AUTH_READONLY": "intern@example.com"}


@pytest.mark.parametrize(
    "user",
    [
        {"name": "ops@example.com"},  # a display name shaped like an allowed email
        {"sub": "ops@example.com"},
        {"email": "ops@example.com", "email_verified": False},
        {"email": "intern@example.com", "email_verified": "false"},
    ],
    ids=["name-only", "sub-only", "unverified", "unverified-string"],
)
def test_only_a_verified_email_gets_in(settings: Settings, user: dict[str, object]) -> None:
    at = open_page("clusters", secrets=ALLOW, user={"is_logged_in": True, **user})
    assert any("did not give a verified email address" in t for t in texts(at))
    assert not at.dataframe
    assert [b.label for b in at.button] == ["Sign out"]


def test_a_verified_email_still_gets_in(settings: Settings) -> None:
    user = {"is_logged_in": True, "email": "ops@example.com", "email_verified": True}
    at = open_page("clusters", secrets=ALLOW, user=user)
    assert not any("verified email" in t for t in texts(at))
    assert any("(operator)" in c.value for c in at.caption)


def test_a_pasted_kubeconfig_over_the_upload_limit_is_refused(settings: Settings) -> None:
    at = open_page("clusters")
    at.radio(key="clusters_add_source").set_value("Paste YAML").run()
    nonce = at.session_state["clusters_add_nonce"]
    area = at.text_area(key=f"clusters_add_yaml_{nonce}")
    # the box takes at most 1 Mi characters; these are 2 bytes each, so still over the 1 MiB limit
    area.set_value(dump(kubeconfig()) + "#" + "é" * (2 * MAX_BYTES)).run()
    assert len(at.text_area(key=f"clusters_add_yaml_{nonce}").value or "") <= MAX_BYTES
    assert any("larger than 1 MiB" in t for t in texts(at))
    assert not at.exception


def test_a_cluster_without_tls_verification_says_so(settings: Settings, store: Store) -> None:
    cred = Credential(
        context="main", cluster_name="c1", server="https://127.0.0.1:1", token="t", insecure=True
    )
    cluster = store.add_cluster(
        name="lax", context="main", server=cred.server, namespace="ushadow", labels={},
        credential=cred.to_bytes(), status="unreachable", version=None, node_count=None, error="refused",
    )  # fmt: skip
    at = open_page("clusters", cluster=cluster.cluster_id)
    assert any("insecure-skip-tls-verify" in t for t in texts(at))
