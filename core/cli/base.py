"""Shared pieces of the command line: common flags, the context object, result and table printing.

Parsing the command line imports this module and every area module, so it imports only the
standard library's quick modules at the top (see ``core.cli``'s docstring).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from core.settings import Settings
    from core.store.listing import Lists
    from core.store.records import Cluster
    from core.store.store import Store
    from core.store.summaries import ScanSummary


# argparse asks gettext for a translation of every string it formats, and gettext looks for message
# catalogues on disk each time (about 200 lookups, 20 ms, for the full help). The command line
# speaks English only, so the strings pass through as written.
setattr(argparse, "_", str)  # noqa: B010 (typeshed does not declare argparse's private `_`)
setattr(argparse, "ngettext", lambda singular, plural, n: singular if n == 1 else plural)  # noqa: B010


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, asking the terminal its width once per process (argparse makes one
    formatter per argument it registers, and each asked)."""

    terminal_width: int | None = None

    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None
    ):
        if width is None:
            if _Formatter.terminal_width is None:
                import shutil

                _Formatter.terminal_width = shutil.get_terminal_size().columns - 2
            width = _Formatter.terminal_width
        super().__init__(prog, indent_increment, max_help_position, width)


class Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr (the contract), with where to look for help; with
    ``--json`` on the command line (``json_errors``), stdout holds the error as its one document."""

    json_errors = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        hint = f"see `{self.prog} --help`"
        sys.stderr.write(f"error: {self.prog}: {message} ({hint})\n")
        if self.json_errors:
            error = {"type": "Invalid input", "message": f"{self.prog}: {message}", "hint": hint}
            sys.stdout.write(json.dumps({"error": error}, indent=2) + "\n")
        raise SystemExit(2)


@functools.cache  # one per process: each command's parser copies its two arguments from it
def common_parser() -> argparse.ArgumentParser:
    """Flags every command takes (``--json``, ``--debug``), usable before or after the command."""
    common = Parser(add_help=False)
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print exactly one JSON document"
    )
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show full tracebacks and debug logs"
    )
    return common


class Result:
    """What a handler returns: the JSON-able ``data``, how people see it, and the exit code."""

    def __init__(self, data: Any, human: Callable[[Any], None] | None = None, exit_code: int = 0) -> None:
        self.data = data
        self.human = human
        self.exit_code = exit_code


class Context:
    """What a command handler needs: settings and (opened on first use) the store."""

    def __init__(self, args: argparse.Namespace) -> None:
        if not hasattr(args, "json"):
            args.json = False
        if not hasattr(args, "debug"):
            args.debug = False
        self.args = args
        self._settings: Settings | None = None
        self._store: Store | None = None
        self._lists: Lists | StoreLists | None = None

    @property
    def actor(self) -> str:
        """Who this command's changes are recorded as: ``cli:<OS user>`` (core.settings.cli_actor)."""
        from core.settings import cli_actor

        return cli_actor()

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from core.settings import Settings

            self._settings = Settings.load()
        return self._settings

    @property
    def store(self) -> Store:
        if self._store is None:
            from core.store.store import Store

            self._store = Store.open(self.settings)
        return self._store

    def lists(self) -> Lists | StoreLists:
        """Clusters and scan summaries to print: read with ``sqlite3`` alone from a SQLite store whose
        schema has them (``core.store.listing``: no SQLAlchemy to import), else through the store."""
        if self._lists is None:
            from core.store.listing import open_lists

            self._lists = open_lists(self.settings.database_url) or StoreLists(self.store)
        return self._lists

    def progress(self, message: str) -> None:
        """A progress line for people; silent with ``--json`` (stdout stays one document)."""
        if not self.args.json:
            sys.stderr.write(message + "\n")
            sys.stderr.flush()

    def close(self) -> None:
        if self._lists is not None:
            self._lists.close()
        if self._store is not None:
            self._store.close()


class StoreLists:
    """The lists of :meth:`Context.lists` read through the store (a server database, a new file)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def clusters(self) -> list[Cluster]:
        return self._store.list_clusters()

    def target_names(self) -> dict[str, str]:
        return self._store.target_names()

    def scan_summaries(self, cluster_ref: str | None = None, *, limit: int = 100) -> list[ScanSummary]:
        return self._store.list_scan_summaries(cluster_ref, limit=limit)

    def close(self) -> None:
        """Nothing: the store is the context's, closed with it."""


def add_command(
    sub: Any,
    name: str,
    handler: Callable[[argparse.Namespace, Context], Result],
    help_text: str,
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help_text, description=help_text, parents=[common_parser()]
    )
    parser.set_defaults(handler=handler)
    return parser


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """A plain aligned text table for people."""
    if not rows:
        print("(none)")
        return
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
