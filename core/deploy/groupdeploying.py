"""Deploying the registry as a group (``deploy-infra``, ``deploy-app``, ``deploy-all``): each service
through :func:`core.deploy.deploying.deploy_service`, infrastructure first. Calls out.

Profiles as compose (``core.manifests.crossrefs.active``): a service with ``profiles`` is deployed
only when one of them is active (``--profile``, repeatable; ``*`` activates all); by default only
services without a profile are. So the alternatives a file selects by profile (the speaker's cpu
and gpu variants) never both deploy unless both are asked for; the others are reported as skipped
with the profile that would enable them. A ``network_mode: service:X`` service is skipped too: it
runs as a container of X's pod, deployed with X (``core.manifests.sidecars``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.compose.registry import RegistryEntry
from core.deploy.deploying import DeployOutcome, deploy_service
from core.deploy.plans import load_entry_list
from core.deploy.watching import Progress
from core.errors import ClusterError, UshadowError
from core.manifests.crossrefs import active
from core.manifests.sidecars import host_of
from core.settings import Settings
from core.store.store import Store


@dataclass(frozen=True)
class GroupItem:
    service_id: str
    infra: bool
    status: str  # dry-run, applied, ready, failed, skipped
    message: str | None
    outcome: DeployOutcome | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "service_id": self.service_id,
            "infra": self.infra,
            "status": self.status,
            "message": self.message,
        }
        if self.outcome is not None:
            data["deployment"] = self.outcome.to_json()
        return data


def deploy_group(
    store: Store,
    settings: Settings,
    *,
    cluster: str,
    group: Literal["infra", "app", "all"],
    namespace: str | None = None,
    env: dict[str, str] | None = None,
    wait: bool = False,
    dry_run: bool = False,
    timeout: float = 300.0,
    registry_dirs: Sequence[Path] | None = None,
    progress: Progress | None = None,
    actor: str | None = None,
    profiles: Sequence[str] | None = None,
) -> list[GroupItem]:
    """Deploy the registry's infrastructure, its apps, or both: infrastructure first, each waited for
    until ready, then the namespace is scanned again so that the apps are wired to it.

    ``env`` values go to each service that asks for them. A service that cannot be deployed (a
    broken file, a required variable without a value, a failed rollout) is reported and the others
    go on; with ``all``, a failed infrastructure service stops the apps. A cluster error (forbidden,
    unreachable) stops everything and is raised.
    """
    dirs = registry_dirs if registry_dirs is not None else settings.compose_dirs
    entries, inactive = [], []
    for entry in load_entry_list(dirs):
        if active(entry.profiles, profiles):
            entries.append(entry)
        elif group == "all" or entry.infra == (group == "infra"):
            inactive.append(GroupItem(entry.service_id, entry.infra, "skipped", _inactive(entry.profiles)))
    say = progress or (lambda _m, _f: None)
    infra = [e for e in entries if e.infra] if group in ("infra", "all") else []
    apps = [e for e in entries if not e.infra] if group in ("app", "all") else []
    homes = {(e.file, e.service) for e in entries if e.spec is not None}
    items: list[GroupItem] = []
    for phase, batch in (("infra", infra), ("app", apps)):
        if phase == "app" and group == "all":
            if any(i.status == "failed" for i in items):
                items += [GroupItem(e.service_id, False, "skipped", "infrastructure failed") for e in batch]
                break
            if infra and not dry_run:
                _rescan(store, settings, cluster, namespace, actor)
        for entry in batch:
            host = host_of(entry.spec) if entry.spec is not None else None
            if host is not None and (entry.file, host) in homes:
                why = f"runs in the pod of {host} (network_mode: service:{host}): deployed with it"
                items.append(GroupItem(entry.service_id, entry.infra, "skipped", why))
                continue
            if entry.spec is None or entry.error:
                items.append(
                    GroupItem(entry.service_id, entry.infra, "skipped", entry.error or "cannot be read")
                )
                continue
            total = max(len(infra) + len(apps), 1)
            done = len(items)
            say(f"deploying {entry.service_id}", done / total)
            items.append(
                _deploy_one(
                    store,
                    settings,
                    entry,
                    cluster=cluster,
                    namespace=namespace,
                    env=env or {},
                    wait=wait or (phase == "infra" and group == "all"),
                    dry_run=dry_run,
                    timeout=timeout,
                    registry_dirs=dirs,
                    progress=_within(progress, done, total),
                    actor=actor,
                )
            )
    return items + inactive


def _inactive(profiles: Sequence[str]) -> str:
    return (
        f"profile {', '.join(profiles)} is not active "
        f"(give --profile {profiles[0]} to deploy it; by default only services without a profile are)"
    )


def _deploy_one(
    store: Store,
    settings: Settings,
    entry: RegistryEntry,
    *,
    cluster: str,
    namespace: str | None,
    env: dict[str, str],
    wait: bool,
    dry_run: bool,
    timeout: float,
    registry_dirs: Sequence[Path],
    progress: Progress | None,
    actor: str | None,
) -> GroupItem:
    """One service of the group, with the ``env`` values it asks for; a cluster error is raised."""
    assert entry.spec is not None
    asked = set(entry.spec.environment) | set(entry.spec.variables)
    try:
        outcome = deploy_service(
            store,
            settings,
            cluster=cluster,
            service_id=entry.service_id,
            namespace=namespace,
            env={k: v for k, v in env.items() if k in asked},
            dry_run=dry_run,
            wait=wait,
            timeout=timeout,
            registry_dirs=registry_dirs,
            progress=progress,
            actor=actor,
        )
    except ClusterError:
        raise
    except UshadowError as exc:
        return GroupItem(entry.service_id, entry.infra, "failed", exc.message)
    return GroupItem(entry.service_id, entry.infra, outcome.status, outcome.message, outcome)


def _rescan(store: Store, settings: Settings, cluster: str, namespace: str | None, actor: str | None) -> None:
    """Scan the namespace again (its new infrastructure) and store the scan."""
    from core.scan.jobs import run_scan

    run_scan(store, settings, cluster, namespaces=[namespace] if namespace else None, actor=actor)


def _within(progress: Progress | None, done: int, total: int) -> Progress | None:
    """A service's own progress (0 to 1) as a share of the group's: the bar only moves forward."""
    if progress is None:
        return None
    report = progress
    return lambda message, fraction: report(message, (done + min(max(fraction, 0.0), 1.0)) / total)
