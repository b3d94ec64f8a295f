"""Evaluates APIs, plans and whole services: the one engine behind the Event Grid function and the CLI.

Event path: an event becomes an ``ApiRef``; ``ArmFacts`` reads only what the rules ask for (a compliant API costs
one ARM request); the finding goes through remediation. Scan path: per APIM service, list its APIs and its
apiCollections (a constant number of requests per service, never one per API) and evaluate from the lists.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from monitors import events, rules
from monitors.azure import apim, defender
from monitors.azure.clients import ArmClients
from monitors.errors import (
    AzureError,
    AzurePermissionError,
    EventError,
    TransientAzureError,
)
from monitors.facts import ArmFacts, FactCaches, KnownFacts
from monitors.model import (
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

_WORKSPACE_TIERS = frozenset({"premium", "premiumv2"})


def _utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@dataclass(frozen=True)
class EventOutcome:
    """What became of one event: a finding, or the reason it was acknowledged without one."""

    event_id: str
    finding: Finding | None = None
    ignored: str | None = None


class Engine:
    """Evaluates and remediates; holds the per-process caches and rate limits of a warm instance."""

    def __init__(
        self,
        settings: Settings,
        clients: ArmClients,
        *,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], dt.date] = _utc_today,
    ) -> None:
        self.settings = settings
        self.clients = clients
        self._today = today
        self._caches = FactCaches(settings.cache_seconds, clock)
        self._remediator = Remediator(settings, clients, clock)

    def check_api(self, ref: ApiRef, *, deleted: bool = False) -> Finding:
        """Evaluate and remediate one API. Raises AzureError when ARM cannot answer."""
        with_gateways = self.settings.self_hosted is SelfHostedMode.SKIP
        facts = ArmFacts(ref, self.clients, self._caches, with_gateways=with_gateways)
        today = self._today()
        evaluate = rules.evaluate_deleted_api if deleted else rules.evaluate_api
        return self._remediator.remediate(evaluate(facts, self.settings, today), facts, today)

    def check_plan(self, ref: PlanRef) -> Finding:
        """Evaluate the plan of one subscription, always reading it fresh (a plan write just happened)."""
        return rules.evaluate_plan(
            ref,
            defender.get_plan(self.clients.security(ref.subscription_id), ref.subscription_id),
        )

    def handle_event(self, event: Mapping[str, object]) -> EventOutcome:
        """The Event Grid function's whole job for one event.

        Malformed and irrelevant events come back as ``ignored``; ARM permission and request errors as an error
        finding (retrying would not help). Raises TransientAzureError so that Event Grid redelivers.
        """
        try:
            parsed = events.parse_event(event)
        except EventError as exc:
            return EventOutcome(str(event.get("id", "?"))[:100], ignored=f"malformed event: {exc}")
        if isinstance(parsed, events.Ignored):
            return EventOutcome(parsed.event_id, ignored=parsed.reason)
        return EventOutcome(parsed.event_id, finding=self._check_target(parsed))

    def handle_batch(self, batch: Iterable[Mapping[str, object]]) -> list[EventOutcome]:
        """Replay many events (the CLI path): each target once, transient errors reported as error findings."""
        outcomes: list[EventOutcome] = []
        seen: dict[tuple[str, bool], str] = {}
        for event in batch:
            try:
                parsed = events.parse_event(event)
            except EventError as exc:
                outcomes.append(
                    EventOutcome(
                        str(event.get("id", "?"))[:100],
                        ignored=f"malformed event: {exc}",
                    )
                )
                continue
            if isinstance(parsed, events.Ignored):
                outcomes.append(EventOutcome(parsed.event_id, ignored=parsed.reason))
                continue
            key = (parsed.target.resource_id.lower(), parsed.deleted)
            if key in seen:
                outcomes.append(EventOutcome(parsed.event_id, ignored=f"duplicate of event {seen[key]}"))
                continue
            seen[key] = parsed.event_id
            try:
                finding = self._check_target(parsed)
            except TransientAzureError as exc:
                finding = rules.error_finding(parsed.target, permission=False, message=str(exc))
            outcomes.append(EventOutcome(parsed.event_id, finding=finding))
        return outcomes

    def _check_target(self, parsed: events.ParsedEvent) -> Finding:
        target = parsed.target
        try:
            if isinstance(target, PlanRef):
                return self.check_plan(target)
            return self.check_api(target, deleted=parsed.deleted)
        except TransientAzureError:
            raise
        except AzureError as exc:
            return rules.error_finding(
                target,
                permission=isinstance(exc, AzurePermissionError),
                message=str(exc),
            )

    def scan(
        self,
        subscription_id: str,
        resource_group: str | None = None,
        service: str | None = None,
        concurrency: int = 8,
    ) -> list[Finding]:
        """Every API of the subscription (or resource group, or service): constant requests per service."""
        plan_ref = PlanRef(subscription_id)
        try:
            read = defender.get_plan(self.clients.security(subscription_id), subscription_id)
            plan: PlanFacts | AzureError = read
            findings = [rules.evaluate_plan(plan_ref, read)]
        except AzureError as exc:
            plan = exc
            findings = [_error(plan_ref, exc)]
        try:
            services = self._services(subscription_id, resource_group, service)
        except AzureError as exc:
            return [*findings, _error(PlanRef(subscription_id), exc)]
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            for result in pool.map(lambda svc: self._scan_service(svc, plan), services):
                findings.extend(result)
        return findings

    def _services(self, subscription_id: str, resource_group: str | None, service: str | None) -> list[ServiceFacts]:
        client = self.clients.apim(subscription_id)
        with_gateways = self.settings.self_hosted is SelfHostedMode.SKIP
        if service and resource_group:
            svc = ServiceRef(subscription_id, resource_group, service)
            return [apim.get_service(client, svc, with_gateways=with_gateways)]
        found = apim.list_services(client, subscription_id, resource_group, with_gateways=with_gateways)
        return [s for s in found if service is None or s.ref.service.lower() == service.lower()]

    def _scan_service(self, service: ServiceFacts, plan: PlanFacts | AzureError) -> list[Finding]:
        svc = service.ref
        client = self.clients.apim(svc.subscription_id)
        try:
            apis = apim.list_apis(client, svc)
            if service.sku.lower() in _WORKSPACE_TIERS:
                apis += apim.list_workspace_apis(client, svc)
            collections = defender.list_collections(self.clients.security(svc.subscription_id), svc)
        except AzureError as exc:
            return [_error(svc, exc)]
        findings = [self._evaluate_listed(api, service, plan, collections) for api in apis]
        listed = {a.api_id.lower() for a in apis if a.workspace is None}
        for name, collection in sorted(collections.items()):
            if name not in listed:
                ref = ApiRef(
                    svc.subscription_id,
                    svc.resource_group,
                    svc.service,
                    collection.api_id,
                )
                findings.append(rules.orphan_collection(ref, collection))
        return findings

    def _evaluate_listed(
        self,
        api: ApiFacts,
        service: ServiceFacts,
        plan: PlanFacts | AzureError,
        collections: dict[str, CollectionFacts],
    ) -> Finding:
        svc = service.ref
        ref = ApiRef(
            svc.subscription_id,
            svc.resource_group,
            svc.service,
            api.api_id,
            api.workspace,
        )
        collection = None if api.workspace else collections.get(api.api_id.lower())
        facts = KnownFacts(ref, api, service, plan, collection)
        today = self._today()
        try:
            finding = rules.evaluate_api(facts, self.settings, today)
        except AzureError as exc:
            return _error(ref, exc)
        return self._remediator.remediate(finding, facts, today)


def _error(ref: ApiRef | ServiceRef | PlanRef, exc: AzureError) -> Finding:
    return rules.error_finding(ref, permission=isinstance(exc, AzurePermissionError), message=str(exc))
