"""``/api/v1``: the handlers. Each takes a :class:`~core.api.endpoints.Call` and returns JSON-able
data, the same documents the CLI prints with ``--json``. Changes are recorded under the token's
``token:NAME``.
"""

from __future__ import annotations

from typing import Any

from core.api.endpoints import Call, Reply
from core.api.models import (
    DeployRequest,
    EnvmapRequest,
    ExecRequest,
    ScaleRequest,
    ScanRequest,
    UndeployRequest,
)
from core.api.problems import error_body
from core.compose.registry import RegistryEntry, load_registry
from core.errors import InvalidInput
from core.scan.reports import changes_since_previous, scan_document
from core.store.scans import ScanResult
from core.views.services import port_text
from core.views.urlstate import parse_scan_id, scan_link


def scan_json(call: Call, result: ScanResult) -> dict[str, Any]:
    """The document ``ushadow-ops scans show --json`` prints."""
    return scan_document(
        result,
        link=scan_link(call.link_base, result.scan_id),
        cluster_name=call.store.target_names().get(result.cluster_id, result.cluster_id),
        changes=changes_since_previous(call.store, result),
    )


def entry_json(entry: RegistryEntry) -> dict[str, Any]:
    """A registry service as ``ushadow-ops services list --json`` shows it."""
    spec = entry.spec
    return {
        "id": entry.service_id,
        "service": entry.service,
        "file": entry.file,
        "image": spec.image if spec else None,
        "ports": [port_text(p) for p in spec.ports] if spec else [],
        "infra": entry.infra,
        "infra_type": entry.infra_type,
        "namespace": entry.meta.namespace,
        "display_name": entry.meta.display_name,
        "description": entry.meta.description,
        "requires": list(entry.meta.requires),
        "required_variables": entry.required_variables,
        "warnings": entry.warnings,
        "error": entry.error,
    }


def registry_entries(call: Call, *, infra: bool = False) -> list[RegistryEntry]:
    entries = load_registry(list(call.settings.compose_dirs)).entries
    return [e for e in entries if e.spec is not None and (e.infra or not infra)]


# -- clusters -----------------------------------------------------------------------------------


def list_clusters(call: Call) -> Any:
    return [c.to_json() for c in call.store.list_clusters()]


def show_cluster(call: Call) -> Any:
    return call.store.get_cluster(call.params["cluster"]).to_json()


def check_cluster(call: Call) -> Any:
    from core.clusters.registering import check_cluster as check

    return check(call.store, call.settings, call.params["cluster"]).to_json()


def list_services(call: Call) -> Any:
    return [entry_json(e) for e in registry_entries(call, infra=bool(call.query.get("infra")))]


# -- scans --------------------------------------------------------------------------------------


def run_scan(call: Call) -> Any:
    from core.scan.jobs import run_scan as scan_one
    from core.scan.jobs import run_scans

    body: ScanRequest = call.body
    actor = call.token.actor
    if bool(body.cluster) == bool(body.clusters):
        raise InvalidInput("give either cluster or clusters", hint='e.g. {"cluster": "local"}')
    if body.all_namespaces and body.namespaces:
        raise InvalidInput("give either namespaces or all_namespaces, not both")
    if body.cluster:
        result = scan_one(
            call.store,
            call.settings,
            body.cluster,
            namespaces=body.namespaces,
            all_namespaces=body.all_namespaces,
            actor=actor,
        )
        return scan_json(call, result)
    if body.namespaces:
        raise InvalidInput("namespaces apply to one cluster; several clusters are each scanned in their own")
    clusters = [call.store.get_cluster(ref) for ref in body.clusters or []]
    outcomes = run_scans(
        call.store,
        call.settings,
        [c.cluster_id for c in clusters],
        all_namespaces=body.all_namespaces,
        actor=actor,
    )
    names = {c.cluster_id: c.name for c in clusters}
    docs: list[dict[str, Any]] = []
    for o in outcomes:
        if o.result is not None:
            docs.append(scan_json(call, o.result))
        else:
            hint = getattr(o.error, "hint", None)
            docs.append({"cluster_id": o.cluster_ref, "cluster": names[o.cluster_ref],
                         "error": str(o.error), **({"hint": hint} if hint else {})})  # fmt: skip
    return docs


def list_scans(call: Call) -> Any:
    names = call.store.target_names()
    return [
        {
            "scan_id": r.scan_id,
            "cluster_id": r.cluster_id,
            "cluster": names.get(r.cluster_id),
            "namespaces": list(r.namespaces),
            "all_namespaces": r.all_namespaces,
            "scanned_at": r.to_json("")["scanned_at"],
            "found": r.found_types(),
            "errors": len(r.errors),
            "link": scan_link(call.link_base, r.scan_id),
        }
        for r in call.store.list_scans(call.query.get("cluster"), limit=call.query.get("limit") or 100)
    ]


def show_scan(call: Call) -> Any:
    return scan_json(call, call.store.get_scan(parse_scan_id(call.params["scan_id"])))


# -- envmaps and deploys ------------------------------------------------------------------------


def envmap(call: Call) -> Any:
    from core.deploy.envmaps import write_envmap
    from core.operate.operating import Operator

    body: EnvmapRequest = call.body
    with Operator(call.store, call.settings, call.params["cluster"], actor=call.token.actor) as ops:
        result = write_envmap(
            ops.kube, ops.namespace(body.namespace), body.name, body.env, dry_run=body.dry_run
        )
        if not body.dry_run:
            ops.store.audit(
                "envmap",
                f"{result.namespace}/{result.name}",
                {"cluster": ops.cluster.name, "keys": sorted(body.env)},
                actor=call.token.actor,
            )
    return {"cluster": ops.cluster.name, "dry_run": body.dry_run, **result.to_json()}


def deploy(call: Call) -> Any:
    from core.deploy.deploying import deploy_service

    body: DeployRequest = call.body
    outcome = deploy_service(
        call.store,
        call.settings,
        cluster=call.params["cluster"],
        service_id=body.service_id,
        namespace=body.namespace,
        env=body.env,
        dry_run=body.dry_run,
        wait=body.wait,
        timeout=body.timeout,
        actor=call.token.actor,
    )
    data = outcome.to_json()
    if outcome.error is not None:
        e = outcome.error
        return Reply({**data, "error": error_body(e.title, e.message, e.hint)}, status=409)
    return data


def list_deployments(call: Call) -> Any:
    names = call.store.target_names()
    return [
        {**d.to_json(), "cluster": names.get(d.cluster_id)}
        for d in call.store.list_deployments(call.query.get("cluster"), limit=call.query.get("limit") or 100)
    ]


# -- day 2 --------------------------------------------------------------------------------------


def _operator(call: Call) -> Any:
    from core.operate.operating import Operator

    return Operator(call.store, call.settings, call.params["cluster"], actor=call.token.actor)


def workloads(call: Call) -> Any:
    """As ``status --json``: without a namespace, every namespace ushadow deployed to."""
    namespace = call.query.get("namespace")
    with _operator(call) as ops:
        found = ops.status(namespace, call.params.get("service"))
        searched = [ops.namespace(namespace)] if namespace else ops.deployed_namespaces()
    where = sorted({w.workload.namespace for w in found}) or searched
    return {
        "cluster": ops.cluster.name,
        "namespace": where[0] if len(where) == 1 else None,
        "namespaces": where,
        "workloads": [w.to_json() for w in found],
    }


def logs(call: Call) -> Any:
    with _operator(call) as ops:
        found = ops.logs(
            call.query.get("namespace"), call.params["service"], tail=call.query.get("tail") or 100
        )
    return [entry.to_json() for entry in found]


def restart(call: Call) -> Any:
    with _operator(call) as ops:
        w = ops.restart(call.body.namespace, call.params["service"])
        rollout = ops.wait(w, timeout=call.body.timeout) if call.body.wait else None
    return {"cluster": ops.cluster.name, "kind": w.kind, "name": w.name, "namespace": w.namespace,
            "rollout": rollout.to_json() if rollout else None}  # fmt: skip


def scale(call: Call) -> Any:
    body: ScaleRequest = call.body
    with _operator(call) as ops:
        w, before = ops.scale(body.namespace, call.params["service"], body.replicas)
        rollout = ops.wait(w, timeout=body.timeout) if body.wait else None
    return {"cluster": ops.cluster.name, "kind": w.kind, "name": w.name, "namespace": w.namespace,
            "from": before, "to": body.replicas, "rollout": rollout.to_json() if rollout else None}  # fmt: skip


def undeploy(call: Call) -> Any:
    body: UndeployRequest = call.body
    with _operator(call) as ops:
        namespace = ops.namespace(body.namespace)
        changes = ops.undeploy(namespace, call.params["service"], delete_volumes=body.delete_volumes)
    return {"cluster": ops.cluster.name, "namespace": namespace, "service": call.params["service"],
            "resources": [c.to_json() for c in changes]}  # fmt: skip


def exec_command(call: Call) -> Any:
    body: ExecRequest = call.body
    with _operator(call) as ops:
        result = ops.exec(
            body.namespace, call.params["service"], body.command,
            pod=body.pod, container=body.container, timeout=body.timeout,
        )  # fmt: skip
    return {"cluster": ops.cluster.name, **result.to_json()}
