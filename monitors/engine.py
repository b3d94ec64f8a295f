"""Evaluates APIs, plans and whole services: the one engine behind the Event Grid function and the CLI.

Event path: an event becomes an ``ApiRef``; ``ArmFacts`` reads only what the rules ask for (a compliant API costs
one ARM request); the finding goes through remediation. Scan path: per APIM service, list its APIs and its
apiCollections (a constant number of requests per service, never one per API) and evaluate from the lists.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from monitors import events, rules
from monitors.azure import apim, defender
from monitors.azure.clients import ArmClients
from monitors.errors import ArmRequestError, AzureError, EventError, TransientAzureError
from monitors.facts import ArmFacts, FactCaches, KnownFacts
from monitors.inventory import Inventory, ServiceWork, take_inventory
from monitors.model import (
    Action,
    ApiFacts,
    ApiRef,
    CollectionFacts,
    Finding,
    PlanFacts,
    PlanRef,
    SelfHostedMode,
    ServiceFacts,
    ServiceRef,
)
from monitors.remediation import Remediator
from monitors.settings import Settings
from monitors.state import StateStore

log = logging.getLogger(__name__)
_WORKSPACE_TIERS = frozenset({"premium", "premiumv2"})


def _utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@dataclass(frozen=True)
class EventOutcome:
    """What became of one event: a finding, a whole service to reconcile (its tags or settings changed), or the
    reason it was acknowledged without either."""

    event_id: str
    finding: Finding | None = None
    ignored: str | None = None
    service: ServiceWork | None = None


def _parse(event: object, subscriptions: frozenset[str]) -> events.ParsedEvent | EventOutcome:
    """An event to act on, or the outcome of one that is malformed, irrelevant or about a subscription outside
    ``subscriptions`` (lower-cased MONITOR_SUBSCRIPTIONS; empty means all): acknowledged with a reason."""
    try:
        parsed = events.parse_event(event)
    except EventError as exc:
        event_id = event.get("id", "?") if isinstance(event, Mapping) else "?"
        return EventOutcome(str(event_id)[:100], ignored=f"malformed event: {exc}")
    if isinstance(parsed, events.Ignored):
        return EventOutcome(parsed.event_id, ignored=parsed.reason)
    subscription = parsed.target.subscription_id
    if subscriptions and subscription.lower() not in subscriptions:
        reason = f"subscription {subscription[:100]!r} is not in MONITOR_SUBSCRIPTIONS; nothing is read or written"
        return EventOutcome(parsed.event_id, ignored=reason)
    return parsed


class Engine:
    """Evaluates and remediates; holds the per-process caches and rate limits of a warm instance."""

    def __init__(
        self,
        settings: Settings,
        clients: ArmClients,
        *,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], dt.date] = _utc_today,
        store: StateStore | None = None,
    ) -> None:
        self.settings = settings
        self.clients = clients
        self._today = today
        self._caches = FactCaches(settings.cache_seconds, clock)
        self._remediator = Remediator(settings, clients, clock, store)
        self._subscriptions = frozenset(sub.lower() for sub in settings.subscriptions)

    def check_api(self, ref: ApiRef, *, deleted: bool = False, queue_onboarding: bool = False) -> Finding:
        """Evaluate and remediate one API. Raises AzureError when ARM cannot answer.

        With ``queue_onboarding`` an API to onboard comes back as ``onboard_queued`` instead: the caller hands it to
        the onboarding queue, so that the event path never waits for the onboarding LRO.
        """
        facts = ArmFacts(ref, self.clients, self._caches, with_gateways=self._with_gateways)
        today = self._today()
        evaluate = rules.evaluate_deleted_api if deleted else rules.evaluate_api
        finding = evaluate(facts, self.settings, today)
        if queue_onboarding and self._remediator.wants_onboarding(finding):
            return rules.with_action(finding, Action.ONBOARD_QUEUED, f"{finding.detail} Onboarding is queued.")
        return self._remediator.remediate(finding, facts, today)

    @property
    def _with_gateways(self) -> bool:
        """Service facts include which APIs self-hosted gateways serve only when those APIs are skipped."""
        return self.settings.self_hosted is SelfHostedMode.SKIP

    def check_plan(self, ref: PlanRef) -> Finding:
        """Evaluate the plan of one subscription, always reading it fresh (a plan write just happened)."""
        return rules.evaluate_plan(
            ref,
            defender.get_plan(self.clients.security(ref.subscription_id), ref.subscription_id),
        )

    def handle_event(self, event: Mapping[str, object], *, queue_onboarding: bool = False) -> EventOutcome:
        """The Event Grid function's whole job for one event.

        Malformed and irrelevant events come back as ``ignored``; ARM permission and request errors as an error
        finding (retrying would not help). Raises TransientAzureError so that Event Grid redelivers.
        """
        parsed = _parse(event, self._subscriptions)
        if isinstance(parsed, EventOutcome):
            return parsed
        target = parsed.target
        if isinstance(target, ServiceRef):
            return self._service_outcome(parsed.event_id, target)
        finding = self._check_target(target, parsed.deleted, queue_onboarding=queue_onboarding)
        return EventOutcome(parsed.event_id, finding=finding)

    def _service_outcome(self, event_id: str, svc: ServiceRef) -> EventOutcome:
        """A changed service: its facts read fresh (tags may have changed), to reconcile like a sweep would."""
        try:
            service = self.refresh_service(svc)
        except TransientAzureError:
            raise
        except AzureError as exc:
            return EventOutcome(event_id, finding=rules.azure_error_finding(svc, exc))
        return EventOutcome(event_id, service=ServiceWork(service))

    def refresh_service(self, svc: ServiceRef) -> ServiceFacts:
        """Read a service's facts from ARM now and replace what the cache held."""
        service = apim.get_service(self.clients.apim(svc.subscription_id), svc, with_gateways=self._with_gateways)
        self._caches.services.put(svc.resource_id.lower(), service)
        return service

    def handle_batch(self, batch: Iterable[object]) -> list[EventOutcome]:
        """Replay many events (the CLI path): each target once, transient errors reported as error findings."""
        outcomes: list[EventOutcome] = []
        seen: dict[tuple[str, bool], str] = {}
        for event in batch:
            parsed = _parse(event, self._subscriptions)
            if isinstance(parsed, EventOutcome):
                outcomes.append(parsed)
                continue
            key = (parsed.target.resource_id.lower(), parsed.deleted)
            if key in seen:
                outcomes.append(EventOutcome(parsed.event_id, ignored=f"duplicate of event {seen[key]}"))
                continue
            seen[key] = parsed.event_id
            outcomes.extend(self._replay(parsed))
        return outcomes

    def _replay(self, parsed: events.ParsedEvent) -> list[EventOutcome]:
        """One parsed event of a batch, worked to the end here (a changed service is reconciled in place)."""
        target = parsed.target
        try:
            if isinstance(target, ServiceRef):
                outcome = self._service_outcome(parsed.event_id, target)
                if outcome.service is None:
                    return [outcome]
                return [EventOutcome(parsed.event_id, finding=f) for f in self.reconcile(outcome.service)]
            return [EventOutcome(parsed.event_id, finding=self._check_target(target, parsed.deleted))]
        except TransientAzureError as exc:
            return [EventOutcome(parsed.event_id, finding=rules.azure_error_finding(target, exc))]

    def _check_target(self, target: ApiRef | PlanRef, deleted: bool, *, queue_onboarding: bool = False) -> Finding:
        try:
            if isinstance(target, PlanRef):
                return self.check_plan(target)
            return self.check_api(target, deleted=deleted, queue_onboarding=queue_onboarding)
        except TransientAzureError:
            raise
        except AzureError as exc:
            return rules.azure_error_finding(target, exc)

    def scan(
        self,
        subscription_id: str,
        resource_group: str | None = None,
        service: str | None = None,
        concurrency: int = 8,
    ) -> list[Finding]:
        """Every API of the subscription (or resource group, or service): constant requests per service."""
        scope = take_inventory(
            self.clients, [subscription_id], resource_group=resource_group, service=service, use_graph=False
        )
        return self.sweep(scope, concurrency)

    def sweep(
        self, inventory: Inventory, concurrency: int = 8, progress: Callable[[int], None] | None = None
    ) -> list[Finding]:
        """Reconcile every service of an inventory, ``concurrency`` at a time; ``progress`` hears of each one."""
        findings = list(inventory.findings)
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            for result in pool.map(self.reconcile, inventory.work):
                findings.extend(result)
                if progress is not None:
                    progress(1)
        return findings

    def reconcile(self, work: ServiceWork, *, raise_transient: bool = False) -> list[Finding]:
        """One service: list its current APIs (and its collections unless known), diff, remediate.

        ARM failures become error findings, or with ``raise_transient`` a TransientAzureError propagates (a retry).
        """
        service, svc = work.service, work.service.ref
        client = self.clients.apim(svc.subscription_id)
        try:
            apis = apim.list_apis(client, svc)
            if service.sku.lower() in _WORKSPACE_TIERS:
                apis += apim.list_workspace_apis(client, svc)
            if self._with_gateways and service.self_hosted_api_ids is None:
                service = replace(service, self_hosted_api_ids=apim.self_hosted_api_ids(client, svc))
            collections = work.collections
            if collections is None:
                collections = defender.list_collections(self.clients.security(svc.subscription_id), svc)
            plan = work.plan or defender.plan_or_error(self.clients.security(svc.subscription_id), svc.subscription_id)
        except TransientAzureError as exc:
            if raise_transient:
                raise
            return [rules.azure_error_finding(svc, exc)]
        except ArmRequestError as exc:
            # Only the service's own 404 means it is gone; a child list's 404 must never hide its APIs.
            if exc.status_code == 404 and self._service_gone(svc):
                log.info("%s was deleted after the inventory; nothing to reconcile", svc.resource_id)
                return []
            return [rules.azure_error_finding(svc, exc)]
        except AzureError as exc:
            return [rules.azure_error_finding(svc, exc)]
        findings = [self._evaluate_listed(api, service, plan, collections) for api in apis]
        listed = {a.api_id.lower() for a in apis if a.workspace is None}
        for name, collection in sorted(collections.items()):
            if name not in listed:
                ref = ApiRef(svc.subscription_id, svc.resource_group, svc.service, collection.api_id)
                findings.append(self._remediator.offboard(rules.orphan_collection(ref, collection), ref))
        return findings

    def _service_gone(self, svc: ServiceRef) -> bool:
        """True only when ARM answers 404 for the APIM service itself."""
        try:
            apim.get_service(self.clients.apim(svc.subscription_id), svc, with_gateways=False)
        except ArmRequestError as exc:
            return exc.status_code == 404
        except AzureError:
            return False
        return False

    def _evaluate_listed(
        self,
        api: ApiFacts,
        service: ServiceFacts,
        plan: PlanFacts | AzureError,
        collections: dict[str, CollectionFacts],
    ) -> Finding:
        svc = service.ref
        ref = ApiRef(svc.subscription_id, svc.resource_group, svc.service, api.api_id, api.workspace)
        collection = None if api.workspace else collections.get(api.api_id.lower())
        facts = KnownFacts(ref, api, service, plan, collection)
        today = self._today()
        try:
            finding = rules.evaluate_api(facts, self.settings, today)
        except AzureError as exc:
            return rules.azure_error_finding(ref, exc)
        return self._remediator.remediate(finding, facts, today)
