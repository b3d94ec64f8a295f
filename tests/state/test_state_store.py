"""The state store contract, run against both backends: SQLite on a temporary file and Azure Tables on Azurite."""

from __future__ import annotations

import datetime as dt
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest
from azure.data.tables import TableClient, UpdateMode

from monitors.azure import clients
from monitors.errors import SettingsError, StateError
from monitors.model import Alert, AlertKind, EventClaim, Finding, Kind, OutboxItem, Reason, Status, StatusRecord
from monitors.state import open_store
from monitors.state.contract import StateStore
from monitors.state.sqlite import SqliteStateStore
from monitors.state.tables import TableStateStore, open_table_store
from tests.azurite import ACCOUNT_KEY, running_azurite

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
API = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourcegroups/rg-apis-prod"
    "/providers/microsoft.apimanagement/service/apim-contoso-prod/apis/orders"
)
WRONG_KEY = "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3Jvbmc="


@pytest.fixture
def tables_store(azurite: str, table_prefix: str) -> Iterator[TableStateStore]:
    opened = open_table_store(azurite, table_prefix=table_prefix)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def stopped_store() -> Iterator[TableStateStore]:
    """A Tables store that worked, and whose Azurite was then stopped under it."""
    with running_azurite() as server:
        opened = open_table_store(server.connection_string, table_prefix="stopped")
        opened.put_status(record())
        opened.enqueue(item("before-stop"))
    yield opened
    opened.close()


def record(**overrides: object) -> StatusRecord:
    fields: dict[str, object] = {
        "key": API,
        "status": Status.NONCOMPLIANT,
        "reason": Reason.NOT_ONBOARDED,
        "changed_at": T0,
        "alerted_at": T0 + dt.timedelta(seconds=5),
    }
    return StatusRecord(**{**fields, **overrides})


def alert(n: int, detail: str = "") -> Alert:
    finding = Finding(
        kind=Kind.API,
        resource_id=f"{API}-{n}",
        subscription_id="00000000-0000-0000-0000-000000000001",
        resource_group="rg-apis-prod",
        service="apim-contoso-prod",
        api=f"orders-{n}",
        display_name=f"Orders {n} (ünïcødé)",
        status=Status.NONCOMPLIANT,
        reason=Reason.NOT_ONBOARDED,
        detail=detail or f"API orders-{n} of apim-contoso-prod is not onboarded to Defender for APIs.",
        collection_id=f"{API}-{n}/providers/Microsoft.Security/apiCollections/orders-{n}",
    )
    return Alert(alert_id=f"alert-{n}", kind=AlertKind.NEW, finding=finding, created_at=T0)


def item(item_id: str, *, n_alerts: int = 1, **overrides: object) -> OutboxItem:
    fields: dict[str, object] = {
        "item_id": item_id,
        "sink": "teams",
        "alerts": tuple(alert(n) for n in range(n_alerts)),
        "created_at": T0,
        "next_attempt_at": T0,
    }
    return OutboxItem(**{**fields, **overrides})


def race(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls on as many threads, released together."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], object]) -> object:
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def unstamped(items: list[OutboxItem]) -> list[OutboxItem]:
    return [replace(stored, etag=None) for stored in items]


# Status records


def test_missing_status_is_none(store: StateStore) -> None:
    assert store.get_status(API) is None


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param(record(), id="alerted"),
        pytest.param(record(alerted_at=None), id="never_alerted"),
        pytest.param(record(key="/a/b#c?d\\e\tf"), id="reserved_row_key_characters"),
    ],
)
def test_status_round_trips(store: StateStore, stored: StatusRecord) -> None:
    assert store.put_status(stored) is True
    assert replace(store.get_status(stored.key), etag=None) == stored


def test_stored_status_carries_an_etag(store: StateStore) -> None:
    store.put_status(record())
    assert store.get_status(API).etag


def test_status_replaced_with_current_etag(store: StateStore) -> None:
    store.put_status(record())
    current = store.get_status(API)
    changed = replace(current, status=Status.COMPLIANT, reason=Reason.ONBOARDED, alerted_at=None)
    assert store.put_status(changed) is True
    assert replace(store.get_status(API), etag=None) == replace(changed, etag=None)


def test_second_insert_of_a_status_conflicts(store: StateStore) -> None:
    store.put_status(record())
    assert store.put_status(record(status=Status.COMPLIANT)) is False
    assert store.get_status(API).status == Status.NONCOMPLIANT


def test_put_status_with_stale_etag_conflicts(store: StateStore) -> None:
    store.put_status(record())
    stale = store.get_status(API)
    store.put_status(replace(stale, reason=Reason.PLAN_NOT_ENABLED))
    assert store.put_status(replace(stale, status=Status.COMPLIANT)) is False
    assert store.get_status(API).reason == Reason.PLAN_NOT_ENABLED


def test_replace_of_a_missing_status_conflicts(store: StateStore) -> None:
    store.put_status(record(key="other"))
    assert store.put_status(replace(store.get_status("other"), key=API)) is False


def test_concurrent_put_status_one_writer_wins(store: StateStore) -> None:
    store.put_status(record())
    base = store.get_status(API)
    writes = [replace(base, alerted_at=T0 + dt.timedelta(minutes=n)) for n in range(8)]
    results = race([lambda write=write: store.put_status(write) for write in writes])
    assert sorted(results) == [False] * 7 + [True]


def test_concurrent_inserts_one_writer_wins(store: StateStore) -> None:
    results = race([lambda n=n: store.put_status(record(changed_at=T0 + dt.timedelta(minutes=n))) for n in range(8)])
    assert sorted(results) == [False] * 7 + [True]


def test_naive_datetime_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        store.put_status(record(changed_at=dt.datetime(2026, 11, 27, 9, 0)))


# Event dedupe


@pytest.mark.parametrize(
    "event_id",
    [
        pytest.param("0f3c6a62-0000-4000-8000-000000000001", id="guid"),
        pytest.param("/subscriptions/x/providers/y#z?w\\v", id="reserved_row_key_characters"),
    ],
)
def test_marked_event_is_seen(store: StateStore, event_id: str) -> None:
    store.mark_event(event_id, T0)
    assert store.event_seen(event_id) is True


def test_unmarked_event_is_not_seen(store: StateStore) -> None:
    store.mark_event("event-a", T0)
    assert store.event_seen("event-b") is False


def test_mark_event_is_idempotent(store: StateStore) -> None:
    store.mark_event("event-a", T0)
    store.mark_event("event-a", T0 + dt.timedelta(minutes=1))
    assert store.event_seen("event-a") is True


# Outbox


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
    leased = store.lease(due, T0 + dt.timedelta(minutes=5))
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
    results = race([lambda n=n: store.lease(due, T0 + dt.timedelta(minutes=n)) for n in range(8)])
    assert sorted(result is not None for result in results) == [False] * 7 + [True]


def test_fail_records_the_attempt(store: StateStore) -> None:
    store.enqueue(item("a"))
    leased = store.lease(store.due(T0)[0], T0 + dt.timedelta(minutes=5))
    failed = store.fail(leased, "teams: HTTP 500", T0 + dt.timedelta(minutes=1), park=False)
    expected = item("a", attempts=1, last_error="teams: HTTP 500", next_attempt_at=T0 + dt.timedelta(minutes=1))
    assert (replace(failed, etag=None), store.outbox()) == (expected, [failed])


def test_fail_increments_attempts(store: StateStore) -> None:
    store.enqueue(item("a", attempts=3))
    failed = store.fail(store.due(T0)[0], "slack: timed out", T0, park=False)
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


# Failures


@pytest.fixture
def wrong_key_error(azurite: str, table_prefix: str) -> StateError:
    """What a store on Azurite with the wrong account key raises on its first write."""
    wrong = open_table_store(azurite.replace(ACCOUNT_KEY, WRONG_KEY), table_prefix=table_prefix)
    with pytest.raises(StateError) as caught:
        wrong.put_status(record())
    wrong.close()
    return caught.value


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port that is bound but not listening, so connecting to it is refused."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


def test_rejected_key_names_the_store_operation_and_status(wrong_key_error: StateError) -> None:
    assert str(wrong_key_error) == "state store (Azure Tables): put_status failed: HTTP 403 AuthorizationFailure"


def test_rejected_key_never_appears_in_the_error(wrong_key_error: StateError) -> None:
    shown = "".join(traceback.format_exception(wrong_key_error))
    assert [secret for secret in (WRONG_KEY, "AccountKey") if secret in shown] == []


def test_sas_token_never_appears_in_the_error(refused_port: int) -> None:
    sas = "sv=2019-02-02&ss=t&srt=sco&sp=rwdlacu&se=2099-01-01T00:00:00Z&sig=zq9secret"
    store = open_table_store(f"TableEndpoint=http://127.0.0.1:{refused_port}/acct;SharedAccessSignature={sas}")
    with pytest.raises(StateError) as caught:
        store.enqueue(item("a"))
    store.close()
    assert "zq9secret" not in "".join(traceback.format_exception(caught.value))


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param(lambda s: s.put_status(record(key="after-stop")), id="put_status"),
        pytest.param(lambda s: s.enqueue(item("after-stop")), id="enqueue"),
        pytest.param(lambda s: s.due(T0), id="due"),
    ],
)
def test_stopped_azurite_gives_a_one_line_state_error(
    stopped_store: TableStateStore, operation: Callable[[TableStateStore], object]
) -> None:
    started = time.monotonic()
    with pytest.raises(StateError, match=r"^state store \(Azure Tables\): \w+ failed: connection refused$"):
        operation(stopped_store)
    assert time.monotonic() - started < 15


def test_stopped_azurite_error_does_not_leak_the_connection_string(stopped_store: TableStateStore) -> None:
    with pytest.raises(StateError) as caught:
        stopped_store.get_status(API)
    shown = "".join(traceback.format_exception(caught.value))
    assert [secret for secret in (ACCOUNT_KEY, "AccountKey", "devstoreaccount1", "127.0.0.1") if secret in shown] == []


def test_unopenable_sqlite_file_is_a_state_error(tmp_path: Path) -> None:
    with pytest.raises(StateError, match=r"^state store \(SQLite\): open failed: "):
        SqliteStateStore(str(tmp_path))


# open_store


@pytest.mark.parametrize(
    ("spec", "backend"),
    [
        pytest.param("", SqliteStateStore, id="default"),
        pytest.param("sqlite::memory:", SqliteStateStore, id="sqlite_memory"),
        pytest.param("sqlite:{tmp}/state/x.sqlite", SqliteStateStore, id="sqlite_file"),
        pytest.param(
            "tables:DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net",
            TableStateStore,
            id="tables_connection_string",
        ),
        pytest.param("tables:https://acct.table.core.windows.net", TableStateStore, id="tables_managed_identity"),
        pytest.param(" tables:https://acct.table.core.windows.net/ ", TableStateStore, id="tables_padded"),
    ],
)
def test_open_store_picks_the_backend(tmp_path: Path, spec: str, backend: type) -> None:
    opened = open_store(spec.format(tmp=tmp_path), default_sqlite_path=str(tmp_path / "default.sqlite"))
    opened.close()
    assert type(opened) is backend


class RecordedCredential:
    """Stands in for the app's credential: records the identity asked for and its closing; never signs in."""

    def __init__(self, client_id: str | None) -> None:
        self.client_id, self.closed = client_id, 0

    def get_token(self, *scopes: str, **kwargs: object) -> object:
        raise AssertionError("no token is requested in this test")

    def close(self) -> None:
        self.closed += 1


def test_an_account_url_signs_in_as_the_user_assigned_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """open_store threads Settings.client_id to the one credential factory; the store closes what it was given."""
    built: list[RecordedCredential] = []

    def recorded(client_id: str | None) -> RecordedCredential:
        built.append(RecordedCredential(client_id))
        return built[-1]

    monkeypatch.setattr(clients, "credential", recorded)
    opened = open_store("tables:https://acct.table.core.windows.net", default_sqlite_path="unused", client_id="mi-1")
    before_close = [c.closed for c in built]
    opened.close()
    assert (before_close, [(c.client_id, c.closed) for c in built]) == ([0], [("mi-1", 1)])


def test_default_spec_uses_the_default_sqlite_path(tmp_path: Path) -> None:
    open_store("", default_sqlite_path=str(tmp_path / "cli" / "state.sqlite")).close()
    assert (tmp_path / "cli" / "state.sqlite").exists()


def test_memory_sqlite_keeps_state_on_its_one_connection() -> None:
    memory = open_store("sqlite::memory:", default_sqlite_path="unused.sqlite")
    memory.mark_event("event-a", T0)
    seen = memory.event_seen("event-a")
    memory.close()
    assert seen is True


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param("tables", id="tables_alone"),
        pytest.param("tables:", id="tables_empty"),
        pytest.param("sqlite:", id="sqlite_empty"),
        pytest.param("zq9secret", id="no_scheme"),
        pytest.param("postgres:zq9secret", id="unknown_scheme"),
        pytest.param("tables:zq9secret", id="malformed_connection_string"),
        pytest.param("tables:AccountName=a;zq9secret", id="connection_string_without_key"),
        pytest.param("tables:https://acct.table.core.windows.net/?sig=zq9secret", id="url_with_query"),
        pytest.param("tables:https://user:zq9secret@acct.table.core.windows.net", id="url_with_password"),
    ],
)
def test_bad_spec_is_a_settings_error_that_does_not_echo_it(spec: str) -> None:
    with pytest.raises(SettingsError, match=r"^MONITOR_STATE: ") as caught:
        open_store(spec, default_sqlite_path="unused.sqlite")
    assert "zq9secret" not in str(caught.value)


# SQLite across connections and processes


@pytest.fixture
def two_connections(tmp_path: Path) -> Iterator[list[SqliteStateStore]]:
    """Two stores on one SQLite file, holding one status record."""
    stores = [SqliteStateStore(str(tmp_path / "shared.sqlite")) for _ in range(2)]
    stores[0].put_status(record())
    yield stores
    for opened in stores:
        opened.close()


def test_two_sqlite_connections_race_one_writer_wins(two_connections: list[SqliteStateStore]) -> None:
    base = two_connections[0].get_status(API)
    results = race([lambda s=s: s.put_status(replace(base, alerted_at=T0)) for s in two_connections])
    assert sorted(results) == [False, True]


def test_two_sqlite_connections_race_to_lease_one_worker_wins(two_connections: list[SqliteStateStore]) -> None:
    two_connections[0].enqueue(item("a"))
    due = two_connections[1].due(T0)[0]
    results = race([lambda s=s: s.lease(due, T0 + dt.timedelta(minutes=1)) for s in two_connections])
    assert sorted(result is not None for result in results) == [False, True]


RACER = """
import sys, time
from monitors.state.sqlite import SqliteStateStore
from monitors.model import StatusRecord, Status, Reason
import datetime as dt
store = SqliteStateStore(sys.argv[1])
base = store.get_status("k")
while time.time() < float(sys.argv[2]):
    time.sleep(0.001)
print(store.put_status(StatusRecord("k", Status.COMPLIANT, Reason.ONBOARDED, dt.datetime.now(dt.UTC), etag=base.etag)))
"""


def test_two_processes_race_on_one_sqlite_file_one_writer_wins(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    seeder = SqliteStateStore(path)
    seeder.put_status(record(key="k"))
    seeder.close()
    start = str(time.time() + 0.5)
    racers = [
        subprocess.Popen([sys.executable, "-c", RACER, path, start], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = sorted(racer.communicate(timeout=20)[0].strip() for racer in racers)
    assert results == ["False", "True"]


OPENER = """
import sys, time
from monitors.state.sqlite import SqliteStateStore
from monitors.errors import StateError
failed = 0
for n in range(int(sys.argv[3])):
    while time.time() < float(sys.argv[2]) + n * 0.1:
        time.sleep(0.001)
    try:
        SqliteStateStore(f"{sys.argv[1]}-{n}.sqlite").close()
    except StateError:
        failed += 1
print(failed)
"""


def test_processes_opening_a_new_sqlite_file_together_all_open_it(tmp_path: Path) -> None:
    # Two CLIs started together on a new state file: SQLite refused the switch to WAL, without waiting, to 11 % of them.
    start, rounds = str(time.time() + 1.0), "30"
    openers = [
        subprocess.Popen([sys.executable, "-c", OPENER, str(tmp_path / "new"), start, rounds], cwd=ROOT,
                         stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]  # fmt: skip
    assert [opener.communicate(timeout=30)[0].strip() for opener in openers] == ["0", "0", "0"]


# --- event claims: who works on an event, before the work -----------------------------------------------------------

LEASE = dt.timedelta(minutes=2)


def test_first_claim_of_an_event_is_granted(store: StateStore) -> None:
    assert store.claim_event("e-1", T0, LEASE) is EventClaim.CLAIMED


def test_live_claim_keeps_a_redelivery_away(store: StateStore) -> None:
    store.claim_event("e-1", T0, LEASE)
    assert store.claim_event("e-1", T0 + dt.timedelta(seconds=30), LEASE) is EventClaim.BUSY


def test_stale_claim_is_taken_over_once(store: StateStore) -> None:
    store.claim_event("e-1", T0, LEASE)
    later = T0 + LEASE + dt.timedelta(seconds=1)
    assert [store.claim_event("e-1", later, LEASE) for _ in range(2)] == [EventClaim.CLAIMED, EventClaim.BUSY]


def test_marked_event_is_done_for_every_later_claim(store: StateStore) -> None:
    store.claim_event("e-1", T0, LEASE)
    store.mark_event("e-1", T0)
    assert store.claim_event("e-1", T0 + dt.timedelta(hours=1), LEASE) is EventClaim.DONE


def test_released_claim_lets_a_redelivery_work_at_once(store: StateStore) -> None:
    store.claim_event("e-1", T0, LEASE)
    store.release_event("e-1")
    assert store.claim_event("e-1", T0 + dt.timedelta(seconds=10), LEASE) is EventClaim.CLAIMED


def test_concurrent_claims_of_one_event_grant_exactly_one(store: StateStore) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        claims = list(pool.map(lambda _: store.claim_event("e-1", T0, LEASE), range(8)))
    assert sorted(claims) == sorted([EventClaim.CLAIMED] + [EventClaim.BUSY] * 7)


# --- tables deleted under a warm process ----------------------------------------------------------------------------


def _drop_tables(azurite: str, prefix: str) -> None:
    from azure.data.tables import TableServiceClient

    service = TableServiceClient.from_connection_string(azurite)
    for table in service.list_tables():
        if table.name.startswith(prefix):
            service.delete_table(table.name)
    service.close()


def test_status_write_recreates_a_table_deleted_under_a_warm_store(tables_store, azurite, table_prefix) -> None:
    tables_store.put_status(record())
    _drop_tables(azurite, table_prefix)
    assert (tables_store.get_status(API), tables_store.put_status(record())) == (None, True)


def test_claim_recreates_a_table_deleted_under_a_warm_store(tables_store, azurite, table_prefix) -> None:
    tables_store.mark_event("e-1", T0)
    _drop_tables(azurite, table_prefix)
    assert tables_store.claim_event("e-2", T0, LEASE) is EventClaim.CLAIMED


def test_outbox_recreates_a_table_deleted_under_a_warm_store(tables_store, azurite, table_prefix) -> None:
    tables_store.outbox()
    _drop_tables(azurite, table_prefix)
    assert tables_store.due(T0) == []


# --- delivery claims: which alert each sink was sent ------------------------------------------------------------------


def test_first_claims_of_deliveries_are_granted_in_one_batch(store: StateStore) -> None:
    keys = [f"teams:alert-{n}" for n in range(250)]  # three Tables transactions
    assert set(store.claim_deliveries(keys, T0, LEASE).values()) == {EventClaim.CLAIMED}


def test_finished_delivery_is_done_for_every_later_claim(store: StateStore) -> None:
    store.claim_deliveries(["teams:a", "teams:b"], T0, LEASE)
    store.finish_deliveries(["teams:a"], T0)
    later = T0 + dt.timedelta(hours=3)
    claims = store.claim_deliveries(["teams:a", "teams:b", "teams:c"], later, LEASE)
    assert claims == {"teams:a": EventClaim.DONE, "teams:b": EventClaim.CLAIMED, "teams:c": EventClaim.CLAIMED}


def test_live_delivery_claim_keeps_another_sender_away(store: StateStore) -> None:
    store.claim_deliveries(["teams:a"], T0, LEASE)
    claims = store.claim_deliveries(["teams:a", "slack:a"], T0 + dt.timedelta(seconds=30), LEASE)
    assert claims == {"teams:a": EventClaim.BUSY, "slack:a": EventClaim.CLAIMED}


def test_released_delivery_can_be_claimed_at_once_but_a_finished_one_stays(store: StateStore) -> None:
    store.claim_deliveries(["teams:a", "teams:b"], T0, LEASE)
    store.finish_deliveries(["teams:b"], T0)
    store.release_deliveries(["teams:a", "teams:b", "teams:never-claimed"])
    claims = store.claim_deliveries(["teams:a", "teams:b"], T0 + dt.timedelta(seconds=1), LEASE)
    assert claims == {"teams:a": EventClaim.CLAIMED, "teams:b": EventClaim.DONE}


def test_concurrent_claims_of_overlapping_deliveries_grant_each_key_once(store: StateStore) -> None:
    batches = [[f"webhook:alert-{n}" for n in range(start, start + 150)] for start in (0, 50, 100, 0)]
    results = race([lambda b=b: store.claim_deliveries(b, T0, LEASE) for b in batches])
    granted = [key for claims in results for key, claim in claims.items() if claim is EventClaim.CLAIMED]
    assert sorted(granted) == sorted({key for batch in batches for key in batch})


def test_stale_delivery_claim_is_taken_over_once(store: StateStore) -> None:
    store.claim_deliveries(["teams:a"], T0, LEASE)
    later = T0 + LEASE + dt.timedelta(seconds=1)
    takes = [store.claim_deliveries(["teams:a"], later, LEASE)["teams:a"] for _ in range(2)]
    assert takes == [EventClaim.CLAIMED, EventClaim.BUSY]
