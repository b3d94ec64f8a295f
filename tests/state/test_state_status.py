"""Status records in the state store, on both backends (SQLite on a temporary file, Azure Tables on Azurite): round
trips, etags, and conditional writes of which exactly one of several racing writers wins."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import partial

import pytest

from monitors.model import Reason, Status, StatusRecord
from monitors.state.contract import StateStore
from tests.state.records import API, T0, found, race, record


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
    assert replace(found(store.get_status(stored.key)), etag=None) == stored


def test_stored_status_carries_an_etag(store: StateStore) -> None:
    store.put_status(record())
    assert found(store.get_status(API)).etag


def test_status_replaced_with_current_etag(store: StateStore) -> None:
    store.put_status(record())
    current = found(store.get_status(API))
    changed = replace(current, status=Status.COMPLIANT, reason=Reason.ONBOARDED, alerted_at=None)
    assert store.put_status(changed) is True
    assert replace(found(store.get_status(API)), etag=None) == replace(changed, etag=None)


def test_second_insert_of_a_status_conflicts(store: StateStore) -> None:
    store.put_status(record())
    assert store.put_status(record(status=Status.COMPLIANT)) is False
    assert found(store.get_status(API)).status == Status.NONCOMPLIANT


def test_put_status_with_stale_etag_conflicts(store: StateStore) -> None:
    store.put_status(record())
    stale = found(store.get_status(API))
    store.put_status(replace(stale, reason=Reason.PLAN_NOT_ENABLED))
    assert store.put_status(replace(stale, status=Status.COMPLIANT)) is False
    assert found(store.get_status(API)).reason == Reason.PLAN_NOT_ENABLED


def test_replace_of_a_missing_status_conflicts(store: StateStore) -> None:
    store.put_status(record(key="other"))
    assert store.put_status(replace(found(store.get_status("other")), key=API)) is False


def test_concurrent_put_status_one_writer_wins(store: StateStore) -> None:
    store.put_status(record())
    base = found(store.get_status(API))
    writes = [replace(base, alerted_at=T0 + dt.timedelta(minutes=n)) for n in range(8)]
    results = race([partial(store.put_status, write) for write in writes])
    assert sorted(results) == [False] * 7 + [True]


def test_concurrent_inserts_one_writer_wins(store: StateStore) -> None:
    results = race([partial(store.put_status, record(changed_at=T0 + dt.timedelta(minutes=n))) for n in range(8)])
    assert sorted(results) == [False] * 7 + [True]


def test_naive_datetime_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        store.put_status(record(changed_at=dt.datetime(2026, 11, 27, 9, 0)))
