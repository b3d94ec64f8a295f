"""Every published ARM example body (tests/data/real/arm) through our adapters, with the real SDK clients over HTTP.

A loopback replay server answers the example's request path with the example's response; the adapters in
monitors/azure must read the example's values (ids, api type defaulting to "http", provisioning state, tier, region,
tags, pricing tier, sub-plan). The second half checks that the local emulator serves the same shapes as the examples
for the operations tests/emulator/test_emulator_shapes.py does not cover.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import pytest

from monitors.azure import apim, defender, graph
from monitors.exposure import Posture
from monitors.inventory import list_subscriptions
from monitors.model import ApiFacts, ApiRef, CollectionFacts, PlanFacts, ServiceFacts, ServiceRef
from tests.real.payloads import file_of, manifest_files, real_json

# The ids the examples' parameters use.
SEC_SUB = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
ECHO = ApiRef(SEC_SUB, "rg1", "apimService1", "echo-api")
SVC_OF_ECHO = ECHO.service_ref.resource_id
APIM_SUB = "00000000-0000-0000-0000-000000000000"
SVC = ServiceRef(APIM_SUB, "rg1", "apimService1")
PRICING_SUB = "20ff7fc3-e762-44dd-bd96-b71116dcdc23"
PRICINGS_PATH = f"/subscriptions/{PRICING_SUB}/providers/Microsoft.Security/pricings"

C15 = "arm/security/2023-11-15"
CPRE = "arm/security/2022-11-20-preview"
P24 = "arm/security/2024-01-01"
P23 = "arm/security/2023-01-01"
AM = "arm/apimanagement/2024-05-01"

# Defender's posture as the 2023-11-15 examples publish it; the earlier-named examples (APICollection_...) report no
# sensitive endpoint and no sensitivity label.
ECHO_POSTURE = Posture(6, 3, 1, 3, 1, "Highly Confidential", "https://apimservice1.azure-api.net/echo", SVC_OF_ECHO)
ECHO_FACTS = CollectionFacts("echo-api", ECHO.collection_id, "Succeeded", "Echo API", ECHO_POSTURE)
ECHO_FACTS_EARLY = replace(
    ECHO_FACTS, posture=replace(ECHO_POSTURE, sensitive_data_endpoints=0, sensitivity_label=None)
)
# The preview api-version's bodies carry neither provisioningState nor (in lists) a displayName.
ECHO_PREVIEW = CollectionFacts("echo-api", ECHO.collection_id, None, "echo-api")
ECHO_PREVIEW_LISTED = CollectionFacts("echo-api", ECHO.collection_id, None, None)


def _pricing(example: str, status: str = "200") -> dict[str, Any]:
    return real_json(example)["responses"][status]["body"]


# --- Microsoft.Security apiCollections -----------------------------------------------------------------------------

GET_COLLECTION = [
    pytest.param(f"{C15}/APICollections_GetByAzureApiManagementService_example.json", ECHO_FACTS, id="2023-11-15"),
    pytest.param(
        f"{C15}/APICollection_GetByAzureApiManagementService_example.json", ECHO_FACTS_EARLY, id="2023-11-15-early"
    ),
    pytest.param(f"{CPRE}/APICollection_Get_example.json", ECHO_PREVIEW, id="2022-11-20-preview"),
]


@pytest.mark.parametrize(("example", "expected"), GET_COLLECTION)
def test_get_collection_reads_the_example(replay, clients, example, expected) -> None:
    replay.answer_example("GET", ECHO.collection_id, example)
    assert defender.get_collection(clients.security(SEC_SUB), ECHO) == expected


# The resource-group and subscription lists have the by-service list's shape; our adapter reads lists by service.
LIST_COLLECTIONS = [
    pytest.param(f"{C15}/APICollections_ListByAzureApiManagementService_example.json", ECHO_FACTS, id="by-service"),
    pytest.param(f"{C15}/APICollections_ListByResourceGroup_example.json", ECHO_FACTS, id="by-resource-group"),
    pytest.param(f"{C15}/APICollections_ListBySubscription_example.json", ECHO_FACTS, id="by-subscription"),
    pytest.param(f"{CPRE}/APICollection_List_example.json", ECHO_PREVIEW_LISTED, id="2022-11-20-preview"),
]


@pytest.mark.parametrize(("example", "expected"), LIST_COLLECTIONS)
def test_list_collections_reads_the_example(replay, clients, example, expected) -> None:
    replay.answer_example("GET", f"{SVC_OF_ECHO}/providers/Microsoft.Security/apiCollections", example)
    assert defender.list_collections(clients.security(SEC_SUB), ECHO.service_ref) == {"echo-api": expected}


ONBOARD = [
    pytest.param(f"{C15}/APICollections_OnboardAzureApiManagementApi_example.json", "200", ECHO_FACTS, id="200"),
    pytest.param(f"{C15}/APICollections_OnboardAzureApiManagementApi_example.json", "201", ECHO_FACTS, id="201"),
    pytest.param(f"{C15}/APICollections_OnboardAzureApiManagementApi_example.json", "202", ECHO_FACTS, id="202"),
    pytest.param(
        f"{C15}/APICollection_OnboardAzureApiManagementApi_example.json", "200", ECHO_FACTS_EARLY, id="early-200"
    ),
    pytest.param(
        f"{C15}/APICollection_OnboardAzureApiManagementApi_example.json", "201", ECHO_FACTS_EARLY, id="early-201"
    ),
    pytest.param(
        f"{C15}/APICollection_OnboardAzureApiManagementApi_example.json", "202", ECHO_FACTS_EARLY, id="early-202"
    ),
    pytest.param(
        f"{CPRE}/APICollectionOnboarding_Create_example.json",
        "200",
        CollectionFacts("echo-api", ECHO.collection_id, None, None),
        id="2022-11-20-preview-200",
    ),
]


@pytest.mark.parametrize(("example", "status", "expected"), ONBOARD)
def test_onboard_ends_with_the_collection(replay, clients, example, status, expected) -> None:
    """The PUT answers with the example's response for ``status``; reading the collection then answers its 200."""
    replay.answer_example("PUT", ECHO.collection_id, example, status)
    replay.answer_example("GET", ECHO.collection_id, example, "200")
    facts = defender.onboard(clients.security(SEC_SUB), ECHO, timeout=2, poll_seconds=0.01)
    assert facts == expected


OFFBOARD = [
    pytest.param(f"{C15}/APICollections_OffboardAzureApiManagementApi_example.json", "200", id="200"),
    pytest.param(f"{C15}/APICollections_OffboardAzureApiManagementApi_example.json", "204", id="204"),
    pytest.param(f"{CPRE}/APICollectionOffboarding_Delete_example.json", "200", id="2022-11-20-preview-200"),
]


@pytest.mark.parametrize(("example", "status"), OFFBOARD)
def test_offboard_deletes_the_collection(replay, clients, example, status) -> None:
    replay.answer_example("DELETE", ECHO.collection_id, example, status)
    defender.offboard(clients.security(SEC_SUB), ECHO)  # typed to return None: its answer is that it did not raise
    assert replay.paths("DELETE") == [ECHO.collection_id]


# --- Microsoft.Security pricings -----------------------------------------------------------------------------------

STANDARD = PlanFacts(PRICING_SUB, "Standard")
STANDARD_P1 = PlanFacts(PRICING_SUB, "Standard", "P1")
STANDARD_P2 = PlanFacts(PRICING_SUB, "Standard", "P2")

# Get examples, and the bodies that Update answers with (the same Pricing resource), served as the "Api" pricing of
# the list that get_plan reads (GET .../pricings?$filter=name in (Api,CloudPosture)).
GET_PLAN = [
    pytest.param(f"{P24}/GetPricingByNameDns_example.json", "200", STANDARD, id="2024-get-dns"),
    pytest.param(f"{P24}/GetPricingByNameCloudPosture_example.json", "200", STANDARD, id="2024-get-cloudposture"),
    pytest.param(f"{P24}/GetPricingByNameVirtualMachines_example.json", "200", STANDARD_P2, id="2024-get-vms"),
    pytest.param(f"{P24}/PutPricingByName_example.json", "200", STANDARD, id="2024-put-200"),
    pytest.param(f"{P24}/PutPricingByName_example.json", "201", STANDARD, id="2024-put-201"),
    pytest.param(f"{P24}/PutPricingByNamePartialSuccess_example.json", "200", STANDARD, id="2024-put-partial-200"),
    pytest.param(f"{P24}/PutPricingByNamePartialSuccess_example.json", "201", STANDARD, id="2024-put-partial-201"),
    pytest.param(f"{P24}/PutPricingVMsByName_example.json", "200", STANDARD_P2, id="2024-put-vms-200"),
    pytest.param(f"{P24}/PutPricingVMsByName_example.json", "201", STANDARD_P2, id="2024-put-vms-201"),
    pytest.param(f"{P23}/GetPricingByName_example.json", "200", STANDARD_P1, id="2023-get-vms"),
    # Asked for subPlan P2; the published answer carries no subPlan.
    pytest.param(f"{P23}/PutPricingByName_example.json", "200", STANDARD, id="2023-put-200"),
]


@pytest.mark.parametrize(("example", "status", "expected"), GET_PLAN)
def test_get_plan_reads_tier_and_sub_plan(replay, clients, example, status, expected) -> None:
    replay.answer("GET", PRICINGS_PATH, 200, {"value": [_pricing(example, status) | {"name": "Api"}]})
    assert defender.get_plan(clients.security(PRICING_SUB), PRICING_SUB) == expected


def _cspm(api_posture: str | None) -> dict[str, Any]:
    """The published CloudPosture pricing, with an ApiPosture extension added when ``api_posture`` is given (no
    published example shows it; Azure returns it as the other extensions, azure-rest-api-specs issue #43338)."""
    body = _pricing(f"{P24}/GetPricingByNameCloudPosture_example.json")
    extra = [{"name": "ApiPosture", "isEnabled": api_posture}] if api_posture else []
    return body | {"properties": body["properties"] | {"extensions": body["properties"]["extensions"] + extra}}


@pytest.mark.parametrize(
    ("api_posture", "expected"), [(None, False), ("False", False), ("True", True)], ids=["absent", "off", "on"]
)
def test_get_plan_reads_the_cspm_api_posture_extension(replay, clients, api_posture, expected) -> None:
    api = _pricing(f"{P24}/GetPricingByNameVirtualMachines_example.json") | {"name": "Api"}
    replay.answer("GET", PRICINGS_PATH, 200, {"value": [api, _cspm(api_posture)]})
    plan = defender.get_plan(clients.security(PRICING_SUB), PRICING_SUB)
    assert (plan.pricing_tier, plan.sub_plan, plan.api_posture) == ("Standard", "P2", expected)


def test_a_subscription_without_the_api_pricing_reads_as_free(replay, clients) -> None:
    replay.answer("GET", PRICINGS_PATH, 200, _pricing(f"{P24}/ListPricings_example.json"))
    assert defender.get_plan(clients.security(PRICING_SUB), PRICING_SUB) == PlanFacts(PRICING_SUB, "Free")


LISTED_PRICINGS = [
    pytest.param(example, index, item["properties"], id=f"{example.rsplit('/', 1)[1].split('_')[0]}-{item['name']}")
    for example in (f"{P24}/ListPricings_example.json", f"{P24}/ListPricingsWithPlanFilter_example.json")
    for index, item in enumerate(_pricing(example)["value"])
]


@pytest.mark.parametrize(("example", "index", "properties"), LISTED_PRICINGS)
def test_get_plan_reads_each_listed_pricing(replay, clients, example, index, properties) -> None:
    replay.answer("GET", PRICINGS_PATH, 200, {"value": [_pricing(example)["value"][index] | {"name": "Api"}]})
    expected = PlanFacts(PRICING_SUB, properties["pricingTier"], properties.get("subPlan"))
    assert defender.get_plan(clients.security(PRICING_SUB), PRICING_SUB) == expected


# Served by Azure, absent from the spec's examples (see tests/emulator/test_emulator_shapes.py for the source).
LISTED_EXPOSURE = (
    "value[].properties.subscriptionRequired",
    "value[].properties.authenticationSettings",
    "value[].properties.authenticationSettings.oAuth2AuthenticationSettings",
    "value[].properties.authenticationSettings.openidAuthenticationSettings",
)

# --- Microsoft.ApiManagement 2024-05-01 ----------------------------------------------------------------------------

SOAP_API = "57d1f7558aa04f15146d9d8a"
GET_API = [
    pytest.param(
        f"{AM}/ApiManagementGetApiContract.json",
        ApiRef(APIM_SUB, "rg1", "apimService1", SOAP_API),
        ApiFacts(SOAP_API, "Service", "soap", True, None, oauth=True, protocols=("https",)),
        id="service-api",
    ),
    pytest.param(
        f"{AM}/ApiManagementGetWorkspaceApiContract.json",
        ApiRef(APIM_SUB, "rg1", "apimService1", SOAP_API, "wks1"),
        ApiFacts(SOAP_API, "Service", "soap", True, "wks1", oauth=True, protocols=("https",)),
        id="workspace-api",
    ),
]


@pytest.mark.parametrize(("example", "ref", "expected"), GET_API)
def test_get_api_reads_the_contract(replay, clients, example, ref, expected) -> None:
    replay.answer_example("GET", ref.resource_id, example)
    assert apim.get_api(clients.apim(APIM_SUB), ref) == expected


def _listed(workspace: str | None) -> list[ApiFacts]:
    """The four APIs of the list examples; none has a "type", so each reads as http."""
    return [
        ApiFacts("a1", "api1", "http", True, workspace, protocols=("https",)),
        ApiFacts("5a73933b8f27f7cc82a2d533", "api1", "http", True, workspace, protocols=("https",)),
        ApiFacts("echo-api", "Echo API", "http", True, workspace, protocols=("https",)),
        ApiFacts(
            "5a7390baa5816a110435aee0", "Swagger Petstore Extensive", "http", True, workspace, protocols=("https",)
        ),
    ]


def test_list_apis_reads_every_api_as_http(replay, clients) -> None:
    replay.answer_example("GET", f"{SVC.resource_id}/apis", f"{AM}/ApiManagementListApis.json")
    assert apim.list_apis(clients.apim(APIM_SUB), SVC) == _listed(None)


@pytest.fixture
def workspaces(replay):
    """ListWorkspaces names wks1 and wks2 (the second one's "name" wrongly says wks1); ListWorkspaceApis is wks1's.
    No example lists wks2's APIs: it answers an empty page."""
    replay.answer_example("GET", f"{SVC.resource_id}/workspaces", f"{AM}/ApiManagementListWorkspaces.json")
    replay.answer_example("GET", f"{SVC.resource_id}/workspaces/wks1/apis", f"{AM}/ApiManagementListWorkspaceApis.json")
    replay.answer("GET", f"{SVC.resource_id}/workspaces/wks2/apis", 200, {"value": [], "count": 0, "nextLink": ""})
    return replay


def test_list_workspace_apis_reads_every_workspace_api(workspaces, clients) -> None:
    assert apim.list_workspace_apis(clients.apim(APIM_SUB), SVC) == _listed("wks1")


def test_workspaces_are_addressed_by_their_id_not_their_name(workspaces, clients) -> None:
    apim.list_workspace_apis(clients.apim(APIM_SUB), SVC)
    assert [p.rsplit("/", 2)[1] for p in workspaces.paths("GET") if p.endswith("/apis")] == ["wks1", "wks2"]


@pytest.fixture
def gateways(replay):
    """ListGateways names gw1 and gw2 by id (their "name"s are a1 and 5a73933b8f27f7cc82a2d533); ListGatewayApis is
    gw1's. No example lists gw2's APIs: it answers an empty page."""
    replay.answer_example("GET", f"{SVC.resource_id}/gateways", f"{AM}/ApiManagementListGateways.json")
    replay.answer_example("GET", f"{SVC.resource_id}/gateways/gw1/apis", f"{AM}/ApiManagementListGatewayApis.json")
    replay.answer("GET", f"{SVC.resource_id}/gateways/gw2/apis", 200, {"value": [], "count": 0, "nextLink": ""})
    return replay


def test_self_hosted_api_ids_reads_the_gateway_apis(gateways, clients) -> None:
    assert apim.self_hosted_api_ids(clients.apim(APIM_SUB), SVC) == frozenset({"57681820a40f7eb6c49f6aca"})


def test_gateways_are_addressed_by_their_id_not_their_name(gateways, clients) -> None:
    apim.self_hosted_api_ids(clients.apim(APIM_SUB), SVC)
    assert [p.rsplit("/", 2)[1] for p in gateways.paths("GET") if p.endswith("/apis")] == ["gw1", "gw2"]


def test_get_service_reads_tier_region_and_tags(replay, clients) -> None:
    replay.answer_example("GET", SVC.resource_id, f"{AM}/ApiManagementServiceGetService.json")
    facts = apim.get_service(clients.apim(APIM_SUB), SVC, with_gateways=False)
    tags = {"owner": "v-aswmoh", "ReleaseName": "Z3"}
    assert facts == ServiceFacts(
        SVC, "Premium", "East US", tags, public_network_access="Enabled", virtual_network_type="None"
    )


def _service(name: str, sku: str, tags: dict[str, str]) -> ServiceFacts:
    return ServiceFacts(
        ServiceRef(APIM_SUB, "rg1", name),
        sku,
        "East US",
        tags,
        public_network_access="Enabled",
        virtual_network_type="None",
    )


LISTED_SERVICES = [
    _service("OGF-Z3-06162021-Premium", "Premium", {"owner": "v-aswmoh", "ReleaseName": "Z3"}),
    _service("vvktestcons", "Consumption", {"Owner": "vitaliik"}),
    _service("OGF-Z3-06162021-Standard", "Standard", {}),
    _service("ogf-dev-060921", "Premium", {}),
]
LIST_SERVICES = [
    pytest.param(
        f"{AM}/ApiManagementListServiceBySubscription.json",
        f"/subscriptions/{APIM_SUB}/providers/Microsoft.ApiManagement/service",
        None,
        id="subscription",
    ),
    pytest.param(
        f"{AM}/ApiManagementListServiceBySubscriptionAndResourceGroup.json",
        f"/subscriptions/{APIM_SUB}/resourceGroups/rg1/providers/Microsoft.ApiManagement/service",
        "rg1",
        id="resource-group",
    ),
]


@pytest.mark.parametrize(("example", "path", "resource_group"), LIST_SERVICES)
def test_list_services_reads_every_service(replay, clients, example, path, resource_group) -> None:
    replay.answer_example("GET", path, example)
    assert apim.list_services(clients.apim(APIM_SUB), APIM_SUB, resource_group) == LISTED_SERVICES


# --- Microsoft.Resources subscriptions -----------------------------------------------------------------------------

SUBSCRIPTIONS = "arm/subscriptions/2022-12-01/GetSubscriptions.json"


def test_list_subscriptions_reads_the_enabled_subscriptions(replay, clients) -> None:
    body = real_json(SUBSCRIPTIONS)["responses"]["200"]["body"]
    replay.answer("GET", "/subscriptions", 200, {**body, "nextLink": None})  # the example's nextLink is "..."
    assert list_subscriptions(clients) == [
        "291bba3f-e0a5-47bc-a099-3bdcb2a50a05",
        "72ac930a-f34e-42d8-b06d-dc2a9e12ed71",
    ]


# --- The local emulator serves the examples' shapes ----------------------------------------------------------------

OPAQUE_MAPS = ("tags", "customProperties", "userAssignedIdentities")
EMU_SUB = "00000000-0000-0000-0000-000000000001"
EMU_SVC = f"/subscriptions/{EMU_SUB}/resourceGroups/rg-apis/providers/Microsoft.ApiManagement/service/apim-prod"
APIM_V = "api-version=2024-05-01"
SERVICE_DETAILS = (
    "value[].identity",
    "value[].properties.additionalLocations",
    "value[].properties.apiVersionConstraint",
    "value[].properties.certificates",
    "value[].properties.configurationApi",
    "value[].properties.customProperties",
    "value[].properties.enableClientCertificate",
    "value[].properties.hostnameConfigurations[].certificate",
    "value[].properties.hostnameConfigurations[].keyVaultId",
)


def _kind(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array", str: "string", type(None): "null"}[type(value)]


def _paths(value, prefix: str = "") -> dict[str, str]:
    found = {prefix: _kind(value)} if prefix else {}
    if isinstance(value, dict) and prefix.rsplit(".", 1)[-1] not in OPAQUE_MAPS:
        for key, item in value.items():
            found |= _paths(item, f"{prefix}.{key}" if prefix else key)
    if isinstance(value, list):
        for item in value:
            found |= _paths(item, f"{prefix}[]")
    return found


def _differences(actual, reference, extra: tuple[str, ...], omitted: tuple[str, ...]) -> dict[str, set[str]]:
    mine, theirs = _paths(actual), _paths(reference)
    return {
        "invented": {p for p in mine.keys() - theirs.keys() if not p.startswith(extra)},
        "missing": {p for p in theirs.keys() - mine.keys() if not p.startswith(omitted)},
        "kind_mismatch": {p for p in mine.keys() & theirs.keys() if mine[p] != theirs[p]},
    }


def _call(server, method: str, target: str, body=None) -> tuple[int, object]:
    connection = http.client.HTTPConnection(urlsplit(server.url).netloc, timeout=10)
    headers = {"Authorization": "Bearer emulator", "Content-Type": "application/json"}
    try:
        connection.request(method, target, body=None if body is None else json.dumps(body).encode(), headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    return response.status, json.loads(data) if data else None


NO_DIFFERENCE: dict[str, set[str]] = {"invented": set(), "missing": set(), "kind_mismatch": set()}
EMULATOR_SHAPES = [
    pytest.param(
        f"{AM}/ApiManagementListServiceBySubscription.json",
        f"/subscriptions/{EMU_SUB}/providers/Microsoft.ApiManagement/service?{APIM_V}",
        ("value[].properties.platformVersion",),
        SERVICE_DETAILS,
        id="services-by-subscription",
    ),
    pytest.param(
        f"{AM}/ApiManagementListServiceBySubscriptionAndResourceGroup.json",
        f"/subscriptions/{EMU_SUB}/resourceGroups/rg-apis/providers/Microsoft.ApiManagement/service?{APIM_V}",
        ("value[].properties.platformVersion",),
        SERVICE_DETAILS,
        id="services-by-resource-group",
    ),
    pytest.param(
        f"{AM}/ApiManagementListWorkspaces.json", f"{EMU_SVC}/workspaces?{APIM_V}", (), ("nextLink",), id="ws"
    ),
    pytest.param(
        f"{AM}/ApiManagementListWorkspaceApis.json",
        f"{EMU_SVC}/workspaces/ws1/apis?{APIM_V}",
        ("value[].properties.type", *LISTED_EXPOSURE),
        ("nextLink", "value[].properties.apiVersion", "value[].properties.description"),
        id="workspace-apis",
    ),
    pytest.param(
        f"{AM}/ApiManagementListGateways.json", f"{EMU_SVC}/gateways?{APIM_V}", (), ("nextLink",), id="gateways"
    ),
    pytest.param(
        f"{P24}/ListPricings_example.json",
        f"/subscriptions/{EMU_SUB}/providers/Microsoft.Security/pricings?api-version=2024-01-01",
        (),
        ("value[].properties.extensions", "value[].properties.deprecated", "value[].properties.replacedBy"),
        id="pricings",
    ),
    pytest.param(
        SUBSCRIPTIONS,
        "/subscriptions?api-version=2022-12-01",
        ("count",),  # ARM's subscription list carries a count object; the example leaves it out
        (
            "nextLink",
            "value[].authorizationSource",
            "value[].managedByTenants",
            "value[].subscriptionPolicies",
            "value[].tags",
        ),
        id="subscriptions",
    ),
]


@pytest.mark.parametrize(("example", "target", "extra", "omitted"), EMULATOR_SHAPES)
def test_emulator_list_matches_the_example_shape(emulator_under_test, example, target, extra, omitted) -> None:
    _, actual = _call(emulator_under_test, "GET", target)
    reference = real_json(example)["responses"]["200"]["body"]
    assert _differences(actual, reference, extra, omitted) == NO_DIFFERENCE


def test_emulator_resource_graph_envelope_matches_the_example(emulator_under_test) -> None:
    """The rows follow each query's projection; the envelope around them is the same for every query."""
    body = {"query": graph.SERVICES_QUERY, "options": {"$top": graph.PAGE_SIZE, "resultFormat": "objectArray"}}
    _, actual = _call(
        emulator_under_test,
        "POST",
        f"/providers/Microsoft.ResourceGraph/resources?api-version={graph.API_VERSION}",
        body,
    )
    reference = real_json("arm/resourcegraph/2021-03-01/ResourcesBasicQuery.json")["responses"]["200"]["body"]
    assert isinstance(actual, dict)
    assert {k: _kind(v) for k, v in actual.items()} == {k: _kind(v) for k, v in reference.items()}


def test_emulator_offboard_answers_a_status_the_example_lists(emulator_under_test) -> None:
    example = real_json(f"{C15}/APICollections_OffboardAzureApiManagementApi_example.json")
    target = f"{EMU_SVC}/providers/Microsoft.Security/apiCollections/echo-api?api-version=2023-11-15"
    status, _ = _call(emulator_under_test, "DELETE", target)
    assert str(status) in example["responses"]


# --- Every ARM example file is used above --------------------------------------------------------------------------


def test_every_arm_example_is_replayed() -> None:
    tables = GET_COLLECTION + LIST_COLLECTIONS + ONBOARD + OFFBOARD + GET_PLAN + LISTED_PRICINGS + GET_API
    used = {file_of(p.values) for p in tables + LIST_SERVICES + EMULATOR_SHAPES} | {
        f"{AM}/ApiManagementListApis.json",
        f"{AM}/ApiManagementListWorkspaces.json",
        f"{AM}/ApiManagementListWorkspaceApis.json",
        f"{AM}/ApiManagementListGateways.json",
        f"{AM}/ApiManagementListGatewayApis.json",
        f"{AM}/ApiManagementServiceGetService.json",
        SUBSCRIPTIONS,
        "arm/resourcegraph/2021-03-01/ResourcesBasicQuery.json",
        "arm/monitor/2023-10-01/PostMultiResourceMetricBody.json",  # replayed in tests/azure/test_metrics.py
    }
    assert sorted(used) == manifest_files("arm-example")
