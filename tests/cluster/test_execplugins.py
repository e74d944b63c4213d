"""An exec credential plugin runs only when allowlisted, and then its token is used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from core.clusters import registering as ops
from core.errors import InvalidInput
from core.settings import Settings
from core.store.store import Store
from tests.support.kubeconfig_factory import dump, service_account_token

pytestmark = pytest.mark.cluster


@pytest.fixture
def plugin(tmp_path: Path, kube_api: client.ApiClient, namespace: str) -> tuple[Path, Path]:
    """A tiny plugin that prints an ExecCredential with a real ServiceAccount token, and logs each run."""
    token = service_account_token(kube_api, namespace, "robot")
    runs = tmp_path / "runs.log"
    script = tmp_path / "fake-auth-plugin"
    answer = json.dumps(
        {
            "apiVersion": "client.authentication.k8s.io/v1",
            "kind": "ExecCredential",
            "status": {"token": token},
        }
    )
    script.write_text(f"#!/bin/sh\necho \"$KUBERNETES_EXEC_INFO\" >> {runs}\necho '{answer}'\n")
    script.chmod(0o755)
    return script, runs


def _exec_kubeconfig(admin_kubeconfig: str, script: Path) -> str:
    doc = yaml.safe_load(Path(admin_kubeconfig).read_text())
    doc["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": str(script),
            "interactiveMode": "Never",
        }
    }
    return dump(doc)


def test_allowlisted_plugin_gives_a_working_credential(
    store: Store, admin_kubeconfig: str, plugin: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    script, runs = plugin
    monkeypatch.setenv("USHADOW_EXEC_ALLOWLIST", str(script))
    allowed = Settings.load()
    result = ops.add_cluster(
        store, allowed, name="eks-like", kubeconfig=_exec_kubeconfig(admin_kubeconfig, script)
    )
    assert result.cluster.status == "connected"
    assert result.cluster.node_count is None  # the robot may not list nodes: its token was used
    info = json.loads(runs.read_text().splitlines()[0])
    assert info["spec"] == {"interactive": False}


def test_plugin_outside_the_allowlist_never_runs(
    store: Store, settings: Settings, admin_kubeconfig: str, plugin: tuple[Path, Path]
) -> None:
    script, runs = plugin
    with pytest.raises(InvalidInput, match="must not run commands"):
        ops.add_cluster(store, settings, name="nope", kubeconfig=_exec_kubeconfig(admin_kubeconfig, script))
    assert not runs.exists()
