"""Alerts reach people once and are never lost: transitions, digests, retries, parking and concurrency, with the
real state stores (SQLite and Azure Tables on Azurite) and real sinks posting to a loopback receiver."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from emulator.receiver import DROP, HANG, Receiver
from monitors.alerts.dispatch import Dispatcher
from monitors.alerts.notifier import Notifier
from monitors.alerts.sink import Sink
from monitors.alerts.slack import SlackSink
from monitors.alerts.teams import TeamsSink
from monitors.alerts.webhook import WebhookSink
from monitors.errors import StateError
from monitors.model import Action, OutboxItem, Reason, Status
from monitors.settings import load_settings
from monitors.state.contract import StateStore
from monitors.state.sqlite import SqliteStateStore
from monitors.state.tables import open_table_store
from monitors.transitions import decide
from tests.alerts.factories import make_finding

START = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
SECRET = "whsec_" + "c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw=="
BAD = make_finding("orders")
FIXED = make_finding("orders", status=Status.COMPLIANT, reason=Reason.ONBOARDED)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture(params=["sqlite", "tables"])
def store(request, tmp_path, table_prefix) -> Iterator[StateStore]:
    if request.param == "sqlite":
        opened: StateStore = SqliteStateStore(str(tmp_path / "state.sqlite"))
    else:
        opened = open_table_store(request.getfixturevalue("azurite"), table_prefix=table_prefix)
    yield opened
    opened.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_notifier(store, receiver: Receiver, clock: Clock) -> Callable[..., Notifier]:
    def make(*, sinks: list[Sink] | None = None, **env: str) -> Notifier:
        settings = load_settings({f"MONITOR_{k.upper()}": v for k, v in env.items()})
        chosen = sinks if sinks is not None else [WebhookSink(receiver.url, SECRET, timeout=0.5)]
        dispatcher = Dispatcher(
            store, chosen, max_attempts=settings.alert_max_attempts, retry_seconds=1, rng=lambda: 1.0
        )
        return Notifier(store, chosen, settings, clock=clock, dispatcher=dispatcher)

    return make


def delivered(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.requests if r.method == "POST"]


def alert_kinds(receiver: Receiver) -> list[str]:
    return [a["kind"] for body in delivered(receiver) for a in body["alerts"]]


def drain(notifier: Notifier, clock: Clock, rounds: int = 12) -> None:
    for _ in range(rounds):
        notifier.deliver()
        clock.advance(hours=2)


def test_new_noncompliant_api_alerts_once(make_notifier, receiver) -> None:
    notifier = make_notifier()
    notifier.record([BAD], digest=False)
    notifier.record([BAD], digest=False)
    notifier.deliver()
    assert alert_kinds(receiver) == ["new"]


def test_fix_sends_a_resolved_alert(make_notifier, receiver, clock) -> None:
    notifier = make_notifier()
    notifier.record([BAD], digest=False)
    clock.advance(minutes=5)
    notifier.record([FIXED], digest=False)
    notifier.deliver()
    assert alert_kinds(receiver) == ["new", "resolved"]


def test_still_noncompliant_is_quiet_until_renotify_interval(make_notifier, receiver, clock) -> None:
    notifier = make_notifier(renotify_hours="24")
    notifier.record([BAD], digest=False)
    clock.advance(hours=23)
    notifier.record([BAD], digest=False)
    clock.advance(hours=2)
    notifier.record([BAD], digest=False)
    notifier.deliver()
    assert alert_kinds(receiver) == ["new", "renotify"]


def test_auto_onboarded_api_sends_onboarded(make_notifier, receiver) -> None:
    notifier = make_notifier()
    onboarded = make_finding("orders", status=Status.COMPLIANT, reason=Reason.ONBOARDED, action=Action.ONBOARDED)
    notifier.record([onboarded], digest=False)
    notifier.deliver()
    assert alert_kinds(receiver) == ["onboarded"]


def test_compliant_api_is_quiet(make_notifier, receiver) -> None:
    notifier = make_notifier()
    notifier.record([FIXED], digest=False)
    notifier.deliver()
    assert delivered(receiver) == []


def test_sweep_sends_one_digest_per_sink(make_notifier, receiver) -> None:
    sinks = [TeamsSink(receiver.url), SlackSink(receiver.url, min_interval=0), WebhookSink(receiver.url, SECRET)]
    notifier = make_notifier(sinks=sinks)
    notifier.record([make_finding(f"api-{i:02d}") for i in range(40)], digest=True)
    notifier.deliver()
    assert len(receiver.requests) == 3


@pytest.mark.parametrize(
    "failures",
    [
        pytest.param([(429, {"Retry-After": "0"}, b"")] * 3, id="429"),
        pytest.param([(500, {}, b"")] * 3, id="500"),
        pytest.param([DROP] * 3, id="dropped"),
        pytest.param([HANG] * 2, id="timeout"),
    ],
)
def test_failing_sink_then_recovering_delivers_every_alert_exactly_once(
    make_notifier, receiver, clock, failures
) -> None:
    receiver.answer(*failures)
    notifier = make_notifier()
    notifier.record([make_finding("orders"), make_finding("billing")], digest=False)
    drain(notifier, clock)
    accepted = [r.headers["webhook-id"] for r in receiver.requests[len(failures) :]]
    assert (sorted(accepted), len(set(accepted))) == (sorted(set(accepted)), 2)


def test_alert_waits_in_the_outbox_while_the_sink_is_down(make_notifier, receiver, store) -> None:
    receiver.answer((503, {}, b""))
    notifier = make_notifier()
    notifier.record([BAD], digest=False)
    notifier.deliver()
    assert [(i.attempts, i.parked, "HTTP 503" in (i.last_error or "")) for i in store.outbox()] == [(1, False, True)]


def test_alert_is_parked_after_max_attempts(make_notifier, receiver, clock, store) -> None:
    receiver.answer(*[(500, {}, b"")] * 10)
    notifier = make_notifier(alert_max_attempts="3")
    notifier.record([BAD], digest=False)
    drain(notifier, clock, rounds=5)
    assert ([i.parked for i in store.outbox()], len(receiver.requests)) == ([True], 3)


def test_outbox_never_holds_the_sink_url(make_notifier, receiver, store) -> None:
    receiver.answer((500, {}, b""))
    notifier = make_notifier()
    notifier.record([BAD], digest=False)
    notifier.deliver()
    assert "XXSECRETXX" not in repr(store.outbox())


def test_concurrent_instances_alert_once(store, receiver, clock) -> None:
    settings = load_settings({})
    sink = WebhookSink(receiver.url, SECRET)

    def instance() -> None:
        notifier = Notifier(store, [sink], settings, clock=clock)
        notifier.record([BAD], digest=False)
        notifier.deliver()

    threads = [threading.Thread(target=instance) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert alert_kinds(receiver) == ["new"]


def test_redelivered_event_is_recognised(make_notifier) -> None:
    notifier = make_notifier()
    notifier.record([BAD], digest=False, event_id="evt-1")
    assert (notifier.event_seen("evt-1"), notifier.event_seen("evt-2")) == (True, False)


def test_error_findings_do_not_alert(make_notifier, receiver) -> None:
    notifier = make_notifier()
    notifier.record([make_finding("orders", status=Status.ERROR, reason=Reason.ARM_ERROR)], digest=False)
    notifier.deliver()
    assert delivered(receiver) == []


def _finding_ids(receiver: Receiver) -> list[str]:
    return [f["resource_id"] for body in delivered(receiver) for f in body["findings"]]


def test_webhook_body_carries_the_finding(make_notifier, receiver) -> None:
    notifier = make_notifier()
    notifier.record([BAD], digest=False)
    notifier.deliver()
    assert _finding_ids(receiver) == [BAD.resource_id]


def test_huge_digest_is_split_worst_first_into_parts_that_fit(make_notifier, receiver, store) -> None:
    notifier = make_notifier()
    fixed = [make_finding(f"old-{i:04d}", status=Status.COMPLIANT, reason=Reason.ONBOARDED) for i in range(450)]
    notifier.record([make_finding(f"old-{i:04d}") for i in range(450)], digest=False)
    notifier.deliver()
    receiver.requests.clear()
    notifier.record([*fixed, make_finding("brand-new")], digest=True)
    notifier.deliver()
    parts = [[a["kind"] for a in json.loads(r.body)["alerts"]] for r in receiver.requests]
    assert ([len(p) for p in parts], parts[0][0]) == ([400, 51], "new")


def test_held_digests_for_one_sink_leave_merged_after_the_hold(make_notifier, receiver, clock) -> None:
    notifier = make_notifier()
    hold = dt.timedelta(minutes=3)
    notifier.record([make_finding("orders", service="apim-a")], digest=True, hold=hold)
    notifier.record([make_finding("billing", service="apim-b")], digest=True, hold=hold)
    notifier.deliver()
    early = len(receiver.requests)
    clock.advance(minutes=4)
    notifier.deliver()
    assert (early, sorted(_finding_ids(receiver))) == (
        0,
        sorted(
            [
                make_finding("orders", service="apim-a").resource_id,
                make_finding("billing", service="apim-b").resource_id,
            ]
        ),
    )


# --- each alert once per sink, whatever queued it twice (issue 9, items 1 and 2) -----------------------------------


class FailingStatusWrites:
    """A store whose status writes fail after ``allowed`` of them: the process died (or Tables went away) half-way
    through recording a digest, after the digest was queued."""

    def __init__(self, store: StateStore, allowed: int) -> None:
        self._store = store
        self._allowed = allowed

    def put_status(self, record):
        if self._allowed <= 0:
            raise StateError("state store (Azure Tables): put_status failed: connection refused")
        self._allowed -= 1
        return self._store.put_status(record)

    def __getattr__(self, name: str):
        return getattr(self._store, name)


def _alert_ids(receiver: Receiver) -> list[str]:
    return [a["alert_id"] for body in delivered(receiver) for a in body["alerts"]]


@pytest.mark.parametrize("recorded_before_the_crash", [0, 1, 29])
def test_digest_recorded_again_after_a_crash_alerts_each_api_once(
    store, receiver, clock, recorded_before_the_crash
) -> None:
    findings = [make_finding(f"api-{n:02d}") for n in range(30)]
    sink = WebhookSink(receiver.url, SECRET, timeout=2)
    settings = load_settings({})
    crashing = Notifier(FailingStatusWrites(store, recorded_before_the_crash), [sink], settings, clock=clock)
    with pytest.raises(StateError):
        crashing.record(findings, digest=True)
    rerun = Notifier(store, [sink], settings, clock=clock)
    rerun.record(findings, digest=True)
    drain(rerun, clock)
    ids = _alert_ids(receiver)
    assert (len(ids), len(set(ids)), store.outbox()) == (30, 30, [])


def test_overlapping_digests_queued_by_two_recorders_go_out_as_one_message_with_each_alert_once(
    make_notifier, receiver, store, clock
) -> None:
    notifier = make_notifier()
    first = [make_finding(f"api-{n}") for n in range(6)]
    sinks, settings = [WebhookSink(receiver.url, SECRET)], load_settings({})
    crashing = Notifier(FailingStatusWrites(store, 0), sinks, settings, clock=clock)
    with pytest.raises(StateError):
        crashing.record(first, digest=True)  # queued all six, stored no status
    notifier.record(first[3:], digest=True)  # the second recorder queues a different set: three of the same
    notifier.deliver()
    ids = _alert_ids(receiver)
    assert (len(delivered(receiver)), len(ids), len(set(ids))) == (1, 6, 6)


def test_alert_queued_again_after_it_was_sent_is_not_sent_again(make_notifier, receiver, store, clock) -> None:
    notifier = make_notifier()
    notifier.record([BAD], digest=True)
    notifier.deliver()
    # A late recorder read the status before it was stored, so it computed the same transition, and queues it now.
    late = decide(None, BAD, clock(), dt.timedelta(hours=24)).alert
    assert late is not None
    store.enqueue(
        OutboxItem(
            "webhook-digest-late-1of1", "webhook", (late,), created_at=clock(), next_attempt_at=clock(), digest=True
        )
    )
    notifier.deliver()
    assert (len(_alert_ids(receiver)), store.outbox()) == (1, [])
