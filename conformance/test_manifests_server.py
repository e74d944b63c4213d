"""The API server is the judge: every compiled manifest of the external corpus, dry-run.

Every compose file of the corpus's ``ushadow`` and ``kompose`` folders is loaded (leniently, as the
registry does), every service compiled into the test's namespace, and every object created on the
local control plane with server-side dry-run (``tests/support/dryrun.py``). A service is either
accepted in full, or our compiler says it is not convertible and why; a file either loads or the
loader says why. ``tests/cluster/test_manifests_server.py`` does the same over our fixtures.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes import client

from conformance.corpus import CORPUS
from tests.support.dryrun import check_every_service_is_accepted_or_not_convertible


def _compose_files() -> list[Path]:
    found: list[Path] = []
    for root in (CORPUS / "ushadow", CORPUS / "kompose"):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".yml", ".yaml") and not path.name.startswith("output"):
                found.append(path)
    return found


FILES = _compose_files()


def _id(path: Path) -> str:
    return str(path.relative_to(CORPUS))


def test_the_corpus_is_there() -> None:
    names = {p.name for p in FILES}
    assert "docker-compose.infra.yml" in names and "openmemory-compose.yaml" in names
    assert len(FILES) > 80


@pytest.mark.cluster
@pytest.mark.parametrize("path", FILES, ids=_id)
def test_every_service_is_accepted_or_not_convertible(
    path: Path, kube_api: client.ApiClient, namespace: str
) -> None:
    check_every_service_is_accepted_or_not_convertible(path, kube_api, namespace)
