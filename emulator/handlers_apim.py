"""Handlers for the Microsoft.ApiManagement routes: services, APIs, workspaces and self-hosted gateways.

Every handler takes the parsed `Call` and the `Env`, holds the store lock while it reads, and returns a `Reply` or
raises `ArmError` (404 ResourceNotFound naming the missing resource id).
"""

from __future__ import annotations

import re

from emulator.config import Env
from emulator.estate import ApiSpec
from emulator.paging import paged_reply
from emulator.protocol import Call, Reply, bad_request, not_found, ok
from emulator.store import ApiTable, GatewayState, ServiceState, WorkspaceState
from emulator.wire import (
    API_TYPE,
    GATEWAY_API_TYPE,
    WORKSPACE_API_TYPE,
    api_body,
    etag,
    gateway_body,
    service_body,
    workspace_body,
)

_IS_CURRENT_FILTER = re.compile(r"^\s*isCurrent\s+eq\s+(true|false)\s*$", re.IGNORECASE)


def _service(call: Call, env: Env) -> ServiceState:
    return env.store.service(call.param("sub"), call.param("rg"), call.param("svc"))


def _is_current_filter(call: Call) -> bool | None:
    raw = call.query.get("$filter")
    if raw is None:
        return None
    match = _IS_CURRENT_FILTER.match(raw)
    if match is None:
        raise bad_request(
            "ValidationError", f"Unsupported $filter {raw!r}: the emulator supports 'isCurrent eq true|false'."
        )
    return match.group(1).lower() == "true"


def _list_apis(call: Call, env: Env, parent_id: str, resource_type: str, table: ApiTable) -> Reply:
    apis = table.listing(_is_current_filter(call))
    return paged_reply(
        call, apis, lambda api: api_body(parent_id, resource_type, api), env.settings.page_size, with_count=True
    )


def _api(table: ApiTable, parent_id: str, name: str) -> ApiSpec:
    api = table.get(name)
    if api is None:
        raise not_found(f"{parent_id}/apis/{name}")
    return api


def _workspace(call: Call, env: Env) -> tuple[ServiceState, WorkspaceState]:
    service = _service(call, env)
    workspace = service.workspaces.get(call.param("ws").lower())
    if workspace is None:
        raise not_found(f"{service.id}/workspaces/{call.param('ws')}")
    return service, workspace


def _gateway(call: Call, env: Env) -> tuple[ServiceState, GatewayState]:
    service = _service(call, env)
    gateway = service.gateways.get(call.param("gw").lower())
    if gateway is None:
        raise not_found(f"{service.id}/gateways/{call.param('gw')}")
    return service, gateway


def list_services_in_subscription(call: Call, env: Env) -> Reply:
    """GET /subscriptions/{sub}/providers/Microsoft.ApiManagement/service."""
    with env.store.lock:
        services = env.store.services(call.param("sub"))
        return paged_reply(call, services, service_body, env.settings.page_size, with_count=False)


def list_services_in_group(call: Call, env: Env) -> Reply:
    """GET /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service."""
    with env.store.lock:
        services = env.store.services(call.param("sub"), call.param("rg"))
        return paged_reply(call, services, service_body, env.settings.page_size, with_count=False)


def get_service(call: Call, env: Env) -> Reply:
    """GET {service}."""
    with env.store.lock:
        return ok(service_body(_service(call, env)))


def list_apis(call: Call, env: Env) -> Reply:
    """GET {service}/apis with optional `$filter=isCurrent eq true|false`, `$top` and `$skip`."""
    with env.store.lock:
        service = _service(call, env)
        return _list_apis(call, env, service.id, API_TYPE, service.apis)


def get_api(call: Call, env: Env) -> Reply:
    """GET {service}/apis/{api}; `api` may be a revision id such as `echo-api;rev=2`."""
    with env.store.lock:
        service = _service(call, env)
        api = _api(service.apis, service.id, call.param("api"))
        return ok(api_body(service.id, API_TYPE, api, detail=True))


def list_workspaces(call: Call, env: Env) -> Reply:
    """GET {service}/workspaces."""
    with env.store.lock:
        service = _service(call, env)
        workspaces = list(service.workspaces.values())
        return paged_reply(
            call, workspaces, lambda ws: workspace_body(service, ws), env.settings.page_size, with_count=True
        )


def get_workspace(call: Call, env: Env) -> Reply:
    """GET {service}/workspaces/{ws}."""
    with env.store.lock:
        service, workspace = _workspace(call, env)
        return ok(workspace_body(service, workspace))


def list_workspace_apis(call: Call, env: Env) -> Reply:
    """GET {service}/workspaces/{ws}/apis."""
    with env.store.lock:
        service, workspace = _workspace(call, env)
        parent_id = f"{service.id}/workspaces/{workspace.name}"
        return _list_apis(call, env, parent_id, WORKSPACE_API_TYPE, workspace.apis)


def get_workspace_api(call: Call, env: Env) -> Reply:
    """GET {service}/workspaces/{ws}/apis/{api}."""
    with env.store.lock:
        service, workspace = _workspace(call, env)
        parent_id = f"{service.id}/workspaces/{workspace.name}"
        api = _api(workspace.apis, parent_id, call.param("api"))
        return ok(api_body(parent_id, WORKSPACE_API_TYPE, api, detail=True))


def list_gateways(call: Call, env: Env) -> Reply:
    """GET {service}/gateways."""
    with env.store.lock:
        service = _service(call, env)
        gateways = list(service.gateways.values())
        return paged_reply(
            call, gateways, lambda gw: gateway_body(service, gw), env.settings.page_size, with_count=True
        )


def get_gateway(call: Call, env: Env) -> Reply:
    """GET {service}/gateways/{gw}."""
    with env.store.lock:
        service, gateway = _gateway(call, env)
        return ok(gateway_body(service, gateway))


def list_gateway_apis(call: Call, env: Env) -> Reply:
    """GET {service}/gateways/{gw}/apis: the service APIs assigned to the gateway."""
    with env.store.lock:
        service, gateway = _gateway(call, env)
        parent_id = f"{service.id}/gateways/{gateway.spec.name}"
        apis = [api for name in gateway.apis.values() if (api := service.apis.get(name)) is not None]
        return paged_reply(
            call,
            apis,
            lambda api: api_body(parent_id, GATEWAY_API_TYPE, api),
            env.settings.page_size,
            with_count=True,
        )


def head_gateway_api(call: Call, env: Env) -> Reply:
    """HEAD {service}/gateways/{gw}/apis/{api}: 200 with an ETag when the API is assigned, else 404."""
    with env.store.lock:
        service, gateway = _gateway(call, env)
        resource_id = f"{service.id}/gateways/{gateway.spec.name}/apis/{call.param('api')}"
        if call.param("api").lower() not in gateway.apis:
            raise not_found(resource_id)
        return Reply(200, None, {"ETag": f'"{etag(resource_id.lower())}"'})
