"""Compose networks as NetworkPolicies: services reach each other only over networks they share (pure).

In compose a service joins the networks it lists, or the file's ``default`` network when it lists
none, and reaches only services that share one. Each pod carries a label per network it joins,
``network.ushadow.io/<network>: "true"``, and the service gets a NetworkPolicy ``<name>`` that
admits ingress only from pods (of any namespace) carrying one of its networks' labels. The default
network is the file's own (``<project>-default``); a named network keeps its name, so files that
share an external network (``ushadow-network``) share it here too. Published ports (``8080:80``)
are reachable from anywhere, as on the Docker host (an Ingress controller, a NodePort). Egress is
not restricted (compose restricts it only for ``internal`` networks). Off with
``CompileOptions.network_policies=False``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.compose.model import ComposeProject, ServiceSpec
from core.naming import dns_label, qualified_name

Manifest = dict[str, Any]


def network_labels(spec: ServiceSpec, project: ComposeProject | None) -> dict[str, str]:
    """The pod labels of the networks the service joins."""
    names = [n for n in spec.networks if n != "default"]
    if not names or "default" in spec.networks:
        names.append(f"{project.name if project else 'compose'}-default")
    return {qualified_name(f"network.ushadow.io/{dns_label(n)}"): "true" for n in names}


def network_policy(
    labels: dict[str, str],
    *,
    name: str,
    selector: dict[str, str],
    published: list[Manifest],
    meta: Callable[[str], Manifest],
) -> Manifest:
    """The NetworkPolicy ``name``: ingress from pods of the service's networks, and to published ports."""
    rules: list[Manifest] = [
        {"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {label: value}}}]}
        for label, value in sorted(labels.items())
    ]
    if published:
        rules.append({"ports": [{"port": p["containerPort"], "protocol": p["protocol"]} for p in published]})
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(name),
        "spec": {
            "podSelector": {"matchLabels": dict(selector)},
            "policyTypes": ["Ingress"],
            "ingress": rules,
        },
    }
