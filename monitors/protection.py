"""Time to protect: how long an API goes from its first write to protected, per API in the state store and as the
``monitor.time_to_protect`` histogram (issue 14).

The clock starts at the API's first write as Event Grid timed it (the event's ``eventTime`` / ``time``), or, for an
API the sweep finds unprotected without an event, when it was found. It stops twice: ``onboarded`` when the monitor
saw the API's apiCollection Succeeded (its own onboarding, queued or in place, or an approved one), and ``healthy``
when the sweep first reads Defender's verdict on it as Healthy (the verdict's own change time when Defender gives
one). Each stop is recorded once per API: a racing instance that loses the etag-checked write measures nothing.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from monitors import telemetry
from monitors.model import Action, Finding, Kind, ProtectionRecord, Reason, Status
from monitors.state.contract import StateStore

PENDING_SECONDS = 300.0  # how long an instance reuses the records it read (which clocks run, which wait for healthy)
_UNPROTECTED = {Reason.NOT_ONBOARDED}
_STARTING_ACTIONS = {Action.ONBOARD_QUEUED, Action.ONBOARD_DEFERRED, Action.AWAITING_APPROVAL, Action.ONBOARDED}


def event_time(event: Mapping[str, object]) -> dt.datetime | None:
    """When Event Grid says the write happened: ``eventTime`` (Event Grid schema) or ``time`` (CloudEvents)."""
    raw = event.get("eventTime") or event.get("time")
    try:
        stamp = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if raw else None
    except ValueError:
        return None
    return stamp.astimezone(dt.UTC) if stamp is not None and stamp.tzinfo else None


def starts_clock(finding: Finding) -> bool:
    """An API left unprotected, or one about to be onboarded."""
    if finding.kind is not Kind.API:
        return False
    return finding.action in _STARTING_ACTIONS or (
        finding.status is Status.NONCOMPLIANT and finding.reason in _UNPROTECTED
    )


class ProtectionClock:
    """Starts and stops each API's clock in the state store; ``now`` is the runtime's clock."""

    def __init__(self, store: StateStore, now: Callable[[], dt.datetime]) -> None:
        self._store = store
        self._now = now
        self._lock = threading.Lock()
        self._records: tuple[float, dict[str, ProtectionRecord]] | None = None

    def observe(self, findings: Iterable[Finding], first_write: dt.datetime | None = None) -> None:
        """Start the clock of every API a finding leaves unprotected (at ``first_write`` if the event said when),
        stop it at ``onboarded`` for every API the monitor onboarded, and at ``healthy`` for every API whose
        Defender verdict reads Healthy for the first time.

        An event's API is written at once (one insert that keeps an existing clock); a sweep's thousands of APIs are
        first looked up in the records this instance read in the last PENDING_SECONDS, so that an API whose clock
        already runs costs no write."""
        now = self._now()
        for finding in findings:
            key = finding.resource_id.lower()
            if starts_clock(finding) and (first_write is not None or key not in self._known(now)):
                record = ProtectionRecord(key, min(first_write or now, now))
                if self._store.put_protection(record):  # only if absent
                    self._remember(record)
            if finding.kind is Kind.API and finding.action is Action.ONBOARDED:
                self._stop(key, "onboarded", now, now)
            verdict = finding.defender
            if verdict is not None and verdict.healthy:
                known = self._known(now).get(key)
                if known is not None and known.healthy_at is None:
                    self._stop(key, "healthy", verdict.changed_at or now, now)

    def _stop(self, key: str, stage: str, at: dt.datetime, read_at: dt.datetime) -> None:
        """Stop one clock at ``at``; a verdict's change time from before the first write is a stale one (Defender's
        earlier state), so the time it was read (``read_at``) counts instead."""
        record = self._store.get_protection(key)
        if record is None or record.seconds_to(stage) is not None:
            return
        if at < record.first_write_at:
            at = read_at
        stopped = replace(record, onboarded_at=at) if stage == "onboarded" else replace(record, healthy_at=at)
        if self._store.put_protection(stopped):
            seconds = stopped.seconds_to(stage)
            assert seconds is not None
            telemetry.time_to_protect(key, stage, seconds)
            self._remember(stopped)

    def _known(self, now: dt.datetime) -> dict[str, ProtectionRecord]:
        """Every API's record as this instance last read them, read again after PENDING_SECONDS."""
        with self._lock:
            stamp = now.timestamp()
            if self._records is None or abs(stamp - self._records[0]) > PENDING_SECONDS:
                self._records = (stamp, {r.key: r for r in self._store.protections()})
            return self._records[1]

    def _remember(self, record: ProtectionRecord) -> None:
        with self._lock:
            if self._records is not None:
                self._records[1][record.key] = record
