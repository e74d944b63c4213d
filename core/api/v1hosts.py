"""``/api/v1`` on a Docker host: a ``{cluster}`` in a path (or ``cluster`` in a scan request) may name
a Docker host, as ``CLUSTER`` may on the command line. :func:`host_or` wraps a cluster handler so a
host's name runs the host's version; each answers with the document the CLI prints with ``--json``
(``core.cli.hostops``). A namespace makes no sense on a host and is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.api.endpoints import Call
from core.errors import InvalidInput

Handler = Callable[[Call], Any]


def _host(call: Call) -> str | None:
    ref = call.params.get("cluster")
    if ref is None:
        body = call.body
        ref = getattr(body, "cluster", None) if body is not None else None
    if ref is None or call.store.find_host(ref) is None:
        return None
    return ref


def _no_namespace(call: Call) -> None:
    body = call.body
    if call.query.get("namespace") or getattr(body, "namespace", None) or getattr(body, "namespaces", None):
        raise InvalidInput("a Docker host has no namespaces: leave out namespace")


def host_or(cluster_handler: Handler, host_handler: Handler) -> Handler:
    def handler(call: Call) -> Any:
        if _host(call) is None:
            return cluster_handler(call)
        _no_namespace(call)
        return host_handler(call)

    handler.__doc__ = cluster_handler.__doc__
    return handler


def list_hosts(call: Call) -> Any:
    return [h.to_json() for h in call.store.list_hosts()]


def show(call: Call) -> Any:
    return call.store.get_host(call.params["cluster"]).to_json()


def check(call: Call) -> Any:
    from core.hosts.registering import check_host

    return check_host(call.store, call.settings, call.params["cluster"]).to_json()


def scan(call: Call) -> Any:
    from core.api.v1 import scan_json
    from core.scan.hostjobs import run_host_scan

    if getattr(call.body, "all_namespaces", False):
        raise InvalidInput("a Docker host has no namespaces: leave out all_namespaces")
    return scan_json(
        call, run_host_scan(call.store, call.settings, call.body.cluster, actor=call.token.actor)
    )


def envmap(call: Call) -> Any:
    raise InvalidInput(
        "a Docker host has no ConfigMaps or Secrets to write",
        hint="deploy the service to the host: its environment is wired there",
    )


def deploy(call: Call) -> Any:
    from core.deploy.hostapply import deploy_to_host

    body = call.body
    return deploy_to_host(
        call.store,
        call.settings,
        call.params["cluster"],
        body.service_id,
        dirs=list(call.settings.compose_dirs),
        typed=body.env,
        dry_run=body.dry_run,
        wait=body.wait,
        timeout=body.timeout,
        actor=call.token.actor,
    )


def workloads(call: Call) -> Any:
    from core.operate.hostops import status

    host = call.store.get_host(call.params["cluster"]).name
    found = status(call.store, call.settings, call.params["cluster"], call.params.get("service"))
    return {"cluster": host, "kind": "host", "containers": found}


def logs(call: Call) -> Any:
    from core.operate.hostops import logs as read

    tail = call.query.get("tail") or 100
    return read(call.store, call.settings, call.params["cluster"], call.params["service"], tail=tail)


def restart(call: Call) -> Any:
    from core.operate.hostops import restart as again

    return again(call.store, call.settings, call.params["cluster"], call.params["service"])


def scale(call: Call) -> Any:
    from core.operate.hostops import scale as resize

    ref, service = call.params["cluster"], call.params["service"]
    dirs = list(call.settings.compose_dirs)
    return resize(
        call.store, call.settings, ref, service, call.body.replicas, dirs=dirs, actor=call.token.actor
    )


def undeploy(call: Call) -> Any:
    from core.operate.hostops import undeploy as remove

    ref, service = call.params["cluster"], call.params["service"]
    changes = remove(call.store, call.settings, ref, service, delete_volumes=call.body.delete_volumes)
    return {"cluster": call.store.get_host(ref).name, "service": service, "changes": changes}


def exec_command(call: Call) -> Any:
    from core.operate.hostops import exec_in

    if call.body.pod or call.body.container:
        raise InvalidInput("a Docker host's service runs containers, not pods: leave out pod and container")
    code, output = exec_in(
        call.store, call.settings, call.params["cluster"], call.params["service"], call.body.command
    )
    return {"exit_code": code, "output": output.decode("utf-8", errors="replace")}
