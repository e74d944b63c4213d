"""``ushadow-ops events``, ``drift``, ``rollback`` and ``fleet``: what happened to a deployed service,
what changed since its deploy, going back to an earlier deploy, and every service on every cluster.
"""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.base import Context, Result, add_command, print_table
from core.cli.output import DEFAULT_TIMEOUT, add_target_args, print_changes, progress_printer

SERVICE_HELP = "the Kubernetes name the service was deployed under, or its SERVICE_ID"
DRIFT_COLUMNS = ("kind", "field", "deployed", "live", "would_render")


def _events(args: argparse.Namespace, ctx: Context) -> Result:
    from core.clusters.sessions import named
    from core.operate.events import EVENT_COLUMNS, workload_events
    from core.operate.operating import Operator

    with Operator(ctx.store, ctx.settings, args.cluster, actor=ctx.actor) as ops:
        ns = ops.where(args.namespace, args.service)
        with named(ops.cluster.name):
            w, events = workload_events(ops.kube, ns, args.service)
    data = {
        "cluster": ops.cluster.name,
        "namespace": ns,
        "kind": w.kind,
        "name": w.name,
        "events": [e.to_json() for e in events],
    }

    def human(d: dict[str, Any]) -> None:
        if not d["events"]:
            print(
                f"no events for {d['kind'].lower()}/{d['name']} in {d['namespace']} (events expire after an hour)"
            )
            return
        print_table(d["events"], EVENT_COLUMNS)

    return Result(data, human)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return text if len(text) <= 60 else text[:57] + "..."


def _drift(args: argparse.Namespace, ctx: Context) -> Result:
    from core.cli.compose import registry_dirs
    from core.operate.drifting import drift
    from core.operate.operating import Operator

    dirs = registry_dirs(args, ctx)
    with Operator(ctx.store, ctx.settings, args.cluster, actor=ctx.actor) as ops:
        found = drift(ops, args.service, args.namespace, dirs)
    data = [s.to_json() for s in found]

    def human(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            state = "drifted" if row["drifted"] else "in sync"
            print(f"{row['namespace']}/{row['service']} ({row['service_id']}): {state}")
            if row["source_error"]:
                print(f"  source not checked: {row['source_error']}")
            if row["fields"]:
                print_table([{k: _short(v) for k, v in f.items()} for f in row["fields"]], DRIFT_COLUMNS)
        if not rows:
            print("nothing deployed by ushadow runs there")

    drifted = any(s.drifted for s in found)
    return Result(data, human, exit_code=1 if args.exit_code and drifted else 0)


def _rollback(args: argparse.Namespace, ctx: Context) -> Result:
    from core.cli.compose import parse_env
    from core.clusters.sessions import named
    from core.deploy.deploying import recorded_manifests
    from core.deploy.rollback import history, pick_target, roll_back
    from core.operate.finding import find_workload
    from core.operate.operating import Operator

    secrets = parse_env(args.env or [])
    with Operator(ctx.store, ctx.settings, args.cluster, actor=None) as ops:
        ns = ops.where(args.namespace, args.service)
        records = ctx.store.list_deployments(ops.cluster.cluster_id, limit=1000)
        with named(ops.cluster.name):
            name = find_workload(ops.kube, ns, args.service).name
            target = pick_target(history(records, ns, name), args.to)
            ctx.progress(f"rolling {target.name} back to deployment {target.deployment_id}")
            changes, sent, notes = roll_back(ops.kube, target, secrets=secrets)
        status, message, rollout = "applied", f"rolled back to deployment {target.deployment_id}", None
        if args.wait:
            from core.operate.finding import find_workload as find

            with named(ops.cluster.name):
                w = find(ops.kube, ns, name)
            rollout = ops.wait(w, timeout=args.timeout, progress=progress_printer(ctx))
            status = "ready"
        record = ctx.store.record_deployment(
            cluster_id=ops.cluster.cluster_id,
            namespace=ns,
            service_id=target.service_id,
            name=target.name,
            manifests=recorded_manifests(sent),
            resources=[c.to_json() for c in changes],
            status=status,
            message=message,
            dry_run=False,
        )
    data = {
        "deployment_id": record.deployment_id,
        "rolled_back_to": target.deployment_id,
        "cluster": ops.cluster.name,
        "namespace": ns,
        "service_id": target.service_id,
        "name": target.name,
        "status": status,
        "message": message,
        "notes": notes,
        "resources": [c.to_json() for c in changes],
        "rollout": rollout.to_json() if rollout else None,
    }

    def human(d: dict[str, Any]) -> None:
        print_changes(d["resources"])
        print(f"{d['name']}: {d['message']} ({d['status']})")

    return Result(data, human)


def _fleet(args: argparse.Namespace, ctx: Context) -> Result:
    from core.cli.compose import registry_dirs
    from core.errors import InvalidInput
    from core.operate.fleetreads import fleet_view

    labels: dict[str, str] = {}
    for pair in args.label or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidInput(f"--label {pair!r} is not K=V", hint="for example --label env=prod")
        labels[key] = value
    data = fleet_view(ctx.store, ctx.settings, registry_dirs(args, ctx), labels=labels)

    def human(d: dict[str, Any]) -> None:
        names = [
            t["target"]
            + (" (docker)" if t.get("kind") == "docker" else "")
            + ("" if t["reachable"] is not False else " (unreachable)")
            for t in d["targets"]
        ]
        rows = []
        for row in d["services"]:
            line = {"service": row["service_id"]}
            for t, shown in zip(d["targets"], names, strict=True):
                c = row["cells"].get(t["target"])
                line[shown] = "" if c is None else _cell_text(c)
            rows.append(line)
        print_table(rows, ("service", *names))

    return Result(data, human)


def _cell_text(c: dict[str, Any]) -> str:
    ready = "?" if c["ready"] is None else c["ready"]
    drift = "" if c["drift"] in ("none", "unknown") else f" drift:{c['drift']}"
    health = "" if c["health"] in ("ready", "unknown") else f" {c['health']}"
    return f"{c['tag']} {ready}/{c['desired'] if c['desired'] is not None else '?'}{health}{drift}"


def register(sub: Any) -> None:
    fleet = add_command(
        sub, "fleet", _fleet, "each registry service on every cluster/namespace and Docker host it runs on"
    )
    fleet.add_argument(
        "--registry", action="append", metavar="DIR", help="compose folder(s) instead of USHADOW_COMPOSE_DIR"
    )
    fleet.add_argument(
        "--label", action="append", metavar="K=V", help="only clusters with this label (repeatable)"
    )

    events = add_command(sub, "events", _events, "the events of a service's workload, pods and claims")
    add_target_args(events, service=SERVICE_HELP)

    drift = add_command(sub, "drift", _drift, "what changed since the recorded deploy (cluster and source)")
    drift.add_argument("cluster", metavar="CLUSTER", help="cluster id or name")
    drift.add_argument("service", metavar="SERVICE", nargs="?", help=SERVICE_HELP + " (default: all)")
    drift.add_argument("-n", "--namespace", metavar="NS", help="namespace (default: where ushadow deployed)")
    drift.add_argument(
        "--registry", action="append", metavar="DIR", help="compose folder(s) instead of USHADOW_COMPOSE_DIR"
    )
    drift.add_argument("--exit-code", action="store_true", help="exit 1 when anything drifted")

    rollback = add_command(sub, "rollback", _rollback, "re-apply an earlier recorded deploy")
    add_target_args(rollback, service=SERVICE_HELP)
    rollback.add_argument(
        "--to", metavar="DEPLOYMENT_ID", help="this deploy (default: the last good one before)"
    )
    rollback.add_argument(
        "--env", action="append", metavar="KEY=VALUE", help="a secret value the cluster no longer has"
    )
    rollback.add_argument("--wait", action="store_true", help="follow the rollout until ready")
    rollback.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS")
