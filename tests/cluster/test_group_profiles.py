"""``deploy-all --profile``: profile alternatives (a cpu and a gpu variant) never deploy together."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.deploy.groupdeploying import deploy_group
from core.settings import Settings
from core.store.store import Store
from tests.support.deploykit import register

pytestmark = pytest.mark.cluster

SPEAKER = """\
services:
  api:
    image: nginx:1.27
  speaker-cpu:
    image: nginx:1.27
    profiles: [cpu]
    volumes: [models:/models]
  speaker-gpu:
    image: nginx:1.27
    profiles: [gpu]
    volumes: [models:/models]
  api-sidecar:
    image: busybox:1.37
    network_mode: service:api
volumes:
  models: {}
"""


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    (tmp_path / "speaker.yml").write_text(SPEAKER)
    return tmp_path


@pytest.fixture
def cluster(store: Store, settings: Settings, admin_kubeconfig: str, namespace: str) -> str:
    return register(store, settings, Path(admin_kubeconfig).read_text(), namespace)


@pytest.mark.parametrize(
    ("profiles", "deployed"),
    [
        (None, {"speaker:api"}),
        (["gpu"], {"speaker:api", "speaker:speaker-gpu"}),
        (["cpu"], {"speaker:api", "speaker:speaker-cpu"}),
        (["*"], {"speaker:api", "speaker:speaker-cpu", "speaker:speaker-gpu"}),
    ],
)
def test_deploy_all_takes_the_active_profiles(
    store: Store,
    settings: Settings,
    cluster: str,
    registry: Path,
    profiles: list[str] | None,
    deployed: set[str],
) -> None:
    items = deploy_group(
        store,
        settings,
        cluster=cluster,
        group="all",
        dry_run=True,
        registry_dirs=[registry],
        profiles=profiles,
    )
    by_id = {i.service_id: i for i in items}
    assert {k for k, i in by_id.items() if i.status == "dry-run"} == deployed
    assert by_id.pop("speaker:api-sidecar").message == (
        "runs in the pod of api (network_mode: service:api): deployed with it"
    )
    for sid in set(by_id) - deployed:
        assert by_id[sid].status == "skipped"
        assert "is not active (give --profile" in (by_id[sid].message or "")
