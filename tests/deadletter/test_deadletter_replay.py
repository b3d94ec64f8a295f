"""``python -m monitors replay --dead-letter``: Event Grid's dead-letter blobs in Azurite, each event through the
function's event path against the ARM emulator, a blob deleted only once all of its events succeeded."""

from __future__ import annotations

import json

from tests.deadletter.conftest import DATA, blob_name, dead_lettered, microsoft_sample, names, put

ECHO_API = "resource_write_success.api.event-grid-schema.json"
ECHO_API_CLOUD = "resource_write_success.api.cloud-events-schema.json"


def test_a_blob_whose_events_all_succeed_is_replayed_and_deleted(replay, container) -> None:
    put(container, blob_name(), [dead_lettered(ECHO_API), microsoft_sample()])
    code, out, err = replay()
    assert (code, names(container), err) == (0, [], "")
    assert "compliant onboarded" in out and "/apis/echo-api" in out  # the finding the function would make
    assert "93902694-901e-008f-6f95-7153a806873c: ignored" in out  # Microsoft's BlobCreated sample: not ours
    assert out.splitlines()[-1] == "1 blobs: 1 replayed and deleted, 0 kept"


def test_cloud_events_dead_letters_are_replayed_too(replay, container) -> None:
    put(container, blob_name(), [dead_lettered(ECHO_API_CLOUD, cloud_events=True), microsoft_sample(cloud_events=True)])
    code, out, _ = replay()
    assert (code, names(container), "compliant onboarded" in out) == (0, [], True)


def test_a_lone_event_object_is_read_as_a_blob_of_one(replay, container) -> None:
    put(container, blob_name(), dead_lettered(ECHO_API))  # as Microsoft's sample shows it
    assert (replay()[0], names(container)) == (0, [])


def test_arm_failing_keeps_the_blob_says_so_and_the_other_blobs_go_on(replay, container, arm) -> None:
    arm.add_fault("GET", "apiCollections", status=500, times=1000)
    failing = put(container, blob_name(hour=9), [dead_lettered(ECHO_API)])
    put(container, blob_name(hour=10), [microsoft_sample()])  # needs no ARM
    code, out, err = replay()
    assert (code, names(container)) == (3, [failing])
    assert err.count("\n") == 1 and err.startswith(f"error: {failing}: event 5f3c1b7e-") and err.endswith("; kept\n")
    assert out.splitlines()[-1] == "2 blobs: 1 replayed and deleted, 1 kept"

    arm.clear_faults()  # ARM is back: the next run replays what was kept
    code, out, _ = replay()
    assert (code, names(container), "compliant onboarded" in out) == (0, [], True)


def test_an_event_already_processed_is_acknowledged_and_its_blob_deleted(replay, container) -> None:
    event = dead_lettered(ECHO_API)
    put(container, blob_name(hour=9), [event])
    assert replay()[0] == 0
    put(container, blob_name(hour=10), [event])  # delivered late after all, or dead-lettered twice
    code, out, _ = replay()
    assert (code, names(container), "already processed; acknowledged" in out) == (0, [], True)


def test_a_malformed_blob_is_one_line_and_kept_while_the_rest_are_replayed(replay, container) -> None:
    # Microsoft's CloudEvents sample exactly as published: a comma after its last member makes it not JSON.
    bad = put(container, blob_name(hour=8), (DATA / "deadletter" / "dead-letter.cloud-events-schema.json").read_bytes())
    not_events = put(container, blob_name(hour=9), b'["not an event"]')
    put(container, blob_name(hour=10), [dead_lettered(ECHO_API)])
    code, out, err = replay()
    assert (code, names(container), out.splitlines()[-1]) == (
        2,
        [bad, not_events],
        "3 blobs: 1 replayed and deleted, 2 kept",
    )
    first, second = err.splitlines()  # one line a blob; the json module's own words differ between Pythons
    assert first.startswith(f"error: {bad}: not JSON (") and first.endswith("); kept")
    assert second == f"error: {not_events}: item 0 is a string, not an event object; kept"


def test_dry_run_lists_without_replaying_or_deleting(replay, container) -> None:
    put(container, blob_name(), [dead_lettered(ECHO_API), microsoft_sample()])
    code, out, _ = replay("--dry-run")
    assert (code, names(container)) == (0, [blob_name()])
    assert "would replay" in out and "MaxDeliveryAttemptsExceeded (last NotFound)" in out
    assert "compliant onboarded" not in out and out.splitlines()[-1].endswith("nothing replayed (--dry-run)")
    code, out, _ = replay()  # nothing was marked processed: the real run evaluates the event
    assert (code, "compliant onboarded" in out, "already processed" in out) == (0, True, False)


def test_since_replays_only_blobs_written_since_then(replay, container) -> None:
    old = put(container, blob_name(day=5, hour=3), [dead_lettered(ECHO_API)])
    put(container, blob_name(day=27, hour=9), [microsoft_sample()])
    code, out, _ = replay("--since", "2026-11-06")
    assert (code, names(container), out.splitlines()[-1]) == (0, [old], "1 blobs: 1 replayed and deleted, 0 kept")
    assert replay("--since", "2026-11-05T03:59:59Z")[0] == 0  # that hour's blob may hold events from then on
    assert names(container) == []


def test_a_duration_since_leaves_older_blobs(replay, container) -> None:
    old = put(container, blob_name(day=5), [microsoft_sample()])
    assert (replay("--since", "36h")[0], names(container)) == (0, [old])  # 2026-11-05 is long before now - 36 h


def test_a_bad_since_is_a_usage_error(replay, container) -> None:
    code, _, err = replay("--since", "last tuesday")
    assert (code, err.count("\n"), err.startswith("error: --since='last tuesday'")) == (2, 1, True)


def test_no_container_is_a_configuration_error(replay, account) -> None:
    code, _, err = replay()
    assert (code, err) == (
        2,
        "error: MONITOR_DEADLETTER_CONTAINER=deadletter: no such container in the dead-letter storage account\n",
    )


def test_no_storage_account_is_a_configuration_error(replay, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MONITOR_STATE", f"sqlite:{tmp_path / 'state.sqlite'}")
    code, _, err = replay()
    assert (code, err.startswith("error: MONITOR_DEADLETTER_ACCOUNT_URL: not set"), err.count("\n")) == (2, True, 1)


def test_the_container_setting_names_where_to_look(replay, account, monkeypatch) -> None:
    from azure.storage.blob import ContainerClient

    with ContainerClient.from_connection_string(account.connection_string, "eg-dead") as other:
        other.create_container()
        put(other, blob_name(), [microsoft_sample()])
        monkeypatch.setenv("MONITOR_DEADLETTER_CONTAINER", "eg-dead")
        assert (replay()[0], names(other)) == (0, [])


def test_a_changed_service_goes_to_the_sweep_queue_as_the_function_sends_it(replay, container, account, monkeypatch):
    from azure.storage.queue import QueueClient

    monkeypatch.setenv("AzureWebJobsStorage", account.connection_string)
    service = json.loads(json.dumps(dead_lettered(ECHO_API)))
    service_id = str(service["subject"]).split("/apis/")[0]
    service.update(subject=service_id, data={**service["data"], "resourceUri": service_id})
    service["data"]["operationName"] = "Microsoft.ApiManagement/service/write"
    put(container, blob_name(), [service])
    code, out, _ = replay()
    assert (code, names(container), "changed; queued for reconciling" in out) == (0, [], True)
    with QueueClient.from_connection_string(account.connection_string, "apim-sweep") as queue:
        assert len(list(queue.peek_messages(max_messages=5))) == 1
