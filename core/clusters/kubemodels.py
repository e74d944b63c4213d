"""The pydantic models of a kubeconfig file: strict (unknown fields are errors that name the field)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ClusterEntry(_Strict):
    server: str | None = None
    certificate_authority_data: str | None = Field(None, alias="certificate-authority-data")
    certificate_authority: str | None = Field(None, alias="certificate-authority")
    insecure_skip_tls_verify: bool = Field(False, alias="insecure-skip-tls-verify")
    tls_server_name: str | None = Field(None, alias="tls-server-name")
    proxy_url: str | None = Field(None, alias="proxy-url")
    disable_compression: bool | None = Field(None, alias="disable-compression")
    extensions: list[Any] | None = None


class UserEntry(_Strict):
    client_certificate_data: str | None = Field(None, alias="client-certificate-data")
    client_key_data: str | None = Field(None, alias="client-key-data")
    client_certificate: str | None = Field(None, alias="client-certificate")
    client_key: str | None = Field(None, alias="client-key")
    token: str | None = None
    token_file: str | None = Field(None, alias="tokenFile")
    username: str | None = None
    password: str | None = None
    exec: dict[str, Any] | None = None  # checked strictly by core.clusters.execplugins
    auth_provider: dict[str, Any] | None = Field(None, alias="auth-provider")
    impersonate: str | None = Field(None, alias="as")
    impersonate_groups: list[str] | None = Field(None, alias="as-groups")
    impersonate_uid: str | None = Field(None, alias="as-uid")
    impersonate_user_extra: dict[str, Any] | None = Field(None, alias="as-user-extra")
    extensions: list[Any] | None = None


class ContextEntry(_Strict):
    cluster: str
    user: str
    namespace: str | None = None
    extensions: list[Any] | None = None


class NamedCluster(_Strict):
    name: str
    cluster: ClusterEntry


class NamedUser(_Strict):
    name: str
    user: UserEntry | None = None


class NamedContext(_Strict):
    name: str
    context: ContextEntry


class Kubeconfig(_Strict):
    api_version: str | None = Field(None, alias="apiVersion")
    kind: str | None = None
    clusters: list[NamedCluster] = Field(default_factory=list)
    users: list[NamedUser] = Field(default_factory=list)
    contexts: list[NamedContext] = Field(default_factory=list)
    current_context: str | None = Field(None, alias="current-context")
    preferences: dict[str, Any] | None = None
    extensions: list[Any] | None = None

    def context_names(self) -> list[str]:
        return [c.name for c in self.contexts]
