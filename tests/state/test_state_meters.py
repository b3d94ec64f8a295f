"""The state store's meters (the shared request budgets' rows), on both backends: SQLite on a temporary file and Azure
Tables on Azurite. Inserts and replaces are conditional, so of two instances racing exactly one wins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from monitors.model import Meter
from monitors.state.contract import StateStore
from monitors.state.sqlite import SqliteStateStore
from tests.state.records import found

T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
KEY = "arm-budget/00000000-0000-0000-0000-000000000001"


@pytest.fixture
def stored(store: StateStore) -> Meter:
    """A meter as stored, with its etag."""
    store.put_meter(Meter(KEY, 200.0, T0))
    meter = store.get_meter(KEY)
    assert meter is not None
    return meter


def test_missing_meter_is_none(store: StateStore) -> None:
    assert store.get_meter(KEY) is None


@pytest.mark.parametrize(
    "value",
    [pytest.param(200.0, id="whole"), pytest.param(-12.375, id="debt"), pytest.param(0.1, id="fraction")],
)
def test_meter_round_trips(store: StateStore, value: float) -> None:
    store.put_meter(Meter(KEY, value, T0 + dt.timedelta(microseconds=7)))

    assert replace(found(store.get_meter(KEY)), etag=None) == Meter(KEY, value, T0 + dt.timedelta(microseconds=7))


def test_stored_meter_carries_an_etag(stored: Meter) -> None:
    assert stored.etag


def test_meter_replaced_with_current_etag(store: StateStore, stored: Meter) -> None:
    assert store.put_meter(replace(stored, value=150.0)) and found(store.get_meter(KEY)).value == 150.0


def test_second_insert_of_a_meter_conflicts(store: StateStore, stored: Meter) -> None:
    assert (store.put_meter(Meter(KEY, 1.0, T0)), found(store.get_meter(KEY)).value) == (False, 200.0)


def test_put_meter_with_stale_etag_conflicts(store: StateStore, stored: Meter) -> None:
    store.put_meter(replace(stored, value=150.0))

    assert (store.put_meter(replace(stored, value=100.0)), found(store.get_meter(KEY)).value) == (False, 150.0)


def test_replace_of_a_missing_meter_conflicts(store: StateStore) -> None:
    assert store.put_meter(Meter(KEY, 1.0, T0, etag="W/\"datetime'2026-01-01T00%3A00%3A00Z'\"")) is False


def test_concurrent_draws_one_writer_wins(store: StateStore, stored: Meter) -> None:
    with ThreadPoolExecutor(8) as pool:
        wins = list(pool.map(lambda n: store.put_meter(replace(stored, value=200.0 - n)), range(1, 9)))

    assert wins.count(True) == 1


def test_meters_are_kept_apart_by_key(store: StateStore, stored: Meter) -> None:
    store.put_meter(Meter("arm-budget/graph", 15.0, T0))

    assert (found(store.get_meter(KEY)).value, found(store.get_meter("arm-budget/graph")).value) == (200.0, 15.0)


@pytest.fixture
def two_connections(tmp_path: Path) -> Iterator[tuple[SqliteStateStore, SqliteStateStore]]:
    """Two stores on one SQLite file, as two processes on one machine would open it."""
    first, second = SqliteStateStore(str(tmp_path / "s.sqlite")), SqliteStateStore(str(tmp_path / "s.sqlite"))
    yield first, second
    first.close()
    second.close()


def test_two_sqlite_connections_race_for_a_meter_one_wins(two_connections) -> None:
    first, second = two_connections
    first.put_meter(Meter(KEY, 200.0, T0))
    seen_first, seen_second = first.get_meter(KEY), second.get_meter(KEY)

    results = (first.put_meter(replace(seen_first, value=190.0)), second.put_meter(replace(seen_second, value=180.0)))

    assert (results, second.get_meter(KEY).value) == ((True, False), 190.0)
