"""Reads the estate in bulk through Azure Resource Graph (azure-mgmt-resourcegraph): APIM services from ``resources``
and Defender apiCollections from ``securityresources``, across many subscriptions in a few paged requests.

APIM APIs are not in Resource Graph, so they are still listed per service. Needs
``Microsoft.ResourceGraph/resources/read`` plus read access to the resources themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from azure.mgmt.resourcegraph import ResourceGraphClient

from monitors.assessment import ASSESSMENT_KEY, DefenderVerdict, parse_time
from monitors.azure.clients import arm_call, send_json
from monitors.exposure import Posture
from monitors.model import CollectionFacts, ServiceFacts, ServiceRef, split_revision

PAGE_SIZE = 1000  # Resource Graph's maximum page
API_VERSION = "2021-03-01"  # what azure-mgmt-resourcegraph 8.x sends
SERVICES_QUERY = (
    "resources | where type =~ 'microsoft.apimanagement/service' "
    "| project id, name, resourceGroup, subscriptionId, location, sku, tags, "
    "publicNetworkAccess = tostring(properties.publicNetworkAccess), "
    "virtualNetworkType = tostring(properties.virtualNetworkType) | order by id asc"
)
COLLECTIONS_QUERY = (
    "securityresources | where type =~ 'microsoft.security/apicollections' "
    "| project id, name, subscriptionId, properties | order by id asc"
)
# Defender's recommendation "Azure API Management APIs should be onboarded to Defender for APIs": one row per APIM API.
ASSESSMENTS_QUERY = (
    "securityresources | where type =~ 'microsoft.security/assessments' "
    f"| where name =~ '{ASSESSMENT_KEY}' "
    "| project id, subscriptionId, resourceGroup, "
    "service = tostring(properties.additionalData.APIManagementResourceName), "
    "api = tostring(properties.additionalData.apiCollectionName), "
    "resourceId = tostring(properties.resourceDetails.Id), "
    "status = tostring(properties.status.code), "
    "statusChangeDate = tostring(properties.status.statusChangeDate) | order by id asc"
)
# The subscriptions and resource groups (Microsoft's "resourcecontainers" table), for their owner tags.
CONTAINERS_QUERY = (
    "resourcecontainers | where type in~ ('microsoft.resources/subscriptions', "
    "'microsoft.resources/subscriptions/resourcegroups') "
    "| project id, name, type, subscriptionId, resourceGroup, tags | order by id asc"
)
_SCOPE = "/providers/Microsoft.ResourceGraph/resources"


def _rows(client: ResourceGraphClient, query: str, subscriptions: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Every row of a query, following skip tokens.

    Rows are read as plain JSON (``send_json``): the SDK's generic object deserializer costs about 80 microseconds a
    row, most of a large tenant's inventory time.
    """
    skip_token: str | None = None
    while True:
        options: dict[str, object] = {"$top": PAGE_SIZE, "resultFormat": "objectArray"}
        if skip_token:
            options["$skipToken"] = skip_token
        body: dict[str, object] = {"query": query, "options": options}
        if subscriptions:
            body["subscriptions"] = list(subscriptions)
        with arm_call("query Resource Graph", _SCOPE):
            page = send_json(client, "POST", f"{_SCOPE}?api-version={API_VERSION}", body=body)
        yield from page.get("data") or []
        skip_token = page.get("$skipToken")
        if not skip_token:
            return


def query_services(client: ResourceGraphClient, subscriptions: Sequence[str]) -> list[ServiceFacts]:
    """Every APIM service in the subscriptions (all readable ones when the list is empty)."""
    services = []
    for row in _rows(client, SERVICES_QUERY, subscriptions):
        ref = ServiceRef(str(row["subscriptionId"]), str(row["resourceGroup"]), str(row["name"]))
        sku = row.get("sku") or {}
        services.append(
            ServiceFacts(
                ref,
                str(sku.get("name", "")),
                str(row.get("location", "")),
                row.get("tags") or {},
                public_network_access=row.get("publicNetworkAccess") or None,  # tostring() of nothing is ""
                virtual_network_type=row.get("virtualNetworkType") or None,
            )
        )
    return services


def query_collections(
    client: ResourceGraphClient, subscriptions: Sequence[str]
) -> dict[str, dict[str, CollectionFacts]]:
    """Every apiCollection, grouped by lower-cased APIM service id, then keyed by lower-cased API id."""
    grouped: dict[str, dict[str, CollectionFacts]] = {}
    for row in _rows(client, COLLECTIONS_QUERY, subscriptions):
        resource_id = str(row["id"])
        service_id = resource_id.lower().split("/providers/microsoft.security/", 1)[0]
        properties = row.get("properties") or {}
        facts = CollectionFacts(
            api_id=str(row["name"]),
            resource_id=resource_id,
            provisioning_state=properties.get("provisioningState"),
            display_name=properties.get("displayName"),
            posture=Posture.from_properties(properties),
        )
        grouped.setdefault(service_id, {})[facts.api_id.lower()] = facts
    return grouped


def query_assessments(
    client: ResourceGraphClient, subscriptions: Sequence[str]
) -> dict[str, dict[str, DefenderVerdict]]:
    """Defender's verdict per API, grouped by lower-cased APIM service id, then keyed by lower-cased API id.

    The API is named by ``resourceDetails.Id`` when that is an API's id, else by ``additionalData`` (service name and
    API id) in the row's resource group; a row naming neither is skipped.
    """
    grouped: dict[str, dict[str, DefenderVerdict]] = {}
    for row in _rows(client, ASSESSMENTS_QUERY, subscriptions):
        named = _assessed_api(row)
        status = row.get("status")
        if named is None or not isinstance(status, str) or not status:
            continue
        service_id, api = named
        grouped.setdefault(service_id, {})[api] = DefenderVerdict(status, parse_time(row.get("statusChangeDate")))
    return grouped


def _assessed_api(row: dict[str, Any]) -> tuple[str, str] | None:
    resource = str(row.get("resourceId") or "").lower()
    if "/providers/microsoft.apimanagement/service/" in resource and "/apis/" in resource:
        service_id, _, api = resource.partition("/apis/")
        return service_id, split_revision(api.split("/", 1)[0])[0]
    service, api = str(row.get("service") or ""), str(row.get("api") or "")
    sub, group = str(row.get("subscriptionId") or ""), str(row.get("resourceGroup") or "")
    if not (service and api and sub and group):
        return None
    ref = f"/subscriptions/{sub}/resourcegroups/{group}/providers/microsoft.apimanagement/service/{service}"
    return ref.lower(), split_revision(api)[0].lower()


def query_container_tags(client: ResourceGraphClient, subscriptions: Sequence[str]) -> dict[str, dict[str, str]]:
    """The tags of every subscription and resource group in the subscriptions, keyed by lower-cased id
    (``/subscriptions/<id>`` and ``/subscriptions/<id>/resourcegroups/<name>``); containers without tags are left
    out."""
    tags: dict[str, dict[str, str]] = {}
    for row in _rows(client, CONTAINERS_QUERY, subscriptions):
        value = row.get("tags")
        if isinstance(value, dict) and value:
            tags[str(row["id"]).lower()] = {str(k): str(v) for k, v in value.items()}
    return tags
