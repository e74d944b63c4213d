"""Pod Security admission over the ushadow corpus: the API server of the local control plane as the judge.

Every convertible service of ``<corpus>/ushadow`` is compiled into a namespace that enforces
``baseline`` and its pod template created as a Pod with server-side dry-run: every one is admitted
except those the compiler's warnings name (``NET_ADMIN`` for tailscale, a hostPath). Under
``restricted`` exactly the services that give a non-root ``user`` and ask for no privilege are
admitted (the others run as whatever the image says, which restricted refuses). The counts are
printed (``-s``) for the record.
"""

from __future__ import annotations

import pytest
from kubernetes import client

from conformance.corpus import CORPUS
from core.compose.loading import load_project
from core.errors import InvalidInput, NotConvertible
from core.manifests.compilations import CompiledService
from core.manifests.compiler import compile_service
from tests.support.podsecurity import asks_beyond_baseline, label_namespace, refusal, runs_as_non_root

pytestmark = pytest.mark.cluster


def _ushadow(namespace: str) -> dict[str, CompiledService]:
    out: dict[str, CompiledService] = {}
    for path in sorted((CORPUS / "ushadow").glob("*.y*ml")):
        try:
            project = load_project(path, strict=False)
        except InvalidInput:
            continue
        for spec in project.services.values():
            try:
                out[f"{path.name}:{spec.name}"] = compile_service(spec, project=project, namespace=namespace)
            except NotConvertible:
                continue
    return out


def test_baseline_admits_the_corpus_except_what_the_warnings_name(
    kube_api: client.ApiClient, namespace: str
) -> None:
    label_namespace(kube_api, namespace, "baseline")
    compiled = _ushadow(namespace)
    refused = {key for key, c in compiled.items() if refusal(kube_api, c)}
    named = {key for key, c in compiled.items() if asks_beyond_baseline(c)}
    print(
        f"\nbaseline: {len(compiled) - len(refused)} of {len(compiled)} workloads admitted; refused: {sorted(refused)}"
    )
    assert len(compiled) >= 25
    assert refused == named
    assert "tailscale-compose.yml:tailscale" in refused


def test_restricted_admits_every_non_root_service(kube_api: client.ApiClient, namespace: str) -> None:
    label_namespace(kube_api, namespace, "restricted")
    compiled = _ushadow(namespace)
    admitted = {key for key, c in compiled.items() if refusal(kube_api, c) is None}
    expected = {key for key, c in compiled.items() if not asks_beyond_baseline(c) and runs_as_non_root(c)}
    print(f"\nrestricted: {len(admitted)} of {len(compiled)} workloads admitted: {sorted(admitted)}")
    assert admitted == expected
