"""Evaluates APIs, plans and whole services: what the application service (``runtime``) asks of ARM and the rules.

One event: it becomes an ``ApiRef``; ``ArmFacts`` reads only what the rules ask for (a compliant API costs one ARM
request); the finding goes through remediation. One service (``reconcile``): list its APIs and its apiCollections (a
constant number of requests per service, never one per API), evaluate from the lists, offboard orphans. Which
services, in what order, and what becomes of the findings is the service's business, not the engine's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from monitors import events, rules, telemetry, usage
from monitors.assessment import DefenderVerdict
from monitors.azure import apim, defender
from monitors.azure.clients import ArmClients
from monitors.errors import ArmRequestError, AzureError, CredentialError, EventError, TransientAzureError
from monitors.facts import ArmFacts, FactCaches, KnownFacts, Owners
from monitors.inventory import ServiceWork, UsageReader
from monitors.model import (
    Action,
    ApiFacts,
    ApiRef,
    CollectionFacts,
    Finding,
    Kind,
    PlanFacts,
    PlanRef,
    Reason,
    SelfHostedMode,
    ServiceFacts,
    ServiceRef,
    Status,
    is_valid_segment,
)
from monitors.plans import PlanUsage
from monitors.remediation import Remediator
from monitors.settings import Settings
from monitors.state.contract import StateStore
from monitors.transitions import subject_key

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
    work: ServiceWork | None = None


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
        self._store = store
        self._subscriptions = frozenset(sub.lower() for sub in settings.subscriptions)
        self._usage_cache = usage.usage_cache()
        self.usage = UsageReader(self._read_usage, settings.plan_alert_share) if settings.plan_usage else None
        # Owners are looked up only where MONITOR_ROUTES routes by them: otherwise they would cost reads for nothing.
        self._owners = Owners(clients, settings.owner_tags, settings.cache_seconds, clock) if settings.routes else None

    def check_api(
        self, ref: ApiRef, *, deleted: bool = False, queue_onboarding: bool = False, approved_by: str | None = None
    ) -> Finding:
        """Evaluate and remediate one API (``approved_by``: onboard it whatever the mode, a person approved it).
        Raises AzureError when ARM cannot answer.

        With ``queue_onboarding`` an API to onboard comes back as ``onboard_queued`` instead: the caller hands it to
        the onboarding queue, so that the event path never waits for the onboarding LRO.
        """
        facts = ArmFacts(ref, self.clients, self._caches, with_gateways=self._with_gateways)
        today = self._today()
        evaluate = rules.evaluate_deleted_api if deleted else rules.evaluate_api
        with telemetry.span("rules"):  # the facts are read as the rules ask, so their spans are this one's children
            finding = evaluate(facts, self.settings, today)
        if queue_onboarding and self._remediator.wants_onboarding(finding):
            return rules.with_action(finding, Action.ONBOARD_QUEUED, f"{finding.detail} Onboarding is queued.")
        with telemetry.span("remediation"):
            finding = self._remediator.remediate(finding, facts, today, approved_by=approved_by)
        return self._owned([finding], ref.service_ref, lambda: facts.service().tags)[0]

    def assess_api(self, ref: ApiRef) -> Finding:
        """The API's finding read fresh from ARM, service tags included, with no write whatever the onboarding mode:
        what an approver's decision checks before it acts and reads after (with its owner, so that the decision is
        announced on the owner's route). The fresh service facts replace the cached ones, so that this process's next
        event sees a tag the decision just wrote."""
        facts = ArmFacts(ref, self.clients, FactCaches(0.0), with_gateways=self._with_gateways)
        finding = rules.evaluate_api(facts, self.settings, self._today())
        with contextlib.suppress(AzureError):
            self._caches.services.put(ref.service_ref.resource_id.lower(), facts.service())
        return self._owned([finding], ref.service_ref, lambda: facts.service().tags)[0]

    @property
    def _with_gateways(self) -> bool:
        """Service facts include which APIs self-hosted gateways serve only when those APIs are skipped."""
        return self.settings.self_hosted is SelfHostedMode.SKIP

    def check_plan(self, ref: PlanRef) -> Finding:
        """Evaluate the plan of one subscription, always reading it fresh (a plan write just happened), with its month
        of traffic as the sweep reads it, so the two never disagree on whether it nears its included calls. A plan
        that is on but whose traffic cannot be read is an error finding (the last known status stays)."""
        sub = ref.subscription_id
        plan = defender.get_plan(self.clients.security(sub), sub)
        if self.usage is None or not plan.enabled:
            return rules.evaluate_plan(ref, plan)
        traffic = self.usage.read(sub, plan, apim.list_services(self.clients.apim(sub), sub, None))
        if isinstance(traffic, AzureError):
            return rules.azure_error_finding(ref, traffic)
        return rules.evaluate_plan(ref, plan, traffic, self.usage.alert_share)

    def _read_usage(
        self, subscription_id: str, plan: PlanFacts, services: Sequence[ServiceFacts]
    ) -> PlanUsage | AzureError:
        now = dt.datetime.now(dt.UTC)
        plans = self.settings.plan_table
        return usage.subscription_usage(self.clients, subscription_id, services, plan, plans, self._usage_cache, now)

    def handle_event(self, event: Mapping[str, object], *, queue_onboarding: bool = False) -> EventOutcome:
        """The Event Grid function's whole evaluation of one event: ``parse`` then ``evaluate``."""
        parsed = self.parse(event)
        if isinstance(parsed, EventOutcome):
            return parsed
        return self.evaluate(parsed, queue_onboarding=queue_onboarding)

    def parse(self, event: object) -> events.ParsedEvent | EventOutcome:
        """An event to act on, or the outcome of one that is malformed, irrelevant or about a subscription outside
        MONITOR_SUBSCRIPTIONS: acknowledged with a reason."""
        with telemetry.span("parse"):
            return _parse(event, self._subscriptions)

    def evaluate(self, parsed: events.ParsedEvent, *, queue_onboarding: bool = False) -> EventOutcome:
        """A finding for the API or plan an event names, or, for a changed service, its facts read fresh (tags may
        have changed) as work to reconcile like a sweep would.

        ARM permission and request errors become an error finding (retrying would not help); raises
        TransientAzureError so that the caller retries or Event Grid redelivers.
        """
        target = parsed.target
        try:
            if isinstance(target, ServiceRef):
                return EventOutcome(parsed.event_id, work=ServiceWork(self.refresh_service(target)))
            if isinstance(target, PlanRef):
                return EventOutcome(parsed.event_id, finding=self.check_plan(target))
            finding = self.check_api(target, deleted=parsed.deleted, queue_onboarding=queue_onboarding)
        except TransientAzureError:
            raise
        except AzureError as exc:
            return EventOutcome(parsed.event_id, finding=rules.azure_error_finding(target, exc))
        return EventOutcome(parsed.event_id, finding=finding)

    def refresh_service(self, svc: ServiceRef) -> ServiceFacts:
        """Read a service's facts from ARM now and replace what the cache held."""
        service = apim.get_service(self.clients.apim(svc.subscription_id), svc, with_gateways=self._with_gateways)
        self._caches.services.put(svc.resource_id.lower(), service)
        return service

    def reconcile(self, work: ServiceWork, *, raise_transient: bool = False) -> list[Finding]:
        """One service: list its current APIs (and its collections unless known), diff, remediate.

        ARM failures become error findings, or with ``raise_transient`` a TransientAzureError propagates (a retry).
        """
        service, svc = work.facts, work.facts.ref
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
        return self._owned(self._with_verdicts(findings, work.assessments or {}, svc), svc, lambda: service.tags)

    def _owned(
        self, findings: list[Finding], svc: ServiceRef, service_tags: Callable[[], Mapping[str, str]]
    ) -> list[Finding]:
        """The findings with their service's owner (``monitors.routing``), when MONITOR_ROUTES is set. Error findings
        keep none: what the monitor could not read is the platform's to fix, so they take the default route."""
        if self._owners is None or all(f.status is Status.ERROR for f in findings):
            return findings
        try:
            tags: Mapping[str, str] | None = service_tags()
        except CredentialError:
            raise
        except AzureError:
            tags = None  # the resource group's or subscription's owner, if any, still answers
        owner = self._owners.owner_of(svc, tags)
        return [f if f.status is Status.ERROR else replace(f, owner=owner) for f in findings]

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

    def _with_verdicts(
        self, findings: list[Finding], verdicts: Mapping[str, DefenderVerdict], svc: ServiceRef
    ) -> list[Finding]:
        """Each finding of the service with Defender's verdict on its API, and one finding per verdict on an API that
        the service no longer has (unless its orphan collection already has a finding, which then carries it)."""
        out, seen = [], set()
        now = dt.datetime.now(dt.UTC)
        for finding in findings:
            key = finding.api.lower()
            # Defender's rows name service APIs only: a workspace API of the same name is another API.
            own = finding.kind is not Kind.PLAN and finding.api and "/workspaces/" not in finding.resource_id.lower()
            verdict = verdicts.get(key) if own else None
            if verdict is not None:
                onboarded_at = self._seen_onboarded(finding) if verdict.unhealthy else None
                finding = rules.with_verdict(finding, verdict, onboarded_at=onboarded_at, now=now)
            out.append(finding)
            if own:
                seen.add(key)
        for api, verdict in sorted(verdicts.items()):
            if api not in seen and is_valid_segment(api):
                ref = ApiRef(svc.subscription_id, svc.resource_group, svc.service, api)
                out.append(rules.assessment_without_api(ref, verdict))
        return out

    def _seen_onboarded(self, finding: Finding) -> dt.datetime | None:
        """When the monitor first recorded the API as onboarded (its status record), for an onboarded API Defender
        still calls Unhealthy; None without a store or such a record. One store read, for those APIs alone."""
        if finding.reason is not Reason.ONBOARDED or self._store is None:
            return None
        record = self._store.get_status(subject_key(finding))
        return record.changed_at if record is not None and record.status is Status.COMPLIANT else None
