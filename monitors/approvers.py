"""Who is deciding: the signed-in user App Service authentication (Easy Auth) hands the app, and whether that user
may approve (pure; no I/O).

In Azure, Easy Auth signs the user in with Entra and injects ``X-MS-CLIENT-PRINCIPAL``: Base64 JSON
``{"auth_typ", "claims": [{"typ", "val"}], "name_typ", "role_typ"}``. External requests cannot set that header; App
Service removes it (learn.microsoft.com/azure/app-service/configure-authentication-user-identities). A user may
approve when one of the user's app roles (claims of type ``role_typ``, or ``roles``) or group object ids (``groups``)
is listed in MONITOR_APPROVERS as ``role:<value>`` or ``group:<object id>``.

Locally there is no Easy Auth. MONITOR_APPROVAL_LOCAL_USER names who decides, and only for a request addressed to a
loopback host while MONITOR_APPROVAL_URL itself is on loopback; settings refuse it otherwise.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PRINCIPAL_HEADER = "x-ms-client-principal"
_ROLE_TYPES = ("roles", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role")
_NAME_TYPES = ("name", "preferred_username", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name")
MAX_PRINCIPAL_CHARS = 64 * 1024


@dataclass(frozen=True)
class Principal:
    name: str
    roles: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    local: bool = False  # the loopback fallback, not a signed-in user

    def grants(self, approvers: Iterable[str]) -> bool:
        """True when one of ``approvers`` (``role:X`` / ``group:Y``) names one of this user's roles or groups; the
        loopback fallback's user may always decide (there is nobody else on the machine to ask)."""
        if self.local:
            return True
        held = {f"role:{r.lower()}" for r in self.roles} | {f"group:{g.lower()}" for g in self.groups}
        return any(a.lower() in held for a in approvers)


def signed_in(headers: Mapping[str, str]) -> Principal | None:
    """The Easy Auth user of a request (header names in any case), or None when there is none or it is unreadable."""
    raw = next((v for k, v in headers.items() if k.lower() == PRINCIPAL_HEADER), "")
    if not raw or len(raw) > MAX_PRINCIPAL_CHARS:
        return None
    try:
        body = json.loads(base64.b64decode(raw + "=" * (-len(raw) % 4)))
        claims = [(str(c["typ"]), str(c["val"])) for c in body["claims"]]
        role_type = str(body.get("role_typ") or "roles")
        name_type = str(body.get("name_typ") or "name")
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    roles = frozenset(v for t, v in claims if t in (role_type, *_ROLE_TYPES))
    groups = frozenset(v for t, v in claims if t == "groups")
    names = [v for t, v in claims if t in (name_type, *_NAME_TYPES) and v]
    if not names:
        return None
    return Principal(names[0], roles, groups)


def encode(name: str, *, roles: Iterable[str] = (), groups: Iterable[str] = ()) -> str:
    """The header value Easy Auth would send for such a user (the demo's and the tests' stand-in for Easy Auth)."""
    role_type = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
    claims = [{"typ": "name", "val": name}]
    claims += [{"typ": role_type, "val": r} for r in roles] + [{"typ": "groups", "val": g} for g in groups]
    body = {"auth_typ": "aad", "claims": claims, "name_typ": "name", "role_typ": role_type}
    return base64.b64encode(json.dumps(body).encode()).decode()
