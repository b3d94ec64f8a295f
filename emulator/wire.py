"""JSON bodies for each emulated resource, shaped key for key like the public ARM REST examples.

Shapes follow the azure-rest-api-specs examples for APIM 2024-05-01, Security apiCollections 2023-11-15 and pricings
2024-01-01. Deliberate quirks of the real service are kept: an HTTP API has no `properties.type` at all, the service
`location` is the display name ("East US"), and collection ids are extension ids under the APIM service id.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from typing import Any

from emulator.estate import ApiSpec, SubscriptionSpec
from emulator.ids import collection_id, gateway_url, pricing_id, subscription_id
from emulator.store import CollectionState, GatewayState, PricingState, ServiceState, WorkspaceState

SERVICE_TYPE = "Microsoft.ApiManagement/service"
API_TYPE = "Microsoft.ApiManagement/service/apis"
WORKSPACE_TYPE = "Microsoft.ApiManagement/service/workspaces"
WORKSPACE_API_TYPE = "Microsoft.ApiManagement/service/workspaces/apis"
GATEWAY_TYPE = "Microsoft.ApiManagement/service/gateways"
GATEWAY_API_TYPE = "Microsoft.ApiManagement/service/gateways/apis"
COLLECTION_TYPE = "Microsoft.Security/apiCollections"
PRICING_TYPE = "Microsoft.Security/pricings"
TENANT_ID = "72f988bf-0000-0000-0000-00000000e0e0"
_SENSITIVITY_LABELS = ("Public", "General", "Confidential", "Highly Confidential")


def etag(*parts: str) -> str:
    """A stable opaque etag in the base64 form APIM uses (`AAAAAAAWN/4=`)."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()[:8]
    return base64.b64encode(digest).decode()


def location_code(display_name: str) -> str:
    """The region code ARM and Resource Graph derive from a display name: "East US" -> "eastus"."""
    return display_name.lower().replace(" ", "")


def service_body(service: ServiceState) -> dict[str, Any]:
    """An APIM service resource, as ApiManagementServiceGetService.json."""
    spec = service.spec
    return {
        "id": service.id,
        "name": spec.name,
        "type": SERVICE_TYPE,
        "tags": dict(spec.tags),
        "location": spec.location,
        "etag": etag(service.id),
        "properties": _service_properties(service),
        "sku": {"name": spec.sku, "capacity": spec.capacity},
        "systemData": {
            "createdBy": "emulator@contoso.com",
            "createdByType": "User",
            "createdAt": "2024-01-01T00:00:00.0000000Z",
            "lastModifiedBy": "emulator@contoso.com",
            "lastModifiedByType": "User",
            "lastModifiedAt": "2024-01-01T00:00:00.0000000Z",
        },
    }


def _service_properties(service: ServiceState) -> dict[str, Any]:
    name = service.spec.name.lower()
    region = location_code(service.spec.location)
    return {
        "publisherEmail": "apis@contoso.com",
        "publisherName": "Contoso",
        "notificationSenderEmail": "apimgmt-noreply@mail.windowsazure.com",
        "provisioningState": "Succeeded",
        "targetProvisioningState": "",
        "createdAtUtc": "2024-01-01T00:00:00.0000000Z",
        "gatewayUrl": gateway_url(name),
        "gatewayRegionalUrl": f"https://{name}-{region}-01.regional.azure-api.net",
        "portalUrl": f"https://{name}.portal.azure-api.net",
        "developerPortalUrl": f"https://{name}.developer.azure-api.net",
        "managementApiUrl": f"https://{name}.management.azure-api.net",
        "scmUrl": f"https://{name}.scm.azure-api.net",
        "hostnameConfigurations": [
            {
                "type": "Proxy",
                "hostName": f"{name}.azure-api.net",
                "negotiateClientCertificate": False,
                "defaultSslBinding": False,
                "certificateSource": "BuiltIn",
            }
        ],
        "publicIPAddresses": [f"20.0.{zlib.crc32(name.encode()) % 250}.1"],
        "virtualNetworkType": service.spec.virtual_network_type,
        "disableGateway": False,
        "publicNetworkAccess": service.spec.public_network_access,
        "platformVersion": "mtv1" if service.spec.sku == "Consumption" else "stv2",
    }


def api_body(parent_id: str, resource_type: str, api: ApiSpec, *, detail: bool = False) -> dict[str, Any]:
    """An API contract under `parent_id` (a service, workspace or gateway id); `detail` adds the GET-only fields."""
    properties: dict[str, Any] = {
        "displayName": api.display_name,
        "apiRevision": api.api_revision,
        "serviceUrl": api.service_url,
        "path": api.path,
        "protocols": list(api.protocols),
        "subscriptionRequired": api.subscription_required,
        "authenticationSettings": _authentication_settings(api),
    }
    if detail:
        properties["subscriptionKeyParameterNames"] = {
            "header": "Ocp-Apim-Subscription-Key",
            "query": "subscription-key",
        }
    if api.api_type is not None:
        properties["type"] = api.api_type
    properties["isCurrent"] = api.is_current
    if detail:
        properties["isOnline"] = api.is_online
    return {"id": f"{parent_id}/apis/{api.name}", "type": resource_type, "name": api.name, "properties": properties}


def _authentication_settings(api: ApiSpec) -> dict[str, Any]:
    """APIM's authenticationSettings: the single ``oAuth2`` object and the list that replaced it (both are served, as
    in the 2024-05-01 example ApiManagementGetApiContract.json)."""
    if api.oauth2_server is None:
        return {"oAuth2AuthenticationSettings": [], "openidAuthenticationSettings": []}
    server = {"authorizationServerId": api.oauth2_server, "scope": None}
    return {"oAuth2": server, "oAuth2AuthenticationSettings": [server], "openidAuthenticationSettings": []}


def workspace_body(service: ServiceState, workspace: WorkspaceState) -> dict[str, Any]:
    """An APIM workspace resource."""
    return {
        "id": f"{service.id}/workspaces/{workspace.name}",
        "type": WORKSPACE_TYPE,
        "name": workspace.name,
        "properties": {"displayName": workspace.display_name, "description": ""},
    }


def gateway_body(service: ServiceState, gateway: GatewayState) -> dict[str, Any]:
    """A self-hosted gateway resource."""
    spec = gateway.spec
    return {
        "id": f"{service.id}/gateways/{spec.name}",
        "type": GATEWAY_TYPE,
        "name": spec.name,
        "properties": {"locationData": {"name": spec.location}, "description": f"Self-hosted gateway {spec.name}"},
    }


def collection_body(service: ServiceState, collection: CollectionState) -> dict[str, Any]:
    """A Defender API collection, as APICollections_GetByAzureApiManagementService_example.json."""
    seed = zlib.crc32(collection.name.lower().encode())
    endpoints = 1 + seed % 12
    body: dict[str, Any] = {
        "id": collection_id(service.id, collection.name),
        "name": collection.name,
        "type": COLLECTION_TYPE,
        "properties": {
            "provisioningState": collection.state,
            "displayName": collection.display_name,
            "discoveredVia": service.id,
            "baseUrl": collection.base_url,
            "numberOfApiEndpoints": endpoints,
            "numberOfInactiveApiEndpoints": endpoints // 2,
            "numberOfUnauthenticatedApiEndpoints": seed % 2,
            "numberOfExternalApiEndpoints": endpoints // 3,
            "numberOfApiEndpointsWithSensitiveDataExposed": seed % 3 % 2,
            "sensitivityLabel": _SENSITIVITY_LABELS[seed % len(_SENSITIVITY_LABELS)],
        },
    }
    if collection.state == "Failed":
        body["properties"]["error"] = onboarding_error(collection.name)
    return body


def accepted_collection_body(service: ServiceState, api_name: str) -> dict[str, Any]:
    """The 201 body of an onboarding request, as in the Onboard example (provisioningState Accepted)."""
    return {
        "id": collection_id(service.id, api_name),
        "name": api_name,
        "type": COLLECTION_TYPE,
        "properties": {"provisioningState": "Accepted"},
    }


def onboarding_error(api_name: str) -> dict[str, str]:
    """The ARM error reported for an emulated onboarding failure."""
    return {"code": "OnboardingFailed", "message": f"Onboarding API '{api_name}' to Defender for APIs failed."}


def pricing_body(sub: str, pricing: PricingState) -> dict[str, Any]:
    """A Defender plan setting, as GetPricingByNameDns_example.json (subPlan only on Standard)."""
    standard = pricing.tier == "Standard"
    properties: dict[str, Any] = {"pricingTier": pricing.tier}
    if standard and pricing.sub_plan:
        properties["subPlan"] = pricing.sub_plan
    properties.update(
        {
            "freeTrialRemainingTime": "PT0S",
            "enablementTime": pricing.enablement_time,
            "enforce": "False",
            "resourcesCoverageStatus": "FullyCovered" if standard else "NotCovered",
        }
    )
    if pricing.extensions:  # as GetPricingByNameCloudPosture_example.json: isEnabled is the string "True" / "False"
        properties["extensions"] = [
            {"name": name, "isEnabled": "True" if enabled else "False"} for name, enabled in pricing.extensions.items()
        ]
    return {"id": pricing_id(sub, pricing.name), "name": pricing.name, "type": PRICING_TYPE, "properties": properties}


def subscription_body(spec: SubscriptionSpec) -> dict[str, Any]:
    """A subscription as listed by GET /subscriptions (api-version 2022-12-01)."""
    return {
        "id": subscription_id(spec.id),
        "subscriptionId": spec.id,
        "tenantId": TENANT_ID,
        "displayName": spec.display_name,
        "state": spec.state,
    }
