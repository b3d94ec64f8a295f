"""When to tell people: the transition table from the last known status of a subject to its new finding. Pure.

| before                         | now                           | alert     |
|--------------------------------|-------------------------------|-----------|
| unknown or fine                | noncompliant                  | new       |
| noncompliant                   | noncompliant, alerted < N h   | (silent)  |
| noncompliant                   | noncompliant, alerted >= N h  | renotify  |
| noncompliant                   | fine (fixed elsewhere)        | resolved  |
| not onboarded before           | fine because we onboarded it  | onboarded |
| unknown or fine                | fine                          | (silent)  |
| any                            | error (could not tell)        | (silent, status kept) |

"Fine" is compliant, not applicable or exempt; N is ``MONITOR_RENOTIFY_HOURS``. Alert ids are derived from the
subject, the kind and the stored record's etag, so two instances computing the same transition agree on the id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from monitors.model import Action, Alert, AlertKind, Finding, Kind, Status, StatusRecord


@dataclass(frozen=True)
class Decision:
    """What to store (None: leave the record alone) and what to tell (None: stay quiet)."""

    record: StatusRecord | None
    alert: Alert | None


def subject_key(finding: Finding) -> str:
    """The state key of a finding's subject; an orphaned collection is its own subject, apart from its API."""
    if finding.kind is Kind.ORPHAN_COLLECTION and finding.collection_id:
        return finding.collection_id.lower()
    return finding.resource_id.lower()


def _alert_kind(
    prev: StatusRecord | None, finding: Finding, now: dt.datetime, renotify: dt.timedelta
) -> AlertKind | None:
    bad_now = finding.status is Status.NONCOMPLIANT
    bad_before = prev is not None and prev.status is Status.NONCOMPLIANT
    if finding.action is Action.ONBOARDED:
        # Two workers onboarding the same API (two events for one API, each queued) both see their PUT succeed:
        # only the first to record says so.
        already = prev is not None and (prev.status, prev.reason) == (finding.status, finding.reason)
        return None if already else AlertKind.ONBOARDED
    if bad_now and not bad_before:
        return AlertKind.NEW
    if bad_before and not bad_now:
        return AlertKind.RESOLVED
    if bad_now and prev is not None and (prev.alerted_at is None or now - prev.alerted_at >= renotify):
        return AlertKind.RENOTIFY
    return None


def decide(prev: StatusRecord | None, finding: Finding, now: dt.datetime, renotify: dt.timedelta) -> Decision:
    """Apply the transition table to one finding."""
    if finding.status is Status.ERROR:
        return Decision(None, None)
    key = subject_key(finding)
    kind = _alert_kind(prev, finding, now, renotify)
    changed = prev is None or (prev.status, prev.reason) != (finding.status, finding.reason)
    if kind is None and not changed:
        return Decision(None, None)
    record = StatusRecord(
        key=key,
        status=finding.status,
        reason=finding.reason,
        changed_at=now if changed or prev is None else prev.changed_at,
        alerted_at=now if kind is not None else (prev.alerted_at if prev else None),
        etag=prev.etag if prev else None,
    )
    if kind is None:
        return Decision(record, None)
    seed = f"{key}|{kind.value}|{prev.etag if prev else '-'}|{finding.status.value}|{finding.reason.value}"
    alert_id = hashlib.sha256(seed.encode()).hexdigest()[:32]
    return Decision(record, Alert(alert_id=alert_id, kind=kind, finding=finding, created_at=now))
