"""Tests for monitors.events: both delivery schemas, both event sources, ARM id parsing and malformed input."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from azure.core.messaging import CloudEvent
from azure.eventgrid import EventGridEvent, SystemEventNames
from hypothesis import given, settings
from hypothesis import strategies as st

from monitors import events
from monitors.errors import EventError
from monitors.events import Ignored, ParsedEvent, load_payload, parse_event
from monitors.model import ApiRef, PlanRef, ServiceRef

DATA = Path(__file__).parent / "data" / "events"
SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg-apis"
SERVICE = "apim-prod"
SERVICE_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/{SERVICE}"
ECHO_ID = f"{SERVICE_ID}/apis/echo-api"
ECHO = ApiRef(SUB, RG, SERVICE, "echo-api")
FIXTURES = sorted(path.name for path in DATA.glob("*.json") if not path.name.startswith("batch."))
WRITE_EG = "resource_write_success.api.event-grid-schema.json"
APIM_CREATED_EG = "apim_api_created.event-grid-schema.json"


def load_event(name: str) -> dict[str, Any]:
    """One of our fixture events, freshly parsed so a test may change it."""
    event: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return event


def write_event(resource_id: str) -> dict[str, Any]:
    """The Event Grid ResourceWriteSuccess fixture, re-pointed at another ARM id."""
    event = load_event(WRITE_EG)
    event["subject"] = resource_id
    event["data"]["resourceUri"] = resource_id
    return event


def with_changes(name: str, **changes: Any) -> dict[str, Any]:
    """A fixture event with top-level fields replaced; a value of ... removes the field."""
    event = load_event(name)
    event.update({key: value for key, value in changes.items() if value is not ...})
    return {key: value for key, value in event.items() if changes.get(key) is not ...}


def parse_payload(raw: str | bytes) -> list[ParsedEvent | Ignored]:
    return [parse_event(event) for event in load_payload(raw)]


# --- contract ------------------------------------------------------------------------------------------------------


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


# --- accepted events -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "event_type", "deleted"),
    [
        pytest.param(WRITE_EG, events.RESOURCE_WRITE_SUCCESS, False, id="write-event-grid"),
        pytest.param(
            "resource_write_success.api.cloud-events-schema.json",
            events.RESOURCE_WRITE_SUCCESS,
            False,
            id="write-cloud-events",
        ),
        pytest.param(
            "resource_delete_success.api.event-grid-schema.json",
            events.RESOURCE_DELETE_SUCCESS,
            True,
            id="delete-event-grid",
        ),
        pytest.param(
            "resource_delete_success.api.cloud-events-schema.json",
            events.RESOURCE_DELETE_SUCCESS,
            True,
            id="delete-cloud-events",
        ),
        pytest.param(APIM_CREATED_EG, events.APIM_API_CREATED, False, id="apim-created-event-grid"),
        pytest.param(
            "apim_api_created.cloud-events-schema.json", events.APIM_API_CREATED, False, id="apim-created-cloud-events"
        ),
        pytest.param(
            "apim_api_updated.event-grid-schema.json", events.APIM_API_UPDATED, False, id="apim-updated-event-grid"
        ),
        pytest.param(
            "apim_api_updated.cloud-events-schema.json", events.APIM_API_UPDATED, False, id="apim-updated-cloud-events"
        ),
        pytest.param(
            "apim_api_deleted.event-grid-schema.json", events.APIM_API_DELETED, True, id="apim-deleted-event-grid"
        ),
        pytest.param(
            "apim_api_deleted.cloud-events-schema.json", events.APIM_API_DELETED, True, id="apim-deleted-cloud-events"
        ),
    ],
)
def test_accepted_event_names_its_api(name, event_type, deleted):
    event = load_event(name)
    assert parse_event(event) == ParsedEvent(event["id"], event_type, ECHO, deleted)


def test_workspace_api_names_its_workspace():
    parsed = parse_event(load_event("resource_write_success.workspace_api.event-grid-schema.json"))
    assert isinstance(parsed, ParsedEvent)
    assert parsed.target == ApiRef(SUB, RG, SERVICE, "payments-api", workspace="team-payments")


def test_pricing_event_names_the_plan():
    parsed = parse_event(load_event("resource_write_success.pricing.event-grid-schema.json"))
    assert isinstance(parsed, ParsedEvent)
    assert parsed.target == PlanRef(SUB)


@pytest.mark.parametrize(
    "name",
    [pytest.param("api", id="lower"), pytest.param("API", id="upper"), pytest.param("Api", id="as-documented")],
)
def test_pricing_name_matches_in_any_case(name):
    parsed = parse_event(write_event(f"/subscriptions/{SUB}/providers/Microsoft.Security/pricings/{name}"))
    assert isinstance(parsed, ParsedEvent)
    assert parsed.target == PlanRef(SUB)


@pytest.mark.parametrize(
    "resource_id",
    [
        pytest.param(f"{ECHO_ID};rev=2", id="lower"),
        pytest.param(f"{ECHO_ID};Rev=3", id="apim-style"),
        pytest.param(f"{ECHO_ID};REV=10", id="upper"),
        pytest.param(f"{ECHO_ID}%3Brev%3D2", id="url-encoded"),
        pytest.param(f"{ECHO_ID}%3bRev%3d2", id="url-encoded-lower-hex"),
    ],
)
def test_revision_suffix_is_stripped(resource_id):
    parsed = parse_event(write_event(resource_id))
    assert isinstance(parsed, ParsedEvent)
    assert parsed.target == ECHO


def test_revision_fixture_names_its_api():
    parsed = parse_event(load_event("resource_write_success.revision.event-grid-schema.json"))
    assert isinstance(parsed, ParsedEvent)
    assert parsed.target == ECHO


def test_deleting_a_revision_is_not_an_api_delete():
    event = with_changes("resource_delete_success.api.event-grid-schema.json", subject=f"{ECHO_ID};rev=2")
    event["data"]["resourceUri"] = f"{ECHO_ID};rev=2"
    parsed = parse_event(event)
    assert isinstance(parsed, ParsedEvent)
    assert (parsed.target, parsed.deleted) == (ECHO, False)


def test_lower_case_resourcegroups_is_accepted():
    parsed = parse_event(
        write_event(
            f"/subscriptions/{SUB}/resourcegroups/{RG}/providers/microsoft.apimanagement/service/{SERVICE}/apis/echo-api"
        )
    )
    assert isinstance(parsed, ParsedEvent)
    assert parsed.target == ECHO


@pytest.mark.parametrize(
    "resource_id",
    [
        pytest.param(
            f"/SUBSCRIPTIONS/{SUB}/RESOURCEGROUPS/Rg-Apis/PROVIDERS/MICROSOFT.APIMANAGEMENT/SERVICE/Apim-Prod/APIS/Echo-Api",
            id="upper",
        ),
        pytest.param(
            f"/Subscriptions/{SUB}/ResourceGroups/Rg-Apis/Providers/Microsoft.ApiManagement/Service/Apim-Prod/Apis/Echo-Api",
            id="title",
        ),
    ],
)
def test_keywords_match_in_any_case_and_names_keep_theirs(resource_id):
    parsed = parse_event(write_event(resource_id))
    assert isinstance(parsed, ParsedEvent)
    assert parsed.target == ApiRef(SUB, "Rg-Apis", "Apim-Prod", "Echo-Api")


def test_mixed_case_workspace_keywords_are_accepted():
    parsed = parse_event(write_event(f"{SERVICE_ID}/WorkSpaces/Team-A/APIs/echo-api;Rev=4"))
    assert isinstance(parsed, ParsedEvent)
    assert parsed.target == ApiRef(SUB, RG, SERVICE, "echo-api", workspace="Team-A")


def test_event_type_matches_in_any_case_and_is_reported_canonically():
    parsed = parse_event(with_changes(WRITE_EG, eventType="microsoft.resources.resourcewritesuccess"))
    assert isinstance(parsed, ParsedEvent)
    assert parsed.event_type == events.RESOURCE_WRITE_SUCCESS


def test_subject_and_resource_uri_naming_different_resources_are_ignored_naming_both():
    event = with_changes(WRITE_EG, subject=f"{SERVICE_ID}/apis/other-api")
    reason = parse_event(event).reason
    assert ("other-api" in reason, "echo-api" in reason, "different resources" in reason) == (True, True, True)


def test_subject_and_resource_uri_differing_only_in_case_agree():
    event = with_changes(WRITE_EG, subject=ECHO_ID.upper().replace("/SUBSCRIPTIONS/", "/subscriptions/"))
    assert parse_event(event).target == ECHO


def test_cloud_event_with_only_binary_data_gets_a_one_line_reason():
    event = {**load_event("resource_write_success.api.cloud-events-schema.json"), "data_base64": "e30="}
    del event["data"]
    with pytest.raises(EventError, match="data_base64"):
        parse_event(event)


def test_one_non_object_item_of_a_batch_rejects_only_itself():
    raw = json.dumps([[], load_event(WRITE_EG)])
    outcomes = []
    for event in load_payload(raw):
        try:
            outcomes.append(type(parse_event(event)).__name__)
        except EventError:
            outcomes.append("malformed")
    assert outcomes == ["malformed", "ParsedEvent"]


def test_resource_event_without_resource_uri_uses_the_subject():
    event = write_event(f"{SERVICE_ID}/apis/other-api")
    event["subject"] = ECHO_ID
    del event["data"]["resourceUri"]
    assert parse_event(event) == ParsedEvent(event["id"], events.RESOURCE_WRITE_SUCCESS, ECHO, False)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(APIM_CREATED_EG, id="event-grid-topic"),
        pytest.param("apim_api_created.cloud-events-schema.json", id="cloud-events-source"),
    ],
)
def test_apim_event_without_resource_uri_uses_service_and_subject(name):
    event = with_changes(name, data={})
    assert parse_event(event) == ParsedEvent(event["id"], events.APIM_API_CREATED, ECHO, False)


def test_apim_event_whose_topic_and_subject_disagree_with_resource_uri_is_ignored():
    event = with_changes(APIM_CREATED_EG, subject="/apis/other-api;Rev=1")
    reason = parse_event(event).reason
    assert ("other-api" in reason, "echo-api" in reason) == (True, True)


def test_apim_event_in_a_workspace_names_its_workspace():
    event = with_changes(APIM_CREATED_EG, subject="/workspaces/team-a/apis/echo-api;Rev=1", data=None)
    parsed = parse_event(event)
    assert isinstance(parsed, ParsedEvent)
    assert parsed.target == ApiRef(SUB, RG, SERVICE, "echo-api", workspace="team-a")


# --- ignored events ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "child",
    [
        pytest.param(child, id=child)
        for child in (
            "operations/get-echo",
            "policies/policy",
            "policy",
            "schemas/schema-1",
            "tags/internal",
            "releases/release-1",
            "diagnostics/applicationinsights",
            "issues/issue-1",
            "tagDescriptions/internal",
            "wikis/default",
            "resolvers/resolver-1",
            "operationsByTag",
            "OPERATIONS/get-echo",
        )
    ],
)
def test_api_sub_resource_is_ignored(child):
    parsed = parse_event(write_event(f"{ECHO_ID};rev=2/{child}"))
    assert isinstance(parsed, Ignored)
    assert child.split("/")[0] in parsed.reason
    assert "'echo-api'" in parsed.reason


def test_operation_fixture_is_ignored():
    assert isinstance(parse_event(load_event("resource_write_success.operation.event-grid-schema.json")), Ignored)


def test_unknown_api_child_is_ignored():
    parsed = parse_event(write_event(f"{ECHO_ID}/somethingNew/x"))
    assert isinstance(parsed, Ignored)
    assert "somethingNew" in parsed.reason


def test_workspace_api_sub_resource_is_ignored():
    assert isinstance(
        parse_event(write_event(f"{SERVICE_ID}/workspaces/team-a/apis/echo-api/policies/policy")), Ignored
    )


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param("/products/starter", id="product"),
        pytest.param("/gateways/gw-onprem/apis/echo-api", id="gateway-api"),
        pytest.param("/workspaces/team-a", id="workspace"),
        pytest.param("/namedValues/backend-key", id="named-value"),
        pytest.param("/apiVersionSets/echo-versions", id="version-set"),
    ],
)
def test_apim_resource_that_is_not_an_api_is_ignored(tail):
    assert isinstance(parse_event(write_event(f"{SERVICE_ID}{tail}")), Ignored)


@pytest.mark.parametrize(
    "resource_id",
    [
        pytest.param(f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Web/sites/fn-apis", id="web-app"),
        pytest.param(f"/subscriptions/{SUB}/resourceGroups/{RG}", id="resource-group"),
        pytest.param(f"/subscriptions/{SUB}", id="subscription"),
        pytest.param("not-an-arm-id", id="not-an-id"),
        pytest.param(f"/subscriptions/{SUB}/providers/Microsoft.Security/pricings/VirtualMachines", id="other-pricing"),
        pytest.param(
            f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service", id="no-name"
        ),
    ],
)
def test_resource_that_is_not_an_apim_api_is_ignored(resource_id):
    assert isinstance(parse_event(write_event(resource_id)), Ignored)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("resource_write_success.storage_account.event-grid-schema.json", id="storage-account"),
        pytest.param("resource_write_failure.api.event-grid-schema.json", id="write-failure"),
        pytest.param("apim_gateway_api_added.event-grid-schema.json", id="gateway-api-added"),
        pytest.param("subscription_validation.event-grid-schema.json", id="subscription-validation"),
    ],
)
def test_fixture_is_ignored(name):
    event = load_event(name)
    parsed = parse_event(event)
    assert isinstance(parsed, Ignored)
    assert (parsed.event_id, parsed.event_type) == (event["id"], event["eventType"])


@pytest.mark.parametrize(
    "event_type",
    [
        pytest.param(SystemEventNames.ResourceWriteFailureEventName.value, id="write-failure"),
        pytest.param(SystemEventNames.ResourceWriteCancelEventName.value, id="write-cancel"),
        pytest.param(SystemEventNames.ResourceDeleteFailureEventName.value, id="delete-failure"),
        pytest.param(SystemEventNames.ResourceActionSuccessEventName.value, id="action-success"),
        pytest.param(SystemEventNames.ApiManagementGatewayApiAddedEventName.value, id="gateway-api-added"),
        pytest.param(SystemEventNames.ApiManagementProductCreatedEventName.value, id="product-created"),
        pytest.param("Microsoft.Storage.BlobCreated", id="other-provider"),
    ],
)
def test_other_event_type_is_ignored(event_type):
    assert isinstance(parse_event(with_changes(WRITE_EG, eventType=event_type)), Ignored)


def test_subscription_validation_is_left_to_the_host():
    parsed = parse_event(load_event("subscription_validation.event-grid-schema.json"))
    assert parsed == Ignored(
        "2d1781af-3a4c-4d7c-bd0c-e34b19da4e18",
        events.SUBSCRIPTION_VALIDATION,
        "validation handshake is answered by the Functions host",
    )


# --- payloads ------------------------------------------------------------------------------------------------------


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


# --- malformed events ----------------------------------------------------------------------------------------------


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


# --- round trips through the SDK models ----------------------------------------------------------------------------


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


# --- fuzz ----------------------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
id_segments = st.sampled_from(
    [
        "subscriptions",
        SUB,
        "",
        "resourceGroups",
        "resourcegroups",
        RG,
        "providers",
        "Microsoft.ApiManagement",
        "Microsoft.Security",
        "pricings",
        "Api",
        "service",
        SERVICE,
        "1bad-",
        "apis",
        "APIS",
        "echo-api",
        "echo-api;rev=2",
        "echo;rev=x",
        ";Rev=1",
        "%3Brev%3D",
        "a*b",
        "workspaces",
        "team-a",
        "operations",
        "policy",
    ]
)
resource_ids = st.lists(id_segments | st.text(max_size=8), max_size=12).map(lambda parts: "/" + "/".join(parts))
envelope_keys = st.sampled_from(
    ["id", "eventType", "type", "subject", "topic", "source", "data", "specversion", "dataVersion", "eventTime"]
)
event_types = st.sampled_from(
    [
        events.RESOURCE_WRITE_SUCCESS,
        events.RESOURCE_DELETE_SUCCESS.upper(),
        events.APIM_API_CREATED,
        events.APIM_API_DELETED,
        events.SUBSCRIPTION_VALIDATION,
        "Microsoft.Resources.ResourceWriteFailure",
    ]
)


@st.composite
def mutated_events(draw: st.DrawFn) -> dict[str, Any]:
    """A valid fixture event with ids re-pointed, some fields replaced by arbitrary JSON and some removed."""
    event = load_event(draw(st.sampled_from(FIXTURES)))
    for key in draw(st.sets(st.sampled_from(["subject", "topic", "source"]))):
        event[key] = draw(resource_ids)
    if isinstance(event.get("data"), dict):
        event["data"]["resourceUri"] = draw(resource_ids | json_values)
    event.update(draw(st.dictionaries(envelope_keys, json_values | resource_ids | event_types, max_size=3)))
    for key in draw(st.sets(envelope_keys, max_size=2)):
        event.pop(key, None)
    return event


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_value_parses_or_raises_event_error(value):
    with contextlib.suppress(EventError):
        parse_payload(json.dumps(value))


@settings(max_examples=300, deadline=None)
@given(st.text() | st.binary())
def test_any_text_or_bytes_loads_or_raises_event_error(raw):
    with contextlib.suppress(EventError):
        load_payload(raw)


@settings(max_examples=300, deadline=None)
@given(mutated_events())
def test_mutated_event_parses_or_raises_event_error(event):
    with contextlib.suppress(EventError):
        parse_event(event)


@settings(max_examples=300, deadline=None)
@given(resource_ids)
def test_any_resource_id_parses_or_raises_event_error(resource_id):
    with contextlib.suppress(EventError):
        parse_event(write_event(resource_id))


COLLECTION_ID = f"{SERVICE_ID}/providers/Microsoft.Security/apiCollections/echo-api"


@pytest.mark.parametrize(
    "event_type",
    [
        pytest.param("Microsoft.Resources.ResourceWriteSuccess", id="onboarded"),
        pytest.param("Microsoft.Resources.ResourceDeleteSuccess", id="offboarded"),
    ],
)
def test_collection_write_or_delete_rechecks_its_api_as_a_change(event_type):
    event = write_event(COLLECTION_ID)
    event["eventType"] = event_type
    parsed = parse_event(event)
    assert (parsed.target, parsed.deleted) == (ECHO, False)


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param("", id="service-write"),
        pytest.param("/providers/Microsoft.Resources/tags/default", id="tags-api"),
    ],
)
def test_service_write_rechecks_the_whole_service(tail):
    assert parse_event(write_event(f"{SERVICE_ID}{tail}")).target == ServiceRef(SUB, RG, SERVICE)


def test_service_delete_is_acknowledged_for_the_sweep():
    event = write_event(SERVICE_ID)
    event["eventType"] = "Microsoft.Resources.ResourceDeleteSuccess"
    assert "deleted" in parse_event(event).reason


def test_collection_of_a_malformed_api_id_is_malformed():
    with pytest.raises(EventError, match="character ARM does not allow"):
        parse_event(write_event(f"{SERVICE_ID}/providers/Microsoft.Security/apiCollections/a*b"))
