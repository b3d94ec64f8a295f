"""The alert outbox in the state store, on both backends: enqueue, due, leases, failures, parking and completion,
items queued by an older version, and items too big for one Azure Tables entity."""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest
from azure.data.tables import TableClient, UpdateMode

from monitors.errors import StateError
from monitors.state.contract import StateStore
from monitors.state.sqlite import SqliteStateStore
from monitors.state.tables import TableStateStore
from tests.state.records import T0, alert, found, item, race, unstamped


def test_enqueued_item_round_trips_with_its_alerts(store: StateStore) -> None:
    queued = item("digest-1", n_alerts=3, last_error="HTTP 500 from teams", attempts=2)
    store.enqueue(queued)
    assert unstamped(store.outbox()) == [queued]


def test_a_digest_stays_a_digest_through_a_failed_attempt_and_its_id_does_not_decide(store: StateStore) -> None:
    store.enqueue(item("teams-sweep-1of1", digest=True, created_at=T0 - dt.timedelta(seconds=1)))
    store.enqueue(item("teams-orders-digest-v2"))  # an alert whose id holds the old digest mark is not a digest
    leased = store.lease(store.due(T0)[0], T0 + dt.timedelta(minutes=2))
    assert leased is not None
    store.fail(leased, "HTTP 503", T0, park=False)
    assert [(i.item_id, i.digest) for i in store.outbox()] == [
        ("teams-sweep-1of1", True),
        ("teams-orders-digest-v2", False),
    ]


OLD_OUTBOX = """CREATE TABLE outbox (
    item_id TEXT PRIMARY KEY, sink TEXT NOT NULL, alerts_json TEXT NOT NULL, created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL, attempts INTEGER NOT NULL, last_error TEXT, parked INTEGER NOT NULL,
    version INTEGER NOT NULL)"""


def test_items_queued_by_a_version_without_the_digest_flag_are_read_by_their_id_in_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with closing(sqlite3.connect(path)) as old, old:
        old.execute(OLD_OUTBOX)
        for item_id in ("teams-digest-0a1b-1of1", "teams-alert-7"):
            old.execute(
                "INSERT INTO outbox VALUES (?, 'teams', '[]', ?, ?, 0, NULL, 0, 1)",
                (item_id, T0.isoformat(), T0.isoformat()),
            )
    upgraded = SqliteStateStore(str(path))
    upgraded.enqueue(item("teams-sweep-1of1", digest=True))
    assert [(i.item_id, i.digest) for i in upgraded.outbox()] == [
        ("teams-alert-7", False), ("teams-digest-0a1b-1of1", True), ("teams-sweep-1of1", True)
    ]  # fmt: skip
    upgraded.close()


def test_items_queued_by_a_version_without_the_digest_flag_are_read_by_their_id_in_tables(
    azurite: str, table_prefix: str, tables_store: TableStateStore
) -> None:
    for item_id in ("teams-digest-0a1b-1of1", "teams-alert-7"):
        tables_store.enqueue(item(item_id))
    with TableClient.from_connection_string(azurite, f"{table_prefix}outbox") as table:
        for entity in table.list_entities():
            table.update_entity({k: v for k, v in entity.items() if k != "digest"}, mode=UpdateMode.REPLACE)
    assert [(i.item_id, i.digest) for i in tables_store.outbox()] == [
        ("teams-alert-7", False), ("teams-digest-0a1b-1of1", True)
    ]  # fmt: skip


def test_enqueue_is_idempotent(store: StateStore) -> None:
    store.enqueue(item("a"))
    assert store.enqueue(item("a", sink="slack", n_alerts=2)) is False
    assert unstamped(store.outbox()) == [item("a")]


def test_first_enqueue_reports_insert(store: StateStore) -> None:
    assert store.enqueue(item("a")) is True


def test_due_lists_unparked_items_whose_time_has_come_oldest_first(store: StateStore) -> None:
    store.enqueue(item("late", created_at=T0 - dt.timedelta(minutes=1), next_attempt_at=T0))
    store.enqueue(item("early", created_at=T0 - dt.timedelta(minutes=2), next_attempt_at=T0 - dt.timedelta(hours=1)))
    store.enqueue(item("future", created_at=T0 - dt.timedelta(minutes=3), next_attempt_at=T0 + dt.timedelta(hours=1)))
    store.enqueue(item("parked", created_at=T0 - dt.timedelta(minutes=4), parked=True))
    assert [due.item_id for due in store.due(T0)] == ["early", "late"]


def test_due_honours_limit(store: StateStore) -> None:
    store.enqueue(item("b", created_at=T0 - dt.timedelta(minutes=1)))
    store.enqueue(item("a", created_at=T0 - dt.timedelta(minutes=2)))
    store.enqueue(item("c", created_at=T0))
    assert [due.item_id for due in store.due(T0, limit=2)] == ["a", "b"]


def test_due_items_carry_etags(store: StateStore) -> None:
    store.enqueue(item("a"))
    assert store.due(T0)[0].etag


def test_lease_hides_item_until_it_ends(store: StateStore) -> None:
    store.enqueue(item("a"))
    store.lease(store.due(T0)[0], T0 + dt.timedelta(minutes=5))
    assert store.due(T0 + dt.timedelta(minutes=4)) == []


def test_leased_item_is_due_again_when_lease_ends(store: StateStore) -> None:
    store.enqueue(item("a"))
    store.lease(store.due(T0)[0], T0 + dt.timedelta(minutes=5))
    assert [due.item_id for due in store.due(T0 + dt.timedelta(minutes=5))] == ["a"]


def test_lease_returns_the_item_with_a_new_etag(store: StateStore) -> None:
    store.enqueue(item("a"))
    due = store.due(T0)[0]
    leased = found(store.lease(due, T0 + dt.timedelta(minutes=5)))
    assert (leased, leased.etag != due.etag) == (store.outbox()[0], True)


def test_two_leases_of_the_same_item_one_wins(store: StateStore) -> None:
    store.enqueue(item("a"))
    due = store.due(T0)[0]
    first = store.lease(due, T0 + dt.timedelta(minutes=5))
    second = store.lease(due, T0 + dt.timedelta(minutes=6))
    assert (first is not None, second) == (True, None)


def test_concurrent_leases_one_worker_wins(store: StateStore) -> None:
    store.enqueue(item("a"))
    due = store.due(T0)[0]
    results = race([partial(store.lease, due, T0 + dt.timedelta(minutes=n)) for n in range(8)])
    assert sorted(result is not None for result in results) == [False] * 7 + [True]


def test_fail_records_the_attempt(store: StateStore) -> None:
    store.enqueue(item("a"))
    leased = found(store.lease(store.due(T0)[0], T0 + dt.timedelta(minutes=5)))
    failed = found(store.fail(leased, "teams: HTTP 500", T0 + dt.timedelta(minutes=1), park=False))
    expected = item("a", attempts=1, last_error="teams: HTTP 500", next_attempt_at=T0 + dt.timedelta(minutes=1))
    assert (replace(failed, etag=None), store.outbox()) == (expected, [failed])


def test_fail_increments_attempts(store: StateStore) -> None:
    store.enqueue(item("a", attempts=3))
    failed = found(store.fail(store.due(T0)[0], "slack: timed out", T0, park=False))
    assert failed.attempts == 4


def test_fail_with_park_takes_item_out_of_due(store: StateStore) -> None:
    store.enqueue(item("a"))
    store.fail(store.due(T0)[0], "webhook: HTTP 400", T0, park=True)
    assert store.due(T0 + dt.timedelta(days=365)) == []


def test_fail_with_stale_etag_conflicts(store: StateStore) -> None:
    store.enqueue(item("a"))
    due = store.due(T0)[0]
    store.lease(due, T0 + dt.timedelta(minutes=5))
    assert store.fail(due, "teams: HTTP 500", T0, park=False) is None


def test_complete_deletes_the_item(store: StateStore) -> None:
    store.enqueue(item("a"))
    store.enqueue(item("b"))
    store.complete(store.due(T0)[0])
    assert [kept.item_id for kept in store.outbox()] == ["b"]


def test_complete_of_an_absent_item_is_fine(store: StateStore) -> None:
    store.complete(item("never-stored"))
    assert store.outbox() == []


def test_completed_item_cannot_be_leased(store: StateStore) -> None:
    store.enqueue(item("a"))
    due = store.due(T0)[0]
    store.complete(due)
    assert store.lease(due, T0 + dt.timedelta(minutes=5)) is None


@pytest.mark.parametrize(
    ("parked", "expected"),
    [
        pytest.param(None, ["a", "p"], id="all"),
        pytest.param(True, ["p"], id="parked"),
        pytest.param(False, ["a"], id="unparked"),
    ],
)
def test_outbox_filters_by_parked(store: StateStore, parked: bool | None, expected: list[str]) -> None:
    store.enqueue(item("a", created_at=T0 - dt.timedelta(minutes=1)))
    store.enqueue(item("p", parked=True, attempts=8, last_error="teams: HTTP 400"))
    assert [kept.item_id for kept in store.outbox(parked=parked)] == expected


def test_big_outbox_item_round_trips(store: StateStore) -> None:
    digest = item("sweep-digest", n_alerts=200)
    store.enqueue(digest)
    assert unstamped(store.due(T0)) == [digest]


def test_tables_refuse_an_item_too_big_for_one_entity(tables_store: TableStateStore) -> None:
    huge = item("huge", alerts=tuple(alert(n, detail="x" * 30_000) for n in range(16)))
    with pytest.raises(StateError, match=r"^state store \(Azure Tables\): enqueue failed: .* 16 alerts"):
        tables_store.enqueue(huge)
