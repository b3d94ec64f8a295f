"""The plan's size and cost in the sweep and the event path (issue 11, item 2), over the emulator: each subscription's
plan finding carries its month of traffic priced on the sub-plans, alerts once near its included calls, and a
subscription without metrics access gets an error finding, not a crash."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from emulator import EmulatorServer
from monitors.engine import Engine
from monitors.inventory import take_inventory
from monitors.model import Finding, Kind, PlanRef, Reason, Status
from monitors.reports import render
from monitors.runtime import Scope, build_runtime
from monitors.settings import load_settings
from tests.azure.own_estate import engine_on, serving

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "findings.schema.json").read_text())
# Subscriptions by sub-plan and traffic a day, so that 30 days give: on P1 0.6M (fits), 0.9M (90 % of its 1M) and 3M
# (over, still cheapest on P1); 42M on P2 (P3 fits: $5,000 against $700 + 37M x $0.00014); 60M on P3 (over, still
# cheapest); 21M on P4 (P2 fits: $2,940 against $7,000); 1.2B on P5 (over, still cheapest); and one whose plan is off.
TRAFFIC = {
    "00000000-0000-0000-0000-0000000000a1": ("P1", 20_000),
    "00000000-0000-0000-0000-0000000000a2": ("P1", 30_000),
    "00000000-0000-0000-0000-0000000000a3": ("P1", 100_000),
    "00000000-0000-0000-0000-0000000000a4": ("P2", 1_400_000),
    "00000000-0000-0000-0000-0000000000a5": (None, 50_000),
    "00000000-0000-0000-0000-0000000000a6": ("P3", 2_000_000),
    "00000000-0000-0000-0000-0000000000a7": ("P4", 700_000),
    "00000000-0000-0000-0000-0000000000a8": ("P5", 40_000_000),
}


def _subscription(sub: str, sub_plan: str | None, per_day: int) -> dict[str, object]:
    pricing = {"pricingTier": "Standard", "subPlan": sub_plan} if sub_plan else {"pricingTier": "Free"}
    half = {"resourceGroup": "rg", "location": "East US", "sku": "Premium", "requestsPerDay": per_day // 2}
    return {
        "id": sub,
        "pricings": {"Api": pricing},
        "services": [half | {"name": "apim-one"}, half | {"name": "apim-two", "location": "West Europe"}],
    }


ESTATE = {"subscriptions": [_subscription(sub, plan, per_day) for sub, (plan, per_day) in TRAFFIC.items()]}


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with serving(ESTATE) as running:
        yield running


@pytest.fixture
def engine(server: EmulatorServer) -> Iterator[Engine]:
    with engine_on(server, supported_regions="East US,West Europe") as built:
        yield built


def _plans(engine: Engine, subscriptions: list[str] | None = None) -> list[Finding]:
    subs = subscriptions or list(TRAFFIC)
    inventory = take_inventory(engine.clients, subs, use_graph=True, usage=engine.usage)
    return [f for f in inventory.findings if f.kind is Kind.PLAN]


def test_each_plan_finding_carries_its_traffic_the_plan_that_fits_and_the_overage(engine: Engine) -> None:
    usage = {f.subscription_id[-2:]: f.plan_usage for f in _plans(engine)}
    seen = {
        sub: (u.sub_plan, u.monthly_calls, u.fitting_plan, u.forecast_overage_cost, u.monthly_saving)
        for sub, u in usage.items()
        if u is not None
    }
    assert seen == {
        "a1": ("P1", 600_000, "P1", 0.0, 0.0),
        "a2": ("P1", 900_000, "P1", 0.0, 0.0),
        "a3": ("P1", 3_000_000, "P1", 400.0, 0.0),  # $200 + 2M x $0.0002 = $600, still below P2's $700
        "a4": ("P2", 42_000_000, "P3", 5180.0, 880.0),
        "a5": (None, 1_500_000, "P1", None, None),  # plan off: what it would cost
        "a6": ("P3", 60_000_000, "P3", 1000.0, 0.0),
        "a7": ("P4", 21_000_000, "P2", 0.0, 4060.0),
        "a8": ("P5", 1_200_000_000, "P5", 10000.0, 0.0),
    }


def test_the_plan_turns_noncompliant_near_its_included_calls_and_says_why(engine: Engine) -> None:
    verdicts = {f.subscription_id[-2:]: (f.status, f.reason) for f in _plans(engine)}
    assert verdicts == {
        "a1": (Status.COMPLIANT, Reason.PLAN_ENABLED),  # 60 %
        "a2": (Status.NONCOMPLIANT, Reason.PLAN_CALLS_NEAR_INCLUDED),  # 90 % >= 80 %
        "a3": (Status.NONCOMPLIANT, Reason.PLAN_CALLS_NEAR_INCLUDED),  # 300 %
        "a4": (Status.NONCOMPLIANT, Reason.PLAN_CALLS_NEAR_INCLUDED),  # 840 % of P2's 5M
        "a5": (Status.NONCOMPLIANT, Reason.PLAN_NOT_ENABLED),
        "a6": (Status.NONCOMPLIANT, Reason.PLAN_CALLS_NEAR_INCLUDED),  # 120 %
        "a7": (Status.COMPLIANT, Reason.PLAN_ENABLED),  # 21 %: oversized, which the finding says, no alert
        "a8": (Status.NONCOMPLIANT, Reason.PLAN_CALLS_NEAR_INCLUDED),  # 120 %
    }


def test_the_event_path_sees_the_same_plan_as_the_sweep(engine: Engine) -> None:
    swept = {f.subscription_id: (f.status, f.reason, f.plan_usage) for f in _plans(engine)}
    per_event = {sub: engine.check_plan(PlanRef(sub)) for sub in TRAFFIC}
    assert {sub: (f.status, f.reason, f.plan_usage) for sub, f in per_event.items()} == {
        sub: value if TRAFFIC[sub][0] else (value[0], value[1], None) for sub, value in swept.items()
    }


def test_one_metrics_request_per_subscription_and_region_then_none_for_a_day(
    engine: Engine, server: EmulatorServer
) -> None:
    _plans(engine)
    first = [r for r in server.requests if "Microsoft.Insights/metrics" in r.path]
    server.reset_requests()
    _plans(engine)
    again = [r for r in server.requests if "Microsoft.Insights/metrics" in r.path]
    assert (len(first), len(again)) == (2 * len(TRAFFIC), 0)


def test_a_subscription_without_metrics_access_gets_an_error_finding_not_a_crash(
    engine: Engine, server: EmulatorServer
) -> None:
    denied = "00000000-0000-0000-0000-0000000000a2"
    server.add_fault("GET", f"/subscriptions/{denied}/providers/Microsoft.Insights/metrics", status=403, times=10)
    findings = _plans(engine, [denied, "00000000-0000-0000-0000-0000000000a1"])
    mine = sorted((f.status, f.reason, f.plan_usage is None) for f in findings if f.subscription_id == denied)
    others = [f.subscription_id[-2:] for f in findings if f.subscription_id != denied]
    # the plan is on: the error stands in for its finding, so its last status (near its included calls) is kept
    assert (mine, others) == ([(Status.ERROR, Reason.PERMISSION_DENIED, True)], ["a1"])


def test_the_json_and_the_html_show_the_plan_per_subscription(engine: Engine) -> None:
    findings = _plans(engine)
    document = json.loads(render(findings, "json", version="test", stamp="2026-12-02T00:00:00+00:00"))
    jsonschema.validate(document, SCHEMA)
    page = render(findings, "html", version="test", stamp="2026-12-02T00:00:00+00:00")
    section = page.split("Defender for APIs plans: size and cost", 1)[1].split("</section>", 1)[0]
    assert (section.count("<tr><td"), "3,000,000" in section, "$400.00" in section) == (len(TRAFFIC), True, True)


def test_with_plan_usage_off_no_metric_is_read(server: EmulatorServer) -> None:
    with engine_on(server, plan_usage="off") as engine:
        plans = _plans(engine)
    metrics = [r for r in server.requests if "Microsoft.Insights/metrics" in r.path]
    assert (metrics, [f.plan_usage for f in plans]) == ([], [None] * len(TRAFFIC))


def test_crossing_the_share_alerts_once_through_the_sinks(server: EmulatorServer, receiver, tmp_path: Path) -> None:
    near = "00000000-0000-0000-0000-0000000000a2"  # 90 % of P1's included calls
    env = {
        "MONITOR_ARM_ENDPOINT": server.url,
        "MONITOR_STATE": f"sqlite:{tmp_path / 'state.sqlite'}",
        "MONITOR_WEBHOOK_URL": receiver.url,
        "MONITOR_WEBHOOK_SECRET": "whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw==",
    }
    runtime = build_runtime(load_settings(env), in_azure=False)
    try:
        runtime.scan(Scope((near,), use_graph=False))
        runtime.scan(Scope((near,), use_graph=False))  # the same traffic: nothing new to say
    finally:
        runtime.close()
    bodies = [json.loads(r.body) for r in receiver.requests]
    plans = [f for body in bodies for f in body["findings"] if f["kind"] == "plan"]
    said = [(f["reason"], f["severity"], f["plan_usage"]["share_of_included"]) for f in plans]
    assert (len(bodies), said) == (1, [("plan_calls_near_included", "medium", 0.9)])


def test_a_scan_of_one_service_does_not_size_the_plan_on_that_service_alone(
    engine: Engine, server: EmulatorServer
) -> None:
    sub = "00000000-0000-0000-0000-0000000000a2"
    inventory = take_inventory(engine.clients, [sub], service="apim-one", use_graph=True, usage=engine.usage)
    plans = [(f.reason, f.plan_usage) for f in inventory.findings if f.kind is Kind.PLAN]
    metrics = [r for r in server.requests if "Microsoft.Insights/metrics" in r.path]
    assert (plans, metrics) == ([(Reason.PLAN_ENABLED, None)], [])
