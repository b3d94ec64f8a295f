"""Each API's clock (monitors/protection.py) against a real SQLite store: an event starts it at the event's time, a
sweep's thousands of findings cost writes only for APIs whose clock is not yet running, and each clock stops once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from monitors.assessment import DefenderVerdict
from monitors.model import Action, ProtectionRecord, Reason, Status
from monitors.protection import ProtectionClock, event_time
from monitors.state.sqlite import SqliteStateStore
from tests.alerts.factories import make_finding

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


class CountingStore(SqliteStateStore):
    writes = 0

    def put_protection(self, record: ProtectionRecord) -> bool:
        self.writes += 1
        return super().put_protection(record)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CountingStore]:
    opened = CountingStore(str(tmp_path / "state.sqlite"))
    yield opened
    opened.close()


def test_a_sweep_writes_only_the_clocks_that_do_not_run_yet(store: CountingStore) -> None:
    clock = ProtectionClock(store, lambda: T0)
    unprotected = [make_finding(f"api-{n}") for n in range(200)]
    clock.observe(unprotected)
    clock.observe(unprotected)  # the next sweep: every clock runs already
    clock.observe([*unprotected, make_finding("new-api")])
    assert (store.writes, len(store.protections())) == (201, 201)


def test_an_event_starts_the_clock_at_its_time_and_a_later_one_does_not_move_it(store: CountingStore) -> None:
    clock = ProtectionClock(store, lambda: T0 + dt.timedelta(minutes=1))
    clock.observe([make_finding("orders")], T0)
    clock.observe([make_finding("orders")], T0 + dt.timedelta(seconds=30))
    [record] = store.protections()
    assert record.first_write_at == T0


def test_each_clock_stops_once_and_a_stale_verdict_time_counts_as_read(store: CountingStore) -> None:
    now = T0 + dt.timedelta(minutes=10)
    clock = ProtectionClock(store, lambda: now)
    clock.observe([make_finding("orders", action=Action.ONBOARD_QUEUED)], T0)
    onboarded = make_finding("orders", status=Status.COMPLIANT, reason=Reason.ONBOARDED, action=Action.ONBOARDED)
    clock.observe([onboarded])
    clock.observe([onboarded])
    stale = DefenderVerdict("Healthy", T0 - dt.timedelta(days=3))  # Defender's earlier change, before this write
    healthy = make_finding("orders", status=Status.COMPLIANT, reason=Reason.ONBOARDED)
    clock.observe([replace(healthy, defender=stale)])
    [record] = store.protections()
    assert (record.seconds_to("onboarded"), record.seconds_to("healthy")) == (600.0, 600.0)


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"eventTime": "2026-12-01T09:00:00Z"}, T0),
        ({"time": "2026-12-01T10:00:00+01:00"}, T0),  # CloudEvents, another offset
        ({"eventTime": "2026-12-01T09:00:00"}, None),  # no offset: not guessed
        ({"eventTime": "yesterday"}, None),
        ({}, None),
    ],
)
def test_the_event_time_is_read_from_either_schema(event: dict[str, str], expected: dt.datetime | None) -> None:
    assert event_time(event) == expected
