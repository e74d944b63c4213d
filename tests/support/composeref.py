"""Differential testing of our compose loader against compose-go, shared by tests/ and conformance/.

``tools/composeref`` (Go) loads a compose file with compose-go and prints each service in a
normalised JSON form. For a compose file, both loaders get the same variables (the settings from an
``envs`` file beside the compose file, as kompose's own tests use, and a fixed small process
environment) and must agree on each service's image, ports, expose, environment, command,
entrypoint, healthcheck and volumes, and on a few more fields. Where the two legitimately differ in
form, both sides are normalised below; where one accepts a file the other rejects, the caller's
``expected`` table says so per file, with the reason.

``tests/unit/test_compose_reference.py`` runs it over ``tests/fixtures/compose``, and
``conformance/test_compose_reference.py`` over the external compose corpus.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from core.compose import syntax
from core.compose.loading import load_project
from core.compose.model import ComposeProject
from core.errors import InvalidInput
from tests.support.paths import REPO

TOOL = REPO / "tools" / "composeref"
HOME = "/home/composeref"

# Outcomes per file when it is not "both load it". "both reject" entries are listed too, so that a
# loader that starts (or stops) accepting one of them is noticed.
BOTH_REJECT = "both reject"
ONLY_REFERENCE_REJECTS = "compose-go rejects, we accept"


def compose_files(root: Path) -> list[tuple[str, Path]]:
    """Every compose file under ``root`` (kompose's expected ``output-*`` files aside), by relative name."""
    files = []
    for path in sorted(root.rglob("*")):
        if path.suffix in (".yml", ".yaml") and not path.name.startswith("output-") and path.is_file():
            files.append((str(path.relative_to(root)), path))
    return files


def build_composeref() -> Path:
    """The Go helper, built once into a cache folder keyed by its sources."""
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum", "main.go"):
        digest.update((TOOL / name).read_bytes())
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ushadow-ops" / "composeref"
    binary = cache / digest.hexdigest()[:16] / "composeref"
    if not binary.exists():
        binary.parent.mkdir(parents=True, exist_ok=True)
        partial = binary.with_suffix(".partial")
        env = {**os.environ, "GOFLAGS": "-buildvcs=false", "CGO_ENABLED": "0"}
        go = shutil.which("go") or "/usr/local/go/bin/go"
        subprocess.run([go, "build", "-o", str(partial), "."], cwd=TOOL, env=env, check=True, timeout=900)
        partial.replace(binary)
    return binary


def settings_beside(path: Path) -> dict[str, str]:
    """Variables from an ``envs`` file beside the compose file (kompose's tests source these)."""
    envs = path.parent / "envs"
    if not envs.is_file():
        return {}
    pairs = (line.split("=", 1) for line in envs.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def reference_environ() -> dict[str, str]:
    return {"HOME": HOME, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def run_reference(binary: Path, path: Path, settings: dict[str, str]) -> dict[str, Any]:
    args = [str(binary)]
    for key, value in settings.items():
        args += ["-e", f"{key}={value}"]
    done = subprocess.run(
        [*args, str(path)], env=reference_environ(), capture_output=True, text=True, timeout=60
    )
    result: dict[str, Any] = json.loads(done.stdout)
    assert (done.returncode == 0) == ("error" not in result), done.stderr
    return result


# --- normalisation of both sides --------------------------------------------------------------


def ours(project: ComposeProject) -> dict[str, dict[str, Any]]:
    out = {}
    for name, spec in project.services.items():
        health = dataclasses.asdict(spec.healthcheck) if spec.healthcheck else None
        out[name] = {
            "image": spec.image,
            "ports": sorted(
                (p.target, p.published, p.host_ip, p.protocol) for p in spec.ports if not p.exposed_only
            ),
            "expose": sorted((p.target, p.protocol) for p in spec.ports if p.exposed_only),
            "environment": dict(spec.environment),
            "command": spec.command,
            "entrypoint": spec.entrypoint,
            "healthcheck": health,
            "volumes": sorted(
                (v.type, v.source, v.target, v.read_only, v.subpath, v.tmpfs_size) for v in spec.volumes
            ),
            "restart": spec.restart,
            "user": spec.user,
            "working_dir": spec.working_dir,
            "labels": spec.labels,
            "cap_add": sorted(spec.cap_add),
            "cap_drop": sorted(spec.cap_drop),
            "privileged": spec.privileged,
            "extra_hosts": sorted(spec.extra_hosts),
            "stop_grace_period": spec.stop_grace_period,
            "depends_on": {d.service: (d.condition, d.required) for d in spec.depends_on},
            "replicas": spec.replicas,
            "resources": _rounded(
                {k: v for k, v in dataclasses.asdict(spec.resources).items() if k != "gpu_driver"}
            ),
            "profiles": sorted(spec.profiles),
        }
    return out


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in values.items()}


def _tmpfs(entry: str) -> tuple[Any, ...]:
    target, _, options = entry.partition(":")
    size = None
    for option in options.split(","):
        if option.startswith("size="):
            size = syntax.parse_size(option[5:])
    return ("tmpfs", None, syntax.go_path_clean(target), False, None, size)


def theirs(reference: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for name, s in reference["services"].items():
        ports = sorted((p["target"], p["published"], p["host_ip"], p["protocol"]) for p in s["ports"])
        expose: set[tuple[int, str]] = set()
        for text in s["expose"] or []:
            number, _, protocol = text.partition("/")
            for spec in syntax.parse_port(f"{number}/{protocol or 'tcp'}"):
                if not any(p[0] == spec.target and p[3] == spec.protocol for p in ports):
                    expose.add((spec.target, spec.protocol))
        health = s["healthcheck"]
        if health is not None:
            health = {**health, "test": health["test"] or []}
            health["disable"] = health["disable"] or health["test"][:1] == ["NONE"]
        volumes = {
            v["target"]: (v["type"], v["source"], v["target"], v["read_only"], v["subpath"], v["tmpfs_size"])
            for v in s["volumes"]
        }
        for entry in s["tmpfs"] or []:
            volumes.setdefault(_tmpfs(entry)[2], _tmpfs(entry))
        out[name] = {
            "image": s["image"],
            "ports": ports,
            "expose": sorted(expose),
            "environment": s["environment"] or {},
            "command": s["command"],
            "entrypoint": s["entrypoint"],
            "healthcheck": health,
            "volumes": sorted(volumes.values()),
            "restart": s["restart"] or None,
            "user": s["user"] or None,
            "working_dir": s["working_dir"] or None,
            "labels": s["labels"] or {},
            "cap_add": sorted(s["cap_add"] or []),
            "cap_drop": sorted(s["cap_drop"] or []),
            "privileged": s["privileged"],
            "extra_hosts": sorted(tuple(pair) for pair in s["extra_hosts"]),
            "stop_grace_period": s["stop_grace_period"],
            "depends_on": {k: (v["condition"], v["required"]) for k, v in s["depends_on"].items()},
            "replicas": s["replicas"],
            "resources": _rounded(s["resources"]),
            "profiles": sorted(s["profiles"] or []),
        }
    return out


def check_agreement(binary: Path, name: str, path: Path, expected: dict[str, tuple[str, str]]) -> None:
    """Both loaders on one file: the outcome ``expected`` names (default "both load"), and equal services."""
    settings = settings_beside(path)
    reference = run_reference(binary, path, settings)
    try:
        project: ComposeProject | None = load_project(path, env=settings, environ=reference_environ())
        error = None
    except InvalidInput as exc:  # a clear error is fine; a traceback is not
        project, error = None, exc.message
    wanted, why = expected.get(name, ("both load", ""))
    outcome = {
        (True, True): "both load",
        (False, False): BOTH_REJECT,
        (True, False): ONLY_REFERENCE_REJECTS,
        (False, True): "we reject, compose-go accepts",
    }[(project is not None, "error" not in reference)]
    assert outcome == wanted, (
        f"{name}: {outcome} ({why}); ours: {error}; compose-go: {reference.get('error')}"
    )
    if project is None or "error" in reference:
        return
    mine, reference_side = ours(project), theirs(reference)
    assert sorted(mine) == sorted(reference_side), "the two loaders found different services"
    differences = [
        f"{service}.{key}:\n  ours:       {mine[service][key]!r}\n  compose-go: {reference_side[service][key]!r}"
        for service in mine
        for key in mine[service]
        if mine[service][key] != reference_side[service][key]
    ]
    assert not differences, "\n".join(differences)
