"""Every command imports only what it uses: each command family runs in its own Python process
and reports the modules it loaded at exit, and the heavy ones are pinned here.

Start-up is what people feel when they run ``ushadow-ops`` in a loop: importing ``kubernetes``,
``sqlalchemy``, ``pandas`` or ``alembic`` costs a large part of a second. The mechanism this
pins is described in ``core/cli/__init__.py``. (Time itself is measured in ``make bench``,
never asserted here.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import AREAS, COMMAND_AREAS, areas_for
from core.cli.base import Parser
from tests.support import kubeconfig_factory, paths
from tests.support.fakeapi import Answer, fake_api

HEAVY = frozenset(
    {"kubernetes", "sqlalchemy", "pandas", "alembic", "numpy", "urllib3", "cryptography", "yaml", "pydantic"}
)
FIXTURES = paths.FIXTURES / "compiler"

# Runs the real entry point, then writes the top-level names of the loaded modules (at exit, so
# `--help` and usage errors, which leave through SystemExit, report too).
RUNNER = """
import atexit, json, os, sys
from core.cli import main

def report():
    with open(os.environ["MODULES_OUT"], "w") as out:
        json.dump(sorted({name.split(".")[0] for name in sys.modules}), out)
    with open(os.environ["MODULES_OUT"] + ".areas", "w") as out:
        json.dump(sorted(n for n in sys.modules if n.startswith("core.cli.") and n != "core.cli.base"), out)

atexit.register(report)
sys.exit(main(sys.argv[1:]))
"""


def loaded(tmp_path: Path, *argv: str, stdin: str | None = None) -> tuple[int, set[str]]:
    """(exit code, heavy top-level modules loaded) of one ``ushadow-ops`` process."""
    out = tmp_path / "modules.json"
    env = {
        **os.environ,
        "MODULES_OUT": str(out),
        "USHADOW_DATA_DIR": str(tmp_path / "data"),
        "USHADOW_COMPOSE_DIR": str(FIXTURES),
        "USHADOW_DATABASE_URL": "",
    }
    env.pop("USHADOW_DATABASE_URL")
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, *argv],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=paths.REPO,
        timeout=120,
        check=False,
    )
    assert out.exists(), proc.stderr
    return proc.returncode, set(json.loads(out.read_text())) & HEAVY


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["bogus-command"],
        ["scan"],  # a usage error: CLUSTER is missing
        ["clusters", "--help"],
        ["scans", "list", "--limit", "many"],
        ["deploy", "--help"],
    ],
    ids=" ".join,
)
def test_help_and_usage_errors_import_nothing_heavy(tmp_path: Path, argv: list[str]) -> None:
    _code, heavy = loaded(tmp_path, *argv)
    assert heavy == set()


def test_local_cluster_status_reads_files_only(tmp_path: Path) -> None:
    code, heavy = loaded(tmp_path, "local-cluster", "status", "--json")
    assert code == 0
    assert heavy & {"kubernetes", "sqlalchemy", "pandas", "alembic"} == set()


def test_the_token_roles_the_parser_offers_are_the_stores() -> None:
    from core.cli.tokens import ROLE_CHOICES
    from core.store.tokens import ROLES

    assert tuple(ROLE_CHOICES) == tuple(ROLES)


def test_every_area_module_is_light_to_import() -> None:
    """What a new area module must keep to (parsing imports every one of them)."""
    code = "import importlib, sys\n"
    code += "".join(f"importlib.import_module('core.cli.{area}')\n" for area in AREAS)
    code += "print(' '.join(sorted({n.split('.')[0] for n in sys.modules})))"
    names = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=paths.REPO
    ).stdout.split()
    assert set(names) & HEAVY == set()


@pytest.mark.parametrize(
    "argv",
    [
        ["services", "list", "--json"],
        ["render", "tricky:db", "--json"],
        ["bundle", "--out", "{tmp}/bundle", "--json"],
    ],
    ids=" ".join,
)
def test_compose_commands_load_no_cluster_no_database_no_pandas(tmp_path: Path, argv: list[str]) -> None:
    code, heavy = loaded(tmp_path, *(a.replace("{tmp}", str(tmp_path)) for a in argv))
    assert code == 0
    # reading compose files needs YAML alone: no pydantic (core.shapes checks the keys), nothing of
    # clusters, databases or tables
    assert heavy <= {"yaml"}


def test_store_commands_load_the_database_only(tmp_path: Path) -> None:
    assert loaded(tmp_path, "clusters", "list", "--json")[0] == 0  # creates the store (migrations)
    kubeconfig = kubeconfig_factory.dump(kubeconfig_factory.kubeconfig(server="https://127.0.0.1:9"))
    code, _ = loaded(
        tmp_path, "clusters", "add", "dead", "--kubeconfig", "-", "--save-unreachable", stdin=kubeconfig
    )
    assert code == 0  # saved, with its status (unreachable)
    for argv in (["clusters", "list"], ["scans", "list", "--json"], ["scans", "list", "dead", "--json"]):
        code, heavy = loaded(tmp_path, *argv)
        # the lists read a SQLite store with sqlite3 alone (core.store.listing): nothing heavy at all
        assert (code, heavy) == (0, set()), argv
    for argv in (
        ["scans", "show", "nosuchscan", "--json"],
        ["deployments", "--json"],
    ):
        _code, heavy = loaded(tmp_path, *argv)
        # the database and nothing else: no Alembic at head, no cluster client, no tables, no
        # cipher (nothing is decrypted), no scan models (lists read summaries)
        assert heavy == {"sqlalchemy"}, argv

    code, heavy = loaded(tmp_path, "scan", "dead", "--json")
    assert code != 0  # unreachable
    assert heavy & {"pandas", "alembic", "numpy", "kubernetes"} == set()
    assert {"sqlalchemy", "urllib3"} <= heavy


def test_scan_and_check_talk_raw_json_without_the_kubernetes_client(tmp_path: Path) -> None:
    """A scan and a check that reach an API server (a fake one on 127.0.0.1) load urllib3 and
    pydantic for the requests, and never the official client's models (issue 16)."""
    with fake_api({"*": Answer('{"kind": "List", "items": [], "metadata": {}}')}) as api:
        code, heavy = loaded(tmp_path, "clusters", "add", "fake", "--kubeconfig", "-", stdin=api.kubeconfig())
        assert code == 0
        for argv in (["scan", "fake", "-n", "apps", "--json"], ["clusters", "check", "fake"]):
            code, heavy = loaded(tmp_path, *argv)
            assert code == 0, argv
            assert "kubernetes" not in heavy, argv
            assert {"urllib3", "pydantic"} <= heavy, argv


def test_command_areas_is_what_each_area_registers() -> None:
    """Each command's areas: the one that adds it and any that extend it later (its handler)."""
    import importlib

    sub = Parser(prog="ushadow-ops").add_subparsers(dest="command")
    touched: dict[str, list[str]] = {}
    for area in AREAS:
        before = {name: parser.get_default("handler") for name, parser in sub.choices.items()}
        importlib.import_module(f"core.cli.{area}").register(sub)
        for name, parser in sub.choices.items():
            if name not in before or parser.get_default("handler") is not before[name]:
                touched.setdefault(name, []).append(area)
    assert {name: tuple(areas) for name, areas in touched.items()} == COMMAND_AREAS


@pytest.mark.parametrize(
    ("argv", "areas"),
    [
        (["render", "x:y"], ("compose",)),
        (["restart", "c", "svc"], ("operate", "hostops")),
        (["--json", "clusters", "list"], ("clusters",)),
        (["--help"], AREAS),
        (["--debug", "-h", "scan"], AREAS),
        (["no-such-command"], AREAS),
        ([], AREAS),
    ],
)
def test_a_command_builds_its_own_areas_parser(argv: list[str], areas: tuple[str, ...]) -> None:
    assert areas_for(argv) == areas


def test_a_command_imports_no_other_area(tmp_path: Path) -> None:
    code, _ = loaded(tmp_path, "services", "list", "--json")
    assert code == 0
    areas = {f"core.cli.{a}" for a in AREAS}
    assert set(json.loads((tmp_path / "modules.json.areas").read_text())) & areas == {"core.cli.compose"}
    loaded(tmp_path, "--help")
    assert set(json.loads((tmp_path / "modules.json.areas").read_text())) & areas == areas
