"""The engine over real SDK clients and HTTP against the local ARM emulator: verdicts, request budget, errors, scans."""

from __future__ import annotations

import pytest

from monitors.errors import TransientAzureError
from monitors.model import ApiRef, Kind, PlanRef, Reason, Severity, Status
from tests.conftest import PROD, SUB_DEV, scan

REF = ApiRef(PROD, "rg-apis", "apim-prod", "orders")


def api(name: str, service: str = "apim-prod", workspace: str | None = None, sub: str = PROD) -> ApiRef:
    rg = "rg-dev" if sub == SUB_DEV else "rg-apis"
    return ApiRef(sub, rg, service, name, workspace)


def test_compliant_api_costs_one_arm_request_and_its_plan_one_per_subscription(arm, make_engine) -> None:
    """The collection answers the verdict; the plan (read once per subscription and cached) says whether the API is
    threat-protected or posture-only."""
    engine = make_engine()
    first = engine.check_api(api("echo-api"))
    after_first = arm.request_count
    second = engine.check_api(api("echo-api"))  # a later event: the plan is cached, the collection read again
    assert (first.reason, second.reason, after_first, arm.request_count - after_first) == (
        Reason.ONBOARDED,
        Reason.ONBOARDED,
        2,
        1,
    )


def test_noncompliant_api_costs_at_most_four_arm_requests(arm, make_engine) -> None:
    finding = make_engine().check_api(REF)
    assert (finding.reason, arm.request_count) == (Reason.NOT_ONBOARDED, 4)


def test_warm_instance_reuses_service_and_plan_facts(arm, make_engine) -> None:
    engine = make_engine()
    engine.check_api(REF)
    arm.reset_requests()
    engine.check_api(api("billing"))
    assert arm.request_count == 2


def test_cached_facts_expire(arm, make_engine) -> None:
    engine = make_engine(cache_seconds="0")
    engine.check_api(REF)
    arm.reset_requests()
    engine.check_api(api("billing"))
    assert arm.request_count == 4


@pytest.mark.parametrize(
    ("ref", "status", "reason"),
    [
        pytest.param(api("graph"), Status.NOT_APPLICABLE, Reason.NON_REST_API, id="graphql"),
        pytest.param(api("stream"), Status.NOT_APPLICABLE, Reason.NON_REST_API, id="websocket"),
        pytest.param(api("legacy"), Status.NOT_APPLICABLE, Reason.NON_REST_API, id="soap"),
        pytest.param(api("ws-api", workspace="ws1"), Status.NOT_APPLICABLE, Reason.WORKSPACE_API, id="workspace"),
        pytest.param(api("cons-api", "apim-cons"), Status.NOT_APPLICABLE, Reason.UNSUPPORTED_TIER, id="consumption"),
        pytest.param(api("far-api", "apim-far"), Status.NOT_APPLICABLE, Reason.UNSUPPORTED_REGION, id="region"),
        pytest.param(api("ex-api", "apim-exempt"), Status.EXEMPT, Reason.EXEMPT, id="exempt"),
        pytest.param(api("old-api", "apim-expired"), Status.NONCOMPLIANT, Reason.NOT_ONBOARDED, id="expired-exempt"),
        pytest.param(api("dev-api", "apim-dev", sub=SUB_DEV), Status.NONCOMPLIANT, Reason.PLAN_NOT_ENABLED, id="plan"),
        pytest.param(api("nope"), Status.NOT_APPLICABLE, Reason.API_NOT_FOUND, id="not-found"),
        pytest.param(api("ECHO-API"), Status.COMPLIANT, Reason.ONBOARDED, id="case-insensitive"),
    ],
)
def test_event_path_verdict_per_api(arm, make_engine, ref: ApiRef, status: Status, reason: Reason) -> None:
    finding = make_engine().check_api(ref)
    assert (finding.status, finding.reason) == (status, reason)


def test_workspace_api_costs_one_request(arm, make_engine) -> None:
    make_engine().check_api(api("ws-api", workspace="ws1"))
    assert [r.path.endswith("/workspaces/ws1/apis/ws-api") for r in arm.requests] == [True]


def test_self_hosted_gateway_api_skipped_when_configured(arm, make_engine) -> None:
    finding = make_engine(self_hosted="skip").check_api(api("factory"))
    assert finding.reason is Reason.SELF_HOSTED_GATEWAY


def test_api_deleted_before_we_looked_is_not_found(arm, make_engine) -> None:
    arm.state.delete_api(PROD, "rg-apis", "apim-prod", "orders")
    assert make_engine().check_api(REF).reason is Reason.API_NOT_FOUND


def test_delete_event_with_leftover_collection_is_an_orphan(arm, make_engine) -> None:
    finding = make_engine().check_api(api("ghost"), deleted=True)
    assert (finding.kind, finding.reason) == (Kind.ORPHAN_COLLECTION, Reason.COLLECTION_WITHOUT_API)


def test_plan_check_reads_the_plan(arm, make_engine) -> None:
    finding = make_engine().check_plan(PlanRef(SUB_DEV))
    assert (finding.kind, finding.reason) == (Kind.PLAN, Reason.PLAN_NOT_ENABLED)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"status": 429, "retry_after": 0}, id="429"),
        pytest.param({"status": 500}, id="500"),
        pytest.param({"drop": True}, id="dropped"),
    ],
)
def test_transient_fault_is_retried_then_answers(arm, make_engine, fault) -> None:
    arm.add_fault("GET", "apiCollections", times=2, **fault)
    assert make_engine().check_api(api("echo-api")).reason is Reason.ONBOARDED


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"status": 429, "retry_after": 0}, id="429"),
        pytest.param({"status": 503}, id="503"),
        pytest.param({"drop": True}, id="dropped"),
    ],
)
def test_persistent_transient_fault_raises_for_redelivery(arm, make_engine, fault) -> None:
    arm.add_fault("GET", "apiCollections", times=10, **fault)
    with pytest.raises(TransientAzureError, match="apiCollections/echo-api"):
        make_engine().check_api(api("echo-api"))


def test_permission_denied_is_an_error_finding_on_the_event_path(arm, make_engine, event_for) -> None:
    arm.add_fault("GET", "apiCollections", status=403, times=1)
    outcome = make_engine().handle_event(event_for(REF.resource_id))
    assert (outcome.finding.status, outcome.finding.reason) == (Status.ERROR, Reason.PERMISSION_DENIED)


def test_scan_costs_a_constant_number_of_requests_per_service(arm, make_engine) -> None:
    scan(make_engine(), PROD, "rg-apis", "apim-prod")
    # plan, service, APIs, workspaces, workspace APIs, collections: never one request per API (and no Requests
    # metric: a scan of one service does not size the subscription's plan)
    assert arm.request_count == 6


def test_scan_gives_one_finding_per_current_api(arm, make_engine) -> None:
    findings = scan(make_engine(), PROD, "rg-apis", "apim-prod")
    apis = sorted(f.api for f in findings if f.kind is Kind.API)
    assert apis == ["billing", "echo-api", "factory", "graph", "legacy", "orders", "stream", "ws-api"]


def test_scan_reports_orphaned_collection(arm, make_engine) -> None:
    findings = scan(make_engine(), PROD, "rg-apis", "apim-prod")
    assert [f.api for f in findings if f.kind is Kind.ORPHAN_COLLECTION] == ["ghost"]


def test_scan_and_event_path_agree(arm, make_engine) -> None:
    engine = make_engine()
    findings = scan(engine, PROD)
    scanned = {
        f.api: (f.status, f.reason) for f in findings if f.kind is Kind.API and "/workspaces/" not in f.resource_id
    }
    checked = {name: (f.status, f.reason) for name in scanned for f in [engine.check_api(api(name, _service_of(name)))]}
    assert scanned == checked


def _service_of(name: str) -> str:
    return {"cons-api": "apim-cons", "far-api": "apim-far", "ex-api": "apim-exempt", "old-api": "apim-expired"}.get(
        name, "apim-prod"
    )


def test_scan_with_a_failing_service_reports_an_error_and_finishes(arm, make_engine) -> None:
    arm.add_fault("GET", "apim-far/apis", status=500, times=50)
    findings = scan(make_engine(), PROD)
    errors = [f for f in findings if f.status is Status.ERROR]
    assert ([f.service for f in errors], len(findings) > 10) == (["apim-far"], True)


def test_scan_of_subscription_with_plan_off_has_one_plan_finding(arm, make_engine) -> None:
    findings = scan(make_engine(), SUB_DEV)
    plans = [f for f in findings if f.kind is Kind.PLAN]
    assert [(f.status, f.reason) for f in plans] == [(Status.NONCOMPLIANT, Reason.PLAN_NOT_ENABLED)]


def test_an_orphan_collection_is_low_and_an_unchecked_api_medium(arm, make_engine) -> None:
    orphan = next(f for f in scan(make_engine(), PROD) if f.kind is Kind.ORPHAN_COLLECTION)
    arm.add_fault("GET", "apiCollections", status=503, times=100)
    findings = scan(make_engine(), PROD, "rg-apis", "apim-prod")
    errors = {f.severity for f in findings if f.status is Status.ERROR}
    assert (orphan.severity, errors) == (Severity.LOW, {Severity.MEDIUM})
