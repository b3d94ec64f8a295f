"""Finds the estate to reconcile, with as few requests as possible, and cuts it into one unit of work per service.

Resource Graph answers for every subscription at once (services, and all apiCollections); where it is unavailable
(no access, a sovereign cloud without it) the same inventory comes from ARM list calls, one per subscription, and
each service lists its own collections later. Plans are read once per subscription. A ``ServiceWork`` is what one
queue message carries to the worker that reconciles one service.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from monitors import rules
from monitors.assessment import DefenderVerdict
from monitors.azure import apim, defender, graph
from monitors.azure.clients import ArmClients, arm_call
from monitors.errors import AzureError, CredentialError, EventError
from monitors.exposure import Posture
from monitors.model import CollectionFacts, Finding, PlanFacts, PlanRef, ServiceFacts, ServiceRef
from monitors.plans import PlanUsage

log = logging.getLogger(__name__)
SWEEP_MESSAGE = "sweep"
MAX_MESSAGE_CHARS = 48_000  # Storage queue messages hold 64 KiB; beyond this the worker lists collections itself


@dataclass(frozen=True)
class ServiceWork:
    """One APIM service to reconcile, with what the inventory already knows about it."""

    facts: ServiceFacts
    plan: PlanFacts | None = None
    collections: dict[str, CollectionFacts] | None = None  # None: list them per service
    assessments: dict[str, DefenderVerdict] | None = None  # Defender's verdict per API id; None: not read

    def to_message(self) -> str:
        """Keyed JSON (version 2): a field added later is read by name, and a reader of an older version ignores it."""
        svc = self.facts
        body: dict[str, object] = {
            "v": 2,
            "kind": SWEEP_MESSAGE,
            "subscription": svc.ref.subscription_id,
            "resource_group": svc.ref.resource_group,
            "service": svc.ref.service,
            "sku": svc.sku,
            "location": svc.location,
            "tags": svc.tags,
            "network": {"public": svc.public_network_access, "vnet": svc.virtual_network_type},
            "plan": None if self.plan is None else _plan_body(self.plan),
            "collections": None if self.collections is None else [_collection(c) for c in self.collections.values()],
            "assessments": None if self.assessments is None else _assessments_body(self.assessments),
        }
        text = json.dumps(body, separators=(",", ":"))
        if len(text) > MAX_MESSAGE_CHARS and self.assessments is not None:
            return ServiceWork(self.facts, self.plan, self.collections, None).to_message()  # Defender's view is extra
        if len(text) > MAX_MESSAGE_CHARS and self.collections is not None:
            return ServiceWork(self.facts, self.plan, None).to_message()
        return text

    @classmethod
    def from_message(cls, text: str) -> ServiceWork:
        """Reads version 2, and version 1 (positional arrays) still waiting in the queue after an upgrade; raises
        EventError for anything else."""
        try:
            body = json.loads(text)
            version = body["v"]
            if version not in (1, 2) or (version == 2 and body["kind"] != SWEEP_MESSAGE):
                raise ValueError(f"version {version!r} of kind {body.get('kind')!r}")
            ref = ServiceRef(str(body["subscription"]), str(body["resource_group"]), str(body["service"]))
            network = body.get("network") or {}
            service = ServiceFacts(
                ref,
                str(body["sku"]),
                str(body["location"]),
                dict(body.get("tags") or {}),
                public_network_access=_text(network.get("public")),
                virtual_network_type=_text(network.get("vnet")),
            )
            plan = _plan(ref.subscription_id, body.get("plan"))
            rows = body.get("collections")
            facts = None if rows is None else [_collection_facts(row) for row in rows]
            assessments = _assessments(body.get("assessments"))
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise EventError(f"sweep message is not a service work item ({type(exc).__name__}: {exc})") from None
        return cls(service, plan, None if facts is None else {c.api_id.lower(): c for c in facts}, assessments)


def _plan_body(plan: PlanFacts) -> dict[str, object]:
    return {"tier": plan.pricing_tier, "sub_plan": plan.sub_plan, "api_posture": plan.api_posture}


def _assessments_body(assessments: dict[str, DefenderVerdict]) -> dict[str, dict[str, str]]:
    return {api: verdict.to_dict() for api, verdict in assessments.items()}


def _assessments(value: object) -> dict[str, DefenderVerdict] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError(f"assessments {type(value).__name__}")
    verdicts = {str(api): DefenderVerdict.from_dict(row) for api, row in value.items() if isinstance(row, dict)}
    return {api: verdict for api, verdict in verdicts.items() if verdict is not None}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _collection(facts: CollectionFacts) -> dict[str, object]:
    row: dict[str, object] = {
        "api": facts.api_id,
        "id": facts.resource_id,
        "state": facts.provisioning_state,
        "name": facts.display_name,
    }
    return row | ({"posture": facts.posture.to_dict()} if facts.posture else {})


def _collection_facts(row: object) -> CollectionFacts:
    if isinstance(row, list):  # version 1: [api_id, resource_id, provisioning_state, display_name]
        api, resource, state, name = row
        return CollectionFacts(str(api), str(resource), state, name)
    if not isinstance(row, dict):
        raise TypeError(f"collection {type(row).__name__}")
    posture = row.get("posture")
    return CollectionFacts(
        str(row["api"]),
        str(row["id"]),
        row.get("state"),
        row.get("name"),
        Posture.from_dict(posture) if isinstance(posture, dict) else None,
    )


def _plan(subscription_id: str, value: object) -> PlanFacts | None:
    if not value:
        return None
    if isinstance(value, list):  # version 1: [pricing_tier, sub_plan]
        tier, sub_plan = value
        return PlanFacts(subscription_id, str(tier), sub_plan)
    if not isinstance(value, dict):
        raise TypeError(f"plan {type(value).__name__}")
    return PlanFacts(subscription_id, str(value["tier"]), value.get("sub_plan"), value.get("api_posture") is True)


@dataclass(frozen=True)
class UsageReader:
    """How the inventory sizes each subscription's plan: ``read(subscription, plan, services)`` returns its month of
    traffic priced on the sub-plans, or the ARM error that kept it from being read; ``alert_share`` is
    MONITOR_PLAN_ALERT_SHARE."""

    read: Callable[[str, PlanFacts, Sequence[ServiceFacts]], PlanUsage | AzureError]
    alert_share: float


@dataclass
class Inventory:
    """Everything a sweep needs before fanning out: the work, and findings about whole subscriptions."""

    work: list[ServiceWork] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    via_graph: bool = False


def list_subscriptions(clients: ArmClients) -> list[str]:
    """Every enabled subscription the identity can read."""
    with arm_call("list", "/subscriptions"):
        subs = list(clients.subscriptions().subscriptions.list())
    return sorted(str(s.subscription_id) for s in subs if str(getattr(s.state, "value", s.state)) == "Enabled")


def subscriptions_in_scope(clients: ArmClients, configured: Sequence[str]) -> list[str]:
    """MONITOR_SUBSCRIPTIONS when set, else every enabled subscription the identity can read."""
    return list(configured) or list_subscriptions(clients)


def take_inventory(
    clients: ArmClients,
    subscriptions: list[str],
    *,
    resource_group: str | None = None,
    service: str | None = None,
    use_graph: bool = True,
    usage: UsageReader | None = None,
) -> Inventory:
    """Services, collections and plans of the subscriptions, and with ``usage`` each plan's month of traffic (only
    when whole subscriptions are in scope: a scan of one service would understate it); errors become findings, never
    silence."""
    inventory = Inventory()
    with ThreadPoolExecutor(max_workers=1) as beside:  # Defender's verdicts page on while the rest is read
        pending = beside.submit(_verdicts, clients, subscriptions) if use_graph else None
        plans = _plans(clients, subscriptions, inventory)
        services, collections = _services(clients, subscriptions, resource_group, service, use_graph, inventory)
        whole = resource_group is None and service is None  # a plan bills the whole subscription's traffic
        _plan_findings(subscriptions, plans, services, usage if whole else None, inventory)
        verdicts = pending.result() if pending is not None and inventory.via_graph else None
    for svc in services:
        key = svc.ref.resource_id.lower()
        known = None if collections is None else collections.get(key, {})
        assessed = None if verdicts is None else verdicts.get(key, {})
        inventory.work.append(ServiceWork(svc, plans.get(svc.ref.subscription_id.lower()), known, assessed))
    return inventory


def _verdicts(clients: ArmClients, subscriptions: list[str]) -> dict[str, dict[str, DefenderVerdict]] | None:
    """Defender's recommendation for every API, in the same Graph pass; None (findings then carry no verdict) when
    the query fails, which never stops the sweep."""
    try:
        return graph.query_assessments(clients.graph(), subscriptions)
    except CredentialError:
        raise
    except AzureError as exc:
        log.warning("Defender's assessments could not be read from Resource Graph; findings carry no verdict: %s", exc)
        return None


def _plans(clients: ArmClients, subscriptions: list[str], inventory: Inventory) -> dict[str, PlanFacts]:
    """One pricing read per subscription, in parallel (each subscription has its own request budget)."""

    def read(sub: str) -> PlanFacts | AzureError:
        return defender.plan_or_error(clients.security(sub), sub)

    plans = {}
    with ThreadPoolExecutor(max_workers=8) as pool:
        for sub, plan in zip(subscriptions, pool.map(read, subscriptions), strict=True):
            if isinstance(plan, AzureError):
                inventory.findings.append(rules.azure_error_finding(PlanRef(sub), plan))
                continue
            plans[sub.lower()] = plan
    return plans


def _plan_findings(
    subscriptions: list[str],
    plans: dict[str, PlanFacts],
    services: list[ServiceFacts],
    usage: UsageReader | None,
    inventory: Inventory,
) -> None:
    """One finding per plan read, with its month of traffic when ``usage`` is given. A subscription whose traffic
    could not be read (no metrics access) gets an error finding, never a crash; if its plan is on, that error stands
    in for the plan finding, so the plan's last known status (perhaps "near its included calls") is kept rather than
    resolved by a plan finding that could not look."""
    for sub in subscriptions:
        plan = plans.get(sub.lower())
        if plan is None:
            continue
        traffic = usage.read(sub, plan, services) if usage is not None else None
        if isinstance(traffic, AzureError):
            inventory.findings.append(rules.azure_error_finding(PlanRef(sub), traffic))  # as check_plan reports it
            if plan.enabled:
                continue
            traffic = None
        share = usage.alert_share if usage is not None else 1.0
        inventory.findings.append(rules.evaluate_plan(PlanRef(sub), plan, traffic, share))


def _services(
    clients: ArmClients,
    subscriptions: list[str],
    resource_group: str | None,
    service: str | None,
    use_graph: bool,
    inventory: Inventory,
) -> tuple[list[ServiceFacts], dict[str, dict[str, CollectionFacts]] | None]:
    collections: dict[str, dict[str, CollectionFacts]] | None = None
    services: list[ServiceFacts] | None = None
    if use_graph:
        try:
            services = graph.query_services(clients.graph(), subscriptions)
            collections = graph.query_collections(clients.graph(), subscriptions)
            inventory.via_graph = True
        except CredentialError:
            raise
        except AzureError as exc:  # no access, not offered in this cloud, or down after retries
            log.warning("Resource Graph unavailable, listing through ARM instead: %s", exc)
            services, collections = None, None
    if services is None:
        services = []
        for sub in subscriptions:
            try:
                services += apim.list_services(clients.apim(sub), sub, resource_group)
            except CredentialError:
                raise
            except AzureError as exc:
                inventory.findings.append(rules.azure_error_finding(PlanRef(sub), exc))
    return [s for s in services if _matches(s.ref, resource_group, service)], collections


def _matches(ref: ServiceRef, resource_group: str | None, service: str | None) -> bool:
    return (resource_group is None or ref.resource_group.lower() == resource_group.lower()) and (
        service is None or ref.service.lower() == service.lower()
    )
