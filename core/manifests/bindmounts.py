"""Compose bind mounts on Kubernetes, where the developer's files are not on the node (pure).

The rules (``core.manifests.compiler`` lists them with the others):

- **A bind-mounted file the loader could read** (a regular UTF-8 file of at most 1 MiB, next to
  the compose file or anywhere it points) becomes a key of the ConfigMap ``<service>-files``, or of
  the Secret ``<service>-files`` when its name or content is sensitive (a key, a password, a
  secret value of the service), mounted at its target with ``subPath`` as a file, read-only (a
  note says so when compose mounted it writable). The pod template's env hash covers it, so a
  change of the file rolls the pods.
- **A host path that only makes sense on a Docker host** (the Docker socket, ``/dev/...``,
  ``/proc``, ``/sys``, Docker's own folders) makes the service ``NotConvertible``, with the reason,
  unless ``x-ushadow.<service>.host_paths`` lists it: then it is a ``hostPath`` volume, with the
  warning that it pins the pod to one node's files (and that Pod Security baseline refuses it).
- **Any other bind mount** (a folder, a file that is missing, binary or too large) is an
  ``emptyDir`` with a warning saying why, unless ``host_paths`` lists it (``hostPath`` as above).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from core.compose.model import Volume
from core.errors import NotConvertible
from core.naming import config_key
from core.secrets.sensitivity import is_sensitive_name, is_sensitive_value

Manifest = dict[str, Any]

DOCKER_ONLY = ("/var/run/docker", "/run/docker", "/var/lib/docker", "/dev", "/proc", "/sys")


def docker_only_reason(source: str) -> str | None:
    """Why ``source`` only makes sense on a Docker host, or None."""
    path = source.rstrip("/") or "/"
    if path.endswith("docker.sock"):
        return "the Docker socket does not exist on Kubernetes nodes (the nodes run containerd or CRI-O)"
    for prefix in DOCKER_ONLY:
        if path == prefix or path.startswith(prefix + "/"):
            if prefix == "/dev":
                return "host devices need a device plugin (or a privileged pod pinned to a node)"
            return f"{prefix} belongs to the Docker host, not to a Kubernetes node"
    return None


def refuse(service: str, volume: Volume, reason: str) -> NotConvertible:
    return NotConvertible(
        f"{service}: bind mount {volume.source}:{volume.target} only makes sense on a Docker host: {reason}",
        hint=(
            f"remove it, or mount the node's own path with x-ushadow: {{{service}: {{host_paths: "
            f"[{volume.source}]}}}} (hostPath: the pod then depends on one node's files)"
        ),
    )


def host_path_warning(volume: Volume) -> str:
    return (
        f"bind mount {volume.source}:{volume.target} is a hostPath (x-ushadow host_paths): the pod sees the "
        "node's files, not yours, and depends on that node; Pod Security baseline refuses hostPath volumes"
    )


def is_sensitive_file(volume: Volume, secrets: list[str]) -> bool:
    """A file to keep in a Secret: a sensitive name, a credential in it, or a secret value of the service."""
    name = PurePosixPath(volume.source or volume.target).name
    stem = name.split(".")[0]
    content = volume.content or ""
    if is_sensitive_name(stem) or name.endswith((".key", ".pem", ".p12", ".pfx", ".jks")):
        return True
    if any(value and value in content for value in secrets):
        return True
    return any(is_sensitive_value(line.strip()) for line in content.splitlines() if line.strip())


def file_key(volume: Volume, taken: set[str]) -> str:
    """A ConfigMap/Secret key for the file (its name, made unique within the service)."""
    base = config_key(PurePosixPath(volume.source or volume.target).name or "file")
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    taken.add(key)
    return key


def empty_reason(volume: Volume) -> str:
    """Why a bind mount that is not a readable file became an empty directory."""
    if volume.content is None and PurePosixPath(volume.source or "").suffix:
        return "a file the loader could not read (missing, binary or over 1 MiB), or a folder"
    return "a folder of the host's files, which are not on the node"
