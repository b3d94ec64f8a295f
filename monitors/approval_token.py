"""Signed approval tokens: what an Onboard or Exempt link in an alert carries (pure; no I/O, no clock).

A token is ``<kid>.<payload>.<signature>``: ``kid`` names the key (the first 8 hex digits of its SHA-256), so that
after a rotation a link signed with the previous key still verifies until it expires and no other key is ever tried;
the payload is base64url compact JSON naming the action, the API, the expiry (Unix seconds), a random nonce, the
fingerprint of what the alert said about the API and, for an exemption, its days; the signature is base64url
HMAC-SHA256 over ``<kid>.<payload>`` with the approval key. Nothing in the payload is read before it verifies.

What a token proves: that this monitor minted it for this action on this API, not after ``exp``. What it does not
prove: who clicks it. A link forwarded to anyone still needs an approver's sign-in (``monitors.approvers``), and a
nonce is spent once (``monitors.approval``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from enum import StrEnum

from monitors.errors import MonitorError
from monitors.model import Finding

MIN_KEY_BYTES = 32
_NOT_OURS = "the link's token is incomplete or not one of this monitor's"
MAX_TOKEN_CHARS = 2048  # a real one is about 400; anything far longer is not ours and is not parsed


class Decision(StrEnum):
    ONBOARD = "onboard"
    EXEMPT = "exempt"


class TokenProblem(StrEnum):
    """Why a token was refused; each has its own page text."""

    MALFORMED = "malformed"
    TAMPERED = "tampered"
    EXPIRED = "expired"


class TokenError(MonitorError):
    def __init__(self, problem: TokenProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True)
class ApprovalToken:
    decision: Decision
    api_id: str  # the API's ARM resource id, as the alert named it
    expires: int  # Unix seconds
    nonce: str
    fingerprint: str  # of what the alert said about the API (fingerprint()); a changed API no longer matches
    days: int = 0  # an exemption's length

    def payload(self) -> dict[str, object]:
        body: dict[str, object] = {
            "v": 1,
            "a": self.decision.value,
            "api": self.api_id,
            "exp": self.expires,
            "n": self.nonce,
            "fp": self.fingerprint,
        }
        if self.decision is Decision.EXEMPT:
            body["d"] = self.days
        return body


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def fingerprint(finding: Finding) -> str:
    """What an approver saw: the API, why it alerts and how it is exposed. A decision taken on a token whose
    fingerprint no longer matches the API's fresh finding is refused (the API changed since the alert)."""
    exposure = finding.exposure.to_dict() if finding.exposure is not None else None
    seen = {"api": finding.resource_id.lower(), "reason": finding.reason.value, "exposure": exposure}
    text = json.dumps(seen, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def sign(token: ApprovalToken, key: bytes) -> str:
    kid = key_id(key)
    payload = _b64(json.dumps(token.payload(), separators=(",", ":"), sort_keys=True).encode())
    signed = f"{kid}.{payload}"
    return f"{signed}.{_b64(hmac.new(key, signed.encode(), hashlib.sha256).digest())}"


def verify(text: str, keys: tuple[bytes, ...], now: int) -> ApprovalToken:
    """The token ``text`` carries, if one of ``keys`` signed it and it has not expired at ``now`` (Unix seconds).

    Raises TokenError: MALFORMED for anything that is not a token of ours, TAMPERED for a signature or key that does
    not match (an edited payload, a key rotated out), EXPIRED after ``exp``. The signature is checked, in constant
    time, before the payload is read.
    """
    parts = text.split(".") if text and len(text) <= MAX_TOKEN_CHARS else []
    if len(parts) != 3:
        raise TokenError(TokenProblem.MALFORMED, _NOT_OURS)
    kid, payload, signature = parts
    key = next((k for k in keys if key_id(k) == kid), None)
    expected = _b64(hmac.new(key or b"", f"{kid}.{payload}".encode(), hashlib.sha256).digest())
    if key is None or not hmac.compare_digest(expected.encode(), signature.encode()):
        raise TokenError(
            TokenProblem.TAMPERED, "the link's signature does not match: it was altered or its key retired"
        )
    try:
        body = json.loads(_unb64(payload))
        token = ApprovalToken(
            decision=Decision(body["a"]),
            api_id=str(body["api"]),
            expires=int(body["exp"]),
            nonce=str(body["n"]),
            fingerprint=str(body["fp"]),
            days=int(body.get("d", 0)),
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise TokenError(TokenProblem.MALFORMED, "the link's token is not one this version can read") from None
    if now >= token.expires:
        raise TokenError(TokenProblem.EXPIRED, "the link has expired; the next alert about this API carries a new one")
    return token


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
