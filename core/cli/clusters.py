"""``ushadow-ops clusters``: add, list, check and remove clusters."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.cli.base import Context, Result, add_command, print_table
from core.errors import InvalidInput

COLUMNS = ("name", "status", "server", "version", "node_count", "namespace", "last_checked", "error")


def _read_kubeconfig(source: str) -> bytes:
    """At most one byte more than the kubeconfig limit, so a huge file is refused, not loaded."""
    from pathlib import Path

    from core.clusters.kubeconfigs import MAX_BYTES
    from core.untrusted import clip

    if source == "-":
        return sys.stdin.buffer.read(MAX_BYTES + 1)
    path = Path(source).expanduser()
    if not path.is_file():
        raise InvalidInput(
            f"kubeconfig file {clip(source)} does not exist", hint="give a path, or - to read stdin"
        )
    with path.open("rb") as handle:
        return handle.read(MAX_BYTES + 1)


def _table(data: Any) -> None:
    rows = data if isinstance(data, list) else [data]
    print_table(rows, COLUMNS)


def _add(args: argparse.Namespace, ctx: Context) -> Result:
    from core.clusters import registering as ops

    result = ops.add_cluster(
        ctx.store,
        ctx.settings,
        name=args.name,
        kubeconfig=_read_kubeconfig(args.kubeconfig),
        context=args.context,
        namespace=args.namespace,
        labels=ops.parse_labels(args.label),
        save_unreachable=args.save_unreachable,
        actor=ctx.actor,
    )
    data = {**result.cluster.to_json(), "warnings": list(result.health.warnings)}

    def human(d: dict[str, Any]) -> None:
        if d["node_count"] is not None:
            nodes = f"{d['node_count']} nodes"
        else:
            nodes = "nodes hidden by RBAC" if d["status"] == "connected" else "nodes unknown"
        print(f"added cluster {d['name']} ({d['cluster_id']}): {d['status']}, {d['version'] or '-'}, {nodes}")
        if d["error"]:
            print(f"  {d['error']}")
        _warn([d])

    return Result(data, human)


def _warn(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        for text in row.get("warnings") or []:
            print(f"warning: {row['name']}: {text}", file=sys.stderr)


def _with_warnings(ctx: Context, cluster: Any) -> dict[str, Any]:
    from core.clusters import registering as ops

    return {
        **cluster.to_json(),
        "warnings": list(ops.warnings_for(ctx.store, ctx.settings, cluster.cluster_id)),
    }


def _checked_table(data: Any) -> None:
    _table(data)
    _warn(data if isinstance(data, list) else [data])


def _list(args: argparse.Namespace, ctx: Context) -> Result:
    return Result([c.to_json() for c in ctx.lists().clusters()], _table)


def _check(args: argparse.Namespace, ctx: Context) -> Result:
    from core.clusters import registering as ops

    if args.all or args.cluster is None:
        if args.cluster is None and not args.all:
            raise InvalidInput("name a cluster to check, or give --all")
        checked = ops.check_all(ctx.store, ctx.settings)
        data: Any = [_with_warnings(ctx, c) for c in checked]
        bad = any(c.status != "connected" for c in checked)
    else:
        cluster = ops.check_cluster(ctx.store, ctx.settings, args.cluster)
        data = _with_warnings(ctx, cluster)
        bad = cluster.status != "connected"
    return Result(data, _checked_table, exit_code=9 if bad else 0)


def _remove(args: argparse.Namespace, ctx: Context) -> Result:
    from core.clusters import registering as ops

    cluster = ops.remove_cluster(ctx.store, args.cluster, actor=ctx.actor)
    data = {"removed": cluster.cluster_id, "name": cluster.name}
    return Result(
        data, lambda d: print(f"removed cluster {d['name']} with its credential, scans and records")
    )


def register(sub: Any) -> None:
    parser = sub.add_parser("clusters", help="add, list, check and remove clusters")
    inner = parser.add_subparsers(dest="clusters_command", metavar="ACTION")
    inner.required = True
    add = add_command(inner, "add", _add, "add a cluster from a kubeconfig (checks that it connects)")
    add.add_argument(
        "name",
        nargs="?",
        default="",
        metavar="NAME",
        help="a unique name for the cluster (default: the context's name)",
    )
    add.add_argument("--kubeconfig", required=True, metavar="FILE", help="kubeconfig file, or - for stdin")
    add.add_argument("--context", help="context to use (default: the kubeconfig's current-context)")
    add.add_argument("--namespace", "-n", help="default namespace for scans and deploys (default: ushadow)")
    add.add_argument("--label", action="append", metavar="KEY=VALUE", help="a label (repeatable)")
    add.add_argument(
        "--save-unreachable",
        action="store_true",
        help="store the cluster even when it cannot be reached now (with its status)",
    )
    add_command(inner, "list", _list, "list clusters with their status")
    chk = add_command(
        inner, "check", _check, "re-test connectivity and update the status (exit 9 if not connected)"
    )
    chk.add_argument("cluster", nargs="?", metavar="CLUSTER", help="cluster id or name")
    chk.add_argument("--all", action="store_true", help="check every cluster, in parallel")
    rm = add_command(
        inner, "remove", _remove, "remove a cluster, its credential, scans and deployment records"
    )
    rm.add_argument("cluster", metavar="CLUSTER", help="cluster id or name")
