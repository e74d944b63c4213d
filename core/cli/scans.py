"""``ushadow-ops scan`` and ``ushadow-ops scans list|show``: find infrastructure in a cluster, keep the
history, and print the shareable link of every scan."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC
from typing import TYPE_CHECKING, Any

from core.cli.base import Context, Result, add_command, print_table
from core.errors import InvalidInput

if TYPE_CHECKING:
    from core.store.scans import ScanResult

LIST_COLUMNS = ("scan_id", "cluster", "namespaces", "scanned_at", "found", "errors")
MATCH_COLUMNS = ("type", "service", "namespace", "ready", "connection", "endpoint", "kind")


def _document(ctx: Context, result: ScanResult, cluster_name: str | None) -> dict[str, Any]:
    """The CLI contract's scan JSON, plus the cluster name and what changed since the previous scan."""
    from core.scan.reports import changes_since_previous, scan_document
    from core.views.urlstate import scan_link

    return scan_document(
        result,
        link=scan_link(ctx.settings.public_url, result.scan_id),
        cluster_name=cluster_name,
        changes=changes_since_previous(ctx.store, result),
    )


def _ready(match: dict[str, Any]) -> str:
    if match.get("ready") is None and "ready" in match:
        return "unknown"
    count = match["ready_endpoints"]
    return f"{count} ready" if count else "NOT READY"


def _print_scan(data: dict[str, Any]) -> None:
    where = "all namespaces" if data["all_namespaces"] else ", ".join(data["namespaces"])
    where = where if data["namespaces"] or data["all_namespaces"] else "containers"
    took = f", {data['duration_ms']} ms" if data.get("duration_ms") is not None else ""
    print(
        f"scan {data['scan_id']} of {data.get('cluster') or data['cluster_id']} ({where}) at {data['scanned_at']}{took}"
    )
    rows: list[dict[str, Any]] = []
    missing: list[str] = []
    for infra_type, entry in data["infra_services"].items():
        if not entry["found"]:
            missing.append(infra_type)
        for m in entry["matches"]:
            first = m["endpoints"][0] if m["endpoints"] else "-"
            more = len(m["endpoints"]) - 1
            rows.append(
                {
                    "type": infra_type,
                    "service": m["service"],
                    "namespace": m["namespace"],
                    "kind": m["service_type"] + (" (pending)" if m.get("pending") else ""),
                    "ready": _ready(m),
                    "endpoint": first + (f" (+{more} more)" if more > 0 else ""),
                    "connection": m.get("connection_string") or "-",
                }
            )
    print()
    print_table(rows, MATCH_COLUMNS)
    print()
    print("not found: " + (", ".join(missing) if missing else "-"))
    print("(why each was recognised: --json, or the Scan page)")
    changes = data.get("changes") or {}
    if changes:
        print()
        print("changed since the previous scan:")
        for line in changes.get("summary") or []:
            print(f"  {line}")
    if data["errors"]:
        print()
        print("errors:")
        for error in data["errors"]:
            print(f"  {error['namespace']}: {error['reason']}")
    print()
    print(f"link: {data['link']}")


def _warn(message: str) -> None:
    """A warning on stderr, with or without ``--json`` (stdout stays one document)."""
    sys.stderr.write(f"warning: {message}\n")
    sys.stderr.flush()


def _scan(args: argparse.Namespace, ctx: Context) -> Result:
    if args.all_namespaces and args.namespaces:
        raise InvalidInput("give either -n NAMESPACE or --all-namespaces, not both")
    if args.all_clusters and args.clusters:
        raise InvalidInput("give either CLUSTER names or --all-clusters, not both")
    if not args.all_clusters and not args.clusters:  # a usage error: nothing heavy loaded for it
        raise InvalidInput("name a CLUSTER to scan, or give --all-clusters")
    if len(args.clusters) == 1 and ctx.store.find_host(args.clusters[0]) is not None:
        from core.scan.hostjobs import run_host_scan

        if args.namespaces or args.all_namespaces:
            raise InvalidInput("a Docker host has no namespaces: scan it without -n or --all-namespaces")
        scanned = run_host_scan(ctx.store, ctx.settings, args.clusters[0], warn=_warn)
        return Result(_document(ctx, scanned, ctx.store.get_host(scanned.cluster_id).name), _print_scan)
    from core.scan.jobs import run_scan, run_scans

    if args.all_clusters:
        args.clusters = [c.cluster_id for c in ctx.store.list_clusters() if c.status == "connected"]
        if not args.clusters:
            raise InvalidInput(
                "no connected cluster to scan", hint="`ushadow-ops clusters list` shows their status"
            )
    if len(args.clusters) == 1 and not args.all_clusters:  # --all-clusters always gives a list

        def progress(message: str, fraction: float) -> None:
            ctx.progress(f"[{fraction:4.0%}] {message}")

        result = run_scan(
            ctx.store,
            ctx.settings,
            args.clusters[0],
            namespaces=args.namespaces,
            all_namespaces=args.all_namespaces,
            progress=progress,
            warn=_warn,
            actor=ctx.actor,
        )
        return Result(_document(ctx, result, ctx.store.get_cluster(result.cluster_id).name), _print_scan)
    if args.namespaces:
        raise InvalidInput(
            "-n applies to one cluster; several clusters are each scanned in their own namespace"
        )
    clusters = [ctx.store.get_cluster(ref) for ref in args.clusters]  # unknown names fail before any scan
    outcomes = run_scans(
        ctx.store,
        ctx.settings,
        [c.cluster_id for c in clusters],
        all_namespaces=args.all_namespaces,
        on_done=lambda o: ctx.progress(f"{o.cluster_ref}: {'done' if o.result else o.error}"),
        warn=_warn,
        actor=ctx.actor,
    )
    names = {c.cluster_id: c.name for c in clusters}
    docs: list[dict[str, Any]] = []
    for outcome in outcomes:
        if outcome.result is not None:
            docs.append(_document(ctx, outcome.result, names[outcome.cluster_ref]))
        else:
            error, hint = outcome.error, getattr(outcome.error, "hint", None)
            docs.append({"cluster_id": outcome.cluster_ref, "cluster": names[outcome.cluster_ref],
                         "error": str(error), **({"hint": hint} if hint else {})})  # fmt: skip

    def human(data: list[dict[str, Any]]) -> None:
        for doc in data:
            if "error" in doc:
                print(f"{doc['cluster']}: error: {doc['error']}")
            else:
                _print_scan(doc)
            print()

    failed = any("error" in d for d in docs)
    return Result(docs, human, exit_code=5 if failed else 0)


def _show(args: argparse.Namespace, ctx: Context) -> Result:
    from core.views.urlstate import parse_scan_id

    result = ctx.store.get_scan(parse_scan_id(args.scan_id))
    return Result(_document(ctx, result, ctx.store.target_names().get(result.cluster_id)), _print_scan)


def _list(args: argparse.Namespace, ctx: Context) -> Result:
    from core.views.urlstate import scan_link

    lists = ctx.lists()
    names = lists.target_names()
    rows = []
    for summary in lists.scan_summaries(args.cluster, limit=args.limit):
        rows.append(
            {
                "scan_id": summary.scan_id,
                "cluster_id": summary.cluster_id,
                "cluster": names.get(summary.cluster_id),
                "namespaces": list(summary.namespaces),
                "all_namespaces": summary.all_namespaces,
                "scanned_at": summary.scanned_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "found": list(summary.found),
                "matches": summary.match_count,
                "errors": summary.error_count,
                "duration_ms": summary.duration_ms,
                "same_as": summary.same_as,
                "link": scan_link(ctx.settings.public_url, summary.scan_id),
            }
        )

    def human(data: list[dict[str, Any]]) -> None:
        shown = [
            {
                **r,
                "namespaces": "all" if r["all_namespaces"] else ",".join(r["namespaces"]),
                "found": ",".join(r["found"]) or "-",
            }
            for r in data
        ]
        print_table(shown, LIST_COLUMNS)
        for r in data:
            print(f"{r['scan_id']}: {r['link']}")

    return Result(rows, human)


def _prune(args: argparse.Namespace, ctx: Context) -> Result:
    from datetime import datetime

    from core.store.retention import parse_retention

    retention = parse_retention(ctx.settings.scan_retention)
    report = ctx.store.prune_scans(retention, now=datetime.now(UTC), dry_run=args.dry_run)

    def human(data: dict[str, Any]) -> None:
        verb = "would prune" if data["dry_run"] else "pruned"
        print(
            f"retention {data['retention']}: {verb} {data['pruned']} of {data['scans_before']} scans, "
            f"kept {data['kept']}"
            + (
                f"; {data['tombstones_dropped']} old pruned-scan notes dropped"
                if data["tombstones_dropped"]
                else ""
            )
        )

    return Result(report.to_json(), human)


def register(sub: Any) -> None:
    run = add_command(
        sub, "scan", _scan, "scan a cluster for infrastructure (databases, caches, queues, ...) and store it"
    )
    run.add_argument(
        "clusters",
        nargs="*",
        metavar="CLUSTER",
        help="cluster or Docker host id or name; several clusters are scanned in parallel (at most USHADOW_SCAN_CONCURRENCY at once)",
    )
    run.add_argument(
        "--all-clusters",
        action="store_true",
        help="every connected cluster, in parallel, each in its own namespace (or all with -A)",
    )
    run.add_argument(
        "-n",
        "--namespace",
        action="append",
        dest="namespaces",
        metavar="NS",
        help="namespace to scan (repeatable; default: the cluster's namespace)",
    )
    run.add_argument(
        "-A", "--all-namespaces", action="store_true", help="scan every namespace the credential may list"
    )
    parser = sub.add_parser("scans", help="list and show stored scans")
    inner = parser.add_subparsers(dest="scans_command", metavar="ACTION")
    inner.required = True
    listing = add_command(inner, "list", _list, "list stored scans, newest first, with their links")
    listing.add_argument("cluster", nargs="?", metavar="CLUSTER", help="only this cluster's scans")
    listing.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    show = add_command(inner, "show", _show, "show a stored scan (no rescan) with its link")
    show.add_argument("scan_id", metavar="SCAN_ID", help="the scan id (from `scan` or `scans list`)")
    prune = add_command(
        inner, "prune", _prune, "remove stored scans that USHADOW_SCAN_RETENTION does not keep"
    )
    prune.add_argument("--dry-run", action="store_true", help="only say what would be pruned")
