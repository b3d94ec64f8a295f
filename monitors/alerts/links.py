"""The Onboard and Exempt links of an alert awaiting approval (MONITOR_AUTO_ONBOARD=approve), minted as it is sent.

Each link carries its own signed token (``monitors.approval_token``) with a fresh nonce, valid for
MONITOR_APPROVAL_HOURS; a resent message carries new links. Tokens are never stored: not in the outbox, the findings or
the logs. Teams Workflows cards support only ``Action.OpenUrl`` and Slack buttons need a Slack app, so these are plain
links in both, to the Approve function, whose GET only shows a confirmation.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from monitors.approval_token import ApprovalToken, Decision, fingerprint, sign
from monitors.model import Action, Alert, AlertKind, WriteMode
from monitors.settings import Settings


@dataclass(frozen=True)
class Link:
    title: str
    url: str


Linker = Callable[[Alert], list[Link]]


class ApprovalLinks:
    """Mints an alert's approval links; callable as a ``Linker``."""

    def __init__(
        self,
        url: str,
        key: bytes,
        *,
        hours: float,
        exempt_days: int,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        nonce: Callable[[], str] = lambda: secrets.token_urlsafe(16),
    ) -> None:
        self._url, self._key, self._hours, self._days = url, key, hours, exempt_days
        self._now, self._nonce = now, nonce

    def __call__(self, alert: Alert) -> list[Link]:
        finding = alert.finding
        if finding.action is not Action.AWAITING_APPROVAL or alert.kind not in (AlertKind.NEW, AlertKind.RENOTIFY):
            return []
        expires = int((self._now() + dt.timedelta(hours=self._hours)).timestamp())
        seen = fingerprint(finding)
        onboard = ApprovalToken(Decision.ONBOARD, finding.resource_id, expires, self._nonce(), seen)
        exempt = ApprovalToken(Decision.EXEMPT, finding.resource_id, expires, self._nonce(), seen, self._days)
        return [
            Link("Onboard", f"{self._url}?t={sign(onboard, self._key)}"),
            Link(f"Exempt for {self._days} days", f"{self._url}?t={sign(exempt, self._key)}"),
        ]


def approval_links(settings: Settings) -> Linker | None:
    """The linker of these settings: None unless MONITOR_AUTO_ONBOARD=approve (settings then hold a URL and a key)."""
    if settings.approval_url is None or not settings.approval_keys or settings.auto_onboard is not WriteMode.APPROVE:
        return None
    return ApprovalLinks(
        settings.approval_url,
        settings.approval_keys[0],
        hours=settings.approval_hours,
        exempt_days=settings.exempt_days,
    )
