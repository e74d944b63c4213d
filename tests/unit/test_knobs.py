"""The ``x-ushadow`` keys the compiler reads are exactly those ``core.manifests.knobs`` lists (and
documents), and knobs.py is the only module of the compiler that reads them."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from core.compose.model import ComposeProject, ServiceSpec, UshadowMeta
from core.errors import InvalidInput
from core.manifests import knobs
from core.manifests.compilations import CompileOptions
from core.manifests.compiler import compile_service

MANIFESTS = Path(knobs.__file__).parent


class _Recording(dict[str, Any]):
    def __init__(self, seen: set[str], data: dict[str, Any]) -> None:
        super().__init__(data)
        self.seen = seen

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.seen.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.seen.add(key)
        return super().__getitem__(key)


def _project(spec: ServiceSpec, own: dict[str, Any], top: dict[str, Any]) -> ComposeProject:
    return ComposeProject(
        path="/compose/app.yml",
        name="app",
        services={spec.name: spec},
        meta=UshadowMeta.of(top),
        service_meta={spec.name: UshadowMeta.of(own)},
    )


def test_the_keys_read_are_the_keys_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {"service": set[str](), "file": set[str]()}
    project = _project(ServiceSpec(name="web", image="nginx:1.27"), {"node": "real"}, {})
    original = knobs._extra

    def recording(meta: Any) -> dict[str, Any]:
        which = "service" if meta is project.service_meta["web"] else "file"
        return _Recording(seen[which], original(meta))

    monkeypatch.setattr(knobs, "_extra", recording)
    compiled = compile_service(
        project.services["web"], project=project, namespace="demo", options=CompileOptions()
    )
    pod = compiled.objects[-1]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"ushadow.io/node": "real"}
    assert seen["service"] == set(knobs.SERVICE_KEYS)
    assert seen["file"] == set(knobs.FILE_KEYS)
    doc = knobs.__doc__ or ""
    assert [k for k in (*knobs.SERVICE_KEYS, *knobs.FILE_KEYS) if f"``{k}``" not in doc] == []


def test_no_other_compiler_module_reads_x_ushadow() -> None:
    readers = []
    for path in sorted(MANIFESTS.glob("*.py")):
        if path.name == "knobs.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("service_meta", "other_keys"):
                readers.append(f"{path.name}:{node.lineno}")
    assert readers == []


@pytest.mark.parametrize("value", ["", "not a label!", ["real"], True])
def test_a_bad_node_is_refused(value: Any) -> None:
    project = _project(ServiceSpec(name="web", image="nginx:1.27"), {"node": value}, {})
    with pytest.raises(InvalidInput, match="x-ushadow node of web"):
        knobs.knobs_for(project, "web")
