"""Compose networks as NetworkPolicies: services reach each other only over networks they share (pure).

In compose a service joins the networks it lists, or the file's ``default`` network when it lists
none, and reaches only services that share one. Each pod carries a label per network it joins,
and the service gets a NetworkPolicy ``<name>`` that admits ingress only from pods (of any
namespace, so that one project spread over namespaces still works) carrying one of its networks'
labels. A network is the project's own unless the file shares it: its label is
``network.ushadow.io/<network>: <project>``, so a pod of another project on a network of the same
name is not let in. A network meant to be shared (``external``, or given a ``name:``) is, as in
compose, shared by every project that names it: ``network.ushadow.io/<name>: shared.network`` (ushadow's
files meet on the external ``ushadow-network`` this way). Published ports (``8080:80``) are
reachable from anywhere, as on the Docker host (an Ingress controller, a NodePort). Egress is not
restricted (compose restricts it only for ``internal`` networks). Off with
``CompileOptions.network_policies=False``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.compose.model import ComposeProject, ServiceSpec
from core.naming import dns_label, label_value, qualified_name

Manifest = dict[str, Any]
SHARED = "shared.network"  # the label value of a network shared across projects (no project name has a dot)


def network_labels(spec: ServiceSpec, project: ComposeProject | None) -> dict[str, str]:
    """The pod labels of the networks the service joins (see the module docstring)."""
    names = [n for n in spec.networks if n != "default"]
    if not names or "default" in spec.networks:
        names.append("default")
    shared = project.shared_networks if project else {}
    own = label_value(project.name if project else "compose")
    out: dict[str, str] = {}
    for n in names:
        if n in shared:
            out[qualified_name(f"network.ushadow.io/{dns_label(shared[n])}")] = SHARED
        else:
            out[qualified_name(f"network.ushadow.io/{dns_label(n)}")] = own
    return out


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
