"""Keeping the state small: the outbox timer's pruning of expired seen-event rows, delivery markers and claims.

``prune_expired`` deletes rows last written more than the TTL ago, one page (``StateStore.prune``) at a time, until a
page comes back short (nothing expired is left) or pruning has taken its share of the timer's run: the run so far,
counted from ``run_started``, delivery included. The first page is always taken, so that pruning advances even in a
run that had nothing to deliver; what is left waits for the next run.
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
    share: float,
    run_started: float,
    clock: Callable[[], float] = time.monotonic,
) -> PruneReport:
    """Prune rows older than ``now - ttl``, ``page`` rows a request, while pruning's seconds stay under ``share`` of
    the run's (``clock()`` readings; ``run_started`` is the run's first). Raises StateError as the store does."""
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
        if spent >= share * (clock() - run_started):
            return PruneReport(rows, pages, spent, finished=False)
