"""The shapes of the API server answers that the client reads, checked before anything uses them.

A server URL can point at anything (a proxy, a login page, a hostile server): every answer that the
client reads is validated here, so that a wrong shape is a clear ``ClusterError`` for that cluster
instead of an AttributeError somewhere further on. Unknown fields are kept (``extra="allow"``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ServerVersion(_Open):
    """``GET /version``."""

    git_version: str = Field(alias="gitVersion", max_length=200)


class ObjectMeta(_Open):
    name: str | None = None
    namespace: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    owner_references: list[dict[str, Any]] | None = Field(None, alias="ownerReferences")


class ListedObject(_Open):
    kind: str | None = None
    metadata: ObjectMeta | None = None


class ListMeta(_Open):
    continue_: str | None = Field(None, alias="continue", max_length=8192)


class ObjectList(_Open):
    """One page of a list endpoint (``items`` plus the ``continue`` token)."""

    items: list[ListedObject] | None = None
    metadata: ListMeta | None = None

    @property
    def next_token(self) -> str | None:
        return self.metadata.continue_ if self.metadata and self.metadata.continue_ else None


class APIObject(_Open):
    """Any single object (a namespace, a workload): a JSON object with object metadata."""

    kind: str | None = None
    metadata: ObjectMeta | None = None


class Status(_Open):
    """The ``Status`` body of an error answer; only its message is ever shown (clipped)."""

    kind: str
    message: str | None = None


class AppliedMeta(ObjectMeta):
    name: str
    resource_version: str | None = Field(None, alias="resourceVersion")


class AppliedObject(_Open):
    """The answer to a write of one object (apply, patch): the object, named, with its data."""

    kind: str
    metadata: AppliedMeta
    data: dict[str, str] | None = None
    binary_data: dict[str, str] | None = Field(None, alias="binaryData")


class AccessReviewStatus(_Open):
    allowed: bool = Field(False, strict=True)


class AccessReview(_Open):
    """The answer to a ``SelfSubjectAccessReview``: no ``status`` means not allowed."""

    kind: str | None = None
    status: AccessReviewStatus | None = None

    @property
    def allowed(self) -> bool:
        return bool(self.status and self.status.allowed)
