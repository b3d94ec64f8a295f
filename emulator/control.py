"""The `/_emulator/...` control endpoints: the `EmulatorServer` controls over HTTP for out-of-process users.

GET  /_emulator/health            {"status": "ok"}
GET  /_emulator/requests          {"count": N, "requests": [{method, path, query, status, time}, ...]}
DELETE /_emulator/requests        forget the request log
POST /_emulator/reset             restore the estate and defaults
POST /_emulator/faults            {"latency_ms": 50, "clear": false, "faults": [{"method": "GET",
                                   "path_contains": "/apis", "status": 429, "retry_after": 1, "drop": false,
                                   "times": 1}]}
DELETE /_emulator/faults          disarm every fault
POST /_emulator/lro               {"mode": "200" | "201" | "202" | "fail", "polls": 1, "retry_after_ms": 10}
POST /_emulator/paging            {"page_size": 100, "graph_page_size": 1000} (either or both)
POST /_emulator/graph             {"enabled": false}: Resource Graph queries answer 403 AuthorizationFailed
POST /_emulator/throttling        {"enabled": true, "bucket": 250, "refill_per_second": 25}: ARM's read bucket per
                                   subscription (defaults ARM's own); empty, reads answer 429 + Retry-After
POST /_emulator/capacity          {"service": <ARM id, or a name one subscription has>, "percent": 85}: the service's
                                   Azure Monitor Capacity metric from now on (null: the metric has no data)
POST /_emulator/state             {"action": "add_api" | "delete_api" | "add_collection" | "remove_collection" |
                                   "set_pricing", "subscription": ..., "resourceGroup": ..., "service": ...,
                                   "api": <name, or an estate API object for add_api>, "workspace": ..., "tier": ...}
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from emulator.config import EmulatorConfig, LroMode
from emulator.handlers_metrics import capacity_of, set_capacity
from emulator.protocol import ArmError, Reply, error_body, error_reply, ok
from emulator.requestlog import RequestRecord
from emulator.store import Store
from emulator.throttle import ARM_READ_BUCKET, ARM_READ_REFILL_PER_SECOND, ThrottleSettings


class ControlledServer(Protocol):
    """What the control endpoints read and change on the server: `EmulatorServer` satisfies it structurally, so this
    module never imports the server (which imports this module to answer `/_emulator/...`)."""

    page_size: int
    graph_page_size: int

    @property
    def url(self) -> str: ...

    @property
    def requests(self) -> Sequence[RequestRecord]: ...

    @property
    def settings(self) -> EmulatorConfig: ...

    @property
    def throttling(self) -> ThrottleSettings: ...

    @property
    def state(self) -> Store: ...

    def reset_requests(self) -> None: ...

    def reset(self) -> None: ...

    def clear_faults(self) -> None: ...

    def set_latency(self, ms: int) -> None: ...

    def add_fault(
        self,
        method: str | None,
        path_contains: str,
        *,
        status: int | None = ...,
        retry_after: int | None = ...,
        drop: bool = ...,
        times: int = ...,
    ) -> None: ...

    def set_lro_mode(self, mode: LroMode | str, polls: int = ..., *, retry_after_ms: int | None = ...) -> None: ...

    def set_graph_enabled(self, enabled: bool) -> None: ...

    def set_throttling(self, enabled: bool, *, bucket: int = ..., refill_per_second: float = ...) -> None: ...


_Control = Callable[[ControlledServer, Mapping[str, Any]], Reply]


def handle(server: ControlledServer, method: str, path: str, body: bytes) -> Reply:
    """Answer one control request; bad input answers 400 with the reason."""
    action = _ACTIONS.get((method, path.rstrip("/")))
    if action is None:
        return Reply(404, error_body("UnknownControlEndpoint", f"No control endpoint {method} /_emulator{path}."))
    try:
        return action(server, _json_object(body))
    except ArmError as error:
        return error_reply(error)
    except (ValueError, KeyError, TypeError) as exc:
        return Reply(400, error_body("InvalidControlRequest", str(exc)))


def _json_object(body: bytes) -> Mapping[str, Any]:
    decoded = json.loads(body) if body.strip() else {}
    if not isinstance(decoded, dict):
        raise ValueError("the control request body must be a JSON object")
    return decoded


def _health(server: ControlledServer, _: Mapping[str, Any]) -> Reply:
    return ok({"status": "ok", "url": server.url})


def _requests(server: ControlledServer, _: Mapping[str, Any]) -> Reply:
    records = server.requests
    return ok({"count": len(records), "requests": [record.to_dict() for record in records]})


def _clear_requests(server: ControlledServer, _: Mapping[str, Any]) -> Reply:
    server.reset_requests()
    return ok({"count": 0})


def _reset(server: ControlledServer, _: Mapping[str, Any]) -> Reply:
    server.reset()
    return ok({"reset": True})


def _faults(server: ControlledServer, body: Mapping[str, Any]) -> Reply:
    if body.get("clear"):
        server.clear_faults()
    if "latency_ms" in body:
        server.set_latency(int(body["latency_ms"]))
    faults = body.get("faults", [])
    if not isinstance(faults, list):
        raise ValueError("'faults' must be a JSON array")
    for fault in faults:
        server.add_fault(
            fault.get("method"),
            str(fault["path_contains"]),
            status=fault.get("status"),
            retry_after=fault.get("retry_after"),
            drop=bool(fault.get("drop", False)),
            times=int(fault.get("times", 1)),
        )
    return ok({"latency_ms": server.settings.latency_ms, "added": len(faults)})


def _clear_faults(server: ControlledServer, _: Mapping[str, Any]) -> Reply:
    server.clear_faults()
    return ok({"cleared": True})


def _lro(server: ControlledServer, body: Mapping[str, Any]) -> Reply:
    retry_after_ms = body.get("retry_after_ms")
    server.set_lro_mode(
        str(body["mode"]),
        int(body.get("polls", 1)),
        retry_after_ms=None if retry_after_ms is None else int(retry_after_ms),
    )
    settings = server.settings
    return ok(
        {"mode": settings.lro_mode.value, "polls": settings.lro_polls, "retry_after_ms": settings.lro_retry_after_ms}
    )


def _paging(server: ControlledServer, body: Mapping[str, Any]) -> Reply:
    if "page_size" not in body and "graph_page_size" not in body:
        raise ValueError("give 'page_size' and/or 'graph_page_size'")
    if "page_size" in body:
        server.page_size = int(body["page_size"])
    if "graph_page_size" in body:
        server.graph_page_size = int(body["graph_page_size"])
    return ok({"page_size": server.page_size, "graph_page_size": server.graph_page_size})


def _graph(server: ControlledServer, body: Mapping[str, Any]) -> Reply:
    enabled = body["enabled"]
    if not isinstance(enabled, bool):
        raise ValueError("'enabled' must be true or false")
    server.set_graph_enabled(enabled)
    return ok({"enabled": server.settings.graph_enabled})


def _throttling(server: ControlledServer, body: Mapping[str, Any]) -> Reply:
    enabled = body["enabled"]
    if not isinstance(enabled, bool):
        raise ValueError("'enabled' must be true or false")
    server.set_throttling(
        enabled,
        bucket=int(body.get("bucket", ARM_READ_BUCKET)),
        refill_per_second=float(body.get("refill_per_second", ARM_READ_REFILL_PER_SECOND)),
    )
    settings = server.throttling
    return ok({"enabled": settings.enabled, "bucket": settings.bucket, "refill_per_second": settings.refill_per_second})


def _capacity(server: ControlledServer, body: Mapping[str, Any]) -> Reply:
    percent = body["percent"]
    if percent is not None and not isinstance(percent, int | float):
        raise ValueError("'percent' must be a number from 0 to 100, or null for no data")
    svc = set_capacity(server.state, str(body["service"]), percent)
    return ok({"service": svc.id, "percent": capacity_of(svc)})


def _state(server: ControlledServer, body: Mapping[str, Any]) -> Reply:
    action = body.get("action")
    store = server.state
    if action == "set_pricing":
        store.set_pricing(body["subscription"], body["tier"], body.get("subPlan"), body.get("name", "Api"))
        return ok({"done": action})
    where = (body["subscription"], body["resourceGroup"], body["service"])
    if action == "add_api":
        store.add_api(*where, body["api"], workspace=body.get("workspace"))
    elif action == "delete_api":
        store.delete_api(*where, body["api"], workspace=body.get("workspace"))
    elif action == "add_collection":
        store.add_collection(*where, body["api"])
    elif action == "remove_collection":
        store.remove_collection(*where, body["api"])
    else:
        raise ValueError(f"unknown state action {action!r}")
    return ok({"done": action})


_ACTIONS: dict[tuple[str, str], _Control] = {
    ("GET", "/health"): _health,
    ("GET", "/requests"): _requests,
    ("DELETE", "/requests"): _clear_requests,
    ("POST", "/reset"): _reset,
    ("POST", "/faults"): _faults,
    ("DELETE", "/faults"): _clear_faults,
    ("POST", "/lro"): _lro,
    ("POST", "/paging"): _paging,
    ("POST", "/graph"): _graph,
    ("POST", "/throttling"): _throttling,
    ("POST", "/capacity"): _capacity,
    ("POST", "/state"): _state,
}
