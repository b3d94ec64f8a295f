"""The reconciliation sweep: inventory through Resource Graph and through ARM, fan-out over a real Azurite queue to
the queue function called as the host calls it, orphans, deleted services, poison messages and 429 storms."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import replace
from pathlib import Path

import pytest
from azure.storage.queue import QueueClient

import function_app
from monitors.alerts.dispatch import Dispatcher
from monitors.alerts.webhook import WebhookSink
from monitors.assessment import DefenderVerdict
from monitors.errors import EventError, StateError, TransientAzureError
from monitors.inventory import ServiceWork, take_inventory
from monitors.model import Action, CollectionFacts, Kind, PlanFacts, Reason, Status
from monitors.runtime import MAX_DEQUEUE_COUNT, SWEEP_HOLD
from monitors.state.sqlite import SqliteStateStore
from tests.conftest import PROD, SUB_DEV, service_of
from tests.worker import decode_queue, decode_timer

SUBS = [PROD, SUB_DEV]
SECRET = "whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw=="


def verdicts(findings) -> list[tuple[str, str, str]]:
    return sorted((f.resource_id.lower(), f.status.value, f.reason.value) for f in findings)


def sweep(engine, *, use_graph: bool = True):
    return service_of(engine).sweep(take_inventory(engine.clients, SUBS, use_graph=use_graph))


def test_graph_and_arm_inventories_give_identical_findings(arm, make_engine) -> None:
    via_graph = sweep(make_engine())
    assert verdicts(via_graph) == verdicts(sweep(make_engine(), use_graph=False))


def test_graph_unavailable_falls_back_to_arm(arm, make_engine) -> None:
    arm.set_graph_enabled(False)
    engine = make_engine()
    inventory = take_inventory(engine.clients, SUBS)
    assert (inventory.via_graph, len(inventory.work)) == (False, 6)


def test_graph_inventory_reads_collections_once_for_all_services(arm, make_engine) -> None:
    engine = make_engine()
    service_of(engine).sweep(take_inventory(engine.clients, SUBS))
    listed_per_service = [
        r.path for r in arm.requests if r.path.endswith("/providers/Microsoft.Security/apiCollections")
    ]
    assert listed_per_service == []


def test_sweep_reports_orphaned_collection(arm, make_engine) -> None:
    findings = sweep(make_engine())
    assert [(f.api, f.reason) for f in findings if f.kind is Kind.ORPHAN_COLLECTION] == [
        ("ghost", Reason.COLLECTION_WITHOUT_API)
    ]


@pytest.mark.parametrize(
    ("mode", "action", "deletes"),
    [
        pytest.param("dry-run", Action.WOULD_OFFBOARD, 0, id="dry-run"),
        pytest.param("on", Action.OFFBOARDED, 1, id="on"),
        pytest.param("off", Action.NONE, 0, id="off"),
    ],
)
def test_orphan_offboarding_follows_its_mode(arm, make_engine, mode, action, deletes) -> None:
    findings = sweep(make_engine(auto_offboard_orphans=mode))
    orphan = next(f for f in findings if f.kind is Kind.ORPHAN_COLLECTION)
    assert (orphan.action, [r.method for r in arm.requests].count("DELETE")) == (action, deletes)


def test_plan_off_is_one_finding_per_subscription(arm, make_engine) -> None:
    findings = sweep(make_engine())
    plans = sorted((f.subscription_id, f.reason) for f in findings if f.kind is Kind.PLAN)
    assert plans == [(PROD, Reason.PLAN_ENABLED), (SUB_DEV, Reason.PLAN_NOT_ENABLED)]


def test_service_deleted_between_inventory_and_reconcile_is_skipped(arm, make_engine) -> None:
    engine = make_engine()
    inventory = take_inventory(engine.clients, SUBS)
    arm.add_fault("GET", "/service/apim-far", status=404, times=5)  # the service itself answers 404
    findings = service_of(engine).sweep(inventory)
    assert ([f for f in findings if f.service == "apim-far"], any(f.status is Status.ERROR for f in findings)) == (
        [],
        False,
    )


def test_429_storm_slows_the_sweep_but_loses_nothing(arm, make_engine) -> None:
    calm = verdicts(sweep(make_engine()))
    arm.add_fault("GET", "/apis", status=429, retry_after=0, times=6)
    arm.add_fault("POST", "Microsoft.ResourceGraph", status=429, retry_after=0, times=2)
    assert verdicts(sweep(make_engine(arm_retries="8"))) == calm


def test_work_item_survives_the_queue_message_round_trip(arm, make_engine) -> None:
    engine = make_engine()
    work = take_inventory(engine.clients, SUBS).work[0]
    assert ServiceWork.from_message(work.to_message()) == work


V1_MESSAGE = (  # as the previous version queued it: positional arrays for the plan and the collections
    '{"v":1,"subscription":"sub-1","resource_group":"rg-1","service":"apim-1","sku":"Developer","location":"westeurope",'
    '"tags":{"owner":"payments"},"plan":["Standard","P1"],"collections":[["Orders","/subscriptions/sub-1/resourceGroups'
    '/rg-1/providers/Microsoft.ApiManagement/service/apim-1/providers/Microsoft.Security/apiCollections/Orders",'
    '"Succeeded","Orders API"]]}'
)


def test_a_message_queued_by_the_previous_version_is_still_read() -> None:
    work = ServiceWork.from_message(V1_MESSAGE)
    collection = work.collections["orders"] if work.collections else None
    assert (work.facts.ref.service, work.facts.tags, work.plan, collection) == (
        "apim-1",
        {"owner": "payments"},
        PlanFacts("sub-1", "Standard", "P1"),
        CollectionFacts("Orders", json.loads(V1_MESSAGE)["collections"][0][1], "Succeeded", "Orders API"),
    )


def test_a_message_carries_named_fields_and_a_field_added_later_is_ignored() -> None:
    body = json.loads(ServiceWork.from_message(V1_MESSAGE).to_message())
    body["collections"][0]["risk"] = "high"  # what a later version may add
    body["added_later"] = {"anything": 1}
    work = ServiceWork.from_message(json.dumps(body))
    assert (body["v"], body["plan"], body["collections"][0]["state"], work) == (
        2,
        {"tier": "Standard", "sub_plan": "P1", "api_posture": False},
        "Succeeded",
        ServiceWork.from_message(V1_MESSAGE),
    )


def test_defenders_verdicts_and_the_network_travel_in_the_message_and_give_way_first_when_it_is_too_big() -> None:
    base = ServiceWork.from_message(V1_MESSAGE)
    network = replace(base.facts, public_network_access="Disabled", virtual_network_type="Internal")
    verdicts = {"orders": DefenderVerdict("Unhealthy", dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC))}
    plan = PlanFacts(network.ref.subscription_id, "Free", None, api_posture=True)
    work = replace(base, facts=network, plan=plan, assessments=verdicts)
    huge = replace(work, assessments={f"api-{i:05d}": DefenderVerdict("Healthy") for i in range(2_000)})
    shrunk = ServiceWork.from_message(huge.to_message())
    assert (ServiceWork.from_message(work.to_message()), shrunk.assessments, shrunk.collections) == (
        work,
        None,
        base.collections,
    )


UNREADABLE = {
    "a later version": {"v": 3, "kind": "sweep"},
    "another kind": {"v": 2, "kind": "onboard"},
    "a plan that is no plan": {"v": 2, "kind": "sweep", "plan": 7},
    "a collection that is no collection": {"v": 2, "kind": "sweep", "collections": ["Orders"]},
}


@pytest.mark.parametrize("text", [json.dumps(json.loads(V1_MESSAGE) | c) for c in UNREADABLE.values()] + ["[1]", "{"])
def test_a_message_this_version_cannot_read_is_refused_in_one_line(text: str) -> None:
    with pytest.raises(EventError, match=r"^sweep message is not a service work item \(\w+: [^\n]*\)$"):
        ServiceWork.from_message(text)


@pytest.fixture
def sweep_env(arm, emulator_env, monkeypatch, storage):
    for key, value in {**emulator_env, "MONITOR_SUBSCRIPTIONS": ",".join(SUBS)}.items():
        monkeypatch.setenv(key, value)
    return QueueClient.from_connection_string(storage.connection_string, "apim-sweep")


def run_queue(functions, queue: QueueClient, dequeue_count: int = 1) -> list[str]:
    """Deliver every queued message to SweepWorker as the host would; returns the message bodies."""
    worker = functions["SweepWorker"].get_user_function()
    bodies = []
    for message in queue.receive_messages(max_messages=32):
        worker(decode_queue(message.content, dequeue_count=dequeue_count, message_id=message.id))
        queue.delete_message(message)
        bodies.append(message.content)
    return bodies


def test_timer_fans_out_one_message_per_service_through_the_queue(functions, sweep_env) -> None:
    functions["SweepTimer"].get_user_function()(decode_timer())
    bodies = run_queue(functions, sweep_env)
    services = sorted(ServiceWork.from_message(b).facts.ref.service for b in bodies)
    assert services == ["apim-cons", "apim-dev", "apim-exempt", "apim-expired", "apim-far", "apim-prod"]


@pytest.fixture
def alerting_sweep(functions, sweep_env, receiver, monkeypatch, tmp_path):
    """Run a whole sweep (timer, then every queued message) with a signed webhook; returns the state store."""
    monkeypatch.setenv("MONITOR_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("MONITOR_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("MONITOR_STATE", f"sqlite:{tmp_path / 'state.sqlite'}")
    functions["SweepTimer"].get_user_function()(decode_timer())
    run_queue(functions, sweep_env)
    store = SqliteStateStore(str(tmp_path / "state.sqlite"))
    yield store
    store.close()


def test_sweep_digests_wait_in_the_outbox_to_leave_together(alerting_sweep, receiver) -> None:
    held = alerting_sweep.outbox()
    assert (receiver.requests, len(held) > 1, all(not i.parked for i in held)) == ([], True, True)


def test_sweep_sends_one_merged_digest_per_sink_with_what_a_scan_finds(alerting_sweep, receiver) -> None:
    later = dt.datetime.now(dt.UTC) + SWEEP_HOLD + dt.timedelta(seconds=1)
    Dispatcher(alerting_sweep, [WebhookSink(receiver.url, SECRET)], max_attempts=3, retry_seconds=1).deliver_due(later)
    alerted = sorted(f["api"] for r in receiver.requests for f in json.loads(r.body)["findings"])
    assert (len(receiver.requests), alerted) == (1, ["", "billing", "dev-api", "factory", "ghost", "old-api", "orders"])


def test_malformed_queue_message_is_logged_and_acknowledged(functions, sweep_env, caplog) -> None:
    worker = functions["SweepWorker"].get_user_function()
    with caplog.at_level(logging.ERROR):
        worker(decode_queue("{not json", message_id="m-1"))
    assert "sweep message m-1 dropped" in caplog.text


def test_transient_failure_raises_so_the_queue_retries(functions, sweep_env, arm) -> None:
    work = ServiceWork.from_message(_first_message(functions, sweep_env))
    arm.add_fault("GET", f"/service/{work.facts.ref.service}/apis", status=503, times=50)
    with pytest.raises(TransientAzureError):
        functions["SweepWorker"].get_user_function()(decode_queue(work.to_message(), message_id="m-2"))


def test_last_dequeue_reports_an_error_finding_instead_of_poisoning(functions, sweep_env, arm, caplog) -> None:
    work = ServiceWork.from_message(_first_message(functions, sweep_env))
    arm.add_fault("GET", f"/service/{work.facts.ref.service}/apis", status=503, times=50)
    with caplog.at_level(logging.INFO):
        functions["SweepWorker"].get_user_function()(decode_queue(work.to_message(), dequeue_count=5, message_id="m-3"))
    assert ("giving up after 5 attempts" in caplog.text, "m-3: 1 findings" in caplog.text) == (True, True)


def _first_message(functions, queue: QueueClient) -> str:
    functions["SweepTimer"].get_user_function()(decode_timer())
    message = next(iter(queue.receive_messages(max_messages=1)))
    return str(message.content)


def test_sweep_schedule_comes_from_the_setting(functions) -> None:
    trigger = functions["SweepTimer"].get_trigger()
    assert (trigger.schedule, functions["SweepWorker"].get_trigger().queue_name) == (
        "%MONITOR_SWEEP_SCHEDULE%",
        "%MONITOR_SWEEP_QUEUE%",
    )


@pytest.mark.parametrize(
    ("child", "overrides"),
    [
        pytest.param("/service/apim-prod/workspaces", {}, id="workspaces"),
        pytest.param("/service/apim-prod/workspaces/ws1/apis", {}, id="workspace-apis"),
        pytest.param("/service/apim-prod/gateways", {"self_hosted": "skip"}, id="gateways"),
    ],
)
def test_child_list_404_is_an_error_finding_never_a_deleted_service(arm, make_engine, child, overrides) -> None:
    engine = make_engine(**overrides)
    inventory = take_inventory(engine.clients, [PROD], service="apim-prod")
    arm.add_fault("GET", child, status=404, times=5)
    findings = service_of(engine).sweep(inventory)
    assert [(f.service, f.status, f.reason) for f in findings if f.kind is Kind.API] == [
        ("apim-prod", Status.ERROR, Reason.ARM_ERROR)
    ]


def test_max_dequeue_count_is_host_jsons() -> None:
    host = json.loads((Path(__file__).parent.parent / "host.json").read_text())
    assert host["extensions"]["queues"]["maxDequeueCount"] == MAX_DEQUEUE_COUNT


def test_last_dequeue_whose_report_fails_says_it_goes_to_the_poison_queue(
    functions, sweep_env, arm, monkeypatch, receiver, caplog
) -> None:
    work = ServiceWork.from_message(_first_message(functions, sweep_env))
    function_app.RUNTIME.close()  # a new instance, whose state store is down
    monkeypatch.setenv("MONITOR_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("MONITOR_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv(
        "MONITOR_STATE",
        "tables:DefaultEndpointsProtocol=http;AccountName=x;AccountKey=eA==;TableEndpoint=http://127.0.0.1:9/x",
    )
    with caplog.at_level(logging.ERROR), pytest.raises(StateError):
        functions["SweepWorker"].get_user_function()(
            decode_queue(work.to_message(), dequeue_count=MAX_DEQUEUE_COUNT, message_id="m-4")
        )
    assert "goes to the poison queue apim-sweep-poison" in caplog.text
