"""The demo's seeding on the real control plane: the first scan it stores shows every sample service
ready (it waits for the endpoints the scan reads), and it prints where to open that scan."""

from __future__ import annotations

from core.localcluster.demo import SAMPLE_INFRA, seed
from core.localcluster.running import ClusterState
from core.settings import Settings
from core.store.store import Store


def test_the_first_scan_has_every_sample_service_ready(
    local_cluster: ClusterState, namespace: str, settings: Settings
) -> None:
    said: list[str] = []
    result = seed(
        settings,
        local_cluster.kubeconfig.read_bytes(),
        local_cluster.server,
        said.append,
        namespace=namespace,
    )
    by_service = {m.service: m for m in result.matches}
    assert set(by_service) >= {name for name, _image, _ports in SAMPLE_INFRA}
    assert {name: by_service[name].ready_endpoints for name, _i, _p in SAMPLE_INFRA} == {
        name: 1 for name, _i, _p in SAMPLE_INFRA
    }
    assert f"open it: {settings.public_url}/scan?scan={result.scan_id}" in said
    store = Store.open(settings)
    try:
        assert store.get_scan(result.scan_id).scan_id == result.scan_id
    finally:
        store.close()
