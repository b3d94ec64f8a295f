"""The Tags API at resource scope, for APIM services: ``PATCH {service}/providers/Microsoft.Resources/tags/default``.

As Tags_UpdateAtScope (api-version 2021-04-01, learn.microsoft.com/rest/api/resources/tags/update-at-scope): the body
is ``{"operation": "Merge" | "Replace" | "Delete", "properties": {"tags": {...}}}`` and a 200 answers the resource's
tags afterwards as a TagsResource (``id`` of the tags resource, ``name`` "default", ``type``
"Microsoft.Resources/tags", ``properties.tags``). The service's own view (GET, Resource Graph) shows the new tags.
"""

from __future__ import annotations

import dataclasses
import json

from emulator.config import Env
from emulator.protocol import Call, Reply, bad_request, ok

MAX_TAGS = 50


def patch_service_tags(call: Call, env: Env) -> Reply:
    """PATCH {service}/providers/Microsoft.Resources/tags/default."""
    try:
        body = json.loads(call.body or b"{}")
        operation = str(body["operation"]).lower()
        tags = body["properties"]["tags"]
    except (ValueError, KeyError, TypeError):
        raise bad_request("InvalidRequestContent", "expected {operation, properties: {tags}}") from None
    if operation not in ("merge", "replace", "delete") or not isinstance(tags, dict):
        raise bad_request("InvalidRequestContent", f"unknown operation {operation!r} or tags not an object")
    with env.store.lock:
        service = env.store.service(call.param("sub"), call.param("rg"), call.param("svc"))
        current = dict(service.spec.tags)
        if operation == "merge":
            current.update({str(k): str(v) for k, v in tags.items()})
        elif operation == "replace":
            current = {str(k): str(v) for k, v in tags.items()}
        else:
            current = {k: v for k, v in current.items() if k not in tags}
        if len(current) > MAX_TAGS:
            raise bad_request("TooManyTags", f"at most {MAX_TAGS} tags per resource")
        service.spec = dataclasses.replace(service.spec, tags=current)
        scope = service.id
    return ok(
        {
            "id": f"{scope}/providers/Microsoft.Resources/tags/default",
            "name": "default",
            "type": "Microsoft.Resources/tags",
            "properties": {"tags": current},
        }
    )
