"""The real SecurityCenter client against the emulator's apiCollections and pricings routes, all four LRO modes."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.pipeline.transport import HttpResponse
from azure.mgmt.security.v2024_01_01.models import Pricing

SUB = "00000000-0000-0000-0000-000000000001"
RG = "rg-apis"
SVC = "apim-prod"
SVC_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/{SVC}"


def _onboard(security, api="orders"):
    return security.api_collections.begin_onboard_azure_api_management_api(RG, SVC, api).result()


def test_get_collection_reports_api_data(security):
    collection = security.api_collections.get_by_azure_api_management_service(RG, SVC, "echo-api")

    assert (
        collection.id,
        collection.type,
        collection.provisioning_state,
        collection.display_name,
        collection.discovered_via,
        collection.base_url,
    ) == (
        f"{SVC_ID}/providers/Microsoft.Security/apiCollections/echo-api",
        "Microsoft.Security/apiCollections",
        "Succeeded",
        "Echo API",
        SVC_ID,
        "https://apim-prod.azure-api.net/echo",
    )


def test_get_absent_collection_is_not_found(security):
    with pytest.raises(ResourceNotFoundError):
        security.api_collections.get_by_azure_api_management_service(RG, SVC, "orders")


def test_list_collections_by_service_includes_orphans(security):
    names = [c.name for c in security.api_collections.list_by_azure_api_management_service(RG, SVC)]

    assert names == ["echo-api", "ghost-api"]


def test_list_collections_by_resource_group(security):
    names = [c.name for c in security.api_collections.list_by_resource_group("rg-other")]

    assert names == ["inventory"]


def test_list_collections_by_subscription_pages_with_next_link(security, emulator_under_test):
    emulator_under_test.page_size = 2

    names = [c.name for c in security.api_collections.list_by_subscription()]

    assert (names, emulator_under_test.request_count) == (["echo-api", "ghost-api", "inventory"], 2)


def test_onboard_in_200_mode_succeeds_at_once(security, emulator_under_test):
    collection = _onboard(security)

    assert (collection.provisioning_state, [r.status for r in emulator_under_test.requests]) == ("Succeeded", [200])


def test_onboard_in_201_mode_polls_location_once(security, emulator_under_test):
    emulator_under_test.set_lro_mode("201", polls=1)

    collection = _onboard(security)

    assert (collection.provisioning_state, [(r.method, r.status) for r in emulator_under_test.requests]) == (
        "InProgress",
        [("PUT", 201), ("GET", 200)],
    )


def test_onboard_in_201_mode_reaches_succeeded_after_the_polls(security, emulator_under_test):
    emulator_under_test.set_lro_mode("201", polls=1)
    _onboard(security)

    collection = security.api_collections.get_by_azure_api_management_service(RG, SVC, "orders")

    assert collection.provisioning_state == "Succeeded"


def test_onboard_in_201_mode_with_zero_polls_returns_succeeded(security, emulator_under_test):
    emulator_under_test.set_lro_mode("201", polls=0)

    assert _onboard(security).provisioning_state == "Succeeded"


def test_onboard_in_202_mode_makes_the_sdk_raise_202(security, emulator_under_test):
    emulator_under_test.set_lro_mode("202")

    with pytest.raises(HttpResponseError) as caught:
        _onboard(security)

    assert (caught.value.status_code, emulator_under_test.state.collection_state(SUB, RG, SVC, "orders")) == (
        202,
        "InProgress",
    )


def test_onboard_in_202_mode_location_answers_202_then_200(security, emulator_under_test, http_call):
    emulator_under_test.set_lro_mode("202", polls=1)
    with pytest.raises(HttpResponseError) as caught:
        _onboard(security)
    response = caught.value.response
    assert isinstance(response, HttpResponse)
    location = response.headers["Location"].removeprefix(emulator_under_test.url)

    statuses = [http_call("GET", location).status, http_call("GET", location).status]

    assert statuses == [202, 200]


def test_onboard_in_202_mode_collection_reports_in_progress_then_succeeded(security, emulator_under_test):
    emulator_under_test.set_lro_mode("202", polls=1)
    with pytest.raises(HttpResponseError):
        _onboard(security)
    get = security.api_collections.get_by_azure_api_management_service

    states = [get(RG, SVC, "orders").provisioning_state, get(RG, SVC, "orders").provisioning_state]

    assert states == ["InProgress", "Succeeded"]


def test_onboard_in_fail_mode_raises_onboarding_failed(security, emulator_under_test):
    emulator_under_test.set_lro_mode("fail", polls=1)

    with pytest.raises(HttpResponseError) as caught:
        _onboard(security)

    error = caught.value.error
    assert error is not None
    assert (caught.value.status_code, error.code) == (409, "OnboardingFailed")


def test_onboard_in_fail_mode_leaves_a_failed_collection(security, emulator_under_test):
    emulator_under_test.set_lro_mode("fail", polls=0)
    with pytest.raises(HttpResponseError):
        _onboard(security)

    collection = security.api_collections.get_by_azure_api_management_service(RG, SVC, "orders")

    assert collection.provisioning_state == "Failed"


def test_onboard_missing_api_is_resource_not_found(security):
    with pytest.raises(ResourceNotFoundError):
        _onboard(security, "no-such-api")


def test_onboard_records_the_collection(security, emulator_under_test):
    _onboard(security)

    assert emulator_under_test.state.has_collection(SUB, RG, SVC, "orders")


def test_offboard_removes_the_collection(security, emulator_under_test):
    security.api_collections.offboard_azure_api_management_api(RG, SVC, "echo-api")

    assert (
        emulator_under_test.state.has_collection(SUB, RG, SVC, "echo-api"),
        emulator_under_test.requests[-1].status,
    ) == (False, 200)


def test_offboard_absent_collection_answers_204(security, emulator_under_test):
    security.api_collections.offboard_azure_api_management_api(RG, SVC, "orders")

    assert emulator_under_test.requests[-1].status == 204


def test_get_api_pricing(security):
    pricing = security.pricings.get(f"subscriptions/{SUB}", "Api")

    assert (pricing.id, pricing.pricing_tier, pricing.sub_plan, pricing.resources_coverage_status) == (
        f"/subscriptions/{SUB}/providers/Microsoft.Security/pricings/Api",
        "Standard",
        "P1",
        "FullyCovered",
    )


def test_api_pricing_defaults_to_free(security):
    pricing = security.pricings.get("subscriptions/00000000-0000-0000-0000-000000000002", "Api")

    assert (pricing.pricing_tier, pricing.sub_plan) == ("Free", None)


def test_list_pricings(security):
    names = [p.name for p in security.pricings.list(f"subscriptions/{SUB}").value]

    assert names == ["Api"]


def test_update_pricing_changes_the_tier(security):
    security.pricings.update(f"subscriptions/{SUB}", "Api", Pricing(pricing_tier="Free"))

    assert security.pricings.get(f"subscriptions/{SUB}", "Api").pricing_tier == "Free"


def test_set_pricing_is_visible_to_the_sdk(security, emulator_under_test):
    emulator_under_test.state.set_pricing(SUB, "Free")

    assert security.pricings.get(f"subscriptions/{SUB}", "Api").pricing_tier == "Free"
