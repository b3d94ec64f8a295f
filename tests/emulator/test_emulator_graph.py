"""Azure Resource Graph queries (POST /providers/Microsoft.ResourceGraph/resources) through the real
ResourceGraphClient (azure-mgmt-resourcegraph 8.0.1, api-version 2021-03-01) and the product's graph adapter."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from emulator import EmulatorServer, Estate
from monitors.azure.graph import COLLECTIONS_QUERY, SERVICES_QUERY, query_collections, query_services
from monitors.errors import AzurePermissionError, TransientAzureError
from tests.emulator.sdk_credential import NoCredential

SUB = "00000000-0000-0000-0000-000000000001"
SUB2 = "00000000-0000-0000-0000-000000000002"
SUB3 = "00000000-0000-0000-0000-000000000003"
UNKNOWN_SUB = "99999999-0000-0000-0000-000000000009"
ARG = "/providers/Microsoft.ResourceGraph/resources"
ARG_URL = f"{ARG}?api-version=2021-03-01"
APIM = "Microsoft.ApiManagement/service"


def _svc_id(sub, rg, name):
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{APIM}/{name}"


def _coll_id(service_id, api):
    return f"{service_id}/providers/Microsoft.Security/apiCollections/{api}"


PROD_ID = _svc_id(SUB, "rg-apis", "apim-prod")
CONSUMPTION_ID = _svc_id(SUB, "rg-apis", "apim-consumption")
OTHER_ID = _svc_id(SUB, "rg-other", "apim-other")

MULTI_ESTATE = {
    "subscriptions": [
        {
            "id": SUB,
            "displayName": "prod",
            "services": [
                {
                    "resourceGroup": "RG-Mixed",
                    "name": "apim-b",
                    "location": "Sweden Central",
                    "sku": "StandardV2",
                    "capacity": 2,
                    "apis": [{"name": "a1", "path": "a1"}],
                    "apiCollections": ["a1"],
                }
            ],
        },
        {
            "id": SUB2,
            "displayName": "dev",
            "services": [{"resourceGroup": "rg-dev", "name": "apim-a", "apiCollections": ["orphan"]}],
        },
        {"id": SUB3, "displayName": "empty"},
    ]
}


@pytest.fixture
def graph(emulator_under_test, sdk_options):
    """The real ResourceGraphClient talking to ``emulator_under_test`` (tests/data/emulator_estate.json)."""
    with ResourceGraphClient(NoCredential(), **sdk_options(emulator_under_test)) as client:
        yield client


@pytest.fixture(scope="module")
def _multi_server():
    with EmulatorServer(Estate.from_dict(MULTI_ESTATE)) as server:
        yield server


@pytest.fixture
def multi(_multi_server):
    """An emulator with services in two of three subscriptions and a mixed-case resource group."""
    _multi_server.reset()
    return _multi_server


@pytest.fixture
def multi_graph(multi, sdk_options):
    with ResourceGraphClient(NoCredential(), **sdk_options(multi)) as client:
        yield client


def _query(client, query, subscriptions=None, **options):
    return client.resources(
        QueryRequest(query=query, subscriptions=subscriptions, options=QueryRequestOptions(**options))
    )


def _ids(response):
    return [row["id"] for row in response.data]


# --- rows ---


def test_services_query_returns_projected_rows_in_id_order(graph):
    response = _query(graph, SERVICES_QUERY)

    assert (response.total_records, response.count, response.result_truncated, response.skip_token) == (
        3,
        3,
        "false",
        None,
    )
    assert response.facets == []
    assert response.data == [
        {
            "id": CONSUMPTION_ID,
            "name": "apim-consumption",
            "resourceGroup": "rg-apis",
            "subscriptionId": SUB,
            "location": "westeurope",
            "sku": {"name": "Consumption", "capacity": 0},
            "tags": {},
            "publicNetworkAccess": "Enabled",
            "virtualNetworkType": "None",
        },
        {
            "id": PROD_ID,
            "name": "apim-prod",
            "resourceGroup": "rg-apis",
            "subscriptionId": SUB,
            "location": "eastus",
            "sku": {"name": "Premium", "capacity": 1},
            "tags": {"owner": "team-a"},
            "publicNetworkAccess": "Enabled",
            "virtualNetworkType": "None",
        },
        {
            "id": OTHER_ID,
            "name": "apim-other",
            "resourceGroup": "rg-other",
            "subscriptionId": SUB,
            "location": "northeurope",
            "sku": {"name": "Developer", "capacity": 1},
            "tags": {},
            "publicNetworkAccess": "Enabled",
            "virtualNetworkType": "None",
        },
    ]


def test_collections_query_rows_carry_the_rest_body_properties(graph, http_call):
    rest = http_call("GET", f"/subscriptions/{SUB}/providers/Microsoft.Security/apiCollections?api-version=2023-11-15")
    rows = [
        {"id": b["id"], "name": b["name"], "subscriptionId": SUB, "properties": b["properties"]}
        for b in rest.body["value"]
    ]
    expected = sorted(rows, key=lambda row: row["id"])

    response = _query(graph, COLLECTIONS_QUERY)

    assert _ids(response) == [
        _coll_id(PROD_ID, "echo-api"),
        _coll_id(PROD_ID, "ghost-api"),
        _coll_id(OTHER_ID, "inventory"),
    ]
    assert response.data == expected
    assert response.data[0]["properties"]["discoveredVia"] == PROD_ID


def test_queries_are_recognised_case_insensitively_and_in_table_format(graph):
    query = 'Resources\n|  WHERE type =~ "Microsoft.ApiManagement/service" | project id'

    response = _query(graph, query, result_format="table")

    assert response.data["columns"][:2] == [{"name": "id", "type": "string"}, {"name": "name", "type": "string"}]
    assert [row[0] for row in response.data["rows"]] == [CONSUMPTION_ID, PROD_ID, OTHER_ID]


def test_location_is_the_region_code_and_resource_group_lower_case(multi_graph):
    row = _query(multi_graph, SERVICES_QUERY, subscriptions=[SUB]).data[0]

    assert (row["id"], row["resourceGroup"], row["location"], row["sku"]) == (
        _svc_id(SUB, "RG-Mixed", "apim-b"),
        "rg-mixed",
        "swedencentral",
        {"name": "StandardV2", "capacity": 2},
    )


def test_collection_in_progress_shows_without_counting_as_a_poll(graph, emulator_under_test, http_call):
    emulator_under_test.set_lro_mode("201", polls=2)
    http_call("PUT", f"{PROD_ID}/providers/Microsoft.Security/apiCollections/orders?api-version=2023-11-15")

    rows = {row["name"]: row for row in _query(graph, COLLECTIONS_QUERY).data}
    _query(graph, COLLECTIONS_QUERY)

    assert rows["orders"]["properties"]["provisioningState"] == "InProgress"
    assert emulator_under_test.state.collection_state(SUB, "rg-apis", "apim-prod", "orders") == "InProgress"


# --- product adapter ---


def test_product_query_services_reads_every_service(graph):
    services = query_services(graph, [])

    assert [(s.ref.resource_id, s.sku, s.location, s.tags) for s in services] == [
        (CONSUMPTION_ID, "Consumption", "westeurope", {}),
        (PROD_ID, "Premium", "eastus", {"owner": "team-a"}),
        (OTHER_ID, "Developer", "northeurope", {}),
    ]


def test_product_query_collections_groups_by_service(graph):
    grouped = query_collections(graph, [SUB])

    assert {service: sorted(apis) for service, apis in grouped.items()} == {
        PROD_ID.lower(): ["echo-api", "ghost-api"],
        OTHER_ID.lower(): ["inventory"],
    }
    echo = grouped[PROD_ID.lower()]["echo-api"]
    assert (echo.resource_id, echo.provisioning_state, echo.display_name) == (
        _coll_id(PROD_ID, "echo-api"),
        "Succeeded",
        "Echo API",
    )


def test_product_adapter_follows_skip_tokens(graph, emulator_under_test):
    emulator_under_test.graph_page_size = 1

    services = query_services(graph, [SUB])

    assert [s.ref.service for s in services] == ["apim-consumption", "apim-prod", "apim-other"]
    assert emulator_under_test.request_count == 3


# --- scope ---


def test_all_subscriptions_when_none_are_given(multi_graph):
    assert _ids(_query(multi_graph, SERVICES_QUERY)) == [
        _svc_id(SUB, "RG-Mixed", "apim-b"),
        _svc_id(SUB2, "rg-dev", "apim-a"),
    ]


def test_subscriptions_filter_is_case_insensitive(multi_graph):
    response = _query(multi_graph, COLLECTIONS_QUERY, subscriptions=[SUB2.upper()])

    assert (_ids(response), response.data[0]["subscriptionId"]) == (
        [_coll_id(_svc_id(SUB2, "rg-dev", "apim-a"), "orphan")],
        SUB2,
    )


def test_unknown_and_empty_subscriptions_add_no_rows(multi_graph):
    assert _ids(_query(multi_graph, SERVICES_QUERY, subscriptions=[UNKNOWN_SUB, SUB3, SUB2])) == [
        _svc_id(SUB2, "rg-dev", "apim-a")
    ]
    response = _query(multi_graph, SERVICES_QUERY, subscriptions=[UNKNOWN_SUB])
    assert (response.total_records, response.count, response.data, response.skip_token) == (0, 0, [], None)


def test_product_adapter_scopes_to_subscriptions(multi_graph):
    assert [s.ref.subscription_id for s in query_services(multi_graph, [SUB2])] == [SUB2]


# --- paging ---


def test_pages_follow_skip_tokens_at_the_graph_page_size(graph, emulator_under_test):
    emulator_under_test.graph_page_size = 2

    first = _query(graph, SERVICES_QUERY, top=1000)
    second = _query(graph, SERVICES_QUERY, top=1000, skip_token=first.skip_token)

    assert (first.total_records, first.count, _ids(first)) == (3, 2, [CONSUMPTION_ID, PROD_ID])
    assert (second.total_records, second.count, _ids(second), second.skip_token) == (3, 1, [OTHER_ID], None)
    assert first.skip_token


def test_top_below_the_page_size_limits_the_page(graph):
    first = _query(graph, COLLECTIONS_QUERY, top=1)
    second = _query(graph, COLLECTIONS_QUERY, skip_token=first.skip_token)
    third = _query(graph, COLLECTIONS_QUERY, skip_token=second.skip_token)

    assert [_ids(page) for page in (first, second, third)] == [
        [_coll_id(PROD_ID, "echo-api")],
        [_coll_id(PROD_ID, "ghost-api")],
        [_coll_id(OTHER_ID, "inventory")],
    ]
    assert third.skip_token is None


def test_skip_offsets_the_first_page(graph):
    assert _ids(_query(graph, SERVICES_QUERY, skip=1)) == [PROD_ID, OTHER_ID]


def test_skip_token_from_another_query_is_rejected(graph, emulator_under_test):
    emulator_under_test.graph_page_size = 1
    token = _query(graph, SERVICES_QUERY).skip_token

    with pytest.raises(HttpResponseError) as caught:
        _query(graph, COLLECTIONS_QUERY, skip_token=token)

    error = caught.value.error
    assert error is not None
    assert (caught.value.status_code, error.code) == (400, "InvalidSkipToken")


def test_garbage_skip_token_is_rejected(http_call):
    reply = http_call("POST", ARG_URL, {"query": SERVICES_QUERY, "options": {"$skipToken": "not-a-token"}})

    assert (reply.status, reply.body["error"]["code"]) == (400, "InvalidSkipToken")


# --- wire ---


def test_raw_wire_names_of_request_and_response(http_call):
    body = {
        "subscriptions": [SUB],
        "query": SERVICES_QUERY,
        "options": {"$top": 1, "$skip": 0, "resultFormat": "objectArray", "allowPartialScopes": False},
    }

    reply = http_call("POST", ARG_URL, body)

    assert list(reply.body) == ["totalRecords", "count", "resultTruncated", "$skipToken", "data", "facets"]
    assert (reply.body["totalRecords"], reply.body["count"], reply.body["resultTruncated"]) == (3, 1, "false")


def test_invalid_request_content_is_400(http_call):
    bad = [
        {"options": {}},
        {"query": SERVICES_QUERY, "options": {"$top": 0}},
        {"query": SERVICES_QUERY, "options": {"$top": 1001}},
        {"query": SERVICES_QUERY, "options": {"resultFormat": "csv"}},
        {"query": SERVICES_QUERY, "subscriptions": "not-a-list"},
        {"query": SERVICES_QUERY, "managementGroups": ["mg1"]},
    ]

    replies = [http_call("POST", ARG_URL, body) for body in bad]

    assert {(r.status, r.body["error"]["code"]) for r in replies} == {(400, "InvalidRequestContent")}


def test_wrong_api_version_and_method(http_call):
    assert http_call("POST", f"{ARG}?api-version=2022-10-01", {"query": SERVICES_QUERY}).body["error"]["code"] == (
        "InvalidApiVersionParameter"
    )
    assert http_call("GET", ARG_URL).status == 405


# --- errors, faults, controls ---


@pytest.mark.parametrize(
    "query",
    [
        "resources | where type =~ 'microsoft.web/sites'",
        "securityresources | where type =~ 'microsoft.apimanagement/service'",
        "resources | where type =~ 'microsoft.apimanagement/service/apis'",
        "resources",
    ],
)
def test_unknown_query_is_400_invalid_query(graph, query):
    with pytest.raises(HttpResponseError) as caught:
        _query(graph, query)

    error = caught.value.error
    assert error is not None and error.message is not None
    assert (caught.value.status_code, error.code) == (400, "InvalidQuery")
    assert query in error.message


def test_throttled_query_is_retried_then_succeeds(graph, emulator_under_test):
    emulator_under_test.add_fault("POST", "Microsoft.ResourceGraph", status=429, retry_after=0)

    services = query_services(graph, [])

    assert (len(services), [r.status for r in emulator_under_test.requests]) == (3, [429, 200])


def test_persistent_throttling_reaches_the_product_as_transient(graph, emulator_under_test):
    emulator_under_test.add_fault("POST", "Microsoft.ResourceGraph", status=429, retry_after=0, times=10)

    with pytest.raises(TransientAzureError):
        query_services(graph, [])


def test_disabled_graph_answers_403_until_reset(graph, emulator_under_test):
    emulator_under_test.set_graph_enabled(False)

    with pytest.raises(HttpResponseError) as caught:
        _query(graph, SERVICES_QUERY)
    with pytest.raises(AzurePermissionError):
        query_collections(graph, [])
    emulator_under_test.reset()

    error = caught.value.error
    assert error is not None
    assert (caught.value.status_code, error.code) == (403, "AuthorizationFailed")
    assert _query(graph, SERVICES_QUERY).count == 3


def test_graph_control_endpoint_disables_and_enables(http_call):
    off = http_call("POST", "/_emulator/graph", {"enabled": False})
    denied = http_call("POST", ARG_URL, {"query": SERVICES_QUERY})
    http_call("POST", "/_emulator/graph", {"enabled": True})

    assert (off.body, denied.status, denied.body["error"]["code"]) == ({"enabled": False}, 403, "AuthorizationFailed")
    assert http_call("POST", ARG_URL, {"query": SERVICES_QUERY}).status == 200
    assert http_call("POST", "/_emulator/graph", {"enabled": "no"}).status == 400


def test_paging_control_endpoint_sets_the_graph_page_size(http_call, emulator_under_test):
    reply = http_call("POST", "/_emulator/paging", {"graph_page_size": 1})

    assert (reply.body, emulator_under_test.page_size) == ({"page_size": 100, "graph_page_size": 1}, 100)
    assert http_call("POST", ARG_URL, {"query": SERVICES_QUERY}).body["count"] == 1
    assert http_call("POST", "/_emulator/paging", {"graph_page_size": 1001}).status == 400


def test_reset_restores_the_graph_page_size(emulator_under_test):
    emulator_under_test.graph_page_size = 5
    emulator_under_test.reset()

    assert emulator_under_test.graph_page_size == 1000


def test_requests_are_recorded_and_counted(graph, emulator_under_test):
    emulator_under_test.graph_page_size = 2

    query_services(graph, [SUB])

    assert emulator_under_test.request_count == 2
    assert [(r.method, r.path, dict(r.query), r.status) for r in emulator_under_test.requests] == [
        ("POST", ARG, {"api-version": "2021-03-01"}, 200)
    ] * 2


def test_requests_need_a_bearer_token(http_call):
    reply = http_call("POST", ARG_URL, {"query": SERVICES_QUERY}, auth=False)

    assert (reply.status, reply.body["error"]["code"]) == (401, "AuthenticationFailed")
