"""The names ushadow writes into clusters and reads back: labels, annotations, field managers and the
default namespace. One place, so the compiler, the deployer, day-2 and the scan agree (pure data)."""

from __future__ import annotations

DEFAULT_NAMESPACE = "ushadow"
"""Where services go when no namespace is named (the seed's namespace)."""

FIELD_MANAGER = "ushadow"
"""The server-side apply field manager of every deploy, envmap and undeploy."""

OPS_MANAGER = "ushadow-ops"
"""The field manager of day-2 patches (restart, scale), kept apart from what a deploy owns."""

LABEL_PREFIX = "app.kubernetes.io/"
ANNOTATION_PREFIX = "ushadow.io/"

NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
PART_OF_LABEL = "app.kubernetes.io/part-of"
COMPONENT_LABEL = "app.kubernetes.io/component"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "ushadow"
"""``app.kubernetes.io/managed-by=ushadow`` marks every object ushadow made; others are never taken over."""

SERVICE_ID_ANNOTATION = "ushadow.io/service-id"
"""Which registry service (``<compose file id>:<service>``) an object belongs to."""
ENV_HASH_ANNOTATION = "ushadow.io/env-hash"
"""A digest of a workload's ConfigMap and Secret content on its pod template (rolls pods on change)."""
REDACTED_ANNOTATION = "ushadow.io/redacted"
"""On a manifest shown without its secret values: the values are placeholders, never to be applied."""
SHARED_BY_ANNOTATION = "ushadow.io/shared-by"
"""On a claim several services of one compose file mount: their service ids, comma-separated (any of
them may apply it; undeploying one keeps it while another still mounts it)."""
VOLUME_LABEL = "ushadow.io/volume"
"""On a claim: the compose volume it was made for."""
