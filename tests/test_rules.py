"""The pure rules, on plain facts: every reason code, the evaluation order, exemptions and their expiry."""

from __future__ import annotations

import datetime as dt

import pytest

from monitors import rules
from monitors.facts import KnownFacts
from monitors.model import (
    Action,
    ApiFacts,
    ApiRef,
    CollectionFacts,
    Coverage,
    Kind,
    PlanFacts,
    PlanRef,
    Reason,
    SelfHostedMode,
    ServiceFacts,
    ServiceRef,
    Status,
)
from monitors.settings import load_settings

TODAY = dt.date(2026, 11, 27)
SUB = "00000000-0000-0000-0000-000000000001"
REF = ApiRef(SUB, "rg-apis", "apim-prod", "orders")
SETTINGS = load_settings({})


def facts(
    *,
    collection: str | None = None,
    api_type: str = "http",
    api_exists: bool = True,
    sku: str = "Premium",
    location: str = "East US",
    tags: dict[str, str] | None = None,
    plan: str = "Standard",
    self_hosted: frozenset[str] = frozenset(),
    ref: ApiRef = REF,
) -> KnownFacts:
    service = ServiceFacts(ref.service_ref, sku, location, tags or {}, self_hosted)
    api = ApiFacts(ref.api_id, "Orders", api_type, True, ref.workspace) if api_exists else None
    coll = CollectionFacts(ref.api_id, ref.collection_id, collection, "Orders") if collection else None
    return KnownFacts(ref, api, service, PlanFacts(SUB, plan, "P1" if plan == "Standard" else None), coll)


def verdict(f: KnownFacts, **overrides: str) -> tuple[Status, Reason]:
    finding = rules.evaluate_api(f, load_settings(overrides) if overrides else SETTINGS, TODAY)
    return finding.status, finding.reason


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param(facts(collection="Succeeded"), (Status.COMPLIANT, Reason.ONBOARDED), id="onboarded"),
        pytest.param(facts(), (Status.NONCOMPLIANT, Reason.NOT_ONBOARDED), id="not-onboarded"),
        pytest.param(facts(collection="Failed"), (Status.NONCOMPLIANT, Reason.NOT_ONBOARDED), id="failed-collection"),
        pytest.param(facts(plan="Free"), (Status.NONCOMPLIANT, Reason.PLAN_NOT_ENABLED), id="plan-off"),
        pytest.param(facts(api_type="graphql"), (Status.NOT_APPLICABLE, Reason.NON_REST_API), id="graphql"),
        pytest.param(facts(api_type="soap"), (Status.NOT_APPLICABLE, Reason.NON_REST_API), id="soap"),
        pytest.param(facts(api_type="websocket"), (Status.NOT_APPLICABLE, Reason.NON_REST_API), id="websocket"),
        pytest.param(facts(api_exists=False), (Status.NOT_APPLICABLE, Reason.API_NOT_FOUND), id="deleted"),
        pytest.param(facts(sku="Consumption"), (Status.NOT_APPLICABLE, Reason.UNSUPPORTED_TIER), id="consumption"),
        pytest.param(facts(sku="StandardV2"), (Status.NOT_APPLICABLE, Reason.UNSUPPORTED_TIER), id="v2-tier"),
        pytest.param(facts(location="Qatar Central"), (Status.NOT_APPLICABLE, Reason.UNSUPPORTED_REGION), id="region"),
        pytest.param(
            facts(ref=ApiRef(SUB, "rg-apis", "apim-prod", "inventory", "team-a")),
            (Status.NOT_APPLICABLE, Reason.WORKSPACE_API),
            id="workspace",
        ),
        pytest.param(
            facts(tags={"defender-apis-exempt": "legacy partner API; expires=2027-01-31"}),
            (Status.EXEMPT, Reason.EXEMPT),
            id="exempt",
        ),
    ],
)
def test_each_reason_code_is_reached(given: KnownFacts, expected: tuple[Status, Reason]) -> None:
    assert verdict(given) == expected


def test_region_display_and_code_forms_are_the_same_region() -> None:
    assert verdict(facts(location="eastus2")) == (Status.NONCOMPLIANT, Reason.NOT_ONBOARDED)


def test_self_hosted_gateway_api_is_skipped_when_configured() -> None:
    given = facts(self_hosted=frozenset({"orders"}))
    assert verdict(given, MONITOR_SELF_HOSTED="skip") == (Status.NOT_APPLICABLE, Reason.SELF_HOSTED_GATEWAY)


def test_self_hosted_gateway_api_is_checked_by_default() -> None:
    assert verdict(facts(self_hosted=frozenset({"orders"}))) == (Status.NONCOMPLIANT, Reason.NOT_ONBOARDED)


def test_expired_exemption_no_longer_exempts() -> None:
    given = facts(tags={"defender-apis-exempt": "expires=2026-11-26; migration"})
    assert verdict(given) == (Status.NONCOMPLIANT, Reason.NOT_ONBOARDED)


def test_exemption_valid_through_its_expiry_day() -> None:
    given = facts(tags={"Defender-APIs-Exempt": "expires=2026-11-27; migration"})
    assert verdict(given) == (Status.EXEMPT, Reason.EXEMPT)


def test_unreadable_exemption_date_does_not_exempt() -> None:
    given = facts(tags={"defender-apis-exempt": "expires=soon; trust me"})
    assert verdict(given) == (Status.NONCOMPLIANT, Reason.NOT_ONBOARDED)


def test_exempt_tag_name_is_configurable() -> None:
    given = facts(tags={"sec-exempt": "pen test"})
    assert verdict(given, MONITOR_EXEMPT_TAG="sec-exempt") == (Status.EXEMPT, Reason.EXEMPT)


def test_supported_tiers_are_configurable() -> None:
    given = facts(sku="StandardV2")
    assert verdict(given, MONITOR_SUPPORTED_TIERS="StandardV2") == (Status.NONCOMPLIANT, Reason.NOT_ONBOARDED)


def test_rule_order_is_the_contract() -> None:
    assert [rule.__name__ for rule in rules.API_RULES] == [
        "onboarded",
        "api_not_found",
        "workspace_api",
        "non_rest_api",
        "exempt",
        "unsupported_tier",
        "unsupported_region",
        "self_hosted_gateway",
        "plan_not_enabled",
        "not_onboarded",
    ]


def test_not_applicable_wins_over_plan_off() -> None:
    assert verdict(facts(sku="Consumption", plan="Free")) == (Status.NOT_APPLICABLE, Reason.UNSUPPORTED_TIER)


def test_onboarded_api_needs_no_other_fact_than_the_plan_for_its_coverage() -> None:
    class OnlyCollection:
        ref = REF

        def collection(self) -> CollectionFacts:
            return CollectionFacts("orders", REF.collection_id, "Succeeded", "Orders")

        def api(self) -> None:
            raise AssertionError("api facts were read")

        def plan(self) -> PlanFacts:
            return PlanFacts(REF.subscription_id, "Standard", "P1")

        service = api

    finding = rules.evaluate_api(OnlyCollection(), SETTINGS, TODAY)  # type: ignore[arg-type]
    assert (finding.reason, finding.collection_id, finding.coverage) == (
        Reason.ONBOARDED,
        REF.collection_id,
        Coverage.THREAT_PROTECTED,
    )


def test_detail_names_the_api_and_the_service() -> None:
    finding = rules.evaluate_api(facts(), SETTINGS, TODAY)
    assert "'orders'" in finding.detail and "'apim-prod'" in finding.detail


def test_collection_left_by_deleted_api_is_an_orphan() -> None:
    finding = rules.evaluate_deleted_api(facts(collection="Succeeded", api_exists=False), SETTINGS, TODAY)
    assert (finding.kind, finding.status, finding.reason) == (
        Kind.ORPHAN_COLLECTION,
        Status.NONCOMPLIANT,
        Reason.COLLECTION_WITHOUT_API,
    )


def test_deleted_api_without_collection_is_not_found() -> None:
    finding = rules.evaluate_deleted_api(facts(api_exists=False), SETTINGS, TODAY)
    assert finding.reason is Reason.API_NOT_FOUND


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        pytest.param("Standard", (Status.COMPLIANT, Reason.PLAN_ENABLED), id="standard"),
        pytest.param("Free", (Status.NONCOMPLIANT, Reason.PLAN_NOT_ENABLED), id="free"),
    ],
)
def test_plan_verdict(tier: str, expected: tuple[Status, Reason]) -> None:
    finding = rules.evaluate_plan(PlanRef(SUB), PlanFacts(SUB, tier))
    assert (finding.kind, finding.status, finding.reason) == (Kind.PLAN, *expected)


def test_permission_error_is_an_error_finding_not_a_pass() -> None:
    finding = rules.error_finding(REF, permission=True, message="HTTP 403 AuthorizationFailed")
    assert (finding.status, finding.reason, finding.action) == (Status.ERROR, Reason.PERMISSION_DENIED, Action.NONE)


def test_service_error_names_the_service() -> None:
    finding = rules.error_finding(ServiceRef(SUB, "rg", "apim-x"), permission=False, message="HTTP 500")
    assert (finding.resource_id.endswith("/service/apim-x"), finding.reason) == (True, Reason.ARM_ERROR)


def test_self_hosted_mode_default_is_check() -> None:
    assert SETTINGS.self_hosted is SelfHostedMode.CHECK
