"""Building the control plane binaries with Go, once, into a versioned cache.

``go install`` refuses ``k8s.io/kubernetes`` because its go.mod replaces every staging module
(``k8s.io/api`` ...) with a local path. The known way round is a small wrapper module that
requires ``k8s.io/kubernetes vX.Y.Z`` and replaces each required staging module with its published
``v0.Y.Z`` tag; etcd's server module needs the same treatment. kwok installs as it is.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core.errors import LocalClusterError

log = logging.getLogger(__name__)

K8S_VERSION = "v1.37.2"
ETCD_VERSION = "v3.7.3"
KWOK_VERSION = "v0.8.0"
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
K8S_COMMANDS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")


@dataclass(frozen=True)
class Toolchain:
    bin_dir: Path
    built: bool  # False when everything was already there

    def path(self, name: str) -> Path:
        return self.bin_dir / name


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ushadow-ops"


def default_bin_dir() -> Path:
    return cache_root() / "bin" / K8S_VERSION


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    log.info("running %s in %s", " ".join(cmd), cwd)
    merged = {**os.environ, "GOFLAGS": "-buildvcs=false -mod=mod", **(env or {})}
    proc = subprocess.run(cmd, cwd=cwd, env=merged, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        raise LocalClusterError(
            f"`{' '.join(cmd[:3])} ...` failed in {cwd}:\n" + "\n".join(tail),
            hint="check that Go and the Go module proxy are reachable (`go env GOPROXY`)",
        )
    return proc.stdout


def _require_go() -> str:
    go = shutil.which("go")
    if go is None:
        raise LocalClusterError(
            "Go is not installed, and the control plane binaries are built with it",
            hint="install Go 1.26+, or point USHADOW_K8S_BIN_DIR at ready-made binaries",
        )
    return go


def _module_gomod(go: str, module: str, version: str, workdir: Path) -> str:
    out = _run([go, "mod", "download", "-json", f"{module}@{version}"], workdir)
    info = json.loads(out)
    return Path(info["GoMod"]).read_text()


def staging_replacements(upstream_gomod: str, staging_version: str) -> list[tuple[str, str]]:
    """(module, version) for each module that upstream both requires and replaces with a local path."""
    replaced = set(re.findall(r"^\s*(\S+)\s+=>\s+\./", upstream_gomod, flags=re.M))
    replaced |= set(re.findall(r"^\s*(\S+)\s+=>\s+\.\./", upstream_gomod, flags=re.M))
    required = set(re.findall(r"^\s*(\S+)\s+v\d\S*", upstream_gomod, flags=re.M))
    return [(m, staging_version) for m in sorted(replaced & required)]


def wrapper_gomod(module: str, version: str, replacements: list[tuple[str, str]]) -> str:
    lines = ["module ushadow.local/build", "", "go 1.26.0", "", f"require {module} {version}", ""]
    if replacements:
        lines.append("replace (")
        lines += [f"\t{m} => {m} {v}" for m, v in replacements]
        lines.append(")")
    return "\n".join(lines) + "\n"


def _tools_go(packages: list[str]) -> str:
    imports = "\n".join(f'\t_ "{p}"' for p in packages)
    return f"//go:build tools\n\npackage tools\n\nimport (\n{imports}\n)\n"


def _build_wrapped(
    go: str,
    module: str,
    version: str,
    staging_version: str,
    packages: list[str],
    out: Path,
    ldflags: str,
    suffix: str = "",
) -> None:
    work = cache_root() / "build" / f"{module.replace('/', '_')}-{version}{suffix}"
    work.mkdir(parents=True, exist_ok=True)
    upstream = _module_gomod(go, module, version, work)
    (work / "go.mod").write_text(
        wrapper_gomod(module, version, staging_replacements(upstream, staging_version))
    )
    (work / "tools.go").write_text(_tools_go(packages))
    _run([go, "mod", "tidy"], work)
    tmp = out.with_name(out.name + suffix + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    _run([go, "build", "-trimpath", "-ldflags", ldflags, "-o", str(tmp) + "/", *packages], work)
    for built in tmp.iterdir():
        built.replace(out / built.name)
    tmp.rmdir()


def _k8s_ldflags() -> str:
    major, minor = K8S_VERSION.lstrip("v").split(".")[:2]
    pkg = "k8s.io/component-base/version"
    return " ".join(
        [
            "-s -w",
            f"-X {pkg}.gitVersion={K8S_VERSION}",
            f"-X {pkg}.gitMajor={major}",
            f"-X {pkg}.gitMinor={minor}",
            f"-X {pkg}.gitTreeState=clean",
            f"-X {pkg}.buildDate=2026-01-01T00:00:00Z",
        ]
    )


def ensure_binaries(
    bin_dir: Path | None = None, *, progress: Callable[[str], None] = lambda _m: None
) -> Toolchain:
    """Return a directory holding every binary, building what is missing (idempotent)."""
    if bin_dir is not None:
        missing = [b for b in BINARIES if not (bin_dir / b).is_file()]
        if missing:
            raise LocalClusterError(
                f"USHADOW_K8S_BIN_DIR={bin_dir} lacks {', '.join(missing)}",
                hint="put ready-made binaries there, or unset USHADOW_K8S_BIN_DIR to build them with Go",
            )
        return Toolchain(bin_dir, built=False)
    out = default_bin_dir()
    out.mkdir(parents=True, exist_ok=True)
    if all((out / b).is_file() for b in BINARIES):
        return Toolchain(out, built=False)
    with _build_lock(out):  # two test runs at once: one builds, the other waits and reuses it
        missing = [b for b in BINARIES if not (out / b).is_file()]
        if not missing:
            return Toolchain(out, built=False)
        return _build_missing(out, missing, progress)


@contextmanager
def _build_lock(out: Path) -> Iterator[None]:
    """An exclusive lock on the cache folder while binaries are built into it (released on exit,
    also when the process dies)."""
    with (out.parent / f".{out.name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build_missing(out: Path, missing: list[str], progress: Callable[[str], None]) -> Toolchain:
    go = _require_go()
    started = time.monotonic()
    if any(b in missing for b in K8S_COMMANDS):
        progress(f"building Kubernetes {K8S_VERSION} control plane with Go (once; cached in {out})")
        _build_wrapped(
            go,
            "k8s.io/kubernetes",
            K8S_VERSION,
            "v0." + K8S_VERSION.split(".", 1)[1],
            [f"k8s.io/kubernetes/cmd/{c}" for c in K8S_COMMANDS],
            out,
            _k8s_ldflags(),
        )
    if "etcd" in missing:
        progress(f"building etcd {ETCD_VERSION} with Go")
        _build_wrapped(
            go,
            "go.etcd.io/etcd/server/v3",
            ETCD_VERSION,
            ETCD_VERSION,
            ["go.etcd.io/etcd/server/v3"],
            out,
            "-s -w",
        )
        (out / "server").replace(out / "etcd")  # go names it after the module dir
    if "kwok" in missing:
        progress(f"building kwok {KWOK_VERSION} with Go")
        _run(
            [go, "install", f"sigs.k8s.io/kwok/cmd/kwok@{KWOK_VERSION}"],
            out,
            {"GOBIN": str(out), "GOFLAGS": "-buildvcs=false"},
        )
    progress(f"control plane binaries ready in {time.monotonic() - started:.0f}s")
    return Toolchain(out, built=True)


def ensure_kubelet(*, progress: Callable[[str], None] = lambda _m: None) -> Path:
    """The kubelet for the real node, built once from the same wrapper module into the same cache.

    It has its own work and partial directories, so it can build while the control plane builds.
    """
    out = default_bin_dir()
    out.mkdir(parents=True, exist_ok=True)
    kubelet = out / "kubelet"
    if kubelet.is_file():
        return kubelet
    with _build_lock(out):  # another run may be building it (or the control plane) right now
        if kubelet.is_file():
            return kubelet
        go = _require_go()
        started = time.monotonic()
        progress(f"building the Kubernetes {K8S_VERSION} kubelet with Go (once; cached in {out})")
        _build_wrapped(
            go,
            "k8s.io/kubernetes",
            K8S_VERSION,
            "v0." + K8S_VERSION.split(".", 1)[1],
            ["k8s.io/kubernetes/cmd/kubelet"],
            out,
            _k8s_ldflags(),
            suffix="-kubelet",
        )
        progress(f"kubelet ready in {time.monotonic() - started:.0f}s")
    return kubelet
