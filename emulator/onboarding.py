"""Defender API collection resources on an APIM service: get, onboard (a long-running PUT) and offboard.

Onboarding follows the server-wide `LroMode`. While an onboarding is in progress every GET of the collection (plain or
through the Location URL) counts as one poll; after `lro_polls` polls the collection reaches its final state.

azure-core's `LocationPolling` treats any non-202 answer from the Location URL as terminal success, so a failure can
only surface as an error status there: the FAIL mode points Location at an operation URL (the collection URL plus
`$retryUntil`, as in the public 202 example) that answers 409 OnboardingFailed, making `LROPoller.result()` raise.
A plain Retry-After of 0 makes azure-core fall back to its 30 s default, so LRO answers carry `Retry-After-Ms`.
"""

from __future__ import annotations

import time
from urllib.parse import quote, urlencode

from emulator.config import Env, LroMode
from emulator.protocol import ArmError, Call, Reply, not_found, ok
from emulator.store import CollectionState, ServiceState
from emulator.wire import accepted_collection_body, collection_body, onboarding_error

SECURITY_API_VERSION = "2023-11-15"
RETRY_UNTIL = "$retryuntil"
FAILED_STATUS = 409


def _service(call: Call, env: Env) -> ServiceState:
    return env.store.service(call.param("sub"), call.param("rg"), call.param("svc"))


def _collection(service: ServiceState, name: str) -> CollectionState:
    collection = service.collections.get(name.lower())
    if collection is None:
        raise not_found(f"{service.id}/providers/Microsoft.Security/apiCollections/{name}")
    return collection


def _advance(collection: CollectionState) -> None:
    if collection.state != "InProgress":
        return
    if collection.pending_polls > 0:
        collection.pending_polls -= 1
    else:
        collection.state = collection.final_state


def _lro_headers(env: Env, location: str) -> dict[str, str]:
    delay_ms = max(1, env.settings.lro_retry_after_ms)
    headers = {"Location": location, "Retry-After-Ms": str(delay_ms)}
    if delay_ms >= 1000:
        headers["Retry-After"] = str(delay_ms // 1000)
    return headers


def _collection_url(call: Call) -> str:
    return f"{call.base_url}{call.raw_path}?api-version={SECURITY_API_VERSION}"


def _operation_url(call: Call) -> str:
    deadline = int((time.time() + 3600) * 10_000_000)
    return f"{_collection_url(call)}&$retryUntil={deadline}"


def get_collection(call: Call, env: Env) -> Reply:
    """GET .../apiCollections/{api}; with `$retryUntil` it is the onboarding operation's Location URL."""
    with env.store.lock:
        service = _service(call, env)
        collection = _collection(service, call.param("api"))
        _advance(collection)
        if RETRY_UNTIL not in call.query:
            return ok(collection_body(service, collection))
        return _operation_status(call, env, service, collection)


def _operation_status(call: Call, env: Env, service: ServiceState, collection: CollectionState) -> Reply:
    if collection.state == "InProgress":
        location = f"{call.base_url}{call.raw_path}?{urlencode(call.query, quote_via=quote, safe='$')}"
        return Reply(202, None, _lro_headers(env, location))
    if collection.state == "Failed":
        error = onboarding_error(collection.name)
        raise ArmError(FAILED_STATUS, error["code"], error["message"])
    return ok(collection_body(service, collection))


def onboard_collection(call: Call, env: Env) -> Reply:
    """PUT .../apiCollections/{api}: onboard an existing service API, answering as the current LRO mode says."""
    with env.store.lock:
        service = _service(call, env)
        api = service.apis.get(call.param("api"))
        if api is None:
            raise not_found(f"{service.id}/apis/{call.param('api')}")
        existing = service.collections.get(api.name.lower())
        if existing is not None and existing.state != "Failed":
            return ok(collection_body(service, existing))
        collection = service.new_collection(api.name)
        service.collections[api.name.lower()] = collection
        mode = env.settings.lro_mode
        if mode is LroMode.SYNC:
            return ok(collection_body(service, collection))
        if mode is LroMode.SYNC_BARE:
            body = collection_body(service, collection)
            del body["properties"]["provisioningState"]
            return ok(body)
        collection.state = "InProgress"
        collection.pending_polls = env.settings.lro_polls
        collection.final_state = "Failed" if mode is LroMode.FAIL else "Succeeded"
        return _lro_reply(call, env, service, collection)


def _lro_reply(call: Call, env: Env, service: ServiceState, collection: CollectionState) -> Reply:
    accepted = accepted_collection_body(service, collection.name)
    if env.settings.lro_mode is LroMode.CREATED:
        return Reply(201, accepted, _lro_headers(env, _collection_url(call)))
    if env.settings.lro_mode is LroMode.ACCEPTED:
        return Reply(202, None, _lro_headers(env, _operation_url(call)))
    return Reply(201, accepted, _lro_headers(env, _operation_url(call)))


def offboard_collection(call: Call, env: Env) -> Reply:
    """DELETE .../apiCollections/{api}: 200 when a collection was removed, 204 when there was none."""
    with env.store.lock:
        service = _service(call, env)
        removed = service.collections.pop(call.param("api").lower(), None)
        return Reply(200 if removed is not None else 204)
