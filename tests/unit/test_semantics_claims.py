"""Issue 12: a named volume's ``driver_opts`` as claim settings (``core.manifests.claims``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.compose.loading import load_project
from core.compose.model import TopLevelResource, Volume
from core.errors import InvalidInput
from tests.unit.test_semantics import build, find, project_of, svc, warned


def _claim(opts: dict[str, str], ushadow: dict[str, Any] | None = None, **options: Any) -> Any:
    spec = svc(volumes=[Volume(type="volume", source="models", target="/models")])
    declared = {"models": TopLevelResource(name="models", driver_opts=opts)}
    compiled = build(spec, project_of(spec, ushadow=ushadow, volumes=declared), **options)
    return compiled, find(compiled, "PersistentVolumeClaim", "models")["spec"]


@pytest.mark.parametrize(
    ("opts", "ushadow", "options", "size", "storage_class", "defaulted"),
    [
        ({"size": "50Gi"}, None, {}, "50Gi", None, False),
        ({"size": "50Gi", "storage_class": "fast"}, None, {}, "50Gi", "fast", False),
        ({"storageclass": "fast"}, {"volumes": {"models": {"size": "5Gi"}}}, {}, "5Gi", "fast", False),
        (
            {"size": "50Gi"},
            {"volumes": {"models": {"size": "5Gi"}}},
            {},
            "5Gi",
            None,
            False,
        ),  # x-ushadow wins
        (
            {"size": "50Gi"},
            None,
            {"volume_sizes": {"models": "7Gi"}},
            "7Gi",
            None,
            False,
        ),  # the caller's wins
        (
            {"storage-class": "fast"},
            None,
            {"storage_class": "slow", "volume_size": "2Gi"},
            "2Gi",
            "fast",
            True,
        ),
        ({}, None, {"storage_class": "slow"}, "1Gi", "slow", True),
    ],
)
def test_driver_opts_size_and_storage_class(
    opts: dict[str, str],
    ushadow: Any,
    options: dict[str, Any],
    size: str,
    storage_class: str | None,
    defaulted: bool,
) -> None:
    compiled, claim = _claim(opts, ushadow, **options)
    assert claim["resources"]["requests"]["storage"] == size
    assert claim.get("storageClassName") == storage_class
    assert warned(compiled, "no size given") == defaulted


def test_the_default_size_warning_is_unchanged_without_either() -> None:
    compiled, _ = _claim({})
    assert warned(compiled, "volume models: no size given, the claim asks for the default 1Gi")


def test_other_driver_opts_are_named_as_unused() -> None:
    compiled, claim = _claim({"type": "none", "o": "bind", "device": "/srv/models", "size": "3Gi"})
    assert claim["resources"]["requests"]["storage"] == "3Gi"
    assert warned(compiled, "volume models: driver_opts device, o, type have no Kubernetes claim equivalent")


def test_a_bad_driver_opts_size_is_refused() -> None:
    with pytest.raises(InvalidInput, match="'lots' for models is not a Kubernetes quantity"):
        _claim({"size": "lots"})


def test_the_loader_keeps_driver_opts(tmp_path: Path) -> None:
    (tmp_path / "c.yml").write_text(
        "services:\n  web:\n    image: nginx\n    volumes: [models:/models]\n"
        "volumes:\n  models:\n    driver_opts:\n      size: 20Gi\n      storage_class: fast\n"
    )
    project = load_project(tmp_path / "c.yml")
    assert project.volumes["models"].driver_opts == {"size": "20Gi", "storage_class": "fast"}


def test_a_limit_without_a_reservation_is_also_the_request() -> None:
    from core.compose.model import Resources

    c = build(svc(resources=Resources(cpu_limit=0.5, memory_limit=256 * 1024 * 1024, cpu_request=0.1)))
    resources = find(c, "Deployment")["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources == {
        "limits": {"cpu": "500m", "memory": "256Mi"},
        "requests": {"cpu": "100m", "memory": "256Mi"},  # as the API server would default it
    }
