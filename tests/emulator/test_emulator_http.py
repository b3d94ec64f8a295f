"""Wire-level behaviour over raw HTTP: routing, api-versions, paging links, keep-alive, subscriptions."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

SUB = "00000000-0000-0000-0000-000000000001"
SVC_PATH = f"/subscriptions/{SUB}/resourceGroups/rg-apis/providers/Microsoft.ApiManagement/service/apim-prod"
APIM = "api-version=2024-05-01"


@pytest.mark.parametrize(
    ("target", "status", "code"),
    [
        pytest.param(f"{SVC_PATH}/apis", 400, "MissingApiVersionParameter", id="missing-api-version"),
        pytest.param(
            f"{SVC_PATH}/apis?api-version=2022-08-01", 400, "InvalidApiVersionParameter", id="old-api-version"
        ),
        pytest.param(f"/subscriptions/{SUB}/foo?{APIM}", 404, "InvalidResourceType", id="unknown-path"),
        pytest.param(f"{SVC_PATH}/apis/nope?{APIM}", 404, "ResourceNotFound", id="missing-api"),
        pytest.param(f"{SVC_PATH}/workspaces/nope/apis?{APIM}", 404, "ResourceNotFound", id="missing-workspace"),
        pytest.param(
            "/subscriptions/nope/providers/Microsoft.Security/pricings/Api?api-version=2024-01-01",
            404,
            "SubscriptionNotFound",
            id="missing-subscription",
        ),
    ],
)
def test_bad_requests_answer_arm_errors(http_call, target, status, code):
    reply = http_call("GET", target)

    assert (reply.status, reply.body["error"]["code"]) == (status, code)


def test_unsupported_method_is_405(http_call):
    assert http_call("DELETE", f"{SVC_PATH}/apis/orders?{APIM}").status == 405


def test_list_apis_next_link_is_absolute_and_keeps_the_query(http_call, emulator_under_test):
    emulator_under_test.page_size = 2

    body = http_call("GET", f"{SVC_PATH}/apis?{APIM}&$filter=isCurrent%20eq%20true").body

    assert (body["count"], body["nextLink"]) == (
        4,
        f"{emulator_under_test.url}{SVC_PATH}/apis?{APIM}&$filter=isCurrent%20eq%20true&$skip=2",
    )


def test_last_page_has_no_next_link(http_call, emulator_under_test):
    emulator_under_test.page_size = 2

    body = http_call("GET", f"{SVC_PATH}/apis?{APIM}&$skip=4").body

    assert ([api["name"] for api in body["value"]], "nextLink" in body) == (["legacy-soap"], False)


def test_top_limits_the_page(http_call):
    body = http_call("GET", f"{SVC_PATH}/apis?{APIM}&$top=1").body

    assert ([api["name"] for api in body["value"]], body["nextLink"].endswith("$top=1&$skip=1")) == (["echo-api"], True)


def test_encoded_revision_id_is_decoded(http_call):
    body = http_call("GET", f"{SVC_PATH}/apis/echo-api%3Brev%3D2?{APIM}").body

    assert body["id"] == f"{SVC_PATH}/apis/echo-api;rev=2"


def test_http_api_has_no_type_property(http_call):
    body = http_call("GET", f"{SVC_PATH}/apis/orders?{APIM}").body

    assert "type" not in body["properties"]


def test_gateway_api_head_answers_etag(http_call):
    reply = http_call("HEAD", f"{SVC_PATH}/gateways/onprem-gw/apis/echo-api?{APIM}")

    assert (reply.status, reply.headers["etag"].startswith('"')) == (200, True)


def test_list_subscriptions(http_call):
    body = http_call("GET", "/subscriptions?api-version=2022-12-01").body

    assert [(s["id"], s["subscriptionId"], s["displayName"], s["state"]) for s in body["value"]] == [
        (f"/subscriptions/{SUB}", SUB, "prod", "Enabled"),
        (
            "/subscriptions/00000000-0000-0000-0000-000000000002",
            "00000000-0000-0000-0000-000000000002",
            "dev",
            "Enabled",
        ),
    ]


def test_put_pricing_rejects_unknown_tier(http_call):
    reply = http_call(
        "PUT",
        f"/subscriptions/{SUB}/providers/Microsoft.Security/pricings/Api?api-version=2024-01-01",
        {"properties": {"pricingTier": "Gold"}},
    )

    assert (reply.status, reply.body["error"]["code"]) == (400, "InvalidPricingTier")


def test_connection_is_kept_alive_across_requests(emulator_under_test):
    connection = http.client.HTTPConnection(urlsplit(emulator_under_test.url).netloc, timeout=5)
    headers = {"Authorization": "Bearer emulator"}
    try:
        connection.request("GET", f"{SVC_PATH}?{APIM}", headers=headers)
        first = json.loads(connection.getresponse().read())
        connection.request("GET", f"{SVC_PATH}/apis/orders?{APIM}", headers=headers)
        second = json.loads(connection.getresponse().read())
    finally:
        connection.close()

    assert (first["name"], second["name"]) == ("apim-prod", "orders")
