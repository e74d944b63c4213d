"""Which keys of a compose service this tool reads, ignores with a warning, or rejects. Pure.

``COMPOSE_SERVICE_KEYS`` is every service key of the compose specification; ``READ_KEYS`` those
:class:`RawService` models (plus ``extends``, which the loader resolves). A key in neither is not
compose at all, and an error when loading strictly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.compose.raw import RawService
from core.shapes import field_names

# Every service key of the compose specification (compose-go v2's schema).
COMPOSE_SERVICE_KEYS = frozenset(
    [
        "annotations",
        "attach",
        "blkio_config",
        "build",
        "cap_add",
        "cap_drop",
        "cgroup",
        "cgroup_parent",
        "command",
        "configs",
        "container_name",
        "cpu_count",
        "cpu_percent",
        "cpu_period",
        "cpu_quota",
        "cpu_rt_period",
        "cpu_rt_runtime",
        "cpu_shares",
        "cpus",
        "cpuset",
        "credential_spec",
        "depends_on",
        "deploy",
        "develop",
        "device_cgroup_rules",
        "devices",
        "dns",
        "dns_opt",
        "dns_search",
        "domainname",
        "entrypoint",
        "env_file",
        "environment",
        "expose",
        "extends",
        "external_links",
        "extra_hosts",
        "gpus",
        "group_add",
        "healthcheck",
        "hostname",
        "image",
        "init",
        "ipc",
        "isolation",
        "label_file",
        "labels",
        "links",
        "logging",
        "mac_address",
        "mem_limit",
        "mem_reservation",
        "mem_swappiness",
        "memswap_limit",
        "models",
        "network_mode",
        "networks",
        "oom_kill_disable",
        "oom_score_adj",
        "pid",
        "pids_limit",
        "platform",
        "ports",
        "post_start",
        "pre_start",
        "pre_stop",
        "privileged",
        "profiles",
        "provider",
        "pull_policy",
        "pull_refresh_after",
        "read_only",
        "restart",
        "runtime",
        "scale",
        "secrets",
        "security_opt",
        "shm_size",
        "stdin_open",
        "stop_grace_period",
        "stop_signal",
        "storage_opt",
        "sysctls",
        "tmpfs",
        "tty",
        "ulimits",
        "umask",
        "use_api_socket",
        "user",
        "userns_mode",
        "uts",
        "volumes",
        "volumes_from",
        "working_dir",
    ]
)
READ_KEYS = frozenset(field_names(RawService)) | {"extends"}


@dataclass(frozen=True)
class SortedKeys:
    read: dict[str, Any]
    ignored: list[str]  # valid compose, without meaning for this tool: a warning
    unknown: list[str]  # not compose at all: an error in strict mode


def sort_keys(service: Mapping[str, Any]) -> SortedKeys:
    read: dict[str, Any] = {}
    ignored: list[str] = []
    unknown: list[str] = []
    for key, value in service.items():
        if key in READ_KEYS:
            read[key] = value
        elif key.startswith("x-"):
            continue
        elif key in COMPOSE_SERVICE_KEYS:
            ignored.append(key)
        else:
            unknown.append(key)
    return SortedKeys(read, ignored, unknown)
