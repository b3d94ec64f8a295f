"""The Azure Tables state store: the Functions storage account (or any account) shared by every instance.

Four tables (``<prefix>status``, ``<prefix>events``, ``<prefix>outbox``, ``<prefix>meters``) are created lazily at
first use. Row keys are SHA-256 hex digests because RowKey may not hold ``/ \\ # ?`` or control characters, and ARM
ids and event ids can; the original key is kept as a property. Concurrency uses the service's ETags: inserts are
``create_entity`` (409: someone was first) and updates are conditional on the etag read (412: someone changed it).
Outbox alerts are split over ``alerts_json_0..14`` because one string property holds at most 64 KiB (UTF-16) and an
entity 1 MiB. SDK errors become one-line StateErrors naming the operation and never the connection string, key or URL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from itertools import islice
from typing import Any, TypeVar
from urllib.parse import urlsplit

from azure.core import MatchConditions
from azure.core.exceptions import AzureError as AzureSdkError
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.data.tables import TableClient, TableEntity, TableServiceClient, TableTransactionError, UpdateMode

from monitors.azure.data_plane import table_service
from monitors.errors import SettingsError, StateError
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
from monitors.state._codec import (
    BAD_SPEC,
    clip_error,
    decode_alerts,
    encode_alerts,
    format_time,
    parse_time,
    stored_digest,
)

# Fail in seconds when the account is unreachable, rather than after azure-core's default 10 retries of 300 s.
CLIENT_OPTIONS: dict[str, Any] = {"connection_timeout": 5, "read_timeout": 10, "retry_total": 2}
ALERT_PART_CHARS = 30_000  # ASCII JSON, so 60,000 bytes in UTF-16: under the 64 KiB property limit
ALERT_PARTS = 15  # 15 x 60,000 bytes leaves room under the 1 MiB entity limit for the other properties
STATUS, EVENTS, OUTBOX, METERS = "status", "events", "outbox", "meters"
_T = TypeVar("_T")
log = logging.getLogger(__name__)
_EVENT_PARTITION = "event"
_METER_PARTITION = "meter"
_DECISION_PARTITION = "decision"  # the approvers' audit trail, beside the events (no table of its own to create)
_CLAIM_PARTITION = "claim"  # claims live beside the events they are about, in the same table
_DELIVERY_PARTITION = "delivery"  # one row per (sink, alert): claimed while sending, then sent
_PROTECTION_PARTITION = "protection"  # each API's time to protect, beside the statuses
_COVERAGE_PARTITION = "coverage"  # coverage snapshots, beside the statuses
# What ``prune`` deletes: each partition of the events table with the property holding when its row was last written.
# Every row ever written has it, so rows from before pruning existed expire too; decisions are the audit trail: kept.
_PRUNED = ((_EVENT_PARTITION, "seen_at"), (_CLAIM_PARTITION, "claimed_at"), (_DELIVERY_PARTITION, "at"))
_TABLE_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9]{0,56}")
_MALFORMED = "MONITOR_STATE: the tables: connection string is malformed; expected AccountName=...;AccountKey=...;..."


def open_table_store(target: str, *, table_prefix: str = "monitor", client_id: str | None = None) -> TableStateStore:
    """A store on a connection string, or on an ``https://`` account URL through the app's credential for the
    user-assigned identity ``client_id`` (``Settings.client_id``; None: azure-identity's default), closed with the
    store.

    Raises SettingsError for a malformed target, without echoing it.
    """
    if target.lower().startswith("https://"):
        parts = urlsplit(target)
        if not parts.hostname or parts.query or parts.fragment or parts.username or parts.path.strip("/"):
            raise SettingsError(BAD_SPEC)
        service, credential = table_service(target, client_id=client_id, **CLIENT_OPTIONS)
        return TableStateStore(service, table_prefix=table_prefix, on_close=credential.close if credential else None)
    try:
        service, _ = table_service(target, client_id=client_id, **CLIENT_OPTIONS)
    except ValueError:
        raise SettingsError(_MALFORMED) from None
    return TableStateStore(service, table_prefix=table_prefix)


class TableStateStore:
    """A ``StateStore`` in four Azure tables named ``<table_prefix>status``, ``...events``, ``...outbox`` and
    ``...meters``."""

    def __init__(
        self,
        service: TableServiceClient,
        *,
        table_prefix: str = "monitor",
        on_close: Callable[[], None] | None = None,
    ) -> None:
        if not _TABLE_PREFIX.fullmatch(table_prefix):
            raise ValueError("table_prefix: expected a letter then at most 56 letters or digits")
        self._service = service
        self._names = {kind: f"{table_prefix}{kind}" for kind in (STATUS, EVENTS, OUTBOX, METERS)}
        self._tables: dict[str, TableClient] = {}
        self._lock = threading.Lock()
        self._on_close = on_close

    def get_status(self, key: str) -> StatusRecord | None:
        entity = self._run("get_status", STATUS, lambda t: _get(t, STATUS, _row_key(key)))
        return None if entity is None else _status_record(entity)

    def put_status(self, record: StatusRecord) -> bool:
        entity = _status_entity(record)
        if record.etag is None:
            return self._run("put_status", STATUS, lambda t: _insert(t, entity))
        etag = record.etag
        return self._run("put_status", STATUS, lambda t: _update(t, entity, etag, UpdateMode.REPLACE)) is not None

    def event_seen(self, event_id: str) -> bool:
        row = _row_key(event_id)
        return self._run("event_seen", EVENTS, lambda t: _get(t, _EVENT_PARTITION, row, select=["RowKey"])) is not None

    def mark_event(self, event_id: str, at: dt.datetime) -> None:
        entity = {
            "PartitionKey": _EVENT_PARTITION,
            "RowKey": _row_key(event_id),
            "event_id": event_id[:1024],  # for people reading the table; the row key is the identity
            "seen_at": format_time(at),
        }

        def mark(table: TableClient) -> None:
            _insert(table, entity)
            table.delete_entity(_CLAIM_PARTITION, _row_key(event_id))

        self._run("mark_event", EVENTS, mark)

    def claim_event(self, event_id: str, now: dt.datetime, lease: dt.timedelta) -> EventClaim:
        if self.event_seen(event_id):
            return EventClaim.DONE
        claim = {"PartitionKey": _CLAIM_PARTITION, "RowKey": _row_key(event_id), "claimed_at": format_time(now)}

        def take(table: TableClient) -> EventClaim:
            if _insert(table, claim):
                return EventClaim.CLAIMED
            held = _get(table, _CLAIM_PARTITION, _row_key(event_id))
            if held is None:  # released or marked between our two requests: try once more
                return EventClaim.CLAIMED if _insert(table, claim) else EventClaim.BUSY
            if parse_time(str(held["claimed_at"])) > now - lease:
                return EventClaim.BUSY
            # An etag-checked takeover: of several invocations finding the claim stale, exactly one wins.
            taken = _update(table, claim, held.metadata["etag"], UpdateMode.REPLACE)
            return EventClaim.CLAIMED if taken else EventClaim.BUSY

        return self._run("claim_event", EVENTS, take)

    def release_event(self, event_id: str) -> None:
        self._run("release_event", EVENTS, lambda t: t.delete_entity(_CLAIM_PARTITION, _row_key(event_id)))

    def claim_deliveries(self, keys: Sequence[str], now: dt.datetime, lease: dt.timedelta) -> dict[str, EventClaim]:
        claims: dict[str, EventClaim] = {}
        for chunk in _chunks(list(dict.fromkeys(keys))):
            entities = [_delivery_entity(key, sent=False, at=now) for key in chunk]
            # The common case, no claim yet: one transaction of creates. Any existing row fails the whole batch
            # (409); then each key is claimed on its own.
            if self._run("claim_deliveries", EVENTS, partial(_transact, operations=[("create", e) for e in entities])):
                claims.update(dict.fromkeys(chunk, EventClaim.CLAIMED))
                continue
            for key, entity in zip(chunk, entities, strict=True):
                claims[key] = self._run(
                    "claim_deliveries", EVENTS, partial(_claim_one, entity=entity, stale=now - lease)
                )
        return claims

    def finish_deliveries(self, keys: Sequence[str], at: dt.datetime) -> None:
        for chunk in _chunks(list(dict.fromkeys(keys))):
            operations = [
                ("upsert", _delivery_entity(key, sent=True, at=at), {"mode": UpdateMode.REPLACE}) for key in chunk
            ]
            self._run("finish_deliveries", EVENTS, partial(_transact, operations=operations))

    def release_deliveries(self, keys: Sequence[str]) -> None:
        for key in dict.fromkeys(keys):
            row = _row_key(key)
            self._run("release_deliveries", EVENTS, partial(_delete_unsent, row=row))

    def prune(self, before: dt.datetime, limit: int) -> int:
        stamp, deleted = format_time(before), 0
        for partition, column in _PRUNED:
            if deleted >= limit:
                break
            prune = partial(_prune_partition, partition=partition, column=column, before=stamp, limit=limit - deleted)
            deleted += self._run("prune", EVENTS, prune)
        return deleted

    def enqueue(self, item: OutboxItem) -> bool:
        entity = _outbox_entity(item)
        return self._run("enqueue", OUTBOX, lambda t: _insert(t, entity))

    def due(self, now: dt.datetime, limit: int = 100) -> list[OutboxItem]:
        query = "PartitionKey eq @pk and parked eq false and next_attempt_at le @now"
        parameters = {"pk": OUTBOX, "now": format_time(now)}
        entities = self._run("due", OUTBOX, lambda t: list(t.query_entities(query, parameters=parameters)))
        # The Table service cannot sort: every due item is read, then the oldest are kept.
        return _sorted_items(entities)[:limit]

    def lease(self, item: OutboxItem, until: dt.datetime) -> OutboxItem | None:
        changes = {"PartitionKey": OUTBOX, "RowKey": _row_key(item.item_id), "next_attempt_at": format_time(until)}
        etag = self._run("lease", OUTBOX, lambda t: _update(t, changes, item.etag, UpdateMode.MERGE))
        return replace(item, next_attempt_at=until, etag=etag) if etag else None

    def complete(self, item: OutboxItem) -> None:
        self._run("complete", OUTBOX, lambda t: t.delete_entity(OUTBOX, _row_key(item.item_id)))

    def fail(self, item: OutboxItem, error: str, next_attempt_at: dt.datetime, *, park: bool) -> OutboxItem | None:
        failed = replace(
            item, attempts=item.attempts + 1, last_error=clip_error(error), next_attempt_at=next_attempt_at, parked=park
        )
        # MERGE sends only the changed properties, not up to 450,000 characters of alerts on every retry.
        changes = {
            "PartitionKey": OUTBOX,
            "RowKey": _row_key(item.item_id),
            "attempts": failed.attempts,
            "last_error": failed.last_error,
            "next_attempt_at": format_time(next_attempt_at),
            "parked": park,
        }
        etag = self._run("fail", OUTBOX, lambda t: _update(t, changes, item.etag, UpdateMode.MERGE))
        return replace(failed, etag=etag) if etag else None

    def outbox(self, *, parked: bool | None = None) -> list[OutboxItem]:
        query = "PartitionKey eq @pk" + ("" if parked is None else " and parked eq @parked")
        parameters: dict[str, Any] = {"pk": OUTBOX, "parked": parked}  # unused parameters are ignored
        entities = self._run("outbox", OUTBOX, lambda t: list(t.query_entities(query, parameters=parameters)))
        return _sorted_items(entities)

    def get_meter(self, key: str) -> Meter | None:
        entity = self._run("get_meter", METERS, lambda t: _get(t, _METER_PARTITION, _row_key(key)))
        if entity is None:
            return None
        return Meter(entity["key"], float(entity["value"]), parse_time(entity["stamp"]), entity.metadata["etag"])

    def put_meter(self, meter: Meter) -> bool:
        entity = {
            "PartitionKey": _METER_PARTITION,
            "RowKey": _row_key(meter.key),
            "key": meter.key,
            "value": float(meter.value),
            "stamp": format_time(meter.stamp),
        }
        if meter.etag is None:
            return self._run("put_meter", METERS, lambda t: _insert(t, entity))
        etag = meter.etag
        return self._run("put_meter", METERS, lambda t: _update(t, entity, etag, UpdateMode.REPLACE)) is not None

    def _run(self, operation: str, kind: str, work: Callable[[TableClient], _T]) -> _T:
        """Run one operation on a table; a table deleted under this warm process is created again and the operation
        retried once. SDK errors become one-line StateErrors."""
        with _guard(operation):
            try:
                return work(self._table(kind))
            except HttpResponseError as exc:
                if not _table_gone(exc):
                    raise
                log.warning("state store: table %s was gone; created again", self._names[kind])
                with self._lock:
                    self._tables.pop(kind, None)
            return work(self._table(kind))

    def record_decision(self, record: DecisionRecord) -> None:
        row = _row_key(f"{record.nonce}|{format_time(record.at)}")
        entity = {"PartitionKey": _DECISION_PARTITION, "RowKey": row, **record.to_dict()}
        self._run("record_decision", EVENTS, lambda t: _insert(t, entity))

    def decision(self, nonce: str) -> DecisionRecord | None:
        query = f"PartitionKey eq '{_DECISION_PARTITION}' and nonce eq '{nonce.replace(chr(39), chr(39) * 2)}'"
        entities = self._run("decision", EVENTS, lambda t: list(t.query_entities(query)))
        records = sorted((DecisionRecord.from_dict(entity) for entity in entities), key=lambda r: r.at)
        return records[-1] if records else None

    def decisions(self) -> list[DecisionRecord]:
        query = f"PartitionKey eq '{_DECISION_PARTITION}'"
        entities = self._run("decisions", EVENTS, lambda t: list(t.query_entities(query)))
        records = [DecisionRecord.from_dict(entity) for entity in entities]
        return sorted(records, key=lambda r: (r.at, r.nonce))

    def statuses(self) -> list[StatusRecord]:
        query = f"PartitionKey eq '{STATUS}'"
        return self._run("statuses", STATUS, lambda t: [_status_record(e) for e in t.query_entities(query)])

    def get_protection(self, key: str) -> ProtectionRecord | None:
        entity = self._run("get_protection", STATUS, lambda t: _get(t, _PROTECTION_PARTITION, _row_key(key)))
        return None if entity is None else _protection_record(entity)

    def put_protection(self, record: ProtectionRecord) -> bool:
        body = json.dumps(record.to_dict(), separators=(",", ":"))
        entity = {"PartitionKey": _PROTECTION_PARTITION, "RowKey": _row_key(record.key), "record_json": body}
        if record.etag is None:
            return self._run("put_protection", STATUS, lambda t: _insert(t, entity))
        etag = record.etag
        return self._run("put_protection", STATUS, lambda t: _update(t, entity, etag, UpdateMode.REPLACE)) is not None

    def protections(self) -> list[ProtectionRecord]:
        query = f"PartitionKey eq '{_PROTECTION_PARTITION}'"
        return self._run("protections", STATUS, lambda t: [_protection_record(e) for e in t.query_entities(query)])

    def record_coverage(self, snapshots: Sequence[CoverageSnapshot]) -> None:
        for snapshot in snapshots:
            entity = {
                "PartitionKey": _COVERAGE_PARTITION,
                "RowKey": f"{format_time(snapshot.at)}|{snapshot.subscription_id.lower()}",
                "at": format_time(snapshot.at),
                "subscription": snapshot.subscription_id,
                "applicable": snapshot.applicable,
                "onboarded": snapshot.onboarded,
            }
            self._run("record_coverage", STATUS, partial(_insert, entity=entity))

    def coverage_history(self, since: dt.datetime) -> list[CoverageSnapshot]:
        query = "PartitionKey eq @pk and at ge @since"
        parameters = {"pk": _COVERAGE_PARTITION, "since": format_time(since)}
        entities = self._run("coverage_history", STATUS, lambda t: list(t.query_entities(query, parameters=parameters)))
        snapshots = [
            CoverageSnapshot(parse_time(e["at"]), e["subscription"], int(e["applicable"]), int(e["onboarded"]))
            for e in entities
        ]
        return sorted(snapshots, key=lambda s: (s.at, s.subscription_id))

    def prune_coverage(self, before: dt.datetime, limit: int) -> int:
        prune = partial(
            _prune_partition, partition=_COVERAGE_PARTITION, column="at", before=format_time(before), limit=limit
        )
        return self._run("prune_coverage", STATUS, prune)

    def close(self) -> None:
        self._service.close()
        if self._on_close is not None:
            self._on_close()

    def _table(self, kind: str) -> TableClient:
        """The client of one table, creating the table the first time this store touches it."""
        with self._lock:
            if kind not in self._tables:
                self._tables[kind] = self._service.create_table_if_not_exists(self._names[kind])
            return self._tables[kind]


def _table_gone(exc: HttpResponseError) -> bool:
    """True for the Table service's 404 TableNotFound (the table itself is missing, not an entity)."""
    code = getattr(exc, "error_code", None)
    return exc.status_code == 404 and str(getattr(code, "value", code) or "") == "TableNotFound"


def _get(table: TableClient, partition: str, row: str, **kwargs: Any) -> TableEntity | None:
    """An entity, or None when it does not exist; a missing table still raises."""
    try:
        return table.get_entity(partition, row, **kwargs)
    except ResourceNotFoundError as exc:
        if _table_gone(exc):
            raise
        return None


def _insert(table: TableClient, entity: dict[str, Any]) -> bool:
    """Create an entity; False if one with its keys exists (409)."""
    try:
        table.create_entity(entity)
    except HttpResponseError as exc:
        if exc.status_code != 409:
            raise
        return False
    return True


def _transact(table: TableClient, operations: list[Any]) -> bool:
    """Submit one entity-group transaction; False if an entity it creates already exists (the batch did nothing)."""
    try:
        table.submit_transaction(operations)
    except TableTransactionError as exc:
        if exc.status_code != 409:
            raise
        return False
    return True


def _claim_one(table: TableClient, entity: dict[str, Any], stale: dt.datetime) -> EventClaim:
    """Claim one delivery key: create its row, or take over a claim last touched at or before ``stale``."""
    if _insert(table, entity):
        return EventClaim.CLAIMED
    current = _get(table, _DELIVERY_PARTITION, entity["RowKey"])
    if current is None:  # released between our create and our read
        return EventClaim.CLAIMED if _insert(table, entity) else EventClaim.BUSY
    if current["sent"]:
        return EventClaim.DONE
    if parse_time(current["at"]) > stale:
        return EventClaim.BUSY
    taken = _update(table, entity, current.metadata["etag"], UpdateMode.REPLACE)
    return EventClaim.CLAIMED if taken else EventClaim.BUSY


def _prune_partition(table: TableClient, partition: str, column: str, before: str, limit: int) -> int:
    """Delete at most ``limit`` rows of one partition whose ``column`` (a fixed-width ISO time, so text order is time
    order) is before ``before``: one entity-group transaction per 100, each delete conditional on the etag read, so a
    row rewritten meanwhile stays. A batch refused because one row changed or went is deleted row by row instead."""
    query = f"PartitionKey eq @pk and {column} lt @before"
    rows = table.query_entities(
        query,
        parameters={"pk": partition, "before": before},
        select=["PartitionKey", "RowKey"],
        results_per_page=min(limit, 1000),
    )
    found = list(islice(rows, limit))
    deleted = 0
    for start in range(0, len(found), 100):
        chunk = found[start : start + 100]
        operations = [("delete", entity, _unchanged(entity)) for entity in chunk]
        try:
            table.submit_transaction(operations)
        except TableTransactionError as exc:
            if exc.status_code not in (404, 412):
                raise
            deleted += sum(_delete_unchanged(table, entity) for entity in chunk)
        else:
            deleted += len(chunk)
    return deleted


def _unchanged(entity: TableEntity) -> dict[str, Any]:
    return {"etag": entity.metadata["etag"], "match_condition": MatchConditions.IfNotModified}


def _delete_unchanged(table: TableClient, entity: TableEntity) -> bool:
    """Delete one row unless it changed or went since it was read; True if deleted."""
    try:
        table.delete_entity(entity, **_unchanged(entity))
    except HttpResponseError as exc:
        if exc.status_code not in (404, 412) or _table_gone(exc):
            raise
        return False
    return True


def _delete_unsent(table: TableClient, row: str) -> None:
    """Delete a delivery claim unless it was finished meanwhile (a finished row is never deleted)."""
    current = _get(table, _DELIVERY_PARTITION, row)
    if current is None or current["sent"]:
        return
    try:
        table.delete_entity(current, etag=current.metadata["etag"], match_condition=MatchConditions.IfNotModified)
    except HttpResponseError as exc:
        if exc.status_code not in (404, 412) or _table_gone(exc):
            raise


def _delivery_entity(key: str, *, sent: bool, at: dt.datetime) -> dict[str, Any]:
    return {
        "PartitionKey": _DELIVERY_PARTITION,
        "RowKey": _row_key(key),
        "key": key[:1024],  # for people reading the table; the row key is the identity
        "sent": sent,
        "at": format_time(at),
    }


def _chunks(keys: list[str]) -> Iterator[list[str]]:
    """At most 100 keys at a time: the most one entity-group transaction may hold."""
    for start in range(0, len(keys), 100):
        yield keys[start : start + 100]


def _update(table: TableClient, entity: dict[str, Any], etag: str | None, mode: UpdateMode) -> str | None:
    """Write an entity only if its etag still matches; the new etag, or None if it changed (412) or went (404)."""
    if etag is None:
        return None
    try:
        metadata = table.update_entity(entity, mode=mode, etag=etag, match_condition=MatchConditions.IfNotModified)
    except HttpResponseError as exc:
        if exc.status_code not in (404, 412) or _table_gone(exc):
            raise
        return None
    return str(metadata["etag"])


@contextmanager
def _guard(operation: str) -> Iterator[None]:
    """Turn SDK errors into one-line StateErrors; ``from None`` because SDK messages can carry the URL's query."""
    try:
        yield
    except AzureSdkError as exc:
        raise StateError(f"state store (Azure Tables): {operation} failed: {_describe(exc)}") from None


def _describe(exc: AzureSdkError) -> str:
    """What went wrong, from the exception's type and status only: its text may name the URL."""
    text = str(exc).lower()
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        code = getattr(exc, "error_code", None)
        return f"HTTP {exc.status_code} {getattr(code, 'value', code) or exc.reason or ''}".strip()
    if isinstance(exc, ClientAuthenticationError):
        return "could not authenticate (check the account key, or the identity's Storage Table Data role)"
    if isinstance(exc, ServiceRequestError):
        return "connection refused" if "refused" in text else "could not connect (timed out or host not found)"
    if isinstance(exc, ServiceResponseError):
        return "read timed out" if "timed out" in text else "connection dropped before a response"
    return type(exc).__name__


def _row_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _status_entity(record: StatusRecord) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "PartitionKey": STATUS,
        "RowKey": _row_key(record.key),
        "key": record.key,
        "status": record.status.value,
        "reason": record.reason.value,
        "changed_at": format_time(record.changed_at),
    }
    if record.alerted_at is not None:
        entity["alerted_at"] = format_time(record.alerted_at)
    return entity


def _protection_record(entity: TableEntity) -> ProtectionRecord:
    return ProtectionRecord.from_dict(json.loads(entity["record_json"]), str(entity.metadata["etag"]))


def _status_record(entity: TableEntity) -> StatusRecord:
    alerted_at = entity.get("alerted_at")
    return StatusRecord(
        key=entity["key"],
        status=Status(entity["status"]),
        reason=Reason(entity["reason"]),
        changed_at=parse_time(entity["changed_at"]),
        alerted_at=parse_time(alerted_at) if alerted_at else None,
        etag=entity.metadata["etag"],
    )


def _outbox_entity(item: OutboxItem) -> dict[str, Any]:
    """The entity for an item; raises StateError when its alerts do not fit in one entity."""
    text = encode_alerts(item.alerts)
    parts = [text[start : start + ALERT_PART_CHARS] for start in range(0, len(text), ALERT_PART_CHARS)]
    if len(parts) > ALERT_PARTS:
        raise StateError(
            f"state store (Azure Tables): enqueue failed: outbox item {item.item_id} for {item.sink} holds "
            f"{len(item.alerts)} alerts ({len(text)} characters of JSON); an entity fits at most "
            f"{ALERT_PARTS * ALERT_PART_CHARS}: send smaller digests"
        )
    entity: dict[str, Any] = {
        "PartitionKey": OUTBOX,
        "RowKey": _row_key(item.item_id),
        "item_id": item.item_id,
        "sink": item.sink,
        "created_at": format_time(item.created_at),
        "next_attempt_at": format_time(item.next_attempt_at),
        "attempts": item.attempts,
        "parked": item.parked,
        "digest": item.digest,
        "alerts_parts": len(parts),
    }
    entity.update({f"alerts_json_{index}": part for index, part in enumerate(parts)})
    if item.last_error is not None:
        entity["last_error"] = clip_error(item.last_error)
    return entity


def _outbox_item(entity: TableEntity) -> OutboxItem:
    text = "".join(entity[f"alerts_json_{index}"] for index in range(entity["alerts_parts"]))
    return OutboxItem(
        item_id=entity["item_id"],
        sink=entity["sink"],
        alerts=decode_alerts(text),
        created_at=parse_time(entity["created_at"]),
        next_attempt_at=parse_time(entity["next_attempt_at"]),
        attempts=entity["attempts"],
        last_error=entity.get("last_error"),
        parked=entity["parked"],
        etag=entity.metadata["etag"],
        digest=stored_digest(entity.get("digest"), entity["item_id"]),
    )


def _sorted_items(entities: list[TableEntity]) -> list[OutboxItem]:
    """Items oldest first, the order both backends promise."""
    items = [_outbox_item(entity) for entity in entities]
    return sorted(items, key=lambda item: (item.created_at, item.item_id))
