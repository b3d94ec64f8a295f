"""monitors.events on the events it acts on: both delivery schemas, both event sources, and the API, plan or service
each names, however ARM spells the id (revisions, case, URL encoding, workspaces)."""

from __future__ import annotations

import json

import pytest

from monitors import events
from monitors.errors import EventError
from monitors.events import Ignored, ParsedEvent, load_payload, parse_event
from monitors.model import ApiRef, PlanRef, ServiceRef
from tests.event_files import (
    APIM_CREATED_EG,
    ECHO,
    ECHO_ID,
    RG,
    SERVICE,
    SERVICE_ID,
    SUB,
    WRITE_EG,
    load_event,
    with_changes,
    write_event,
)


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
    ignored = parse_event(event)
    assert isinstance(ignored, Ignored)
    reason = ignored.reason
    assert ("other-api" in reason, "echo-api" in reason, "different resources" in reason) == (True, True, True)


def test_subject_and_resource_uri_differing_only_in_case_agree():
    event = with_changes(WRITE_EG, subject=ECHO_ID.upper().replace("/SUBSCRIPTIONS/", "/subscriptions/"))
    parsed = parse_event(event)
    assert isinstance(parsed, ParsedEvent)
    assert parsed.target == ECHO


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
    ignored = parse_event(event)
    assert isinstance(ignored, Ignored)
    reason = ignored.reason
    assert ("other-api" in reason, "echo-api" in reason) == (True, True)


def test_apim_event_in_a_workspace_names_its_workspace():
    event = with_changes(APIM_CREATED_EG, subject="/workspaces/team-a/apis/echo-api;Rev=1", data=None)
    parsed = parse_event(event)
    assert isinstance(parsed, ParsedEvent)
    assert parsed.target == ApiRef(SUB, RG, SERVICE, "echo-api", workspace="team-a")


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
    assert isinstance(parsed, ParsedEvent)
    assert (parsed.target, parsed.deleted) == (ECHO, False)


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param("", id="service-write"),
        pytest.param("/providers/Microsoft.Resources/tags/default", id="tags-api"),
    ],
)
def test_service_write_rechecks_the_whole_service(tail):
    parsed = parse_event(write_event(f"{SERVICE_ID}{tail}"))
    assert isinstance(parsed, ParsedEvent)
    assert parsed.target == ServiceRef(SUB, RG, SERVICE)
