"""Onboards not-onboarded APIs to Defender for APIs, with safety rails.

Modes: ``off`` reports only, ``dry-run`` reports ``would_onboard``, ``approve`` reports ``awaiting_approval`` (the
alert carries signed links; ``monitors.approval`` acts on a person's decision), ``on`` PUTs the apiCollection. Only
APIs whose finding is ``not_onboarded`` are touched, which the rule order guarantees happens only when the plan is
Standard and the API is a supported REST API. At most ``MONITOR_ONBOARD_MAX_PER_MINUTE`` onboardings per APIM service
a minute, for all instances together when they share a state store, else per process (Microsoft warns that onboarding
many APIs at once can overload an APIM instance). The result is verified: the finding is re-evaluated against the
collection ARM returned. RBAC: ``Microsoft.Security/apiCollections/write``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import deque
from collections.abc import Callable

from monitors import rules
from monitors.azure import defender
from monitors.azure.budget import MAX_CLOCK_SKEW, change_meter
from monitors.azure.clients import ArmClients
from monitors.bucket import Bucket, Grant, take
from monitors.errors import AzureError
from monitors.facts import ArmFacts, KnownFacts, WithCollection
from monitors.model import Action, ApiRef, Finding, Reason, Status, WriteMode
from monitors.settings import Settings
from monitors.state.contract import StateStore


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RateLimiter:
    """A sliding one-minute window per key."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._windows: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def try_acquire(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - 60:
                window.popleft()
            if len(window) >= self._per_minute:
                return False
            window.append(now)
            return True


class SharedRateLimiter:
    """The per-service limit for every instance at once: a token bucket per APIM service kept in the state store.

    ``per_minute`` tokens at most, refilled ``per_minute`` a minute: a burst of that many, then one every
    60 / ``per_minute`` seconds, however many instances onboard. A take is one etag-conditional read-modify-write of
    the service's meter; an empty bucket refuses (the caller defers), it never waits. Raises StateError when the
    store fails: an unlimited onboarding is exactly what the limit is for.
    """

    def __init__(self, store: StateStore, per_minute: int, now: Callable[[], dt.datetime] = _utcnow) -> None:
        self._store, self._now = store, now
        self._bucket = Bucket(rate=per_minute / 60, burst=float(per_minute))

    def try_acquire(self, key: str) -> bool:
        def take_one(level: float, stamp: dt.datetime, now: dt.datetime) -> Grant | None:
            return take(self._bucket, level, stamp, now, MAX_CLOCK_SKEW)

        return change_meter(self._store, f"onboard-rate/{key}", self._bucket, take_one, self._now) is not None


class Remediator:
    """Applies the onboarding mode to findings."""

    def __init__(
        self,
        settings: Settings,
        clients: ArmClients,
        clock: Callable[[], float] = time.monotonic,
        store: StateStore | None = None,
    ) -> None:
        self._settings = settings
        self._clients = clients
        per_minute = settings.onboard_max_per_minute
        self._limiter: RateLimiter | SharedRateLimiter = (
            SharedRateLimiter(store, per_minute) if store is not None else RateLimiter(per_minute, clock)
        )

    def wants_onboarding(self, finding: Finding) -> bool:
        """True when the mode is ``on`` and the finding asks for an onboarding (the event path queues those)."""
        return finding.reason is Reason.NOT_ONBOARDED and self._settings.auto_onboard is WriteMode.ON

    def remediate(
        self, finding: Finding, facts: ArmFacts | KnownFacts, today: dt.date, *, approved_by: str | None = None
    ) -> Finding:
        """Return the finding after the mode's action; never raises for Azure errors (they become onboard_failed).
        ``approved_by`` names the person who approved this API's onboarding: it is onboarded whatever the mode."""
        mode = WriteMode.ON if approved_by else self._settings.auto_onboard
        if finding.reason is not Reason.NOT_ONBOARDED or mode is WriteMode.OFF:
            return finding
        names = f"API '{facts.ref.api_id}' of APIM service '{facts.ref.service}'"
        if mode is WriteMode.DRY_RUN:
            return rules.with_action(
                finding,
                Action.WOULD_ONBOARD,
                f"{names} is not onboarded; would onboard it.",
            )
        if mode is WriteMode.APPROVE:
            detail = f"{names} is not onboarded; waiting for an approver to onboard or exempt it."
            return rules.with_action(finding, Action.AWAITING_APPROVAL, detail)
        if not self._limiter.try_acquire(facts.ref.service_ref.resource_id.lower()):
            limit = self._settings.onboard_max_per_minute
            detail = f"{names} is not onboarded; onboarding deferred, {limit} per minute per service reached."
            return rules.with_action(finding, Action.ONBOARD_DEFERRED, detail)
        return self._onboard(finding, facts, today, names, approved_by)

    def offboard(self, finding: Finding, ref: ApiRef) -> Finding:
        """Apply MONITOR_AUTO_OFFBOARD_ORPHANS to an orphaned collection; never raises for Azure errors.

        RBAC: ``Microsoft.Security/apiCollections/delete``. Shares the per-service rate limit with onboarding.
        """
        mode = self._settings.auto_offboard_orphans
        names = f"Defender apiCollection '{ref.api_id}' of APIM service '{ref.service}'"
        if finding.reason is not Reason.COLLECTION_WITHOUT_API or mode is WriteMode.OFF:
            return finding
        if mode is WriteMode.DRY_RUN:
            return rules.with_action(finding, Action.WOULD_OFFBOARD, f"{names} has no API; would offboard it.")
        if not self._limiter.try_acquire(ref.service_ref.resource_id.lower()):
            return rules.with_action(finding, Action.NONE, f"{names} has no API; offboarding deferred (rate limit).")
        try:
            defender.offboard(self._clients.security(ref.subscription_id), ref)
        except AzureError as exc:
            return rules.with_action(finding, Action.OFFBOARD_FAILED, f"{names}: offboarding failed: {exc}")
        detail = f"{names} had no API and was offboarded."
        return rules.with_action(finding, Action.OFFBOARDED, detail, status=Status.COMPLIANT)

    def _onboard(
        self, finding: Finding, facts: ArmFacts | KnownFacts, today: dt.date, names: str, approved_by: str | None
    ) -> Finding:
        s = self._settings
        client = self._clients.security(facts.ref.subscription_id)
        try:
            collection = defender.onboard(
                client,
                facts.ref,
                timeout=s.onboard_timeout_seconds,
                poll_seconds=s.onboard_poll_seconds,
            )
        except AzureError as exc:
            return rules.with_action(finding, Action.ONBOARD_FAILED, f"{names}: onboarding failed: {exc}")
        if collection is None:
            detail = f"{names}: onboarding sent, no collection visible after {s.onboard_timeout_seconds:g} s."
            return rules.with_action(finding, Action.ONBOARD_FAILED, detail)
        verified = rules.evaluate_api(WithCollection(facts, collection), s, today)
        if verified.status is not Status.COMPLIANT:
            state = collection.provisioning_state
            detail = f"{names}: onboarding still {state} after {s.onboard_timeout_seconds:g} s; the next run verifies."
            return rules.with_action(finding, Action.ONBOARD_FAILED, detail)
        approval = f", approved by {approved_by}" if approved_by else ""
        return rules.with_action(verified, Action.ONBOARDED, f"{names} was onboarded to Defender for APIs{approval}.")
