"""monitors.events on the events it acknowledges and leaves alone: API sub-resources, other APIM and ARM resources,
other event types, the validation handshake and a deleted service (left to the sweep)."""

from __future__ import annotations

import pytest
from azure.eventgrid import SystemEventNames

from monitors import events
from monitors.events import Ignored, parse_event
from tests.event_files import ECHO_ID, RG, SERVICE_ID, SUB, WRITE_EG, load_event, with_changes, write_event


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


def test_service_delete_is_acknowledged_for_the_sweep():
    event = write_event(SERVICE_ID)
    event["eventType"] = "Microsoft.Resources.ResourceDeleteSuccess"
    ignored = parse_event(event)
    assert isinstance(ignored, Ignored)
    assert "deleted" in ignored.reason
