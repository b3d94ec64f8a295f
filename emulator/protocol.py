"""Transport-neutral request and reply values passed between the HTTP handler, the router and the resource handlers.

Handlers never touch sockets: they take a `Call` and return a `Reply`, or raise `ArmError`, which the router turns into
an ARM error body `{"error": {"code": ..., "message": ...}}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JsonBody = Mapping[str, Any]


class ArmError(Exception):
    """An ARM failure with its HTTP status, ARM error code and message."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def not_found(resource_id: str) -> ArmError:
    """The 404 ARM answers for a resource that does not exist."""
    return ArmError(404, "ResourceNotFound", f"The Resource '{resource_id}' was not found.")


def bad_request(code: str, message: str) -> ArmError:
    """A 400 ARM validation error."""
    return ArmError(400, code, message)


@dataclass(frozen=True)
class Call:
    """One parsed ARM request: method, decoded path segments, query (lower-case keys) and route parameters."""

    method: str
    raw_path: str
    segments: tuple[str, ...]
    query: Mapping[str, str]
    body: bytes
    base_url: str
    params: Mapping[str, str] = field(default_factory=dict)

    def param(self, name: str) -> str:
        """Return the route parameter `name` (for example `sub`, `rg`, `svc`, `api`)."""
        return self.params[name]


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, optional JSON body and extra headers."""

    status: int
    body: JsonBody | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def ok(body: JsonBody) -> Reply:
    """A 200 reply carrying `body`."""
    return Reply(200, body)


def error_reply(error: ArmError) -> Reply:
    """The ARM error body for `error`."""
    return Reply(error.status, error_body(error.code, error.message), error.headers)


def error_body(code: str, message: str) -> dict[str, Any]:
    """The ARM error envelope."""
    return {"error": {"code": code, "message": message}}
