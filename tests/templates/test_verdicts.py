"""templates.verdicts: the live rules' reason codes on hand-built template resources (no reader involved)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path

import jsonschema
import pytest

from monitors.errors import AzurePermissionError
from monitors.model import ApiRef, CollectionFacts, Finding, FindingSource, Reason, Status
from monitors.settings import Settings
from monitors.templates.resources import Source, TemplateFile, TemplateResource
from monitors.templates.verdicts import (
    ASSUMED_PLAN,
    PLACEHOLDER_RESOURCE_GROUP,
    PLACEHOLDER_SUBSCRIPTION,
    Live,
    evaluate,
)

SCHEMA_PATH = Path(__file__).parent.parent / "data" / "findings.schema.json"
TODAY = dt.date(2026, 12, 2)
SETTINGS = Settings()
SUB, RG = "11111111-2222-3333-4444-555555555555", "rg-apis"


def service(
    name: str = "apim-prod", *, sku: str = "Developer", location: str = "westeurope", **kw: object
) -> TemplateResource:
    return TemplateResource(
        type="Microsoft.ApiManagement/service",
        name=name,
        source=Source("main.bicep", 1),
        sku=sku,
        location=location,
        **kw,  # type: ignore[arg-type]
    )


def api(
    name: str = "apim-prod/orders", *, line: int = 20, extra: Mapping[str, object] | None = None, **properties: object
) -> TemplateResource:
    return TemplateResource(
        type="Microsoft.ApiManagement/service/apis",
        name=name,
        source=Source("main.bicep", line),
        properties={"displayName": "Orders", "path": "orders", **(extra or {}), **properties},
    )


def collection(name: str, scope: str | None = None) -> TemplateResource:
    return TemplateResource(
        type="Microsoft.Security/apiCollections", name=name, source=Source("main.bicep", 40), scope=scope
    )


def verdicts(*resources: TemplateResource, kind: str = "bicep", live: Live | None = None) -> list[Finding]:
    files = [TemplateFile("main.bicep", kind, resources=resources)]
    return evaluate(files, SETTINGS, TODAY, live=live)


def only(*resources: TemplateResource, kind: str = "bicep", live: Live | None = None) -> Finding:
    (finding,) = verdicts(*resources, kind=kind, live=live)
    return finding


def test_an_api_without_a_collection_is_not_onboarded_with_its_location_and_the_bicep_fix() -> None:
    finding = only(service(), api())
    assert (finding.status, finding.reason, finding.api, finding.service) == (
        Status.NONCOMPLIANT,
        Reason.NOT_ONBOARDED,
        "orders",
        "apim-prod",
    )
    assert finding.source == FindingSource("main.bicep", 20)
    assert finding.resource_id == (
        f"/subscriptions/{PLACEHOLDER_SUBSCRIPTION}/resourceGroups/{PLACEHOLDER_RESOURCE_GROUP}"
        "/providers/Microsoft.ApiManagement/service/apim-prod/apis/orders"
    )
    assert ASSUMED_PLAN in finding.detail
    assert (
        finding.fix is not None
        and "resource ordersCollection 'Microsoft.Security/apiCollections@2023-11-15'" in finding.fix
    )


def test_an_arm_input_gets_the_json_fix() -> None:
    finding = only(service(), api(), kind="arm")
    assert finding.fix is not None and '"type": "Microsoft.Security/apiCollections"' in finding.fix


def test_the_templates_subscription_and_group_make_the_real_id() -> None:
    declared = TemplateResource(
        type="Microsoft.ApiManagement/service/apis",
        name="apim-prod/orders",
        source=Source("main.json", 7),
        subscription_id=SUB,
        resource_group=RG,
    )
    assert only(service(), declared).resource_id == ApiRef(SUB, RG, "apim-prod", "orders").resource_id


@pytest.mark.parametrize(
    "declared",
    [
        collection("apim-prod/orders"),
        collection("apim-prod/Microsoft.Security/orders"),
        collection("orders", scope="Microsoft.ApiManagement/service/apim-prod"),
        collection("orders", scope="Microsoft.ApiManagement/service/apim-prod/apis/orders"),
        collection(
            "orders",
            scope=f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ApiManagement/service/apim-prod",
        ),
        collection("orders", scope="Microsoft.ApiManagement/service/apis/apim-prod/orders"),
    ],
    ids=["child", "child-providers", "extension-service", "extension-api", "extension-id", "extension-type-names"],
)
def test_a_collection_declared_in_the_deployment_onboards_the_api(declared: TemplateResource) -> None:
    finding = only(service(), api(), declared)
    assert (finding.status, finding.reason, finding.fix) == (Status.COMPLIANT, Reason.ONBOARDED, None)
    assert "declared" in finding.detail


def test_a_service_deployed_in_one_file_and_existing_in_another_is_deployed() -> None:
    files = [
        TemplateFile("main.bicep", "bicep", resources=(service(),)),
        TemplateFile("api.bicep", "bicep", resources=(service(existing=True), api())),
    ]
    assert [f.reason for f in evaluate(files, SETTINGS, TODAY)] == [Reason.NOT_ONBOARDED]
    assert [f.reason for f in evaluate(files[::-1], SETTINGS, TODAY)] == [Reason.NOT_ONBOARDED]


def test_a_collection_for_another_api_does_not_count() -> None:
    assert only(service(), api(), collection("apim-prod/payments")).reason is Reason.NOT_ONBOARDED


@pytest.mark.parametrize(
    ("properties", "api_type"),
    [
        ({"type": "graphql"}, "graphql"),
        ({"apiType": "websocket"}, "websocket"),
        ({"type": "soap"}, "soap"),
        ({"apiType": "soap", "format": "wsdl"}, "soap"),
        ({"apiType": "grpc"}, "grpc"),
        ({"type": "odata"}, "odata"),
    ],
)
def test_non_rest_types_from_the_create_time_fields(properties: dict[str, object], api_type: str) -> None:
    finding = only(service(), api(extra=properties))
    assert (finding.status, finding.reason) == (Status.NOT_APPLICABLE, Reason.NON_REST_API)
    assert f"is a {api_type} API" in finding.detail


def test_soap_to_rest_is_rest() -> None:
    assert only(service(), api(apiType="http", format="wsdl")).reason is Reason.NOT_ONBOARDED


def test_a_revision_is_its_api_and_the_current_one_speaks() -> None:
    findings = verdicts(service(), api("apim-prod/orders;rev=2", line=30), api(line=20))
    assert [(f.api, f.source) for f in findings] == [("orders", FindingSource("main.bicep", 20))]
    revision_only = only(service(), api("apim-prod/orders;rev=2", line=30), collection("apim-prod/orders"))
    assert (revision_only.api, revision_only.reason) == ("orders", Reason.ONBOARDED)


def test_a_workspace_api_is_not_applicable() -> None:
    ws_api = TemplateResource(
        type="Microsoft.ApiManagement/service/workspaces/apis",
        name="apim-prod/team-a/orders",
        source=Source("main.bicep", 50),
    )
    finding = only(service(), ws_api)
    assert (finding.status, finding.reason, finding.resource_id.endswith("/workspaces/team-a/apis/orders")) == (
        Status.NOT_APPLICABLE,
        Reason.WORKSPACE_API,
        True,
    )


def test_consumption_tier_is_not_applicable() -> None:
    assert only(service(sku="Consumption"), api()).reason is Reason.UNSUPPORTED_TIER


def test_an_unsupported_region_is_not_applicable() -> None:
    assert only(service(location="Antarctica North"), api()).reason is Reason.UNSUPPORTED_REGION


def test_the_exemption_tag_on_the_service_exempts() -> None:
    finding = only(service(tags={"defender-apis-exempt": "internal only"}), api())
    assert (finding.status, finding.reason) == (Status.EXEMPT, Reason.EXEMPT)


def test_a_plan_declared_off_says_plan_not_enabled() -> None:
    pricing = TemplateResource(
        type="Microsoft.Security/pricings",
        name="Api",
        source=Source("sub.bicep", 3),
        properties={"pricingTier": "Free"},
    )
    finding = only(service(), api(), pricing)
    assert (finding.status, finding.reason, ASSUMED_PLAN in finding.detail) == (
        Status.NONCOMPLIANT,
        Reason.PLAN_NOT_ENABLED,
        False,
    )


@pytest.mark.parametrize("declared", [[], [service(existing=True)]], ids=["absent", "existing"])
def test_a_service_not_declared_is_an_error_that_says_unresolved(declared: list[TemplateResource]) -> None:
    finding = only(*declared, api())
    assert (finding.status, finding.reason) == (Status.ERROR, Reason.ARM_ERROR)
    assert "unresolved" in finding.detail and finding.source == FindingSource("main.bicep", 20)


def test_an_unresolved_service_field_is_never_guessed() -> None:
    finding = only(service(unresolved=("sku",)), api())
    assert (finding.status, "unresolved service sku" in finding.detail) == (Status.ERROR, True)


def test_an_expression_left_as_a_name_is_unresolved() -> None:
    finding = only(service("[parameters('svc')]"), api("[parameters('svc')]/orders"))
    assert (finding.status, "unresolved name" in finding.detail) == (Status.ERROR, True)


def test_live_finds_a_collection_that_already_exists() -> None:
    seen: list[ApiRef] = []

    def live(ref: ApiRef) -> CollectionFacts | None:
        seen.append(ref)
        return CollectionFacts(ref.api_id, ref.collection_id, "Succeeded")

    located = TemplateResource(
        type="Microsoft.ApiManagement/service/apis",
        name="apim-prod/orders",
        source=Source("main.json", 7),
        subscription_id=SUB,
        resource_group=RG,
    )
    finding = only(service(), located, live=live)
    assert (finding.reason, seen) == (Reason.ONBOARDED, [ApiRef(SUB, RG, "apim-prod", "orders")])
    assert "exists in Azure" in finding.detail


def test_live_cannot_look_without_the_templates_subscription() -> None:
    def live(ref: ApiRef) -> CollectionFacts | None:
        raise AssertionError("never asked for a placeholder id")

    finding = only(service(), api(), live=live)
    assert (finding.reason, "--live cannot look" in finding.detail) == (Reason.NOT_ONBOARDED, True)


def test_a_live_permission_error_is_an_error_finding() -> None:
    def live(ref: ApiRef) -> CollectionFacts | None:
        raise AzurePermissionError("403 reading the collection", resource_id=ref.collection_id, status_code=403)

    located = TemplateResource(
        type="Microsoft.ApiManagement/service/apis",
        name="apim-prod/orders",
        source=Source("main.json", 7),
        subscription_id=SUB,
        resource_group=RG,
    )
    finding = only(service(), located, live=live)
    assert (finding.status, finding.reason, finding.source) == (
        Status.ERROR,
        Reason.PERMISSION_DENIED,
        FindingSource("main.json", 7),
    )


def test_findings_with_source_and_fix_match_the_contract_and_read_back() -> None:
    findings = verdicts(service(), api(), api("apim-prod/payments", line=25, type="graphql"))
    document = {
        "schema": "apim-defender-monitor/findings@2",
        "generated_at": "2026-12-02T09:00:00+00:00",
        "summary": {
            "total": 2,
            "compliant": 0,
            "noncompliant": 1,
            "not_applicable": 1,
            "exempt": 0,
            "error": 0,
            "onboarded": 0,
        },
        "findings": [f.to_dict() for f in findings],
    }
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert [Finding.from_dict(f.to_dict()) for f in findings] == findings
