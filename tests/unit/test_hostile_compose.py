"""Hostile compose files in a registry folder: alias bombs, deep nesting, huge port ranges and
numbers that are not numbers each give that file (or service) a clean error and hide nothing else.

The inputs are the audit's (issue 11), made just large enough that the unfixed code misbehaves
(a wrong or missing error) without exhausting the machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.cli import main
from core.compose.loading import load_text
from core.compose.registry import Registry, load_registry
from core.compose.syntax import MAX_PORTS
from core.errors import InvalidInput
from core.manifests.bundles import plan_bundle, refs_of_registry
from core.untrusted import ALIAS_BUDGET, DEFAULT_MAX_DEPTH, check_yaml, clip

GOOD = "services:\n  web:\n    image: nginx:1.27\n"


def alias_bomb(levels: int, width: int = 9) -> str:
    """``kind: *aN`` where each anchor lists ``width`` aliases of the one before (width**levels values)."""
    lines = ["x-bomb:", '  a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + f"\nkind: *a{levels}\n"


def registry_of(tmp_path: Path, **files: str) -> Registry:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    (tmp_path / "good.yaml").write_text(GOOD)
    return load_registry(tmp_path, environ={})


def errors(registry: Registry) -> dict[str, str | None]:
    return {e.service_id: e.error for e in registry.entries}


# -- aliases ----------------------------------------------------------------------------------------


def test_an_alias_bomb_is_refused_for_its_file_only(tmp_path: Path) -> None:
    found = errors(registry_of(tmp_path, bomb=alias_bomb(6)))  # 9**7 values once expanded
    assert found["good:web"] is None
    assert "aliases expand to more than" in (found["bomb:*"] or "")
    assert len(found["bomb:*"] or "") < 300


def test_services_list_survives_an_alias_bomb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "reg").mkdir()
    (tmp_path / "reg" / "bomb.yaml").write_text(alias_bomb(6))
    (tmp_path / "reg" / "good.yaml").write_text(GOOD)
    monkeypatch.setenv("USHADOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(tmp_path / "reg"))
    assert main(["services", "list", "--json"]) == 0
    out = capsys.readouterr().out
    assert "good:web" in out and "aliases expand to more than" in out
    assert len(out) < 5000


def test_anchors_that_compose_files_use_still_work() -> None:
    text = "x-common: &common\n  image: nginx:1.27\n  environment: {A: '1', B: '2'}\nservices:\n" + "".join(
        f"  s{i}:\n    <<: *common\n" for i in range(50)
    )
    project = load_text(text, strict=True)
    assert len(project.services) == 50
    assert project.services["s49"].environment == {"A": "1", "B": "2"}


def test_the_budget_counts_expanded_values_not_alias_events() -> None:
    check_yaml(alias_bomb(3), "ok.yaml")  # 9**4 = 6,561 values
    with pytest.raises(InvalidInput, match=f"{ALIAS_BUDGET:,}"):
        check_yaml(alias_bomb(4), "bomb.yaml")  # 59,049


def test_clip_never_walks_or_prints_an_unbounded_value() -> None:
    inner: list[object] = ["x" * 10_000]
    for _ in range(30):
        inner = [inner] * 1000  # 1000**30 items if walked
    assert len(clip(inner)) <= 80
    assert len(clip("y" * 1_000_000, 50)) <= 50


# -- nesting ----------------------------------------------------------------------------------------


def test_deeply_nested_interpolation_is_an_error_for_that_file_only(tmp_path: Path) -> None:
    value = "x"
    for _ in range(500):
        value = "${A:-" + value + "}"
    deep = f"services:\n  web:\n    image: nginx\n    environment:\n      X: '{value}'\n"
    found = errors(registry_of(tmp_path, deep=deep))
    assert found["good:web"] is None
    assert "interpolation nested more than" in (found["deep:web"] or "")
    assert len(found["deep:web"] or "") < 300


def test_interpolation_nested_a_few_levels_still_works() -> None:
    project = load_text(
        "services:\n  web:\n    image: nginx\n    environment:\n      X: ${A:-${B:-${C:-deep}}}\n",
        environ={},
    )
    assert project.services["web"].environment["X"] == "deep"


@pytest.mark.parametrize("depth", [DEFAULT_MAX_DEPTH + 1, 500, 5000])
def test_deeply_nested_yaml_is_an_error_for_that_file_only(tmp_path: Path, depth: int) -> None:
    deep = "services:\n  web:\n    image: nginx\n    labels:\n      x: " + "[" * depth + "]" * depth + "\n"
    block = (
        "".join("  " * i + f"k{i}:\n" for i in range(depth if depth < 600 else 600)) + "  " * 600 + "v: 1\n"
    )
    found = errors(registry_of(tmp_path, flow=deep, block=block))
    assert found["good:web"] is None
    for name in ("flow:*", "block:*"):
        assert "nested more than" in (found[name] or "") or "nesting depth" in (found[name] or "")


# -- ports ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [("ports", '["1-8000:1-8000"]'), ("expose", '["1-65535"]'), ("ports", '["1-600", "601-1200"]')],
)
def test_a_huge_port_range_is_refused_with_the_cap(tmp_path: Path, key: str, value: str) -> None:
    text = f"services:\n  web:\n    image: nginx\n    {key}: {value}\n"
    found = errors(registry_of(tmp_path, ports=text))
    assert found["good:web"] is None
    assert f"{MAX_PORTS:,}" in (found["ports:web"] or "")


def test_a_range_of_the_cap_is_accepted_once_per_port() -> None:
    text = 'services:\n  web:\n    image: nginx\n    ports: ["1-1000:1-1000", "1-1000:1-1000"]\n    expose: ["1-1000"]\n'
    ports = load_text(text).services["web"].ports
    assert len(ports) == MAX_PORTS
    assert {p.target for p in ports} == set(range(1, 1001)) and not any(p.exposed_only for p in ports)


# -- numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cpus",
    [
        "cpus: 1e400",
        "cpus: .nan",
        "cpus: '-.inf'",
        "cpus: '1e400'",
        "deploy: {resources: {limits: {cpus: 1e400}}}",
        "deploy: {resources: {reservations: {cpus: .nan}}}",
        "deploy: {resources: {limits: {cpus: '.NaN'}}}",
    ],
)
def test_a_number_that_is_not_finite_breaks_only_its_service(tmp_path: Path, cpus: str) -> None:
    text = f"services:\n  bad:\n    image: nginx\n    {cpus}\n  ok:\n    image: nginx\n"
    registry = registry_of(tmp_path, nums=text)
    found = errors(registry)
    assert "finite number" in (found["nums:bad"] or "")
    assert found["nums:ok"] is None and found["good:web"] is None
    refs, broken = refs_of_registry(registry)
    plan = plan_bundle(refs, broken=broken)
    assert {s["service_id"] for s in plan.services} == {"nums:ok", "good:web"}
    assert "nums:bad" in plan.skipped


def test_a_duration_too_long_for_a_float_is_refused() -> None:
    text = "services:\n  web:\n    image: nginx\n    stop_grace_period: " + "9" * 400 + "s\n"
    with pytest.raises(InvalidInput, match="too long"):
        load_text(text)


@pytest.mark.parametrize("number", ["9" * 5000, "-" + "9" * 4400, "0x" + "f" * 5000, "0" + "7" * 5000])
@pytest.mark.parametrize("key", ["cpus", "scale", "mem_limit", "ports"])
def test_a_number_with_thousands_of_digits_is_an_error_for_that_file(
    tmp_path: Path, number: str, key: str
) -> None:
    value = f"[{number}]" if key == "ports" else number
    found = errors(registry_of(tmp_path, digits=f"services:\n  web:\n    image: nginx\n    {key}: {value}\n"))
    assert "digits is too long" in (found["digits:*"] or ""), found
    assert found["good:web"] is None
