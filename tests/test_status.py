"""``python -m monitors status``: the figures from what the state store holds (pure), the text and JSON a user
reads, and the command on a store that a whole sweep filled (the functions run as the host runs them)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from azure.storage.queue import QueueClient

from monitors.cli import main
from monitors.model import CoverageSnapshot, Meter, ProtectionRecord, Reason, Status, StatusRecord
from monitors.reports.status import render_status
from monitors.status import coverage_now, oldest_unprotected_age, status_report, time_to_protect
from tests.conftest import PROD
from tests.worker import decode_queue, decode_timer

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
SVC = "/subscriptions/{}/resourcegroups/rg/providers/microsoft.apimanagement/service/apim"


def api(sub: str, name: str, status: Status, reason: Reason, hours_ago: float) -> StatusRecord:
    return StatusRecord(f"{SVC.format(sub)}/apis/{name}", status, reason, NOW - dt.timedelta(hours=hours_ago))


STATUSES = [
    api("s1", "a", Status.COMPLIANT, Reason.ONBOARDED, 50),
    api("s1", "b", Status.NONCOMPLIANT, Reason.NOT_ONBOARDED, 30),
    api("s1", "c", Status.NONCOMPLIANT, Reason.NOT_ONBOARDED, 2),
    api("s1", "d", Status.NOT_APPLICABLE, Reason.NON_REST_API, 9),  # leaves the denominator
    api("s2", "e", Status.COMPLIANT, Reason.ONBOARDED, 1),
    api("s2", "f", Status.ERROR, Reason.ARM_ERROR, 1),  # stays in it, as a scan's coverage keeps it
    StatusRecord(
        "/subscriptions/s1/providers/microsoft.security/pricings/api", Status.COMPLIANT, Reason.PLAN_ENABLED, NOW
    ),
]


def test_coverage_and_the_oldest_unprotected_api_per_subscription() -> None:
    assert [(c.subscription_id, c.applicable, c.onboarded) for c in coverage_now(STATUSES, NOW)] == [
        ("s1", 3, 1),
        ("s2", 2, 1),
    ]
    assert oldest_unprotected_age(STATUSES, NOW) == {"s1": 30 * 3600.0, "s2": 0.0}


def test_time_to_protect_percentiles_of_the_clocks_stopped_in_the_window() -> None:
    start = NOW - dt.timedelta(days=1)
    records = [ProtectionRecord(f"k{n}", start, start + dt.timedelta(seconds=60 * n)) for n in range(1, 11)]
    records.append(ProtectionRecord("old", start - dt.timedelta(days=60), start - dt.timedelta(days=59)))
    [onboarded, healthy] = time_to_protect(records, NOW - dt.timedelta(days=30))
    assert (onboarded.count, onboarded.p50_seconds, onboarded.p95_seconds) == (10, 330.0, 573.0)
    assert (healthy.count, healthy.p50_seconds) == (0, None)


def test_the_report_a_user_reads() -> None:
    history = [CoverageSnapshot(NOW - dt.timedelta(days=7), "s1", 3, 0)]
    report = status_report(
        now=NOW,
        statuses=STATUSES,
        history=history,
        protections=[ProtectionRecord("k", NOW - dt.timedelta(hours=1), NOW - dt.timedelta(minutes=55))],
        outbox=[],
        last_sweep=Meter("sweep/last", 6, NOW - dt.timedelta(minutes=20)),
        window=dt.timedelta(days=30),
    )
    text = render_status(report)
    assert text.splitlines() == [
        "Coverage: 2 of 5 applicable APIs onboarded (40.0%)",
        "  s1: 1 of 3 (33.3%); 0.0% 7.0 d ago",
        "  s2: 1 of 2 (50.0%)",
        "Unprotected APIs: 2, oldest first:",
        f"    30.0 h  {SVC.format('s1')}/apis/b",
        f"     2.0 h  {SVC.format('s1')}/apis/c",
        "Time to onboarded: p50 5 min, p95 5 min over 1 APIs",
        "Time to healthy: no API yet",
        "Outbox: 0 waiting, 0 parked",
        "Last sweep: 2026-12-02T11:40:00+00:00 (20 min ago, 6 services)",
    ]
    data = json.loads(render_status(report, "json"))
    assert data["coverage"][0]["trend"] == [
        {"at": "2026-11-25T12:00:00+00:00", "applicable": 3, "onboarded": 0, "ratio": 0.0}
    ]
    assert [u["age_seconds"] for u in data["unprotected"]] == [108000.0, 7200.0]


@pytest.fixture
def swept(functions, arm, monkeypatch, emulator_env, storage, tmp_path):
    """A whole sweep (timer, then every queued service) into a SQLite state store; returns its MONITOR_STATE."""
    state = f"sqlite:{tmp_path / 'state.sqlite'}"
    for key, value in {**emulator_env, "MONITOR_SUBSCRIPTIONS": PROD, "MONITOR_STATE": state}.items():
        monkeypatch.setenv(key, value)
    queue = QueueClient.from_connection_string(storage.connection_string, "apim-sweep")
    for _ in range(2):  # the second timer reads what the first sweep recorded
        functions["SweepTimer"].get_user_function()(decode_timer())
        for message in queue.receive_messages(max_messages=32):
            functions["SweepWorker"].get_user_function()(decode_queue(message.content, message_id=message.id))
            queue.delete_message(message)
    return state


def test_status_after_a_sweep(swept) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["status", "--format", "json"], stdout=out, stderr=err) == 0, err.getvalue()
    data = json.loads(out.getvalue())
    [coverage] = data["coverage"]
    assert coverage["subscription_id"] == PROD and 0 < coverage["onboarded"] < coverage["applicable"]
    assert [t["onboarded"] for t in coverage["trend"]] == [coverage["onboarded"]]  # the second timer's snapshot
    assert data["last_sweep"]["services"] == 5
    assert data["unprotected"] and all(f"/subscriptions/{PROD}/" in u["api_id"] for u in data["unprotected"])
    text = io.StringIO()
    assert main(["status"], stdout=text, stderr=err) == 0
    assert text.getvalue().startswith(f"Coverage: {coverage['onboarded']} of {coverage['applicable']} applicable")


def test_status_without_a_state_store_says_so_in_one_line(monkeypatch, emulator_env) -> None:
    for key, value in emulator_env.items():
        monkeypatch.setenv(key, value)
    out, err = io.StringIO(), io.StringIO()
    assert main(["status"], stdout=out, stderr=err) == 2
    assert err.getvalue().strip().splitlines()[-1].startswith("error: MONITOR_STATE: not set")
