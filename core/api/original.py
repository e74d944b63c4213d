"""The original system's endpoints (``/api/kubernetes/...``): the same paths, request bodies and
response shapes, so its web frontend and scripts work unchanged. Where our answer knows more it
adds fields; it never renames one. Namespaces default to ``default``, as the original's did.
"""

from __future__ import annotations

from typing import Any

from core.api.endpoints import Call
from core.api.models import OriginalDeployRequest, OriginalEnvmapRequest, OriginalScanRequest
from core.api.v1 import registry_entries, scan_json
from core.errors import InvalidInput, Unprocessable


def _service(entry: Any) -> dict[str, Any]:
    spec = entry.spec
    return {
        "service_id": entry.service_id,
        "service_name": entry.service,
        "display_name": entry.meta.display_name or entry.service,
        "description": entry.meta.description,
        "image": spec.image if spec else None,
        "requires": list(entry.meta.requires),
        "namespace": entry.meta.namespace,
    }


def services_available(call: Call) -> Any:
    return {"services": [_service(e) for e in registry_entries(call)]}


def services_infra(call: Call) -> Any:
    services = []
    for entry in registry_entries(call, infra=True):
        name = entry.service
        kind = entry.infra_type or (name.split("-")[0] if "-" in name else name)
        services.append({**_service(entry), "type": kind, "infra_type": entry.infra_type})
    return {"services": services}


def scan_infra(call: Call) -> Any:
    from core.scan.jobs import run_scan

    body: OriginalScanRequest = call.body
    result = run_scan(
        call.store,
        call.settings,
        call.params["cluster_id"],
        namespaces=[body.namespace],
        actor=call.token.actor,
    )
    return scan_json(call, result)  # cluster_id, namespace, infra_services: the original's fields, and more


def envmap(call: Call) -> Any:
    from core.deploy.envmaps import write_envmap
    from core.operate.operating import Operator

    body: OriginalEnvmapRequest = call.body
    with Operator(call.store, call.settings, call.params["cluster_id"], actor=call.token.actor) as ops:
        result = write_envmap(ops.kube, ops.namespace(body.namespace), body.service_name, body.env_vars)
        ops.store.audit(
            "envmap",
            f"{result.namespace}/{result.name}",
            {"cluster": ops.cluster.name, "keys": sorted(body.env_vars)},
            actor=call.token.actor,
        )
    written = {c.kind: c.name for c in result.changes if c.action != "deleted"}
    return {
        "success": True,
        "configmap": written.get("ConfigMap"),
        "secret": written.get("Secret"),
        "namespace": result.namespace,
        **result.to_json(),
    }


def _envmap_values(call: Call, cluster: str, namespace: str, service_id: str) -> dict[str, str]:
    """What an earlier envmap (``<name>-config``, ``<name>-secrets``, made by ushadow) holds for the
    variables the service asks for: the original frontend wrote the envmap, then deployed."""
    import base64

    from core.clusters.registering import validate_namespace
    from core.clusters.sessions import connect
    from core.conventions import MANAGED_BY_LABEL, MANAGED_BY_VALUE
    from core.deploy.applying import object_path
    from core.deploy.envwiring import requested_variables
    from core.deploy.plans import load_entry
    from core.deploy.reconciling import read
    from core.manifests.compilations import kube_name

    entry = load_entry(list(call.settings.compose_dirs), service_id)
    assert entry.spec is not None
    wanted = {v.name for v in requested_variables(entry.spec)}
    name, ns = kube_name(entry.service), validate_namespace(namespace)
    values: dict[str, str] = {}
    with connect(call.store, call.settings, cluster) as (_cluster, kube):
        for kind, obj in (("ConfigMap", f"{name}-config"), ("Secret", f"{name}-secrets")):
            live = read(kube, object_path(kind, obj, ns), f"reading {kind} {obj} in {ns}")
            labels = ((live or {}).get("metadata") or {}).get("labels") or {}
            if live is None or labels.get(MANAGED_BY_LABEL) != MANAGED_BY_VALUE:
                continue
            for key, value in (live.get("data") or {}).items():
                if key in wanted:
                    values[key] = base64.b64decode(value).decode() if kind == "Secret" else str(value)
    return values


def deploy(call: Call) -> Any:
    from core.deploy.deploying import deploy_service

    body: OriginalDeployRequest = call.body
    for name in ("config_id", "node_name", "k8s_spec"):
        if getattr(body, name) is not None:
            raise Unprocessable(
                f"{name} is not supported by this server",
                hint="leave it out; POST /api/v1/clusters/{cluster}/deployments takes env values",
            )
    cluster = call.params["cluster_id"]
    env = _envmap_values(call, cluster, body.namespace, body.service_id)
    try:
        outcome = deploy_service(
            call.store,
            call.settings,
            cluster=cluster,
            service_id=body.service_id,
            namespace=body.namespace,
            env=env,
            actor=call.token.actor,
        )
    except InvalidInput as exc:
        if not exc.message.startswith("required variables"):
            raise
        raise InvalidInput(
            exc.message,
            hint=f"write them first with POST /api/kubernetes/{cluster}/envmap (env_vars), as the original "
            f"frontend did, or deploy through POST /api/v1/clusters/{cluster}/deployments with env",
        ) from exc
    data = outcome.to_json()  # its message, warnings and notes scrubbed of secret values
    return {
        "success": outcome.ok,
        "message": data["message"] or outcome.status,
        "service_id": body.service_id,
        "namespace": outcome.plan.namespace,
        "node_name": None,
        **{k: v for k, v in data.items() if k not in ("service_id", "namespace", "message")},
    }
