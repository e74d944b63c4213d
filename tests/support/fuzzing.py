"""Property-based fuzzing of the compose path: loader, compiler and bundle plan (hypothesis).

Inputs are compose documents built from the specification's keys with hostile values (numbers
that are not finite, huge port ranges, nested interpolation, paths that climb out), the
project's own fixtures mutated as text (anchors, aliases, brackets, tags spliced in anywhere),
alias bombs and deep nesting. Each one is loaded leniently and strictly, every service that
loads is compiled, and the whole file is planned as a bundle.

The property (``exercise``): only the project's own errors (``core.errors.UshadowError``)
escape, and each input finishes within ``BUDGET`` seconds (a generous bound checked by the
harness, so a quadratic or exponential path shows up as a finding, not as a hung test run).

``tests/unit/test_fuzz_compose.py`` runs a bounded number of examples with ``make test``; a
longer run by hand prints the figures recorded in SECURITY.md::

    .venv/bin/python -m tests.support.fuzzing --examples 5000
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.compose.keys import COMPOSE_SERVICE_KEYS
from core.compose.loading import load_text
from core.errors import UshadowError
from core.manifests.bundles import plan_bundle, refs_of
from core.manifests.compiler import compile_service
from tests.support.paths import FIXTURES

BUDGET = 20.0
"""Seconds one input may take (load twice, compile, plan): real files take milliseconds."""

HOSTILE = [
    "1e400",
    ".nan",
    "-.inf",
    "1e-400",
    "9" * 40,
    "-1",
    "0",
    "0x1F",
    "0755",
    "1_000",
    "${A}",
    "${A:-${B:-x}}",
    "${A:?oops}",
    "${A:+alt}",
    "$$",
    "${",
    "${A",
    "$",
    "${A:-" * 40 + "}" * 40,
    "1-65535",
    "80:80",
    "1-8000:1-8000",
    "127.0.0.1:1-2000:1-2000/udp",
    "[::1]:80:80",
    "65536",
    "./data:/data:ro",
    "/etc:/etc",
    "../../x:/y",
    "..",
    "/",
    "~/x:/x",
    "vol:/data:nocopy",
    "nginx:1.27",
    "busybox",
    "",
    " ",
    "\x00",
    "\t",
    "🙂",
    "a" * 300,
    "10s",
    "1m30s",
    "99999999999999999999999s",
    "1e400s",
    "512m",
    "1e400g",
    "-5g",
    "1.5GiB",
    "CMD-SHELL",
    "NONE",
    "root",
    "1000:1000",
    "nobody",
    "sk-live-0123456789abcdef",
    "postgres://u:pw-9f8e7d@db/x",
    "true",
    "no",
    "on",
    "null",
    "~",
    "!reset",
    "<<",
]
TAGS = ["!reset", "!override", "!!str", "!!int", "!!float", "!!binary", "!!python/object", "!custom"]
KEYS = sorted(COMPOSE_SERVICE_KEYS)
TOP_KEYS = ["services", "volumes", "networks", "secrets", "configs", "name", "include", "x-ushadow"]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(HOSTILE),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=14,
)
WORDS = st.sampled_from(HOSTILE) | st.text(max_size=10)
NUMBERS = (
    st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(HOSTILE[:12])
)
PLAUSIBLE = st.fixed_dictionaries(  # the shapes compose expects, with hostile values inside them
    {"image": st.sampled_from(["nginx:1.27", "busybox:1.37", "postgres:16", "${IMAGE:-redis:7}"])},
    optional={
        "ports": st.lists(st.integers(0, 70000) | st.sampled_from(HOSTILE[20:31]), max_size=4),
        "expose": st.lists(st.integers(0, 70000) | st.sampled_from(HOSTILE[20:31]), max_size=3),
        "cpus": NUMBERS,
        "mem_limit": WORDS | NUMBERS,
        "deploy": st.fixed_dictionaries(
            {},
            optional={
                "replicas": NUMBERS,
                "resources": st.fixed_dictionaries(
                    {},
                    optional={
                        "limits": st.fixed_dictionaries({}, optional={"cpus": NUMBERS, "memory": WORDS}),
                        "reservations": st.fixed_dictionaries({}, optional={"cpus": NUMBERS}),
                    },
                ),
            },
        ),
        "environment": st.dictionaries(
            st.sampled_from(["API_KEY", "DB_PASSWORD", "MODE", "A", "URL"]), WORDS, max_size=4
        ),
        "volumes": st.lists(WORDS, max_size=3),
        "command": WORDS | st.lists(WORDS, max_size=3),
        "user": WORDS | NUMBERS,
        "hostname": WORDS,
        "stop_grace_period": WORDS,
        "healthcheck": st.fixed_dictionaries(
            {"test": WORDS | st.lists(WORDS, max_size=3)}, optional={"interval": WORDS}
        ),
        "labels": st.dictionaries(st.text(max_size=8), WORDS, max_size=3),
        "depends_on": st.lists(st.sampled_from(["web", "db", "zzz"]), max_size=2),
        "profiles": st.lists(WORDS, max_size=2),
    },
)
SERVICE = PLAUSIBLE | st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=7).map(
    lambda s: {"image": "nginx:1.27", **s} if len(s) % 2 else s
)
DOCUMENT = st.fixed_dictionaries(
    {
        "services": st.dictionaries(
            st.sampled_from(["web", "db", "a", "b_c", "Web", "x" * 70]), SERVICE, max_size=3
        )
    },
    optional={k: VALUES for k in TOP_KEYS[1:]},
)


def _seeds() -> list[str]:
    texts = []
    for folder in ("compiler", "compose"):
        for path in sorted((FIXTURES / folder).rglob("*.y*ml")):
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return texts or ["services:\n  web:\n    image: nginx\n"]


SEEDS = _seeds()
SPLICES = [
    "&a ",
    "*a",
    "<<: *a\n",
    "{",
    "}",
    "[",
    "]",
    ": ",
    "\n  ",
    "\n- ",
    "- ",
    ",",
    '"',
    "'",
    "#",
    "\t",
    "? ",
]
SPLICES += (
    [f"{t} " for t in TAGS] + HOSTILE[:30] + ["9" * 5000, "0x" + "f" * 5000, "1e99999", "-" + "7" * 4400]
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A fixture's text with a few splices, deletions and duplications anywhere."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["splice", "delete", "duplicate"]))
        if action == "splice":
            text = text[:at] + draw(st.sampled_from(SPLICES)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        else:
            line_end = text.find("\n", at)
            line = text[at : line_end + 1 if line_end >= 0 else len(text)]
            text = text[:at] + line * draw(st.integers(1, 30)) + text[at:]
    return text


@st.composite
def bomb(draw: st.DrawFn) -> str:
    """An alias bomb (width**levels values) under a key somewhere a service or a kind would be."""
    levels, width = draw(st.integers(1, 9)), draw(st.integers(2, 9))
    lines = ['x-a:\n  a0: &a0 ["lol", "lol"]']
    lines += [f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    where = draw(
        st.sampled_from(
            [
                "kind: *a{n}",
                "services:\n  web:\n    image: nginx\n    command: *a{n}",
                "services:\n  web:\n    image: *a{n}",
                "x-ushadow:\n  description: *a{n}",
            ]
        )
    )
    return "\n".join(lines) + "\n" + where.format(n=levels) + "\n"


@st.composite
def deep(draw: st.DrawFn) -> str:
    depth = draw(st.integers(1, 3000))
    kind = draw(st.sampled_from(["flow", "block", "interpolation"]))
    if kind == "flow":
        return f"services:\n  web:\n    image: nginx\n    labels:\n      x: {'[' * depth}{']' * depth}\n"
    if kind == "block":
        depth = min(depth, 400)
        return (
            "x-deep:\n"
            + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(depth))
            + "  " * (depth + 1)
            + "v: 1\n"
        )
    value = "x"
    for _ in range(min(depth, 600)):
        value = "${A:-" + value + "}"
    return f"services:\n  web:\n    image: nginx\n    environment:\n      X: '{value}'\n"


def _dumped(doc: dict[str, object]) -> str:
    try:
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, ValueError):
        return "services: {}\n"


INPUTS = st.one_of(DOCUMENT.map(_dumped), mutated(), bomb(), deep())


@dataclass
class Tally:
    tried: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    findings: list[str] = field(default_factory=list)
    slowest: float = 0.0


def exercise(text: str) -> str:
    """Load (strict, then lenient), compile each service, plan the bundle. Returns ``error`` when
    the lenient load or a service met a clean :class:`UshadowError`, else ``ok``; anything else
    escapes (a finding)."""
    with contextlib.suppress(UshadowError):
        load_text(text, strict=True, environ={})
    try:
        project = load_text(text, strict=False, environ={}, env={"A": "1", "DB_PASSWORD": "pw-fuzz-1234"})
    except UshadowError:
        return "error"
    clean = bool(project.service_errors)
    for spec in project.services.values():
        try:
            compile_service(spec, project=project, namespace="fuzz").to_json()
        except UshadowError:
            clean = True
    try:
        plan_bundle(refs_of([project]), namespace="fuzz")
    except UshadowError:
        clean = True
    return "error" if clean else "ok"


def peak_rss_mb() -> float:
    """The process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(text: str, tally: Tally | None = None) -> str:
    """``exercise`` within :data:`BUDGET`; a slower input is a finding (``AssertionError``)."""
    started = time.monotonic()
    outcome = exercise(text)
    took = time.monotonic() - started
    if tally is not None:
        tally.slowest = max(tally.slowest, took)
    if took > BUDGET:
        raise AssertionError(f"took {took:.1f} s (budget {BUDGET:.0f} s): {text[:200]!r}")
    return outcome


def long_run(examples: int) -> Tally:
    """Run ``examples`` inputs, counting outcomes instead of stopping at the first finding."""
    tally = Tally()

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(INPUTS)
    def one(text: str) -> None:
        tally.tried += 1
        try:
            tally.outcomes[timed(text, tally)] += 1
        except AssertionError as exc:
            tally.outcomes["timeout"] += 1
            tally.findings.append(str(exc))
        except Exception:  # a finding: anything but the project's own errors
            tally.outcomes["unhandled"] += 1
            tally.findings.append(traceback.format_exc(limit=3) + repr(text[:300]))

    one()
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    args = parser.parse_args()
    started = time.monotonic()
    tally = long_run(args.examples)
    print(f"inputs tried: {tally.tried}")
    print(f"loaded and compiled cleanly: {tally.outcomes['ok']}")
    print(f"clean errors (the project's own): {tally.outcomes['error']}")
    print(f"unhandled: {tally.outcomes['unhandled']}")
    print(f"timeouts (over {BUDGET:.0f} s): {tally.outcomes['timeout']}")
    print(f"slowest input: {tally.slowest:.2f} s; whole run: {time.monotonic() - started:.0f} s")
    print(f"peak memory of the process: {peak_rss_mb():.0f} MB")
    for finding in tally.findings[:10]:
        print("---", finding, sep="\n")


if __name__ == "__main__":
    main()
