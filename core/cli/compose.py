"""``ushadow-ops services list``, ``render`` and ``bundle``: the compose registry and its manifests.

Secret values never reach the screen or a file from here, nor does a Secret with placeholder
values that a server would accept: ``render`` prints each Secret as a comment naming its keys,
``--json`` masks them (``ushadow.io/redacted: "true"``), and ``render --out`` and ``bundle`` write
kustomize secret generators that read git-ignored files (``core.manifests.renderdirs``). Real
values go straight to a cluster with ``ushadow-ops deploy``.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from core.cli.base import Context, Result, add_command, print_table
from core.conventions import DEFAULT_NAMESPACE
from core.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from pathlib import Path

    from core.compose.registry import Registry, RegistryEntry

LIST_COLUMNS = ("id", "image", "ports", "infra", "required", "warnings", "error")


def parse_env(pairs: list[str] | None) -> dict[str, str]:
    """``--env KEY=VALUE`` arguments as a dict, by the one rule of ``core.compose.keyvalues``."""
    from core.compose.keyvalues import parse_options

    return parse_options(pairs, "--env")


def registry_dirs(args: argparse.Namespace, ctx: Context) -> list[Path]:
    """``--registry`` folders (repeatable, ``:``-separated) or ``USHADOW_COMPOSE_DIR``."""
    from pathlib import Path

    if not args.registry:
        return list(ctx.settings.compose_dirs)
    dirs = [Path(p).expanduser() for value in args.registry for p in value.split(":") if p]
    for folder in dirs:
        if not folder.is_dir():
            raise NotFound(f"registry folder {folder} does not exist", hint="give a folder of compose files")
    return dirs


def open_registry(
    args: argparse.Namespace,
    ctx: Context,
    env: dict[str, str] | None = None,
    *,
    service_id: str | None = None,
) -> Registry:
    """The registry; with ``service_id``, only as much of it as that service needs (see ``load_registry``)."""
    from core.compose.registry import load_registry

    registry = load_registry(registry_dirs(args, ctx), env=env, service_id=service_id)
    for warning in registry.warnings:
        ctx.progress(f"warning: {warning}")
    return registry


def entry_json(entry: RegistryEntry) -> dict[str, Any]:
    from core.views.services import port_text

    spec = entry.spec
    return {
        "id": entry.service_id,
        "service": entry.service,
        "file": entry.file,
        "image": spec.image if spec else None,
        "ports": [port_text(p) for p in spec.ports] if spec else [],
        "infra": entry.infra,
        "infra_type": entry.infra_type,
        "namespace": entry.meta.namespace,
        "display_name": entry.meta.display_name,
        "description": entry.meta.description,
        "profiles": entry.profiles,
        "required_variables": entry.required_variables,
        "warnings": entry.warnings,
        "error": entry.error,
    }


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# -- services list ------------------------------------------------------------------------------


def _list(args: argparse.Namespace, ctx: Context) -> Result:
    registry = open_registry(args, ctx)
    entries = [e for e in registry.entries if e.infra or not args.infra]
    data = [entry_json(e) for e in entries]

    def human(rows: list[dict[str, Any]]) -> None:
        print_table(
            [
                {
                    "id": r["id"],
                    "image": r["image"] or "-",
                    "ports": ", ".join(r["ports"]),
                    "infra": "yes" if r["infra"] else "",
                    "required": _short(", ".join(r["required_variables"]), 40),
                    "warnings": len(r["warnings"]) or "",
                    "error": _short(r["error"] or "", 60),
                }
                for r in rows
            ],
            LIST_COLUMNS,
        )
        broken = [r for r in rows if r["error"]]
        if broken:  # the table cuts errors short: each in full below it
            print()
            for r in broken:
                print(f"error in {r['id']}: {r['error']}")

    return Result(data, human)


# -- render -------------------------------------------------------------------------------------


def _render(args: argparse.Namespace, ctx: Context) -> Result:
    from pathlib import Path

    from core.manifests.compiler import compile_service
    from core.manifests.filewriting import RENDER_LEDGER, write_files
    from core.manifests.renderdirs import render_folder, secret_comment
    from core.manifests.yamldocs import to_yaml

    env = parse_env(args.env)
    registry = open_registry(args, ctx, env, service_id=args.service_id)
    entry = registry.get(args.service_id)
    project = registry.projects.get(entry.file)
    if entry.spec is None or project is None or entry.service not in project.services:
        raise InvalidInput(f"{entry.service_id} cannot be read: {entry.error}", hint="fix the compose file")
    if entry.spec.unmet:  # as compose: ``${VAR:?message}`` with no value stops the service
        names = [v for v in entry.spec.required_variables if any(f" {v} " in u for u in entry.spec.unmet)]
        raise InvalidInput(
            f"{entry.service_id}: {'; '.join(entry.spec.unmet)}",
            hint="give it with "
            + " ".join(f"--env {n}=VALUE" for n in names or ["VAR"])
            + ", or set it in .env",
        )
    namespace = args.namespace or entry.meta.namespace or DEFAULT_NAMESPACE
    compiled = compile_service(
        project.services[entry.service], project=project, namespace=namespace, service_id=entry.service_id
    )
    data = compiled.to_json()
    if args.out:
        out = Path(args.out).expanduser()
        folder = render_folder(compiled)
        _move_old_ledger(out)
        synced = write_files(out, folder.files, ledger=RENDER_LEDGER, prune=False)
        data["out_dir"] = str(out)
        data["files"] = sorted(folder.manifests)
        data["written"] = synced.written
        data["seeded"] = synced.seeded
        data["to_fill"] = sorted(rel for rel in folder.seeds if not (out / rel).exists())

    def human(d: dict[str, Any]) -> None:
        for warning in d["warnings"]:
            sys.stderr.write(f"warning: {warning}\n")
        for note in d["notes"]:
            sys.stderr.write(f"note: {note}\n")
        if "out_dir" in d:
            print(f"wrote {len(d['files'])} files for {d['service_id']} into {d['out_dir']}:")
            for name in d["files"]:
                print(f"  {name}")
            for name in d["to_fill"]:
                print(f"  make {name} from {name}.example and fill it in (git-ignored)")
            if d["to_fill"]:
                print(f"then: kubectl apply -k {d['out_dir']} (it fails until those files exist)")
        else:
            for obj in d["objects"]:
                text = secret_comment(obj) if obj["kind"] == "Secret" else to_yaml([obj])
                sys.stdout.write(text)

    return Result(data, human)


def _move_old_ledger(out: Path) -> None:
    """An earlier render's ledger lay in DIR itself, where ``kubectl apply -f DIR`` read it: move it."""
    from core.manifests.filewriting import OLD_RENDER_LEDGER, RENDER_LEDGER

    old, new = out / OLD_RENDER_LEDGER, out / RENDER_LEDGER
    if old.is_file() and not new.exists():
        new.parent.mkdir(parents=True, exist_ok=True)
        old.rename(new)


# -- bundle -------------------------------------------------------------------------------------


def _bundle(args: argparse.Namespace, ctx: Context) -> Result:
    from pathlib import Path

    from core.manifests.bundles import write_bundle

    registry = open_registry(args, ctx, parse_env(args.env))
    result = write_bundle(
        registry,
        Path(args.out).expanduser(),
        namespace=args.namespace or DEFAULT_NAMESPACE,
        force_namespace=args.namespace is not None,
        profiles=args.profile,
    )
    data = result.to_json()

    def human(d: dict[str, Any]) -> None:
        print(
            f"bundle in {d['out_dir']}: {len(d['services'])} services, {len(d['written'])} files written, "
            f"{len(d['unchanged'])} unchanged, {len(d['removed'])} removed"
        )
        for sid, reason in d["skipped"].items():
            print(f"  skipped {sid}: {reason}")
        for path in d["kept"]:
            print(f"  kept {path} (no longer generated, but changed by hand)")
        for warning in d["warnings"]:
            print(f"  warning: {warning}")
        for name in d["to_fill"]:
            example = " from " + name + ".example" if name.endswith(".env") else ""
            print(f"  make {name}{example} and fill it in (git-ignored)")
        if d["to_fill"]:
            print(
                f"fill in those {len(d['to_fill'])} secret files (kubectl apply -k fails until they exist), then:"
            )
        print(f"  kubectl apply -k {d['out_dir']}    (advice: {d['out_dir']}/tweaks/README.md)")

    return Result(data, human)


# -- wiring -------------------------------------------------------------------------------------


def _registry_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--registry",
        action="append",
        metavar="DIR",
        help="compose folder(s) to read instead of USHADOW_COMPOSE_DIR (repeatable, or ':'-separated)",
    )


def register(sub: Any) -> None:
    services = sub.add_parser("services", help="the compose registry")
    inner = services.add_subparsers(dest="services_command", metavar="COMMAND")
    inner.required = True
    listing = add_command(inner, "list", _list, "list every service of the compose registry")
    _registry_flag(listing)
    listing.add_argument("--infra", action="store_true", help="only infrastructure services")

    render = add_command(
        sub,
        "render",
        _render,
        "print a service's Kubernetes manifests (Secrets as comments: keys, no values)",
    )
    render.add_argument("service_id", metavar="SERVICE_ID", help="<file-stem>:<service>, see `services list`")
    _registry_flag(render)
    render.add_argument(
        "-n", "--namespace", help="target namespace (default: the file's x-ushadow namespace)"
    )
    render.add_argument("--env", action="append", metavar="KEY=VALUE", help="a setting for interpolation")
    render.add_argument(
        "--out",
        metavar="DIR",
        help="write a folder for kubectl apply -f/-k instead: one file per object, Secrets as kustomize "
        "generators reading git-ignored .env files",
    )

    bundle = add_command(sub, "bundle", _bundle, "write a kustomize tree of the whole registry")
    _registry_flag(bundle)
    bundle.add_argument("--out", metavar="DIR", required=True, help="the bundle folder")
    bundle.add_argument("-n", "--namespace", help="put every service in this namespace (default: per file)")
    bundle.add_argument("--env", action="append", metavar="KEY=VALUE", help="a setting for interpolation")
    bundle.add_argument(
        "--profile",
        action="append",
        metavar="NAME",
        help="a compose profile to activate (repeatable; '*' for all); default: services without profiles",
    )
