"""ARM resource ids and derived URLs, built in one place so that every body and error message agrees on them."""

from __future__ import annotations

APIM_PROVIDER = "Microsoft.ApiManagement"
SECURITY_PROVIDER = "Microsoft.Security"


def subscription_id(sub: str) -> str:
    """`/subscriptions/{sub}`."""
    return f"/subscriptions/{sub}"


def service_id(sub: str, rg: str, svc: str) -> str:
    """The ARM id of an APIM service."""
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{APIM_PROVIDER}/service/{svc}"


def collection_id(service: str, api: str) -> str:
    """The ARM id of the Defender API collection of `api`, an extension resource of the APIM service id `service`."""
    return f"{service}/providers/{SECURITY_PROVIDER}/apiCollections/{api}"


def pricing_id(sub: str, name: str) -> str:
    """The ARM id of a Defender plan setting on a subscription."""
    return f"/subscriptions/{sub}/providers/{SECURITY_PROVIDER}/pricings/{name}"


def gateway_url(svc: str) -> str:
    """The public gateway URL of an APIM service; APIM lower-cases the host name."""
    return f"https://{svc.lower()}.azure-api.net"


def api_base_url(svc: str, path: str) -> str:
    """The public base URL of an API served at `path` on the service gateway."""
    return f"{gateway_url(svc)}/{path}" if path else gateway_url(svc)
