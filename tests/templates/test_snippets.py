"""templates.snippets: the exact Bicep and ARM JSON that onboard one API."""

from __future__ import annotations

import json

from monitors.templates.snippets import arm_collection, bicep_collection, bicep_string, collection_snippet, symbol


def test_bicep_declares_the_service_and_scopes_the_collection_to_it() -> None:
    assert bicep_collection("apim-prod", "orders") == (
        "resource apimProdService 'Microsoft.ApiManagement/service@2022-08-01' existing = {\n"
        "  name: 'apim-prod'\n"
        "}\n"
        "\n"
        "resource ordersCollection 'Microsoft.Security/apiCollections@2023-11-15' = {\n"
        "  scope: apimProdService\n"
        "  name: 'orders'\n"
        "  // deploy after the API 'orders': add its symbol to dependsOn: [...]\n"
        "}"
    )


def test_bicep_with_known_symbols_uses_them() -> None:
    assert bicep_collection("apim-prod", "orders", service_symbol="apim", api_symbol="ordersApi") == (
        "resource ordersCollection 'Microsoft.Security/apiCollections@2023-11-15' = {\n"
        "  scope: apim\n"
        "  name: 'orders'\n"
        "  dependsOn: [ordersApi]\n"
        "}"
    )


def test_arm_json_names_scope_type_api_version_and_waits_for_the_api() -> None:
    assert json.loads(arm_collection("apim-prod", "orders")) == {
        "type": "Microsoft.Security/apiCollections",
        "apiVersion": "2023-11-15",
        "scope": "Microsoft.ApiManagement/service/apim-prod",
        "name": "orders",
        "dependsOn": ["[resourceId('Microsoft.ApiManagement/service/apis', 'apim-prod', 'orders')]"],
    }


def test_names_are_escaped_for_each_language() -> None:
    assert bicep_string("it's ${x}\n") == "'it\\'s \\${x}\\n'"
    resource = json.loads(arm_collection("apim", "[odd]'s"))
    assert resource["name"] == "[[odd]'s"
    assert resource["dependsOn"] == ["[resourceId('Microsoft.ApiManagement/service/apis', 'apim', '[odd]''s')]"]


def test_symbols_are_bicep_identifiers() -> None:
    assert (symbol("orders-api.v2", "Collection"), symbol("2fa", "Collection"), symbol("--", "Service")) == (
        "ordersApiV2Collection",
        "api2faCollection",
        "apiService",
    )


def test_the_input_kind_picks_the_language() -> None:
    assert collection_snippet("bicep", "s", "a").startswith("resource ")
    assert (
        json.loads(collection_snippet("arm", "s", "a"))["name"]
        == json.loads(collection_snippet("whatif", "s", "a"))["name"]
    )
