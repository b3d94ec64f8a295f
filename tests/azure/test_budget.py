"""The request budgets that keep the monitor under ARM's per-subscription read limits: in one process, or shared by
every instance through the state store (SQLite here; the meter contract itself runs on both backends elsewhere)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.rest import HttpRequest

from emulator import EmulatorServer
from monitors.azure import apim
from monitors.azure.budget import HOLD_SECONDS, RequestBudget, SharedBudget
from monitors.azure.clients import ArmClients
from monitors.bucket import Bucket
from monitors.errors import StateError
from monitors.model import ApiRef, Meter
from monitors.settings import Settings
from monitors.state.sqlite import SqliteStateStore

KEY = "arm-budget/00000000-0000-0000-0000-000000000001"
T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
PROD = "00000000-0000-0000-0000-000000000001"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeTime:
    """A wall clock, a monotonic clock and a sleep that advances both, recording each sleep."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def wall(self) -> dt.datetime:
        return T0 + dt.timedelta(seconds=self.elapsed)

    def clock(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.elapsed += seconds


class RivalStore(SqliteStateStore):
    """A store whose first meter read is followed by another instance's draw, before our conditional write."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.rival = SqliteStateStore(path)
        self.raced = False

    def get_meter(self, key: str) -> Meter | None:
        meter = super().get_meter(key)
        if meter is not None and not self.raced:
            self.raced = True
            self.rival.put_meter(Meter(key, meter.value - 10, meter.stamp, meter.etag))
        return meter


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStateStore]:
    opened = SqliteStateStore(str(tmp_path / "state.sqlite"))
    yield opened
    opened.close()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def shared(store: SqliteStateStore, fake_time: FakeTime, rate: float = 20, burst: float = 200) -> SharedBudget:
    return SharedBudget(
        store, KEY, Bucket(rate, burst), wall=fake_time.wall, clock=fake_time.clock, sleep=fake_time.sleep
    )


def request() -> PipelineRequest[HttpRequest]:
    return PipelineRequest(HttpRequest("GET", "http://127.0.0.1/"), context=PipelineContext(None))


def level(store: SqliteStateStore) -> float:
    meter = store.get_meter(KEY)
    assert meter is not None
    return meter.value


def test_burst_then_the_refill_rate() -> None:
    clock = FakeClock()
    budget = RequestBudget(rate=20, burst=200, clock=clock)
    waits = [budget._take() for _ in range(201)]
    assert (max(waits[:200]), round(waits[200], 3)) == (0.0, 0.05)


def test_tokens_come_back_with_time() -> None:
    clock = FakeClock()
    budget = RequestBudget(rate=20, burst=200, clock=clock)
    for _ in range(200):
        budget._take()
    clock.now += 1.0
    assert [budget._take() for _ in range(20)] == [0.0] * 20


def test_first_request_starts_a_full_shared_bucket(store, fake_time) -> None:
    shared(store, fake_time).on_request(request())

    assert level(store) == 199


def test_next_draw_asks_for_the_recent_use(store, fake_time) -> None:
    budget = shared(store, fake_time)
    budget.on_request(request())  # draws 1
    budget.on_request(request())  # draws 1 more: one request spent just now
    budget.on_request(request())  # draws 2

    assert level(store) == 196


def test_empty_shared_bucket_sleeps_once_for_the_refill(store, fake_time) -> None:
    store.put_meter(Meter(KEY, 0.0, T0))

    shared(store, fake_time).on_request(request())

    assert (fake_time.sleeps, level(store)) == ([0.05], -1)


def draw_two_spend_one(budget: SharedBudget) -> None:
    """Three requests: one token drawn for each of the first two, then two (the recent use) for the third."""
    for _ in range(3):
        budget.on_request(request())


def test_drawn_tokens_are_spent_without_the_store(store, fake_time) -> None:
    store.put_meter(Meter(KEY, 0.0, T0))
    budget = shared(store, fake_time)
    draw_two_spend_one(budget)
    etag = store.get_meter(KEY).etag

    budget.on_request(request())

    assert store.get_meter(KEY).etag == etag


def test_held_tokens_expire(store, fake_time) -> None:
    store.put_meter(Meter(KEY, 0.0, T0))
    budget = shared(store, fake_time)
    draw_two_spend_one(budget)  # debt of 2 at 0.1 s
    fake_time.elapsed += HOLD_SECONDS + 1  # refills 2.1 s x 20 = 42

    budget.on_request(request())

    assert level(store) == 39


def test_lost_race_rereads_and_counts_both_draws(tmp_path, fake_time) -> None:
    racing = RivalStore(str(tmp_path / "state.sqlite"))
    racing.put_meter(Meter(KEY, 100.0, T0))

    shared(racing, fake_time).on_request(request())
    drawn = (racing.raced, level(racing))
    racing.rival.close()
    racing.close()

    assert drawn == (True, 89)


def test_store_failure_raises_state_error_and_sends_nothing(
    arm: EmulatorServer, make_settings: Callable[..., Settings], tmp_path
) -> None:
    closed = SqliteStateStore(str(tmp_path / "state.sqlite"))
    closed.close()
    clients = ArmClients(make_settings(), store=closed)

    with pytest.raises(StateError):
        apim.get_api(clients.apim(PROD), ApiRef(PROD, "rg-apis-prod", "apim-contoso-prod", "orders"))

    assert arm.request_count == 0
