"""Turns findings into alerts exactly once: status transitions, event dedupe, the outbox, then delivery.

Order matters for "never lose, never repeat": the alert is written to the outbox (under an id derived from the
transition, so a retry or a concurrent instance writes the same row) before the new status is stored; the event id is
marked seen last. A crash anywhere repeats the work on redelivery without a second message. Status writes use the
store's optimistic concurrency: the loser re-reads and finds nothing left to say.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Sequence

from monitors.alerts.digest import DIGEST_PART, order_alerts
from monitors.alerts.dispatch import DeliveryReport, Dispatcher
from monitors.alerts.sink import Sink, close_sinks
from monitors.model import DIGEST_ID_MARK, Alert, Finding, OutboxItem
from monitors.routing import destinations
from monitors.settings import Settings
from monitors.state.contract import StateStore
from monitors.transitions import decide, subject_key

log = logging.getLogger(__name__)
_MAX_CONFLICTS = 5


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Notifier:
    """Records findings against the last known state and sends what changed."""

    def __init__(
        self,
        store: StateStore,
        sinks: Sequence[Sink],
        settings: Settings,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self._store = store
        self._sinks = list(sinks)
        self._routes = settings.routes
        routed = {route.sink_name for route in settings.routes}
        self._default = [sink.name for sink in self._sinks if sink.name not in routed]  # the default route
        self._known = {sink.name for sink in self._sinks}
        self._renotify = dt.timedelta(hours=settings.renotify_hours)
        self._clock = clock or _utcnow
        self._dispatcher = dispatcher or Dispatcher(
            store, sinks, max_attempts=settings.alert_max_attempts, retry_seconds=settings.alert_retry_seconds
        )

    def event_seen(self, event_id: str) -> bool:
        return self._store.event_seen(event_id)

    def record(
        self,
        findings: Sequence[Finding],
        *,
        digest: bool,
        event_id: str | None = None,
        hold: dt.timedelta = dt.timedelta(0),
    ) -> list[Alert]:
        """Store the findings' transitions and queue their alerts: one message per alert, or one digest per sink, each
        alert to the sinks of its owner's route (``monitors.routing``), else to the default route.

        Alerts are queued before the statuses that would silence them are written. A digest ``hold`` keeps it in
        the outbox that long, so that the digests of a sweep's many workers leave together, merged.
        """
        now = self._clock()
        decisions = [(f, decide(self._store.get_status(subject_key(f)), f, now, self._renotify)) for f in findings]
        alerts = [d.alert for _, d in decisions if d.alert is not None]
        if digest and alerts:
            routed: dict[str, list[Alert]] = {}
            for alert in alerts:
                for sink in self._sinks_of(alert):
                    routed.setdefault(sink, []).append(alert)
            for sink in (s.name for s in self._sinks if s.name in routed):
                self._enqueue(sink, routed[sink], now, now + hold, digest=True)
        elif alerts:
            for alert in alerts:
                for sink in self._sinks_of(alert):
                    self._enqueue(sink, [alert], now, now, digest=False)
        for finding, decision in decisions:
            if decision.record is not None and not self._store.put_status(decision.record):
                self._settle(finding, now)
        if event_id is not None:
            self._store.mark_event(event_id, now)
        return alerts

    def deliver(self, *, max_messages: int = 1000) -> DeliveryReport:
        """Send what is due, oldest first, at most ``max_messages`` (the rest wait for the next call)."""
        return self._dispatcher.deliver_due(self._clock(), max_messages=max_messages)

    @property
    def sink_count(self) -> int:
        return len(self._sinks)

    def close(self) -> None:
        """Close the sinks (their connections and credentials); the notifier sends nothing after. The store is not
        the notifier's: its owner closes it."""
        close_sinks(self._sinks)

    def _settle(self, finding: Finding, now: dt.datetime) -> None:
        """Another writer got there first: re-read and store our verdict; what it had to say, it said."""
        for _ in range(_MAX_CONFLICTS):
            decision = decide(self._store.get_status(subject_key(finding)), finding, now, self._renotify)
            if decision.record is None or self._store.put_status(decision.record):
                return
        log.warning("status of %s kept changing; the next run re-evaluates it", finding.resource_id)

    def _sinks_of(self, alert: Alert) -> list[str]:
        """The names of the configured sinks the alert goes to: its owner's routes', else the default route's."""
        names = destinations(self._routes, alert.finding.owner, self._default)
        return [name for name in names if name in self._known]

    def _enqueue(self, sink: str, alerts: list[Alert], now: dt.datetime, due: dt.datetime, *, digest: bool) -> None:
        """The sink's outbox items: an alert under its own id (the event path), or a digest of the alerts routed to
        it, split worst-first into parts that fit one table entity, marked as digests, which the dispatcher merges
        per sink. Ids derive from the alerts alone, so a retry or a racing instance writes the same rows."""
        if not digest:
            parts = [(alerts[0].alert_id, alerts)]
        else:
            ordered, base = order_alerts(alerts), _digest_id(alerts)
            chunks = [ordered[i : i + DIGEST_PART] for i in range(0, len(ordered), DIGEST_PART)]
            parts = [(f"{base}-{n}of{len(chunks)}", chunk) for n, chunk in enumerate(chunks, 1)]
        for batch, part in parts:
            item = OutboxItem(f"{sink}-{batch}", sink, tuple(part), created_at=now, next_attempt_at=due, digest=digest)
            self._store.enqueue(item)


def _digest_id(alerts: Sequence[Alert]) -> str:
    return (
        DIGEST_ID_MARK.lstrip("-")
        + hashlib.sha256("|".join(sorted(a.alert_id for a in alerts)).encode()).hexdigest()[:24]
    )
