"""The estate: an immutable description of subscriptions, APIM services, APIs and Defender state to emulate.

`load_estate(path)` / `Estate.from_dict(data)` validate the JSON estate format (documented in emulator/README.md) and
raise `ValueError` with one line naming the JSON path of the first problem. The emulator copies an `Estate` into a
mutable store, so the loaded estate stays untouched and `EmulatorServer.reset()` can restore it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.fields import (
    as_list,
    as_object,
    check_keys,
    fail,
    opt_bool,
    opt_choice,
    opt_int,
    opt_str,
    opt_str_list,
    opt_str_map,
    reject_duplicates,
    req_str,
)

API_TYPES = ("http", "soap", "websocket", "graphql", "odata", "grpc")
SKUS = ("Developer", "Standard", "Premium", "Basic", "Consumption", "Isolated", "BasicV2", "StandardV2", "PremiumV2")
PRICING_TIERS = ("Free", "Standard")
SUBSCRIPTION_STATES = ("Enabled", "Disabled", "Warned", "PastDue", "Deleted")

_SERVICE_NAME = re.compile(r"^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$")
_API_NAME = re.compile(r"^[^*#&+:<>?/]+$")
_REVISION_SUFFIX = re.compile(r";rev=([^;]+)$", re.IGNORECASE)
_SEGMENT = re.compile(r"^[^/?#]+$")

_API_KEYS = (
    "name",
    "displayName",
    "path",
    "type",
    "isCurrent",
    "apiRevision",
    "isOnline",
    "serviceUrl",
    "protocols",
    "subscriptionRequired",
    "oAuth2Server",
)
NETWORK_ACCESS = ("Enabled", "Disabled")
VIRTUAL_NETWORK_TYPES = ("None", "External", "Internal")
_SERVICE_KEYS = (
    "resourceGroup",
    "name",
    "location",
    "sku",
    "capacity",
    "tags",
    "apis",
    "workspaces",
    "gateways",
    "apiCollections",
    "publicNetworkAccess",
    "virtualNetworkType",
    "requestsPerDay",
    "defenderAssessments",
)
ASSESSMENT_STATUSES = ("Healthy", "Unhealthy", "NotApplicable")


@dataclass(frozen=True)
class ApiSpec:
    """One APIM API (or revision, when `name` ends with `;rev=N`)."""

    name: str
    display_name: str
    path: str
    api_type: str | None = None
    is_current: bool = True
    api_revision: str = "1"
    is_online: bool = True
    service_url: str = ""
    protocols: tuple[str, ...] = ("https",)
    subscription_required: bool = True  # APIM's default for a new API
    oauth2_server: str | None = None  # an OAuth 2.0 authorization server named in authenticationSettings


@dataclass(frozen=True)
class WorkspaceSpec:
    """An APIM workspace and the APIs it owns."""

    name: str
    display_name: str
    apis: tuple[ApiSpec, ...] = ()


@dataclass(frozen=True)
class GatewaySpec:
    """A self-hosted gateway and the names of the service APIs assigned to it."""

    name: str
    location: str
    apis: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceSpec:
    """An APIM service instance with its APIs, workspaces, gateways and onboarded API collections."""

    resource_group: str
    name: str
    location: str
    sku: str
    capacity: int
    tags: Mapping[str, str] = field(default_factory=dict)
    apis: tuple[ApiSpec, ...] = ()
    workspaces: tuple[WorkspaceSpec, ...] = ()
    gateways: tuple[GatewaySpec, ...] = ()
    api_collections: tuple[str, ...] = ()
    public_network_access: str = "Enabled"
    virtual_network_type: str = "None"
    requests_per_day: int = 0  # the gateway's traffic, served as the Azure Monitor "Requests" metric
    # Defender's recommendation rows that differ from what the emulator derives (Healthy with a collection, else
    # Unhealthy for REST, NotApplicable otherwise); may name APIs the service no longer has (a stale row).
    defender_assessments: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PricingSpec:
    """A Defender plan setting; `sub_plan` is only meaningful on the Standard tier."""

    tier: str
    sub_plan: str | None = None
    extensions: Mapping[str, bool] = field(default_factory=dict)  # e.g. {"ApiPosture": True} on CloudPosture


@dataclass(frozen=True)
class SubscriptionSpec:
    """A subscription, its Defender plans keyed by plan name, and its APIM services."""

    id: str
    display_name: str
    state: str = "Enabled"
    pricings: Mapping[str, PricingSpec] = field(default_factory=dict)
    services: tuple[ServiceSpec, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    resource_groups: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # name -> its tags

    def group_tags(self) -> dict[str, tuple[str, Mapping[str, str]]]:
        """Every resource group (declared, or holding a service) by lower-cased name: its name as first written,
        and its tags."""
        groups = {name.lower(): (name, tags) for name, tags in self.resource_groups.items()}
        for service in self.services:
            groups.setdefault(service.resource_group.lower(), (service.resource_group, {}))
        return groups


@dataclass(frozen=True)
class Estate:
    """Everything the emulator serves, as loaded and validated from the estate JSON."""

    subscriptions: tuple[SubscriptionSpec, ...] = ()

    @classmethod
    def from_dict(cls, data: object) -> Estate:
        """Validate the decoded estate JSON and build an `Estate`; raises ValueError naming the bad JSON path."""
        root = as_object(data, "$")
        check_keys(root, ("subscriptions",), "$")
        items = as_list(root.get("subscriptions", []), "subscriptions")
        subs = tuple(_parse_subscription(item, f"subscriptions[{i}]") for i, item in enumerate(items))
        reject_duplicates((sub.id for sub in subs), "subscriptions", "subscription id")
        return cls(subscriptions=subs)


def load_estate(path: str | Path) -> Estate:
    """Read and validate an estate JSON file."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"estate {path}: not valid JSON ({exc})") from exc
    return Estate.from_dict(data)


def parse_api(data: object, path: str) -> ApiSpec:
    """Validate one API entry of the estate format."""
    obj = as_object(data, path)
    check_keys(obj, _API_KEYS, path)
    name = _checked_name(obj, "name", path, _API_NAME)
    api_type = opt_choice(obj, "type", path, API_TYPES, "http") if "type" in obj else None
    return ApiSpec(
        name=name,
        display_name=opt_str(obj, "displayName", path, name),
        path=opt_str(obj, "path", path, ""),
        api_type=api_type,
        is_current=opt_bool(obj, "isCurrent", path, True),
        api_revision=_revision(obj, name, path),
        is_online=opt_bool(obj, "isOnline", path, True),
        service_url=opt_str(obj, "serviceUrl", path, ""),
        protocols=opt_str_list(obj, "protocols", path, ("https",)),
        subscription_required=opt_bool(obj, "subscriptionRequired", path, True),
        oauth2_server=opt_str(obj, "oAuth2Server", path, "") or None,
    )


def revision_of(api_name: str) -> str | None:
    """Return N for an API name ending in `;rev=N`, else None."""
    match = _REVISION_SUFFIX.search(api_name)
    return match.group(1) if match else None


def _revision(obj: Mapping[str, Any], name: str, path: str) -> str:
    from_name = revision_of(name)
    revision = opt_str(obj, "apiRevision", path, from_name or "1")
    if from_name is not None and from_name != revision:
        raise fail(f"{path}.apiRevision", f"{revision!r} does not match the revision in name {name!r}")
    return revision


def _checked_name(obj: Mapping[str, Any], key: str, path: str, pattern: re.Pattern[str]) -> str:
    name = req_str(obj, key, path)
    if not pattern.match(name):
        raise fail(f"{path}.{key}", f"{name!r} is not a valid name (pattern {pattern.pattern})")
    return name


def _parse_subscription(data: object, path: str) -> SubscriptionSpec:
    obj = as_object(data, path)
    check_keys(obj, ("id", "displayName", "state", "pricings", "services", "tags", "resourceGroups"), path)
    sub_id = _checked_name(obj, "id", path, _SEGMENT)
    services = as_list(obj.get("services", []), f"{path}.services")
    parsed = tuple(_parse_service(item, f"{path}.services[{i}]") for i, item in enumerate(services))
    reject_duplicates((f"{s.resource_group}/{s.name}" for s in parsed), f"{path}.services", "service")
    return SubscriptionSpec(
        id=sub_id,
        display_name=opt_str(obj, "displayName", path, sub_id),
        state=opt_choice(obj, "state", path, SUBSCRIPTION_STATES, "Enabled"),
        pricings=_parse_pricings(obj.get("pricings", {}), f"{path}.pricings"),
        services=parsed,
        tags=opt_str_map(obj, "tags", path),
        resource_groups=_parse_resource_groups(obj, path),
    )


def _parse_resource_groups(obj: Mapping[str, Any], path: str) -> dict[str, dict[str, str]]:
    """``"resourceGroups": {"<name>": {"tags": {...}}}``: resource groups and their tags (served by Resource Graph's
    resourcecontainers); a group holding a service needs no entry unless it has tags."""
    groups = as_object(obj.get("resourceGroups", {}), f"{path}.resourceGroups")
    reject_duplicates((name.lower() for name in groups), f"{path}.resourceGroups", "resource group")
    parsed = {}
    for name, value in groups.items():
        where = f"{path}.resourceGroups.{name}"
        if not _SEGMENT.match(name):
            raise fail(where, f"{name!r} is not a valid resource group name")
        group = as_object(value, where)
        check_keys(group, ("tags",), where)
        parsed[name] = opt_str_map(group, "tags", where)
    return parsed


def _parse_pricings(data: object, path: str) -> dict[str, PricingSpec]:
    obj = as_object(data, path)
    reject_duplicates(obj, path, "pricing")
    pricings = {name: _parse_pricing(value, f"{path}.{name}") for name, value in obj.items()}
    if not any(name.lower() == "api" for name in pricings):
        pricings["Api"] = PricingSpec(tier="Free")
    return pricings


def _parse_pricing(data: object, path: str) -> PricingSpec:
    obj = as_object(data, path)
    check_keys(obj, ("pricingTier", "subPlan", "extensions"), path)
    tier = opt_choice(obj, "pricingTier", path, PRICING_TIERS, "Free")
    sub_plan = opt_str(obj, "subPlan", path, "P1") if tier == "Standard" else None
    extensions = as_object(obj.get("extensions", {}), f"{path}.extensions")
    for name, enabled in extensions.items():
        if not isinstance(enabled, bool):
            raise fail(f"{path}.extensions.{name}", f"{enabled!r} is not true or false")
    return PricingSpec(tier=tier, sub_plan=sub_plan, extensions=dict(extensions))


def _parse_service(data: object, path: str) -> ServiceSpec:
    obj = as_object(data, path)
    check_keys(obj, _SERVICE_KEYS, path)
    sku = opt_choice(obj, "sku", path, SKUS, "Developer")
    apis = _parse_apis(obj, path)
    known = {api.name.lower() for api in apis}
    gateways = as_list(obj.get("gateways", []), f"{path}.gateways")
    parsed_gateways = tuple(_parse_gateway(item, f"{path}.gateways[{i}]", known) for i, item in enumerate(gateways))
    reject_duplicates((g.name for g in parsed_gateways), f"{path}.gateways", "gateway")
    collections = opt_str_list(obj, "apiCollections", path)
    reject_duplicates(collections, f"{path}.apiCollections", "API collection")
    return ServiceSpec(
        resource_group=_checked_name(obj, "resourceGroup", path, _SEGMENT),
        name=_checked_name(obj, "name", path, _SERVICE_NAME),
        location=opt_str(obj, "location", path, "East US"),
        sku=sku,
        capacity=0 if sku == "Consumption" else opt_int(obj, "capacity", path, 1),
        tags=opt_str_map(obj, "tags", path),
        apis=apis,
        workspaces=_parse_workspaces(obj, path),
        gateways=parsed_gateways,
        api_collections=collections,
        public_network_access=opt_choice(obj, "publicNetworkAccess", path, NETWORK_ACCESS, "Enabled"),
        virtual_network_type=opt_choice(obj, "virtualNetworkType", path, VIRTUAL_NETWORK_TYPES, "None"),
        requests_per_day=opt_int(obj, "requestsPerDay", path, 0),
        defender_assessments=_parse_assessments(obj, path),
    )


def _parse_assessments(obj: Mapping[str, Any], path: str) -> dict[str, str]:
    rows = opt_str_map(obj, "defenderAssessments", path)
    for api, status in rows.items():
        if status not in ASSESSMENT_STATUSES:
            raise fail(
                f"{path}.defenderAssessments.{api}", f"{status!r} is not one of {', '.join(ASSESSMENT_STATUSES)}"
            )
    return rows


def _parse_apis(obj: Mapping[str, Any], path: str) -> tuple[ApiSpec, ...]:
    items = as_list(obj.get("apis", []), f"{path}.apis")
    apis = tuple(parse_api(item, f"{path}.apis[{i}]") for i, item in enumerate(items))
    reject_duplicates((api.name for api in apis), f"{path}.apis", "API")
    return apis


def _parse_workspaces(obj: Mapping[str, Any], path: str) -> tuple[WorkspaceSpec, ...]:
    items = as_list(obj.get("workspaces", []), f"{path}.workspaces")
    workspaces = tuple(_parse_workspace(item, f"{path}.workspaces[{i}]") for i, item in enumerate(items))
    reject_duplicates((ws.name for ws in workspaces), f"{path}.workspaces", "workspace")
    return workspaces


def _parse_workspace(data: object, path: str) -> WorkspaceSpec:
    obj = as_object(data, path)
    check_keys(obj, ("name", "displayName", "apis"), path)
    name = _checked_name(obj, "name", path, _SEGMENT)
    return WorkspaceSpec(name=name, display_name=opt_str(obj, "displayName", path, name), apis=_parse_apis(obj, path))


def _parse_gateway(data: object, path: str, known_apis: set[str]) -> GatewaySpec:
    obj = as_object(data, path)
    check_keys(obj, ("name", "location", "apis"), path)
    apis = opt_str_list(obj, "apis", path)
    for index, api in enumerate(apis):
        if api.lower() not in known_apis:
            raise fail(f"{path}.apis[{index}]", f"API {api!r} is not defined in this service's apis")
    reject_duplicates(apis, f"{path}.apis", "gateway API")
    return GatewaySpec(
        name=_checked_name(obj, "name", path, _SEGMENT), location=opt_str(obj, "location", path, ""), apis=apis
    )
