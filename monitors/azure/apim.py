"""Reads API Management through azure-mgmt-apimanagement and returns ``ApiFacts`` / ``ServiceFacts``.

Needs ``Microsoft.ApiManagement/service/read``, ``.../apis/read``, ``.../workspaces/read``,
``.../workspaces/apis/read``, ``.../gateways/read`` and ``.../gateways/apis/read``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.apimanagement import ApiManagementClient

from monitors.azure.clients import arm_call, name_from_id, send_json
from monitors.exposure import declares_oauth
from monitors.model import ApiFacts, ApiRef, ServiceFacts, ServiceRef, is_valid_segment, split_revision

CURRENT_ONLY = "isCurrent eq true"
log = logging.getLogger(__name__)
API_VERSION = "2024-05-01"  # what azure-mgmt-apimanagement 5.x sends for every operation group


def strip_revision(api_name: str) -> str:
    """``echo-api;rev=2`` -> ``echo-api``: a revision is the same API."""
    return split_revision(api_name)[0]


def _api_facts(contract: Any, workspace: str | None) -> ApiFacts:
    properties = contract.serialize(keep_readonly=True).get("properties") or {}
    return ApiFacts(
        api_id=strip_revision(name_from_id(contract.id, contract.name)),
        display_name=contract.display_name or "",
        api_type=contract.api_type or "http",  # absent on the wire for plain HTTP APIs
        is_current=contract.is_current is not False,
        workspace=workspace,
        **_exposure_fields(properties),
    )


def _exposure_fields(properties: dict[str, Any]) -> dict[str, Any]:
    """The ApiFacts fields that say how the API is reached, from its wire properties (a list row or a GET body)."""
    required = properties.get("subscriptionRequired")
    protocols = properties.get("protocols")
    return {
        "subscription_required": required if isinstance(required, bool) else None,
        "oauth": declares_oauth(properties.get("authenticationSettings")),
        "protocols": tuple(str(p) for p in protocols) if isinstance(protocols, list) else (),
    }


def get_api(client: ApiManagementClient, ref: ApiRef) -> ApiFacts | None:
    """The API's facts, or None when it does not exist (deleted before we looked)."""
    svc = ref.service_ref
    with arm_call("read", ref.resource_id):
        try:
            if ref.workspace:
                contract = client.workspace_api.get(svc.resource_group, svc.service, ref.workspace, ref.api_id)
            else:
                contract = client.api.get(svc.resource_group, svc.service, ref.api_id)
        except ResourceNotFoundError:
            return None
    return _api_facts(contract, ref.workspace)


def _listed_api(row: dict[str, Any], workspace: str | None) -> ApiFacts | None:
    """One row of an APIs list as facts, or None for a revision that is not current."""
    props = row.get("properties") or {}
    if props.get("isCurrent") is False:
        return None
    name = strip_revision(name_from_id(row.get("id"), row.get("name")))
    if not is_valid_segment(name):
        log.warning("skipped a listed API whose name no ARM request may be built from: %r", name[:100])
        return None
    display_name, api_type = str(props.get("displayName") or ""), str(props.get("type") or "http")
    return ApiFacts(name, display_name, api_type, True, workspace, **_exposure_fields(props))


def _list_rows(client: ApiManagementClient, path: str) -> Iterator[dict[str, Any]]:
    """Every row of an ARM list, following nextLink.

    The list of APIs is the one response that grows with the estate; reading it as plain JSON (``send_json``) instead
    of SDK models cuts the CPU per API about fivefold in a sweep.
    """
    url: str | None = f"{path}?api-version={API_VERSION}&$filter={quote(CURRENT_ONLY)}"
    while url:
        body = send_json(client, "GET", url)
        yield from body.get("value") or []
        url = body.get("nextLink") or None


def list_apis(client: ApiManagementClient, svc: ServiceRef) -> list[ApiFacts]:
    """Current revisions of the service's own APIs (paged), one entry per API id."""
    with arm_call("list APIs of", svc.resource_id):
        facts = [_listed_api(row, None) for row in _list_rows(client, f"{svc.resource_id}/apis")]
    return _unique([f for f in facts if f is not None])


def list_workspace_apis(client: ApiManagementClient, svc: ServiceRef) -> list[ApiFacts]:
    """APIs of every workspace of the service; they are reported, never onboarded."""
    facts: list[ApiFacts | None] = []
    with arm_call("list workspaces of", svc.resource_id):
        listed = client.workspace.list_by_service(svc.resource_group, svc.service)
        workspaces = [ws for ws in (name_from_id(w.id, w.name) for w in listed) if is_valid_segment(ws)]
        for ws in workspaces:
            rows = _list_rows(client, f"{svc.resource_id}/workspaces/{ws}/apis")
            facts.extend(_listed_api(row, ws) for row in rows)
    return _unique([f for f in facts if f is not None])


def _unique(facts: list[ApiFacts]) -> list[ApiFacts]:
    seen: dict[tuple[str | None, str], ApiFacts] = {}
    for fact in facts:
        seen.setdefault((fact.workspace, fact.api_id.lower()), fact)
    return list(seen.values())


def _service_facts(resource: Any, svc: ServiceRef, self_hosted: frozenset[str] | None) -> ServiceFacts:
    return ServiceFacts(
        ref=svc,
        sku=str(resource.sku.name),
        location=str(resource.location),
        tags=dict(resource.tags or {}),
        self_hosted_api_ids=self_hosted,
        public_network_access=_optional_text(resource.public_network_access),
        virtual_network_type=_optional_text(resource.virtual_network_type),
    )


def _optional_text(value: object) -> str | None:
    """An SDK enum or string as its wire text; None when absent."""
    return None if value is None else str(getattr(value, "value", value))


def get_service(client: ApiManagementClient, svc: ServiceRef, *, with_gateways: bool) -> ServiceFacts:
    """The service's tier, region and tags; with ``with_gateways``, also which APIs self-hosted gateways serve."""
    with arm_call("read", svc.resource_id):
        resource = client.api_management_service.get(svc.resource_group, svc.service)
    gateways = self_hosted_api_ids(client, svc) if with_gateways else None
    return _service_facts(resource, svc, gateways)


def list_services(client: ApiManagementClient, subscription_id: str, resource_group: str | None) -> list[ServiceFacts]:
    """Every APIM service of a subscription, or of one resource group (gateways are looked up when reconciling)."""
    scope = f"/subscriptions/{subscription_id}" + (f"/resourceGroups/{resource_group}" if resource_group else "")
    with arm_call("list APIM services in", scope):
        ops = client.api_management_service
        resources = list(ops.list_by_resource_group(resource_group) if resource_group else ops.list())
    return [
        _service_facts(
            resource,
            ServiceRef(subscription_id, _resource_group_of(str(resource.id)), name_from_id(resource.id, resource.name)),
            None,
        )
        for resource in resources
    ]


def _resource_group_of(resource_id: str) -> str:
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index("resourcegroups") + 1]


def self_hosted_api_ids(client: ApiManagementClient, svc: ServiceRef) -> frozenset[str]:
    """Lower-cased ids of the APIs assigned to any self-hosted gateway of the service."""
    ids: set[str] = set()
    with arm_call("list gateways of", svc.resource_id):
        for gateway in client.gateway.list_by_service(svc.resource_group, svc.service):
            gateway_id = name_from_id(gateway.id, gateway.name)
            if not is_valid_segment(gateway_id):
                continue
            apis = client.gateway_api.list_by_service(svc.resource_group, svc.service, gateway_id)
            ids.update(strip_revision(name_from_id(api.id, api.name)).lower() for api in apis)
    return frozenset(ids)
