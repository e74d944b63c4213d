"""The README stays true: every setting and every command is documented (datasette's test_docs)."""

from __future__ import annotations

import argparse
import re

import pytest

from core.cli import build_parser
from core.settings import SETTINGS
from tests.support.paths import REPO

README = (REPO / "README.md").read_text()


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    found: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                path = f"{prefix} {name}".strip()
                children = _commands(sub, path)
                found.extend(children or [path])
    return found


COMMANDS = _commands(build_parser())


def test_there_are_commands() -> None:
    assert "local-cluster up" in COMMANDS
    assert "clusters add" in COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"ushadow-ops {command}" in README, f"README does not mention `ushadow-ops {command}`"


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_setting_is_in_the_readme(name: str) -> None:
    assert re.search(rf"\|\s*`{name}`\s*\|", README), f"README's settings table lacks {name}"


def test_quick_start_has_exactly_two_commands() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    fenced = re.findall(r"```(\w*)\n(.*?)```", section, flags=re.S)
    blocks = [body for lang, body in fenced if lang in ("", "bash", "sh")]  # ```text blocks show output
    commands = [
        line for block in blocks for line in block.splitlines() if line.strip() and not line.startswith("#")
    ]
    assert commands == ["make demo", "make test"]


def test_quick_start_shows_what_make_demo_prints() -> None:
    """The ```text block under Quick start is what `make demo` prints: the Makefile's install lines
    and commands as make echoes them, then the demo's own lines in the order it says them."""
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    [shown] = re.findall(r"```text\n(.*?)```", section, flags=re.S)
    lines = shown.splitlines()
    makefile = (REPO / "Makefile").read_text().replace("$(VENV)", ".venv").replace("$(BIN)", ".venv/bin")
    echoed = [m.strip('"') for m in re.findall(r'@echo (".*?")\n', makefile)][:2]
    recipe = re.search(r"^demo: install\n((?:\t.*\n)+)", makefile, flags=re.M)
    assert recipe is not None
    commands = [c.strip() for c in recipe.group(1).splitlines()]
    assert lines[:3] == [*echoed, commands[0]] and lines[-1] == commands[1], lines
    source = (REPO / "core" / "localcluster" / "demo.py").read_text()
    says = re.findall(r'say\(\s*f?"([^"{]*)', source)  # each message's words before any value
    order = [
        max((i for i, said in enumerate(says) if line.startswith(said)), default=-1) for line in lines[3:-1]
    ]
    assert -1 not in order and order == sorted(order), (order, says)
