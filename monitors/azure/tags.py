"""Writes one tag on one resource through ARM's Tags API, leaving its other tags alone.

``PATCH {resourceId}/providers/Microsoft.Resources/tags/default?api-version=2021-04-01`` with ``"operation": "Merge"``
(operation Tags_UpdateAtScope, specification/resources/resource-manager/Microsoft.Resources/stable/2021-04-01/
resources.json of Azure/azure-rest-api-specs): the resource itself is not rewritten, so this needs only
``Microsoft.Resources/tags/write`` on it (the Tag Contributor's action), not the APIM service's own write permission.
Sent through an ARM client's own pipeline (auth, retries, the request budget) as plain JSON.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from monitors.azure.clients import arm_call, send_json

API_VERSION = "2021-04-01"


def merge_tag(client: Any, resource_id: str, name: str, value: str) -> dict[str, str]:
    """Set tag ``name`` to ``value`` on ``resource_id``; the resource's tags afterwards, as ARM answers them.
    ``client`` is any ARM SDK client of the resource's subscription: only its pipeline is used. Raises AzureError."""
    path = f"{quote(resource_id)}/providers/Microsoft.Resources/tags/default?api-version={API_VERSION}"
    body = {"operation": "Merge", "properties": {"tags": {name: value}}}
    with arm_call(f"write tag '{name}' on", resource_id):
        answer = send_json(client, "PATCH", path, body=body)
    tags = (answer.get("properties") or {}).get("tags") or {}
    return {str(k): str(v) for k, v in tags.items()}
