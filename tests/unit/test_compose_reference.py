"""Differential test: our loader against compose-go, the loader of Docker Compose and kompose.

``tools/composeref`` (Go) loads a compose file with compose-go and prints each service in a
normalised JSON form. For every compose file of ``../shared/corpus`` and of
``tests/fixtures/compose``, both loaders get the same variables (the settings from an ``envs``
file beside the compose file, as kompose's own tests use, and a fixed small process environment)
and must agree on each service's image, ports, expose, environment, command, entrypoint,
healthcheck and volumes, and on a few more fields. Where the two legitimately differ in form,
both sides are normalised below; where one accepts a file the other rejects, ``EXPECTED`` says
so per file, with the reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from core.compose import syntax
from core.compose.loading import load_project
from core.compose.model import ComposeProject
from core.errors import InvalidInput
from tests.support.paths import REPO

# The first test builds the Go helper (a cold module cache downloads compose-go): allow for it.
pytestmark = pytest.mark.timeout(900)

ROOT = REPO
CORPUS = ROOT.parent / "shared" / "corpus"
FIXTURES = ROOT / "tests" / "fixtures" / "compose"
TOOL = ROOT / "tools" / "composeref"

# Outcome per file when it is not "both load it". Keys are paths relative to the corpus or to
# tests/fixtures/compose. "both reject" entries are listed too, so that a loader that starts (or
# stops) accepting one of them is noticed.
BOTH_REJECT = "both reject"
ONLY_REFERENCE_REJECTS = "compose-go rejects, we accept"
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
    # An override file that the include fixture merges over web/base.yaml: no image on its own.
    "include/web/override.yaml": (BOTH_REJECT, "an override: web has no image"),
    # Our own fixtures that are meant to be rejected.
    "invalid/bad-interpolation.yaml": (BOTH_REJECT, "${} is not a variable"),
    "invalid/required-variable.yaml": (BOTH_REJECT, "${DB_PASSWORD:?...} with no value"),
    "invalid/bad-port.yaml": (BOTH_REJECT, "a port that is not a number"),
    "invalid/duplicate-key.yaml": (BOTH_REJECT, "a key written twice"),
    "invalid/unknown-key.yaml": (BOTH_REJECT, "a misspelt service key"),
    "invalid/wrong-type.yaml": (BOTH_REJECT, "privileged is not a boolean"),
    "invalid/extends-cycle.yaml": (BOTH_REJECT, "a extends b extends a"),
    "invalid/bad-duration.yaml": (BOTH_REJECT, "an interval without a unit"),
    "registry/apps/broken.yaml": (BOTH_REJECT, "not valid YAML (bad indentation)"),
    "registry/apps/half-broken.yaml": (BOTH_REJECT, "a port that is not a number"),
    "registry/apps/shop-compose.yaml": (BOTH_REJECT, "${DATABASE_URL:?...} with no value"),
}


def _compose_files() -> list[tuple[str, Path]]:
    files = []
    for root in (CORPUS, FIXTURES):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".yml", ".yaml") and not path.name.startswith("output-") and path.is_file():
                files.append((str(path.relative_to(root)), path))
    return files


FILES = _compose_files()
HOME = "/home/composeref"


@pytest.fixture(scope="session")
def composeref() -> Path:
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


def _settings(path: Path) -> dict[str, str]:
    """Variables from an ``envs`` file beside the compose file (kompose's tests source these)."""
    envs = path.parent / "envs"
    if not envs.is_file():
        return {}
    pairs = (line.split("=", 1) for line in envs.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def _environ() -> dict[str, str]:
    return {"HOME": HOME, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def _reference(binary: Path, path: Path, settings: dict[str, str]) -> dict[str, Any]:
    args = [str(binary)]
    for key, value in settings.items():
        args += ["-e", f"{key}={value}"]
    done = subprocess.run([*args, str(path)], env=_environ(), capture_output=True, text=True, timeout=60)
    result: dict[str, Any] = json.loads(done.stdout)
    assert (done.returncode == 0) == ("error" not in result), done.stderr
    return result


# --- normalisation of both sides --------------------------------------------------------------


def _ours(project: ComposeProject) -> dict[str, dict[str, Any]]:
    out = {}
    for name, spec in project.services.items():
        health = spec.healthcheck.model_dump() if spec.healthcheck else None
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
            "resources": _rounded(spec.resources.model_dump(exclude={"gpu_driver"})),
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


def _theirs(reference: dict[str, Any]) -> dict[str, dict[str, Any]]:
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


@pytest.mark.parametrize(("name", "path"), FILES, ids=[name for name, _ in FILES])
def test_loader_agrees_with_compose_go(composeref: Path, name: str, path: Path) -> None:
    settings = _settings(path)
    reference = _reference(composeref, path, settings)
    try:
        project: ComposeProject | None = load_project(path, env=settings, environ=_environ())
        error = None
    except InvalidInput as exc:  # a clear error is fine; a traceback is not
        project, error = None, exc.message
    expected, why = EXPECTED.get(name, ("both load", ""))
    outcome = {
        (True, True): "both load",
        (False, False): BOTH_REJECT,
        (True, False): ONLY_REFERENCE_REJECTS,
        (False, True): "we reject, compose-go accepts",
    }[(project is not None, "error" not in reference)]
    assert outcome == expected, (
        f"{name}: {outcome} ({why}); ours: {error}; compose-go: {reference.get('error')}"
    )
    if project is None or "error" in reference:
        return
    ours, theirs = _ours(project), _theirs(reference)
    assert sorted(ours) == sorted(theirs), "the two loaders found different services"
    differences = [
        f"{service}.{key}:\n  ours:       {ours[service][key]!r}\n  compose-go: {theirs[service][key]!r}"
        for service in ours
        for key in ours[service]
        if ours[service][key] != theirs[service][key]
    ]
    assert not differences, "\n".join(differences)


def test_every_compose_file_of_the_corpus_is_covered() -> None:
    names = {name for name, _ in FILES}
    assert len([n for n in names if n.startswith(("ushadow/", "kompose/"))]) >= 100
    assert {n for n in EXPECTED if n not in names} == set(), "EXPECTED names a file that does not exist"
    assert posixpath.join("ushadow", "docker-compose.infra.yml") in names
