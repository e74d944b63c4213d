"""``ushadow-ops hosts``: add, list, check and remove Docker hosts (a Docker Engine API URL)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.cli.base import Context, Result, add_command, print_table
from core.errors import InvalidInput

COLUMNS = ("name", "status", "url", "version", "containers_running", "last_checked", "error")


def _read_pem(source: str | None) -> str | None:
    from core.hosts.engines import MAX_PEM
    from core.untrusted import clip

    if source is None:
        return None
    path = Path(source).expanduser()
    if not path.is_file():
        raise InvalidInput(f"file {clip(source)} does not exist")
    with path.open("rb") as handle:
        data = handle.read(MAX_PEM + 1)
    if len(data) > MAX_PEM:
        raise InvalidInput(f"{clip(source)} is larger than {MAX_PEM} bytes; it is not a PEM file")
    return data.decode("utf-8", errors="replace")


def _table(data: Any) -> None:
    print_table(data if isinstance(data, list) else [data], COLUMNS)


def _add(args: argparse.Namespace, ctx: Context) -> Result:
    from core.clusters.registering import parse_labels
    from core.hosts import registering as ops

    host, _ = ops.add_host(
        ctx.store,
        ctx.settings,
        name=args.name,
        url=args.url,
        ca=_read_pem(args.tls_ca),
        cert=_read_pem(args.tls_cert),
        key=_read_pem(args.tls_key),
        labels=parse_labels(args.label),
        save_unreachable=args.save_unreachable,
        actor=ctx.actor,
    )

    def human(d: dict[str, Any]) -> None:
        running = d["containers_running"]
        print(
            f"added Docker host {d['name']} ({d['host_id']}): {d['status']}, {d['version'] or '-'}, "
            f"{'-' if running is None else running} containers running"
        )
        if d["error"]:
            print(f"  {d['error']}")

    return Result(host.to_json(), human)


def _list(args: argparse.Namespace, ctx: Context) -> Result:
    return Result([h.to_json() for h in ctx.store.list_hosts()], _table)


def _check(args: argparse.Namespace, ctx: Context) -> Result:
    from core.hosts import registering as ops

    host = ops.check_host(ctx.store, ctx.settings, args.host)
    return Result(host.to_json(), _table, exit_code=0 if host.status == "connected" else 9)


def _remove(args: argparse.Namespace, ctx: Context) -> Result:
    from core.hosts import registering as ops

    host = ops.remove_host(ctx.store, args.host, actor=ctx.actor)
    data = {"removed": host.host_id, "name": host.name}
    return Result(data, lambda d: print(f"removed Docker host {d['name']} and its credential"))


def register(sub: Any) -> None:
    parser = sub.add_parser("hosts", help="add, list, check and remove Docker hosts")
    inner = parser.add_subparsers(dest="hosts_command", metavar="ACTION")
    inner.required = True
    add = add_command(inner, "add", _add, "add a Docker host by its engine API URL (checks that it answers)")
    add.add_argument("name", help="a unique name (across clusters and hosts)")
    add.add_argument(
        "--url",
        required=True,
        help="unix:///path/docker.sock, tcp://host:2376 (with TLS) or ssh://[user@]host",
    )
    add.add_argument("--tls-ca", metavar="FILE", help="CA certificate (PEM) of a tcp:// host")
    add.add_argument("--tls-cert", metavar="FILE", help="client certificate (PEM) of a tcp:// host")
    add.add_argument("--tls-key", metavar="FILE", help="client key (PEM) of a tcp:// host; stored encrypted")
    add.add_argument("--label", action="append", metavar="KEY=VALUE", help="a label (repeatable)")
    add.add_argument(
        "--save-unreachable", action="store_true", help="store the host even when it does not answer now"
    )
    add_command(inner, "list", _list, "list Docker hosts with their status")
    chk = add_command(
        inner, "check", _check, "re-test a host and update its status (exit 9 if not connected)"
    )
    chk.add_argument("host", metavar="NAME", help="host id or name")
    rm = add_command(inner, "remove", _remove, "remove a Docker host and its credential")
    rm.add_argument("host", metavar="NAME", help="host id or name")
