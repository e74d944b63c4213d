"""The original system's endpoints (``/api/kubernetes/...``): the same paths, request bodies and
response shapes, so its web frontend and scripts work unchanged. Where our answer knows more it
adds fields; it never renames one. Namespaces default to ``default``, as the original's did.
"""

from __future__ import annotations

from typing import Any

from core.api.endpoints import Call
from core.api.models import OriginalDeployRequest, OriginalEnvmapRequest, OriginalScanRequest
from core.api.v1 import registry_entries, scan_json
from core.errors import Unprocessable


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
    from core.deploy.deploying import write_envmap
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


def deploy(call: Call) -> Any:
    from core.deploy.deploying import deploy_service

    body: OriginalDeployRequest = call.body
    for name in ("config_id", "node_name", "k8s_spec"):
        if getattr(body, name) is not None:
            raise Unprocessable(
                f"{name} is not supported by this server",
                hint="leave it out; POST /api/v1/clusters/{cluster}/deployments takes env values",
            )
    outcome = deploy_service(
        call.store,
        call.settings,
        cluster=call.params["cluster_id"],
        service_id=body.service_id,
        namespace=body.namespace,
        actor=call.token.actor,
    )
    return {
        "success": outcome.ok,
        "message": outcome.message or outcome.status,
        "service_id": body.service_id,
        "namespace": outcome.plan.namespace,
        "node_name": None,
        **{k: v for k, v in outcome.to_json().items() if k not in ("service_id", "namespace", "message")},
    }
