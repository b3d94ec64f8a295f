"""Event delivery per monitored subscription (infra/subscription.bicep -> modules/events.bicep): the subscription's
system topic, the filtered event subscription to the central OnApiEvent function, retries and keyless dead-lettering."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.bicep import condition, module, render, resource, template, variable
from tests.infra.expressions import evaluate

EVENTS = "modules/events.bicep"
TOPIC = "modules/events-system-topic.bicep"
DELIVERY = "modules/events-function-subscription.bicep"
DEAD_LETTER = "modules/deadletter-access.bicep"
SUBSCRIPTION = "subscription.bicep"


def _delivery() -> dict[str, Any]:
    return resource(DELIVERY, "functionSubscription")["properties"]


def test_system_topic_watches_the_subscription_from_location_global():
    topic = resource(TOPIC, "systemTopic")
    assert (topic["location"], topic["properties"]["topicType"], render(topic["properties"]["source"])) == (
        "global",
        "Microsoft.Resources.Subscriptions",
        "subscription().id",
    )


def test_system_topic_has_a_system_assigned_identity():
    assert resource(TOPIC, "systemTopic")["identity"] == {"type": "SystemAssigned"}


def test_event_subscription_belongs_to_the_system_topic():
    element = template(DELIVERY)["resources"]
    assert (element["systemTopic"]["existing"], element["functionSubscription"]["config"]["parent"]) == (
        True,
        "systemTopic",
    )


def test_events_are_delivered_to_the_on_api_event_function():
    destination = _delivery()["destination"]
    function_name = template(DELIVERY)["parameters"]["functionName"]["default"]
    assert (destination["endpointType"], destination["properties"]["resourceId"], function_name) == (
        "AzureFunction",
        "${functionAppId}/functions/${functionName}",
        "OnApiEvent",
    )


def test_the_target_function_is_the_event_grid_triggered_one_in_function_app(functions):
    name = template(DELIVERY)["parameters"]["functionName"]["default"]
    assert functions[name].get_trigger().get_binding_name() == "eventGridTrigger"


def test_only_resource_write_and_delete_success_events_are_delivered():
    assert _delivery()["filter"]["includedEventTypes"] == [
        "Microsoft.Resources.ResourceWriteSuccess",
        "Microsoft.Resources.ResourceDeleteSuccess",
    ]


def _operation_names() -> list[str]:
    """Every value of every advanced filter (there is one: StringIn on data.operationName)."""
    return [value for advanced in _delivery()["filter"]["advancedFilters"] for value in advanced["values"]]


def test_advanced_filter_is_one_string_in_on_the_operation_name():
    assert [(f["operatorType"], f["key"]) for f in _delivery()["filter"]["advancedFilters"]] == [
        ("StringIn", "data.operationName")
    ]


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param("Microsoft.ApiManagement/service/apis/write", id="api-write"),
        pytest.param("Microsoft.ApiManagement/service/apis/delete", id="api-delete"),
        pytest.param("Microsoft.ApiManagement/service/workspaces/apis/write", id="workspace-api-write"),
        pytest.param("Microsoft.ApiManagement/service/workspaces/apis/delete", id="workspace-api-delete"),
        pytest.param("Microsoft.ApiManagement/service/write", id="service-write"),
        pytest.param("Microsoft.Security/apiCollections/write", id="collection-write"),
        pytest.param("Microsoft.Security/apiCollections/delete", id="collection-delete"),
        pytest.param("Microsoft.Security/pricings/write", id="plan-write"),
        pytest.param("Microsoft.Resources/tags/write", id="tags-api-write"),
    ],
)
def test_filter_carries_the_operations_that_can_change_a_finding(operation):
    assert operation in _operation_names()


def test_filter_carries_nothing_else():
    assert len(_operation_names()) == 9


def test_filter_stays_within_event_grids_25_values():
    assert len(_operation_names()) <= 25


def test_delivery_retries_30_times_over_a_day():
    assert _delivery()["retryPolicy"] == {"maxDeliveryAttempts": 30, "eventTimeToLiveInMinutes": 1440}


def test_dead_letters_go_to_a_blob_container_with_the_topic_identity():
    dead_letter = _delivery()["deadLetterWithResourceIdentity"]
    assert dead_letter == {
        "identity": {"type": "SystemAssigned"},
        "deadLetterDestination": {
            "endpointType": "StorageBlob",
            "properties": {"resourceId": "deadLetterStorageAccountId", "blobContainerName": "deadLetterContainerName"},
        },
    }


def test_dead_lettering_never_uses_a_key_based_destination():
    assert "deadLetterDestination" not in _delivery()


def test_dead_letter_container_defaults_to_deadletter():
    assert {
        template(relative)["parameters"]["deadLetterContainerName"]["default"]
        for relative in (SUBSCRIPTION, EVENTS, DELIVERY)
    } == {"deadletter"}


def test_topic_identity_gets_blob_data_contributor_on_the_container_only():
    writer = resource(DEAD_LETTER, "writer")
    role = variable(DEAD_LETTER, "storageBlobDataContributorRoleId")
    assert (writer["scope"], writer["properties"]["principalId"], role) == (
        "container",
        "principalId",
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    )


def test_dead_letter_access_is_granted_to_the_topic_identity_in_the_storage_resource_group():
    access = module(EVENTS, "deadLetterAccess")
    assert (render(access["scope"]), render(access["params"]["principalId"])) == (
        "resourceGroup(storageParts[2], storageParts[4])",
        "topic.outputs.principalId",
    )


def test_event_subscription_waits_for_the_dead_letter_grant():
    assert module(EVENTS, "functionSubscription")["dependsOn"] == ["deadLetterAccess"]


def _topic_group(existing_topic_id: str) -> str:
    subscription = {"id": "/subscriptions/sub-1", "subscriptionId": "sub-1"}
    bindings = {
        "existingSystemTopicId": existing_topic_id,
        "resourceGroupName": "rg-apim-defender-events",
        "systemTopicName": "evgt-apim-defender-monitor",
        "subscription": lambda: subscription,
    }
    return evaluate(render(template(EVENTS)["resources"]["eventsGroup"]["config"]["name"]), bindings, EVENTS)


def test_new_topic_goes_into_the_events_resource_group():
    assert _topic_group("") == "rg-apim-defender-events"


def test_existing_topic_is_used_in_its_own_resource_group():
    topic_id = "/subscriptions/sub-1/resourceGroups/rg-shared/providers/Microsoft.EventGrid/systemTopics/sub-events"
    assert _topic_group(topic_id) == "rg-shared"


def test_resource_group_is_created_only_when_neither_it_nor_a_topic_exists():
    assert condition(template(EVENTS)["resources"]["newGroup"]) == "!useExistingTopic && !resourceGroupExists"


def test_events_resource_group_is_otherwise_referenced_as_existing():
    assert template(EVENTS)["resources"]["eventsGroup"]["existing"] is True


def test_existing_system_topic_is_referenced_not_created():
    assert render(module(EVENTS, "topic")["params"]["create"]) == "!useExistingTopic"


def test_system_topic_is_declared_only_when_created():
    resources = template(TOPIC)["resources"]
    assert (condition(resources["systemTopic"]), resources["existingTopic"]["existing"]) == ("create", True)


def test_topic_identity_comes_from_whichever_topic_is_used():
    output = render(template(TOPIC)["outputs"]["principalId"]["value"])
    assert output == "create ? systemTopic.identity.principalId : existingTopic.identity.principalId"


@pytest.mark.parametrize("symbol", ["topic", "functionSubscription"])
def test_topic_and_event_subscription_deploy_into_the_topics_resource_group(symbol):
    assert module(EVENTS, symbol)["scope"] == "eventsGroup"


def test_topic_waits_for_a_new_resource_group():
    assert module(EVENTS, "topic")["dependsOn"] == ["newGroup"]


def test_subscription_entry_passes_what_the_hook_found():
    params = module(SUBSCRIPTION, "events")["params"]
    assert (params["resourceGroupExists"], params["existingSystemTopicId"]) == (
        "eventsResourceGroupExists",
        "existingSystemTopicId",
    )


@pytest.mark.parametrize(
    ("symbol", "path"),
    [
        pytest.param("roles", "modules/roles.bicep", id="roles"),
        pytest.param("events", "modules/events.bicep", id="events"),
    ],
)
def test_subscription_entry_deploys_roles_and_events(symbol, path):
    assert template(SUBSCRIPTION)["modules"][symbol]["detail"]["path"] == path


def test_subscription_entry_passes_the_central_app_and_identity():
    roles = module(SUBSCRIPTION, "roles")["params"]
    events = module(SUBSCRIPTION, "events")["params"]
    assert (roles["principalId"], events["functionAppId"], events["deadLetterStorageAccountId"]) == (
        "principalId",
        "functionAppId",
        "deadLetterStorageAccountId",
    )


def test_the_app_outputs_what_subscription_bicep_needs():
    outputs = template("app.bicep")["outputs"]
    assert {
        name: render(outputs[name]["value"])
        for name in ("AZURE_MONITOR_PRINCIPAL_ID", "AZURE_FUNCTION_APP_ID", "AZURE_DEADLETTER_STORAGE_ACCOUNT_ID")
    } == {
        "AZURE_MONITOR_PRINCIPAL_ID": "identity.outputs.principalId",
        "AZURE_FUNCTION_APP_ID": "functionApp.outputs.id",
        "AZURE_DEADLETTER_STORAGE_ACCOUNT_ID": "storage.outputs.id",
    }


def test_central_dead_letter_container_is_the_one_events_write_to():
    storage = module("app.bicep", "storage")["params"]
    assert (storage["deadLetterContainerName"], variable("app.bicep", "deadLetterContainerName")) == (
        "deadLetterContainerName",
        "deadletter",
    )
