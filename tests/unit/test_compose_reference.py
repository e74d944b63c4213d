"""Differential test: our loader against compose-go, the loader of Docker Compose and kompose.

For every compose file of ``tests/fixtures/compose``, both loaders get the same variables and must
agree on each service (see ``tests/support/composeref.py`` for what is compared and how). Where one
accepts a file the other rejects, ``EXPECTED`` says so per file, with the reason. The same check
over the external compose corpus is ``conformance/test_compose_reference.py`` (``make conformance``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import paths
from tests.support.composeref import BOTH_REJECT, build_composeref, check_agreement, compose_files

# The first test builds the Go helper (a cold module cache downloads compose-go): allow for it.
pytestmark = pytest.mark.timeout(900)

FIXTURES = paths.FIXTURES / "compose"

# Outcome per file when it is not "both load it". Keys are paths relative to tests/fixtures/compose.
# "both reject" entries are listed too, so that a loader that starts (or stops) accepting one of
# them is noticed.
EXPECTED: dict[str, tuple[str, str]] = {
    # An override file that the include fixture merges over web/base.yaml: no image on its own.
    "include/web/override.yaml": (BOTH_REJECT, "an override: web has no image"),
    # Our own fixtures that are meant to be rejected.
    "invalid/bad-interpolation.yaml": (BOTH_REJECT, "${} is not a variable"),
    "invalid/required-variable.yaml": (BOTH_REJECT, "${DB_PASSWORD:?...} with no value"),
    "invalid/bad-port.yaml": (BOTH_REJECT, "a port that is not a number"),
    "invalid/duplicate-key.yaml": (BOTH_REJECT, "a key written twice"),
    "invalid/unknown-key.yaml": (BOTH_REJECT, "a misspelt service key"),
    "invalid/wrong-type.yaml": (BOTH_REJECT, "privileged is not a boolean"),
    "invalid/extends-cycle.yaml": (BOTH_REJECT, "a extends b extends a"),
    "invalid/bad-duration.yaml": (BOTH_REJECT, "an interval without a unit"),
    "registry/apps/broken.yaml": (BOTH_REJECT, "not valid YAML (bad indentation)"),
    "registry/apps/half-broken.yaml": (BOTH_REJECT, "a port that is not a number"),
    "registry/apps/shop-compose.yaml": (BOTH_REJECT, "${DATABASE_URL:?...} with no value"),
    # The realistic registry: a missing env_file, and an include of files that are not there.
    "platform/gateway.yml": (BOTH_REJECT, "env_file gateway.env is missing"),
    "platform/legacy.yml": (BOTH_REJECT, "include of files that are not there"),
}

FILES = compose_files(FIXTURES)


@pytest.fixture(scope="session")
def composeref() -> Path:
    """The Go helper, built once into a cache folder keyed by its sources."""
    return build_composeref()


@pytest.mark.parametrize(("name", "path"), FILES, ids=[name for name, _ in FILES])
def test_loader_agrees_with_compose_go(composeref: Path, name: str, path: Path) -> None:
    check_agreement(composeref, name, path, EXPECTED)


def test_every_expected_outcome_names_a_fixture() -> None:
    names = {name for name, _ in FILES}
    assert {n for n in EXPECTED if n not in names} == set(), "EXPECTED names a file that does not exist"
    assert {"include/compose.yaml", "features/compose.yaml"} <= names
