"""The Deploy page starts with the target, and a Docker host's deploys are looked after on the
Workloads page (AppTest against the real engine): deploy, the record, status, logs, undeploy."""

from __future__ import annotations

from pathlib import Path

from core.hosts.registering import add_host
from core.settings import Settings
from core.store.store import Store
from tests.support.dockerengine import Engine
from tests.support.pagekit import open_page

FIXTURE = Path(__file__).with_name("compose") / "web.yaml"


def test_deploy_page_to_a_host_then_workloads_page(settings: Settings, docker_engine: Engine) -> None:
    settings.compose_dirs[0].mkdir(parents=True, exist_ok=True)
    (settings.compose_dirs[0] / "web.yaml").write_text(
        FIXTURE.read_text().replace("edgeweb", "pageweb").replace("18080:8080", "18082:8080")
    )
    store = Store.open(settings)
    host, _ = add_host(store, settings, name="page-host", url=docker_engine.url)
    store.close()
    client = docker_engine.client()
    try:
        at = open_page("deploy")
        assert not at.exception, at.exception
        assert at.segmented_control(key="deploy_target").value == "cluster"  # no link: clusters first
        at.segmented_control(key="deploy_target").set_value("host").run()
        assert at.selectbox(key="deploy_host").value == host.host_id
        assert at.query_params["cluster"] in (host.host_id, [host.host_id])
        assert at.selectbox(key="deploy_host_service").value == "web:web"
        at.button(key="deploy_host_go").click().run(timeout=180)
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert "compose project pageweb: applied" in at.success[0].value
        assert "pageweb-web-1: healthy" in [c.value for c in at.caption]
        changes, records = (d.value for d in at.dataframe)  # AppTest gives a dataframe no key
        assert list(changes["action"]) == ["create", "create", "create"]
        assert list(records["project"]) == ["pageweb"] and list(records["status"]) == ["ready"]

        at = open_page("workloads", cluster=host.host_id)  # a link to a host opens on the host side
        assert not at.exception, at.exception
        assert at.segmented_control(key="workloads_target").value == "host"
        containers = at.dataframe[0].value
        assert list(containers["container"]) == ["pageweb-web-1"]
        assert list(containers["health"]) == ["healthy"]
        assert any("started" in c.value for c in at.code)  # the logs tab
        at.button(key="host_undeploy_start").click().run()
        at.text_input(key="host_undeploy_name").input("web")
        at.button(key="host_undeploy_confirm").click().run(timeout=120)
        assert not at.exception and not at.error, [e.value for e in at.error]
        changes = at.dataframe[-1].value
        assert ("volume", "pageweb_webdata", "kept") in zip(
            changes["kind"], changes["name"], changes["action"], strict=True
        )
        assert client.containers.list(all=True, filters={"name": "pageweb-"}) == []
    finally:
        for container in client.containers.list(all=True, filters={"name": "pageweb-"}):
            container.remove(force=True)
        client.close()
