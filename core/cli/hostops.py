"""A Docker host where a command takes a cluster: ``deploy``, ``status``, ``logs``, ``restart``,
``scale``, ``undeploy`` (and ``exec``). Registered last: it wraps each of those commands' handlers
so that a ``CLUSTER`` argument naming a Docker host runs the host's version instead."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from core.cli.base import Context, Result, add_command, print_table
from core.cli.compose import parse_env, registry_dirs
from core.errors import InvalidInput

Handler = Callable[[argparse.Namespace, Context], Result]
STATUS_COLUMNS = ("container", "service", "state", "health", "image")


def _no_namespace(args: argparse.Namespace) -> None:
    if getattr(args, "namespace", None):
        raise InvalidInput("a Docker host has no namespaces: leave out -n")


def _print_changes(d: dict[str, Any]) -> None:
    for c in d["changes"]:
        reason = f" ({c['reason']})" if c.get("reason") else ""
        print(f"{c['kind']}/{c['name']}: {c['action']}{reason}")


def _deploy(args: argparse.Namespace, ctx: Context) -> Result:
    from core.deploy.hostapply import deploy_to_host

    data = deploy_to_host(
        ctx.store,
        ctx.settings,
        args.cluster,
        args.service_id,
        dirs=registry_dirs(args, ctx),
        typed=parse_env(args.env),
        dry_run=args.dry_run,
        wait=args.wait,
        timeout=args.timeout,
        actor=ctx.actor,
    )

    def human(d: dict[str, Any]) -> None:
        print(f"{d['service_id']} -> compose project {d['project']}, service {d['service']} on {d['host']}")
        if d["dry_run"]:
            print("dry run: what would change; nothing was changed")
        for row in d["environment"]:
            print(f"  {row['name']}={'' if row['value'] is None else row['value']}  ({row['source']})")
        _print_changes(d)
        for name, health in d["health"].items():
            print(f"{name}: {health}")

    return Result(data, human)


def _status(args: argparse.Namespace, ctx: Context) -> Result:
    from core.operate.hostops import status

    return Result(
        status(ctx.store, ctx.settings, args.cluster, args.service), lambda d: print_table(d, STATUS_COLUMNS)
    )


def _logs(args: argparse.Namespace, ctx: Context) -> Result:
    from core.operate.hostops import logs

    def human(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if len(rows) > 1:
                print(f"==> {row['container']} <==")
            sys.stdout.write(row["text"])

    return Result(logs(ctx.store, ctx.settings, args.cluster, args.service, tail=args.tail), human)


def _restart(args: argparse.Namespace, ctx: Context) -> Result:
    from core.operate.hostops import restart

    return Result(
        restart(ctx.store, ctx.settings, args.cluster, args.service), lambda d: print_table(d, STATUS_COLUMNS)
    )


def _scale(args: argparse.Namespace, ctx: Context) -> Result:
    from core.operate.hostops import scale

    data = scale(
        ctx.store,
        ctx.settings,
        args.cluster,
        args.service,
        args.replicas,
        dirs=list(ctx.settings.compose_dirs),
        actor=ctx.actor,
    )
    return Result(data, _print_changes)


def _undeploy(args: argparse.Namespace, ctx: Context) -> Result:
    from core.operate.hostops import undeploy

    changes = undeploy(
        ctx.store, ctx.settings, args.cluster, args.service, delete_volumes=args.delete_volumes
    )
    return Result({"host": args.cluster, "service": args.service, "changes": changes}, _print_changes)


def _exec(args: argparse.Namespace, ctx: Context) -> Result:
    from core.operate.hostops import exec_in

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    code, output = exec_in(ctx.store, ctx.settings, args.cluster, args.service, command)
    text = output.decode("utf-8", errors="replace")

    def human(d: dict[str, Any]) -> None:
        sys.stdout.write(d["output"])

    return Result({"exit_code": code, "output": text}, human, exit_code=code)


HOST_HANDLERS: dict[str, Handler] = {
    "deploy": _deploy,
    "status": _status,
    "logs": _logs,
    "restart": _restart,
    "scale": _scale,
    "undeploy": _undeploy,
    "exec": _exec,
}


def _dispatching(cluster_handler: Handler | None, host_handler: Handler) -> Handler:
    def handler(args: argparse.Namespace, ctx: Context) -> Result:
        if ctx.store.find_host(args.cluster) is not None:
            _no_namespace(args)
            return host_handler(args, ctx)
        if cluster_handler is None:
            raise InvalidInput(
                f"{args.cluster!r} is not a Docker host; this command takes a Docker host here"
            )
        return cluster_handler(args, ctx)

    return handler


def register(sub: Any) -> None:
    if "exec" in sub.choices:  # a cluster `exec` is there: hosts go through it too
        parser = sub.choices["exec"]
        parser.set_defaults(handler=_dispatching(parser.get_default("handler"), _exec))
    else:  # no cluster `exec` on this branch: this one runs on Docker hosts
        parser = add_command(sub, "exec", _exec, "run a command in a deployed service's container")
        parser.add_argument("cluster", metavar="CLUSTER", help="Docker host id or name")
        parser.add_argument("service", metavar="SERVICE")
        parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND...")
        parser.set_defaults(handler=_dispatching(None, _exec))
    for name, host_handler in HOST_HANDLERS.items():
        parser = sub.choices.get(name)
        if parser is not None and name != "exec":
            parser.set_defaults(handler=_dispatching(parser.get_default("handler"), host_handler))
