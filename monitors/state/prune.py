"""Keeping the state small: the outbox timer's pruning of expired seen-event rows, delivery markers and claims.

``prune_expired`` deletes rows last written more than the TTL ago, one page (``StateStore.prune``) at a time, until a
page comes back short (nothing expired is left) or pruning has used its budget: MONITOR_PRUNE_SHARE of the timer's
period (at the defaults, 0.2 of 5 minutes). A budget out of the period, not out of the run, lets a run with nothing to
deliver (most runs: the event path delivers its own alerts) still catch up a backlog; what is left waits for the next
run. The first page is always taken.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from monitors.state.contract import StateStore


@dataclass(frozen=True)
class PruneReport:
    """What one timer run pruned: rows deleted, pages asked for, seconds spent, and whether none expired is left."""

    rows: int = 0
    pages: int = 0
    seconds: float = 0.0
    finished: bool = False


def prune_expired(
    store: StateStore,
    now: dt.datetime,
    *,
    ttl: dt.timedelta,
    page: int,
    budget_seconds: float,
    clock: Callable[[], float] = time.monotonic,
) -> PruneReport:
    """Prune rows older than ``now - ttl``, ``page`` rows a request, while pruning's seconds (``clock()`` readings)
    stay under ``budget_seconds``. Raises StateError as the store does."""
    before = now - ttl
    rows = pages = 0
    spent = 0.0
    while True:
        started = clock()
        deleted = store.prune(before, page)
        spent += clock() - started
        rows, pages = rows + deleted, pages + 1
        if deleted < page:
            return PruneReport(rows, pages, spent, finished=True)
        if spent >= budget_seconds:
            return PruneReport(rows, pages, spent, finished=False)
