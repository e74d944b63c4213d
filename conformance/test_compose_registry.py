"""The compose registry over the external corpus's ushadow folder: a real registry of many files."""

from __future__ import annotations

from pathlib import Path

from conformance.corpus import CORPUS
from core.compose.registry import load_registry

ENVIRON = {"HOME": "/home/tester"}


def test_the_ushadow_corpus_as_a_registry() -> None:
    registry = load_registry([CORPUS / "ushadow"], environ=ENVIRON)
    ids = {e.service_id for e in registry.entries}
    assert {"openmemory-compose:mem0-ui", "docker-compose.infra:keycloak", "root-docker-compose:*"} <= ids
    files = {Path(e.file).name for e in registry.entries}
    assert files == {p.name for p in (CORPUS / "ushadow").iterdir() if p.suffix in (".yml", ".yaml")}
    assert all(e.infra for e in registry.entries if e.service_id.startswith("docker-compose.infra:"))
    mem0 = registry.get("openmemory-compose:mem0")
    assert (mem0.meta.display_name, mem0.meta.namespace, mem0.meta.provides) == (
        "OpenMemory",
        "openmemory",
        ["memory"],
    )
    assert mem0.meta.infra_services == ["qdrant", "neo4j"]
    backend = registry.get("backend:backend")  # its env_file is missing: a warning, not a broken entry
    assert backend.error is None and any("env_file" in w for w in backend.warnings)
    assert registry.get("docker-compose.infra:neo4j").profiles == ["memory", "neo4j"]
