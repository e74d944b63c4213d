"""Build kubeconfig documents for tests (shared by the pure and the cluster tests)."""

from __future__ import annotations

import base64
from typing import Any

import yaml


def b64(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def kubeconfig(
    *,
    server: str = "https://127.0.0.1:6443",
    ca: bytes | None = None,
    user: dict[str, Any] | None = None,
    context: str = "main",
    namespace: str | None = None,
) -> dict[str, Any]:
    cluster: dict[str, Any] = {"server": server}
    if ca is not None:
        cluster["certificate-authority-data"] = b64(ca)
    ctx: dict[str, Any] = {"cluster": "c1", "user": "u1"}
    if namespace:
        ctx["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c1", "cluster": cluster}],
        "users": [{"name": "u1", "user": user if user is not None else {"token": "abc"}}],
        "contexts": [{"name": context, "context": ctx}],
        "current-context": context,
    }


def dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False)


def with_token(admin_kubeconfig_text: str, token: str, *, impersonate: str | None = None) -> str:
    """The admin kubeconfig's server and CA, with a bearer token instead of the admin certificate."""
    doc = yaml.safe_load(admin_kubeconfig_text)
    user: dict[str, Any] = {"token": token}
    if impersonate:
        user["as"] = impersonate
    doc["users"][0]["user"] = user
    return dump(doc)


def service_account_token(
    api: Any, namespace: str, name: str, rules: list[dict[str, Any]] | None = None
) -> str:
    """A token (TokenRequest API) for a new ServiceAccount bound to a Role with ``rules`` in ``namespace``."""
    from kubernetes import client

    core, rbac = client.CoreV1Api(api), client.RbacAuthorizationV1Api(api)
    core.create_namespaced_service_account(namespace, {"metadata": {"name": name}}, _request_timeout=10)
    if rules:
        rbac.create_namespaced_role(
            namespace, {"metadata": {"name": name}, "rules": rules}, _request_timeout=10
        )
        rbac.create_namespaced_role_binding(
            namespace,
            {
                "metadata": {"name": name},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
            },
            _request_timeout=10,
        )
    request = {"spec": {"audiences": [], "expirationSeconds": 3600}}
    token = core.create_namespaced_service_account_token(name, namespace, request, _request_timeout=10)
    return str(token.status.token)
