"""The ``ushadow-ops`` command line: argument parsing and the one place errors become exit codes.

Each area registers its subcommands from its own module (``local``, ``clusters``, ``scans``,
``compose``, ``operate``). A handler takes ``(args, ctx)`` and returns a JSON-able value, which is
printed as one JSON document with ``--json`` and through the handler's ``human`` printer
otherwise. Every ``core`` error is turned into one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from core.cli.base import Context, Parser, Result, common_parser
from core.errors import UshadowError

log = logging.getLogger("ushadow")

AREAS = ("local", "clusters", "scans", "compose", "deploying", "operate", "tokens", "remote")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = Parser(
        prog="ushadow-ops",
        description="Run the ushadow services on Kubernetes: clusters, scans, compose, deploys.",
        parents=[common_parser()],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for area in AREAS:
        module = importlib.import_module(f"core.cli.{area}")
        module.register(sub)
    return parser


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, sort_keys=False, default=str) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    Parser.json_errors = "--json" in argv
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = Context(args)  # also gives args its --json/--debug defaults
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
            log.exception("command failed")
        line = f"error: {exc.message}"
        if exc.hint:
            line += f" ({exc.hint})"
        sys.stderr.write(line + "\n")
        if args.json:  # stdout stays exactly one JSON document, failures included
            _print_json({"error": {"type": exc.title, "message": exc.message, "hint": exc.hint}})
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
            _print_json({"error": {"type": type(exc).__name__, "message": str(exc), "hint": None}})
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
