"""``ushadow-ops envmap``, ``deploy``, ``deploy-infra|deploy-app|deploy-all``, ``status``, ``logs``,
``restart``, ``scale``, ``undeploy`` and ``deployments``: putting services on a cluster and looking
after them. ``-n`` defaults to the cluster's stored namespace everywhere.

A deploy whose rollout fails still prints its document (``--json``: the one JSON document, with
``status: "failed"``), then the one-line error on stderr, and exits non-zero.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.cli.base import Context, Result, add_command, print_table
from core.cli.compose import parse_env, registry_dirs
from core.errors import RolloutFailed, UshadowError

DEFAULT_TIMEOUT = 300.0
ROW_COLUMNS = ("name", "value", "source", "from")
CHANGE_COLUMNS = ("action", "object", "changed")
STATUS_COLUMNS = ("workload", "ready", "updated", "available", "pods", "images")
POD_COLUMNS = ("pod", "phase", "ready", "restarts", "age", "node", "reason")


def _progress(ctx: Context) -> Any:
    def progress(message: str, fraction: float) -> None:
        ctx.progress(f"[{fraction:4.0%}] {message}")

    return progress


def _fail_line(exc: UshadowError) -> None:
    line = f"error: {exc.message}"
    if exc.hint:
        line += f" ({exc.hint})"
    sys.stderr.write(line + "\n")


def _print_changes(resources: list[dict[str, Any]]) -> None:
    print_table(
        [
            {
                "action": r["action"],
                "object": f"{r['kind']}/{r['name']}",
                "changed": ", ".join(r["changed"][:4]) + (" ..." if len(r["changed"]) > 4 else ""),
            }
            for r in resources
        ],
        CHANGE_COLUMNS,
    )


# -- envmap ---------------------------------------------------------------------------------------


def _envmap(args: argparse.Namespace, ctx: Context) -> Result:
    from core.deploy.deploying import write_envmap
    from core.operate.operating import Operator

    env = parse_env(args.env)
    with Operator(ctx.store, ctx.settings, args.cluster) as ops:
        result = write_envmap(ops.kube, ops.namespace(args.namespace), args.name, env, dry_run=args.dry_run)
        if not args.dry_run:
            ops.store.audit(
                "envmap",
                f"{result.namespace}/{result.name}",
                {"cluster": ops.cluster.name, "keys": sorted(env)},
            )
    data = {"cluster": ops.cluster.name, "dry_run": args.dry_run, **result.to_json()}

    def human(d: dict[str, Any]) -> None:
        if d["dry_run"]:
            print("dry run (server-side): what would change; nothing was changed")
        _print_changes(d["resources"])
        print(
            f"config keys: {', '.join(d['config_keys']) or '-'}; secret keys: {', '.join(d['secret_keys']) or '-'}"
        )
        if d["dry_run"]:
            return
        restart = f"ushadow-ops restart {d['cluster']} {d['name']} -n {d['namespace']}"
        print(f"pods read their environment at start: `{restart}` applies it")

    return Result(data, human)


# -- deploy -------------------------------------------------------------------------------------


def _print_deploy(d: dict[str, Any]) -> None:
    print(f"{d['service_id']} -> {d['kind']} {d['name']} in {d['namespace']} on {d['cluster']}")
    print()
    print_table(
        [
            {
                "name": r["name"],
                "value": "" if r["value"] is None else r["value"],
                "source": r["source"],
                "from": r["match"] or r["note"] or "",
            }
            for r in d["environment"]
        ],
        ROW_COLUMNS,
    )
    print()
    _print_changes(d["resources"])
    for warning in d["warnings"]:
        print(f"warning: {warning}")
    for note in d["notes"]:
        print(f"note: {note}")
    print()
    print(f"{d['status']}: {d['message']}")


def _deploy(args: argparse.Namespace, ctx: Context) -> Result:
    from core.deploy.deploying import deploy_service

    outcome = deploy_service(
        ctx.store,
        ctx.settings,
        cluster=args.cluster,
        service_id=args.service_id,
        namespace=args.namespace,
        env=parse_env(args.env),
        dry_run=args.dry_run,
        wait=args.wait,
        timeout=args.timeout,
        registry_dirs=registry_dirs(args, ctx),
        progress=_progress(ctx),
    )
    data = outcome.to_json()
    if outcome.error is not None:
        error = outcome.error

        def failed(d: dict[str, Any]) -> None:
            _print_deploy(d)
            _fail_line(error)

        if args.json:
            _fail_line(error)
        return Result(data, failed, exit_code=error.exit_code)
    return Result(data, _print_deploy)


def _deploy_group(group: str) -> Any:
    def handler(args: argparse.Namespace, ctx: Context) -> Result:
        from core.deploy.groupdeploying import deploy_group

        items = deploy_group(
            ctx.store,
            ctx.settings,
            cluster=args.cluster,
            group=group,  # type: ignore[arg-type]
            namespace=args.namespace,
            env=parse_env(args.env),
            wait=args.wait,
            dry_run=args.dry_run,
            timeout=args.timeout,
            registry_dirs=registry_dirs(args, ctx),
            progress=_progress(ctx),
        )
        data = [i.to_json() for i in items]
        bad = [i for i in items if i.status == "failed"]

        def human(rows: list[dict[str, Any]]) -> None:
            print_table(
                [
                    {
                        "service": r["service_id"],
                        "infra": "yes" if r["infra"] else "",
                        "status": r["status"],
                        "message": r["message"],
                    }
                    for r in rows
                ],
                ("service", "infra", "status", "message"),
            )

        if bad:
            sys.stderr.write(
                f"error: {len(bad)} of {len(items)} services failed: {', '.join(i.service_id for i in bad)}\n"
            )
            return Result(data, human, exit_code=RolloutFailed.exit_code)
        return Result(data, human)

    return handler


# -- day 2 --------------------------------------------------------------------------------------


def _status(args: argparse.Namespace, ctx: Context) -> Result:
    from core.operate.operating import Operator

    with Operator(ctx.store, ctx.settings, args.cluster) as ops:
        namespace = ops.namespace(args.namespace)
        found = ops.status(namespace, args.service)
    data = {"cluster": ops.cluster.name, "namespace": namespace, "workloads": [w.to_json() for w in found]}

    def human(d: dict[str, Any]) -> None:
        print(f"{d['cluster']} / {d['namespace']}")
        print_table(
            [
                {
                    "workload": f"{w['kind'].lower()}/{w['name']}",
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
        pods = [{"pod": p["name"], **p} for w in d["workloads"] for p in w["pods"]]
        if pods:
            print()
            print_table(pods, POD_COLUMNS)

    return Result(data, human)


def _logs(args: argparse.Namespace, ctx: Context) -> Result:
    from core.operate.operating import Operator

    with Operator(ctx.store, ctx.settings, args.cluster) as ops:
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

    with Operator(ctx.store, ctx.settings, args.cluster) as ops:
        w = ops.restart(args.namespace, args.service)
        ctx.progress(f"restarting {w.kind} {w.name}")
        rollout = ops.wait(w, timeout=args.timeout, progress=_progress(ctx)) if args.wait else None
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

    with Operator(ctx.store, ctx.settings, args.cluster) as ops:
        w, before = ops.scale(args.namespace, args.service, args.replicas)
        rollout = ops.wait(w, timeout=args.timeout, progress=_progress(ctx)) if args.wait else None
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

    with Operator(ctx.store, ctx.settings, args.cluster) as ops:
        namespace = ops.namespace(args.namespace)
        changes = ops.undeploy(namespace, args.service, delete_volumes=args.delete_volumes)
    data = {
        "cluster": ops.cluster.name,
        "namespace": namespace,
        "service": args.service,
        "resources": [c.to_json() for c in changes],
    }

    def human(d: dict[str, Any]) -> None:
        _print_changes(d["resources"])
        for r in d["resources"]:
            if r["note"]:
                print(f"{r['kind']}/{r['name']}: {r['note']}")

    return Result(data, human)


def _deployments(args: argparse.Namespace, ctx: Context) -> Result:
    names = {c.cluster_id: c.name for c in ctx.store.list_clusters()}
    rows = [
        {**d.to_json(), "cluster": names.get(d.cluster_id)}
        for d in ctx.store.list_deployments(args.cluster, limit=args.limit)
    ]

    def human(data: list[dict[str, Any]]) -> None:
        print_table(
            [{**r, "resources": len(r["resources"]), "dry_run": "yes" if r["dry_run"] else ""} for r in data],
            ("created_at", "cluster", "namespace", "service_id", "name", "status", "dry_run", "created_by"),
        )

    return Result(rows, human)


# -- wiring -------------------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser, *, service: str | None = None) -> None:
    parser.add_argument("cluster", metavar="CLUSTER", help="cluster id or name")
    if service:
        parser.add_argument("service", metavar="SERVICE", help=service)
    parser.add_argument("-n", "--namespace", metavar="NS", help="namespace (default: the cluster's)")


def _deploy_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env", action="append", metavar="KEY=VALUE", help="a value for the environment (repeatable)"
    )
    parser.add_argument("--dry-run", action="store_true", help="show what would change (server-side dry run)")
    parser.add_argument("--wait", action="store_true", help="follow the rollout until ready")
    parser.add_argument(
        "--registry",
        action="append",
        metavar="DIR",
        help="compose folder(s) to read instead of USHADOW_COMPOSE_DIR (repeatable, or ':'-separated)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="how long --wait waits (300)",
    )


SERVICE_HELP = "the Kubernetes name the service was deployed under, or its SERVICE_ID"


def register(sub: Any) -> None:
    envmap = add_command(
        sub, "envmap", _envmap, "write a service's ConfigMap and Secret (<name>-config/-secrets)"
    )
    envmap.add_argument("cluster", metavar="CLUSTER", help="cluster id or name")
    envmap.add_argument("name", metavar="SERVICE_NAME", help="the service's Kubernetes name")
    envmap.add_argument("-n", "--namespace", metavar="NS", help="namespace (default: the cluster's)")
    envmap.add_argument(
        "--env",
        action="append",
        required=True,
        metavar="KEY=VALUE",
        help="the whole environment (repeatable; keys left out are removed)",
    )
    envmap.add_argument("--dry-run", action="store_true", help="show what would change (server-side dry run)")

    deploy = add_command(sub, "deploy", _deploy, "deploy a compose service (server-side apply)")
    deploy.add_argument("cluster", metavar="CLUSTER", help="cluster id or name")
    deploy.add_argument("service_id", metavar="SERVICE_ID", help="<file-stem>:<service>, see `services list`")
    deploy.add_argument("-n", "--namespace", metavar="NS", help="namespace (default: the cluster's)")
    _deploy_flags(deploy)

    for group, text in (
        ("infra", "deploy every infrastructure service of the registry"),
        ("app", "deploy every application service of the registry"),
        ("all", "deploy the infrastructure (waiting until ready), then the applications"),
    ):
        parser = add_command(sub, f"deploy-{group}", _deploy_group(group), text)
        _common(parser)
        _deploy_flags(parser)

    status = add_command(sub, "status", _status, "replicas and pods of what ushadow deployed")
    status.add_argument("cluster", metavar="CLUSTER", help="cluster id or name")
    status.add_argument("service", metavar="SERVICE", nargs="?", help=SERVICE_HELP + " (default: all)")
    status.add_argument("-n", "--namespace", metavar="NS", help="namespace (default: the cluster's)")

    logs = add_command(sub, "logs", _logs, "the log of a service's pods")
    _common(logs, service=SERVICE_HELP)
    logs.add_argument("--tail", type=int, default=100, metavar="N", help="the last N lines (100)")
    logs.add_argument("--container", "-c", metavar="C", help="container (default: the first)")
    logs.add_argument("--previous", "-p", action="store_true", help="the previous (crashed) container's log")
    logs.add_argument("--pod", metavar="POD", help="only this pod")

    restart = add_command(sub, "restart", _restart, "replace every pod of a service (rollout restart)")
    _common(restart, service=SERVICE_HELP)
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
    _common(undeploy, service=SERVICE_HELP)
    undeploy.add_argument(
        "--delete-volumes", action="store_true", help="also delete its PersistentVolumeClaims"
    )

    deployments = add_command(sub, "deployments", _deployments, "list recorded deployments, newest first")
    deployments.add_argument("cluster", metavar="CLUSTER", nargs="?", help="only this cluster's")
    deployments.add_argument("--limit", type=int, default=100, help="at most this many (100)")
