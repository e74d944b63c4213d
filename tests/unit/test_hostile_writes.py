"""Hostile answers to writes (server-side apply, scale, restart, delete, access reviews), through the
real command line against a fake API server on 127.0.0.1.

An API server that answers a write with ``[]``, ``""``, ``null``, ``5``, nothing, or an object of the
wrong kind gives the project's own error (the command's one-line ``error:`` with what to try),
never an AttributeError, TypeError or KeyError or a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from tests.support import paths
from tests.support.clirun import run
from tests.support.fakeapi import Answer, FakeAPI, fake_api

NS = "apps"
WEB = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "web",
        "namespace": NS,
        "resourceVersion": "7",
        "labels": {"app.kubernetes.io/managed-by": "ushadow", "app.kubernetes.io/instance": "web"},
    },
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}},
}
EMPTY = Answer('{"kind": "List", "items": [], "metadata": {}}')
FINE = {
    f"/apis/apps/v1/namespaces/{NS}/deployments": Answer(json.dumps({"kind": "List", "items": [WEB]})),
    f"/apis/apps/v1/namespaces/{NS}/deployments/web": Answer(json.dumps(WEB)),
    f"/api/v1/namespaces/{NS}": Answer(json.dumps({"kind": "Namespace", "metadata": {"name": NS}})),
    "POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews": Answer(
        '{"kind": "SelfSubjectAccessReview", "status": {"allowed": true}}'
    ),
}
HOSTILE = {
    "list": "[]",
    "empty string": '""',
    "null": "null",
    "number": "5",
    "text": '"v1"',
    "nothing": "",
    "status": '{"kind": "Status", "status": "Success"}',
    "other kind": '{"kind": "ConfigMap", "metadata": {"name": "web"}}',
    "no metadata": '{"kind": "Deployment"}',
    "bad metadata": '{"kind": "Deployment", "metadata": 5}',
}
COMMANDS = {
    "scale": (["scale", "fake", "web", "3", "-n", NS], "PATCH", "/deployments/web/scale"),
    "restart": (["restart", "fake", "web", "-n", NS], "PATCH", "/deployments/web"),
    "deploy": (["deploy", "fake", "tricky:db", "-n", NS], "PATCH", "*"),
}


@pytest.fixture
def cluster(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAPI]:
    """A fake API server registered as the cluster ``fake``; its routes can be changed per test."""
    monkeypatch.setenv("USHADOW_COMPOSE_DIR", str(paths.FIXTURES / "compiler"))
    with fake_api({**FINE, "*": EMPTY}) as api:
        kubeconfig = tmp_path / "fake.yaml"
        kubeconfig.write_text(api.kubeconfig())
        from core.cli import main

        assert main(["clusters", "add", "fake", "--kubeconfig", str(kubeconfig)]) == 0
        yield api


def _hostile_route(api: FakeAPI, method: str, suffix: str, body: str) -> None:
    if suffix == "*":  # a deploy: every object is new (404), and every apply is answered with ``body``
        api.routes[f"{method} *"] = Answer(body)
        api.routes["GET *"] = Answer('{"kind": "Status", "message": "not found"}', status=404)
        return
    api.routes[f"{method} /apis/apps/v1/namespaces/{NS}{suffix}"] = Answer(body)


def _clean(code: int, err: str) -> None:
    assert code != 0
    assert "Traceback" not in err
    for name in ("AttributeError", "TypeError", "KeyError", "unexpectedly"):
        assert name not in err, err
    assert "\nerror: " in "\n" + err, err  # the command's one error line (after any progress)


@pytest.mark.parametrize("answer", list(HOSTILE), ids=list(HOSTILE))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_hostile_answer_to_a_write_is_a_clear_error(
    cluster: FakeAPI, capsys: pytest.CaptureFixture[str], command: str, answer: str
) -> None:
    argv, method, suffix = COMMANDS[command]
    capsys.readouterr()
    _hostile_route(cluster, method, suffix, HOSTILE[answer])
    code, _out, err = run(capsys, *argv)
    _clean(code, err)
    assert "unexpected shape" in err or "was expected" in err, err
    assert any(m == method for m, _p in cluster.requests)  # the write was sent, its answer refused


@pytest.mark.parametrize(
    "answer",
    [
        "[]",
        "5",
        '{"kind": "SelfSubjectAccessReview", "status": 5}',
        '{"kind": "SelfSubjectAccessReview", "status": {"allowed": "yes"}}',
    ],
)
def test_a_hostile_access_review_is_a_clear_error(
    cluster: FakeAPI, capsys: pytest.CaptureFixture[str], answer: str
) -> None:
    capsys.readouterr()
    cluster.routes["POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews"] = Answer(answer)
    code, _out, err = run(capsys, "undeploy", "fake", "web", "-n", NS)
    _clean(code, err)
    assert not any(m == "DELETE" for m, _p in cluster.requests)  # nothing deleted on a doubtful answer


@pytest.mark.parametrize("answer", ["[]", '""', "5"])
def test_a_hostile_answer_to_a_delete_is_a_clear_error(
    cluster: FakeAPI, capsys: pytest.CaptureFixture[str], answer: str
) -> None:
    capsys.readouterr()
    cluster.routes[f"DELETE /apis/apps/v1/namespaces/{NS}/deployments/web"] = Answer(answer)
    code, _out, err = run(capsys, "undeploy", "fake", "web", "-n", NS)
    _clean(code, err)
    assert "unexpected shape" in err, err
