"""Delivers the outbox: lease each due message, hand it to its sink, delete it only after the sink accepted it.

A failed delivery is retried with exponential backoff and jitter (never sooner than the sink's own
Retry-After); after ``MONITOR_ALERT_MAX_ATTEMPTS`` attempts the message is parked with its last error and shown by
``python -m monitors alerts --pending``. Leases make concurrent instances deliver each message once.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import logging
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitors import telemetry
from monitors.alerts.digest import DIGEST_PART, order_alerts
from monitors.alerts.sink import Sink
from monitors.errors import DeliveryError
from monitors.model import DIGEST_ID_MARK, Alert, EventClaim, OutboxItem
from monitors.state.contract import StateStore

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=2)
MAX_DELAY = dt.timedelta(hours=1)


class Outcome(enum.Enum):
    """What became of one outbox item in one delivery pass."""

    SENT = "sent"
    DUPLICATE = "duplicate"  # every alert in it had already gone out for this sink: completed, nothing sent
    WAITING = "waiting"  # another instance is sending some of its alerts: back after the lease
    RETRYING = "retrying"
    PARKED = "parked"


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    parked: int = 0


def backoff(attempts: int, base_seconds: float, rng: Callable[[], float]) -> dt.timedelta:
    """Exponential backoff with jitter: between half and all of base * 2^(attempts-1), capped at an hour."""
    ceiling = min(base_seconds * 2 ** max(attempts - 1, 0), MAX_DELAY.total_seconds())
    return dt.timedelta(seconds=ceiling * (0.5 + rng() / 2))


class Dispatcher:
    """Sends due outbox messages through the configured sinks."""

    def __init__(
        self,
        store: StateStore,
        sinks: Sequence[Sink],
        *,
        max_attempts: int,
        retry_seconds: float,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._store = store
        self._sinks = {sink.name: sink for sink in sinks}
        self._max_attempts = max_attempts
        self._retry_seconds = retry_seconds
        self._rng = rng

    def deliver_due(self, now: dt.datetime, *, max_messages: int = 1000) -> DeliveryReport:
        """Try every message that is due now, up to ``max_messages`` (the rest wait for the next call); never raises
        for a sink's failure (the outbox keeps the message). Digests due for the same sink go out as one message
        (the per-service digests of a sweep become one), up to ``DIGEST_PART`` alerts each."""
        outcomes: Counter[Outcome] = Counter()
        held: dict[str, list[OutboxItem]] = {}
        tried: set[str] = set()  # a message retried "now" (zero backoff) waits for the next call
        while len(tried) < max_messages:
            batch = [i for i in self._store.due(now, limit=100) if i.item_id not in tried][: max_messages - len(tried)]
            if not batch:
                break
            for item in batch:
                tried.add(item.item_id)
                leased = self._store.lease(item, now + LEASE)
                if leased is None:
                    continue  # another instance is delivering it
                if leased.digest:
                    held.setdefault(leased.sink, []).append(leased)
                else:
                    outcomes.update(self._deliver([leased], now))
        for items in held.values():
            for group in _groups(items):
                outcomes.update(self._deliver(group, now))
        return DeliveryReport(outcomes[Outcome.SENT], outcomes[Outcome.RETRYING], outcomes[Outcome.PARKED])

    def _deliver(self, group: list[OutboxItem], now: dt.datetime) -> list[Outcome]:
        outcomes = self._deliver_group(group, now)
        counted = Counter(outcomes)
        telemetry.delivery("sent", group[0].sink, counted[Outcome.SENT])
        telemetry.delivery("retried", group[0].sink, counted[Outcome.RETRYING])
        telemetry.delivery("parked", group[0].sink, counted[Outcome.PARKED])
        return outcomes

    def _deliver_group(self, group: list[OutboxItem], now: dt.datetime) -> list[Outcome]:
        """Send a group of outbox items for one sink as one message; each item's outcome.

        Every alert is claimed for this sink first (``sink:alert_id``): an alert already sent, in this item or in
        another that a crash or a racing recorder queued too, is left out, and one another instance is sending right
        now waits for it. The claims are finished in one batched write right after the sink's answer: the only
        window in which a crash can repeat a message is between that answer and that write.
        """
        sink_name = group[0].sink
        alerts = {alert.alert_id: alert for item in group for alert in item.alerts}
        claims = self._store.claim_deliveries([_key(sink_name, a) for a in alerts], now, LEASE)
        fresh = [alert for alert_id, alert in alerts.items() if claims[_key(sink_name, alert_id)] is EventClaim.CLAIMED]
        busy = any(claim is EventClaim.BUSY for claim in claims.values())
        if fresh:
            try:
                self._send(sink_name, group, fresh, now)
            except DeliveryError as exc:
                self._store.release_deliveries([_key(sink_name, a.alert_id) for a in fresh])
                return [self._failed(item, exc, now) for item in group]
            self._store.finish_deliveries([_key(sink_name, a.alert_id) for a in fresh], now)
        if busy:
            return [Outcome.WAITING] * len(group)  # leased: back after the lease, when the other sender has finished
        for item in group:
            self._store.complete(item)
        return [Outcome.SENT if fresh else Outcome.DUPLICATE] * len(group)

    def _send(self, sink_name: str, group: list[OutboxItem], fresh: list[Alert], now: dt.datetime) -> None:
        sink = self._sinks.get(sink_name)
        if sink is None:
            raise DeliveryError(f"{sink_name}: sink is no longer configured")
        whole = len(group) == 1 and len(fresh) == len(group[0].alerts)
        sink.send(group[0] if whole else _merge(group, fresh, now))

    def _failed(self, item: OutboxItem, exc: DeliveryError, now: dt.datetime) -> Outcome:
        attempts = item.attempts + 1
        park = attempts >= self._max_attempts or item.sink not in self._sinks
        delay = max(backoff(attempts, self._retry_seconds, self._rng), dt.timedelta(seconds=exc.retry_after or 0))
        self._store.fail(item, str(exc), now + delay, park=park)
        if park:
            log.error("alert %s parked after %d attempts: %s", item.item_id, attempts, exc)
            return Outcome.PARKED
        seconds = delay.total_seconds()
        log.warning("alert %s not delivered (attempt %d), retry in %.0f s: %s", item.item_id, attempts, seconds, exc)
        return Outcome.RETRYING


def _key(sink: str, alert_id: str) -> str:
    return f"{sink}:{alert_id}"


def _groups(items: list[OutboxItem]) -> list[list[OutboxItem]]:
    """Pack digests, oldest first, into groups of at most DIGEST_PART alerts (an item is never split)."""
    groups: list[list[OutboxItem]] = []
    size = DIGEST_PART
    for item in sorted(items, key=lambda i: (i.created_at, i.item_id)):
        if size + len(item.alerts) > DIGEST_PART:
            groups.append([])
            size = 0
        groups[-1].append(item)
        size += len(item.alerts)
    return groups


def _merge(items: list[OutboxItem], alerts: list[Alert], now: dt.datetime) -> OutboxItem:
    """One digest holding ``alerts`` (each once, worst first), under an id derived from the items and the alerts, so
    that a resend of the same message after a crash carries the same ``webhook-id``."""
    ids = "|".join([item.item_id for item in items] + sorted(alert.alert_id for alert in alerts))
    return OutboxItem(
        item_id=f"{items[0].sink}{DIGEST_ID_MARK}merged-{hashlib.sha256(ids.encode()).hexdigest()[:24]}",
        sink=items[0].sink,
        alerts=tuple(order_alerts(alerts)),
        created_at=min(item.created_at for item in items),
        next_attempt_at=now,
        attempts=max(item.attempts for item in items),
        digest=True,
    )
