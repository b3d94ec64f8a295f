"""Three coverage states, and Defender's own verdict beside the monitor's (issue 11, item 1), over the emulator:
pricings with the CSPM ApiPosture extension, and the recommendation's rows in Resource Graph."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import jsonschema
import pytest

from emulator import EmulatorServer
from monitors.assessment import Disagreement
from monitors.engine import Engine
from monitors.inventory import take_inventory
from monitors.model import ApiRef, Coverage, Finding, Reason, Status, StatusRecord
from monitors.reports import render
from monitors.state.sqlite import SqliteStateStore
from tests.azure.own_estate import engine_on, serving
from tests.conftest import scan, service_of

GUARDED = "00000000-0000-0000-0000-0000000000c1"  # Defender for APIs on, and Defender CSPM with ApiPosture
POSTURE = "00000000-0000-0000-0000-0000000000c2"  # Defender for APIs off, Defender CSPM with ApiPosture
NOTHING = "00000000-0000-0000-0000-0000000000c3"  # both off; CSPM on but its ApiPosture extension off
SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "findings.schema.json").read_text())


def _sub(sub: str, api_plan: str, cspm: Mapping[str, object], **service: object) -> dict[str, object]:
    apis = [{"name": "orders"}, {"name": "payments"}, {"name": "billing", "type": "soap"}]
    return {
        "id": sub,
        "pricings": {"Api": {"pricingTier": api_plan}, "CloudPosture": cspm},
        "services": [
            {"resourceGroup": "rg", "name": f"apim-{sub[-2:]}", "location": "East US", "sku": "Premium", "apis": apis}
            | service
        ],
    }


ON = {"pricingTier": "Standard", "extensions": {"ApiPosture": True, "SensitiveDataDiscovery": True}}
ESTATE = {
    "subscriptions": [
        _sub(
            GUARDED,
            "Standard",
            ON,
            apiCollections=["orders"],
            defenderAssessments={"orders": "Unhealthy", "payments": "Healthy", "retired": "Unhealthy"},
            workspaces=[{"name": "team", "apis": [{"name": "payments"}]}],  # another API of the same name
        ),
        _sub(POSTURE, "Free", ON),
        _sub(
            NOTHING, "Free", {"pricingTier": "Standard", "extensions": {"ApiPosture": False}}, apiCollections=["orders"]
        ),
    ]
}


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with serving(ESTATE) as running:
        yield running


@pytest.fixture
def engine(server: EmulatorServer) -> Iterator[Engine]:
    with engine_on(server) as built:
        yield built


def _by_api(findings: list[Finding]) -> dict[tuple[str, str], Finding]:
    """The findings of service APIs (not workspace APIs) by subscription and API."""
    return {(f.subscription_id, f.api): f for f in findings if f.api and "/workspaces/" not in f.resource_id}


def _sweep(engine: Engine) -> list[Finding]:
    return service_of(engine).sweep(take_inventory(engine.clients, [GUARDED, POSTURE, NOTHING], use_graph=True))


def test_each_api_gets_its_coverage_state(engine: Engine) -> None:
    findings = _by_api([f for sub in (GUARDED, POSTURE, NOTHING) for f in scan(engine, sub)])
    assert {key: f.coverage for key, f in findings.items()} == {
        (GUARDED, "orders"): Coverage.THREAT_PROTECTED,  # its collection, and the plan on
        (GUARDED, "payments"): Coverage.POSTURE_ONLY,  # no collection, but CSPM's API posture
        (GUARDED, "billing"): Coverage.NOT_COVERED,  # SOAP: neither covers it
        (POSTURE, "orders"): Coverage.POSTURE_ONLY,
        (POSTURE, "payments"): Coverage.POSTURE_ONLY,
        (POSTURE, "billing"): Coverage.NOT_COVERED,
        (NOTHING, "orders"): Coverage.NOT_COVERED,  # a collection left from when the plan was on protects nothing
        (NOTHING, "payments"): Coverage.NOT_COVERED,
        (NOTHING, "billing"): Coverage.NOT_COVERED,
    }


def test_the_event_path_and_the_sweep_agree_on_coverage(engine: Engine) -> None:
    swept = _by_api(_sweep(engine))
    per_event = {
        (sub, api): engine.check_api(ApiRef(sub, "rg", f"apim-{sub[-2:]}", api)).coverage
        for sub in (GUARDED, POSTURE, NOTHING)
        for api in ("orders", "payments", "billing")
    }
    assert per_event == {key: swept[key].coverage for key in per_event}


def test_the_sweep_reports_where_defender_and_the_monitor_disagree(engine: Engine) -> None:
    findings = _by_api(_sweep(engine))
    seen = {
        api: (f.status, f.reason, f.defender.status if f.defender else None, f.disagreement)
        for (sub, api), f in findings.items()
        if sub == GUARDED
    }
    assert seen == {
        "orders": (Status.COMPLIANT, Reason.ONBOARDED, "Unhealthy", Disagreement.ONBOARDED_BUT_UNHEALTHY),
        "payments": (Status.NONCOMPLIANT, Reason.NOT_ONBOARDED, "Healthy", Disagreement.HEALTHY_WITHOUT_COLLECTION),
        "billing": (Status.NOT_APPLICABLE, Reason.NON_REST_API, "NotApplicable", None),
        "retired": (Status.NOT_APPLICABLE, Reason.ASSESSMENT_WITHOUT_API, "Unhealthy", None),
    }


def test_a_workspace_api_never_takes_the_verdict_on_the_service_api_of_its_name(engine: Engine) -> None:
    swept = [f for f in _sweep(engine) if f.subscription_id == GUARDED and f.api == "payments"]
    by_place = {"/workspaces/" in f.resource_id: (f.reason, f.defender is not None) for f in swept}
    assert by_place == {False: (Reason.NOT_ONBOARDED, True), True: (Reason.WORKSPACE_API, False)}


def test_agreeing_verdicts_are_carried_without_a_disagreement(engine: Engine) -> None:
    orders = _by_api(_sweep(engine))[POSTURE, "orders"]  # not onboarded, and Defender says Unhealthy
    assert (orders.defender.status if orders.defender else None, orders.disagreement) == ("Unhealthy", None)


def test_an_unhealthy_onboarded_api_says_so_in_its_detail(engine: Engine) -> None:
    detail = _by_api(_sweep(engine))[GUARDED, "orders"].detail
    assert "still lists it as Unhealthy since 2024-01-01 00:00 UTC" in detail


def test_defenders_verdicts_cost_one_graph_query_for_every_subscription(engine: Engine, server: EmulatorServer) -> None:
    _sweep(engine)
    graph_posts = [r for r in server.requests if r.method == "POST" and "ResourceGraph" in r.path]
    assert len(graph_posts) == 3  # services, collections, assessments: each one page for the three subscriptions


def test_without_resource_graph_the_findings_carry_no_verdict(engine: Engine, server: EmulatorServer) -> None:
    server.set_graph_enabled(False)
    findings = service_of(engine).sweep(take_inventory(engine.clients, [GUARDED], use_graph=True))
    assert [f.defender for f in findings if f.api] == [None] * 4  # three service APIs and one workspace API


def test_the_json_carries_coverage_and_the_assessment(engine: Engine) -> None:
    document = json.loads(render(_sweep(engine), "json", version="test", stamp="2026-12-02T00:00:00+00:00"))
    jsonschema.validate(document, SCHEMA)
    orders = next(f for f in document["findings"] if f["api"] == "orders" and f["subscription_id"] == GUARDED)
    assert (orders["coverage"], orders["defender_assessment"]) == (
        "threat_protected",
        {
            "status": "Unhealthy",
            "status_changed": "2024-01-01T00:00:00+00:00",
            "disagreement": "onboarded_but_unhealthy",
        },
    )


@pytest.mark.parametrize(
    ("seen_ago", "disagreement", "words"),
    [
        (dt.timedelta(minutes=12), None, "onboarded 12 minutes ago, within its ~50 minutes"),
        (dt.timedelta(hours=3, minutes=5), Disagreement.ONBOARDED_BUT_UNHEALTHY, "first seen onboarded 3 hours ago"),
    ],
    ids=["still-settling", "long-since"],
)
def test_how_long_since_onboarding_decides_whether_unhealthy_is_a_disagreement(
    server: EmulatorServer, tmp_path: Path, seen_ago: dt.timedelta, disagreement: Disagreement | None, words: str
) -> None:
    store = SqliteStateStore(str(tmp_path / "state.sqlite"))
    orders = ApiRef(GUARDED, "rg", f"apim-{GUARDED[-2:]}", "orders")
    now = dt.datetime.now(dt.UTC)
    store.put_status(StatusRecord(orders.key, Status.COMPLIANT, Reason.ONBOARDED, now - seen_ago))
    with engine_on(server) as plain:
        engine = Engine(plain.settings, plain.clients, store=store)
        finding = _by_api(_sweep(engine))[GUARDED, "orders"]
    store.close()
    assert (finding.disagreement, words in finding.detail) == (disagreement, True)
