"""The API's small framework: a table of :class:`Endpoint` and the one function that answers a
request for any of them (token, role, body, query, the handler off the event loop, errors).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from core.api.guarding import FailureLimiter, authenticate, require_operator
from core.api.problems import error_document, status_for
from core.errors import InvalidInput, RateLimited, TooLarge, Unprocessable, UshadowError
from core.settings import Settings
from core.store.store import Store
from core.store.tokens import ApiToken

log = logging.getLogger("ushadow.api")
MAX_BODY = 1 << 20  # bytes a request body may have


@dataclass(frozen=True)
class Query:
    name: str
    kind: type = str  # str, int or bool
    description: str = ""
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Call:
    store: Store
    settings: Settings
    token: ApiToken
    params: Mapping[str, str]
    query: Mapping[str, Any]
    body: Any
    base_url: str | None = None
    """The address the caller reached the API at (scheme, host, port), for links."""

    @property
    def link_base(self) -> str:
        """Where links in answers point: USHADOW_PUBLIC_URL when it is set, else the address the
        caller used (as the pages do with the browser's address)."""
        if self.settings.public_url_set or not self.base_url:
            return self.settings.public_url
        return self.base_url.rstrip("/")


@dataclass(frozen=True)
class Reply:
    """A handler's answer with a status other than 200 (a failed rollout: its document, 409)."""

    data: Any
    status: int = 200


Handler = Callable[[Call], Any]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # with {name} parameters
    handler: Handler
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    change: bool = False  # operator tokens only
    queries: tuple[Query, ...] = ()
    time_limit: Callable[[Any], float] = field(default=lambda _body: 120.0)


class State:
    """What every request shares: the store (opened on first use), settings, the failure limiter."""

    def __init__(self, open_store: Callable[[], Store], settings: Callable[[], Settings]) -> None:
        self._open_store = open_store
        self.settings = settings
        self.limiter = FailureLimiter(settings().api_failure_limit)

    def store(self) -> Store:
        return self._open_store()


class Json(JSONResponse):
    """JSON with anything else (a datetime) as its text."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=str).encode()


def error_response(exc: UshadowError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return Json(error_document(exc), status_code=status_for(exc), headers=headers)


async def read_body(request: Request, model: type[BaseModel]) -> Any:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise TooLarge(f"the request body is {declared} bytes; at most {MAX_BODY} are accepted")
    raw = bytearray()
    async for chunk in request.stream():
        raw.extend(chunk)
        if len(raw) > MAX_BODY:
            raise TooLarge(f"the request body is larger than {MAX_BODY} bytes")
    try:
        data = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"the request body is not JSON: {exc}", hint="send a JSON object, Content-Type: application/json"
        ) from exc
    if not isinstance(data, dict):
        raise Unprocessable(f"the request body must be a JSON object, not {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:8]
        )
        raise Unprocessable(
            f"the request body is not valid: {problems}", hint="see /api/v1/openapi.json"
        ) from exc


def read_query(request: Request, queries: tuple[Query, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in queries:
        raw = request.query_params.get(q.name)
        if raw is None or raw == "":
            out[q.name] = None
            continue
        if q.kind is bool:
            if raw.lower() not in ("true", "false", "1", "0"):
                raise InvalidInput(
                    f"query parameter {q.name} must be true or false, not {raw!r}",
                    hint=f"write ?{q.name}=true or ?{q.name}=false",
                )
            out[q.name] = raw.lower() in ("true", "1")
        elif q.kind is int:
            example = q.minimum if q.minimum is not None else 1
            hint = f"write a whole number such as ?{q.name}={example}, or leave it out for the default"
            if not raw.lstrip("-").isdigit():
                raise InvalidInput(f"query parameter {q.name} must be a whole number, not {raw!r}", hint=hint)
            value = int(raw)
            if (q.minimum is not None and value < q.minimum) or (q.maximum is not None and value > q.maximum):
                raise InvalidInput(
                    f"query parameter {q.name} must be between {q.minimum} and {q.maximum}", hint=hint
                )
            out[q.name] = value
        else:
            out[q.name] = raw
    return out


async def answer(request: Request, endpoint: Endpoint, state: State) -> JSONResponse:
    """The response to one request for ``endpoint``: never a traceback, never a bare 500 page."""
    client = request.client.host if request.client else "unknown"
    try:
        store = await run_in_threadpool(state.store)
        header = request.headers.get("authorization")
        token = await run_in_threadpool(authenticate, store, state.limiter, client, header)
        if endpoint.change:
            require_operator(token, endpoint.summary[0].lower() + endpoint.summary[1:])
        body = await read_body(request, endpoint.body) if endpoint.body else None
        call = Call(
            store,
            state.settings(),
            token,
            dict(request.path_params),
            read_query(request, endpoint.queries),
            body,
            str(request.base_url),
        )
        limit = endpoint.time_limit(body)
        try:
            result = await asyncio.wait_for(run_in_threadpool(endpoint.handler, call), timeout=limit)
        except TimeoutError:
            return JSONResponse(
                {"error": {"type": "Timed out", "message": f"the work did not finish within {limit:g}s",
                           "hint": "it may still finish: GET /api/v1/deployments or the audit trail shows it"}},
                status_code=504,
            )  # fmt: skip
    except UshadowError as exc:
        return error_response(exc)
    except Exception as exc:  # the one catch-all: logged with its trace, answered as a document
        log.exception("API %s %s failed", request.method, request.url.path)
        document = {
            "error": {"type": type(exc).__name__, "message": str(exc)[:300], "hint": "see the server log"}
        }
        return JSONResponse(document, status_code=500)
    if isinstance(result, Reply):
        return Json(result.data, status_code=result.status)
    return Json(result)
