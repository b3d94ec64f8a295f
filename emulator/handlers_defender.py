"""Handlers for Microsoft.Security list and plan routes, and for the subscription list.

API collection lists exist at service, resource-group and subscription scope; they report the current state and do
not count as onboarding polls. Pricings follow the 2024-01-01 scope-based operations.
"""

from __future__ import annotations

import json
import re
from typing import Any

from emulator.config import Env
from emulator.ids import pricing_id
from emulator.paging import paged_reply
from emulator.protocol import Call, Reply, bad_request, not_found, ok
from emulator.store import CollectionState, ServiceState
from emulator.wire import collection_body, pricing_body, subscription_body

_Entry = tuple[ServiceState, CollectionState]


def _render(entry: _Entry) -> dict[str, Any]:
    return collection_body(*entry)


def _entries(services: list[ServiceState]) -> list[_Entry]:
    return [(service, collection) for service in services for collection in service.collections.values()]


def list_service_collections(call: Call, env: Env) -> Reply:
    """GET {service}/providers/Microsoft.Security/apiCollections."""
    with env.store.lock:
        service = env.store.service(call.param("sub"), call.param("rg"), call.param("svc"))
        return paged_reply(call, _entries([service]), _render, env.settings.page_size, with_count=False)


def list_group_collections(call: Call, env: Env) -> Reply:
    """GET /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Security/apiCollections."""
    with env.store.lock:
        services = env.store.services(call.param("sub"), call.param("rg"))
        return paged_reply(call, _entries(services), _render, env.settings.page_size, with_count=False)


def list_subscription_collections(call: Call, env: Env) -> Reply:
    """GET /subscriptions/{sub}/providers/Microsoft.Security/apiCollections."""
    with env.store.lock:
        services = env.store.services(call.param("sub"))
        return paged_reply(call, _entries(services), _render, env.settings.page_size, with_count=False)


def list_pricings(call: Call, env: Env) -> Reply:
    """GET /subscriptions/{sub}/providers/Microsoft.Security/pricings (a plain, unpaged list), narrowed by
    `$filter=name in (A,B)` as the 2024-01-01 operation documents."""
    sub = call.param("sub")
    with env.store.lock:
        pricings = env.store.subscription(sub).pricings.values()
        wanted = _filtered_names(call.query.get("$filter"))
        chosen = [p for p in pricings if wanted is None or p.name.lower() in wanted]
        return ok({"value": [pricing_body(sub, pricing) for pricing in chosen]})


_NAME_IN = re.compile(r"^\s*name\s+in\s*\(([^)]*)\)\s*$", re.IGNORECASE)


def _filtered_names(raw: str | None) -> set[str] | None:
    """The lower-cased plan names of `name in (A,B)`; None without a filter; 400 for any other filter."""
    if raw is None:
        return None
    match = _NAME_IN.match(raw)
    if match is None:
        raise bad_request("InvalidFilter", f"Unsupported $filter {raw!r}; expected 'name in (planName1,planName2)'.")
    return {name.strip().lower() for name in match.group(1).split(",") if name.strip()}


def get_pricing(call: Call, env: Env) -> Reply:
    """GET /subscriptions/{sub}/providers/Microsoft.Security/pricings/{name}."""
    sub, name = call.param("sub"), call.param("name")
    with env.store.lock:
        pricing = env.store.subscription(sub).pricings.get(name.lower())
        if pricing is None:
            raise not_found(pricing_id(sub, name))
        return ok(pricing_body(sub, pricing))


def put_pricing(call: Call, env: Env) -> Reply:
    """PUT /subscriptions/{sub}/providers/Microsoft.Security/pricings/{name} with `properties.pricingTier`."""
    properties = _pricing_properties(call.body)
    tier = properties.get("pricingTier")
    sub_plan = properties.get("subPlan")
    if not isinstance(tier, str) or not (sub_plan is None or isinstance(sub_plan, str)):
        raise bad_request("InvalidRequestContent", "properties.pricingTier must be a string (Free or Standard).")
    sub = call.param("sub")
    pricing = env.store.set_pricing(sub, tier, sub_plan, call.param("name"))
    return ok(pricing_body(sub, pricing))


def _pricing_properties(body: bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(body or b"null")
    except ValueError as exc:
        raise bad_request("InvalidRequestContent", f"The request body is not valid JSON: {exc}") from exc
    properties = decoded.get("properties") if isinstance(decoded, dict) else None
    if not isinstance(properties, dict):
        raise bad_request("InvalidRequestContent", "The request body must be an object with 'properties'.")
    return properties


def list_subscriptions(call: Call, env: Env) -> Reply:
    """GET /subscriptions (api-version 2022-12-01)."""
    subs = env.store.subscriptions()
    return ok({"value": [subscription_body(s.spec) for s in subs], "count": {"type": "Total", "value": len(subs)}})


def get_subscription(call: Call, env: Env) -> Reply:
    """GET /subscriptions/{sub} (api-version 2022-12-01)."""
    return ok(subscription_body(env.store.subscription(call.param("sub")).spec))
