"""The function app called exactly as the Python worker calls it: each trigger argument decoded by azure-functions'
own converters from the JSON the host sends, concurrently where the worker's thread pool runs invocations."""

from __future__ import annotations

import json
import logging
import sys
import time
import typing
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from azure.storage.queue import QueueClient

import function_app
from monitors.azure.clients import ArmClients
from monitors.engine import Engine
from monitors.errors import CredentialError, SettingsError, TransientAzureError
from monitors.model import Action, ApiRef, Reason, Status
from tests.conftest import PROD
from tests.worker import decode_event_grid, decode_queue, run_concurrently

SVC = f"/subscriptions/{PROD}/resourceGroups/rg-apis/providers/Microsoft.ApiManagement/service/apim-prod"
EVENTS = Path(__file__).parent / "data" / "events"
SINGLE_EVENTS = sorted(p.name for p in EVENTS.glob("*.json") if not p.name.startswith("batch."))
CLOUD_EVENTS = [name for name in SINGLE_EVENTS if "cloud-events" in name]


def host_json(
    resource_id: str, event_type: str = "Microsoft.Resources.ResourceWriteSuccess", **changes
) -> dict[str, typing.Any]:
    """The JSON the host sends for one ResourceWriteSuccess-shaped event about ``resource_id``."""
    event = {
        "id": "5d7e1d2c-0000-4000-8000-000000000001",
        "topic": f"/subscriptions/{PROD}/resourceGroups/rg-apis",
        "subject": resource_id,
        "data": {"resourceUri": resource_id, "operationName": "Microsoft.ApiManagement/service/apis/write"},
        "eventType": event_type,
        "eventTime": "2026-11-27T09:00:00Z",
        "dataVersion": "2",
        "metadataVersion": "1",
    }
    return {**event, **changes}


def delivered(resource_id: str, **changes):
    return decode_event_grid(host_json(resource_id, **changes))


@pytest.fixture
def env(arm, monkeypatch, emulator_env):
    for key, value in emulator_env.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


@pytest.fixture
def on_api_event(functions, env):
    return functions["OnApiEvent"].get_user_function()


@pytest.fixture
def onboarding(functions, env, storage, tmp_path):
    """Auto-onboarding on, with the Functions storage account (Azurite queues) and a SQLite state store."""
    env.setenv("MONITOR_AUTO_ONBOARD", "on")
    env.setenv("MONITOR_STATE", f"sqlite:{tmp_path / 'state.sqlite'}")
    return QueueClient.from_connection_string(storage.connection_string, "apim-onboard")


def run_onboard_queue(functions, queue: QueueClient) -> int:
    """Deliver every queued onboarding message to OnboardWorker as the host would; returns how many there were."""
    worker = functions["OnboardWorker"].get_user_function()
    messages = list(queue.receive_messages(max_messages=32))
    for message in messages:
        worker(decode_queue(message.content, message_id=message.id))
        queue.delete_message(message)
    return len(messages)


def puts(arm) -> list[str]:
    return [r.path for r in arm.requests if r.method == "PUT"]


def test_function_is_bound_to_event_grid(functions) -> None:
    trigger = functions["OnApiEvent"].get_trigger()
    assert (trigger.get_binding_name(), trigger.name) == ("eventGridTrigger", "event")


@pytest.mark.parametrize("name", ["OnApiEvent", "OnboardWorker", "SweepTimer", "SweepWorker", "DrainOutbox"])
def test_trigger_parameter_is_annotated_with_one_class_as_the_worker_requires(functions, name) -> None:
    # The worker's function loader refuses any other annotation ("invalid non-type annotation"): the app would not load.
    function = functions[name].get_user_function()
    annotation = typing.get_type_hints(function)[functions[name].get_trigger().name]
    assert isinstance(annotation, type)


def test_onboarding_worker_is_bound_to_the_onboarding_queue(functions) -> None:
    trigger = functions["OnboardWorker"].get_trigger()
    assert (trigger.get_binding_name(), trigger.queue_name, trigger.connection) == (
        "queueTrigger",
        "%MONITOR_ONBOARD_QUEUE%",
        "AzureWebJobsStorage",
    )


@pytest.mark.parametrize("name", SINGLE_EVENTS)
def test_every_fixture_as_the_worker_decodes_it_is_handled(on_api_event, caplog, name) -> None:
    with caplog.at_level(logging.INFO, logger="monitors.function"):
        on_api_event(decode_event_grid((EVENTS / name).read_text()))
    assert "ignored" in caplog.text or "status=" in caplog.text


@pytest.mark.parametrize("name", CLOUD_EVENTS)
def test_cloud_events_delivery_arrives_as_a_cloud_event(name) -> None:
    assert type(decode_event_grid((EVENTS / name).read_text())).__name__ == "CloudEvent"


def test_cloud_event_about_an_api_yields_its_finding(on_api_event, caplog) -> None:
    event = json.loads((EVENTS / "resource_write_success.api.cloud-events-schema.json").read_text())
    with caplog.at_level(logging.INFO, logger="monitors.function"):
        on_api_event(decode_event_grid(event))
    assert "status=" in caplog.text


def test_new_api_event_logs_a_noncompliant_finding(on_api_event, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="monitors.function"):
        on_api_event(delivered(f"{SVC}/apis/orders"))
    assert "reason=not_onboarded" in caplog.text


def test_apim_native_event_is_understood(on_api_event, caplog) -> None:
    event = host_json("", "Microsoft.ApiManagement.APIUpdated", topic=SVC, subject="/apis/echo-api;Rev=1", data={})
    with caplog.at_level(logging.INFO, logger="monitors.function"):
        on_api_event(decode_event_grid(event))
    assert "reason=onboarded" in caplog.text


def test_sub_resource_event_is_acknowledged_without_arm_calls(on_api_event, arm, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="monitors.function"):
        on_api_event(delivered(f"{SVC}/apis/orders/operations/get-order"))
    assert ("ignored" in caplog.text, arm.request_count) == (True, 0)


def test_malformed_event_is_acknowledged_with_a_reason(on_api_event, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="monitors.function"):
        on_api_event(delivered(f"{SVC}/apis/bad*id"))
    assert "malformed event" in caplog.text


def test_transient_arm_error_raises_so_event_grid_redelivers(on_api_event, arm) -> None:
    arm.add_fault("GET", "apiCollections", status=503, times=10)
    with pytest.raises(TransientAzureError):
        on_api_event(delivered(f"{SVC}/apis/orders"))


def test_bad_setting_raises_naming_it_so_no_event_is_lost(on_api_event, monkeypatch) -> None:
    monkeypatch.setenv("MONITOR_AUTO_ONBOARD", "yes")
    with pytest.raises(SettingsError, match="MONITOR_AUTO_ONBOARD"):
        on_api_event(delivered(f"{SVC}/apis/orders"))


# --- onboarding leaves the event path ------------------------------------------------------------------------------


def test_event_queues_onboarding_instead_of_waiting_for_it(on_api_event, onboarding, arm) -> None:
    on_api_event(delivered(f"{SVC}/apis/orders;rev=2"))
    assert (puts(arm), onboarding.peek_messages(max_messages=5)[0].content) == (
        [],
        json.dumps(
            {"v": 1, "kind": "onboard", "api": f"{SVC}/apis/orders", "event_id": host_json("")["id"]},
            separators=(",", ":"),
        ),
    )


def test_onboarding_worker_onboards_the_queued_api(on_api_event, functions, onboarding, arm) -> None:
    on_api_event(delivered(f"{SVC}/apis/orders"))
    run_onboard_queue(functions, onboarding)
    assert arm.state.has_collection(PROD, "rg-apis", "apim-prod", "orders")


def test_slow_onboarding_does_not_hold_the_event_function(on_api_event, onboarding, arm) -> None:
    arm.set_lro_mode("202", polls=1000)  # an onboarding that would poll until its timeout
    start = time.monotonic()
    on_api_event(delivered(f"{SVC}/apis/orders"))
    assert time.monotonic() - start < 5


def test_duplicate_delivery_queues_and_onboards_once(on_api_event, functions, onboarding, arm) -> None:
    on_api_event(delivered(f"{SVC}/apis/orders"))
    on_api_event(delivered(f"{SVC}/apis/orders"))
    assert (run_onboard_queue(functions, onboarding), len(puts(arm))) == (1, 1)


def test_failed_attempt_gives_its_claim_back_for_an_immediate_redelivery(on_api_event, onboarding, arm) -> None:
    arm.add_fault("GET", "apiCollections", status=503, times=3)
    with pytest.raises(TransientAzureError):
        on_api_event(delivered(f"{SVC}/apis/orders"))
    on_api_event(delivered(f"{SVC}/apis/orders"))
    assert len(onboarding.peek_messages(max_messages=5)) == 1


def test_malformed_onboarding_message_is_logged_and_acknowledged(functions, onboarding, caplog) -> None:
    with caplog.at_level(logging.ERROR):
        functions["OnboardWorker"].get_user_function()(decode_queue('{"v":1,"kind":"onboard","api":"/x/.."}'))
    assert "onboarding message m-1 dropped" in caplog.text


# --- offboarding and service changes are noticed within seconds ----------------------------------------------------


def test_offboarding_an_api_is_noticed_from_its_collection_delete(on_api_event, arm, caplog) -> None:
    arm.state.remove_collection(PROD, "rg-apis", "apim-prod", "echo-api")
    collection = f"{SVC}/providers/Microsoft.Security/apiCollections/echo-api"
    event = host_json(collection, "Microsoft.Resources.ResourceDeleteSuccess")
    with caplog.at_level(logging.INFO, logger="monitors.function"):
        on_api_event(decode_event_grid(event))
    assert "apis/echo-api status=noncompliant reason=not_onboarded" in caplog.text


def test_service_write_queues_the_whole_service_for_reconciling(on_api_event, env, storage) -> None:
    on_api_event(delivered(SVC))
    queue = QueueClient.from_connection_string(storage.connection_string, "apim-sweep")
    body = json.loads(queue.peek_messages(max_messages=5)[0].content)
    assert (body["service"], body["sku"]) == ("apim-prod", "Premium")


# --- platform failures ---------------------------------------------------------------------------------------------


class BrokenIdentity:
    """What DefaultAzureCredential raises when the managed identity endpoint cannot be reached."""

    def get_token(self, *scopes: str, **kwargs) -> AccessToken:
        raise ClientAuthenticationError("ManagedIdentityCredential: the IMDS endpoint did not answer")


def test_broken_identity_raises_instead_of_a_permission_finding(make_settings) -> None:
    settings = make_settings(arm_endpoint="https://127.0.0.1:9")
    engine = Engine(settings, ArmClients(settings, credential=BrokenIdentity()))
    with pytest.raises(CredentialError, match="no ARM token"):
        engine.handle_event(host_json(f"{SVC}/apis/orders"))


def test_cold_start_builds_exactly_one_runtime(env, storage, monkeypatch) -> None:
    monkeypatch.setenv("MONITOR_STATE", "")  # the Functions storage account (Azurite tables), as in Azure
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as a busy host might
    try:
        runtimes = run_concurrently(lambda _: function_app.RUNTIME.get(), range(8))
    finally:
        sys.setswitchinterval(previous)
    assert (len({id(r) for r in runtimes}), type(runtimes[0]).__name__) == (1, "Runtime")


def test_onboarding_answer_without_provisioning_state_is_done(arm, make_engine) -> None:
    arm.set_lro_mode("200-bare")
    finding = make_engine(auto_onboard="on").check_api(ApiRef(PROD, "rg-apis", "apim-prod", "orders"))
    polls = [r for r in arm.requests if r.method == "GET" and "apiCollections/orders" in r.path]
    assert (finding.status, finding.reason, finding.action, len(polls)) == (
        Status.COMPLIANT,
        Reason.ONBOARDED,
        Action.ONBOARDED,
        1,  # the check before onboarding; none after the PUT
    )


def test_onboarding_deferred_by_the_rate_limit_goes_back_on_the_queue(
    on_api_event, functions, onboarding, arm, env
) -> None:
    env.setenv("MONITOR_ONBOARD_MAX_PER_MINUTE", "1")
    on_api_event(delivered(f"{SVC}/apis/orders", id="e-orders"))
    on_api_event(delivered(f"{SVC}/apis/billing", id="e-billing"))
    run_onboard_queue(functions, onboarding)
    assert (
        arm.state.has_collection(PROD, "rg-apis", "apim-prod", "orders"),
        arm.state.has_collection(PROD, "rg-apis", "apim-prod", "billing"),
        onboarding.get_queue_properties().approximate_message_count,
    ) == (True, False, 1)


def test_last_failed_onboarding_attempt_says_it_goes_to_the_poison_queue(functions, onboarding, arm, caplog) -> None:
    arm.add_fault("GET", "apiCollections", status=503, times=20)
    message = json.dumps({"v": 1, "kind": "onboard", "api": f"{SVC}/apis/orders", "event_id": "e-1"})
    with caplog.at_level(logging.ERROR), pytest.raises(TransientAzureError):
        functions["OnboardWorker"].get_user_function()(decode_queue(message, dequeue_count=5))
    assert "the message goes to the poison queue apim-onboard-poison" in caplog.text
