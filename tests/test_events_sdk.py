"""monitors.events against the Azure SDK: its event type constants are the SDK's, and events built with the SDK's
own EventGridEvent and CloudEvent models parse after a round trip through JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridEvent, SystemEventNames

from monitors import events
from monitors.events import ParsedEvent
from tests.event_files import ECHO, ECHO_ID, RG, SERVICE_ID, SUB, parse_payload


@pytest.mark.parametrize(
    ("constant", "sdk_name"),
    [
        pytest.param(events.RESOURCE_WRITE_SUCCESS, SystemEventNames.ResourceWriteSuccessEventName, id="write"),
        pytest.param(events.RESOURCE_DELETE_SUCCESS, SystemEventNames.ResourceDeleteSuccessEventName, id="delete"),
        pytest.param(events.APIM_API_CREATED, SystemEventNames.ApiManagementApiCreatedEventName, id="api-created"),
        pytest.param(events.APIM_API_UPDATED, SystemEventNames.ApiManagementApiUpdatedEventName, id="api-updated"),
        pytest.param(events.APIM_API_DELETED, SystemEventNames.ApiManagementApiDeletedEventName, id="api-deleted"),
        pytest.param(
            events.SUBSCRIPTION_VALIDATION, SystemEventNames.EventGridSubscriptionValidationEventName, id="validation"
        ),
    ],
)
def test_event_type_constants_match_the_sdk(constant, sdk_name):
    assert constant == sdk_name.value


def event_grid_json(event: EventGridEvent) -> str:
    # Model.serialize() is msrest's public "JSON that would be sent to Azure"; it turns the UUID id and the ISO string
    # event_time of a locally built event into wire strings.
    return json.dumps(event.serialize())


def cloud_event_json(event: CloudEvent[Any]) -> str:
    # CloudEvent has no public serialiser: build the CloudEvents 1.0 JSON from its documented attributes.
    body = {
        "specversion": event.specversion,
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "subject": event.subject,
        "time": event.time.isoformat() if event.time else None,
        "data": event.data,
    }
    return json.dumps({key: value for key, value in body.items() if value is not None})


@pytest.mark.parametrize(
    ("event_type", "subject", "topic", "data", "deleted"),
    [
        pytest.param(
            SystemEventNames.ResourceWriteSuccessEventName.value,
            ECHO_ID,
            f"/subscriptions/{SUB}/resourceGroups/{RG}",
            {"resourceUri": ECHO_ID, "operationName": "Microsoft.ApiManagement/service/apis/write"},
            False,
            id="write",
        ),
        pytest.param(
            SystemEventNames.ResourceDeleteSuccessEventName.value,
            ECHO_ID,
            f"/subscriptions/{SUB}/resourceGroups/{RG}",
            {"resourceUri": ECHO_ID, "operationName": "Microsoft.ApiManagement/service/apis/delete"},
            True,
            id="delete",
        ),
        pytest.param(
            SystemEventNames.ApiManagementApiUpdatedEventName.value,
            "/apis/echo-api;Rev=2",
            SERVICE_ID,
            {},
            False,
            id="apim-updated",
        ),
    ],
)
def test_event_grid_event_round_trips(event_type, subject, topic, data, deleted):
    sent = EventGridEvent(subject=subject, event_type=event_type, data=data, data_version="2", topic=topic)
    assert parse_payload(event_grid_json(sent)) == [ParsedEvent(str(sent.id), event_type, ECHO, deleted)]


@pytest.mark.parametrize(
    ("event_type", "source", "subject", "deleted"),
    [
        pytest.param(
            SystemEventNames.ResourceWriteSuccessEventName.value,
            f"/subscriptions/{SUB}/resourceGroups/{RG}",
            ECHO_ID,
            False,
            id="write",
        ),
        pytest.param(
            SystemEventNames.ApiManagementApiDeletedEventName.value, SERVICE_ID, "/apis/echo-api;Rev=1", True, id="apim"
        ),
    ],
)
def test_cloud_event_round_trips(event_type, source, subject, deleted):
    sent: CloudEvent[Any] = CloudEvent(source=source, type=event_type, subject=subject, data={})
    assert parse_payload(cloud_event_json(sent)) == [ParsedEvent(sent.id, event_type, ECHO, deleted)]


def test_event_grid_event_batch_round_trips():
    batch = [
        EventGridEvent(subject=subject, event_type=events.RESOURCE_WRITE_SUCCESS, data={}, data_version="2")
        for subject in (ECHO_ID, f"{ECHO_ID};rev=2")
    ]
    raw = json.dumps([event.serialize() for event in batch]).encode()
    assert parse_payload(raw) == [
        ParsedEvent(str(batch[0].id), events.RESOURCE_WRITE_SUCCESS, ECHO, False),
        ParsedEvent(str(batch[1].id), events.RESOURCE_WRITE_SUCCESS, ECHO, False),
    ]
