"""The outbox timer's pruning budget (``prune_expired``): pages until a short one, or until pruning took its share of
the run; always one page, so a run with nothing to deliver still advances. Timed by a scripted clock."""

from __future__ import annotations

import datetime as dt
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
def expired(tmp_path: Path) -> SqliteStateStore:
    opened = SqliteStateStore(str(tmp_path / "state.sqlite"))
    for n in range(1000):
        opened.mark_event(f"event-{n}", T0)
    return opened


def run(store: SqliteStateStore, clock: Clock, *, delivery_seconds: float, share: float) -> tuple[int, int, bool]:
    """One timer run: delivery took ``delivery_seconds``, then pruning, each page one second."""
    pruning = store.prune

    def timed(before: dt.datetime, limit: int) -> int:
        clock.at += 1.0
        return pruning(before, limit)

    store.prune = timed  # type: ignore[method-assign]
    try:
        run_started = clock.at
        clock.at += delivery_seconds
        report = prune_expired(store, NOW, ttl=TTL, page=100, share=share, run_started=run_started, clock=clock)
    finally:
        del store.prune
    return report.rows, report.pages, report.finished


def test_pruning_stops_once_it_took_its_share_of_the_run(expired: SqliteStateStore) -> None:
    # Delivery took 8 s; pages of 1 s: after 2 pages pruning took 2 s of 10, its 20 %.
    assert run(expired, Clock(0.0), delivery_seconds=8.0, share=0.2) == (200, 2, False)


def test_a_larger_share_prunes_more_pages(expired: SqliteStateStore) -> None:
    assert run(expired, Clock(0.0), delivery_seconds=8.0, share=0.5) == (800, 8, False)


def test_a_run_with_nothing_to_deliver_still_prunes_one_page(expired: SqliteStateStore) -> None:
    assert run(expired, Clock(0.0), delivery_seconds=0.0, share=0.2) == (100, 1, False)


def test_later_runs_take_up_where_the_last_stopped_until_a_page_comes_back_short(expired: SqliteStateStore) -> None:
    clock = Clock(0.0)
    runs = [run(expired, clock, delivery_seconds=8.0, share=0.2) for _ in range(6)]
    assert runs == [(200, 2, False)] * 5 + [(0, 1, True)]
    assert expired.event_seen("event-999") is False


def test_nothing_expired_is_one_short_page(expired: SqliteStateStore) -> None:
    report = prune_expired(expired, T0 + dt.timedelta(days=1), ttl=TTL, page=100, share=0.2, run_started=0.0)
    assert (report.rows, report.pages, report.finished) == (0, 1, True)
    assert expired.event_seen("event-0") is True
