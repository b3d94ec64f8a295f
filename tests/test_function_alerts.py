"""The Event Grid function with state in Azure Tables (Azurite) and a signed webhook: alerts arrive once, survive a
state outage, and never carry a secret into the logs. Called as the Functions host calls it."""

from __future__ import annotations

import json
import logging

import pytest
from azure.data.tables import TableServiceClient
from azure.functions.timer import TimerRequest

from emulator.receiver import Receiver
from monitors.errors import StateError
from monitors.runtime import OUTBOX_TIMER_PERIOD
from monitors.state.tables import open_table_store
from tests.alerts.factories import make_alert, outbox_item
from tests.azurite import running_azurite
from tests.conftest import PROD
from tests.worker import decode_event_grid, run_concurrently

SVC = f"/subscriptions/{PROD}/resourceGroups/rg-apis/providers/Microsoft.ApiManagement/service/apim-prod"
SECRET = "whsec_" + "c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw=="


def grid_event(api: str, event_id: str = "2f1e6a5c-0000-4000-8000-00000000000a"):
    """The trigger argument the worker builds from the JSON the host sends for one ResourceWriteSuccess."""
    subject = f"{SVC}/apis/{api}"
    return decode_event_grid(
        {
            "id": event_id,
            "topic": f"/subscriptions/{PROD}/resourceGroups/rg-apis",
            "subject": subject,
            "data": {"resourceUri": subject, "operationName": "Microsoft.ApiManagement/service/apis/write"},
            "eventType": "Microsoft.Resources.ResourceWriteSuccess",
            "eventTime": "2026-11-27T09:00:00Z",
            "dataVersion": "2",
            "metadataVersion": "1",
        }
    )


@pytest.fixture
def alerting_env(monkeypatch, emulator_env, receiver: Receiver):
    """Point the function at the emulator and the receiver; the caller chooses MONITOR_STATE."""
    for key, value in {**emulator_env, "MONITOR_WEBHOOK_URL": receiver.url, "MONITOR_WEBHOOK_SECRET": SECRET}.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


@pytest.fixture
def on_api_event(functions, arm, alerting_env, azurite):
    # The function's store uses the default table names in the shared Azurite: start each test with none.
    service = TableServiceClient.from_connection_string(azurite)
    for table in service.list_tables():
        if table.name.startswith("monitor"):
            service.delete_table(table.name)
    service.close()
    alerting_env.setenv("MONITOR_STATE", f"tables:{azurite}")
    return functions["OnApiEvent"].get_user_function()


def alerted_apis(receiver: Receiver) -> list[str]:
    return [f["api"] for r in receiver.requests for f in json.loads(r.body)["findings"]]


def test_noncompliant_api_event_sends_one_alert(on_api_event, receiver) -> None:
    on_api_event(grid_event("orders"))
    assert alerted_apis(receiver) == ["orders"]


def test_redelivered_event_alerts_once(on_api_event, receiver) -> None:
    on_api_event(grid_event("orders"))
    on_api_event(grid_event("orders"))
    assert alerted_apis(receiver) == ["orders"]


def test_two_events_for_the_same_api_alert_once(on_api_event, receiver) -> None:
    on_api_event(grid_event("orders", "e-1"))
    on_api_event(grid_event("orders;rev=2", "e-2"))
    assert alerted_apis(receiver) == ["orders"]


def test_concurrent_deliveries_of_one_event_alert_once(on_api_event, receiver) -> None:
    results = run_concurrently(on_api_event, [grid_event("orders") for _ in range(4)])
    # Event Grid redelivers every delivery that raised (the event was claimed by another invocation).
    for result in results:
        if isinstance(result, Exception):
            on_api_event(grid_event("orders"))
    assert alerted_apis(receiver) == ["orders"]


def test_compliant_api_event_is_quiet(on_api_event, receiver) -> None:
    on_api_event(grid_event("echo-api"))
    assert receiver.requests == []


def test_sink_outage_keeps_the_alert_for_the_drain_timer(on_api_event, functions, receiver, alerting_env) -> None:
    alerting_env.setenv("MONITOR_ALERT_RETRY_SECONDS", "0")
    receiver.answer((503, {}, b""))
    on_api_event(grid_event("orders"))
    functions["DrainOutbox"].get_user_function()(TimerRequest(past_due=False))
    assert [json.loads(r.body)["findings"][0]["api"] for r in receiver.requests] == ["orders", "orders"]


def test_drain_timer_runs_every_five_minutes(functions) -> None:
    trigger = functions["DrainOutbox"].get_trigger()
    assert (trigger.get_binding_name(), trigger.schedule) == ("timerTrigger", "0 */5 * * * *")
    minutes = int(trigger.schedule.split()[1].removeprefix("*/"))
    assert OUTBOX_TIMER_PERIOD.total_seconds() == 60 * minutes  # pruning's budget is a share of the timer's period


def test_state_outage_raises_so_event_grid_redelivers_and_nothing_is_lost(
    functions, arm, alerting_env, receiver
) -> None:
    handler = functions["OnApiEvent"].get_user_function()
    with running_azurite() as storage:
        alerting_env.setenv("MONITOR_STATE", f"tables:{storage.connection_string}")
        port = storage.port
        storage.stop()
        with pytest.raises(StateError, match="Azure Tables"):
            handler(grid_event("orders"))
    with running_azurite(port=port):
        handler(grid_event("orders"))  # Event Grid's redelivery, once storage is back
    assert alerted_apis(receiver) == ["orders"]


def test_no_secret_reaches_the_logs(on_api_event, receiver, caplog) -> None:
    receiver.answer((500, {}, b"boom"), (302, {"Location": "https://elsewhere.example/x"}, b""))
    with caplog.at_level(logging.DEBUG):
        on_api_event(grid_event("orders", "e-1"))
        on_api_event(grid_event("billing", "e-2"))
    assert ("XXSECRETXX" in caplog.text, SECRET in caplog.text, "AccountKey" in caplog.text) == (False, False, False)


def test_event_after_a_sink_outage_leaves_the_backlog_to_the_drain_timer(on_api_event, receiver, azurite) -> None:
    store = open_table_store(azurite)  # the function's own tables: a backlog of ten undelivered alerts
    for number in range(10):
        store.enqueue(outbox_item((make_alert(f"api-{number}"),), sink="webhook", item_id=f"webhook-backlog-{number}"))
    store.close()
    on_api_event(grid_event("orders"))
    assert len(receiver.requests) == 2  # one sink, two messages per event at most; DrainOutbox sends the rest
