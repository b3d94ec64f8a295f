"""The outbox timer's pruning budget (``prune_expired``): pages until a short one, or until pruning used its budget
(MONITOR_PRUNE_SHARE of the timer's period); always one page. Timed by a scripted clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitors.state.prune import prune_expired
from monitors.state.sqlite import SqliteStateStore
from tests.state.records import T0

TTL = dt.timedelta(days=30)
NOW = T0 + TTL + dt.timedelta(days=1)


class Clock:
    """Seconds that pass only when told to: each page of pruning takes ``page_seconds``."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def expired(tmp_path: Path) -> Iterator[SqliteStateStore]:
    opened = SqliteStateStore(str(tmp_path / "state.sqlite"))
    for n in range(1000):
        opened.mark_event(f"event-{n}", T0)
    yield opened
    opened.close()


def run(store: SqliteStateStore, clock: Clock, *, budget_seconds: float) -> tuple[int, int, bool]:
    """One timer run's pruning, each page taking one second."""
    pruning = store.prune

    def timed(before: dt.datetime, limit: int) -> int:
        clock.at += 1.0
        return pruning(before, limit)

    store.prune = timed  # type: ignore[method-assign]
    try:
        report = prune_expired(store, NOW, ttl=TTL, page=100, budget_seconds=budget_seconds, clock=clock)
    finally:
        del store.prune
    return report.rows, report.pages, report.finished


def test_pruning_stops_once_it_used_its_budget(expired: SqliteStateStore) -> None:
    assert run(expired, Clock(0.0), budget_seconds=2.0) == (200, 2, False)


def test_a_larger_budget_prunes_more_pages(expired: SqliteStateStore) -> None:
    assert run(expired, Clock(0.0), budget_seconds=8.0) == (800, 8, False)


def test_a_budget_smaller_than_a_page_still_prunes_one_page(expired: SqliteStateStore) -> None:
    assert run(expired, Clock(0.0), budget_seconds=0.001) == (100, 1, False)


def test_later_runs_take_up_where_the_last_stopped_until_a_page_comes_back_short(expired: SqliteStateStore) -> None:
    clock = Clock(0.0)
    runs = [run(expired, clock, budget_seconds=2.0) for _ in range(6)]
    assert runs == [(200, 2, False)] * 5 + [(0, 1, True)]
    assert expired.event_seen("event-999") is False


def test_nothing_expired_is_one_short_page(expired: SqliteStateStore) -> None:
    report = prune_expired(expired, T0 + dt.timedelta(days=1), ttl=TTL, page=100, budget_seconds=60.0)
    assert (report.rows, report.pages, report.finished) == (0, 1, True)
    assert expired.event_seen("event-0") is True
