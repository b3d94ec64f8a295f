"""Reads and writes Defender for APIs state through azure-mgmt-security: apiCollections and the "Api" pricing.

Reading needs ``Microsoft.Security/apiCollections/read`` and ``Microsoft.Security/pricings/read``; onboarding needs
``Microsoft.Security/apiCollections/write`` (granted only when auto-onboarding is on) and offboarding orphans
``Microsoft.Security/apiCollections/delete`` (only when MONITOR_AUTO_OFFBOARD_ORPHANS is on).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.security import SecurityCenter

from monitors.azure.clients import arm_call, name_from_id
from monitors.errors import ArmRequestError, AzureError, CredentialError
from monitors.exposure import Posture
from monitors.model import ApiRef, CollectionFacts, PlanFacts, ServiceRef, is_valid_segment

PLAN_NAME = "Api"
# Defender CSPM is the pricing "CloudPosture"; its extension "ApiPosture" is API security posture management, which
# discovers and assesses APIM APIs without a per-API apiCollection (no threat detection). The 2024-01-01 spec's
# Extension.name list omits ApiPosture, but Azure accepts and returns it (azure-rest-api-specs issue #43338, and
# Microsoft's Defender for Cloud enable-API-security-posture script); isEnabled is the string "True" / "False".
CSPM_NAME = "CloudPosture"
API_POSTURE_EXTENSION = "ApiPosture"
_FILTER = f"name in ({PLAN_NAME},{CSPM_NAME})"


def _collection_facts(resource: Any) -> CollectionFacts:
    return CollectionFacts(
        api_id=name_from_id(resource.id, resource.name),
        resource_id=str(resource.id),
        provisioning_state=resource.provisioning_state,
        display_name=resource.display_name,
        posture=Posture.from_properties(resource.serialize(keep_readonly=True).get("properties") or {}),
    )


def get_collection(client: SecurityCenter, ref: ApiRef) -> CollectionFacts | None:
    """The API's apiCollection, or None when the API is not onboarded."""
    svc = ref.service_ref
    with arm_call("read", ref.collection_id):
        try:
            ops = client.api_collections
            resource = ops.get_by_azure_api_management_service(svc.resource_group, svc.service, ref.api_id)
        except ResourceNotFoundError:
            return None
    return _collection_facts(resource)


def list_collections(client: SecurityCenter, svc: ServiceRef) -> dict[str, CollectionFacts]:
    """Every apiCollection of one APIM service, keyed by lower-cased API id."""
    with arm_call("list apiCollections of", svc.resource_id):
        pages = client.api_collections.list_by_azure_api_management_service(svc.resource_group, svc.service)
        facts = [_collection_facts(c) for c in pages]
        # A collection whose name could not stand in a request path could never be offboarded or matched: left out.
        return {f.api_id.lower(): f for f in facts if is_valid_segment(f.api_id)}


def get_plan(client: SecurityCenter, subscription_id: str) -> PlanFacts:
    """The subscription's Defender for APIs pricing, and whether Defender CSPM's API posture extension is on, from one
    list of the two pricings; a missing pricing reads as Free."""
    scope = f"subscriptions/{subscription_id}"
    with arm_call("read", f"/{scope}/providers/Microsoft.Security/pricings"):
        listed = client.pricings.list(scope, filter=_FILTER).value or []
    pricings = {str(p.name).lower(): p for p in listed}
    api, cspm = pricings.get(PLAN_NAME.lower()), pricings.get(CSPM_NAME.lower())
    tier = str(api.pricing_tier or "Free") if api is not None else "Free"
    return PlanFacts(subscription_id, tier, api.sub_plan if api is not None else None, _api_posture(cspm))


def _api_posture(cspm: Any) -> bool:
    """True when Defender CSPM is Standard and its ApiPosture extension is enabled."""
    if cspm is None or str(cspm.pricing_tier or "").lower() != "standard":
        return False
    return any(
        str(e.name).lower() == API_POSTURE_EXTENSION.lower() and str(e.is_enabled).lower() == "true"
        for e in cspm.extensions or []
    )


def plan_or_error(client: SecurityCenter, subscription_id: str) -> PlanFacts | AzureError:
    """The plan, or the ARM error that kept it from being read (an error finding for that subscription's APIs). A
    credential failure is raised: no token at all is a platform failure to retry, not a finding."""
    try:
        return get_plan(client, subscription_id)
    except CredentialError:
        raise
    except AzureError as exc:
        return exc


def onboard(
    client: SecurityCenter,
    ref: ApiRef,
    *,
    timeout: float,
    poll_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> CollectionFacts | None:
    """PUT the apiCollection and wait, at most ``timeout`` seconds, for a final state.

    ARM may answer 200 (done), 201 + Location (the SDK polls) or 202 + Location: the SDK only accepts 200/201 and
    raises on 202, so we then poll the collection ourselves. Returns the last state seen, None if never readable.
    Raises ArmRequestError when onboarding ends in a failed state, with ARM's message.
    """
    svc = ref.service_ref
    deadline = clock() + timeout
    with arm_call("onboard", ref.collection_id):
        try:
            poller = client.api_collections.begin_onboard_azure_api_management_api(
                svc.resource_group, svc.service, ref.api_id
            )
            resource = poller.result(timeout=timeout)
            # A 200 from the Location URL ends the SDK's polling even while the body still says InProgress; a 200
            # without provisioningState is done.
            if resource is not None and (facts := _collection_facts(resource)).succeeded:
                return facts
        except HttpResponseError as exc:
            if exc.status_code != 202:
                raise
    return _poll_collection(client, ref, deadline, poll_seconds, sleep, clock)


def _poll_collection(
    client: SecurityCenter,
    ref: ApiRef,
    deadline: float,
    poll_seconds: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> CollectionFacts | None:
    last: CollectionFacts | None = None
    while True:
        last = get_collection(client, ref) or last
        if last is not None and last.settled:
            if not last.succeeded:
                raise ArmRequestError(
                    f"onboard {ref.collection_id}: ended {last.provisioning_state}",
                    resource_id=ref.collection_id,
                )
            return last
        if clock() + poll_seconds > deadline:
            return last
        sleep(poll_seconds)


def offboard(client: SecurityCenter, ref: ApiRef) -> None:
    """DELETE the apiCollection (200, or 204 when it was already gone)."""
    svc = ref.service_ref
    with arm_call("offboard", ref.collection_id):
        client.api_collections.offboard_azure_api_management_api(svc.resource_group, svc.service, ref.api_id)
