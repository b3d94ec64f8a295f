"""The emulator's bodies against the public REST examples: same key paths (casing, nesting) and same value kinds.

Each case names the keys the emulator adds (`extra`) and the key-path prefixes it deliberately leaves out (`omitted`);
everything else must match the reference exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SHAPES = Path(__file__).parent.parent / "data" / "reference_shapes"
SUB = "00000000-0000-0000-0000-000000000001"
SVC_PATH = f"/subscriptions/{SUB}/resourceGroups/rg-apis/providers/Microsoft.ApiManagement/service/apim-prod"
APIM = "api-version=2024-05-01"
COLLECTIONS = "providers/Microsoft.Security/apiCollections"
SEC = "api-version=2023-11-15"
PRICING = f"/subscriptions/{SUB}/providers/Microsoft.Security/pricings/Api?api-version=2024-01-01"
OPAQUE_MAPS = ("tags", "customProperties", "userAssignedIdentities")
# The spec's APIM examples leave these out, but Azure serves them: the portal's exported templates of APIs (apis,
# 2023-09-01-preview) carry "subscriptionRequired": true and "authenticationSettings": {"oAuth2AuthenticationSettings":
# [], "openidAuthenticationSettings": []}, and az apim api show prints the same keys (with null oAuth2 / openid).
API_EXPOSURE = (
    "properties.subscriptionRequired",
    "properties.authenticationSettings",
    "properties.authenticationSettings.oAuth2AuthenticationSettings",
    "properties.authenticationSettings.openidAuthenticationSettings",
)
LISTED_EXPOSURE = tuple(f"value[].{path}" for path in API_EXPOSURE)


def _kind(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}[type(value)]


def _paths(value, prefix=""):
    found = {prefix: _kind(value)} if prefix else {}
    if isinstance(value, dict) and prefix.rsplit(".", 1)[-1] not in OPAQUE_MAPS:
        for key, item in value.items():
            found |= _paths(item, f"{prefix}.{key}" if prefix else key)
    if isinstance(value, list):
        for item in value:
            found |= _paths(item, f"{prefix}[]")
    return found


def _differences(actual, reference, extra, omitted):
    mine, theirs = _paths(actual), _paths(reference)
    invented = {path for path in mine.keys() - theirs.keys() if path not in extra}
    missing = {path for path in theirs.keys() - mine.keys() if not path.startswith(omitted)}
    kinds = {path for path in mine.keys() & theirs.keys() if mine[path] != theirs[path]}
    return {"invented": invented, "missing": missing, "kind_mismatch": kinds}


CASES = [
    pytest.param("collection_get.json", "GET", f"{SVC_PATH}/{COLLECTIONS}/echo-api?{SEC}", (), (), id="collection-get"),
    pytest.param(
        "collections_list_by_service.json", "GET", f"{SVC_PATH}/{COLLECTIONS}?{SEC}", (), (), id="collections-service"
    ),
    pytest.param(
        "collections_list_by_resource_group.json",
        "GET",
        f"/subscriptions/{SUB}/resourceGroups/rg-apis/{COLLECTIONS}?{SEC}",
        (),
        (),
        id="collections-resource-group",
    ),
    pytest.param(
        "collections_list_by_subscription.json",
        "GET",
        f"/subscriptions/{SUB}/{COLLECTIONS}?{SEC}",
        (),
        (),
        id="collections-subscription",
    ),
    pytest.param("collection_onboard_200.json", "PUT", f"{SVC_PATH}/{COLLECTIONS}/orders?{SEC}", (), (), id="onboard"),
    pytest.param(
        "api_get.json",
        "GET",
        f"{SVC_PATH}/apis/legacy-soap?{APIM}",
        API_EXPOSURE,
        ("properties.authenticationSettings",),
        id="api-get",
    ),
    pytest.param(
        "workspace_api_get.json",
        "GET",
        f"{SVC_PATH}/workspaces/ws1/apis/ws-soap?{APIM}",
        API_EXPOSURE,
        ("properties.authenticationSettings",),
        id="workspace-api-get",
    ),
    pytest.param(
        "apis_list.json",
        "GET",
        f"{SVC_PATH}/apis?{APIM}&$top=2",
        ("value[].properties.type", *LISTED_EXPOSURE),
        ("value[].properties.apiVersion", "value[].properties.apiVersionSetId", "value[].properties.description"),
        id="apis-list",
    ),
    pytest.param(
        "gateway_apis_list.json",
        "GET",
        f"{SVC_PATH}/gateways/onprem-gw/apis?{APIM}",
        LISTED_EXPOSURE,
        ("value[].properties.description", "nextLink"),
        id="gateway-apis-list",
    ),
    pytest.param(
        "service_get.json",
        "GET",
        f"{SVC_PATH}?{APIM}",
        (),
        (
            "identity",
            "properties.hostnameConfigurations[].keyVaultId",
            "properties.hostnameConfigurations[].certificate",
            "properties.additionalLocations",
            "properties.customProperties",
            "properties.certificates",
            "properties.apiVersionConstraint",
            "properties.privateEndpointConnections",
        ),
        id="service-get",
    ),
    pytest.param("pricing_get.json", "GET", PRICING, ("properties.subPlan",), (), id="pricing-get"),
]


@pytest.mark.parametrize(("reference", "method", "target", "extra", "omitted"), CASES)
def test_body_matches_reference_shape(http_call, reference, method, target, extra, omitted):
    actual = http_call(method, target).body
    expected = json.loads((SHAPES / reference).read_text(encoding="utf-8"))

    assert _differences(actual, expected, set(extra), omitted) == {
        "invented": set(),
        "missing": set(),
        "kind_mismatch": set(),
    }


def test_onboard_201_body_matches_reference_shape(http_call, emulator_under_test):
    emulator_under_test.set_lro_mode("201")
    expected = json.loads((SHAPES / "collection_onboard_201.json").read_text(encoding="utf-8"))

    actual = http_call("PUT", f"{SVC_PATH}/{COLLECTIONS}/orders?{SEC}").body

    assert actual == {**expected, "id": f"{SVC_PATH}/{COLLECTIONS}/orders", "name": "orders"}


def test_pricing_put_body_matches_reference_shape(http_call):
    expected = json.loads((SHAPES / "pricing_put.json").read_text(encoding="utf-8"))

    actual = http_call("PUT", PRICING, {"properties": {"pricingTier": "Standard"}}).body

    assert _differences(actual, expected, {"properties.subPlan"}, ("properties.extensions",)) == {
        "invented": set(),
        "missing": set(),
        "kind_mismatch": set(),
    }
