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
