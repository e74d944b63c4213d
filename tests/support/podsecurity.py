"""Pod Security admission as a judge: a workload's pod template created as a Pod with server-side dry-run.

Shared by ``tests/cluster/test_semantics_server.py`` (our fixtures) and
``conformance/test_pod_security.py`` (the external corpus). Admission runs in the real API server.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from core.manifests.compilations import CompiledService

WORKLOADS = ("Deployment", "StatefulSet", "Job", "CronJob")


def label_namespace(kube_api: client.ApiClient, namespace: str, level: str) -> None:
    body = {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": level}}}
    client.CoreV1Api(kube_api).patch_namespace(namespace, body, _request_timeout=10)


def pod_of(compiled: CompiledService) -> dict[str, Any]:
    """The Pod the workload's controller would make (a StatefulSet's claims added as it adds them)."""
    obj = next(o for o in compiled.objects if o["kind"] in WORKLOADS)
    body = obj["spec"]["jobTemplate"]["spec"] if obj["kind"] == "CronJob" else obj["spec"]
    spec = dict(body["template"]["spec"])
    claims = [  # as the StatefulSet controller adds them: <template>-<name>-<ordinal>
        {
            "name": t["metadata"]["name"],
            "persistentVolumeClaim": {"claimName": f"{t['metadata']['name']}-x-0"},
        }
        for t in body.get("volumeClaimTemplates", [])
    ]
    if claims:
        spec["volumes"] = [*spec.get("volumes", []), *claims]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"{compiled.name}-judged", "namespace": compiled.namespace},
        "spec": spec,
    }


def refusal(kube_api: client.ApiClient, compiled: CompiledService) -> str | None:
    """None when a Pod of the workload's template is admitted, else the server's reason (a 403)."""
    try:
        client.CoreV1Api(kube_api).create_namespaced_pod(
            compiled.namespace, pod_of(compiled), dry_run="All", _request_timeout=15
        )
    except ApiException as exc:
        assert exc.status == 403, exc.body
        return str(exc.body)
    return None


def asks_beyond_baseline(compiled: CompiledService) -> bool:
    """Whether the compiler's warnings say the service asks for what Pod Security baseline forbids."""
    return any("Pod Security baseline forbids" in w or "hostPath" in w for w in compiled.warnings)


def runs_as_non_root(compiled: CompiledService) -> bool:
    return all(
        box.get("securityContext", {}).get("runAsNonRoot") for box in pod_of(compiled)["spec"]["containers"]
    )
