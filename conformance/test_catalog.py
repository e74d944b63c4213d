"""The catalog recognising the infrastructure of a real registry: the external corpus's ushadow folder."""

from __future__ import annotations

import yaml

from conformance.corpus import CORPUS
from core.catalog import recognise_compose_service


def test_ushadow_infra_compose_file_is_recognised() -> None:
    doc = yaml.safe_load((CORPUS / "ushadow" / "docker-compose.infra.yml").read_text())
    found = {
        name: recognise_compose_service(name, svc.get("image"), []) for name, svc in doc["services"].items()
    }
    assert found == {
        "mongo": "mongo",
        "mongo-init": None,
        "redis": "redis",
        "qdrant": "qdrant",
        "postgres": "postgres",
        "neo4j": "neo4j",
        "keycloak": "keycloak",
        "ollama": "ollama",
    }


def test_ushadow_app_compose_files_have_only_their_own_mongo() -> None:
    apps = [p for p in (CORPUS / "ushadow").glob("*.y*ml") if p.name != "docker-compose.infra.yml"]
    assert apps
    flagged = []
    for path in apps:
        doc = yaml.safe_load(path.read_text()) or {}
        for name, svc in (doc.get("services") or {}).items():
            found = recognise_compose_service(name, (svc or {}).get("image"), [])
            if found:
                flagged.append((path.name, name, found))
    assert flagged == [("share-dmz-compose.yaml", "mongodb", "mongo")]  # a real `mongo:7` service
