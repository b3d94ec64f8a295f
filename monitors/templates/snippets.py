"""The exact template text that onboards one API: its ``Microsoft.Security/apiCollections`` resource, in Bicep (for a
.bicep input) or ARM JSON (for an ARM template or a what-if result). Pure.

The collection is an extension resource of the APIM service, named as the API (ARM's id is
``{service}/providers/Microsoft.Security/apiCollections/{api}``, the path the live check reads); it can only be created
once the API exists, so the snippet deploys after it.
"""

from __future__ import annotations

import json
import re

COLLECTION_TYPE = "Microsoft.Security/apiCollections"
COLLECTION_API_VERSION = "2023-11-15"
SERVICE_API_VERSION = "2022-08-01"  # only for a Bicep ``existing`` reference to the service: any GA version reads it


def symbol(name: str, suffix: str) -> str:
    """A Bicep identifier from a resource name: ``orders-api`` + ``Collection`` -> ``ordersApiCollection``."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]
    head = "".join([words[0][:1].lower() + words[0][1:], *(w[:1].upper() + w[1:] for w in words[1:])]) if words else ""
    if not head or not head[0].isalpha():
        head = "api" + head[:1].upper() + head[1:]
    return head + suffix


def bicep_string(value: str) -> str:
    """A Bicep string literal: quotes, backslashes, ``${`` and line breaks escaped."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("${", "\\${")
    return "'" + escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + "'"


def arm_literal(value: str) -> str:
    """A plain string in an ARM template: one starting with ``[`` would be read as an expression, so it is doubled."""
    return "[" + value if value.startswith("[") else value


def bicep_collection(
    service: str, api: str, *, service_symbol: str | None = None, api_symbol: str | None = None
) -> str:
    """Bicep that onboards ``api`` of APIM service ``service``. Without the service's symbol (the readers give none),
    the snippet declares the service as ``existing`` itself; without the API's, it says where its ``dependsOn`` goes."""
    lines: list[str] = []
    scope = service_symbol
    if scope is None:
        scope = symbol(service, "Service")
        lines += [
            f"resource {scope} 'Microsoft.ApiManagement/service@{SERVICE_API_VERSION}' existing = {{",
            f"  name: {bicep_string(service)}",
            "}",
            "",
        ]
    lines += [
        f"resource {symbol(api, 'Collection')} '{COLLECTION_TYPE}@{COLLECTION_API_VERSION}' = {{",
        f"  scope: {scope}",
        f"  name: {bicep_string(api)}",
    ]
    if api_symbol is not None:
        lines.append(f"  dependsOn: [{api_symbol}]")
    else:
        lines.append(f"  // deploy after the API {bicep_string(api)}: add its symbol to dependsOn: [...]")
    lines.append("}")
    return "\n".join(lines)


def arm_collection(service: str, api: str) -> str:
    """The ARM JSON resource that onboards ``api`` of APIM service ``service``, deployed after the API."""
    resource = {
        "type": COLLECTION_TYPE,
        "apiVersion": COLLECTION_API_VERSION,
        "scope": arm_literal(f"Microsoft.ApiManagement/service/{service}"),
        "name": arm_literal(api),
        "dependsOn": [f"[resourceId('Microsoft.ApiManagement/service/apis', {_arm_arg(service)}, {_arm_arg(api)})]"],
    }
    return json.dumps(resource, indent=2)


def _arm_arg(value: str) -> str:
    """A string argument inside an ARM expression: single quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def collection_snippet(kind: str, service: str, api: str) -> str:
    """The snippet for a template of ``kind`` (``bicep``, ``arm`` or ``whatif``): Bicep for Bicep, else ARM JSON."""
    return bicep_collection(service, api) if kind == "bicep" else arm_collection(service, api)
