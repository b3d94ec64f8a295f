"""Auto-onboarding against the emulator: the three LRO shapes, modes, rate limit, failures, and the plan guard."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from monitors.azure.clients import ArmClients
from monitors.engine import Engine
from monitors.model import Action, ApiRef, Reason, Status
from monitors.state.sqlite import SqliteStateStore
from tests.conftest import PROD, SUB_DEV, scan

ORDERS = ApiRef(PROD, "rg-apis", "apim-prod", "orders")
BILLING = ApiRef(PROD, "rg-apis", "apim-prod", "billing")


def puts(arm) -> list[str]:
    return [r.path for r in arm.requests if r.method == "PUT"]


@pytest.mark.parametrize("shape", ["200", "201", "202"])
def test_onboarding_succeeds_in_every_lro_shape(arm, make_engine, shape: str) -> None:
    arm.set_lro_mode(shape, polls=2)
    finding = make_engine(auto_onboard="on").check_api(ORDERS)
    assert (
        finding.status,
        finding.reason,
        finding.action,
        arm.state.has_collection(PROD, "rg-apis", "apim-prod", "orders"),
    ) == (
        Status.COMPLIANT,
        Reason.ONBOARDED,
        Action.ONBOARDED,
        True,
    )


def test_onboarded_finding_carries_the_collection_id(arm, make_engine) -> None:
    finding = make_engine(auto_onboard="on").check_api(ORDERS)
    assert finding.collection_id.lower() == ORDERS.collection_id.lower()


def test_failed_onboarding_is_reported_with_arms_message(arm, make_engine) -> None:
    arm.set_lro_mode("fail", polls=1)
    finding = make_engine(auto_onboard="on").check_api(ORDERS)
    assert (finding.status, finding.action, "OnboardingFailed" in finding.detail or "failed" in finding.detail) == (
        Status.NONCOMPLIANT,
        Action.ONBOARD_FAILED,
        True,
    )


def test_onboarding_that_never_finishes_gives_up_within_the_timeout(arm, make_engine) -> None:
    arm.set_lro_mode("202", polls=1000)
    finding = make_engine(auto_onboard="on", onboard_timeout_seconds="1", onboard_poll_seconds="0.2").check_api(ORDERS)
    assert (finding.action, "InProgress" in finding.detail) == (Action.ONBOARD_FAILED, True)


def test_dry_run_reports_would_onboard_and_writes_nothing(arm, make_engine) -> None:
    finding = make_engine(auto_onboard="dry-run").check_api(ORDERS)
    assert (finding.action, puts(arm)) == (Action.WOULD_ONBOARD, [])


def test_off_mode_only_reports(arm, make_engine) -> None:
    finding = make_engine().check_api(ORDERS)
    assert (finding.action, puts(arm)) == (Action.NONE, [])


def test_plan_off_never_onboards(arm, make_engine) -> None:
    finding = make_engine(auto_onboard="on").check_api(ApiRef(SUB_DEV, "rg-dev", "apim-dev", "dev-api"))
    assert (finding.reason, finding.action, puts(arm)) == (Reason.PLAN_NOT_ENABLED, Action.NONE, [])


def test_not_applicable_api_is_never_onboarded(arm, make_engine) -> None:
    make_engine(auto_onboard="on").check_api(ApiRef(PROD, "rg-apis", "apim-prod", "graph"))
    assert puts(arm) == []


def test_rate_limit_per_service_defers_the_rest(arm, make_engine) -> None:
    engine = make_engine(auto_onboard="on", onboard_max_per_minute="1")
    engine.check_api(ORDERS)
    deferred = engine.check_api(BILLING)
    assert (deferred.action, deferred.status, len(puts(arm))) == (Action.ONBOARD_DEFERRED, Status.NONCOMPLIANT, 1)


def test_persistent_server_error_on_put_becomes_onboard_failed(arm, make_engine) -> None:
    arm.add_fault("PUT", "apiCollections", status=500, times=20)
    finding = make_engine(auto_onboard="on").check_api(ORDERS)
    assert (finding.action, "HTTP 500" in finding.detail) == (Action.ONBOARD_FAILED, True)


def test_scan_onboards_within_the_rate_limit(arm, make_engine) -> None:
    findings = scan(make_engine(auto_onboard="on", onboard_max_per_minute="2"), PROD, "rg-apis", "apim-prod")
    onboarded = sorted(f.api for f in findings if f.action is Action.ONBOARDED)
    assert (len(onboarded), len(puts(arm))) == (2, 2)


def test_rate_limit_holds_across_instances_sharing_a_store(arm, make_settings, tmp_path) -> None:
    names = [f"new-api-{n:02d}" for n in range(20)]
    for name in names:
        arm.state.add_api(PROD, "rg-apis", "apim-prod", {"name": name, "displayName": name, "path": name})
    settings = make_settings(auto_onboard="on", onboard_max_per_minute="5")
    stores = [SqliteStateStore(str(tmp_path / "state.sqlite")) for _ in range(2)]
    engines = [Engine(settings, ArmClients(settings), store=store) for store in stores]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: engines[n % 2].check_api(ApiRef(PROD, "rg-apis", "apim-prod", names[n])), range(20)))
    for store in stores:
        store.close()
    assert len(puts(arm)) == 5


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_without_a_store_the_waves_live_in_the_process_on_the_engines_clock(arm, make_settings) -> None:
    names = [f"wave-api-{n}" for n in range(3)]
    for name in names:
        arm.state.add_api(PROD, "rg-apis", "apim-prod", {"name": name, "displayName": name, "path": name})
    settings = make_settings(auto_onboard="on", onboard_wave_size="2", onboard_wave_minutes="10")
    ticks = Ticks()
    engine = Engine(settings, ArmClients(settings), clock=ticks)
    try:
        first = [engine.check_api(ApiRef(PROD, "rg-apis", "apim-prod", name)) for name in names]
        ticks.now += 599
        early = engine.check_api(ApiRef(PROD, "rg-apis", "apim-prod", names[2]))
        ticks.now += 1
        late = engine.check_api(ApiRef(PROD, "rg-apis", "apim-prod", names[2]))
    finally:
        engine.clients.close()
    assert ([f.action for f in first], early.action, late.action) == (
        [Action.ONBOARDED, Action.ONBOARDED, Action.ONBOARD_DEFERRED],
        Action.ONBOARD_DEFERRED,
        Action.ONBOARDED,
    )
    assert "this wave's 2 onboardings for the service are taken (one wave every 10 min" in early.detail
    metrics = [r for r in arm.requests if r.path.endswith("/apim-prod/providers/Microsoft.Insights/metrics")]
    assert len(metrics) == 2  # one Capacity reading a wave
