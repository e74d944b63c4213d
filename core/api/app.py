"""The API as Starlette routes for the dashboard's own server: the endpoint table, CORS for the
origins in ``USHADOW_API_CORS_ORIGINS`` (none by default), error documents for unknown paths.

``serve.py`` mounts :func:`api_routes`; nothing here imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from core.api import models as m
from core.api import original, v1
from core.api import v1hosts as h
from core.api.endpoints import Endpoint, Json, Query, State, answer
from core.api.openapi import openapi_document
from core.api.problems import plain_error
from core.api.v1hosts import host_or
from core.settings import Settings
from core.store.store import Store

NS = Query("namespace", str, "namespace (default: the cluster's)")
CLUSTER_Q = Query("cluster", str, "only this cluster's or Docker host's (id or name)")
LIMIT = Query("limit", int, "at most this many (100)", 1, 1000)
V1, OLD = "/api/v1", "/api/kubernetes"
WORKLOAD = V1 + "/clusters/{cluster}/workloads/{service}"


def _waits(body: Any) -> float:
    return float(body.timeout) + 60.0 if getattr(body, "wait", False) else 120.0


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", V1 + "/clusters", v1.list_clusters, "List clusters", "clusters"),
    Endpoint("GET", V1 + "/hosts", h.list_hosts, "List Docker hosts", "clusters"),
    Endpoint("GET", V1 + "/clusters/{cluster}", host_or(v1.show_cluster, h.show), "Show a cluster or Docker host", "clusters"),
    Endpoint("POST", V1 + "/clusters/{cluster}/check", host_or(v1.check_cluster, h.check), "Check a cluster's or Docker host's connection", "clusters"),
    Endpoint("GET", V1 + "/services", v1.list_services, "List registry services", "services",
             queries=(Query("infra", bool, "only infrastructure services"),)),
    Endpoint("POST", V1 + "/scans", host_or(v1.run_scan, h.scan), "Scan one or several clusters, or a Docker host", "scans", body=m.ScanRequest,
             time_limit=lambda _b: 300.0),
    Endpoint("GET", V1 + "/scans", v1.list_scans, "List stored scans", "scans", queries=(CLUSTER_Q, LIMIT)),
    Endpoint("GET", V1 + "/scans/{scan_id}", v1.show_scan, "Show a stored scan (as `scans show --json`)", "scans"),
    Endpoint("POST", V1 + "/clusters/{cluster}/envmap", host_or(v1.envmap, h.envmap), "Write a service's ConfigMap and Secret",
             "deploy", body=m.EnvmapRequest, change=True),
    Endpoint("POST", V1 + "/clusters/{cluster}/deployments", host_or(v1.deploy, h.deploy), "Deploy a registry service", "deploy",
             body=m.DeployRequest, change=True, time_limit=_waits),
    Endpoint("GET", V1 + "/deployments", v1.list_deployments, "List recorded deployments", "deploy",
             queries=(CLUSTER_Q, LIMIT)),
    Endpoint("GET", V1 + "/clusters/{cluster}/workloads", host_or(v1.workloads, h.workloads), "Workloads of a namespace (containers of a host)", "day-2",
             queries=(NS,)),
    Endpoint("GET", WORKLOAD, host_or(v1.workloads, h.workloads), "A workload's status and pods", "day-2", queries=(NS,)),
    Endpoint("GET", WORKLOAD + "/logs", host_or(v1.logs, h.logs), "A workload's pods' logs", "day-2",
             queries=(NS, Query("tail", int, "the last N lines (100)", 1, 100_000))),
    Endpoint("POST", WORKLOAD + "/restart", host_or(v1.restart, h.restart), "Restart a workload", "day-2", body=m.ActionRequest,
             change=True, time_limit=_waits),
    Endpoint("POST", WORKLOAD + "/scale", host_or(v1.scale, h.scale), "Scale a workload", "day-2", body=m.ScaleRequest,
             change=True, time_limit=_waits),
    Endpoint("POST", WORKLOAD + "/undeploy", host_or(v1.undeploy, h.undeploy), "Undeploy a workload", "day-2",
             body=m.UndeployRequest, change=True),
    Endpoint("POST", WORKLOAD + "/exec", host_or(v1.exec_command, h.exec_command), "Run a command in a pod of a workload", "day-2",
             body=m.ExecRequest, change=True, time_limit=lambda b: float(b.timeout) + 30.0),
    Endpoint("GET", OLD + "/services/available", original.services_available, "All registry services",
             "original", response=m.OriginalServices),
    Endpoint("GET", OLD + "/services/infra", original.services_infra, "Infrastructure services", "original",
             response=m.OriginalServices),
    Endpoint("POST", OLD + "/{cluster_id}/scan-infra", original.scan_infra, "Scan a namespace for infrastructure",
             "original", body=m.OriginalScanRequest),
    Endpoint("POST", OLD + "/{cluster_id}/envmap", original.envmap, "Write a service's ConfigMap and Secret",
             "original", body=m.OriginalEnvmapRequest, response=m.OriginalEnvmapResponse, change=True),
    Endpoint("POST", OLD + "/{cluster_id}/deploy", original.deploy, "Deploy a registry service", "original",
             body=m.OriginalDeployRequest, response=m.OriginalDeployResponse, change=True),
)  # fmt: skip


def _route(endpoint: Endpoint, state: State) -> Route:
    async def handle(request: Request) -> Response:
        return await answer(request, endpoint, state)

    return Route(endpoint.path.removeprefix("/api"), handle, methods=[endpoint.method])


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 405:
        document = plain_error(
            405, "Method not allowed", f"{request.method} is not allowed on {request.url.path}"
        )
    else:
        document = plain_error(
            status, "Not found", f"no API endpoint {request.url.path}", "see /api/v1/openapi.json"
        )
    return Json(document, status_code=status)


def api_app(open_store: Callable[[], Store], settings: Callable[[], Settings]) -> Starlette:
    """The API as an ASGI app for ``/api`` (routes relative to it)."""
    state = State(open_store, settings)

    async def openapi(request: Request) -> Response:
        return Json(openapi_document(ENDPOINTS, server=settings().public_url))

    routes: list[BaseRoute] = [Route("/v1/openapi.json", openapi, methods=["GET"])]
    routes += [_route(e, state) for e in ENDPOINTS]
    cors = Middleware(
        CORSMiddleware,
        allow_origins=list(settings().api_cors_origins),
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
    return Starlette(
        routes=routes, middleware=[cors], exception_handlers={404: _http_error, 405: _http_error}
    )


def api_routes(open_store: Callable[[], Store], settings: Callable[[], Settings]) -> list[BaseRoute]:
    """What ``serve.py`` adds to the dashboard's routes: everything under ``/api``."""
    return [Mount("/api", app=api_app(open_store, settings))]
