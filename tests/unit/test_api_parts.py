"""The HTTP API's pure parts and the exec/port-forward helpers: status per error, the error document,
the failure limiter, the OpenAPI document, ``[LOCAL:]REMOTE`` ports and exec exit statuses."""

from __future__ import annotations

import json

import pytest

from core.api.app import ENDPOINTS
from core.api.endpoints import Call
from core.api.guarding import FailureLimiter, bearer
from core.api.openapi import openapi_document
from core.api.problems import error_document, plain_error, status_for
from core.clusters.channels import exit_status
from core.errors import (
    ClusterError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotConvertible,
    NotFound,
    PermissionDenied,
    RateLimited,
    RolloutFailed,
    TooLarge,
    Unauthorized,
    Unprocessable,
    Unreachable,
    UshadowError,
)
from core.operate.forwarding import PortPair, parse_ports
from core.settings import SETTINGS, Settings


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput("x"), 400),
        (NotAuthenticated("x"), 401),
        (PermissionDenied("x"), 403),
        (Forbidden("x"), 403),
        (NotFound("x"), 404),
        (Conflict("x"), 409),
        (RolloutFailed("x"), 409),
        (TooLarge("x"), 413),
        (Unprocessable("x"), 422),
        (NotConvertible("x"), 422),
        (RateLimited("x"), 429),
        (Unreachable("x"), 502),
        (Unauthorized("x"), 502),
        (ClusterError("x"), 502),
        (UshadowError("x"), 500),
    ],
)
def test_each_error_has_its_status(error: UshadowError, status: int) -> None:
    assert status_for(error) == status


def test_the_error_document_is_the_clis() -> None:
    doc = error_document(NotFound("no cluster 'x'", hint="`clusters list`"))
    assert doc == {"error": {"type": "Not found", "message": "no cluster 'x'", "hint": "`clusters list`"}}


def test_an_error_without_a_hint_has_no_hint_key() -> None:
    """Not ``"hint": null``: a client reading the document sees only what it can show."""
    assert error_document(NotFound("no cluster 'x'")) == {
        "error": {"type": "Not found", "message": "no cluster 'x'"}
    }
    assert "hint" not in plain_error(404, "Not found", "no route")["error"]


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "Token ush_x"])
def test_only_a_bearer_header_carries_a_token(header: str | None) -> None:
    with pytest.raises(NotAuthenticated):
        bearer(header)


def test_bearer_reads_the_token() -> None:
    assert bearer("bearer  ush_abc ") == "ush_abc"


def test_the_limiter_blocks_a_client_after_its_failures_and_only_that_client() -> None:
    limiter = FailureLimiter(3, window=60)
    for _ in range(3):
        limiter.check("10.0.0.1")
        limiter.failed("10.0.0.1")
    with pytest.raises(RateLimited) as blocked:
        limiter.check("10.0.0.1")
    assert 1 <= blocked.value.retry_after <= 61
    limiter.check("10.0.0.2")  # another client is not affected


def test_failures_age_out_of_the_window() -> None:
    limiter = FailureLimiter(1, window=0.0)
    limiter.failed("c")
    limiter.check("c")


def test_the_openapi_document_lists_every_endpoint_with_resolvable_schemas() -> None:
    doc = openapi_document(ENDPOINTS, server="http://127.0.0.1:8501")
    ops = {(method.upper(), path) for path, item in doc["paths"].items() for method in item}
    assert ops == {(e.method, e.path) for e in ENDPOINTS}
    assert ("POST", "/api/kubernetes/{cluster_id}/deploy") in ops
    text = json.dumps(doc)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in doc["components"]["schemas"], ref
    deploy = doc["paths"]["/api/kubernetes/{cluster_id}/deploy"]["post"]
    schema = doc["components"]["schemas"]["OriginalDeployRequest"]
    assert schema["required"] == ["service_id"] and schema["additionalProperties"] is False
    assert {"401", "403", "404", "422", "502"} <= set(deploy["responses"])
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("specs", "pairs"),
    [
        (["8080"], [PortPair(8080, 8080)]),
        ([":80"], [PortPair(0, 80)]),
        (["0:80"], [PortPair(0, 80)]),
        (["9000:80", "5432"], [PortPair(9000, 80), PortPair(5432, 5432)]),
    ],
)
def test_ports_are_read_as_kubectl_reads_them(specs: list[str], pairs: list[PortPair]) -> None:
    assert parse_ports(specs) == pairs


@pytest.mark.parametrize("specs", [[], ["http"], ["80:"], ["70000"], ["8080:0"], ["-1:80"]])
def test_bad_ports_are_invalid_input(specs: list[str]) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_ports(specs)
    # the CLI prints "error: MESSAGE (HINT)": a bracket inside the hint would nest
    assert raised.value.hint and not set("[]()") & set(raised.value.hint), raised.value.hint


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"", 0),
        (b'{"metadata":{},"status":"Success"}', 0),
        (
            b'{"status":"Failure","reason":"NonZeroExitCode","message":"command terminated with non-zero exit code",'
            b'"details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
            3,
        ),
        (b'{"status":"Failure","message":"cmd wait: sh -c exit 7: exit status 7"}', 7),
    ],
)
def test_the_exit_status_comes_from_the_error_channel(frame: bytes, code: int) -> None:
    assert exit_status(frame) == code


def test_a_command_that_cannot_start_is_a_cluster_error() -> None:
    with pytest.raises(ClusterError, match="could not run"):
        exit_status(b'{"status":"Failure","message":"exec: \\"nope\\": executable file not found in $PATH"}')


@pytest.mark.parametrize(
    ("argv", "command", "namespace"),
    [
        (["local", "api", "--", "echo", "hello"], ["echo", "hello"], None),
        (["local", "api", "--", "sh", "-c", "exit 3"], ["sh", "-c", "exit 3"], None),
        (["local", "api", "-n", "apps", "--", "ls", "-la"], ["ls", "-la"], "apps"),
        (["-n", "apps", "local", "api", "--", "ls", "--all"], ["ls", "--all"], "apps"),
    ],
)
def test_exec_reads_options_before_the_double_dash_and_the_command_after(
    argv: list[str], command: list[str], namespace: str | None
) -> None:
    from core.cli import build_parser

    args = build_parser().parse_args(["exec", *argv])
    assert (args.command, args.namespace) == (command, namespace)


@pytest.mark.parametrize(
    ("public_url", "base_url", "expected"),
    [
        (None, "http://127.0.0.1:8711/", "http://127.0.0.1:8711"),
        (None, "https://ops.example.com/", "https://ops.example.com"),
        (None, None, "http://localhost:8501"),
        ("https://dash.example.com", "http://127.0.0.1:8711/", "https://dash.example.com"),
    ],
)
def test_links_in_answers_follow_the_address_the_caller_used_unless_the_public_url_is_set(
    public_url: str | None, base_url: str | None, expected: str
) -> None:
    overrides = {k: "" for k in SETTINGS} | ({"USHADOW_PUBLIC_URL": public_url} if public_url else {})
    call = Call(None, Settings.load(overrides), None, {}, {}, None, base_url)  # type: ignore[arg-type]
    assert call.link_base == expected
