"""Pruning on Azure Tables (Azurite): a row rewritten between pruning's query and its delete is kept, since every
delete is conditional on the etag the query read; the rest of the page still goes."""

from __future__ import annotations

from typing import Any

from azure.data.tables import TableClient

from monitors.model import EventClaim
from monitors.state.tables import TableStateStore, _prune_partition
from tests.state.records import LEASE, T0


class StaleQuery:
    """A table whose query answers what it answered earlier: the rows as pruning read them, before a rewrite."""

    def __init__(self, table: TableClient, answer: list[Any]) -> None:
        self._table, self._answer = table, answer

    def query_entities(self, *args: Any, **kwargs: Any) -> list[Any]:
        return self._answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)


def test_a_claim_taken_over_after_pruning_read_it_is_kept(tables_store: TableStateStore) -> None:
    for n in range(3):
        tables_store.claim_event(f"crashed-{n}", T0, LEASE)
    table = tables_store._table("events")
    read = list(table.query_entities("PartitionKey eq 'claim'", select=["PartitionKey", "RowKey"]))
    later = T0 + 2 * LEASE
    assert tables_store.claim_event("crashed-1", later, LEASE) is EventClaim.CLAIMED  # a redelivery takes it over

    stale = StaleQuery(table, read)
    deleted = _prune_partition(stale, "claim", "claimed_at", (T0 + LEASE).isoformat(), 100)  # type: ignore[arg-type]
    assert deleted == 2
    assert tables_store.claim_event("crashed-1", later, LEASE) is EventClaim.BUSY  # its new holder still holds it
    assert tables_store.claim_event("crashed-0", later, LEASE) is EventClaim.CLAIMED
