"""``ushadow-ops status``, ``logs``, ``restart``, ``scale``, ``undeploy`` and ``deployments``: looking after
what ushadow deployed (``envmap`` and the deploys are in ``core.cli.deploying``). ``-n`` defaults to
the cluster's stored namespace everywhere.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.cli.base import Context, Result, add_command, print_table
from core.cli.output import (
    DEFAULT_TIMEOUT,
    add_target_args,
    print_changes,
    progress_printer,
)

STATUS_COLUMNS = ("workload", "ready", "updated", "available", "pods", "images")
POD_COLUMNS = ("pod", "phase", "ready", "restarts", "age", "node", "reason")


# -- envmap ---------------------------------------------------------------------------------------


# -- deploy -------------------------------------------------------------------------------------


# -- day 2 --------------------------------------------------------------------------------------


def _status(args: argparse.Namespace, ctx: Context) -> Result:
    from core.operate.operating import Operator

    with Operator(ctx.store, ctx.settings, args.cluster, actor=ctx.actor) as ops:
        found = ops.status(args.namespace, args.service)
        searched = [ops.namespace(args.namespace)] if args.namespace else ops.deployed_namespaces()
    where = sorted({w.workload.namespace for w in found}) or searched
    data = {
        "cluster": ops.cluster.name,
        "namespace": where[0] if len(where) == 1 else None,
        "namespaces": where,
        "workloads": [w.to_json() for w in found],
    }

    def human(d: dict[str, Any]) -> None:
        print(f"{d['cluster']} / {', '.join(d['namespaces'])}")
        print_table(
            [
                {
                    "workload": _workload_ref(w, several=len(d["namespaces"]) > 1),
                    "ready": f"{w['ready']}/{w['desired']}",
                    "updated": w["updated"],
                    "available": w["available"],
                    "pods": len(w["pods"]),
                    "images": ", ".join(w["images"]),
                }
                for w in d["workloads"]
            ],
            STATUS_COLUMNS,
        )
        runs = [w for w in d["workloads"] if "job" in w]
        if runs:
            print()
            print_table([_job_row(w) for w in runs], JOB_COLUMNS)
        pods = [{"pod": p["name"], **p} for w in d["workloads"] for p in w["pods"]]
        if pods:
            print()
            print_table(pods, POD_COLUMNS)

    return Result(data, human)


JOB_COLUMNS = ("job", "state", "completions", "failed", "active", "schedule", "last run", "running jobs")


def _job_row(w: dict[str, Any]) -> dict[str, Any]:
    """A Job's or CronJob's line in ``status``: completions/failed/active, or schedule and last run."""
    job = w["job"]
    if w["kind"] == "CronJob":
        return {
            "job": f"cronjob/{w['name']}",
            "state": "suspended" if job["suspended"] else "scheduled",
            "schedule": job["schedule"],
            "last run": job["last_schedule_time"] or "never",
            "running jobs": ", ".join(job["active_jobs"]),
        }
    state = "complete" if job["complete"] else f"failed: {job['failure']}" if job["failure"] else "running"
    return {
        "job": f"job/{w['name']}",
        "state": state,
        "completions": f"{job['succeeded']}/{job['completions']}",
        "failed": job["failed"],
        "active": job["active"],
    }


def _logs(args: argparse.Namespace, ctx: Context) -> Result:
    from core.operate.operating import Operator

    with Operator(ctx.store, ctx.settings, args.cluster, actor=ctx.actor) as ops:
        found = ops.logs(
            args.namespace,
            args.service,
            tail=args.tail,
            container=args.container,
            previous=args.previous,
            pod=args.pod,
        )
    data = [log.to_json() for log in found]

    def human(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if len(rows) > 1:
                print(f"==> {row['pod']}/{row['container']}{' (previous)' if row['previous'] else ''} <==")
            sys.stdout.write(
                row["text"] if row["text"].endswith("\n") or not row["text"] else row["text"] + "\n"
            )

    return Result(data, human)


def _restart(args: argparse.Namespace, ctx: Context) -> Result:
    from core.operate.operating import Operator

    with Operator(ctx.store, ctx.settings, args.cluster, actor=ctx.actor) as ops:
        w = ops.restart(args.namespace, args.service)
        ctx.progress(f"restarting {w.kind} {w.name}")
        rollout = ops.wait(w, timeout=args.timeout, progress=progress_printer(ctx)) if args.wait else None
    data = {
        "cluster": ops.cluster.name,
        "kind": w.kind,
        "name": w.name,
        "namespace": w.namespace,
        "restarted_at": ((w.obj["spec"]["template"]["metadata"].get("annotations")) or {}).get(
            "kubectl.kubernetes.io/restartedAt"
        ),
        "rollout": rollout.to_json() if rollout else None,
    }
    return Result(data, lambda d: print(f"{d['kind'].lower()}/{d['name']} restarted at {d['restarted_at']}"))


def _scale(args: argparse.Namespace, ctx: Context) -> Result:
    from core.operate.operating import Operator

    with Operator(ctx.store, ctx.settings, args.cluster, actor=ctx.actor) as ops:
        w, before = ops.scale(args.namespace, args.service, args.replicas)
        rollout = ops.wait(w, timeout=args.timeout, progress=progress_printer(ctx)) if args.wait else None
    data = {
        "cluster": ops.cluster.name,
        "kind": w.kind,
        "name": w.name,
        "namespace": w.namespace,
        "from": before,
        "to": args.replicas,
        "rollout": rollout.to_json() if rollout else None,
    }
    return Result(
        data, lambda d: print(f"{d['kind'].lower()}/{d['name']} scaled from {d['from']} to {d['to']}")
    )


def _undeploy(args: argparse.Namespace, ctx: Context) -> Result:
    from core.operate.operating import Operator

    with Operator(ctx.store, ctx.settings, args.cluster, actor=ctx.actor) as ops:
        namespace = ops.where(args.namespace, args.service, missing_ok=True)
        changes = ops.undeploy(namespace, args.service, delete_volumes=args.delete_volumes)
    data = {
        "cluster": ops.cluster.name,
        "namespace": namespace,
        "service": args.service,
        "resources": [c.to_json() for c in changes],
    }

    def human(d: dict[str, Any]) -> None:
        print_changes(d["resources"])
        for r in d["resources"]:
            if r["note"]:
                print(f"{r['kind']}/{r['name']}: {r['note']}")

    return Result(data, human)


def _deployments(args: argparse.Namespace, ctx: Context) -> Result:
    from core.settings import who

    names = ctx.store.target_names()  # a host's records: namespace = compose project
    rows = [
        {**d.to_json(), "cluster": names.get(d.cluster_id)}
        for d in ctx.store.list_deployments(args.cluster, limit=args.limit, manifests=False)
        if args.dry_runs or not d.dry_run
    ]

    def human(data: list[dict[str, Any]]) -> None:
        print_table(
            [
                {
                    **r,
                    "resources": len(r["resources"]),
                    "dry_run": "yes" if r["dry_run"] else "",
                    "created_by": who(r["created_by"]),
                }
                for r in data
            ],
            ("created_at", "cluster", "namespace", "service_id", "name", "status", "dry_run", "created_by"),
        )

    return Result(rows, human)


# -- wiring -------------------------------------------------------------------------------------


SERVICE_HELP = "the Kubernetes name the service was deployed under, or its SERVICE_ID"


def register(sub: Any) -> None:
    status = add_command(sub, "status", _status, "replicas and pods of what ushadow deployed")
    status.add_argument("cluster", metavar="CLUSTER", help="cluster id or name")
    status.add_argument("service", metavar="SERVICE", nargs="?", help=SERVICE_HELP + " (default: all)")
    status.add_argument("-n", "--namespace", metavar="NS", help="namespace (default: the cluster's)")

    logs = add_command(sub, "logs", _logs, "the log of a service's pods")
    add_target_args(logs, service=SERVICE_HELP)
    logs.add_argument("--tail", type=int, default=100, metavar="N", help="the last N lines (100)")
    logs.add_argument("--container", "-c", metavar="C", help="container (default: the first)")
    logs.add_argument("--previous", "-p", action="store_true", help="the previous (crashed) container's log")
    logs.add_argument("--pod", metavar="POD", help="only this pod")

    restart = add_command(sub, "restart", _restart, "replace every pod of a service (rollout restart)")
    add_target_args(restart, service=SERVICE_HELP)
    restart.add_argument("--wait", action="store_true", help="follow the rollout until ready")
    restart.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS")

    scale = add_command(sub, "scale", _scale, "set the number of replicas (0 stops the service)")
    scale.add_argument("cluster", metavar="CLUSTER", help="cluster id or name")
    scale.add_argument("service", metavar="SERVICE", help=SERVICE_HELP)
    scale.add_argument("replicas", metavar="REPLICAS", type=int, help="how many pods")
    scale.add_argument("-n", "--namespace", metavar="NS", help="namespace (default: the cluster's)")
    scale.add_argument("--wait", action="store_true", help="wait until that many are ready")
    scale.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS")

    undeploy = add_command(sub, "undeploy", _undeploy, "remove what ushadow deployed for a service")
    add_target_args(undeploy, service=SERVICE_HELP)
    undeploy.add_argument(
        "--delete-volumes", action="store_true", help="also delete its PersistentVolumeClaims"
    )

    deployments = add_command(sub, "deployments", _deployments, "list recorded deployments, newest first")
    deployments.add_argument(
        "cluster", metavar="CLUSTER", nargs="?", help="only this cluster's or Docker host's"
    )
    deployments.add_argument("--limit", type=int, default=100, help="at most this many (100)")
    deployments.add_argument(
        "--dry-runs", action="store_true", help="list dry runs too (left out by default)"
    )


def _workload_ref(w: dict[str, Any], *, several: bool) -> str:
    """``deployment/web``, or ``ns/deployment/web`` when the table spans namespaces."""
    ref = f"{w['kind'].lower()}/{w['name']}"
    return f"{w['namespace']}/{ref}" if several else ref
