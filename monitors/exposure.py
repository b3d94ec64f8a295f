"""What is known about an API's exposure: Defender's posture of an onboarded API (``Posture``) and what API
Management itself says about an API that is not onboarded (``Exposure``). Plain value types, read from wire
properties that the lists already carry, so knowing them costs no request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


def _count(properties: Mapping[str, object], wire: str) -> int | None:
    value = properties.get(wire)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _text(properties: Mapping[str, object], wire: str) -> str | None:
    value = properties.get(wire)
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Posture:
    """What Defender has learned about an onboarded API's endpoints, from its apiCollection (api-version 2023-11-15;
    the REST spec's example APICollections_GetByAzureApiManagementService_example.json). A field Defender has not
    reported is None: counts read "awaiting data" until an endpoint sees traffic, and "inactive" means no traffic in
    30 days. A value of the wrong type is left out, never guessed."""

    endpoints: int | None = None
    inactive_endpoints: int | None = None
    unauthenticated_endpoints: int | None = None
    external_endpoints: int | None = None
    sensitive_data_endpoints: int | None = None
    sensitivity_label: str | None = None
    base_url: str | None = None
    discovered_via: str | None = None

    @classmethod
    def from_properties(cls, properties: Mapping[str, object]) -> Posture | None:
        """The posture in an apiCollection's wire ``properties``; None when Defender reports none of it."""
        w = _POSTURE_WIRE
        posture = cls(
            endpoints=_count(properties, w["endpoints"]),
            inactive_endpoints=_count(properties, w["inactive_endpoints"]),
            unauthenticated_endpoints=_count(properties, w["unauthenticated_endpoints"]),
            external_endpoints=_count(properties, w["external_endpoints"]),
            sensitive_data_endpoints=_count(properties, w["sensitive_data_endpoints"]),
            sensitivity_label=_text(properties, w["sensitivity_label"]),
            base_url=_text(properties, w["base_url"]),
            discovered_via=_text(properties, w["discovered_via"]),
        )
        return posture if posture.to_dict() else None

    def to_dict(self) -> dict[str, int | str]:
        """The findings JSON's ``posture`` object: the fields Defender reported, under these names."""
        return {name: value for name in _POSTURE_WIRE if (value := getattr(self, name)) is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Posture | None:
        """Inverse of ``to_dict``; unknown names are ignored and a value of the wrong type is left out."""
        return cls.from_properties({wire: data.get(name) for name, wire in _POSTURE_WIRE.items()})


# The wire names of the posture fields in an apiCollection's properties.
_POSTURE_WIRE = {
    "endpoints": "numberOfApiEndpoints",
    "inactive_endpoints": "numberOfInactiveApiEndpoints",
    "unauthenticated_endpoints": "numberOfUnauthenticatedApiEndpoints",
    "external_endpoints": "numberOfExternalApiEndpoints",
    "sensitive_data_endpoints": "numberOfApiEndpointsWithSensitiveDataExposed",
    "sensitivity_label": "sensitivityLabel",
    "base_url": "baseUrl",
    "discovered_via": "discoveredVia",
}


@dataclass(frozen=True)
class Exposure:
    """What API Management says about how an API can be reached, from the API's and its service's ARM properties
    (api-version 2024-05-01). None means ARM did not say.

    ``oauth`` is True when the API's ``authenticationSettings`` names an OAuth 2.0 or OpenID Connect server. That
    declares how callers get a token (the developer portal uses it); only a ``validate-jwt`` policy enforces one, and
    policies are not read. So OAuth counts as "a credential is expected", not as proof that one is checked.
    """

    subscription_required: bool | None = None
    oauth: bool | None = None
    protocols: tuple[str, ...] = ()
    public_network_access: str | None = None  # "Enabled" / "Disabled" (the service's)
    virtual_network_type: str | None = None  # "None" / "External" / "Internal" (the service's)

    @property
    def internet_facing(self) -> bool | None:
        """False when the gateway is only reachable from a virtual network (Internal mode) or public network access
        is off; True when ARM says it is public; None when ARM said neither."""
        if (self.virtual_network_type or "").lower() == "internal":
            return False
        if (self.public_network_access or "").lower() == "disabled":
            return False
        if self.virtual_network_type is None and self.public_network_access is None:
            return None
        return True

    @property
    def credential_expected(self) -> bool | None:
        """True when a subscription key is required or an OAuth/OpenID server is declared; None when unknown."""
        if self.subscription_required or self.oauth:
            return True
        if self.subscription_required is None or self.oauth is None:
            return None
        return False

    @property
    def plain_http(self) -> bool:
        """True when the API also accepts unencrypted HTTP."""
        return any(p.lower() == "http" for p in self.protocols)

    def to_dict(self) -> dict[str, object]:
        """The findings JSON's ``exposure`` object: what ARM said, and the two conclusions drawn from it."""
        facts: dict[str, object | None] = {
            "subscription_required": self.subscription_required,
            "oauth": self.oauth,
            "protocols": list(self.protocols),
            "public_network_access": self.public_network_access,
            "virtual_network_type": self.virtual_network_type,
            "internet_facing": self.internet_facing,
            "credential_expected": self.credential_expected,
        }
        return {name: value for name, value in facts.items() if value is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Exposure:
        """Inverse of ``to_dict`` (the two conclusions are derived again); a value of the wrong type is left out."""
        protocols = data.get("protocols")
        return cls(
            subscription_required=_flag(data.get("subscription_required")),
            oauth=_flag(data.get("oauth")),
            protocols=tuple(p for p in protocols if isinstance(p, str)) if isinstance(protocols, list) else (),
            public_network_access=_text(data, "public_network_access"),
            virtual_network_type=_text(data, "virtual_network_type"),
        )


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def declares_oauth(settings: object) -> bool | None:
    """Whether an API's wire ``authenticationSettings`` names an OAuth 2.0 or OpenID Connect server: the single
    ``oAuth2`` / ``openid`` objects or the ``oAuth2AuthenticationSettings`` / ``openidAuthenticationSettings`` lists.
    None when the API's properties carry no ``authenticationSettings`` at all."""
    if settings is None:
        return None
    if not isinstance(settings, Mapping):
        return None
    singles = (settings.get("oAuth2"), settings.get("openid"))
    lists = (settings.get("oAuth2AuthenticationSettings"), settings.get("openidAuthenticationSettings"))
    named = any(
        isinstance(s, Mapping) and (s.get("authorizationServerId") or s.get("openidProviderId")) for s in singles
    )
    listed = any(isinstance(items, list) and any(isinstance(i, Mapping) and i for i in items) for items in lists)
    return named or listed
