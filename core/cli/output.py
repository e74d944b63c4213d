"""What the deploy and day-2 commands share: progress lines, failure lines, change tables and the
positional arguments most of them take.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.cli.base import Context, print_table
from core.errors import UshadowError

DEFAULT_TIMEOUT = 300.0


CHANGE_COLUMNS = ("action", "object", "changed")


def progress_printer(ctx: Context) -> Any:
    def progress(message: str, fraction: float) -> None:
        ctx.progress(f"[{fraction:4.0%}] {message}")

    return progress


def print_failure(exc: UshadowError) -> None:
    line = f"error: {exc.message}"
    if exc.hint:
        line += f" ({exc.hint})"
    sys.stderr.write(line + "\n")


def print_changes(resources: list[dict[str, Any]]) -> None:
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


def add_target_args(parser: argparse.ArgumentParser, *, service: str | None = None) -> None:
    parser.add_argument("cluster", metavar="CLUSTER", help="cluster id or name")
    if service:
        parser.add_argument("service", metavar="SERVICE", help=service)
    parser.add_argument("-n", "--namespace", metavar="NS", help="namespace (default: the cluster's)")
