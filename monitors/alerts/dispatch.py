"""Delivers the outbox: lease each due message, hand it to its sink, delete it only after the sink accepted it.

A failed delivery is retried with exponential backoff and jitter (never sooner than the sink's own
Retry-After); after ``MONITOR_ALERT_MAX_ATTEMPTS`` attempts the message is parked with its last error and shown by
``python -m monitors alerts --pending``. Leases make concurrent instances deliver each message once.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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
        for a sink's failure (the outbox keeps the message)."""
        outcomes: list[str] = []
        tried: set[str] = set()  # a message retried "now" (zero backoff) waits for the next call
        while len(outcomes) < max_messages:
            batch = [i for i in self._store.due(now, limit=100) if i.item_id not in tried][
                : max_messages - len(outcomes)
            ]
            if not batch:
                break
            for item in batch:
                tried.add(item.item_id)
                leased = self._store.lease(item, now + LEASE)
                # None: another instance is delivering it.
                outcomes.append(self._deliver(leased, now) if leased is not None else "taken")
        return DeliveryReport(outcomes.count("sent"), outcomes.count("retrying"), outcomes.count("parked"))

    def _deliver(self, item: OutboxItem, now: dt.datetime) -> str:
        # A message another instance already delivered can be queued again by a late, concurrent computation of the
        # same transition; the delivery marker (kept with the seen event ids) stops it from going out twice.
        marker = f"delivered:{item.item_id}"
        if self._store.event_seen(marker):
            self._store.complete(item)
            return "duplicate"
        sink = self._sinks.get(item.sink)
        try:
            if sink is None:
                raise DeliveryError(f"{item.sink}: sink is no longer configured")
            sink.send(item)
        except DeliveryError as exc:
            return self._failed(item, exc, now)
        self._store.mark_event(marker, now)
        self._store.complete(item)
        return "sent"

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
