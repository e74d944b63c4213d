"""``ushadow-ops envmap``, ``deploy`` and ``deploy-infra|deploy-app|deploy-all``: writing environments and
deploying compose services. ``-n`` defaults to the cluster's stored namespace.

A deploy whose rollout fails still prints its document (``--json``: the one JSON document, with
``status: "failed"``), then the one-line error on stderr, and exits non-zero.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.cli.base import Context, Result, add_command, print_table
from core.cli.compose import parse_env, registry_dirs
from core.cli.output import (
    DEFAULT_TIMEOUT,
    add_target_args,
    print_changes,
    print_failure,
    progress_printer,
)
from core.errors import RolloutFailed

ROW_COLUMNS = ("name", "value", "source", "from")


def _envmap(args: argparse.Namespace, ctx: Context) -> Result:
    from core.deploy.envmaps import write_envmap
    from core.operate.operating import Operator

    env = parse_env(args.env)
    with Operator(ctx.store, ctx.settings, args.cluster, actor=ctx.actor) as ops:
        result = write_envmap(ops.kube, ops.namespace(args.namespace), args.name, env, dry_run=args.dry_run)
        if not args.dry_run:
            ops.store.audit(
                "envmap",
                f"{result.namespace}/{result.name}",
                {"cluster": ops.cluster.name, "keys": sorted(env)},
                actor=ctx.actor,
            )
    data = {"cluster": ops.cluster.name, "dry_run": args.dry_run, **result.to_json()}

    def human(d: dict[str, Any]) -> None:
        if d["dry_run"]:
            print("dry run (server-side): what would change; nothing was changed")
        print_changes(d["resources"])
        print(
            f"config keys: {', '.join(d['config_keys']) or '-'}; secret keys: {', '.join(d['secret_keys']) or '-'}"
        )
        if d["dry_run"]:
            return
        restart = f"ushadow-ops restart {d['cluster']} {d['name']} -n {d['namespace']}"
        print(f"pods read their environment at start: `{restart}` applies it")

    return Result(data, human)


def _print_deploy(d: dict[str, Any], *, outcome_line: bool = True) -> None:
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
    print_changes(d["resources"])
    for warning in d["warnings"]:
        print(f"warning: {warning}")
    for note in d["notes"]:
        print(f"note: {note}")
    if outcome_line:  # a failure is said once, by the error line on stderr
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
        progress=progress_printer(ctx),
        actor=ctx.actor,
    )
    data = outcome.to_json()
    if outcome.error is not None:
        error = outcome.error

        def failed(d: dict[str, Any]) -> None:
            _print_deploy(d, outcome_line=False)
            print_failure(error)

        if args.json:
            print_failure(error)
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
            progress=progress_printer(ctx),
            profiles=args.profile,
            actor=ctx.actor,
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
        add_target_args(parser)
        _deploy_flags(parser)
        parser.add_argument(
            "--profile",
            action="append",
            metavar="P",
            help="a compose profile to activate (repeatable; '*' for all); default: services without profiles",
        )
