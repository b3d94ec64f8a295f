"""Invocations through the real Python 3.13 worker library: the host's payloads (Event Grid deliveries in both
schemas, queue messages with their trigger metadata, timer ticks, HTTP requests as RpcHttp) converted by the library
itself and run on its thread pool against the ARM emulator and Azurite, and what the library answers the host (an
HTTP function's response encoded as RpcHttp). A failed invocation is what makes the host retry."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

pytest.importorskip(
    "azure_functions_runtime",
    reason="azure-functions-runtime (the worker library) installs on Python 3.13+ only; make test runs these there",
)

import azure.functions as func

from monitors.inventory import ServiceWork
from monitors.runtime import MAX_DEQUEUE_COUNT
from tests.conftest import PROD
from tests.runtime313.host import decode, protos, status_name
from tests.worker import event_grid_payload, http_payload, queue_payload, timer_payload

EVENTS = Path(__file__).parent.parent / "data" / "events"
SINGLE_EVENTS = sorted(p.name for p in EVENTS.glob("*.json") if not p.name.startswith("batch."))
CLOUD_EVENTS = [name for name in SINGLE_EVENTS if "cloud-events" in name]
GRID_EVENTS = [name for name in SINGLE_EVENTS if "event-grid" in name]
APPROVE_URL = "http://127.0.0.1:7071/api/approve"
SVC = f"/subscriptions/{PROD}/resourceGroups/rg-apis/providers/Microsoft.ApiManagement/service/apim-prod"


def outcome(response) -> tuple[str, str]:
    """The invocation's status and, for a failure, the exception the host logs ("Type: message")."""
    return status_name(response.result), response.result.exception.message


def event_about(resource_id: str, event_id: str = "7b0d6c1e-0000-4000-8000-000000000001") -> dict[str, object]:
    """A ResourceWriteSuccess delivery (Event Grid schema) about ``resource_id``."""
    return {
        "id": event_id,
        "topic": f"/subscriptions/{PROD}/resourceGroups/rg-apis",
        "subject": resource_id,
        "data": {"resourceUri": resource_id, "operationName": "Microsoft.ApiManagement/service/apis/write"},
        "eventType": "Microsoft.Resources.ResourceWriteSuccess",
        "eventTime": "2026-11-27T09:00:00Z",
        "dataVersion": "2",
        "metadataVersion": "1",
    }


def first_sweep_message(worker, queue) -> str:
    worker.invoke("SweepTimer", timer_payload())
    return str(next(iter(queue.receive_messages(max_messages=1))).content)


# --- Event Grid ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLOUD_EVENTS)
def test_cloud_events_delivery_is_converted_to_a_cloud_event(name) -> None:
    sent = json.loads((EVENTS / name).read_text())
    event = decode(event_grid_payload(sent))
    assert (type(event), event.id, event.source, event.type, event.specversion, event.get_json()) == (
        func.CloudEvent,
        sent["id"],
        sent["source"],
        sent["type"],
        sent["specversion"],
        sent.get("data"),
    )


@pytest.mark.parametrize("name", GRID_EVENTS)
def test_event_grid_schema_delivery_is_converted_to_an_event_grid_event(name) -> None:
    sent = json.loads((EVENTS / name).read_text())
    event = decode(event_grid_payload(sent))
    assert (type(event), event.id, event.topic, event.event_type, event.data_version) == (
        func.EventGridEvent,
        sent["id"],
        sent.get("topic"),
        sent["eventType"],
        sent.get("dataVersion"),
    )


@pytest.mark.parametrize("name", SINGLE_EVENTS)
def test_every_delivery_in_either_schema_is_handled_and_acknowledged(worker, app_env, caplog, name) -> None:
    with caplog.at_level(logging.INFO, logger="monitors.function"):
        response = worker.invoke("OnApiEvent", event_grid_payload((EVENTS / name).read_text()))
    assert (outcome(response), "ignored" in caplog.text or "status=" in caplog.text) == (("Success", ""), True)


def test_new_api_event_yields_its_finding(worker, app_env, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="monitors.function"):
        response = worker.invoke("OnApiEvent", event_grid_payload(event_about(f"{SVC}/apis/orders")))
    assert (outcome(response), "reason=not_onboarded" in caplog.text) == (("Success", ""), True)


def test_transient_arm_error_fails_the_invocation_so_event_grid_redelivers(worker, app_env, arm) -> None:
    arm.add_fault("GET", "apiCollections", status=503, times=10)
    status, message = outcome(worker.invoke("OnApiEvent", event_grid_payload(event_about(f"{SVC}/apis/orders"))))
    assert (status, message.split(":")[0]) == ("Failure", "TransientAzureError")


def test_queued_onboarding_message_onboards_the_api(worker, onboarding_queue, arm) -> None:
    delivered = worker.invoke("OnApiEvent", event_grid_payload(event_about(f"{SVC}/apis/orders")))
    message = next(iter(onboarding_queue.receive_messages(max_messages=1)))
    onboarded = worker.invoke("OnboardWorker", queue_payload(message.content, message_id=message.id))
    collection = arm.state.has_collection(PROD, "rg-apis", "apim-prod", "orders")
    assert (outcome(delivered), outcome(onboarded), collection) == (("Success", ""), ("Success", ""), True)


def test_concurrent_deliveries_of_one_event_queue_one_onboarding(worker, onboarding_queue) -> None:
    payload = event_grid_payload(event_about(f"{SVC}/apis/orders"))
    first = [outcome(r) for r in worker.invoke_concurrently("OnApiEvent", [payload] * 8)]
    busy = [message.split(":")[0] for status, message in first if status != "Success"]
    # Event Grid redelivers each delivery that failed because another invocation held the event's claim.
    redelivered = {outcome(r) for r in worker.invoke_concurrently("OnApiEvent", [payload] * len(busy))}
    queued = onboarding_queue.peek_messages(max_messages=32)
    assert (set(busy) <= {"EventBusyError"}, redelivered <= {("Success", "")}, len(queued)) == (True, True, 1)


# --- timers and queues ---------------------------------------------------------------------------------------------


def test_timer_tick_fans_out_one_message_per_service(worker, sweep_queue) -> None:
    response = worker.invoke("SweepTimer", timer_payload())
    services = sorted(
        ServiceWork.from_message(m.content).facts.ref.service for m in sweep_queue.receive_messages(max_messages=32)
    )
    assert (outcome(response), services) == (
        ("Success", ""),
        ["apim-cons", "apim-dev", "apim-exempt", "apim-expired", "apim-far", "apim-prod"],
    )


def test_transient_failure_before_the_last_dequeue_fails_so_the_queue_retries(worker, sweep_queue, arm) -> None:
    work = ServiceWork.from_message(first_sweep_message(worker, sweep_queue))
    arm.add_fault("GET", f"/service/{work.facts.ref.service}/apis", status=503, times=50)
    status, message = outcome(worker.invoke("SweepWorker", queue_payload(work.to_message(), dequeue_count=1)))
    assert (status, message.split(":")[0]) == ("Failure", "TransientAzureError")


def test_last_dequeue_count_from_trigger_metadata_reports_instead_of_failing(worker, sweep_queue, arm, caplog) -> None:
    work = ServiceWork.from_message(first_sweep_message(worker, sweep_queue))
    arm.add_fault("GET", f"/service/{work.facts.ref.service}/apis", status=503, times=50)
    payload = queue_payload(work.to_message(), dequeue_count=MAX_DEQUEUE_COUNT, message_id="m-3")
    with caplog.at_level(logging.INFO):
        response = worker.invoke("SweepWorker", payload)
    assert (outcome(response), f"giving up after {MAX_DEQUEUE_COUNT} attempts" in caplog.text) == (
        ("Success", ""),
        True,
    )


def test_malformed_queue_message_is_acknowledged(worker, sweep_queue, caplog) -> None:
    with caplog.at_level(logging.ERROR):
        response = worker.invoke("SweepWorker", queue_payload("{not json", message_id="m-4"))
    assert (outcome(response), "sweep message m-4 dropped" in caplog.text) == (("Success", ""), True)


def test_outbox_timer_runs(worker, app_env) -> None:
    assert outcome(worker.invoke("DrainOutbox", timer_payload(past_due=True))) == ("Success", "")


# --- HTTP ----------------------------------------------------------------------------------------------------------


def test_http_request_is_converted_to_an_http_request() -> None:
    request = decode(
        http_payload(
            "POST",
            f"{APPROVE_URL}?t=link",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=b"t=form",
        )
    )
    assert (
        isinstance(request, func.HttpRequest),
        request.method,
        request.url,
        request.params.get("t"),
        request.headers.get("content-type"),
        request.get_body(),
    ) == (True, "POST", f"{APPROVE_URL}?t=link", "link", "application/x-www-form-urlencoded", b"t=form")


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(http_payload("GET", f"{APPROVE_URL}?t=link"), id="GET"),
        pytest.param(
            http_payload(
                "POST",
                APPROVE_URL,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                body=b"t=link",
            ),
            id="POST",
        ),
    ],
)
def test_approve_without_approval_links_answers_the_host_404(worker, app_env, caplog, payload) -> None:
    app_env.delenv("MONITOR_AUTO_ONBOARD", raising=False)
    with caplog.at_level(logging.ERROR, logger="monitors.function"):
        response = worker.invoke("Approve", payload)
    # The worker's HttpResponse encoding (the function's $return, an "http" output): RpcHttp with the status as a
    # string, the headers, no cookies, content negotiation off and the body as bytes.
    expected = protos().TypedData(
        http=protos().RpcHttp(
            status_code="404",
            headers={"Content-Type": "text/plain; charset=utf-8"},
            enable_content_negotiation=False,
            body=protos().TypedData(bytes=b"Approval links are not enabled on this app."),
        )
    )
    assert (outcome(response), response.return_value, list(response.output_data)) == (
        ("Success", ""),
        expected,
        [],
    )
    assert "approval link refused: MONITOR_AUTO_ONBOARD" in caplog.text
