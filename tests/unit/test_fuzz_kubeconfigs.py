"""Property-based fuzzing of the kubeconfig parser and resolver (hypothesis).

For any input, only the project's own errors escape, every message is bounded, and each input
finishes well within a CPU-time budget and a memory budget (its peak of Python allocations,
measured with ``tracemalloc``), both generous and checked by the harness itself.
``make test`` runs a bounded number of examples; ``USHADOW_FUZZ_EXAMPLES=3000`` runs a longer
campaign, and ``USHADOW_FUZZ_REPORT=FILE`` appends each test's counts to FILE as JSON lines.
"""

from __future__ import annotations

import json
import os
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.clusters.kubeconfigs import Credential, parse_kubeconfig, resolve
from core.errors import UshadowError
from tests.support.fuzzing import bomb
from tests.support.kubeconfig_factory import b64, dump, kubeconfig

EXAMPLES = int(os.environ.get("USHADOW_FUZZ_EXAMPLES", "120"))
BUDGET_SECONDS = 10.0  # CPU seconds, generous: a clean input takes milliseconds
BUDGET_MB = 64.0  # peak Python allocations of one input: a clean one takes well under 1 MB
ALLOW = frozenset({"sh"})
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # timing is the harness's own, generous check below
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

TOKENS = [
    "&a ", "*a", "&b ", "*b", "<<: *a", "[", "]", "{", "}", ": ", "- ", "\n", "  ", "    ", "\t", "'", '"',
    "!!python/object/apply:os.system", "!!binary ", "!!str ", "~", "null", "true", "1e400", ".nan", "-0x1",
    "kind: ", "Config", "apiVersion: v1", "clusters:", "users:", "contexts:", "current-context: ", "name: ",
    "cluster:", "user:", "context:", "server: ", "https://", "http://", "admin:pw@", "[::1", "h:6443",
    ":99999", "proxy-url: ", "socks5://", "ftp://", "exec:", "command: ", "sh", "/bin/sh", "./x/sh",
    "args: ", "env: ", "LD_PRELOAD", "value: ", "token: ", "as-groups: ", "as-uid: ", "as-user-extra: ",
    "insecure-skip-tls-verify: ", "certificate-authority: /etc/passwd", "client-key-data: ", "tokenFile: ",
    "auth-provider:", "\x00", "\u2028", "\ufeff", "%YAML 1.1\n", "---\n", "...\n", "? ", "| ", "> ",
]  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)

PATHS = [
    ("kind",), ("clusters",), ("clusters", 0), ("clusters", 0, "name"), ("clusters", 0, "cluster", "server"),
    ("clusters", 0, "cluster", "proxy-url"), ("clusters", 0, "cluster", "insecure-skip-tls-verify"),
    ("clusters", 0, "cluster", "certificate-authority-data"), ("users", 0, "user"), ("users", 0, "user", "token"),
    ("users", 0, "user", "exec"), ("users", 0, "user", "as-groups"), ("users", 0, "user", "client-key-data"),
    ("contexts", 0, "context"), ("contexts", 0, "name"), ("current-context",), ("preferences",), ("extensions",),
]  # fmt: skip

COUNTS: Counter[str] = Counter()


def _parse_and_resolve(text: str | bytes) -> None:
    """Parse and resolve every context; only ``UshadowError`` may escape."""
    try:
        kc = parse_kubeconfig(text)
        for name in [None, *kc.context_names()[:3]]:
            try:
                cred = resolve(kc, name, exec_allowlist=ALLOW)
                again = Credential.from_bytes(cred.to_bytes(), exec_allowlist=ALLOW)
                assert again.server == cred.server
                assert isinstance(cred.warnings, tuple)
            except UshadowError as exc:
                assert len(exc.message) < 2000
        COUNTS["accepted"] += 1
    except UshadowError as exc:
        assert len(exc.message) < 2000, exc.message[:200]
        COUNTS["clean error"] += 1


def budgeted(work: Callable[[], object]) -> None:
    """Run ``work`` within the CPU-time and memory budgets (an ``AssertionError`` past either)."""
    started = time.thread_time()  # CPU time: a busy shared machine must not look like a slow input
    tracemalloc.start()
    try:
        work()
    finally:
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    elapsed = time.thread_time() - started
    if elapsed > BUDGET_SECONDS:
        COUNTS["over budget"] += 1
    assert elapsed < BUDGET_SECONDS, f"one input took {elapsed:.1f}s"
    if peak_mb > BUDGET_MB:
        COUNTS["over memory"] += 1
    assert peak_mb < BUDGET_MB, f"one input took {peak_mb:.0f} MB at its peak"
    COUNTS["inputs"] += 1


def _exercise(text: str | bytes) -> None:
    budgeted(lambda: _parse_and_resolve(text))


@pytest.fixture(autouse=True)
def _report(request: pytest.FixtureRequest) -> Iterator[None]:
    COUNTS.clear()
    yield
    target = os.environ.get("USHADOW_FUZZ_REPORT")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps({"test": request.node.name, **COUNTS}) + "\n")


@FUZZ
@given(st.lists(st.sampled_from(TOKENS) | st.text(max_size=6), max_size=60))
def test_token_soup(parts: list[str]) -> None:
    _exercise("".join(parts))


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    _exercise(data)


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    target = doc
    for key in path[:-1]:
        if (isinstance(target, dict) and key in target) or (
            isinstance(target, list) and isinstance(key, int) and key < len(target)
        ):
            target = target[key]
        else:
            return
    if isinstance(target, dict) or (
        isinstance(target, list) and isinstance(path[-1], int) and path[-1] < len(target)
    ):
        target[path[-1]] = value


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PATHS), json_values), min_size=1, max_size=4))
def test_mutated_fields(changes: list[tuple[tuple[Any, ...], Any]]) -> None:
    doc = kubeconfig(
        ca=b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        user={"token": "t", "exec": {"command": "sh", "args": ["-c", "true"]}},
    )
    doc["clusters"][0]["cluster"]["proxy-url"] = "http://proxy:3128"
    for path, value in changes:
        _set(doc, path, value)
    try:
        text = yaml.safe_dump(doc, sort_keys=False)
    except (yaml.YAMLError, ValueError, RecursionError):
        return
    _exercise(text)


@FUZZ
@given(
    st.integers(min_value=0, max_value=2000), st.sampled_from(TOKENS), st.integers(min_value=1, max_value=400)
)
def test_spliced_text(at: int, token: str, repeat: int) -> None:
    base = dump(
        kubeconfig(user={"client-certificate-data": b64("-----BEGIN X"), "client-key-data": b64("k")})
    )
    at = at % (len(base) + 1)
    _exercise(base[:at] + token * repeat + base[at:])


@FUZZ
@given(bomb())
def test_alias_bombs_are_refused_within_the_memory_budget(text: str) -> None:
    kubeconfig_text = "apiVersion: v1\nkind: Config\n" + text.replace("kind: *", "current-context: *")
    _exercise(kubeconfig_text)


def test_the_memory_budget_catches_an_input_that_takes_too_much() -> None:
    with pytest.raises(AssertionError, match="MB at its peak"):
        budgeted(lambda: bytearray(int(BUDGET_MB * 2) * 2**20))
