"""Expiry in the state store, on both backends: ``prune`` deletes seen-event rows, delivery markers and claims
written before a time, a page at a time, and nothing a user would miss (status, outbox, decisions, anything newer)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from monitors.model import DecisionRecord, EventClaim
from monitors.state.contract import StateStore
from monitors.state.sqlite import SqliteStateStore
from tests.state.records import API, LEASE, T0, item, race, record

DAY = dt.timedelta(days=1)
TTL = dt.timedelta(days=30)


def decision() -> DecisionRecord:
    return DecisionRecord("n-1", "onboard", API, "ops@contoso.com", T0, "onboarded", "onboarded at once")


def test_expired_event_rows_go_and_recent_ones_stay(store: StateStore) -> None:
    store.mark_event("old", T0)
    store.mark_event("recent", T0 + 20 * DAY)
    assert store.prune(T0 + TTL - 15 * DAY, 100) == 1
    assert store.event_seen("old") is False
    assert store.event_seen("recent") is True


def test_an_event_seen_again_within_the_ttl_is_still_done(store: StateStore) -> None:
    store.mark_event("event-a", T0)
    now = T0 + 2 * DAY  # the shortest TTL allowed; Event Grid stops redelivering after 24 hours
    assert store.prune(now - 2 * DAY, 100) == 0
    assert store.claim_event("event-a", now, LEASE) is EventClaim.DONE


def test_an_event_seen_again_after_its_row_expired_is_processed_again(store: StateStore) -> None:
    store.mark_event("event-a", T0)
    now = T0 + TTL + DAY
    assert store.prune(now - TTL, 100) == 1
    assert store.claim_event("event-a", now, LEASE) is EventClaim.CLAIMED


def test_expired_delivery_markers_and_stale_claims_go(store: StateStore) -> None:
    store.claim_deliveries(["teams:alert-1"], T0, LEASE)
    store.finish_deliveries(["teams:alert-1"], T0)
    store.claim_deliveries(["teams:alert-2"], T0, LEASE)  # its sender crashed: never finished nor released
    store.claim_event("crashed", T0, LEASE)
    store.claim_deliveries(["teams:alert-3"], T0 + 20 * DAY, LEASE)
    store.finish_deliveries(["teams:alert-3"], T0 + 20 * DAY)
    now = T0 + TTL + DAY
    assert store.prune(now - TTL, 100) == 3
    claims = store.claim_deliveries(["teams:alert-1", "teams:alert-2", "teams:alert-3"], now, LEASE)
    assert claims == {
        "teams:alert-1": EventClaim.CLAIMED,
        "teams:alert-2": EventClaim.CLAIMED,
        "teams:alert-3": EventClaim.DONE,
    }


def test_prune_deletes_a_page_at_a_time_then_comes_back_short(store: StateStore) -> None:
    for n in range(130):
        store.mark_event(f"event-{n}", T0 + dt.timedelta(seconds=n))
    store.finish_deliveries([f"teams:alert-{n}" for n in range(40)], T0)
    store.mark_event("recent", T0 + TTL)
    pages = [store.prune(T0 + DAY, 50) for _ in range(5)]
    assert pages == [50, 50, 50, 20, 0]
    assert store.event_seen("recent") is True


def test_status_outbox_and_decisions_are_never_pruned(store: StateStore) -> None:
    store.put_status(record(changed_at=T0))
    store.enqueue(item("digest-1", created_at=T0, next_attempt_at=T0))
    store.record_decision(decision())
    assert store.prune(T0 + 365 * DAY, 100) == 0
    assert store.get_status(record().key) is not None
    assert [i.item_id for i in store.outbox()] == ["digest-1"]
    assert [d.nonce for d in store.decisions()] == ["n-1"]


def test_a_sqlite_file_from_before_pruning_gets_its_indexes_and_prunes(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with sqlite3.connect(path) as conn:  # the tables as an earlier version made them: no time indexes
        conn.execute("CREATE TABLE events (id TEXT PRIMARY KEY, seen_at TEXT NOT NULL)")
        conn.execute("INSERT INTO events VALUES ('old', ?)", (T0.isoformat(timespec="microseconds"),))
    conn.close()
    opened = SqliteStateStore(str(path))
    try:
        assert opened.prune(T0 + DAY, 100) == 1
        assert opened.event_seen("old") is False
    finally:
        opened.close()
    with sqlite3.connect(path) as conn:
        indexes = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    conn.close()
    assert {"events_seen_at", "claims_claimed_at", "deliveries_at"} <= indexes


def test_two_pruners_at_once_delete_everything_expired_without_failing(store: StateStore) -> None:
    for n in range(150):
        store.mark_event(f"event-{n}", T0)
    store.mark_event("recent", T0 + TTL)
    deleted = race([lambda: store.prune(T0 + DAY, 200), lambda: store.prune(T0 + DAY, 200)])
    assert sum(deleted) >= 150
    assert store.prune(T0 + DAY, 200) == 0
    assert not any(store.event_seen(f"event-{n}") for n in range(150))
    assert store.event_seen("recent") is True
