"""A compiled service's pod template and its controller: Deployment, StatefulSet, Job or CronJob (pure).

Which controller is ``core.manifests.controllers``' rule; a Deployment that uses claims has
strategy ``Recreate``. The pod gets the pod-level securityContext
(``core.manifests.securitycontexts``) and its scheduling (``core.manifests.scheduling``). The pod
template carries ``ushadow.io/env-hash`` so that an environment change rolls the pods.
``depends_on`` is a note, or with ``wait_for_dependencies`` an init container that waits for the
first TCP port of each dependency.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from core.compose.model import ComposeProject, ServiceSpec
from core.conventions import ENV_HASH_ANNOTATION, SERVICE_ID_ANNOTATION
from core.manifests.compilations import CompileOptions, kube_name
from core.manifests.controllers import Choice, job_body, job_object
from core.manifests.podspecs import host_aliases
from core.manifests.scheduling import schedule
from core.manifests.securitycontexts import pod_security_context
from core.manifests.volumes import Report, VolumePlan
from core.naming import (
    dns_label,
    is_dns_label,
    is_label_value,
    is_qualified_name,
    label_value,
    qualified_name,
    short_hash,
)
from core.secrets.masking import distinctive
from core.secrets.sensitivity import is_sensitive_value

Manifest = dict[str, Any]


def pod_spec(
    spec: ServiceSpec,
    container: Manifest,
    volumes: list[Manifest],
    *,
    service_account_token: bool,
    report: Report,
) -> Manifest:
    pod: Manifest = {
        "enableServiceLinks": False,
        "automountServiceAccountToken": service_account_token,
        "containers": [container],
    }
    if volumes:
        pod["volumes"] = volumes
    aliases = host_aliases(spec.extra_hosts, report)
    if aliases:
        pod["hostAliases"] = aliases
    if spec.hostname:
        hostname = spec.hostname.lower()
        if is_dns_label(hostname):
            pod["hostname"] = hostname
        else:
            report.warnings.append(f"hostname {spec.hostname!r} is not a valid DNS label and was not set")
    if spec.stop_grace_period is not None:
        pod["terminationGracePeriodSeconds"] = math.ceil(spec.stop_grace_period)
    security = pod_security_context(spec, report)
    if security:
        pod["securityContext"] = security
    return pod


NODE_KEY = "ushadow.io/node"


def place_on_node(pod: Manifest, node: str | None) -> None:
    """``x-ushadow: {node: real}`` on a service (``core.manifests.knobs``): a nodeSelector and a
    toleration for nodes labelled and tainted ``ushadow.io/node=<value>`` (the local cluster's real
    node is ``real``)."""
    if node is None:
        return
    pod["nodeSelector"] = {**pod.get("nodeSelector", {}), NODE_KEY: node}
    pod["tolerations"] = [
        *pod.get("tolerations", []),
        {"key": NODE_KEY, "operator": "Equal", "value": node, "effect": "NoSchedule"},
    ]


def scheduled(
    spec: ServiceSpec, pod: Manifest, plan: VolumePlan, selector: dict[str, str], report: Report
) -> None:
    """Placement and shared-claim affinity on ``pod`` (``core.manifests.scheduling``)."""
    schedule(spec, pod, plan.pod_labels, selector, report)


def restart_warning(spec: ServiceSpec, kind: str, report: Report) -> None:
    restart = (spec.restart or "").strip()
    if kind in ("Deployment", "StatefulSet") and (restart == "no" or restart.startswith("on-failure")):
        report.warnings.append(
            f"restart: {restart} cannot be kept: a {kind} always restarts its containers "
            "(a service with ports is not taken for a task; x-ushadow controller: job makes it a Job)"
        )


def init_containers(
    spec: ServiceSpec, project: ComposeProject | None, options: CompileOptions, report: Report
) -> list[Manifest]:
    """A note per ``depends_on``; with ``wait_for_dependencies``, init containers that wait for them."""
    init: list[Manifest] = []
    for dep in spec.depends_on:
        target = kube_name(dep.service)
        report.notes.append(
            f"depends_on {dep.service} ({dep.condition}): Kubernetes starts all pods at once; "
            f"this one must cope with {target} not being ready yet"
        )
        if not options.wait_for_dependencies:
            continue
        other = project.services.get(dep.service) if project else None
        tcp = [p.target for p in (other.ports if other else []) if p.protocol == "tcp"]
        if not tcp:
            report.notes.append(f"no TCP port of {dep.service} is known: no init container waits for it")
            continue
        init.append(
            {
                "name": dns_label(f"wait-for-{target}"),
                "image": options.wait_image,
                "command": [
                    "sh",
                    "-c",
                    f"until nc -z -w 2 {target} {tcp[0]}; do echo waiting for {target}; sleep 2; done",
                ],
            }
        )
    return init


def network_notes(spec: ServiceSpec, report: Report, *, policies: bool = True) -> None:
    if spec.network_mode and spec.network_mode.startswith("service:"):
        report.warnings.append(
            f"network_mode {spec.network_mode}: {spec.network_mode.removeprefix('service:')} is not a service "
            "of this file, so this service gets its own pod and network "
            f"(reach {spec.network_mode.removeprefix('service:')} by its name, not localhost)"
        )
    if len(spec.networks) > 1 and not policies:
        report.notes.append(
            "compose networks are flattened: every pod of the namespace can reach every other "
            "(isolate with NetworkPolicies)"
        )
    if spec.profiles:
        report.notes.append(f"compose profiles {', '.join(spec.profiles)} do not apply on Kubernetes")


def compose_labels(
    spec: ServiceSpec, own: dict[str, str], report: Report
) -> tuple[dict[str, str], dict[str, str]]:
    """Compose labels as Kubernetes labels where they are valid ones, else as annotations;
    one that ushadow sets itself (``own``) is kept as a ``compose.ushadow.io/`` annotation. A label
    whose value holds a secret (``${API_TOKEN}`` interpolated into it) is left out: labels and
    annotations are plain text to whoever may list the namespace."""
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    hidden = [v for v in spec.secret_variables.values() if distinctive(v)]
    for key, value in spec.labels.items():
        if is_sensitive_value(str(value)) or any(secret in str(value) for secret in hidden):
            report.warnings.append(f"compose label {key} holds a secret value and was left out")
        elif key in own:
            report.warnings.append(f"compose label {key} is set by ushadow and was kept as an annotation")
            annotations[qualified_name(f"compose.ushadow.io/{label_value(key)}")] = str(value)
        elif is_qualified_name(key) and is_label_value(str(value)):
            labels[key] = str(value)
        else:
            annotations[qualified_name(key)] = str(value)
    return labels, annotations


def workload(
    spec: ServiceSpec,
    choice: Choice,
    pod: Manifest,
    env_objects: list[Manifest],
    plan: VolumePlan,
    *,
    sid: str,
    name: str,
    labels: dict[str, str],
    selector: dict[str, str],
    meta: Callable[[str], Manifest],
    report: Report,
    service_name: str | None = None,
    schedule_text: str | None = None,
) -> Manifest:
    """The controller running ``pod``, its template hashed over the environment (and mounted files);
    ``service_name`` is the headless Service a StatefulSet's pods are named under."""
    kind = choice.kind
    extra_labels, extra_annotations = compose_labels(spec, labels, report)
    env_digest = short_hash(json.dumps([o.get("data") for o in env_objects], sort_keys=True), 16)
    template_meta: Manifest = {
        "labels": {**extra_labels, **labels},
        "annotations": {
            **extra_annotations,
            SERVICE_ID_ANNOTATION: sid,
            ENV_HASH_ANNOTATION: env_digest,
        },
    }
    metadata = meta(name)
    metadata["labels"] = {**extra_labels, **labels}
    metadata["annotations"] = {**extra_annotations, SERVICE_ID_ANNOTATION: sid}
    replicas = spec.replicas if spec.replicas is not None else 1
    if kind in ("Job", "CronJob"):
        template = {"metadata": template_meta, "spec": pod}
        if kind == "Job":
            report.warnings.append(
                "a Job's pod template cannot be changed once created: delete the Job to run a changed one"
            )
        return job_object(kind, metadata, job_body(template, choice, replicas), schedule_text)
    body: Manifest = {
        "replicas": replicas,
        "selector": {"matchLabels": dict(selector)},
        "template": {"metadata": template_meta, "spec": pod},
    }
    if kind == "StatefulSet":
        body["serviceName"] = service_name or f"{name}-headless"
        if plan.claim_templates:
            body["volumeClaimTemplates"] = plan.claim_templates
        return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": metadata, "spec": body}
    if plan.uses_claims:
        body["strategy"] = {"type": "Recreate"}
        if replicas > 1:
            report.warnings.append(
                f"{replicas} replicas share ReadWriteOnce claims: they can only run on one node"
            )
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": body}
