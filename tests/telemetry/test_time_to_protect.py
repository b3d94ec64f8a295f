"""Time to protect, from a known event time to a known onboarding and a known first Healthy verdict: the histogram
through the OpenTelemetry SDK's reader, one log row per API, and the record in the state store. The functions run as
the host runs them; the runtime's clock is set, so the figures are exact."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from azure.storage.queue import QueueClient

from monitors import runtime
from monitors.state.sqlite import SqliteStateStore
from tests.conftest import PROD
from tests.telemetry.conftest import Recorded
from tests.worker import decode_event_grid, decode_queue, decode_timer

SVC = f"/subscriptions/{PROD}/resourceGroups/rg-apis/providers/Microsoft.ApiManagement/service/apim-prod"
WRITTEN = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
KEY = f"{SVC}/apis/orders".lower()


def cloud_event(api: str, written: dt.datetime, event_id: str) -> object:
    """A CloudEvents delivery (time, not eventTime), as the worker decodes it."""
    subject = f"{SVC}/apis/{api}"
    return decode_event_grid(
        {
            "specversion": "1.0",
            "id": event_id,
            "source": f"/subscriptions/{PROD}/resourceGroups/rg-apis",
            "subject": subject,
            "type": "Microsoft.Resources.ResourceWriteSuccess",
            "time": written.isoformat().replace("+00:00", "Z"),
            "data": {"resourceUri": subject, "operationName": "Microsoft.ApiManagement/service/apis/write"},
        }
    )


class Clock:
    def __init__(self) -> None:
        self.now = WRITTEN

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(runtime, "_utcnow", clock)
    return clock


@pytest.fixture
def app(functions, arm, monkeypatch, emulator_env, storage, tmp_path):
    for key, value in {**emulator_env, "MONITOR_AUTO_ONBOARD": "on", "MONITOR_SUBSCRIPTIONS": PROD}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MONITOR_STATE", f"sqlite:{tmp_path / 'state.sqlite'}")
    return {name: function.get_user_function() for name, function in functions.items()}


def drain(app, storage, queue: str, worker: str) -> int:
    client = QueueClient.from_connection_string(storage.connection_string, queue)
    messages = list(client.receive_messages(max_messages=32))
    for message in messages:
        app[worker](decode_queue(message.content, message_id=message.id))
        client.delete_message(message)
    return len(messages)


def test_from_the_first_write_to_onboarded_then_healthy(
    app, storage, clock: Clock, recorded: Recorded, tmp_path, caplog
) -> None:
    clock.now = WRITTEN + dt.timedelta(seconds=20)  # Event Grid delivers 20 s after the write
    app["OnApiEvent"](cloud_event("orders", WRITTEN, "e-1"))
    clock.now = WRITTEN + dt.timedelta(seconds=95)  # the onboarding worker's turn
    with caplog.at_level(logging.INFO, logger="monitors.telemetry"):
        assert drain(app, storage, "apim-onboard", "OnboardWorker") == 1
    assert recorded.points("monitor.time_to_protect") == [({"stage": "onboarded"}, (1, 95.0))]
    [row] = [r for r in caplog.records if r.getMessage() == "time_to_protect"]
    assert (row.api_id, row.stage, row.seconds) == (KEY, "onboarded", 95.0)

    clock.now = WRITTEN + dt.timedelta(hours=2)  # the next sweep reads Defender's verdict: Healthy
    with caplog.at_level(logging.INFO, logger="monitors.telemetry"):
        for _ in range(2):  # and the one after: each clock stops once
            app["SweepTimer"](decode_timer())
            drain(app, storage, "apim-sweep", "SweepWorker")
    rows = [(r.api_id, r.stage, r.seconds) for r in caplog.records if r.getMessage() == "time_to_protect"]
    assert [row for row in rows if row[0] == KEY] == [(KEY, "onboarded", 95.0), (KEY, "healthy", 7200.0)]
    # The sweep also onboarded the estate's other unprotected APIs: their clocks started when it found them.
    others = {(stage, seconds) for api, stage, seconds in rows if api != KEY}
    assert others == {("onboarded", 0.0), ("healthy", 0.0)}
    histogram = {a["stage"]: v for a, v in recorded.points("monitor.time_to_protect")}
    assert histogram == {
        stage: (sum(1 for r in rows if r[1] == stage), sum(r[2] for r in rows if r[1] == stage))
        for stage in ("onboarded", "healthy")
    }

    store = SqliteStateStore(str(tmp_path / "state.sqlite"))
    record = store.get_protection(KEY)
    store.close()
    assert record is not None
    assert (record.first_write_at, record.seconds_to("onboarded"), record.seconds_to("healthy")) == (
        WRITTEN,
        95.0,
        7200.0,
    )


def test_a_later_write_or_a_redelivery_does_not_restart_the_clock(app, storage, clock: Clock, recorded) -> None:
    clock.now = WRITTEN + dt.timedelta(seconds=30)
    app["OnApiEvent"](cloud_event("orders", WRITTEN, "e-1"))
    app["OnApiEvent"](cloud_event("orders", WRITTEN, "e-1"))  # redelivered
    clock.now = WRITTEN + dt.timedelta(seconds=60)
    app["OnApiEvent"](cloud_event("orders", WRITTEN + dt.timedelta(seconds=50), "e-2"))  # written again
    clock.now = WRITTEN + dt.timedelta(seconds=300)
    drain(app, storage, "apim-onboard", "OnboardWorker")
    assert recorded.points("monitor.time_to_protect") == [({"stage": "onboarded"}, (1, 300.0))]
