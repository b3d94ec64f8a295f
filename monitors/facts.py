"""Fact sources for the rules: ``ArmFacts`` reads ARM lazily (and caches service and plan facts for a bounded time
in a warm instance); ``KnownFacts`` holds facts that are already known, from a scan's list calls or a test.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from monitors import routing, telemetry
from monitors.azure import apim, defender, graph
from monitors.azure.clients import ArmClients
from monitors.errors import AzureError, CredentialError, TransientAzureError
from monitors.model import ApiFacts, ApiRef, CollectionFacts, PlanFacts, ServiceFacts, ServiceRef

log = logging.getLogger(__name__)
K = TypeVar("K")
V = TypeVar("V")
_UNSET = object()


class TtlCache(Generic[K, V]):
    """A small thread-safe cache whose entries live ``ttl`` seconds; failures are never cached."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get_or_load(self, key: K, load: Callable[[], V]) -> V:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = load()
        self.put(key, value)
        return value

    def put(self, key: K, value: V) -> None:
        """Store a value just read, replacing what the cache held."""
        with self._lock:
            self._entries[key] = (self._clock() + self._ttl, value)


@dataclass
class FactCaches:
    """Per-process caches shared by every ``ArmFacts``: service facts per service, plan per subscription."""

    ttl: float
    clock: Callable[[], float] = time.monotonic
    services: TtlCache[str, ServiceFacts] = field(init=False)
    plans: TtlCache[str, PlanFacts] = field(init=False)

    def __post_init__(self) -> None:
        self.services = TtlCache(self.ttl, self.clock)
        self.plans = TtlCache(self.ttl, self.clock)


class Owners:
    """Whose a service is: an owner tag on the service itself, else on its resource group, else on its subscription.

    The containers' tags come from one Resource Graph read per subscription, cached for ``ttl`` seconds and read once
    however many threads ask at the same time, so a whole service's findings (or a sweep worker's many services) cost
    one read. A read that fails leaves the finding what the service's own tags say, or no owner (the default route);
    an alert is never held up by it. A refusal (no Resource Graph access) is remembered like an answer, so it costs
    one request and one warning per subscription and ``ttl``; a transient failure is tried again next time.
    """

    def __init__(
        self, clients: ArmClients, tag_names: Sequence[str], ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clients = clients
        self._tag_names = tuple(tag_names)
        self._containers: TtlCache[str, dict[str, dict[str, str]]] = TtlCache(ttl, clock)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def owner_of(self, svc: ServiceRef, service_tags: Mapping[str, str] | None) -> str | None:
        own = routing.owner_from(self._tag_names, service_tags)
        if own is not None:
            return own  # the service says: nothing to read
        containers = self._container_tags(svc.subscription_id)
        subscription = f"/subscriptions/{svc.subscription_id}".lower()
        group = f"{subscription}/resourcegroups/{svc.resource_group.lower()}"
        return routing.owner_from(self._tag_names, containers.get(group), containers.get(subscription))

    def _container_tags(self, subscription_id: str) -> dict[str, dict[str, str]]:
        key = subscription_id.lower()
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            try:
                return self._containers.get_or_load(
                    key, lambda: graph.query_container_tags(self._clients.graph(), [subscription_id])
                )
            except CredentialError:
                raise
            except AzureError as exc:
                log.warning("owner tags of subscription %s could not be read; default route: %s", subscription_id, exc)
                if not isinstance(exc, TransientAzureError):
                    self._containers.put(key, {})
                return {}


class ArmFacts:
    """Facts about one API read from ARM on first use, each at most once per instance."""

    def __init__(
        self,
        ref: ApiRef,
        clients: ArmClients,
        caches: FactCaches,
        *,
        with_gateways: bool,
    ) -> None:
        self._ref = ref
        self._clients = clients
        self._caches = caches
        self._with_gateways = with_gateways
        self._collection: object = _UNSET
        self._api: object = _UNSET
        self._service: ServiceFacts | None = None
        self._plan: PlanFacts | None = None

    @property
    def ref(self) -> ApiRef:
        return self._ref

    def collection(self) -> CollectionFacts | None:
        if self._collection is _UNSET:
            # Workspace APIs have no apiCollections path at all: nothing to ask.
            security = self._clients.security(self._ref.subscription_id)
            with telemetry.span("facts", fact="collection"):
                self._collection = None if self._ref.workspace else defender.get_collection(security, self._ref)
        return self._collection  # type: ignore[return-value]

    def api(self) -> ApiFacts | None:
        if self._api is _UNSET:
            with telemetry.span("facts", fact="api"):
                self._api = apim.get_api(self._clients.apim(self._ref.subscription_id), self._ref)
        return self._api  # type: ignore[return-value]

    def service(self) -> ServiceFacts:
        if self._service is None:
            svc = self._ref.service_ref
            client = self._clients.apim(svc.subscription_id)

            def load() -> ServiceFacts:
                return apim.get_service(client, svc, with_gateways=self._with_gateways)

            with telemetry.span("facts", fact="service"):
                self._service = self._caches.services.get_or_load(svc.resource_id.lower(), load)
        return self._service

    def plan(self) -> PlanFacts:
        if self._plan is None:
            sub = self._ref.subscription_id
            client = self._clients.security(sub)
            with telemetry.span("facts", fact="plan"):
                self._plan = self._caches.plans.get_or_load(sub.lower(), lambda: defender.get_plan(client, sub))
        return self._plan


@dataclass(frozen=True)
class KnownFacts:
    """Facts that are already known; ``known_api`` None means the API does not exist, an error means the plan
    could not be read (raised only to the rule that needs it)."""

    ref: ApiRef
    known_api: ApiFacts | None
    known_service: ServiceFacts
    known_plan: PlanFacts | AzureError
    known_collection: CollectionFacts | None = None

    def collection(self) -> CollectionFacts | None:
        return self.known_collection

    def api(self) -> ApiFacts | None:
        return self.known_api

    def service(self) -> ServiceFacts:
        return self.known_service

    def plan(self) -> PlanFacts:
        if isinstance(self.known_plan, AzureError):
            raise self.known_plan
        return self.known_plan


@dataclass(frozen=True)
class WithCollection:
    """Another fact source, with the collection replaced (after onboarding created it)."""

    base: ArmFacts | KnownFacts
    new_collection: CollectionFacts

    @property
    def ref(self) -> ApiRef:
        return self.base.ref

    def collection(self) -> CollectionFacts | None:
        return self.new_collection

    def api(self) -> ApiFacts | None:
        return self.base.api()

    def service(self) -> ServiceFacts:
        return self.base.service()

    def plan(self) -> PlanFacts:
        return self.base.plan()
