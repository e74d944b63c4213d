"""A Docker host's scan that finds a change POSTs it to ``USHADOW_NOTIFY_URL`` as a cluster's does
(a webhook on 127.0.0.1 this test starts; the real engine, the real command line)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.settings import Settings
from tests.support.clirun import run, run_json
from tests.support.dockerengine import Engine
from tests.support.webhook import Hook, webhook


@pytest.fixture
def hook() -> Iterator[tuple[Hook, str]]:
    with webhook("/hooks/h0st-t0ken") as running:
        yield running


def test_a_host_scan_that_finds_a_change_posts_it(
    settings: Settings,
    docker_engine: Engine,
    hook: tuple[Hook, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received, url = hook
    monkeypatch.setenv("USHADOW_NOTIFY_URL", url)
    monkeypatch.setenv("USHADOW_PUBLIC_URL", "https://ops.example.com")
    client = docker_engine.client()
    redis = None
    try:
        run_json(capsys, "hosts", "add", "notified", "--url", docker_engine.url)
        first = run_json(capsys, "scan", "notified")
        assert received.bodies == []  # the first scan of a target has nothing to compare with
        redis = client.containers.run(
            "ushadow.local/busybox:1", ["httpd", "-f", "-p", "6379"], detach=True, name="notify-redis"
        )
        changed = run_json(capsys, "scan", "notified")
        [body] = received.bodies
        assert body["event"] == "scan.changed"
        assert body["target"] == {"cluster_id": changed["cluster_id"], "cluster": "notified",
                                  "namespaces": [], "all_namespaces": False}  # fmt: skip
        assert body["scan_id"] == changed["scan_id"] and body["previous_scan_id"] == first["scan_id"]
        assert body["link"] == changed["link"] and body["link"].startswith("https://ops.example.com")
        assert body["counts"]["added"] == 1 and body["counts"]["types_found"] == 1
        assert any("notify-redis added" in line for line in body["summary"]), body["summary"]
        received.status = 500  # a failing webhook: the scan succeeds, with a warning
        redis.remove(force=True)
        redis = None
        code, out, err = run(capsys, "scan", "notified", "--json")
        assert code == 0 and len(received.bodies) == 2
        assert "webhook at http://127.0.0.1" in err and "HTTP 500" in err
        assert "h0st-t0ken" not in out + err
    finally:
        if redis is not None:
            redis.remove(force=True)
        client.close()
