"""What the HTTP API reads and answers, as pydantic models (the OpenAPI document is made from them).

Request bodies are strict: an unknown field, a missing one or a wrong type is a 422 that names the
field. The ``Original*`` models are the original system's bodies, field for field.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MAX_WAIT = 600.0  # the longest a deploy or restart with ``wait`` may take, in seconds


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# -- the original system's endpoints ------------------------------------------------------------


class OriginalScanRequest(_Body):
    namespace: str = Field("default", description="namespace to scan")


class OriginalEnvmapRequest(_Body):
    service_name: str = Field(description="the service's Kubernetes name")
    namespace: str = "default"
    env_vars: dict[str, str] = Field(description="the whole environment; keys left out are removed")


class OriginalDeployRequest(_Body):
    service_id: str = Field(description="<file-stem>:<service>, see GET /api/kubernetes/services/available")
    namespace: str = "default"
    config_id: str | None = Field(None, description="not supported here: must be null or absent")
    node_name: str | None = Field(None, description="not supported here: must be null or absent")
    k8s_spec: dict[str, Any] | None = Field(None, description="not supported here: must be null or absent")


class OriginalEnvmapResponse(BaseModel):
    success: bool
    configmap: str | None
    secret: str | None
    namespace: str


class OriginalDeployResponse(BaseModel):
    success: bool
    message: str
    service_id: str
    namespace: str
    node_name: str | None = None


class OriginalService(BaseModel):
    service_id: str
    service_name: str
    display_name: str
    description: str | None = None
    image: str | None = None
    requires: list[str] = Field(default_factory=list)
    namespace: str | None = None
    type: str | None = None


class OriginalServices(BaseModel):
    services: list[OriginalService]


# -- /api/v1 -------------------------------------------------------------------------------------


class ScanRequest(_Body):
    cluster: str | None = Field(None, description="cluster id or name (or give clusters)")
    clusters: list[str] | None = Field(
        None, description="several clusters, scanned in parallel in their namespaces"
    )
    namespaces: list[str] | None = Field(None, description="namespaces to scan (default: the cluster's)")
    all_namespaces: bool = False


class EnvmapRequest(_Body):
    name: str = Field(description="the service's Kubernetes name")
    namespace: str | None = Field(None, description="default: the cluster's")
    env: dict[str, str]
    dry_run: bool = False


class DeployRequest(_Body):
    service_id: str
    namespace: str | None = Field(None, description="default: the cluster's")
    env: dict[str, str] = Field(default_factory=dict)
    dry_run: bool = False
    wait: bool = Field(False, description="follow the rollout until ready (at most `timeout` seconds)")
    timeout: float = Field(120.0, gt=0, le=MAX_WAIT, description="seconds `wait` may take (at most 600)")


class ActionRequest(_Body):
    namespace: str | None = None
    wait: bool = False
    timeout: float = Field(120.0, gt=0, le=MAX_WAIT)


class ScaleRequest(ActionRequest):
    replicas: int = Field(ge=0, le=1000)


class UndeployRequest(_Body):
    namespace: str | None = None
    delete_volumes: bool = False


class ExecRequest(_Body):
    command: list[str] = Field(
        min_length=1, description="the command and its arguments (no shell unless you name one)"
    )
    namespace: str | None = None
    pod: str | None = None
    container: str | None = None
    timeout: float = Field(60.0, gt=0, le=MAX_WAIT)


class ErrorBody(BaseModel):
    type: str
    message: str
    hint: str | None = None


class ErrorDocument(BaseModel):
    error: ErrorBody
