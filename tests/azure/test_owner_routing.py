"""Owners against the emulator: an owner tag on the APIM service, else on its resource group, else on its
subscription, the containers' tags read with one Resource Graph query per subscription (cached), and a scan whose
alerts reach the payments team's Teams receiver and the default receiver through the real runtime."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from emulator import EmulatorServer
from emulator.receiver import Receiver, start_receiver, stop_receiver
from monitors.azure.clients import ArmClients
from monitors.engine import Engine
from monitors.inventory import take_inventory
from monitors.model import ApiRef, Finding, Kind
from monitors.runtime import Scope, build_runtime
from monitors.settings import load_settings
from tests.azure.own_estate import serving

SUB = "00000000-0000-0000-0000-0000000000a1"
OTHER = "00000000-0000-0000-0000-0000000000a2"
ROUTE = "team=payments -> teams:PAYMENTS_TEAMS_URL @29:1abcDEF-ghi|Ana Diaz"


def _service(group: str, name: str, apis: list[str], tags: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "resourceGroup": group,
        "name": name,
        "sku": "Developer",
        "tags": tags or {},
        "apis": [{"name": api, "displayName": api.title(), "path": api} for api in apis],
    }


ESTATE = {
    "subscriptions": [
        {
            "id": SUB,
            "displayName": "shop",
            "tags": {"team": "platform"},
            "pricings": {"Api": {"pricingTier": "Standard", "subPlan": "P1"}},
            "resourceGroups": {"RG-Pay": {"tags": {"Team": "payments"}}, "rg-empty": {}},
            "services": [
                _service("RG-Pay", "apim-pay", [f"pay-{i}" for i in range(1, 6)]),
                _service("RG-Pay", "apim-bob", ["bob-1", "bob-2"], {"owner": "bob", "team": "ignored"}),
                _service("rg-misc", "apim-misc", ["misc-1", "misc-2", "misc-3"], {"env": "prod"}),
            ],
        },
        {
            "id": OTHER,
            "displayName": "lab",
            "pricings": {"Api": {"pricingTier": "Standard", "subPlan": "P1"}},
            "services": [_service("rg-x", "apim-x", ["x-1"])],
        },
    ]
}
EXPECTED = {"apim-pay": "team=payments", "apim-bob": "owner=bob", "apim-misc": "team=platform", "apim-x": None}


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with serving(ESTATE) as running:
        yield running


@pytest.fixture
def payments() -> Iterator[Receiver]:
    running = start_receiver()
    yield running
    stop_receiver(running)


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make_engine(server: EmulatorServer, routes: str | None = ROUTE, clock: Ticks | None = None, **extra: str) -> Engine:
    env = {"MONITOR_ARM_ENDPOINT": server.url, "MONITOR_PLAN_USAGE": "off"} | extra
    if routes is not None:
        env |= {
            "MONITOR_ROUTES": routes,
            "PAYMENTS_TEAMS_URL": "https://example.webhook.office.com/XXSECRETXX",
            "MONITOR_TEAMS_WEBHOOK_URL": "https://example.webhook.office.com/default",
        }
    settings = load_settings(env)
    return Engine(settings, ArmClients(settings), clock=clock or Ticks())


def graph_reads(server: EmulatorServer) -> int:
    return sum(1 for r in server.requests if r.method == "POST" and "Microsoft.ResourceGraph" in r.path)


def owners(findings: list[Finding]) -> dict[str, set[str | None]]:
    found: dict[str, set[str | None]] = {}
    for finding in findings:
        found.setdefault(finding.service, set()).add(finding.owner)
    return found


def reconcile_all(server: EmulatorServer, engine: Engine, *, threads: int = 1) -> list[Finding]:
    work = take_inventory(engine.clients, [SUB, OTHER]).work
    server.reset_requests()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [f for findings in pool.map(engine.reconcile, work) for f in findings]


@pytest.mark.parametrize("threads", [1, 8])
def test_owner_is_the_service_tag_else_resource_group_else_subscription_with_one_graph_read_per_subscription(
    server: EmulatorServer, threads: int
) -> None:
    server.reset()
    engine = make_engine(server)
    findings = reconcile_all(server, engine, threads=threads)
    reads = graph_reads(server)
    engine.clients.close()
    assert (len(findings), owners(findings), reads) == (
        11,
        {service: {owner} for service, owner in EXPECTED.items()},
        2,  # 11 findings on 4 services in 2 subscriptions: one container read per subscription
    )


def test_the_event_path_finds_the_same_owner_from_the_cache_and_reads_again_after_it_expires(server) -> None:
    server.reset()
    clock = Ticks()
    engine = make_engine(server, clock=clock)
    first = engine.check_api(ApiRef(SUB, "RG-Pay", "apim-pay", "pay-1"))
    second = engine.check_api(ApiRef(SUB, "rg-misc", "apim-misc", "misc-2"))
    cached = graph_reads(server)
    clock.now += engine.settings.cache_seconds + 1
    third = engine.check_api(ApiRef(SUB, "RG-Pay", "apim-pay", "pay-2"))
    engine.clients.close()
    assert ([f.owner for f in (first, second, third)], cached, graph_reads(server)) == (
        ["team=payments", "team=platform", "team=payments"],
        1,
        2,
    )


def test_a_service_s_own_owner_tag_needs_no_graph_read(server) -> None:
    server.reset()
    engine = make_engine(server)
    finding = engine.check_api(ApiRef(SUB, "RG-Pay", "apim-bob", "bob-1"))
    engine.clients.close()
    assert (finding.owner, graph_reads(server)) == ("owner=bob", 0)


def test_without_graph_the_service_tag_still_names_the_owner_and_the_rest_take_the_default_route(
    server, caplog
) -> None:
    server.reset()
    server.set_graph_enabled(False)
    engine = make_engine(server)
    try:
        bob = engine.check_api(ApiRef(SUB, "RG-Pay", "apim-bob", "bob-1"))
        pay = [engine.check_api(ApiRef(SUB, "RG-Pay", "apim-pay", f"pay-{i}")) for i in range(1, 4)]
    finally:
        server.set_graph_enabled(True)
        engine.clients.close()
    assert (bob.owner, [f.owner for f in pay], pay[0].status.value) == ("owner=bob", [None] * 3, "noncompliant")
    # the refusal is remembered for the cache's life: one request and one warning, not one per finding
    assert (graph_reads(server), caplog.text.count("owner tags of subscription")) == (1, 1)


def test_a_transient_graph_failure_is_tried_again_on_the_next_finding(server) -> None:
    server.reset()
    server.add_fault("POST", "Microsoft.ResourceGraph", status=503, times=20)
    engine = make_engine(server, MONITOR_ARM_RETRY_BACKOFF="0")
    try:
        first = engine.check_api(ApiRef(SUB, "RG-Pay", "apim-pay", "pay-1"))
        server.clear_faults()
        second = engine.check_api(ApiRef(SUB, "RG-Pay", "apim-pay", "pay-2"))
    finally:
        server.clear_faults()
        engine.clients.close()
    assert (first.owner, second.owner) == (None, "team=payments")


def test_without_routes_nothing_is_read_and_findings_carry_no_owner(server) -> None:
    server.reset()
    engine = make_engine(server, routes=None)
    findings = reconcile_all(server, engine)
    engine.clients.close()
    assert ({f.owner for f in findings}, graph_reads(server)) == ({None}, 0)


def test_the_emulator_serves_subscription_and_resource_group_rows_as_resource_graph_does(server) -> None:
    from monitors.azure import graph

    server.reset()
    engine = make_engine(server)
    rows = list(graph._rows(engine.clients.graph(), graph.CONTAINERS_QUERY, [SUB]))
    engine.clients.close()
    assert rows == [
        {
            "id": f"/subscriptions/{SUB}",
            "name": "shop",
            "type": "microsoft.resources/subscriptions",
            "subscriptionId": SUB,
            "resourceGroup": "",
            "tags": {"team": "platform"},
        },
        *[
            {
                "id": f"/subscriptions/{SUB}/resourceGroups/{name}",
                "name": name,
                "type": "microsoft.resources/subscriptions/resourcegroups",
                "subscriptionId": SUB,
                "resourceGroup": name.lower(),
                "tags": tags,
            }
            for name, tags in [("RG-Pay", {"Team": "payments"}), ("rg-empty", {}), ("rg-misc", {})]
        ],
    ]


def card(message: dict[str, Any]) -> dict[str, Any]:
    return message["attachments"][0]["content"]


def apis_in(receiver: Receiver) -> list[str]:
    text = " ".join(json.dumps(card(json.loads(r.body))["body"]) for r in receiver.requests if r.method == "POST")
    return sorted(api for api in ["bob-1", "bob-2", "misc-1", "misc-2", "misc-3", "x-1"] if f"({api})" in text) + [
        f"pay-{i}" for i in range(1, 6) if f"(pay-{i})" in text
    ]


def test_a_scan_sends_the_payments_team_only_its_apis_with_the_mention_and_the_default_route_the_rest(
    server, tmp_path, receiver: Receiver, payments: Receiver
) -> None:
    server.reset()
    settings = load_settings(
        {
            "MONITOR_ARM_ENDPOINT": server.url,
            "MONITOR_PLAN_USAGE": "off",
            "MONITOR_STATE": f"sqlite:{tmp_path / 'state.sqlite'}",
            "MONITOR_TEAMS_WEBHOOK_URL": receiver.url,
            "PAYMENTS_TEAMS_URL": payments.url,
            "MONITOR_ROUTES": ROUTE,
        }
    )
    runtime = build_runtime(settings, in_azure=False)
    try:
        findings = runtime.scan(Scope(subscriptions=(SUB, OTHER)), concurrency=4)
        reads = graph_reads(server)
    finally:
        runtime.close()
    posts = [json.loads(r.body) for r in payments.requests if r.method == "POST"]
    mention = {
        "type": "mention",
        "text": "<at>Ana Diaz</at>",
        "mentioned": {"id": "29:1abcDEF-ghi", "name": "Ana Diaz"},
    }
    default_posts = [json.loads(r.body) for r in receiver.requests if r.method == "POST"]
    assert (len(posts), card(posts[0])["msteams"], [card(p).get("msteams") for p in default_posts]) == (
        1,
        {"entities": [mention]},
        [None],
    )
    assert (apis_in(payments), apis_in(receiver)) == (
        [f"pay-{i}" for i in range(1, 6)],
        ["bob-1", "bob-2", "misc-1", "misc-2", "misc-3", "x-1"],
    )
    plans = [f for f in findings if f.kind is Kind.PLAN]
    # the inventory's three Graph queries (services, collections, verdicts) and one owner read per subscription
    assert ([f.owner for f in plans], reads) == ([None, None], 5)


@pytest.mark.parametrize(
    ("groups", "path"),
    [
        pytest.param({"rg": {"tag": {}}}, "subscriptions[0].resourceGroups.rg", id="unknown-key"),
        pytest.param({"rg": {"tags": {"team": 1}}}, "subscriptions[0].resourceGroups.rg.tags.team", id="not-a-string"),
        pytest.param({"rg": {}, "RG": {}}, "subscriptions[0].resourceGroups", id="duplicate"),
        pytest.param({"a/b": {}}, "subscriptions[0].resourceGroups.a/b", id="bad-name"),
    ],
)
def test_the_estate_refuses_a_bad_resource_group_entry_naming_its_path(groups: dict[str, Any], path: str) -> None:
    from emulator.estate import Estate

    with pytest.raises(ValueError, match=r"^estate ") as raised:
        Estate.from_dict({"subscriptions": [{"id": SUB, "resourceGroups": groups}]})
    assert path in str(raised.value)
