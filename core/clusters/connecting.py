"""Checking that a cluster answers: version, node count and a status, for one or many clusters."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from core.clusters.apishapes import ObjectList, ServerVersion
from core.clusters.kube import Kube
from core.clusters.kubeconfigs import Credential
from core.errors import Forbidden, Unauthorized, Unreachable, UshadowError
from core.settings import Settings

log = logging.getLogger(__name__)

CONNECTED, UNREACHABLE, UNAUTHORIZED, ERROR = "connected", "unreachable", "unauthorized", "error"
METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"


@dataclass(frozen=True)
class Health:
    status: str
    server: str
    version: str | None = None
    node_count: int | None = None
    error: str | None = None
    hint: str | None = None
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == CONNECTED


def status_of(exc: UshadowError) -> str:
    if isinstance(exc, Unreachable):
        return UNREACHABLE
    if isinstance(exc, (Unauthorized, Forbidden)):
        return UNAUTHORIZED
    return ERROR


def count_nodes(kube: Kube) -> int | None:
    """How many nodes there are, or None when the credential may not list them."""
    total = 0
    params = {"limit": "500"}
    while True:
        try:
            page = kube.get_model(
                "/api/v1/nodes", ObjectList, params, accept=METADATA_ONLY, what="listing nodes"
            )
        except Forbidden:
            return None
        total += len(page.items or [])
        token = page.next_token
        if not token:
            return total
        params["continue"] = token


def check(credential: Credential, settings: Settings) -> Health:
    """Connect once and report; never raises for cluster trouble (that is the status)."""
    started = time.monotonic()
    try:
        with Kube(
            credential,
            timeout=settings.request_timeout,
            workdir=settings.data_dir / "tmp",
            exec_allowlist=settings.exec_allowlist,
        ) as kube:
            version = kube.get_model("/version", ServerVersion, what="reading the server version").git_version
            nodes = count_nodes(kube)
    except UshadowError as exc:
        return failed(credential.server, exc, started, credential.warnings)
    except Exception as exc:  # one cluster's surprise is its own status, never every cluster's failure
        log.exception("checking %s failed unexpectedly", credential.server)
        return Health(
            ERROR,
            credential.server,
            error=f"checking failed unexpectedly ({type(exc).__name__})",
            seconds=time.monotonic() - started,
            warnings=credential.warnings,
        )
    return Health(
        CONNECTED,
        credential.server,
        version,
        nodes,
        seconds=time.monotonic() - started,
        warnings=credential.warnings,
    )


def failed(server: str, exc: UshadowError, started: float, warnings: tuple[str, ...] = ()) -> Health:
    """The health of a cluster that could not be checked because of ``exc``."""
    return Health(
        status=status_of(exc),
        server=server,
        error=exc.message,
        hint=exc.hint,
        seconds=time.monotonic() - started,
        warnings=warnings,
    )


def check_many(
    credentials: Sequence[tuple[str, Credential]],
    settings: Settings,
    *,
    on_done: Callable[[str, Health], None] | None = None,
) -> dict[str, Health]:
    """Check many clusters at once (bounded by USHADOW_SCAN_CONCURRENCY x 4 threads)."""
    results: dict[str, Health] = {}
    if not credentials:
        return results
    workers = min(len(credentials), max(4, settings.scan_concurrency * 4), 64)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="check") as pool:
        futures = {pool.submit(check, cred, settings): key for key, cred in credentials}
        for future, key in futures.items():
            health = future.result()
            results[key] = health
            if on_done is not None:
                on_done(key, health)
    return results
