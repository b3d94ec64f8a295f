"""The SQLite state store: one file (or ``:memory:``) for the CLI and local runs.

One connection per store, shared by threads behind a lock, in autocommit mode: every write is a single conditional
statement (``INSERT OR IGNORE``, ``UPDATE ... WHERE version = ?``) or, for a batch of delivery claims, one
``BEGIN IMMEDIATE`` transaction, so SQLite's own file locking makes two processes on the same file race safely, with
exactly one winner. WAL mode lets readers run beside a writer. The etag is the
row's ``version`` as text.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from monitors.errors import StateError
from monitors.model import (
    CoverageSnapshot,
    DecisionRecord,
    EventClaim,
    Meter,
    OutboxItem,
    ProtectionRecord,
    Reason,
    Status,
    StatusRecord,
)
from monitors.state._codec import clip_error, decode_alerts, encode_alerts, format_time, parse_time, stored_digest

_SCHEMA = """
CREATE TABLE IF NOT EXISTS status (
    key TEXT PRIMARY KEY, status TEXT NOT NULL, reason TEXT NOT NULL, changed_at TEXT NOT NULL,
    alerted_at TEXT, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, seen_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS claims (id TEXT PRIMARY KEY, claimed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (key TEXT PRIMARY KEY, sent INTEGER NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    item_id TEXT PRIMARY KEY, sink TEXT NOT NULL, alerts_json TEXT NOT NULL, created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL, attempts INTEGER NOT NULL, last_error TEXT, parked INTEGER NOT NULL,
    version INTEGER NOT NULL, digest INTEGER);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (parked, next_attempt_at);
CREATE INDEX IF NOT EXISTS events_seen_at ON events (seen_at);
CREATE INDEX IF NOT EXISTS claims_claimed_at ON claims (claimed_at);
CREATE INDEX IF NOT EXISTS deliveries_at ON deliveries (at);
CREATE TABLE IF NOT EXISTS decisions (
    nonce TEXT NOT NULL, at TEXT NOT NULL, record_json TEXT NOT NULL, PRIMARY KEY (nonce, at));
CREATE TABLE IF NOT EXISTS protection (key TEXT PRIMARY KEY, record_json TEXT NOT NULL, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS coverage (
    at TEXT NOT NULL, subscription TEXT NOT NULL, applicable INTEGER NOT NULL, onboarded INTEGER NOT NULL,
    PRIMARY KEY (at, subscription));
CREATE TABLE IF NOT EXISTS meters (
    key TEXT PRIMARY KEY, value REAL NOT NULL, stamp TEXT NOT NULL, version INTEGER NOT NULL);
"""
_SELECT_OUTBOX = (
    "SELECT item_id, sink, alerts_json, created_at, next_attempt_at, attempts, last_error, parked, digest, version"
    " FROM outbox"
)
_INSERT_OUTBOX = (
    "INSERT OR IGNORE INTO outbox"
    " (item_id, sink, alerts_json, created_at, next_attempt_at, attempts, last_error, parked, digest, version)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"
)
_ORDER = " ORDER BY created_at, item_id"
# What ``prune`` deletes: each table with the column holding when its row was last written (indexed above).
_PRUNED = (("events", "seen_at"), ("claims", "claimed_at"), ("deliveries", "at"))
_LOCK_WAIT_SECONDS = 10.0
_WAL_RETRY_SECONDS = 0.01


class SqliteStateStore:
    """A ``StateStore`` in one SQLite database; ``path`` may be ``:memory:`` (state lives as long as the store)."""

    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        with _guard("open"):
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                path, timeout=_LOCK_WAIT_SECONDS, isolation_level=None, check_same_thread=False
            )
            self._conn.row_factory = sqlite3.Row
            _use_wal(self._conn)
            self._conn.executescript(_SCHEMA)
            _add_digest_column(self._conn)

    def get_status(self, key: str) -> StatusRecord | None:
        with self._lock, _guard("get_status"):
            row = self._conn.execute("SELECT * FROM status WHERE key = ?", (key,)).fetchone()
        return None if row is None else _status_record(row)

    def put_status(self, record: StatusRecord) -> bool:
        values = (
            record.status.value,
            record.reason.value,
            format_time(record.changed_at),
            format_time(record.alerted_at) if record.alerted_at else None,
        )
        with self._lock, _guard("put_status"):
            if record.etag is None:
                sql = "INSERT OR IGNORE INTO status VALUES (?, ?, ?, ?, ?, 1)"
                cursor = self._conn.execute(sql, (record.key, *values))
            else:
                sql = (
                    "UPDATE status SET status = ?, reason = ?, changed_at = ?, alerted_at = ?, version = version + 1"
                    " WHERE key = ? AND version = ?"
                )
                cursor = self._conn.execute(sql, (*values, record.key, _version(record.etag)))
        return cursor.rowcount == 1

    def event_seen(self, event_id: str) -> bool:
        with self._lock, _guard("event_seen"):
            row = self._conn.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone()
        return row is not None

    def mark_event(self, event_id: str, at: dt.datetime) -> None:
        with self._lock, _guard("mark_event"):
            self._conn.execute("INSERT OR IGNORE INTO events VALUES (?, ?)", (event_id, format_time(at)))
            self._conn.execute("DELETE FROM claims WHERE id = ?", (event_id,))

    def claim_event(self, event_id: str, now: dt.datetime, lease: dt.timedelta) -> EventClaim:
        with self._lock, _guard("claim_event"):
            if self._conn.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone() is not None:
                return EventClaim.DONE
            inserted = self._conn.execute("INSERT OR IGNORE INTO claims VALUES (?, ?)", (event_id, format_time(now)))
            if inserted.rowcount == 1:
                return EventClaim.CLAIMED
            # Take over a stale claim only if it is still the one we saw stale: one winner among racing takers.
            sql = "UPDATE claims SET claimed_at = ? WHERE id = ? AND claimed_at <= ?"
            taken = self._conn.execute(sql, (format_time(now), event_id, format_time(now - lease)))
        return EventClaim.CLAIMED if taken.rowcount == 1 else EventClaim.BUSY

    def release_event(self, event_id: str) -> None:
        with self._lock, _guard("release_event"):
            self._conn.execute("DELETE FROM claims WHERE id = ?", (event_id,))

    def claim_deliveries(self, keys: Sequence[str], now: dt.datetime, lease: dt.timedelta) -> dict[str, EventClaim]:
        stamp, stale = format_time(now), format_time(now - lease)
        claims: dict[str, EventClaim] = {}
        with self._lock, _guard("claim_deliveries"), self._transaction():
            for key in dict.fromkeys(keys):
                if self._conn.execute("INSERT OR IGNORE INTO deliveries VALUES (?, 0, ?)", (key, stamp)).rowcount:
                    claims[key] = EventClaim.CLAIMED
                    continue
                sql = "UPDATE deliveries SET at = ? WHERE key = ? AND sent = 0 AND at <= ?"
                if self._conn.execute(sql, (stamp, key, stale)).rowcount:
                    claims[key] = EventClaim.CLAIMED
                    continue
                row = self._conn.execute("SELECT sent FROM deliveries WHERE key = ?", (key,)).fetchone()
                claims[key] = EventClaim.DONE if row["sent"] else EventClaim.BUSY
        return claims

    def finish_deliveries(self, keys: Sequence[str], at: dt.datetime) -> None:
        sql = "INSERT INTO deliveries VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE SET sent = 1, at = excluded.at"
        with self._lock, _guard("finish_deliveries"), self._transaction():
            self._conn.executemany(sql, [(key, format_time(at)) for key in keys])

    def release_deliveries(self, keys: Sequence[str]) -> None:
        with self._lock, _guard("release_deliveries"), self._transaction():
            self._conn.executemany("DELETE FROM deliveries WHERE key = ? AND sent = 0", [(key,) for key in keys])

    def prune(self, before: dt.datetime, limit: int) -> int:
        stamp, deleted = format_time(before), 0
        with self._lock, _guard("prune"):
            for table, column in _PRUNED:
                if deleted >= limit:
                    break
                # Freed pages go to the file's free list and are reused by later rows: the file stops growing.
                sql = f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {column} < ? LIMIT ?)"  # noqa: S608 (names from _PRUNED)
                deleted += self._conn.execute(sql, (stamp, limit - deleted)).rowcount
        return deleted

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction over several statements (the connection is otherwise in autocommit mode)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def enqueue(self, item: OutboxItem) -> bool:
        values = (
            item.item_id,
            item.sink,
            encode_alerts(item.alerts),
            format_time(item.created_at),
            format_time(item.next_attempt_at),
            item.attempts,
            clip_error(item.last_error) if item.last_error is not None else None,
            int(item.parked),
            int(item.digest),
        )
        with self._lock, _guard("enqueue"):
            cursor = self._conn.execute(_INSERT_OUTBOX, values)
        return cursor.rowcount == 1

    def due(self, now: dt.datetime, limit: int = 100) -> list[OutboxItem]:
        sql = _SELECT_OUTBOX + " WHERE parked = 0 AND next_attempt_at <= ?" + _ORDER + " LIMIT ?"
        with self._lock, _guard("due"):
            rows = self._conn.execute(sql, (format_time(now), limit)).fetchall()
        return [_item(row) for row in rows]

    def lease(self, item: OutboxItem, until: dt.datetime) -> OutboxItem | None:
        sql = "UPDATE outbox SET next_attempt_at = ?, version = version + 1 WHERE item_id = ? AND version = ?"
        version = _version(item.etag)
        with self._lock, _guard("lease"):
            cursor = self._conn.execute(sql, (format_time(until), item.item_id, version))
        if cursor.rowcount != 1:
            return None
        return replace(item, next_attempt_at=until, etag=str(version + 1))

    def complete(self, item: OutboxItem) -> None:
        with self._lock, _guard("complete"):
            self._conn.execute("DELETE FROM outbox WHERE item_id = ?", (item.item_id,))

    def fail(self, item: OutboxItem, error: str, next_attempt_at: dt.datetime, *, park: bool) -> OutboxItem | None:
        failed = replace(
            item, attempts=item.attempts + 1, last_error=clip_error(error), next_attempt_at=next_attempt_at, parked=park
        )
        sql = (
            "UPDATE outbox SET attempts = ?, last_error = ?, next_attempt_at = ?, parked = ?, version = version + 1"
            " WHERE item_id = ? AND version = ?"
        )
        version = _version(item.etag)
        values = (failed.attempts, failed.last_error, format_time(next_attempt_at), int(park), item.item_id, version)
        with self._lock, _guard("fail"):
            cursor = self._conn.execute(sql, values)
        return replace(failed, etag=str(version + 1)) if cursor.rowcount == 1 else None

    def outbox(self, *, parked: bool | None = None) -> list[OutboxItem]:
        sql = _SELECT_OUTBOX + " WHERE ? IS NULL OR parked = ?" + _ORDER
        with self._lock, _guard("outbox"):
            rows = self._conn.execute(sql, (parked, parked)).fetchall()
        return [_item(row) for row in rows]

    def get_meter(self, key: str) -> Meter | None:
        with self._lock, _guard("get_meter"):
            row = self._conn.execute("SELECT * FROM meters WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return Meter(row["key"], row["value"], parse_time(row["stamp"]), str(row["version"]))

    def put_meter(self, meter: Meter) -> bool:
        values = (float(meter.value), format_time(meter.stamp))
        with self._lock, _guard("put_meter"):
            if meter.etag is None:
                cursor = self._conn.execute("INSERT OR IGNORE INTO meters VALUES (?, ?, ?, 1)", (meter.key, *values))
            else:
                sql = "UPDATE meters SET value = ?, stamp = ?, version = version + 1 WHERE key = ? AND version = ?"
                cursor = self._conn.execute(sql, (*values, meter.key, _version(meter.etag)))
        return cursor.rowcount == 1

    def record_decision(self, record: DecisionRecord) -> None:
        body = json.dumps(record.to_dict(), separators=(",", ":"))
        with _guard("record_decision"), self._lock:
            self._conn.execute(
                "INSERT OR IGNORE INTO decisions (nonce, at, record_json) VALUES (?, ?, ?)",
                (record.nonce, format_time(record.at), body),
            )

    def decision(self, nonce: str) -> DecisionRecord | None:
        with _guard("decision"), self._lock:
            row = self._conn.execute(
                "SELECT record_json FROM decisions WHERE nonce = ? ORDER BY at DESC LIMIT 1", (nonce,)
            ).fetchone()
        return None if row is None else DecisionRecord.from_dict(json.loads(row["record_json"]))

    def decisions(self) -> list[DecisionRecord]:
        with _guard("decisions"), self._lock:
            rows = self._conn.execute("SELECT record_json FROM decisions ORDER BY at, nonce").fetchall()
        return [DecisionRecord.from_dict(json.loads(row["record_json"])) for row in rows]

    def statuses(self) -> list[StatusRecord]:
        with self._lock, _guard("statuses"):
            rows = self._conn.execute("SELECT * FROM status").fetchall()
        return [_status_record(row) for row in rows]

    def get_protection(self, key: str) -> ProtectionRecord | None:
        with self._lock, _guard("get_protection"):
            row = self._conn.execute("SELECT record_json, version FROM protection WHERE key = ?", (key,)).fetchone()
        return None if row is None else ProtectionRecord.from_dict(json.loads(row[0]), str(row[1]))

    def put_protection(self, record: ProtectionRecord) -> bool:
        body = json.dumps(record.to_dict(), separators=(",", ":"))
        with self._lock, _guard("put_protection"):
            if record.etag is None:
                sql = "INSERT OR IGNORE INTO protection VALUES (?, ?, 1)"
                cursor = self._conn.execute(sql, (record.key, body))
            else:
                sql = "UPDATE protection SET record_json = ?, version = version + 1 WHERE key = ? AND version = ?"
                cursor = self._conn.execute(sql, (body, record.key, _version(record.etag)))
        return cursor.rowcount == 1

    def protections(self) -> list[ProtectionRecord]:
        with self._lock, _guard("protections"):
            rows = self._conn.execute("SELECT record_json, version FROM protection").fetchall()
        return [ProtectionRecord.from_dict(json.loads(row[0]), str(row[1])) for row in rows]

    def record_coverage(self, snapshots: Sequence[CoverageSnapshot]) -> None:
        rows = [(format_time(s.at), s.subscription_id, s.applicable, s.onboarded) for s in snapshots]
        with self._lock, _guard("record_coverage"):
            self._conn.executemany("INSERT OR IGNORE INTO coverage VALUES (?, ?, ?, ?)", rows)

    def coverage_history(self, since: dt.datetime) -> list[CoverageSnapshot]:
        with self._lock, _guard("coverage_history"):
            rows = self._conn.execute(
                "SELECT * FROM coverage WHERE at >= ? ORDER BY at, subscription", (format_time(since),)
            ).fetchall()
        return [CoverageSnapshot(parse_time(r["at"]), r["subscription"], r["applicable"], r["onboarded"]) for r in rows]

    def prune_coverage(self, before: dt.datetime, limit: int) -> int:
        sql = "DELETE FROM coverage WHERE rowid IN (SELECT rowid FROM coverage WHERE at < ? LIMIT ?)"
        with self._lock, _guard("prune_coverage"):
            return self._conn.execute(sql, (format_time(before), limit)).rowcount

    def close(self) -> None:
        with self._lock, _guard("close"):
            self._conn.close()


def _status_record(row: sqlite3.Row) -> StatusRecord:
    return StatusRecord(
        key=row["key"],
        status=Status(row["status"]),
        reason=Reason(row["reason"]),
        changed_at=parse_time(row["changed_at"]),
        alerted_at=parse_time(row["alerted_at"]) if row["alerted_at"] else None,
        etag=str(row["version"]),
    )


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL, waiting out another process doing the same: SQLite answers that switch "database is
    locked" at once, without its busy handler, when two processes open a new file together (11 % of opens in a race of
    three processes)."""
    deadline = time.monotonic() + _LOCK_WAIT_SECONDS
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(_WAL_RETRY_SECONDS)


def _add_digest_column(conn: sqlite3.Connection) -> None:
    """Give a file made by a version without the outbox's ``digest`` column that column (its rows keep NULL, read as
    the old id mark); another process adding it at the same moment is fine."""
    if any(row["name"] == "digest" for row in conn.execute("PRAGMA table_info(outbox)")):
        return
    try:
        conn.execute("ALTER TABLE outbox ADD COLUMN digest INTEGER")
    except sqlite3.OperationalError as exc:
        if "duplicate column" not in str(exc):
            raise


@contextmanager
def _guard(operation: str) -> Iterator[None]:
    """Turn sqlite3 and file-system errors into one-line StateErrors naming the operation."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        raise StateError(f"state store (SQLite): {operation} failed: {exc}") from exc


def _version(etag: str | None) -> int:
    """The row version an etag names; -1 (matching no row) for an etag this store never issued."""
    return int(etag) if etag is not None and etag.isdecimal() else -1


def _item(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        item_id=row["item_id"],
        sink=row["sink"],
        alerts=decode_alerts(row["alerts_json"]),
        created_at=parse_time(row["created_at"]),
        next_attempt_at=parse_time(row["next_attempt_at"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        parked=bool(row["parked"]),
        etag=str(row["version"]),
        digest=stored_digest(row["digest"], row["item_id"]),
    )
