"""The state layer's contract: last known status per API, processed event ids, the alert outbox, which alert each
sink has been sent, shared meters, the approvers' decisions (the audit trail), each API's time to protect and the
coverage snapshots ``status`` shows the trend of.

``StateStore`` is the one interface the engine, the notifier and the shared ARM request budget use; both backends
(``sqlite``, ``tables``) satisfy it structurally and import nothing from here. Both use optimistic concurrency: every
record carries an opaque ``etag`` and a conditional write reports a lost race instead of overwriting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from monitors.model import (
    CoverageSnapshot,
    DecisionRecord,
    EventClaim,
    Meter,
    OutboxItem,
    ProtectionRecord,
    StatusRecord,
)


class StateStore(Protocol):
    """Durable state shared by every instance of the monitor; all methods raise StateError when the store fails."""

    def get_status(self, key: str) -> StatusRecord | None:
        """The stored record for ``key`` with its etag, or None."""
        ...

    def put_status(self, record: StatusRecord) -> bool:
        """Insert (etag None, only if absent) or replace (only if the stored etag matches); False on conflict."""
        ...

    def event_seen(self, event_id: str) -> bool:
        """True if ``mark_event`` was called for this event id."""
        ...

    def mark_event(self, event_id: str, at: dt.datetime) -> None:
        """Remember an event id as processed (and drop its claim); marking it again changes nothing."""
        ...

    def claim_event(self, event_id: str, now: dt.datetime, lease: dt.timedelta) -> EventClaim:
        """Claim an event id before working on it: DONE if marked, BUSY if another claim younger than ``lease``
        holds it, else CLAIMED (a claim older than ``lease`` is taken over: its holder crashed or gave up)."""
        ...

    def release_event(self, event_id: str) -> None:
        """Drop a claim without marking the event, so that a redelivery can process it at once."""
        ...

    def claim_deliveries(self, keys: Sequence[str], now: dt.datetime, lease: dt.timedelta) -> dict[str, EventClaim]:
        """Claim each delivery key (``sink:alert_id``) before sending it: DONE if already sent, BUSY if another
        claim younger than ``lease`` holds it, else CLAIMED. One batched write per 100 keys when none exists yet."""
        ...

    def finish_deliveries(self, keys: Sequence[str], at: dt.datetime) -> None:
        """Record the keys as sent (their claims become DONE for good); finishing twice changes nothing."""
        ...

    def release_deliveries(self, keys: Sequence[str]) -> None:
        """Drop unfinished claims after a failed send, so that the next attempt can claim them at once."""
        ...

    def prune(self, before: dt.datetime, limit: int) -> int:
        """Delete at most ``limit`` rows last written before ``before``: seen-event marks, delivery markers (sent or
        not) and event claims; the number deleted, fewer than ``limit`` only once none is left. Status, meters, the
        outbox and the approvers' decisions (the audit trail) are never pruned. A row changed while being pruned is
        kept; two pruners at once are fine."""
        ...

    def enqueue(self, item: OutboxItem) -> bool:
        """Store an outbox item unless its id exists; True if inserted. Never overwrites."""
        ...

    def due(self, now: dt.datetime, limit: int = 100) -> list[OutboxItem]:
        """Unparked items whose ``next_attempt_at`` is at or before ``now``, oldest first, with their etags."""
        ...

    def lease(self, item: OutboxItem, until: dt.datetime) -> OutboxItem | None:
        """Hide an item until ``until`` if its etag still matches; the updated item, or None if another worker won."""
        ...

    def complete(self, item: OutboxItem) -> None:
        """Delete a delivered item; an item already gone is fine."""
        ...

    def fail(self, item: OutboxItem, error: str, next_attempt_at: dt.datetime, *, park: bool) -> OutboxItem | None:
        """Record a failed attempt (etag-checked): attempts + 1, the error, the next attempt and whether to park."""
        ...

    def outbox(self, *, parked: bool | None = None) -> list[OutboxItem]:
        """Every item (None), only parked items (True) or only unparked ones (False), oldest first."""
        ...

    def get_meter(self, key: str) -> Meter | None:
        """The stored meter for ``key`` with its etag, or None."""
        ...

    def put_meter(self, meter: Meter) -> bool:
        """Insert (etag None, only if absent) or replace (only if the stored etag matches); False on conflict."""
        ...

    def record_decision(self, record: DecisionRecord) -> None:
        """Keep an approver's decision in the audit trail. A link may have several records (an attempt that failed,
        then the one that acted), one per (nonce, time); recording the same one again keeps the first."""
        ...

    def decision(self, nonce: str) -> DecisionRecord | None:
        """The latest decision recorded for a link's nonce, or None."""
        ...

    def decisions(self) -> list[DecisionRecord]:
        """Every recorded decision, oldest first."""
        ...

    def statuses(self) -> list[StatusRecord]:
        """Every last known status (APIs, plans, services), in no particular order."""
        ...

    def get_protection(self, key: str) -> ProtectionRecord | None:
        """One API's time-to-protect record, or None."""
        ...

    def put_protection(self, record: ProtectionRecord) -> bool:
        """Insert (etag None, only if absent) or replace (only if the stored etag matches); False on conflict."""
        ...

    def protections(self) -> list[ProtectionRecord]:
        """Every time-to-protect record, in no particular order."""
        ...

    def record_coverage(self, snapshots: Sequence[CoverageSnapshot]) -> None:
        """Keep coverage snapshots (one per subscription and time; the same again keeps the first)."""
        ...

    def coverage_history(self, since: dt.datetime) -> list[CoverageSnapshot]:
        """The snapshots taken at or after ``since``, oldest first."""
        ...

    def prune_coverage(self, before: dt.datetime, limit: int) -> int:
        """Delete at most ``limit`` coverage snapshots taken before ``before``; how many were deleted."""
        ...

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""
        ...
