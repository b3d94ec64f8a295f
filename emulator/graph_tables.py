"""The four Resource Graph queries the emulator recognises, and the rows each one returns.

This is not a KQL engine. A query is recognised by its leading `<table> | where type =~ '<type>'` (case-insensitive,
any whitespace, either quote), or for the containers by `resourcecontainers | where type in~ (<the subscription and
resource group types>)`; the rest of the query (`project`, `order by`) is not parsed: the rows always carry the
product's projected columns, ordered by `id` (ordinal string order). Kept quirks of the real service: `location` is
the region code ("eastus", not "East US") and `resourceGroup` is lower-cased (the `id` keeps the original casing); a
subscription's container row has the display name as `name` and an empty `resourceGroup`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from emulator.ids import collection_id
from emulator.store import ESTATE_ENABLEMENT_TIME, CollectionState, ServiceState, SubscriptionState
from emulator.wire import collection_body, location_code

Row = dict[str, Any]
Entry = tuple[str, Callable[[], Row]]
"""A row's `id` (its sort key) and a thunk that renders it, so that only the served page is rendered."""


def _marker(table: str, resource_type: str) -> re.Pattern[str]:
    quoted = re.escape(resource_type)
    return re.compile(rf"^\s*{table}\s*\|\s*where\s+type\s*=~\s*(?:'{quoted}'|\"{quoted}\")", re.IGNORECASE)


def service_row(service: ServiceState) -> Row:
    """`resources | where type =~ 'microsoft.apimanagement/service' | project id, name, resourceGroup, ...`."""
    spec = service.spec
    return {
        "id": service.id,
        "name": spec.name,
        "resourceGroup": spec.resource_group.lower(),
        "subscriptionId": service.subscription,
        "location": location_code(spec.location),
        "sku": {"name": spec.sku, "capacity": spec.capacity},
        "tags": dict(spec.tags),
        "publicNetworkAccess": spec.public_network_access,
        "virtualNetworkType": spec.virtual_network_type,
    }


def collection_row(service: ServiceState, collection: CollectionState) -> Row:
    """`securityresources | where type =~ 'microsoft.security/apicollections' | project id, name, ...`."""
    body = collection_body(service, collection)
    return {
        "id": body["id"],
        "name": body["name"],
        "subscriptionId": service.subscription,
        "properties": body["properties"],
    }


ASSESSMENT_KEY = "1c0ba94f-e732-43c7-bf3a-05e80f45d642"  # "APIM APIs should be onboarded to Defender for APIs"


def _derived_status(service: ServiceState, api: str, api_type: str | None) -> str:
    if api.lower() in service.collections:
        return "Healthy"
    rest = api_type in (None, "http") and service.spec.sku != "Consumption"
    return "Unhealthy" if rest else "NotApplicable"


def assessment_row(service: ServiceState, api: str, status: str) -> Row:
    """`securityresources | where type =~ 'microsoft.security/assessments' | where name =~ '<key>' | project ...`:
    the columns the product projects (the service and API from additionalData, resourceDetails.Id, the status)."""
    api_id = f"{service.id}/apis/{api}"
    return {
        "id": f"{api_id}/providers/Microsoft.Security/assessments/{ASSESSMENT_KEY}",
        "subscriptionId": service.subscription,
        "resourceGroup": service.spec.resource_group.lower(),
        "service": service.spec.name,
        "api": api,
        "resourceId": api_id,
        "status": status,
        "statusChangeDate": ESTATE_ENABLEMENT_TIME,
    }


def _assessment_entries(services: Iterable[ServiceState]) -> list[Entry]:
    entries: list[Entry] = []
    for service in services:
        statuses = {api.name: _derived_status(service, api.name, api.api_type) for api in service.apis.listing(True)}
        statuses |= dict(service.spec.defender_assessments)
        entries += [
            (f"{service.id}/apis/{api}", partial(assessment_row, service, api, status))
            for api, status in statuses.items()
        ]
    return entries


SUBSCRIPTION_TYPE = "microsoft.resources/subscriptions"
RESOURCE_GROUP_TYPE = "microsoft.resources/subscriptions/resourcegroups"


def subscription_row(sub: SubscriptionState) -> Row:
    """`resourcecontainers | where type in~ (...) | project id, name, type, subscriptionId, resourceGroup, tags`: a
    subscription's row, as Microsoft's "resourcecontainers" samples show it."""
    spec = sub.spec
    return {
        "id": f"/subscriptions/{spec.id}",
        "name": spec.display_name,
        "type": SUBSCRIPTION_TYPE,
        "subscriptionId": spec.id,
        "resourceGroup": "",
        "tags": dict(spec.tags),
    }


def resource_group_row(sub: SubscriptionState, name: str, tags: Mapping[str, str]) -> Row:
    """The same query's row for one resource group (`resourceGroup` lower-cased, `id` as written)."""
    return {
        "id": f"/subscriptions/{sub.spec.id}/resourceGroups/{name}",
        "name": name,
        "type": RESOURCE_GROUP_TYPE,
        "subscriptionId": sub.spec.id,
        "resourceGroup": name.lower(),
        "tags": dict(tags),
    }


def _container_entries(subs: Iterable[SubscriptionState]) -> list[Entry]:
    entries: list[Entry] = []
    for sub in subs:
        entries.append((f"/subscriptions/{sub.spec.id}", partial(subscription_row, sub)))
        entries += [
            (f"/subscriptions/{sub.spec.id}/resourceGroups/{name}", partial(resource_group_row, sub, name, tags))
            for name, tags in sub.spec.group_tags().values()
        ]
    return entries


def _services_of(entries: Callable[[Iterable[ServiceState]], list[Entry]]) -> Callable[..., list[Entry]]:
    """A table of service-level rows, fed the services of the subscriptions in scope."""
    return lambda subs: entries([service for sub in subs for service in sub.services.values()])


def _service_entries(services: Iterable[ServiceState]) -> list[Entry]:
    return [(service.id, partial(service_row, service)) for service in services]


def _collection_entries(services: Iterable[ServiceState]) -> list[Entry]:
    return [
        (collection_id(service.id, collection.name), partial(collection_row, service, collection))
        for service in services
        for collection in service.collections.values()
    ]


@dataclass(frozen=True)
class GraphTable:
    """One recognised query: its marker, its projected columns with their ARG types, and its row source."""

    name: str
    marker: re.Pattern[str]
    columns: tuple[tuple[str, str], ...]
    entries: Callable[[Iterable[SubscriptionState]], list[Entry]]

    def rows(self, subscriptions: Iterable[SubscriptionState]) -> list[Entry]:
        """The row entries of the subscriptions in scope, ordered by id ascending."""
        return sorted(self.entries(subscriptions), key=lambda entry: entry[0])


SERVICES = GraphTable(
    "resources",
    _marker("resources", "microsoft.apimanagement/service"),
    (
        ("id", "string"),
        ("name", "string"),
        ("resourceGroup", "string"),
        ("subscriptionId", "string"),
        ("location", "string"),
        ("sku", "object"),
        ("tags", "object"),
        ("publicNetworkAccess", "string"),
        ("virtualNetworkType", "string"),
    ),
    _services_of(_service_entries),
)
COLLECTIONS = GraphTable(
    "securityresources",
    _marker("securityresources", "microsoft.security/apicollections"),
    (("id", "string"), ("name", "string"), ("subscriptionId", "string"), ("properties", "object")),
    _services_of(_collection_entries),
)
ASSESSMENTS = GraphTable(
    "securityresources",
    re.compile(
        _marker("securityresources", "microsoft.security/assessments").pattern
        + rf"\s*\|\s*where\s+name\s*=~\s*'{ASSESSMENT_KEY}'",
        re.IGNORECASE,
    ),
    (
        ("id", "string"),
        ("subscriptionId", "string"),
        ("resourceGroup", "string"),
        ("service", "string"),
        ("api", "string"),
        ("resourceId", "string"),
        ("status", "string"),
        ("statusChangeDate", "string"),
    ),
    _services_of(_assessment_entries),
)
_QUOTED = r"(?:'{0}'|\"{0}\")"
CONTAINERS = GraphTable(
    "resourcecontainers",
    re.compile(
        r"^\s*resourcecontainers\s*\|\s*where\s+type\s+in~\s*\(\s*"
        + _QUOTED.format(re.escape(SUBSCRIPTION_TYPE))
        + r"\s*,\s*"
        + _QUOTED.format(re.escape(RESOURCE_GROUP_TYPE))
        + r"\s*\)",
        re.IGNORECASE,
    ),
    (
        ("id", "string"),
        ("name", "string"),
        ("type", "string"),
        ("subscriptionId", "string"),
        ("resourceGroup", "string"),
        ("tags", "object"),
    ),
    _container_entries,
)
TABLES = (SERVICES, COLLECTIONS, ASSESSMENTS, CONTAINERS)


def recognise(query: str) -> GraphTable | None:
    """The table `query` reads, or None when the emulator does not know the query."""
    return next((table for table in TABLES if table.marker.match(query)), None)
