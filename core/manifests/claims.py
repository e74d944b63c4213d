"""A named compose volume's claim settings: size, access mode and storage class (pure).

Where each comes from, first found wins:

- **size**: ``CompileOptions.volume_sizes`` (the caller's), then ``x-ushadow`` ``volumes:
  {<volume>: {size: 20Gi}}``, then the volume's compose ``driver_opts: {size: 20Gi}``, else the
  default size with a warning that names it;
- **access mode**: ``x-ushadow`` ``volumes: {<volume>: {access_mode: ReadWriteMany}}``, else
  ReadWriteOnce;
- **storage class**: the volume's ``driver_opts: {storage_class: fast-ssd}``
  (``storageclass``/``storage-class`` are read the same), then ``CompileOptions.storage_class``,
  else none (the cluster's default class).

Other ``driver_opts`` (the local driver's ``type``, ``o``, ``device``: a host folder or a tmpfs on
the Docker host) have no claim equivalent: a warning names them. A size that is not a Kubernetes
quantity is ``InvalidInput``.

A claim that several services of one file mount (``shared_meta``) is the same object whichever of
them applies it: it names the first of them (by name) as its service, and all of them in
``ushadow.io/shared-by``, which the ownership check of a deploy accepts from any of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from core.compose.model import ComposeProject, TopLevelResource
from core.conventions import INSTANCE_LABEL, NAME_LABEL, SERVICE_ID_ANNOTATION, SHARED_BY_ANNOTATION
from core.errors import InvalidInput
from core.manifests.compilations import kube_name, service_id
from core.manifests.knobs import Knobs, VolumeKnobs
from core.naming import label_value

Manifest = dict[str, Any]
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
SIZE_OPTS = ("size",)
CLASS_OPTS = ("storage_class", "storageclass", "storage-class")


class _Settings(Protocol):
    @property
    def size(self) -> str: ...
    @property
    def sizes(self) -> Mapping[str, str]: ...
    @property
    def storage_class(self) -> str | None: ...


def claim_spec(
    source: str,
    declared: TopLevelResource | None,
    *,
    knobs: Knobs,
    settings: _Settings,
    warnings: list[str],
) -> Manifest:
    """The claim's ``spec`` for the compose volume ``source``; what was defaulted or left is a warning."""
    opts = dict(declared.driver_opts) if declared else {}
    own = knobs.volumes.get(source, VolumeKnobs())
    unused = sorted(k for k in opts if k not in (*SIZE_OPTS, *CLASS_OPTS))
    if unused:
        warnings.append(
            f"volume {source}: driver_opts {', '.join(unused)} have no Kubernetes claim equivalent and are "
            "not used (driver_opts size and storage_class are)"
        )
    size = settings.sizes.get(source) or own.size or _first(opts, SIZE_OPTS)
    if size is None:
        size = settings.size
        warnings.append(
            f"volume {source}: no size given, the claim asks for the default {size} "
            f"(set x-ushadow volumes: {{{source}: {{size: 20Gi}}}} or the volume's driver_opts size)"
        )
    if not QUANTITY.match(size):
        raise InvalidInput(
            f"volume size {size!r} for {source} is not a Kubernetes quantity", hint="e.g. 10Gi"
        )
    spec: Manifest = {
        "accessModes": [own.access_mode or "ReadWriteOnce"],
        "resources": {"requests": {"storage": size}},
    }
    storage_class = _first(opts, CLASS_OPTS) or settings.storage_class
    if storage_class:
        spec["storageClassName"] = storage_class
    return spec


def _first(opts: Mapping[str, str], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = opts.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def shared_meta(meta: Manifest, project: ComposeProject, source: str) -> Manifest:
    """``meta`` of a claim the services of ``project`` share, the same for each of them (see above)."""
    users = sorted(
        {
            spec.name
            for spec in project.services.values()
            for v in spec.volumes
            if v.type == "volume" and v.source == source
        }
    )
    first = users[0]
    labels = {**meta["labels"], NAME_LABEL: label_value(first), INSTANCE_LABEL: kube_name(first)}
    annotations = {
        **meta["annotations"],
        SERVICE_ID_ANNOTATION: service_id(project, first),
        SHARED_BY_ANNOTATION: ",".join(service_id(project, u) for u in users),
    }
    return {**meta, "labels": labels, "annotations": annotations}
