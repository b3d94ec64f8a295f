"""monitors.events on malformed input: payloads that are not JSON events, events missing or mistyping a field, and
ARM ids ARM would not allow, each a one-line EventError naming the event."""

from __future__ import annotations

import pytest

from monitors.errors import EventError
from monitors.events import Ignored, ParsedEvent, load_payload, parse_event
from tests.event_files import (
    APIM_CREATED_EG,
    DATA,
    RG,
    SERVICE,
    SERVICE_ID,
    SUB,
    WRITE_EG,
    load_event,
    parse_payload,
    with_changes,
    write_event,
)


def test_array_payload_yields_each_event_in_order():
    parsed = parse_payload((DATA / "batch.event-grid-schema.json").read_bytes())
    assert [type(item) for item in parsed] == [ParsedEvent, Ignored]


def test_single_object_payload_is_one_event():
    assert load_payload((DATA / WRITE_EG).read_text(encoding="utf-8")) == [load_event(WRITE_EG)]


def test_payload_with_byte_order_mark_is_accepted():
    assert load_payload(b"\xef\xbb\xbf" + (DATA / WRITE_EG).read_bytes()) == [load_event(WRITE_EG)]


def test_empty_array_payload_has_no_events():
    assert load_payload("[]") == []


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param("{", id="truncated"),
        pytest.param("not json", id="text"),
        pytest.param(b"\xff\xfe{", id="not-utf8"),
        pytest.param("null", id="null"),
        pytest.param("42", id="number"),
        pytest.param('"event"', id="string"),
        pytest.param("[" * 100_000, id="deeply-nested"),
        pytest.param("1" * 5000, id="huge-integer"),
    ],
)
def test_bad_payload_is_an_event_error(raw):
    with pytest.raises(EventError):
        load_payload(raw)


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(with_changes(WRITE_EG, id=...), id="no-id"),
        pytest.param(with_changes(WRITE_EG, id=""), id="empty-id"),
        pytest.param(with_changes(WRITE_EG, id=7), id="numeric-id"),
        pytest.param(with_changes(WRITE_EG, eventType=""), id="empty-event-type"),
        pytest.param(with_changes(WRITE_EG, eventType=None), id="null-event-type"),
        pytest.param(with_changes(WRITE_EG, subject=...), id="no-subject"),
        pytest.param(with_changes(WRITE_EG, subject=["/subscriptions"]), id="subject-not-a-string"),
        pytest.param(with_changes(WRITE_EG, topic=42), id="topic-not-a-string"),
        pytest.param(with_changes(WRITE_EG, data=["not", "an", "object"]), id="data-is-an-array"),
        pytest.param(with_changes(WRITE_EG, data="text"), id="data-is-a-string"),
        pytest.param(with_changes(WRITE_EG, data={"resourceUri": 5}), id="resource-uri-not-a-string"),
        pytest.param(with_changes(WRITE_EG, data={"resourceUri": ""}), id="resource-uri-empty"),
        pytest.param(with_changes(WRITE_EG, data={}, subject=""), id="nothing-names-the-resource"),
        pytest.param(with_changes(WRITE_EG, eventType=...), id="neither-schema"),
        pytest.param(with_changes("apim_api_created.cloud-events-schema.json", source=...), id="cloud-event-no-source"),
        pytest.param(with_changes("apim_api_created.cloud-events-schema.json", type=...), id="cloud-event-no-type"),
        pytest.param(
            with_changes("apim_api_created.cloud-events-schema.json", specversion="0.3"), id="specversion-0.3"
        ),
        pytest.param(with_changes(APIM_CREATED_EG, data=None, topic=...), id="apim-event-no-topic"),
        pytest.param(with_changes(APIM_CREATED_EG, data=None, subject=""), id="apim-event-empty-subject"),
    ],
)
def test_malformed_event_is_an_event_error(event):
    with pytest.raises(EventError):
        parse_event(event)


@pytest.mark.parametrize(
    "api_segment",
    [
        pytest.param("a*b", id="star"),
        pytest.param("a:b", id="colon"),
        pytest.param("a?b;rev=1", id="question-mark-with-revision"),
        pytest.param("a" * 300, id="300-chars"),
        pytest.param("", id="empty"),
        pytest.param(";rev=1", id="only-a-revision"),
        pytest.param("echo-api;rev=latest", id="non-numeric-revision"),
        pytest.param("echo-api;rev=", id="empty-revision"),
    ],
)
def test_bad_api_id_is_an_event_error(api_segment):
    with pytest.raises(EventError):
        parse_event(write_event(f"{SERVICE_ID}/apis/{api_segment}"))


def test_api_id_of_256_chars_is_accepted():
    parsed = parse_event(write_event(f"{SERVICE_ID}/apis/{'a' * 256}"))
    assert isinstance(parsed, ParsedEvent)


@pytest.mark.parametrize(
    "service",
    [
        pytest.param("1apim", id="starts-with-digit"),
        pytest.param("apim-", id="ends-with-hyphen"),
        pytest.param("apim_prod", id="underscore"),
        pytest.param("a" * 51, id="51-chars"),
        pytest.param("", id="empty"),
    ],
)
def test_bad_service_name_is_an_event_error(service):
    with pytest.raises(EventError):
        parse_event(
            write_event(
                f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/{service}/apis/echo-api"
            )
        )


@pytest.mark.parametrize(
    "resource_id",
    [
        pytest.param(
            f"/subscriptions//resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/{SERVICE}/apis/echo-api",
            id="api",
        ),
        pytest.param("/subscriptions//providers/Microsoft.Security/pricings/Api", id="plan"),
    ],
)
def test_empty_subscription_is_an_event_error(resource_id):
    with pytest.raises(EventError):
        parse_event(write_event(resource_id))


def test_error_message_is_one_line_and_truncated():
    with pytest.raises(EventError) as caught:
        parse_event(write_event(f"{SERVICE_ID}/apis/a*\n{'b' * 1000}"))
    assert "\n" not in str(caught.value)
    assert len(str(caught.value)) < 400


def test_error_message_names_the_event_and_the_value():
    event = write_event(f"{SERVICE_ID}/apis/a*b")
    with pytest.raises(EventError, match=r"a\*b") as caught:
        parse_event(event)
    assert event["id"] in str(caught.value)


def test_collection_of_a_malformed_api_id_is_malformed():
    with pytest.raises(EventError, match="character ARM does not allow"):
        parse_event(write_event(f"{SERVICE_ID}/providers/Microsoft.Security/apiCollections/a*b"))
