"""What the manifests compiler takes and gives: options, compiled services, their merged objects (pure).

``CompileOptions`` says how to compile; ``CompiledService`` is one service's objects in apply
order with what could not be mapped; ``merge_objects`` joins several services' objects into one
apply-ordered list, refusing two services with one name. The compiler itself is ``core.manifests.compiler``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Literal

from core.compose.model import ComposeProject
from core.errors import Conflict
from core.naming import dns1035_label
from core.secrets.masking import conceal, redact, scrub_text, secret_refs, secret_values

Manifest = dict[str, Any]
Controller = Literal["auto", "deployment", "statefulset"]

NAME_MAX = 52  # a StatefulSet's name + "-" + 10-character revision hash must fit a 63-char label value


@dataclass(frozen=True)
class CompileOptions:
    """How to compile; per-service maps are keyed by service id (``file:service``) or name."""

    controller: Controller = "auto"
    controllers: Mapping[str, Controller] = field(default_factory=dict)
    images: Mapping[str, str] = field(default_factory=dict)
    volume_size: str = "1Gi"
    volume_sizes: Mapping[str, str] = field(default_factory=dict)  # by compose volume name
    storage_class: str | None = None
    persistence: Literal["pvc", "emptydir"] = "pvc"
    service_type: Literal["ClusterIP", "NodePort", "LoadBalancer"] = "ClusterIP"
    liveness: bool = True
    service_account_token: bool = False  # compose containers never talk to the Kubernetes API
    wait_for_dependencies: bool = False
    wait_image: str = "busybox:1.37"
    part_of: str | None = None  # app.kubernetes.io/part-of; default: the compose project name
    network_policies: bool = True  # compose networks as NetworkPolicies (core.manifests.netpolicies)


@dataclass(frozen=True)
class CompiledService:
    """The manifests of one service in apply order, with what could not be mapped.

    ``objects`` hold real Secret values (deploy needs them): show or save them only through
    ``redacted()`` / ``core.secrets.sensitivity.redact``. ``secret_references`` are the container
    variables that the command line or probes read a secret value from (``$(VAR)``).
    """

    service_id: str
    service: str
    name: str
    namespace: str
    kind: str
    objects: list[Manifest]
    warnings: list[str]
    notes: list[str]
    secret_references: list[str] = field(default_factory=list)
    # the distinctive secret values compose interpolated into the service or a config it mounts
    interpolated_secrets: frozenset[str] = frozenset()
    # compose secrets the service mounts from a file or variable of the machine running compose:
    # (Secret name, key) pairs someone must provide (a bundle seeds a file for each)
    provided_secrets: tuple[tuple[str, str], ...] = ()

    def redacted(self) -> list[Manifest]:
        """The objects with Secret values masked, and hunted down anywhere else (defence in depth)."""
        out = redact(self.objects)  # hunts the values of the Secrets
        if self.interpolated_secrets - secret_values({}, self.objects):  # a secret in a label, say
            out = conceal(out, self.hidden(), secret_refs(self.objects))
        return out

    def hidden(self) -> set[str]:
        """The distinctive secret values of this service (to scrub from any text about it)."""
        return secret_values({}, self.objects) | set(self.interpolated_secrets)

    def to_json(self) -> dict[str, Any]:
        hide = self.hidden()
        return {
            "service_id": self.service_id,
            "name": self.name,
            "namespace": self.namespace,
            "kind": self.kind,
            "objects": self.redacted(),
            "warnings": [scrub_text(w, hide) for w in self.warnings],
            "notes": [scrub_text(n, hide) for n in self.notes],
        }


@dataclass(frozen=True)
class ProjectCompilation:
    compiled: list[CompiledService]
    skipped: dict[str, str]  # service id -> why it is not convertible


def service_id(project: ComposeProject | None, service: str) -> str:
    """``<file-stem>:<service>``, the registry's id of a service."""
    if project is None:
        return service
    return f"{PurePath(project.path).stem}:{service}"


def kube_name(service: str) -> str:
    """The Kubernetes name of a compose service (also its in-cluster hostname)."""
    return dns1035_label(service, max_length=NAME_MAX)


# -- one list of objects ------------------------------------------------------------------------


def object_key(obj: Mapping[str, Any]) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (
        str(obj.get("apiVersion")),
        str(obj.get("kind")),
        str(meta.get("namespace") or ""),
        str(meta["name"]),
    )


def check_unique(objects: Sequence[Manifest], sid: str) -> None:
    """Raise ``Conflict`` when two objects of one service would have the same kind and name."""
    seen: set[tuple[str, str, str, str]] = set()
    for obj in objects:
        key = object_key(obj)
        if key in seen:
            raise Conflict(
                f"{sid}: two objects would be named {key[1]} {key[3]}",
                hint="rename the compose secret, config or volume that clashes",
            )
        seen.add(key)


def merge_objects(compiled: Iterable[CompiledService]) -> list[Manifest]:
    """All objects of several services in apply order, refusing two services with one name.

    Two services that would get the same Kubernetes name in one namespace are a ``Conflict``.
    An object that several services emit identically (a PVC of a shared volume) is kept once;
    one they emit differently is a ``Conflict``.
    """
    owners: dict[tuple[str, str], str] = {}
    by_key: dict[tuple[str, str, str, str], tuple[str, Manifest]] = {}
    for item in compiled:
        clash = owners.get((item.namespace, item.name))
        if clash is not None:
            raise Conflict(
                f"{clash} and {item.service_id} would both be named {item.name!r} "
                f"in namespace {item.namespace}",
                hint="rename one of the services, or deploy them to different namespaces",
            )
        owners[(item.namespace, item.name)] = item.service_id
        for obj in item.objects:
            key = object_key(obj)
            previous = by_key.get(key)
            if previous is None:
                by_key[key] = (item.service_id, obj)
            elif _without_owner(previous[1]) != _without_owner(obj):
                raise Conflict(
                    f"{key[1]} {key[3]} is defined differently by {previous[0]} and {item.service_id}",
                    hint="rename the volume, secret or config in one of the compose files",
                )
    order = {"Namespace": 0, "ConfigMap": 1, "Secret": 1, "PersistentVolumeClaim": 2, "Service": 3}
    return [obj for _, obj in sorted(by_key.values(), key=lambda pair: order.get(str(pair[1]["kind"]), 4))]


def _without_owner(obj: Manifest) -> Manifest:
    """An object without the per-service metadata (for comparing shared objects)."""
    meta = {k: v for k, v in obj.get("metadata", {}).items() if k not in ("labels", "annotations")}
    return {**obj, "metadata": meta}
