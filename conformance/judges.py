"""Outside judges of the compiled corpus: checkov's Kubernetes checks, and kompose beside us.

- **checkov** (PyPI ``checkov``, pinned in the Makefile) lives in its own virtualenv,
  ``.venv/checkov`` (its pins clash with ours), made by ``make conformance``; ``USHADOW_CHECKOV``
  names another ``checkov`` executable. It runs offline (``--skip-download``).
- **kompose** v1.38.0 is built with ``go build`` from the Go module proxy's source into the cache
  (``bench.bench_process.build_kompose``, the benchmarks' build), also by ``make conformance``.

Both are required: a missing one is a usage error naming the command that makes it (the
conformance suite never skips).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.compose.loading import load_project
from core.compose.model import ComposeProject, ServiceSpec
from core.errors import InvalidInput, NotConvertible
from core.manifests.compiler import compile_service
from core.manifests.yamldocs import to_yaml

ROOT = Path(__file__).resolve().parent.parent
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet")
TIMEOUT = 600  # seconds for one checkov or kompose run


def checkov_binary() -> Path:
    named = os.environ.get("USHADOW_CHECKOV", "").strip()
    path = Path(named) if named else Path(sys.executable).parent.parent / "checkov" / "bin" / "checkov"
    if not path.is_file():
        raise pytest.UsageError(
            f"checkov is not installed at {path}: `make conformance CORPUS=...` installs it into "
            ".venv/checkov (or set USHADOW_CHECKOV to a checkov executable)"
        )
    return path


def kompose_binary() -> Path:
    from bench.bench_process import build_kompose

    path, how = build_kompose()
    if path is None:
        raise pytest.UsageError(f"kompose v1.38.0 could not be built: {how}")
    return path


@dataclass(frozen=True)
class Compiled:
    """One compiled service written to ``<file-stem>--<service>.yaml``."""

    project: ComposeProject
    spec: ServiceSpec
    kind: str
    name: str


def compile_corpus(folder: Path, out: Path, namespace: str = "ushadow") -> dict[str, Compiled]:
    """Every convertible service of the compose files in ``folder``, one YAML file each (Secret
    values masked, as ``render`` writes them); by file name."""
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Compiled] = {}
    for path in sorted(folder.glob("*.y*ml")):
        try:
            project = load_project(path, strict=False)
        except InvalidInput:
            continue
        for spec in project.services.values():
            try:
                compiled = compile_service(spec, project=project, namespace=namespace)
            except NotConvertible:
                continue
            name = f"{path.stem}--{spec.name}.yaml"
            (out / name).write_text(to_yaml(compiled.redacted()))  # no secret value in a file
            written[name] = Compiled(project, spec, compiled.kind, compiled.name)
    return written


def kompose_convert(folder: Path, out: Path) -> dict[str, str]:
    """``kompose convert`` of each compose file in ``folder`` into ``out``, with every profile the
    file uses active (we compile every service too); the files it refused, with why."""
    kompose = kompose_binary()
    out.mkdir(parents=True, exist_ok=True)
    refused: dict[str, str] = {}
    for path in sorted(folder.glob("*.y*ml")):
        profiles = [arg for p in file_profiles(path) for arg in ("--profile", p)]
        proc = subprocess.run(
            [str(kompose), "convert", "-f", str(path), *profiles, "-o", str(out / f"{path.stem}.yaml")],
            capture_output=True, text=True, timeout=TIMEOUT, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"
            refused[path.name] = re.sub(r"\x1b\[[0-9;]*m", "", last)
    return refused


def file_profiles(path: Path) -> list[str]:
    """The compose profiles the services of ``path`` name (read as plain YAML)."""
    import yaml

    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        return []
    services = (doc or {}).get("services") if isinstance(doc, dict) else None
    found = {
        str(p) for s in (services or {}).values() if isinstance(s, dict) for p in s.get("profiles") or ()
    }
    return sorted(found)


@dataclass(frozen=True)
class Finding:
    check_id: str
    check_name: str
    kind: str
    name: str
    file: str


def run_checkov(folder: Path) -> tuple[list[Finding], dict[str, Any]]:
    """checkov's failed Kubernetes checks over the manifests in ``folder``, and its summary."""
    proc = subprocess.run(
        [str(checkov_binary()), "-d", str(folder), "--framework", "kubernetes", "-o", "json",
         "--quiet", "--compact", "--skip-download"],
        capture_output=True, text=True, timeout=TIMEOUT, check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )  # fmt: skip
    if proc.returncode not in (0, 1) or not proc.stdout.strip():
        raise AssertionError(f"checkov failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    reports = json.loads(proc.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    found = []
    summary: dict[str, Any] = {}
    for report in reports:
        for key, value in (report.get("summary") or {}).items():
            summary[key] = summary.get(key, 0) + value if isinstance(value, int) else value
        for failed in (report.get("results") or {}).get("failed_checks") or ():
            kind, _, rest = str(failed["resource"]).partition(".")
            name = rest.rpartition(".")[2]
            file = Path(str(failed["file_path"])).name
            found.append(Finding(failed["check_id"], failed["check_name"], kind, name, file))
    return found, dict(summary)


def workload_key(file: str, name: str) -> str:
    """``<compose file stem>:<workload name>``, the same for our files (``<stem>--<service>.yaml``)
    and kompose's (``<stem>.yaml``)."""
    return f"{file.removesuffix('.yaml').split('--')[0]}:{name}"


def per_workload(findings: list[Finding]) -> dict[str, list[str]]:
    """Failed check ids by workload (objects that run pods), keyed as :func:`workload_key`."""
    out: dict[str, list[str]] = {}
    for f in findings:
        if f.kind in WORKLOAD_KINDS:
            out.setdefault(workload_key(f.file, f.name), []).append(f.check_id)
    return out


def workloads_in(folder: Path) -> dict[str, str]:
    """Every workload in the YAML files of ``folder`` (passing or not): key -> kind."""
    import yaml

    out = {}
    for path in sorted(folder.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if isinstance(doc, dict) and doc.get("kind") in WORKLOAD_KINDS:
                out[workload_key(path.name, str(doc["metadata"]["name"]))] = str(doc["kind"])
    return out
