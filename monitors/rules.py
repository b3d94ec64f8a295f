"""The Defender for APIs rules: pure functions from facts, settings and ``now`` to a ``Finding``.

``API_RULES`` lists the per-API rules in evaluation order; the first rule that answers wins. Rules ask a ``Facts``
source for what they need, in that order, so a compliant API costs only its collection lookup and each later rule
pays only for the facts it reads. The order is part of the contract and is tested.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from monitors.assessment import SETTLE, DefenderVerdict, Disagreement
from monitors.errors import AzureError, AzurePermissionError, CredentialError
from monitors.exposure import Exposure
from monitors.model import (
    Action,
    ApiFacts,
    ApiRef,
    CollectionFacts,
    Coverage,
    Exemption,
    Finding,
    Kind,
    PlanFacts,
    PlanRef,
    Reason,
    SelfHostedMode,
    ServiceFacts,
    ServiceRef,
    Status,
    normalize_region,
)
from monitors.plans import PlanUsage, crosses_threshold
from monitors.severity import graded

if TYPE_CHECKING:
    from monitors.settings import Settings

REST_TYPES = frozenset({"http"})


class Facts(Protocol):
    """What the rules may ask about one API; each call may cost an ARM request, so rules ask only when needed."""

    @property
    def ref(self) -> ApiRef: ...
    def collection(self) -> CollectionFacts | None: ...
    def api(self) -> ApiFacts | None: ...
    def service(self) -> ServiceFacts: ...
    def plan(self) -> PlanFacts: ...


Rule = Callable[[Facts, "Settings", dt.date], "Finding | None"]


def _about_api(ref: ApiRef, kind: Kind, status: Status, reason: Reason, detail: str) -> Finding:
    """A finding about the API ``ref`` names, its id and names filled in; the caller adds the rest and grades it."""
    return Finding(
        kind=kind,
        resource_id=ref.resource_id,
        subscription_id=ref.subscription_id,
        resource_group=ref.resource_group,
        service=ref.service,
        api=ref.api_id,
        display_name="",
        status=status,
        reason=reason,
        detail=detail,
    )


def _api_finding(facts: Facts, status: Status, reason: Reason, detail: str) -> Finding:
    api = facts.api() if reason is not Reason.ONBOARDED else None
    collection = facts.collection()
    finding = _about_api(facts.ref, Kind.API, status, reason, detail)
    return graded(
        replace(
            finding,
            display_name=(api.display_name if api else None) or (collection.display_name if collection else None) or "",
            collection_id=collection.resource_id if collection else None,
            posture=collection.posture if collection else None,
            exposure=_exposure(facts, api) if status is Status.NONCOMPLIANT else None,
            coverage=_coverage(facts, status, reason, collection),
        )
    )


def _coverage(facts: Facts, status: Status, reason: Reason, collection: CollectionFacts | None) -> Coverage | None:
    """What protects the API: its own collection under the Defender for APIs plan (threat protection), else Defender
    CSPM's API posture extension (posture only), else nothing. Neither covers an API that is not applicable (workspace,
    non-REST, unsupported tier or region, self-hosted gateway). None when the plan could not be read or the API is gone.
    """
    if reason is Reason.API_NOT_FOUND:
        return None
    if status is Status.NOT_APPLICABLE:
        return Coverage.NOT_COVERED
    plan = _plan_or_none(facts)
    if plan is None:
        return None
    if collection is not None and collection.succeeded and plan.enabled:
        return Coverage.THREAT_PROTECTED
    return Coverage.POSTURE_ONLY if plan.api_posture else Coverage.NOT_COVERED


def _plan_or_none(facts: Facts) -> PlanFacts | None:
    """The plan, or None when ARM could not say (a credential failure is a platform failure, raised)."""
    try:
        return facts.plan()
    except CredentialError:
        raise
    except AzureError:
        return None


def _exposure(facts: Facts, api: ApiFacts | None) -> Exposure | None:
    """APIM's view of an unprotected API. Only the noncompliant rules ask, after the service rules have read the
    service, so it costs no request."""
    return None if api is None else facts.service().exposure_of(api)


def _names(ref: ApiRef) -> str:
    return f"API '{ref.api_id}' of APIM service '{ref.service}'"


def onboarded(facts: Facts, settings: Settings, today: dt.date) -> Finding | None:
    collection = facts.collection()
    if collection is None or not collection.succeeded:
        return None
    detail = f"{_names(facts.ref)} is onboarded to Defender for APIs."
    return _api_finding(facts, Status.COMPLIANT, Reason.ONBOARDED, detail)


def api_not_found(facts: Facts, settings: Settings, today: dt.date) -> Finding | None:
    if facts.api() is not None:
        return None
    detail = f"{_names(facts.ref)} no longer exists; it was deleted before it could be checked."
    return _api_finding(facts, Status.NOT_APPLICABLE, Reason.API_NOT_FOUND, detail)


def workspace_api(facts: Facts, settings: Settings, today: dt.date) -> Finding | None:
    if facts.ref.workspace is None:
        return None
    detail = f"{_names(facts.ref)} lives in workspace '{facts.ref.workspace}', which Defender for APIs cannot onboard."
    return _api_finding(facts, Status.NOT_APPLICABLE, Reason.WORKSPACE_API, detail)


def non_rest_api(facts: Facts, settings: Settings, today: dt.date) -> Finding | None:
    api = facts.api()
    if api is None or api.api_type.lower() in REST_TYPES:
        return None
    detail = f"{_names(facts.ref)} is a {api.api_type} API; Defender for APIs only protects REST APIs."
    return _api_finding(facts, Status.NOT_APPLICABLE, Reason.NON_REST_API, detail)


def exempt(facts: Facts, settings: Settings, today: dt.date) -> Finding | None:
    tags = {k.lower(): v for k, v in facts.service().tags.items()}
    value = tags.get(settings.exempt_tag.lower())
    if value is None:
        return None
    exemption = parse_exemption(value)
    if exemption.expires is not None and exemption.expires < today:
        return None
    until = f" until {exemption.expires.isoformat()}" if exemption.expires else ""
    detail = f"{_names(facts.ref)} is exempt{until} by tag '{settings.exempt_tag}': {exemption.reason}."
    return _api_finding(facts, Status.EXEMPT, Reason.EXEMPT, detail)


def unsupported_tier(facts: Facts, settings: Settings, today: dt.date) -> Finding | None:
    sku = facts.service().sku
    if sku.lower() in settings.supported_tiers:
        return None
    detail = f"{_names(facts.ref)} runs on the {sku} tier, which Defender for APIs does not support."
    return _api_finding(facts, Status.NOT_APPLICABLE, Reason.UNSUPPORTED_TIER, detail)


def unsupported_region(facts: Facts, settings: Settings, today: dt.date) -> Finding | None:
    location = facts.service().location
    if normalize_region(location) in settings.supported_regions:
        return None
    detail = f"{_names(facts.ref)} is in {location}, a region where Defender for APIs is not offered."
    return _api_finding(facts, Status.NOT_APPLICABLE, Reason.UNSUPPORTED_REGION, detail)


def self_hosted_gateway(facts: Facts, settings: Settings, today: dt.date) -> Finding | None:
    if settings.self_hosted is not SelfHostedMode.SKIP:
        return None
    assigned = facts.service().self_hosted_api_ids or frozenset()
    if facts.ref.api_id.lower() not in assigned:
        return None
    detail = f"{_names(facts.ref)} is served by a self-hosted gateway, which Defender for APIs does not cover."
    return _api_finding(facts, Status.NOT_APPLICABLE, Reason.SELF_HOSTED_GATEWAY, detail)


def plan_not_enabled(facts: Facts, settings: Settings, today: dt.date) -> Finding | None:
    plan = facts.plan()
    if plan.enabled:
        return None
    detail = (
        f"{_names(facts.ref)} is not onboarded and the Defender for APIs plan of subscription "
        f"{plan.subscription_id} is {plan.pricing_tier}, so it cannot be onboarded yet."
    )
    return _api_finding(facts, Status.NONCOMPLIANT, Reason.PLAN_NOT_ENABLED, detail)


def not_onboarded(facts: Facts, settings: Settings, today: dt.date) -> Finding | None:
    collection = facts.collection()
    state = f" (its collection is {collection.provisioning_state})" if collection else ""
    detail = f"{_names(facts.ref)} is not onboarded to Defender for APIs{state}."
    return _api_finding(facts, Status.NONCOMPLIANT, Reason.NOT_ONBOARDED, detail)


API_RULES: tuple[Rule, ...] = (
    onboarded,
    api_not_found,
    workspace_api,
    non_rest_api,
    exempt,
    unsupported_tier,
    unsupported_region,
    self_hosted_gateway,
    plan_not_enabled,
    not_onboarded,
)


def evaluate_api(facts: Facts, settings: Settings, today: dt.date) -> Finding:
    """Run the API rules in order and return the first verdict; ``not_onboarded`` always answers."""
    for rule in API_RULES:
        finding = rule(facts, settings, today)
        if finding is not None:
            return finding
    raise AssertionError("not_onboarded answers for every API")


def evaluate_deleted_api(facts: Facts, settings: Settings, today: dt.date) -> Finding:
    """After a delete event: a collection left behind by a deleted API is an orphan; otherwise evaluate as usual."""
    collection = facts.collection()
    if collection is None or facts.api() is not None:
        return evaluate_api(facts, settings, today)
    return orphan_collection(facts.ref, collection)


def orphan_collection(ref: ApiRef, collection: CollectionFacts) -> Finding:
    """A Defender apiCollection whose API no longer exists."""
    detail = f"Defender apiCollection '{ref.api_id}' of APIM service '{ref.service}' has no API any more."
    finding = _about_api(ref, Kind.ORPHAN_COLLECTION, Status.NONCOMPLIANT, Reason.COLLECTION_WITHOUT_API, detail)
    return graded(replace(finding, display_name=collection.display_name or "", collection_id=collection.resource_id))


def with_verdict(
    finding: Finding, verdict: DefenderVerdict, *, onboarded_at: dt.datetime | None = None, now: dt.datetime
) -> Finding:
    """The finding with Defender's own verdict on the API, and where the two disagree: onboarded but still Unhealthy,
    or Healthy while no collection exists. Defender takes up to about 50 minutes to see an onboarding, so an API
    onboarded in this very run, or first seen onboarded (``onboarded_at``, from the state store) less than that ago,
    is not called a disagreement; past that, the detail says how long it has been."""
    disagreement, note = None, ""
    if finding.reason is Reason.ONBOARDED and verdict.unhealthy and finding.action is not Action.ONBOARDED:
        age = now - onboarded_at if onboarded_at is not None else None
        if age is not None and age < SETTLE:
            note = f" Defender still lists it as Unhealthy: onboarded {_duration(age)} ago, within its ~50 minutes."
        else:
            disagreement = Disagreement.ONBOARDED_BUT_UNHEALTHY
            seen = f"; first seen onboarded {_duration(age)} ago" if age is not None else ""
            since = f" since {verdict.changed_at:%Y-%m-%d %H:%M} UTC" if verdict.changed_at else ""
            note = (
                f" Defender's recommendation still lists it as Unhealthy{since}{seen}; Defender updates within ~50 min."
            )
    elif verdict.healthy and finding.reason in (Reason.NOT_ONBOARDED, Reason.PLAN_NOT_ENABLED):
        disagreement = Disagreement.HEALTHY_WITHOUT_COLLECTION
        note = " Defender's recommendation lists it as Healthy, but ARM has no provisioned apiCollection for it."
    return replace(finding, defender=verdict, disagreement=disagreement, detail=finding.detail + note)


def _duration(age: dt.timedelta) -> str:
    """ "12 minutes", "3 hours", "2 days": how long, to the unit a person would say."""
    minutes = max(0, int(age.total_seconds() // 60))
    if minutes < 120:
        return f"{minutes} minutes"
    hours = minutes // 60
    return f"{hours} hours" if hours < 48 else f"{hours // 24} days"


def assessment_without_api(ref: ApiRef, verdict: DefenderVerdict) -> Finding:
    """Defender's recommendation lists an API that API Management no longer has: Defender's inventory is stale."""
    detail = (
        f"Defender's recommendation lists {_names(ref)} as {verdict.status}, but API Management no longer has it; "
        "Defender's inventory has not caught up."
    )
    finding = _about_api(ref, Kind.API, Status.NOT_APPLICABLE, Reason.ASSESSMENT_WITHOUT_API, detail)
    return graded(replace(finding, defender=verdict))


def evaluate_plan(ref: PlanRef, plan: PlanFacts, usage: PlanUsage | None = None, alert_share: float = 1.0) -> Finding:
    """The subscription-level verdict on the Defender for APIs plan, with its month of traffic when it was read: a
    plan that is on turns noncompliant (``plan_calls_near_included``) once the traffic reaches ``alert_share`` of its
    included calls, so people hear about it once, before the overage bills."""
    on = plan.enabled
    sub_plan = f" ({plan.sub_plan})" if plan.sub_plan else ""
    detail = f"The Defender for APIs plan of subscription {ref.subscription_id} is {plan.pricing_tier}{sub_plan}."
    near = on and usage is not None and crosses_threshold(usage, alert_share)
    if usage is not None:
        detail += " " + usage_sentence(usage)
    return graded(
        Finding(
            kind=Kind.PLAN,
            resource_id=ref.resource_id,
            subscription_id=ref.subscription_id,
            resource_group="",
            service="",
            api="",
            display_name="Defender for APIs plan",
            status=Status.COMPLIANT if on and not near else Status.NONCOMPLIANT,
            reason=Reason.PLAN_CALLS_NEAR_INCLUDED if near else Reason.PLAN_ENABLED if on else Reason.PLAN_NOT_ENABLED,
            detail=detail,
            plan_usage=usage,
        )
    )


def usage_sentence(usage: PlanUsage) -> str:
    """One sentence on a month of traffic: the calls, the share of the sub-plan's included calls, the forecast overage
    and the plan that fits."""
    calls = f"{usage.monthly_calls:,} API calls in the last 30 days"
    if usage.included_calls is None or usage.share_of_included is None:
        return f"{calls}; {usage.fitting_plan} would fit (${usage.fitting_total_cost:,.2f} a month)."
    share = f"{usage.share_of_included:.0%} of {usage.sub_plan}'s {usage.included_calls:,} included"
    overage = f"forecast overage ${usage.forecast_overage_cost or 0:,.2f}"
    fits = "it fits" if usage.fits else f"{usage.fitting_plan} would fit (saving ${usage.monthly_saving or 0:,.2f})"
    return f"{calls}, {share}; {overage}; {fits}."


def error_finding(ref: ApiRef | ServiceRef | PlanRef, *, permission: bool, message: str) -> Finding:
    """A finding for something we could not check (an API, a whole service or a plan): never counts as a pass."""
    return graded(
        Finding(
            kind=Kind.PLAN if isinstance(ref, PlanRef) else Kind.API,
            resource_id=ref.resource_id,
            subscription_id=ref.subscription_id,
            resource_group=getattr(ref, "resource_group", ""),
            service=getattr(ref, "service", ""),
            api=getattr(ref, "api_id", ""),
            display_name="",
            status=Status.ERROR,
            reason=Reason.PERMISSION_DENIED if permission else Reason.ARM_ERROR,
            detail=message,
        )
    )


def azure_error_finding(ref: ApiRef | ServiceRef | PlanRef, exc: AzureError) -> Finding:
    """The error finding for an ARM failure: permission_denied for 401/403, arm_error otherwise."""
    return error_finding(ref, permission=isinstance(exc, AzurePermissionError), message=str(exc))


def with_action(finding: Finding, action: Action, detail: str, *, status: Status | None = None) -> Finding:
    """The finding after remediation: same subject, the action taken and what it means."""
    return graded(replace(finding, action=action, detail=detail, status=status or finding.status))


def parse_exemption(value: str) -> Exemption:
    """Read an exemption tag value: free text, optionally with ``expires=YYYY-MM-DD`` among ';'-separated parts.

    An unreadable date yields an exemption that expired long ago, so a typo never silently exempts forever.
    """
    reason_parts: list[str] = []
    expires: dt.date | None = None
    for part in (p.strip() for p in value.split(";")):
        key, _, rest = part.partition("=")
        if key.strip().lower() == "expires":
            try:
                expires = dt.date.fromisoformat(rest.strip())
            except ValueError:
                expires = dt.date.min
        elif part:
            reason_parts.append(part)
    return Exemption(reason="; ".join(reason_parts) or "no reason given", expires=expires)
