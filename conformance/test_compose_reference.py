"""Differential test over the external compose corpus: our loader against compose-go.

For every compose file of the corpus (``USHADOW_CORPUS``, see ``conformance/corpus.py``), both
loaders get the same variables and must agree on each service (``tests/support/composeref.py``
says what is compared and how). Where one accepts a file the other rejects, ``EXPECTED`` says so per
file, with the reason. ``tests/unit/test_compose_reference.py`` runs the same check over our own
fixtures in ``make test``.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

import pytest

from conformance.corpus import CORPUS
from tests.support.composeref import BOTH_REJECT, build_composeref, check_agreement, compose_files

# The first test builds the Go helper (a cold module cache downloads compose-go): allow for it.
pytestmark = pytest.mark.timeout(900)

# Outcome per file when it is not "both load it". Keys are paths relative to the corpus. "both
# reject" entries are listed too, so that a loader that starts (or stops) accepting one of them is
# noticed.
EXPECTED: dict[str, tuple[str, str]] = {
    # env_file names a file that is not there (required by default).
    "kompose/configmap-pod/compose.yaml": (BOTH_REJECT, "env_file foo.env is missing"),
    "kompose/configmap/compose.yaml": (BOTH_REJECT, "env_file foo.env is missing"),
    "kompose/env-multiple/compose.yaml": (BOTH_REJECT, "env_file env1/hadoop-hive-namenode.env is missing"),
    "kompose/env/compose.yaml": (BOTH_REJECT, "env_file hadoop-hive-namenode.env is missing"),
    "ushadow/backend.yml": (BOTH_REJECT, "env_file ../.env (the repository's own .env) is missing"),
    "ushadow/frontend.yml": (BOTH_REJECT, "env_file ../.env is missing (and webui has no image)"),
    # The version 1 format (services at the top level) is no longer compose.
    "kompose/controller/compose-controller-label.yaml": (BOTH_REJECT, "version 1 format"),
    "kompose/envvars-separators/compose.yaml": (BOTH_REJECT, "version 1 format"),
    "kompose/image-pull-secret/compose-files/docker-compose-image-pull-secret.yml": (
        BOTH_REJECT,
        "version 1 format",
    ),
    "kompose/yaml-and-yml/docker-compose.yaml": (BOTH_REJECT, "version 1 format"),
    "kompose/yaml-and-yml/yml/docker-compose.yml": (BOTH_REJECT, "version 1 format"),
    # Override fragments: a service with neither image nor build.
    "kompose/etherpad/docker-compose-no-image.yml": (BOTH_REJECT, "services without image or build"),
    "kompose/multiple-files/second.yaml": (BOTH_REJECT, "an override of first.yaml: bar has no image"),
    "ushadow/backend-with-tailscale.yml": (BOTH_REJECT, "an override: backend has no image or build"),
    # A named volume used by a service but not declared at the top level.
    "kompose/volume-mounts/named-volume/docker-compose-v3.yml": (BOTH_REJECT, "volume db-config undeclared"),
    "kompose/volume-mounts/named-volume/docker-compose.yml": (BOTH_REJECT, "volume db-data undeclared"),
    # include: compose/backend.yml and compose/frontend.yml, relative to the file, are not beside
    # the corpus copy.
    "ushadow/root-docker-compose.yml": (BOTH_REJECT, "include of files that are not there"),
}

FILES = compose_files(CORPUS)


@pytest.fixture(scope="session")
def composeref() -> Path:
    """The Go helper, built once into a cache folder keyed by its sources."""
    return build_composeref()


@pytest.mark.parametrize(("name", "path"), FILES, ids=[name for name, _ in FILES])
def test_loader_agrees_with_compose_go(composeref: Path, name: str, path: Path) -> None:
    check_agreement(composeref, name, path, EXPECTED)


def test_every_compose_file_of_the_corpus_is_covered() -> None:
    names = {name for name, _ in FILES}
    assert len([n for n in names if n.startswith(("ushadow/", "kompose/"))]) >= 100
    assert {n for n in EXPECTED if n not in names} == set(), "EXPECTED names a file that does not exist"
    assert posixpath.join("ushadow", "docker-compose.infra.yml") in names
