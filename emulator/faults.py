"""Injected failures: the next N matching ARM requests answer an error status or have their connection dropped.

A fault matches on the HTTP method (None = any) and a case-insensitive substring of the decoded request path. Error
answers use the ARM error body with the code ARM uses for that status (429 TooManyRequests + Retry-After, 500
InternalServerError, 403 AuthorizationFailed, ...).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http import HTTPStatus

from emulator.protocol import ArmError, Reply, error_reply

DEFAULT_THROTTLE_RETRY_AFTER = 1

_CODES = {
    400: "BadRequest",
    401: "AuthenticationFailed",
    403: "AuthorizationFailed",
    404: "ResourceNotFound",
    408: "RequestTimeout",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


@dataclass
class Fault:
    """One armed fault; `remaining` counts down as matching requests consume it."""

    method: str | None
    path_contains: str
    status: int | None
    retry_after: int | None
    drop: bool
    remaining: int

    def matches(self, method: str, path: str) -> bool:
        """True when this fault applies to `method` and `path`."""
        method_ok = self.method is None or self.method.upper() == method.upper()
        return method_ok and self.path_contains.lower() in path.lower()


def make_fault(
    method: str | None,
    path_contains: str,
    *,
    status: int | None = None,
    retry_after: int | None = None,
    drop: bool = False,
    times: int = 1,
) -> Fault:
    """Validate fault arguments; raises ValueError on a fault that could never fire or has no effect."""
    if drop == (status is not None):
        raise ValueError("a fault needs exactly one of status=<400..599> or drop=True")
    if status is not None and not 400 <= status <= 599:
        raise ValueError(f"fault status must be 400..599, got {status}")
    if times < 1:
        raise ValueError(f"fault times must be at least 1, got {times}")
    if retry_after is not None and retry_after < 0:
        raise ValueError(f"fault retry_after must be >= 0, got {retry_after}")
    return Fault(method, path_contains, status, retry_after, drop, times)


def fault_reply(fault: Fault) -> Reply:
    """The ARM error reply of a status fault."""
    status = fault.status or 500
    code = _CODES.get(status) or HTTPStatus(status).phrase.replace(" ", "")
    retry_after = fault.retry_after
    if retry_after is None and status == 429:
        retry_after = DEFAULT_THROTTLE_RETRY_AFTER
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return error_reply(ArmError(status, code, f"Emulated fault: {status} {code}.", headers))


class FaultPlan:
    """The armed faults, consumed first-added first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Arm `fault`."""
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        """Consume one use of the first fault matching the request, if any."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()
