"""The ``ushadow-ops`` command line: argument parsing and the one place errors become exit codes.

Each area registers its subcommands from its own module (listed in :data:`AREAS`). A handler takes
``(args, ctx)`` and returns a :class:`~core.cli.base.Result` (a JSON-able value), printed as one
JSON document with ``--json`` and through the handler's ``human`` printer otherwise. Every ``core``
error is turned into one line on stderr and a non-zero exit code.

Start-up is the cost people feel (ops staff run this in loops), so parsing stays cheap:

- Parsing imports the area modules (see :data:`COMMAND_AREAS` for which). An area
  module's top level imports only the standard library's quick modules (``argparse``, ``sys``,
  ``typing``), ``core.cli.base`` and ``core.errors``: its ``register(sub)`` defines arguments and
  nothing else.
- A handler imports what it works with inside its body (``from core.scan.jobs import run_scan``),
  so a command loads its own capability and no other: nothing of ``kubernetes``, ``sqlalchemy``,
  ``pandas`` or ``alembic`` for ``--help``, usage errors, ``services list``, ``render`` or
  ``bundle``; the database layer only when a handler touches ``ctx.store`` (opened on first use).
  Types a signature names come in under ``if TYPE_CHECKING:``.
- A command line builds only the parser of the area its command is in (:data:`COMMAND_AREAS`);
  help and anything unknown build every area's.
- A new area module follows the same rules and is added to :data:`AREAS`, its commands to
  :data:`COMMAND_AREAS`.
  ``tests/unit/test_cli_imports.py`` runs each command family in a subprocess and pins the heavy
  modules it loads, so a top-level import that slips in fails there.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from core.cli.base import Context, Parser, Result, common_parser
from core.errors import UshadowError

# The modules under core.cli that register subcommands (each keeps its top-level imports light).
AREAS = (
    "local",
    "clusters",
    "hosts",
    "scans",
    "compose",
    "deploying",
    "operate",
    "tokens",
    "remote",
    "fleet",
    "hostops",
)

# The areas that register (or, as ``hostops`` does for Docker hosts, extend) each command. A command
# line naming one of these builds those areas' parsers alone (the others are neither imported nor
# built); any other (help, a typo, a command missing here) builds them all, so this only ever saves
# time. tests/unit/test_cli_imports.py keeps it equal to what the areas register.
_HOSTS_TOO = ("deploy", "status", "logs", "restart", "scale", "undeploy")
COMMAND_AREAS: dict[str, tuple[str, ...]] = {
    "local-cluster": ("local",),
    "clusters": ("clusters",),
    "hosts": ("hosts",),
    "scan": ("scans",),
    "scans": ("scans",),
    "services": ("compose",),
    "render": ("compose",),
    "bundle": ("compose",),
    **{c: ("deploying", "hostops") if c in _HOSTS_TOO else ("deploying",)
       for c in ("deploy", "deploy-all", "deploy-app", "deploy-infra", "envmap")},
    **{c: ("operate", "hostops") if c in _HOSTS_TOO else ("operate",)
       for c in ("deployments", "logs", "restart", "scale", "status", "undeploy")},
    "tokens": ("tokens",),
    "exec": ("remote", "hostops"),
    "port-forward": ("remote",),
    **dict.fromkeys(("drift", "events", "fleet", "rollback"), ("fleet",)),
}  # fmt: skip


def areas_for(argv: Sequence[str]) -> tuple[str, ...]:
    """The areas whose parsers ``argv`` needs: the named command's alone, else all of them."""
    for arg in argv:
        if arg in ("-h", "--help"):
            return AREAS
        if arg.startswith("-"):  # --json or --debug before the command
            continue
        return COMMAND_AREAS.get(arg, AREAS)
    return AREAS


def build_parser(areas: Sequence[str] = AREAS) -> argparse.ArgumentParser:
    import importlib

    parser = Parser(
        prog="ushadow-ops",
        description="Run the ushadow services on Kubernetes: clusters, scans, compose, deploys.",
        parents=[common_parser()],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for area in areas:
        module = importlib.import_module(f"core.cli.{area}")
        module.register(sub)
    return parser


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=False, default=str) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    Parser.json_errors = "--json" in argv
    parser = build_parser(areas_for(argv))
    args = parser.parse_args(argv)
    ctx = Context(args)  # also gives args its --json/--debug defaults
    import logging  # after parsing: help and usage errors never pay for it

    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    handler: Callable[[argparse.Namespace, Context], Result] = args.handler
    try:
        result = handler(args, ctx)
    except UshadowError as exc:
        if args.debug:
            logging.getLogger("ushadow").exception("command failed")
        line = f"error: {exc.message}"
        if exc.hint:
            line += f" ({exc.hint})"
        sys.stderr.write(line + "\n")
        if args.json:  # stdout stays exactly one JSON document, failures included
            hint = {"hint": exc.hint} if exc.hint else {}  # no "hint": null, as the API's documents
            _print_json({"error": {"type": exc.title, "message": exc.message, **hint}})
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        return 130
    except Exception as exc:  # the one catch-all: a person never sees a traceback without --debug
        if args.debug:
            raise
        sys.stderr.write(
            f"error: unexpected {type(exc).__name__}: {exc} (run again with --debug for the full trace)\n"
        )
        if args.json:
            _print_json(
                {
                    "error": {
                        "type": type(exc).__name__,
                        "message": str(exc),
                        "hint": "run again with --debug for the full trace",
                    }
                }
            )
        return 1
    finally:
        ctx.close()
    try:
        if args.json:
            _print_json(result.data)
        elif result.human is not None:
            result.human(result.data)
        elif result.data is not None:
            _print_json(result.data)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return result.exit_code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
