"""Pruning in the outbox timer (``Runtime.deliver_outbox``, what DrainOutbox and ``alerts --deliver`` run): expired
state goes after delivering, and a pruning failure is logged and never fails the run or loses an alert."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from emulator.receiver import Receiver
from monitors.errors import SettingsError, StateError
from monitors.model import CoverageSnapshot
from monitors.runtime import Runtime, build_runtime
from monitors.settings import load_settings
from tests.state.records import item

SECRET = "whsec_" + "c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw=="
DAY = dt.timedelta(days=1)


@pytest.fixture
def runtime(tmp_path: Path, emulator_env: dict[str, str], receiver: Receiver) -> Iterator[Runtime]:
    settings = load_settings(
        {
            **emulator_env,
            "MONITOR_STATE": f"sqlite:{tmp_path / 'state.sqlite'}",
            "MONITOR_WEBHOOK_URL": receiver.url,
            "MONITOR_WEBHOOK_SECRET": SECRET,
            "MONITOR_STATE_TTL_DAYS": "30",
            "MONITOR_PRUNE_PAGE": "10",
        }
    )
    built = build_runtime(settings, in_azure=False)
    yield built
    built.close()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def test_a_timer_run_prunes_every_expired_row_within_its_budget_and_keeps_recent_ones(runtime: Runtime) -> None:
    assert runtime.store is not None
    for n in range(25):
        runtime.store.mark_event(f"old-{n}", now() - 31 * DAY)
    runtime.store.mark_event("recent", now() - 29 * DAY)
    runtime.deliver_outbox()  # nothing to deliver; 3 pages of 10 fit 0.2 of the 5-minute period many times over
    assert (sum(runtime.store.event_seen(f"old-{n}") for n in range(25)), runtime.store.event_seen("recent")) == (
        0,
        True,
    )


def test_a_small_share_prunes_a_page_a_run_and_later_runs_finish(runtime: Runtime) -> None:
    assert runtime.store is not None
    small = replace(runtime, settings=replace(runtime.settings, prune_share=1e-9))
    for n in range(25):
        runtime.store.mark_event(f"old-{n}", now() - 31 * DAY)
    left = []
    for _ in range(3):  # a budget below one page's time: each run takes one page of 10, its minimum
        small.deliver_outbox()
        left.append(sum(runtime.store.event_seen(f"old-{n}") for n in range(25)))
    assert left == [15, 5, 0]


def test_a_failed_prune_neither_fails_delivery_nor_loses_an_alert(
    runtime: Runtime, receiver: Receiver, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runtime.store is not None
    runtime.store.enqueue(item("due", sink="webhook", created_at=now(), next_attempt_at=now()))
    later = now() + DAY
    runtime.store.enqueue(item("later", sink="webhook", created_at=now(), next_attempt_at=later))
    runtime.store.mark_event("old", now() - 31 * DAY)

    def broken(before: dt.datetime, limit: int) -> int:
        raise StateError("state store (SQLite): prune failed: disk I/O error")

    monkeypatch.setattr(runtime.store, "prune", broken)
    with caplog.at_level(logging.WARNING, logger="monitors.runtime"):
        report = runtime.deliver_outbox()
    assert report.sent == 1
    assert len(receiver.requests) == 1
    assert [i.item_id for i in runtime.store.outbox()] == ["later"]
    assert "pruning expired rows failed, to be tried next run" in caplog.text

    monkeypatch.undo()  # the next run prunes
    runtime.deliver_outbox()
    assert runtime.store.event_seen("old") is False
    assert [i.item_id for i in runtime.store.outbox()] == ["later"]


@pytest.mark.parametrize(
    ("days", "allowed"),
    [("1", False), ("1.9", False), ("2", True), ("30", True)],
)
def test_a_ttl_under_two_days_is_a_settings_error(days: str, allowed: bool) -> None:
    if allowed:
        assert load_settings({"MONITOR_STATE_TTL_DAYS": days}).state_ttl_days == float(days)
        return
    with pytest.raises(SettingsError, match=r"MONITOR_STATE_TTL_DAYS=.*at least 2 days .*24 hours"):
        load_settings({"MONITOR_STATE_TTL_DAYS": days})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MONITOR_PRUNE_PAGE", "0"),
        ("MONITOR_PRUNE_PAGE", "ten"),
        ("MONITOR_PRUNE_SHARE", "0"),
        ("MONITOR_PRUNE_SHARE", "1.5"),
    ],
)
def test_bad_prune_settings_are_refused(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})


def test_a_ttl_shorter_than_approval_links_live_is_a_settings_error() -> None:
    links = {"MONITOR_APPROVAL_KEY": "k" * 64, "MONITOR_APPROVAL_HOURS": "72"}
    with pytest.raises(SettingsError, match=r"MONITOR_STATE_TTL_DAYS=2: shorter than MONITOR_APPROVAL_HOURS=72"):
        load_settings({**links, "MONITOR_STATE_TTL_DAYS": "2"})
    assert load_settings({**links, "MONITOR_STATE_TTL_DAYS": "3"}).state_ttl_days == 3
    assert load_settings({"MONITOR_STATE_TTL_DAYS": "2"}).state_ttl_days == 2  # no approval links: no such limit


def test_the_timer_prunes_coverage_snapshots_older_than_ninety_days(runtime: Runtime) -> None:
    assert runtime.store is not None
    runtime.store.record_coverage(
        [CoverageSnapshot(now() - dt.timedelta(days=days), "sub", 4, 2) for days in (91, 89, 1)]
    )
    runtime.deliver_outbox()
    kept = runtime.store.coverage_history(now() - dt.timedelta(days=365))
    assert sorted(round((now() - s.at).total_seconds() / 86400) for s in kept) == [1, 89]
