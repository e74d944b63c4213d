"""The OpenAPI 3.1 document of the API, made from the endpoint table and its pydantic models. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from core.api.endpoints import Endpoint
from core.api.models import ErrorDocument

REF = "#/components/schemas/{model}"
_KINDS = {str: "string", int: "integer", bool: "boolean"}


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF)
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _operation(endpoint: Endpoint, components: dict[str, Any]) -> dict[str, Any]:
    error = {"application/json": {"schema": {"$ref": REF.format(model="ErrorDocument")}}}
    ok = _schema(endpoint.response, components) if endpoint.response else {}
    responses: dict[str, Any] = {
        "200": {"description": "done", "content": {"application/json": {"schema": ok}}},
        "401": {"description": "no token, or a wrong, expired or revoked one", "content": error},
        "429": {"description": "too many failed token checks from this client", "content": error},
    }
    if endpoint.change:
        responses["403"] = {"description": "a viewer token may not change anything", "content": error}
    if endpoint.body is not None:
        responses["400"] = {
            "description": "the body is not JSON, or a value is not acceptable",
            "content": error,
        }
        responses["413"] = {"description": "the body is larger than 1 MiB", "content": error}
        responses["422"] = {"description": "an unknown, missing or mistyped field", "content": error}
    if "{" in endpoint.path:
        responses["404"] = {"description": "no such cluster, scan or service", "content": error}
    if "cluster" in endpoint.path:
        responses["502"] = {"description": "the cluster cannot be reached", "content": error}
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{(\w+)}", endpoint.path)
    ]
    parameters += [
        {"name": q.name, "in": "query", "required": False, "description": q.description,
         "schema": {"type": _KINDS.get(q.kind, "string")}}
        for q in endpoint.queries
    ]  # fmt: skip
    operation: dict[str, Any] = {
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "operationId": endpoint.method.lower() + "_" + re.sub(r"\W+", "_", endpoint.path).strip("_"),
        "parameters": parameters,
        "responses": responses,
        "security": [{"bearer": []}],
    }
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema(endpoint.body, components)}},
        }
    if endpoint.change:
        operation["description"] = "Needs an operator token; recorded in the audit trail as token:NAME."
    return operation


def openapi_document(endpoints: Sequence[Endpoint], *, server: str) -> dict[str, Any]:
    components: dict[str, Any] = {}
    _schema(ErrorDocument, components)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ushadow-ops API",
            "version": "1",
            "description": "Clusters, scans, deploys and day-2 operations, and the original /api/kubernetes "
            "endpoints. Every call needs `Authorization: Bearer <token>` (`ushadow-ops tokens create`).",
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
