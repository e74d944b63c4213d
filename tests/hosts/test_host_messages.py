"""What a Docker host's user is told: drift is for clusters, a container's recognition reason, and
why a first ``deploy --wait`` may wait in vain (an engine that runs no healthchecks)."""

from __future__ import annotations

import pytest

from core.settings import Settings
from tests.support.clirun import run, run_json
from tests.support.dockerengine import NO_TICKER, Engine

UNCHECKED = f"""name: unchecked
services:
  idle:
    image: ushadow.local/busybox:1
    command: ["sleep", "600"]
    labels:
      {NO_TICKER}: "yes"
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
"""


def test_drift_on_a_host_says_it_is_for_clusters(
    settings: Settings, docker_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    run_json(capsys, "hosts", "add", "pod1", "--url", docker_engine.url)
    code, _out, err = run(capsys, "drift", "pod1")
    assert code == 3
    assert "'pod1' is a Docker host, not a cluster" in err and "not supported" in err, err
    assert "no cluster with id or name" not in err
    for argv in (["events", "pod1", "web"], ["rollback", "pod1", "web"]):
        code, _out, err = run(capsys, *argv)
        assert code == 3 and "'pod1' is a Docker host, not a cluster" in err, (argv, err)
    code, _out, err = run(capsys, "drift", "nowhere")
    assert "no cluster with id or name 'nowhere'" in err


def test_a_container_recognised_by_its_image_says_container_image(
    settings: Settings, docker_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    client = docker_engine.client()
    client.images.get("ushadow.local/busybox:1").tag("ushadow.local/redis", "7")
    box = client.containers.run(
        "ushadow.local/redis:7", ["httpd", "-f", "-p", "6379"], detach=True, name="kv"
    )
    try:
        run_json(capsys, "hosts", "add", "imaged", "--url", docker_engine.url)
        match = run_json(capsys, "scan", "imaged")["infra_services"]["redis"]["matches"][0]
        assert match["service"] == "kv"
        assert "container image ushadow.local/redis:7" in match["reason"], match["reason"]
        assert "pod image" not in match["reason"]
    finally:
        box.remove(force=True)
        client.images.remove("ushadow.local/redis:7")
        client.close()


def test_a_wait_on_an_engine_that_runs_no_healthchecks_says_so(
    settings: Settings, docker_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.compose_dirs[0].mkdir(parents=True, exist_ok=True)
    (settings.compose_dirs[0] / "unchecked.yaml").write_text(UNCHECKED)
    client = docker_engine.client()
    try:
        run_json(capsys, "hosts", "add", "timerless", "--url", docker_engine.url)
        code, _out, err = run(capsys, "deploy", "timerless", "unchecked:idle", "--wait", "--timeout", "3")
        assert code == 9, err
        assert "no healthcheck result yet" in err
        assert "may not run healthchecks" in err and "podman healthcheck run unchecked-idle-1" in err, err
        run_json(capsys, "undeploy", "timerless", "idle")
    finally:
        for container in client.containers.list(all=True, filters={"name": "unchecked-"}):
            container.remove(force=True)
        for network in client.networks.list(names=["unchecked_default"]):
            network.remove()
        client.close()
