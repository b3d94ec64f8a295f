"""What ``python -m monitors status`` reports, computed from what the state store holds. Pure.

Coverage counts each API's last known status the way a scan's coverage does: not applicable and exempt APIs leave
the denominator, an API that could not be checked stays in it. An API is "unprotected" while its last known status
is noncompliant; its age runs from when that status was recorded.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from monitors.model import CoverageSnapshot, Meter, OutboxItem, ProtectionRecord, Status, StatusRecord

LAST_SWEEP = "sweep/last"  # the meter the sweep timer stamps: when it last ran, and how many services it sent
_APPLICABLE = {Status.COMPLIANT, Status.NONCOMPLIANT, Status.ERROR}


@dataclass(frozen=True)
class Unprotected:
    api_id: str
    since: dt.datetime

    def age(self, now: dt.datetime) -> dt.timedelta:
        return now - self.since


@dataclass(frozen=True)
class TimeToProtect:
    stage: str
    count: int
    p50_seconds: float | None
    p95_seconds: float | None


@dataclass(frozen=True)
class StatusReport:
    now: dt.datetime
    coverage: list[CoverageSnapshot]
    trend: dict[str, list[CoverageSnapshot]]  # per subscription, oldest first
    unprotected: list[Unprotected]  # oldest first
    time_to_protect: list[TimeToProtect]
    outbox_waiting: int
    outbox_parked: int
    outbox_oldest: dt.datetime | None
    last_sweep: dt.datetime | None
    last_sweep_services: int | None
    notes: list[str] = field(default_factory=list)


def is_api_key(key: str) -> bool:
    """A state key that names an APIM API (service or workspace), not a plan, service or collection."""
    apim = "/providers/microsoft.apimanagement/service/" in key
    return apim and "/apis/" in key and "/microsoft.security/" not in key


def subscription_of(key: str) -> str:
    parts = key.split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "subscriptions" else ""


def coverage_now(statuses: Iterable[StatusRecord], at: dt.datetime) -> list[CoverageSnapshot]:
    """One snapshot per subscription with at least one API, from each API's last known status."""
    applicable: dict[str, int] = {}
    onboarded: dict[str, int] = {}
    for record in statuses:
        if not is_api_key(record.key) or record.status not in _APPLICABLE:
            continue
        sub = subscription_of(record.key)
        applicable[sub] = applicable.get(sub, 0) + 1
        onboarded[sub] = onboarded.get(sub, 0) + (record.status is Status.COMPLIANT)
    return [CoverageSnapshot(at, sub, applicable[sub], onboarded[sub]) for sub in sorted(applicable)]


def unprotected(statuses: Iterable[StatusRecord]) -> list[Unprotected]:
    """Applicable APIs whose last known status is noncompliant (not onboarded, or onboarded under a plan that is
    off, or with a collection that failed), oldest first."""
    found = [
        Unprotected(r.key, r.changed_at) for r in statuses if is_api_key(r.key) and r.status is Status.NONCOMPLIANT
    ]
    return sorted(found, key=lambda u: (u.since, u.api_id))


def oldest_unprotected_age(statuses: Sequence[StatusRecord], now: dt.datetime) -> dict[str, float]:
    """Per subscription with APIs: seconds since its oldest unprotected API was found so (0 when there is none)."""
    ages = {snapshot.subscription_id: 0.0 for snapshot in coverage_now(statuses, now)}
    for item in unprotected(statuses):
        sub = subscription_of(item.api_id)
        ages[sub] = max(ages.get(sub, 0.0), item.age(now).total_seconds())
    return ages


def time_to_protect(records: Iterable[ProtectionRecord], since: dt.datetime) -> list[TimeToProtect]:
    """p50 and p95 of the clocks that stopped at or after ``since``, per stage."""
    records = list(records)
    out = []
    for stage in ("onboarded", "healthy"):
        seconds = sorted(
            s
            for r in records
            if (stopped := r.onboarded_at if stage == "onboarded" else r.healthy_at) is not None
            and stopped >= since
            and (s := r.seconds_to(stage)) is not None
        )
        out.append(TimeToProtect(stage, len(seconds), _percentile(seconds, 50), _percentile(seconds, 95)))
    return out


def _percentile(values: Sequence[float], percent: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def status_report(
    *,
    now: dt.datetime,
    statuses: Sequence[StatusRecord],
    history: Sequence[CoverageSnapshot],
    protections: Sequence[ProtectionRecord],
    outbox: Sequence[OutboxItem],
    last_sweep: Meter | None,
    window: dt.timedelta,
) -> StatusReport:
    trend: dict[str, list[CoverageSnapshot]] = {}
    for snapshot in sorted(history, key=lambda s: s.at):
        trend.setdefault(snapshot.subscription_id, []).append(snapshot)
    waiting = [item for item in outbox if not item.parked]
    return StatusReport(
        now=now,
        coverage=coverage_now(statuses, now),
        trend=trend,
        unprotected=unprotected(statuses),
        time_to_protect=time_to_protect(protections, now - window),
        outbox_waiting=len(waiting),
        outbox_parked=len(outbox) - len(waiting),
        outbox_oldest=min((item.created_at for item in outbox), default=None),
        last_sweep=last_sweep.stamp if last_sweep is not None else None,
        last_sweep_services=int(last_sweep.value) if last_sweep is not None else None,
    )
