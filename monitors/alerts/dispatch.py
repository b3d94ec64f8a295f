"""Delivers the outbox: lease each due message, hand it to its sink, delete it only after the sink accepted it.

A failed delivery is retried with exponential backoff and jitter (never sooner than the sink's own
Retry-After); after ``MONITOR_ALERT_MAX_ATTEMPTS`` attempts the message is parked with its last error and shown by
``python -m monitors alerts --pending``. Leases make concurrent instances deliver each message once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitors.alerts.digest import DIGEST_MARK, DIGEST_PART, order_alerts
from monitors.alerts.sink import Sink
from monitors.errors import DeliveryError
from monitors.model import OutboxItem
from monitors.state import StateStore

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=2)
MAX_DELAY = dt.timedelta(hours=1)


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
        outcomes: list[str] = []
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
                if DIGEST_MARK in leased.item_id:
                    held.setdefault(leased.sink, []).append(leased)
                else:
                    outcomes += self._deliver([leased], now)
        for items in held.values():
            for group in _groups(items):
                outcomes += self._deliver(group, now)
        return DeliveryReport(outcomes.count("sent"), outcomes.count("retrying"), outcomes.count("parked"))

    def _deliver(self, group: list[OutboxItem], now: dt.datetime) -> list[str]:
        """Send a group of outbox items for one sink as one message; each item's outcome."""
        # A message another instance already delivered can be queued again by a late, concurrent computation of the
        # same transition; the delivery marker (kept with the seen event ids) stops it from going out twice.
        outcomes: list[str] = []
        fresh = []
        for item in group:
            if self._store.event_seen(_marker(item)):
                self._store.complete(item)
                outcomes.append("duplicate")
            else:
                fresh.append(item)
        if not fresh:
            return outcomes
        sink = self._sinks.get(fresh[0].sink)
        try:
            if sink is None:
                raise DeliveryError(f"{fresh[0].sink}: sink is no longer configured")
            sink.send(fresh[0] if len(fresh) == 1 else _merge(fresh, now))
        except DeliveryError as exc:
            return outcomes + [self._failed(item, exc, now) for item in fresh]
        for item in fresh:
            self._store.mark_event(_marker(item), now)
            self._store.complete(item)
        return outcomes + ["sent"] * len(fresh)

    def _failed(self, item: OutboxItem, exc: DeliveryError, now: dt.datetime) -> str:
        attempts = item.attempts + 1
        park = attempts >= self._max_attempts or item.sink not in self._sinks
        delay = max(backoff(attempts, self._retry_seconds, self._rng), dt.timedelta(seconds=exc.retry_after or 0))
        self._store.fail(item, str(exc), now + delay, park=park)
        if park:
            log.error("alert %s parked after %d attempts: %s", item.item_id, attempts, exc)
            return "parked"
        seconds = delay.total_seconds()
        log.warning("alert %s not delivered (attempt %d), retry in %.0f s: %s", item.item_id, attempts, seconds, exc)
        return "retrying"


def _marker(item: OutboxItem) -> str:
    return f"delivered:{item.item_id}"


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


def _merge(items: list[OutboxItem], now: dt.datetime) -> OutboxItem:
    """One digest holding the alerts of several, worst first, under an id derived from its parts."""
    ids = "|".join(item.item_id for item in items)
    return OutboxItem(
        item_id=f"{items[0].sink}{DIGEST_MARK}merged-{hashlib.sha256(ids.encode()).hexdigest()[:24]}",
        sink=items[0].sink,
        alerts=tuple(order_alerts([alert for item in items for alert in item.alerts])),
        created_at=min(item.created_at for item in items),
        next_attempt_at=now,
        attempts=max(item.attempts for item in items),
    )
