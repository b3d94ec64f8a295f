"""The emulator's mutable, thread-safe in-memory copy of an `Estate`.

Every lookup is a dict access keyed by lower-case names (ARM compares names case-insensitively), so a service with
thousands of APIs answers in constant time per item served. Handlers hold `Store.lock` while they read or change
state; the public mutators (used by tests and the control endpoints) take it themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from emulator.estate import ApiSpec, Estate, GatewaySpec, PricingSpec, ServiceSpec, SubscriptionSpec, parse_api
from emulator.ids import api_base_url, service_id
from emulator.protocol import ArmError, bad_request, not_found

ESTATE_ENABLEMENT_TIME = "2024-01-01T00:00:00.0000000Z"


class ApiTable:
    """APIs of one service or workspace in insertion order, with cached `isCurrent` views for listing."""

    def __init__(self, apis: Iterable[ApiSpec]) -> None:
        self._by_name: dict[str, ApiSpec] = {api.name.lower(): api for api in apis}
        self._views: dict[bool | None, list[ApiSpec]] = {}

    def get(self, name: str) -> ApiSpec | None:
        """Return the API called `name` (any case), or None."""
        return self._by_name.get(name.lower())

    def add(self, api: ApiSpec) -> None:
        """Add `api`; raises ValueError when the name is taken."""
        if api.name.lower() in self._by_name:
            raise ValueError(f"API {api.name!r} already exists")
        self._by_name[api.name.lower()] = api
        self._views.clear()

    def remove(self, name: str) -> ApiSpec | None:
        """Remove and return the API called `name`, or None when absent."""
        removed = self._by_name.pop(name.lower(), None)
        self._views.clear()
        return removed

    def listing(self, is_current: bool | None = None) -> Sequence[ApiSpec]:
        """All APIs, or only those whose `isCurrent` equals `is_current`."""
        view = self._views.get(is_current)
        if view is None:
            apis = self._by_name.values()
            view = [api for api in apis if is_current is None or api.is_current == is_current]
            self._views[is_current] = view
        return view


@dataclass
class CollectionState:
    """A Defender API collection; display data is captured at onboarding time, as Defender keeps it."""

    name: str
    display_name: str
    base_url: str
    state: str = "Succeeded"
    final_state: str = "Succeeded"
    pending_polls: int = 0


@dataclass
class WorkspaceState:
    """A workspace and its APIs."""

    name: str
    display_name: str
    apis: ApiTable


@dataclass
class GatewayState:
    """A self-hosted gateway and its assigned API names keyed by lower-case name."""

    spec: GatewaySpec
    apis: dict[str, str]


@dataclass
class ServiceState:
    """An APIM service with everything under it."""

    subscription: str
    spec: ServiceSpec
    apis: ApiTable
    workspaces: dict[str, WorkspaceState]
    gateways: dict[str, GatewayState]
    collections: dict[str, CollectionState] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The service's ARM id."""
        return service_id(self.subscription, self.spec.resource_group, self.spec.name)

    def new_collection(self, api_name: str) -> CollectionState:
        """Build a collection for `api_name` from the API's current data (or its name alone, for an orphan)."""
        api = self.apis.get(api_name)
        if api is None:
            return CollectionState(api_name, api_name, api_base_url(self.spec.name, api_name))
        return CollectionState(api.name, api.display_name, api_base_url(self.spec.name, api.path))


@dataclass
class PricingState:
    """A Defender plan setting on a subscription."""

    name: str
    tier: str
    sub_plan: str | None
    enablement_time: str
    extensions: dict[str, bool] = field(default_factory=dict)


@dataclass
class SubscriptionState:
    """A subscription with its plans and services."""

    spec: SubscriptionSpec
    pricings: dict[str, PricingState]
    services: dict[tuple[str, str], ServiceState]


class Store:
    """The mutable estate; all public methods are thread-safe."""

    def __init__(self, estate: Estate) -> None:
        self.lock = threading.RLock()
        self._subs: dict[str, SubscriptionState] = {}
        self.restore(estate)

    def restore(self, estate: Estate) -> None:
        """Replace all state with a fresh copy of `estate`."""
        subs = {s.id.lower(): _subscription_state(s) for s in estate.subscriptions}
        with self.lock:
            self._subs = subs

    def subscriptions(self) -> list[SubscriptionState]:
        """All subscriptions in estate order."""
        with self.lock:
            return list(self._subs.values())

    def subscription(self, sub: str) -> SubscriptionState:
        """The subscription `sub`; raises ArmError 404 SubscriptionNotFound."""
        with self.lock:
            state = self._subs.get(sub.lower())
        if state is None:
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
        return state

    def services(self, sub: str, rg: str | None = None) -> list[ServiceState]:
        """The services of a subscription, optionally only those in resource group `rg`."""
        with self.lock:
            found = self.subscription(sub).services.values()
            return [svc for svc in found if rg is None or svc.spec.resource_group.lower() == rg.lower()]

    def service(self, sub: str, rg: str, svc: str) -> ServiceState:
        """One APIM service; raises ArmError 404 (subscription or resource)."""
        with self.lock:
            state = self.subscription(sub).services.get((rg.lower(), svc.lower()))
        if state is None:
            raise not_found(service_id(sub, rg, svc))
        return state

    def add_api(self, sub: str, rg: str, svc: str, api: Mapping[str, object], workspace: str | None = None) -> None:
        """Add an API given in the estate format to a service (or one of its workspaces)."""
        spec = parse_api(dict(api), "api")
        with self.lock:
            self._api_table(sub, rg, svc, workspace).add(spec)

    def delete_api(self, sub: str, rg: str, svc: str, api: str, workspace: str | None = None) -> None:
        """Delete an API and its gateway assignments; its API collection, if any, stays (an orphan)."""
        with self.lock:
            if self._api_table(sub, rg, svc, workspace).remove(api) is None:
                raise not_found(f"{service_id(sub, rg, svc)}/apis/{api}")
            for gateway in self.service(sub, rg, svc).gateways.values():
                gateway.apis.pop(api.lower(), None)

    def has_api(self, sub: str, rg: str, svc: str, api: str, workspace: str | None = None) -> bool:
        """True when the service (or its workspace) has an API called `api`."""
        with self.lock:
            return self._api_table(sub, rg, svc, workspace).get(api) is not None

    def has_collection(self, sub: str, rg: str, svc: str, api: str) -> bool:
        """True when an API collection named `api` exists on the service, whatever its provisioning state."""
        return self.collection_state(sub, rg, svc, api) is not None

    def collection_state(self, sub: str, rg: str, svc: str, api: str) -> str | None:
        """The collection's provisioning state without counting as a poll, or None when absent."""
        with self.lock:
            collection = self.service(sub, rg, svc).collections.get(api.lower())
            return collection.state if collection else None

    def add_collection(self, sub: str, rg: str, svc: str, api: str) -> None:
        """Mark `api` as onboarded (Succeeded), even when no such API exists."""
        with self.lock:
            service = self.service(sub, rg, svc)
            service.collections[api.lower()] = service.new_collection(api)

    def remove_collection(self, sub: str, rg: str, svc: str, api: str) -> bool:
        """Offboard `api`; returns whether a collection existed."""
        with self.lock:
            return self.service(sub, rg, svc).collections.pop(api.lower(), None) is not None

    def set_pricing(self, sub: str, tier: str, sub_plan: str | None = None, name: str = "Api") -> PricingState:
        """Set a Defender plan's tier (Free or Standard); Standard defaults the sub-plan to P1."""
        canonical = {"free": "Free", "standard": "Standard"}.get(tier.lower())
        if canonical is None:
            raise bad_request("InvalidPricingTier", f"pricingTier must be Free or Standard, got {tier!r}")
        with self.lock:
            pricings = self.subscription(sub).pricings
            previous = pricings.get(name.lower())
            enabled = previous.enablement_time if previous and previous.tier == canonical else _now()
            plan = (sub_plan or (previous.sub_plan if previous else None) or "P1") if canonical == "Standard" else None
            extensions = dict(previous.extensions) if previous else {}
            state = PricingState(previous.name if previous else name, canonical, plan, enabled, extensions)
            pricings[name.lower()] = state
            return state

    def _api_table(self, sub: str, rg: str, svc: str, workspace: str | None) -> ApiTable:
        service = self.service(sub, rg, svc)
        if workspace is None:
            return service.apis
        found = service.workspaces.get(workspace.lower())
        if found is None:
            raise not_found(f"{service.id}/workspaces/{workspace}")
        return found.apis


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def _subscription_state(spec: SubscriptionSpec) -> SubscriptionState:
    pricings = {name.lower(): _pricing_state(name, p) for name, p in spec.pricings.items()}
    services = {(s.resource_group.lower(), s.name.lower()): _service_state(spec.id, s) for s in spec.services}
    return SubscriptionState(spec=spec, pricings=pricings, services=services)


def _pricing_state(name: str, spec: PricingSpec) -> PricingState:
    return PricingState(name, spec.tier, spec.sub_plan, ESTATE_ENABLEMENT_TIME, dict(spec.extensions))


def _service_state(sub: str, spec: ServiceSpec) -> ServiceState:
    workspaces = {
        ws.name.lower(): WorkspaceState(ws.name, ws.display_name, ApiTable(ws.apis)) for ws in spec.workspaces
    }
    gateways = {gw.name.lower(): GatewayState(gw, {api.lower(): api for api in gw.apis}) for gw in spec.gateways}
    state = ServiceState(sub, spec, ApiTable(spec.apis), workspaces, gateways)
    for name in spec.api_collections:
        state.collections[name.lower()] = state.new_collection(name)
    return state
