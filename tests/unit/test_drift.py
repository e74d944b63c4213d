"""Drift's pure parts: named lists compared by name, secret values never shown, source facets."""

from __future__ import annotations

from core.operate.drift import _mask, diff
from core.operate.rendering import source_drift
from core.secrets.sensitivity import MASK


def test_named_lists_are_compared_by_name_not_position() -> None:
    before = {"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
    after = {"env": [{"name": "B", "value": "3"}, {"name": "A", "value": "1"}]}
    assert diff(before, after) == [("env[B].value", "2", "3")]


def test_secret_values_are_masked() -> None:
    assert _mask("spec.containers[x].env[DB_PASSWORD].value", "hunter2-x", secret=False) == MASK
    assert _mask("spec.containers[x].env[LOG_LEVEL].value", "debug", secret=False) == "debug"
    assert _mask("data.KEY", "anything", secret=True) == MASK


def _objects(image: str, port: int) -> list[dict[str, object]]:
    container = {
        "name": "web",
        "image": image,
        "ports": [{"containerPort": port}],
        "envFrom": [{"configMapRef": {"name": "web-config"}}],
    }
    return [
        {"kind": "ConfigMap", "metadata": {"name": "web-config"}, "data": {"A": "1"}},
        {
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"template": {"spec": {"containers": [container]}}},
        },
    ]


def test_source_drift_names_the_image_and_ports() -> None:
    found = {d.field: d for d in source_drift(_objects("nginx:1", 80), _objects("nginx:2", 8080))}
    assert set(found) == {"Deployment/web containers[web].image", "Deployment/web containers[web].ports"}
    assert (
        found["Deployment/web containers[web].image"].deployed,
        found["Deployment/web containers[web].image"].would_render,
    ) == ("nginx:1", "nginx:2")
    assert source_drift(_objects("nginx:1", 80), _objects("nginx:1", 80)) == []
