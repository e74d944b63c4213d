"""The ``tweaks/README.md`` of a bundle: how to apply it, and what to change for production (pure text)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_ADVICE = """\
## Before you apply

1. Fill in the secret values: for every `secrets/<namespace>/<name>.env.example` there is a
   `secrets/<namespace>/<name>.env` (git-ignored, created empty, never overwritten by
   `ushadow-ops bundle`). `kubectl apply -k` reads the values from there.
2. Check the warnings below: bind mounts became empty directories, some compose settings have
   no Kubernetes equivalent.
3. Apply: `kubectl apply -k .` (preview with `kubectl diff -k .` or
   `kubectl apply --dry-run=server -k .`).

Do not edit the generated files: `ushadow-ops bundle` refuses to overwrite a file changed by
hand. Put changes in an overlay instead: a folder with a `kustomization.yaml` that lists this
bundle under `resources:` and adds `patches:`.

## Production advice

### StatefulSets for data services
Services with a named volume that no other service shares are StatefulSets already, with a
headless Service (`<name>-headless`) for stable pod DNS and `volumeClaimTemplates`. For
replicated databases (MongoDB replica sets, PostgreSQL with replicas, Redis Sentinel) use the
project's operator or Helm chart instead: scaling a StatefulSet does not make a database
replicate. Keep `podManagementPolicy: OrderedReady` for primaries, `Parallel` for caches.

### Persistent volume sizes and storage classes
Every claim asks for the default size (1Gi) unless sized per volume. Patch
`spec.resources.requests.storage` (PVCs) or `spec.volumeClaimTemplates[].spec` (StatefulSets)
to what the data needs, set `storageClassName` for your cluster (SSD for databases), and
enable volume expansion on the class. Claims are ReadWriteOnce: a volume shared by two
services needs both pods on one node, or a ReadWriteMany class (NFS, CephFS, EFS). Back up
volumes (Velero, or the database's own dump) before relying on them.

### Ingress and TLS
Services are ClusterIP: host ports from compose are not published. Add an Ingress (or a Gateway
API HTTPRoute) per public service, with TLS from cert-manager; keep databases internal. For a
quick look use `kubectl port-forward svc/<name> <port>`.

### Resource requests and limits
Only services whose compose file sets `deploy.resources` have requests and limits. Give every
container a memory request and limit and a CPU request (a CPU limit is optional and often
hurts latency); the scheduler places pods by requests. Add a LimitRange and ResourceQuota per
namespace so a forgotten service cannot take a node. GPU services request `nvidia.com/gpu`
and need the NVIDIA device plugin on the nodes.

### NetworkPolicies
Compose networks are flattened: every pod in a namespace can reach every other. Start from a
default-deny policy per namespace and allow what each service needs (the app to its database,
the Ingress controller to the web services, DNS to kube-dns).

### Secrets management
The `.env` files keep values out of git but not off the operator's disk. For production use an
external secret manager: the External Secrets Operator (Vault, AWS/GCP/Azure secret stores),
Sealed Secrets, or SOPS with kustomize. Keep the Secret names (`<service>-secrets`), which the
Deployments reference. Rotate the compose defaults (`changeme`, `password`) before going live,
and enable encryption at rest for Secrets on the API server.

### Health, rollouts, availability
Readiness and liveness probes come from each compose healthcheck (a start period became a
startupProbe); services without one have a TCP readiness probe on their first port. Review
them. Run stateless services with 2 or more replicas and a PodDisruptionBudget, and pin image
tags (not `latest`) so a rollout is reproducible.
"""


def tweaks_readme(services: Sequence[Mapping[str, Any]], skipped: Mapping[str, str]) -> str:
    """The README: advice, then what this bundle holds and each service's warnings."""
    lines = [
        "# Bundle written by `ushadow-ops bundle`",
        "",
        "A kustomize tree compiled from the compose registry: `namespace.yaml`, `configmap.yaml`,",
        "`secret.yaml` (secret generators), `infra/` (infrastructure services) and `base/` (the apps).",
        "",
        _ADVICE,
        "## Services in this bundle",
        "",
        "| service | Kubernetes | namespace | group |",
        "| --- | --- | --- | --- |",
    ]
    for s in services:
        group = "infra" if s.get("infra") else "base"
        lines.append(f"| `{s['service_id']}` | {s['kind']} `{s['name']}` | {s['namespace']} | {group} |")
    if skipped:
        lines += ["", "## Not convertible (left out)", ""]
        lines += [f"- `{sid}`: {reason}" for sid, reason in skipped.items()]
    warned = [s for s in services if s.get("warnings")]
    if warned:
        lines += ["", "## Warnings", ""]
        for s in warned:
            lines.append(f"### `{s['service_id']}`")
            lines.append("")
            lines += [f"- {w}" for w in s["warnings"]]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
