"""The ARM route table: path templates matched segment by segment (literals case-insensitively) to handlers.

Each route pins the api-version the Azure SDK uses for it; a request without `api-version` or with another one is
rejected with a 400 ARM error, an unknown path with 404 and a known path with an unsupported method with 405.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from emulator import handlers_apim as apim
from emulator import handlers_defender as defender
from emulator import handlers_graph as graph
from emulator import handlers_metrics as metrics
from emulator import handlers_tags as tags
from emulator import onboarding
from emulator.config import Env
from emulator.protocol import ArmError, Call, Reply, error_reply

APIM_API_VERSION = "2024-05-01"
COLLECTIONS_API_VERSION = onboarding.SECURITY_API_VERSION
PRICINGS_API_VERSION = "2024-01-01"
SUBSCRIPTIONS_API_VERSION = "2022-12-01"
GRAPH_API_VERSION = graph.GRAPH_API_VERSION
METRICS_API_VERSION = "2023-10-01"
TAGS_API_VERSION = "2021-04-01"

Handler = Callable[[Call, Env], Reply]

_SVC = "subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{svc}"
_COLLECTIONS = "providers/Microsoft.Security/apiCollections"
_PRICINGS = "subscriptions/{sub}/providers/Microsoft.Security/pricings"


@dataclass(frozen=True)
class Route:
    """One method + path template served at one api-version."""

    method: str
    template: tuple[str, ...]
    api_version: str
    handler: Handler

    def match(self, segments: tuple[str, ...]) -> dict[str, str] | None:
        """Return the template parameters when `segments` fit the template, else None."""
        params: dict[str, str] = {}
        for pattern, segment in zip(self.template, segments, strict=True):
            if pattern.startswith("{"):
                params[pattern[1:-1]] = segment
            elif pattern.lower() != segment.lower():
                return None
        return params


def _route(method: str, template: str, api_version: str, handler: Handler) -> Route:
    return Route(method, tuple(template.split("/")), api_version, handler)


ROUTES: tuple[Route, ...] = (
    _route("GET", "subscriptions", SUBSCRIPTIONS_API_VERSION, defender.list_subscriptions),
    _route("GET", "subscriptions/{sub}", SUBSCRIPTIONS_API_VERSION, defender.get_subscription),
    _route(
        "GET",
        "subscriptions/{sub}/providers/Microsoft.ApiManagement/service",
        APIM_API_VERSION,
        apim.list_services_in_subscription,
    ),
    _route(
        "GET",
        "subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service",
        APIM_API_VERSION,
        apim.list_services_in_group,
    ),
    _route("GET", _SVC, APIM_API_VERSION, apim.get_service),
    _route("GET", f"{_SVC}/apis", APIM_API_VERSION, apim.list_apis),
    _route("GET", f"{_SVC}/apis/{{api}}", APIM_API_VERSION, apim.get_api),
    _route("GET", f"{_SVC}/workspaces", APIM_API_VERSION, apim.list_workspaces),
    _route("GET", f"{_SVC}/workspaces/{{ws}}", APIM_API_VERSION, apim.get_workspace),
    _route("GET", f"{_SVC}/workspaces/{{ws}}/apis", APIM_API_VERSION, apim.list_workspace_apis),
    _route("GET", f"{_SVC}/workspaces/{{ws}}/apis/{{api}}", APIM_API_VERSION, apim.get_workspace_api),
    _route("GET", f"{_SVC}/gateways", APIM_API_VERSION, apim.list_gateways),
    _route("GET", f"{_SVC}/gateways/{{gw}}", APIM_API_VERSION, apim.get_gateway),
    _route("GET", f"{_SVC}/gateways/{{gw}}/apis", APIM_API_VERSION, apim.list_gateway_apis),
    _route("HEAD", f"{_SVC}/gateways/{{gw}}/apis/{{api}}", APIM_API_VERSION, apim.head_gateway_api),
    _route("GET", f"{_SVC}/{_COLLECTIONS}", COLLECTIONS_API_VERSION, defender.list_service_collections),
    _route("GET", f"{_SVC}/{_COLLECTIONS}/{{api}}", COLLECTIONS_API_VERSION, onboarding.get_collection),
    _route("PUT", f"{_SVC}/{_COLLECTIONS}/{{api}}", COLLECTIONS_API_VERSION, onboarding.onboard_collection),
    _route("DELETE", f"{_SVC}/{_COLLECTIONS}/{{api}}", COLLECTIONS_API_VERSION, onboarding.offboard_collection),
    _route(
        "GET",
        f"subscriptions/{{sub}}/resourceGroups/{{rg}}/{_COLLECTIONS}",
        COLLECTIONS_API_VERSION,
        defender.list_group_collections,
    ),
    _route(
        "GET", f"subscriptions/{{sub}}/{_COLLECTIONS}", COLLECTIONS_API_VERSION, defender.list_subscription_collections
    ),
    _route("GET", _PRICINGS, PRICINGS_API_VERSION, defender.list_pricings),
    _route("GET", f"{_PRICINGS}/{{name}}", PRICINGS_API_VERSION, defender.get_pricing),
    _route("PUT", f"{_PRICINGS}/{{name}}", PRICINGS_API_VERSION, defender.put_pricing),
    _route("POST", "providers/Microsoft.ResourceGraph/resources", GRAPH_API_VERSION, graph.query_resources),
    _route("GET", "subscriptions/{sub}/providers/Microsoft.Insights/metrics", METRICS_API_VERSION, metrics.get_metrics),
    _route("GET", f"{_SVC}/providers/Microsoft.Insights/metrics", METRICS_API_VERSION, metrics.get_service_metrics),
    _route("PATCH", f"{_SVC}/providers/Microsoft.Resources/tags/default", TAGS_API_VERSION, tags.patch_service_tags),
)


def _index(routes: tuple[Route, ...]) -> Mapping[int, tuple[Route, ...]]:
    by_length: defaultdict[int, list[Route]] = defaultdict(list)
    for route in routes:
        by_length[len(route.template)].append(route)
    return {length: tuple(found) for length, found in by_length.items()}


_BY_LENGTH = _index(ROUTES)


def dispatch(call: Call, env: Env) -> Reply:
    """Route `call` to its handler and turn any ArmError into an ARM error reply."""
    try:
        route, params = _resolve(call)
        _check_api_version(call, route.api_version)
        return route.handler(replace(call, params=params), env)
    except ArmError as error:
        return error_reply(error)


def _resolve(call: Call) -> tuple[Route, dict[str, str]]:
    candidates = [
        (route, params)
        for route in _BY_LENGTH.get(len(call.segments), ())
        if (params := route.match(call.segments)) is not None
    ]
    if not candidates:
        raise ArmError(404, "InvalidResourceType", f"The emulator has no resource at '{call.raw_path}'.")
    for route, params in candidates:
        if route.method == call.method:
            return route, params
    allowed = ", ".join(sorted({route.method for route, _ in candidates}))
    raise ArmError(405, "MethodNotAllowed", f"{call.method} is not supported on '{call.raw_path}'; use {allowed}.")


def _check_api_version(call: Call, expected: str) -> None:
    version = call.query.get("api-version")
    if version is None:
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if version != expected:
        raise ArmError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are '{expected}'.",
        )
