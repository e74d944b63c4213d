"""Server-side apply with the checks around it: permissions first, the namespace, then each object.
Calls out.

Objects are sent with server-side apply under the field manager ``ushadow`` and never deleted and
recreated, so an identical apply changes nothing (same uid, generation and resourceVersion) and a
key left out of a ConfigMap or Secret disappears. Keys that another field manager put there
(``kubectl edit``) are removed with a JSON patch guarded by the resourceVersion.

Before anything changes, the credential's permissions are checked with SelfSubjectAccessReviews,
so a credential that may only read is refused with the verbs and resources it lacks and nothing
is half-applied. An object that exists already must be ours (labelled
``app.kubernetes.io/managed-by=ushadow``) and, when both say which registry service they are,
the same service's: a ConfigMap someone made by hand, or a ``redis`` from another compose file,
is never taken over. Every cluster error raised inside :func:`connect` names the cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from core.clusters.apishapes import AccessReview, APIObject, AppliedObject
from core.clusters.kube import Kube
from core.clusters.registering import validate_namespace
from core.conventions import FIELD_MANAGER, SERVICE_ID_ANNOTATION, SHARED_BY_ANNOTATION
from core.conventions import MANAGED_BY_LABEL as MANAGED_BY
from core.conventions import MANAGED_BY_VALUE as MANAGER_VALUE
from core.deploy.applying import KINDS, apply_object, object_path
from core.deploy.changes import Change
from core.errors import ClusterError, Conflict, Forbidden, InvalidInput, NotFound, Unauthorized, Unreachable

log = logging.getLogger(__name__)


def send(
    kube: Kube,
    method: str,
    path: str,
    *,
    kind: str | None,
    shape: type[APIObject] | type[AppliedObject] = APIObject,
    body: Any = None,
    content_type: str = "application/json",
    query: Mapping[str, str] | None = None,
    what: str,
) -> dict[str, Any]:
    """One write with a JSON body (an object or a JSON-patch list); its answer, checked to be an
    object of ``kind`` (see ``Kube.send``)."""
    return kube.send(
        method,
        path,
        kind=kind,
        shape=shape,
        query=dict(query) if query else None,
        body=body,
        content_type=content_type,
        what=what,
    )


def read(kube: Kube, path: str, what: str) -> dict[str, Any] | None:
    """An object's JSON, or None when it does not exist."""
    try:
        found: dict[str, Any] = kube.get_json(path, what=what)
    except NotFound:
        return None
    return found


def resource_of(kind: str) -> tuple[str, str]:
    """(API group, plural) of a kind we apply."""
    prefix, plural, _namespaced = KINDS[kind]
    group = "" if prefix == "/api/v1" else prefix.split("/")[2]
    return group, plural


def check_access(kube: Kube, namespace: str, wanted: Sequence[tuple[str, str, str]]) -> None:
    """Raise ``Forbidden`` naming every (verb, group, resource) the credential may not use.

    Asked with SelfSubjectAccessReviews (every authenticated user may ask); when the API server
    will not answer them, nothing is checked here and the server's own 403 says it later.
    """
    denied: list[str] = []
    for verb, group, resource in dict.fromkeys(wanted):
        review = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {
                "resourceAttributes": {
                    "namespace": namespace,
                    "verb": verb,
                    "group": group,
                    "resource": resource,
                }
            },
        }
        try:
            answer = kube.request_json(
                "POST",
                "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                body=review,
                what="checking permissions",
            )
        except (Unreachable, Unauthorized):
            raise
        except (ClusterError, InvalidInput, NotFound) as exc:
            log.debug("cannot check permissions: %s", exc)
            return
        # an answer of the wrong shape is not "cannot check": it stops here, before any change
        access = kube.checked(
            answer, AccessReview, kind="SelfSubjectAccessReview", what="checking permissions"
        )
        if not access.allowed:
            denied.append(f"{verb} {resource}{'.' + group if group else ''}")
    if denied:
        raise Forbidden(
            f"forbidden: the credential may not {', '.join(denied)} in namespace {namespace!r} "
            "(nothing was changed)",
            hint="ask a cluster admin for a Role that allows these verbs on these resources",
        )


def drop_stray_keys(kube: Kube, obj: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Remove ``data`` keys of a ConfigMap or Secret that ``obj`` does not have (other managers' keys)."""
    wanted = set(obj.get("data") or {}) | set(obj.get("stringData") or {})
    stray = sorted(set(after.get("data") or {}) - wanted) + sorted(
        set(after.get("binaryData") or {}) - wanted
    )
    if not stray:
        return []
    meta = after["metadata"]
    if not meta.get("resourceVersion"):
        raise ClusterError(
            f"{kube.server} answered the apply of {obj['kind']} {meta['name']} without a resourceVersion",
            hint="is the server URL a Kubernetes API server?",
        )
    ops: list[dict[str, Any]] = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": meta["resourceVersion"]}
    ]
    for key in stray:
        section = "data" if key in (after.get("data") or {}) else "binaryData"
        ops.append({"op": "remove", "path": f"/{section}/{key.replace('~', '~0').replace('/', '~1')}"})
    send(
        kube,
        "PATCH",
        object_path(str(obj["kind"]), meta["name"], meta.get("namespace")),
        kind=str(obj["kind"]),
        shape=AppliedObject,
        body=ops,
        content_type="application/json-patch+json",
        query={"fieldManager": FIELD_MANAGER},
        what=f"removing stale keys from {obj['kind']} {meta['name']}",
    )
    return stray


# -- namespaces ---------------------------------------------------------------------------------


def ensure_namespace(kube: Kube, namespace: str, *, dry_run: bool = False) -> Change:
    """Create the namespace labelled ``managed-by: ushadow``; idempotent.

    A namespace that exists already is left untouched (not labelled: it is not ours, and applying
    a Namespace with our field manager would claim the label), and a credential that may not touch
    namespaces (a namespace-scoped one) carries on when the namespace exists or cannot be read.
    """
    namespace = validate_namespace(namespace)
    path = f"/api/v1/namespaces/{namespace}"
    try:
        live = read(kube, path, f"reading namespace {namespace}")
    except Forbidden:
        return Change(
            "Namespace", namespace, None, "unchanged", note="the credential may not read namespaces"
        )
    if live is not None:
        return Change("Namespace", namespace, None, "unchanged")
    obj = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": namespace, "labels": {MANAGED_BY: MANAGER_VALUE}},
    }
    change, _after = apply_object(kube, obj, live=None, dry_run=dry_run, force=False)
    return change


def read_for_writing(
    kube: Kube, namespace: str, kind: str, name: str, kinds: Sequence[str]
) -> dict[str, Any] | None:
    """The live object before a change to objects of ``kinds``. When the credential may not even
    read it, the refusal names everything it lacks to make the change (get, create and patch on
    each kind), not just the first read."""
    try:
        return read(kube, object_path(kind, name, namespace), f"reading {kind} {name}")
    except Forbidden:
        wanted = [
            (verb, *resource_of(k)) for k in dict.fromkeys(kinds) for verb in ("get", "create", "patch")
        ]
        check_access(kube, namespace, wanted)
        raise


def _owner(live: Mapping[str, Any]) -> tuple[bool, str | None]:
    """(made by ushadow, the registry service it belongs to) of a live object."""
    meta = live.get("metadata") or {}
    ours = (meta.get("labels") or {}).get(MANAGED_BY) == MANAGER_VALUE
    return ours, (meta.get("annotations") or {}).get(SERVICE_ID_ANNOTATION)


def check_ownership(
    objects: Sequence[Mapping[str, Any]], lives: Sequence[Mapping[str, Any] | None], namespace: str
) -> None:
    """Raise ``Conflict`` when an object to apply exists and belongs to someone or something else."""
    foreign: list[str] = []
    taken: list[tuple[str, str]] = []
    for obj, live in zip(objects, lives, strict=True):
        if live is None:
            continue
        what = f"{obj['kind']} {obj['metadata']['name']}"
        ours, owner = _owner(live)
        annotations = obj["metadata"].get("annotations") or {}
        wanted = annotations.get(SERVICE_ID_ANNOTATION)
        # a claim services of one file share: any of them may apply it (it names them all)
        sharers = str(annotations.get(SHARED_BY_ANNOTATION) or "").split(",")
        if not ours:
            foreign.append(what)
        elif owner and wanted and owner != wanted and owner not in sharers:
            taken.append((what, owner))
    if foreign:
        one = len(foreign) == 1
        raise Conflict(
            f"{', '.join(foreign)} in namespace {namespace} already "
            f"{'exists and was' if one else 'exist and were'} not made by ushadow "
            f"(no label {MANAGED_BY}={MANAGER_VALUE}); nothing was changed",
            hint=f"deploy into another namespace, or remove {'it' if one else 'them'} (or label "
            f"{'it' if one else 'them'} {MANAGED_BY}={MANAGER_VALUE} to hand {'it' if one else 'them'} over)",
        )
    if taken:
        owners = sorted({owner for _, owner in taken})
        raise Conflict(
            f"{', '.join(w for w, _ in taken)} in namespace {namespace} "
            f"{'belongs' if len(taken) == 1 else 'belong'} to {', '.join(owners)}; "
            "nothing was changed",
            hint=f"undeploy {owners[0]} first, or deploy this service into another namespace",
        )


def require_namespace(kube: Kube, namespace: str) -> None:
    """Raise ``NotFound`` when the namespace does not exist (a credential that may not read
    namespaces is given the benefit of the doubt)."""
    try:
        missing = read(kube, f"/api/v1/namespaces/{namespace}", f"reading namespace {namespace}") is None
    except Forbidden:
        return
    if missing:
        raise NotFound(
            f"namespace {namespace} does not exist",
            hint="check the name with `kubectl get namespaces`; `ushadow-ops deploy` creates it",
        )


def apply_all(
    kube: Kube, objects: Sequence[Mapping[str, Any]], namespace: str, *, dry_run: bool
) -> list[Change]:
    """Check permissions and ownership, ensure the namespace, and apply ``objects`` in order (see the
    module doc)."""
    ns_path = f"/api/v1/namespaces/{namespace}"
    try:
        ns_missing = read(kube, ns_path, f"reading namespace {namespace}") is None
    except Forbidden:
        ns_missing = False
    kinds = [str(obj["kind"]) for obj in objects]
    lives: list[dict[str, Any] | None] = []
    wanted: list[tuple[str, str, str]] = []
    for obj in objects:
        kind, name = str(obj["kind"]), obj["metadata"]["name"]
        live = None if ns_missing else read_for_writing(kube, namespace, kind, name, kinds)
        lives.append(live)
        group, plural = resource_of(kind)
        wanted.append(("patch", group, plural))
        if live is None:
            wanted.append(("create", group, plural))
    check_access(kube, namespace, wanted)
    check_ownership(objects, lives, namespace)
    changes = [ensure_namespace(kube, namespace, dry_run=dry_run)]
    for obj, live in zip(objects, lives, strict=True):
        obj = {**obj, "metadata": {**obj["metadata"], "namespace": namespace}}
        if dry_run and ns_missing:
            changes.append(
                Change(
                    str(obj["kind"]), obj["metadata"]["name"], namespace, "created", note="namespace is new"
                )
            )
            continue
        change, after = apply_object(kube, obj, live=live, dry_run=dry_run)
        if obj["kind"] in ("ConfigMap", "Secret") and not dry_run:
            removed = drop_stray_keys(kube, obj, after)
            if removed:
                paths = (*change.paths, *(f"data.{k} (removed)" for k in removed))
                change = Change(change.kind, change.name, namespace, "configured", paths)
        changes.append(change)
    return changes
