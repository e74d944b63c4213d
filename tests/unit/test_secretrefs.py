"""Secret values as references to the container's environment: ``$(VAR)`` on the command line,
the shell in probes. The shell forms are run through the real ``/bin/sh``: a rewritten probe must
hand its program exactly the arguments the compose healthcheck did."""

from __future__ import annotations

import re
import subprocess

import pytest

from core.secrets.secretrefs import escape, exec_probe, k8s_arg, pieces, shell_command, shell_script

PW = "s3cr3t-pw-1234"
KEY = "sk-key-$-with-dollar"
REFS = {PW: "DB_PASSWORD", KEY: "API_KEY"}
ENV = {"DB_PASSWORD": PW, "API_KEY": KEY}


def kubelet_expand(text: str, env: dict[str, str]) -> str:
    """What the kubelet makes of a command or args entry: ``$$`` -> ``$``, ``$(VAR)`` -> its value
    when the variable is defined (else left as written)."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))

    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)", one, text)


def run_sh(command: list[str], env: dict[str, str] | None = None) -> str:
    """The output of an exec probe command run as the container runtime would (no shell of ours)."""
    done = subprocess.run(command, capture_output=True, text=True, env=env or {}, timeout=10, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", [("plain", None)]),
        ("", []),
        (PW, [(PW, "DB_PASSWORD")]),
        (f"--pw={PW}", [("--pw=", None), (PW, "DB_PASSWORD")]),
        (f"{PW}:{PW}", [(PW, "DB_PASSWORD"), (":", None), (PW, "DB_PASSWORD")]),
        (f"a {KEY} b", [("a ", None), (KEY, "API_KEY"), (" b", None)]),
    ],
)
def test_pieces(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert pieces(text, REFS) == expected


def test_the_longest_value_wins_where_two_start_together() -> None:
    assert pieces("abcdef!", {"abc": "SHORT", "abcdef": "LONG"}) == [("abcdef", "LONG"), ("!", None)]


@pytest.mark.parametrize(
    ("arg", "expected", "used"),
    [
        ("redis-server", "redis-server", set()),
        ("echo $HOME $(date)", "echo $$HOME $$(date)", set()),  # compose text stays literal
        (PW, "$(DB_PASSWORD)", {"DB_PASSWORD"}),
        (f"--requirepass={PW}", "--requirepass=$(DB_PASSWORD)", {"DB_PASSWORD"}),
        (f"cost $5, key {KEY}", "cost $$5, key $(API_KEY)", {"API_KEY"}),  # the value's `$` is not escaped
        (f"{PW}/{KEY}", "$(DB_PASSWORD)/$(API_KEY)", {"DB_PASSWORD", "API_KEY"}),
    ],
)
def test_k8s_arg(arg: str, expected: str, used: set[str]) -> None:
    found: set[str] = set()
    assert k8s_arg(arg, REFS, found) == expected
    assert found == used
    assert kubelet_expand(expected, ENV) == arg  # the container gets the compose text back
    assert PW not in expected and KEY not in expected


def test_escape_alone_keeps_compose_text_literal() -> None:
    assert escape("$(VAR) $$") == "$$(VAR) $$$$"
    assert kubelet_expand(escape("$(DB_PASSWORD) $$"), ENV) == "$(DB_PASSWORD) $$"


# Scripts in every quoting context a healthcheck uses; each prints its arguments one a line.
SCRIPTS = [
    f"printf '%s\\n' {PW}",
    f"printf '%s\\n' '{PW}'",
    f"printf '%s\\n' \"{PW}\"",
    f"printf '%s\\n' --password={PW} 'x{PW}y' \"[{PW}]\"",
    f"printf '%s\\n' 'Authorization: Bearer {PW}' || exit 1",
    f"printf '%s\\n' \"$(printf '%s' '{PW}')\"",  # single quotes inside $(...) inside double quotes
    f"printf '%s\\n' `printf '%s' {PW}`",
    f"X={PW}; printf '%s\\n' \"$X\"",
    f"printf '%s\\n' \"it's {PW}\"",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_rewritten_shell_script_prints_what_the_original_did(script: str) -> None:
    used: set[str] = set()
    rewritten = shell_script(script, REFS, used)
    assert PW not in rewritten and used == {"DB_PASSWORD"}
    assert run_sh(["sh", "-c", rewritten], ENV) == run_sh(["sh", "-c", script])


def test_a_script_without_secrets_is_left_alone() -> None:
    used: set[str] = set()
    assert shell_script("pg_isready -U app", REFS, used) == "pg_isready -U app" and not used


@pytest.mark.parametrize(
    "argv",
    [
        ["printf", "%s\\n", PW],
        ["printf", "%s\\n", f"--key={KEY}", "it's", "", "a b", "$HOME"],
        ["printf", "%s|%s\\n", f"{PW}{KEY}", f"'{PW}'"],
    ],
)
def test_a_cmd_probe_becomes_sh_c_exec_with_the_same_arguments(argv: list[str]) -> None:
    used: set[str] = set()
    command = shell_command(argv, REFS, used)
    assert command is not None and command[:2] == ["sh", "-c"] and command[2].startswith("exec ")
    assert PW not in command[2] and KEY not in command[2] and used
    assert run_sh(command, {**ENV, "PATH": "/usr/bin:/bin"}) == run_sh(["/usr/bin/env", *argv])


def test_a_cmd_probe_without_secrets_stays_exec() -> None:
    assert shell_command(["redis-cli", "ping"], REFS, set()) is None


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["redis-cli", "ping"], ["redis-cli", "ping"]),
        (["redis-cli", "-a", PW, "ping"], ["sh", "-c", 'exec redis-cli -a "${DB_PASSWORD}" ping']),
        (["sh", "-c", f"redis-cli -a {PW} ping"], ["sh", "-c", 'redis-cli -a "${DB_PASSWORD}" ping']),
        (["/bin/sh", "-c", f"x '{PW}'"], ["/bin/sh", "-c", "x ''\"${DB_PASSWORD}\"''"]),
    ],
)
def test_exec_probe(command: list[str], expected: list[str]) -> None:
    assert exec_probe(command, REFS, set()) == expected
