"""Claims in the state store, on both backends: events marked done (dedupe), event claims (who works on an event,
before the work) and delivery claims (which alert each sink was sent)."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest

from monitors.model import EventClaim
from monitors.state.contract import StateStore
from tests.state.records import LEASE, T0, race


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
    results = race([partial(store.claim_deliveries, b, T0, LEASE) for b in batches])
    granted = [key for claims in results for key, claim in claims.items() if claim is EventClaim.CLAIMED]
    assert sorted(granted) == sorted({key for batch in batches for key in batch})


def test_stale_delivery_claim_is_taken_over_once(store: StateStore) -> None:
    store.claim_deliveries(["teams:a"], T0, LEASE)
    later = T0 + LEASE + dt.timedelta(seconds=1)
    takes = [store.claim_deliveries(["teams:a"], later, LEASE)["teams:a"] for _ in range(2)]
    assert takes == [EventClaim.CLAIMED, EventClaim.BUSY]
