"""The real ApiManagementClient against the emulator's Microsoft.ApiManagement routes."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg-apis"
SVC = "apim-prod"
SVC_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/{SVC}"


def test_get_service_reports_display_location_sku_and_gateway(apim):
    service = apim.api_management_service.get(RG, SVC)

    assert (
        service.id,
        service.location,
        service.sku.name,
        service.sku.capacity,
        service.gateway_url,
        service.tags,
    ) == (
        SVC_ID,
        "East US",
        "Premium",
        1,
        "https://apim-prod.azure-api.net",
        {"owner": "team-a"},
    )


def test_consumption_service_has_zero_capacity(apim):
    service = apim.api_management_service.get(RG, "apim-consumption")

    assert (service.sku.name, service.sku.capacity) == ("Consumption", 0)


def test_list_services_in_subscription(apim):
    names = [service.name for service in apim.api_management_service.list()]

    assert names == ["apim-prod", "apim-consumption", "apim-other"]


def test_list_services_in_resource_group(apim):
    names = [service.name for service in apim.api_management_service.list_by_resource_group("rg-other")]

    assert names == ["apim-other"]


def test_list_apis_pages_with_next_link(apim, emulator_under_test):
    emulator_under_test.page_size = 2

    names = [api.name for api in apim.api.list_by_service(RG, SVC)]

    assert (names, [r.query.get("$skip") for r in emulator_under_test.requests]) == (
        ["echo-api", "echo-api;rev=2", "graph", "orders", "legacy-soap"],
        [None, "2", "4"],
    )


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        pytest.param("isCurrent eq true", ["echo-api", "graph", "orders", "legacy-soap"], id="current"),
        pytest.param("isCurrent eq false", ["echo-api;rev=2"], id="not-current"),
    ],
)
def test_list_apis_filters_on_is_current(apim, flt, expected):
    names = [api.name for api in apim.api.list_by_service(RG, SVC, filter=flt)]

    assert names == expected


def test_list_apis_rejects_unsupported_filter(apim):
    with pytest.raises(HttpResponseError) as caught:
        list(apim.api.list_by_service(RG, SVC, filter="name eq 'orders'"))

    error = caught.value.error
    assert error is not None
    assert (caught.value.status_code, error.code) == (400, "ValidationError")


def test_get_api_revision_by_id(apim):
    api = apim.api.get(RG, SVC, "echo-api;rev=2")

    assert (api.id, api.name, api.api_revision, api.is_current) == (
        f"{SVC_ID}/apis/echo-api;rev=2",
        "echo-api;rev=2",
        "2",
        False,
    )


@pytest.mark.parametrize(
    ("api_id", "api_type"),
    [
        pytest.param("echo-api", None, id="http-has-no-type"),
        pytest.param("graph", "graphql", id="graphql"),
        pytest.param("legacy-soap", "soap", id="soap"),
    ],
)
def test_get_api_reports_type_only_when_not_http(apim, api_id, api_type):
    assert apim.api.get(RG, SVC, api_id).api_type == api_type


def test_api_names_compare_case_insensitively(apim):
    assert apim.api.get("RG-APIS", "APIM-PROD", "Echo-API").name == "echo-api"


def test_get_missing_api_is_resource_not_found_naming_the_id(apim):
    with pytest.raises(ResourceNotFoundError) as caught:
        apim.api.get(RG, SVC, "nope")

    error = caught.value.error
    assert error is not None and error.message is not None
    assert (error.code, f"{SVC_ID}/apis/nope" in error.message) == ("ResourceNotFound", True)


def test_missing_subscription_is_subscription_not_found(apim_for):
    other = apim_for("00000000-0000-0000-0000-00000000dead")

    with pytest.raises(ResourceNotFoundError) as caught:
        other.api_management_service.get(RG, SVC)

    error = caught.value.error
    assert error is not None
    assert error.code == "SubscriptionNotFound"


def test_deleted_api_is_not_found(apim, emulator_under_test):
    emulator_under_test.state.delete_api(SUB, RG, SVC, "orders")

    with pytest.raises(ResourceNotFoundError):
        apim.api.get(RG, SVC, "orders")


def test_added_api_is_listed_last(apim, emulator_under_test):
    emulator_under_test.state.add_api(SUB, RG, SVC, {"name": "new-api", "displayName": "New", "path": "new"})

    assert [api.name for api in apim.api.list_by_service(RG, SVC)][-1] == "new-api"


def test_list_workspaces(apim):
    workspaces = [(ws.name, ws.display_name) for ws in apim.workspace.list_by_service(RG, SVC)]

    assert workspaces == [("ws1", "Workspace 1")]


def test_get_workspace_api(apim):
    api = apim.workspace_api.get(RG, SVC, "ws1", "ws-api")

    assert (api.id, api.type, api.display_name) == (
        f"{SVC_ID}/workspaces/ws1/apis/ws-api",
        "Microsoft.ApiManagement/service/workspaces/apis",
        "WS API",
    )


def test_list_workspace_apis(apim):
    names = [api.name for api in apim.workspace_api.list_by_service(RG, SVC, "ws1")]

    assert names == ["ws-api", "ws-soap"]


def test_list_gateways_reports_location(apim):
    gateways = [(gw.name, gw.location_data.name) for gw in apim.gateway.list_by_service(RG, SVC)]

    assert gateways == [("onprem-gw", "Factory 1")]


def test_list_gateway_apis(apim):
    apis = [(api.id, api.type) for api in apim.gateway_api.list_by_service(RG, SVC, "onprem-gw")]

    assert apis == [(f"{SVC_ID}/gateways/onprem-gw/apis/echo-api", "Microsoft.ApiManagement/service/gateways/apis")]


def test_gateway_api_entity_tag_is_true_when_assigned(apim):
    assert apim.gateway_api.get_entity_tag(RG, SVC, "onprem-gw", "echo-api") is True


def test_gateway_api_entity_tag_is_not_found_when_unassigned(apim):
    with pytest.raises(ResourceNotFoundError):
        apim.gateway_api.get_entity_tag(RG, SVC, "onprem-gw", "orders")
