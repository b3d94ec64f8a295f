"""The generic signed webhook: the findings JSON contract plus the alerts, signed per Standard Webhooks.

Body: exactly the keys of ``findings_document`` (schema, generated_at, summary, findings) plus a top-level
``alerts`` list; receivers that validate the findings contract only need to ignore ``alerts``. Headers follow
https://www.standardwebhooks.com: ``webhook-id`` (the outbox item id, stable across retries, so receivers can drop
duplicates), ``webhook-timestamp`` (Unix seconds of this attempt) and ``webhook-signature`` =
``v1,`` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")). A ``whsec_`` secret is base64 after the prefix (the
spec's format); any other secret is used as its UTF-8 bytes. README.md (Verifying the signed webhook) shows a check.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence

from monitors.alerts import digest
from monitors.alerts.http import Poster
from monitors.errors import SettingsError
from monitors.model import Alert, OutboxItem
from monitors.reports.findings import findings_document

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks secret prefix, not a secret


def signing_key(secret: str) -> bytes:
    """The HMAC key for a secret: base64-decoded after a ``whsec_`` prefix, else the secret's UTF-8 bytes.

    Raises:
        SettingsError: the secret is empty, or a ``whsec_`` secret is not base64 (the value is never echoed).
    """
    if secret.startswith(SECRET_PREFIX):
        encoded = secret[len(SECRET_PREFIX) :]
        try:
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise SettingsError("MONITOR_WEBHOOK_SECRET: a whsec_ secret must be base64 after the prefix") from None
    else:
        key = secret.encode()
    if not key:
        raise SettingsError("MONITOR_WEBHOOK_SECRET: must not be empty")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers (id, timestamp, v1 signature) and the content type for one attempt."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest_bytes = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest_bytes).decode("ascii"),
        "content-type": "application/json",
    }


def render_webhook(alerts: Sequence[Alert], generated_at: str) -> bytes:
    """The findings JSON contract for the alerts' findings, plus ``alerts``: [{alert_id, kind, resource_id}]."""
    ordered = digest.order_alerts(alerts)
    body = {
        **findings_document([a.finding for a in ordered], generated_at),
        "alerts": [
            {"alert_id": a.alert_id, "kind": a.kind.value, "resource_id": a.finding.resource_id} for a in ordered
        ],
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class WebhookSink:
    """Posts signed findings to one generic webhook URL (a secret: never logged) through its ``poster`` (its own when
    none is given), which ``close`` closes."""

    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str,
        clock: Callable[[], float] = time.time,
        *,
        timeout: float = 10.0,
        poster: Poster | None = None,
    ) -> None:
        signing_key(secret)  # a malformed secret fails at start, not at the first alert
        self._url = url
        self._secret = secret
        self._clock = clock
        self._timeout = timeout
        self._poster = poster or Poster()

    def send(self, item: OutboxItem) -> None:
        """Sign and post the item's findings; raises DeliveryError unless the receiver answered 2xx."""
        timestamp = int(self._clock())
        generated_at = dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")
        body = render_webhook(item.alerts, generated_at)
        headers = sign(self._secret, item.item_id, timestamp, body)
        self._poster.post(self._url, body, headers, sink=self.name, timeout=self._timeout)

    def close(self) -> None:
        self._poster.close()
