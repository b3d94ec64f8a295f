"""Read the JSON of ``az deployment group what-if --result-format FullResourcePayloads`` (``-o json`` or
``--no-pretty-print``) into the resources the deployment would leave in place.

The what-if result is already expanded by ARM (no expressions left), so it is the most exact input. Each change with an
``after`` payload (Create, Modify, NoChange, Deploy, and Ignore when it has one) becomes a resource; Delete changes, and
changes without ``after``, are skipped. Type and name come from the resource id's segments; an extension
resource's ``scope`` is the id it extends. Accepts ``{"changes": [...]}`` and the REST shape
``{"properties": {"changes": [...]}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monitors.templates.arm import LinedDict, load_json
from monitors.templates.resources import Source, TemplateFile, TemplateResource


def split_resource_id(resource_id: str) -> tuple[str, str, str | None, str | None, str | None]:
    """(full type, full name, scope, subscription id, resource group) of an ARM resource id.

    ``/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/a/apis/b`` gives
    ``Microsoft.ApiManagement/service/apis`` and ``a/b``; for
    ``.../apis/b/providers/Microsoft.Security/apiCollections/b`` the type and name are the last provider's and the
    scope is the id before it.
    """
    parts = [p for p in resource_id.split("/") if p]
    lower = [p.lower() for p in parts]
    subscription = parts[lower.index("subscriptions") + 1] if "subscriptions" in lower[:1] and len(parts) > 1 else None
    group = None
    if len(lower) > 3 and lower[2] == "resourcegroups":
        group = parts[3]
    last = len(lower) - 1 - lower[::-1].index("providers") if "providers" in lower else -1
    if last < 0 or last + 2 >= len(parts):
        return "", "", None, subscription, group
    first = lower.index("providers")
    scope = "/" + "/".join(parts[:last]) if last != first else None
    segments = parts[last + 1 :]
    namespace, rest = segments[0], segments[1:]
    types, names = rest[0::2], rest[1::2]
    return "/".join([namespace, *types]), "/".join(names), scope, subscription, group


def read_whatif(path: str) -> TemplateFile:
    """The resources a what-if result says the deployment would leave, or the one-line error that kept it unread."""
    loaded, error = load_json(path)
    if error:
        return TemplateFile(path, "whatif", errors=(error,))
    changes = _changes(loaded)
    if changes is None:
        return TemplateFile(path, "whatif", errors=(f"{path}: not a what-if result (no changes)",))
    resources: list[TemplateResource] = []
    errors: list[str] = []
    for change in changes:
        if not isinstance(change, Mapping):
            continue
        after = change.get("after")
        if str(change.get("changeType", "")).lower() == "delete" or not isinstance(after, Mapping):
            continue
        resource_id = str(change.get("resourceId") or after.get("id") or "")
        rtype, name, scope, subscription, group = split_resource_id(resource_id)
        line = change.line if isinstance(change, LinedDict) else None
        if not rtype or not name:
            errors.append(f"{path}: line {line}: resource id {resource_id!r} not understood")
            continue
        sku = after.get("sku")
        tags = after.get("tags")
        properties = after.get("properties")
        resources.append(
            TemplateResource(
                type=rtype,
                name=name,
                source=Source(path, line),
                api_version=after.get("apiVersion") if isinstance(after.get("apiVersion"), str) else None,
                location=after.get("location") if isinstance(after.get("location"), str) else None,
                sku=sku.get("name") if isinstance(sku, Mapping) and isinstance(sku.get("name"), str) else None,
                tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {},
                properties=_plain(properties) if isinstance(properties, Mapping) else {},
                scope=scope,
                subscription_id=subscription,
                resource_group=group,
            )
        )
    return TemplateFile(path, "whatif", resources=tuple(resources), errors=tuple(errors))


def _changes(loaded: Any) -> list[Any] | None:
    if not isinstance(loaded, Mapping):
        return None
    changes = loaded.get("changes")
    if changes is None and isinstance(loaded.get("properties"), Mapping):
        changes = loaded["properties"].get("changes")
    return changes if isinstance(changes, list) else None


def _plain(value: Any) -> Any:
    """Plain dicts and lists (no line-carrying subclasses) for the rules."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
