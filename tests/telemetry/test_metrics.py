"""The telemetry contract, read back through the OpenTelemetry SDK's in-memory reader after the functions run as the
Functions host runs them (payloads decoded by azure-functions' own converters, state and queues in Azurite, ARM on
the emulator, alerts to a loopback receiver)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from azure.storage.queue import QueueClient

from emulator.receiver import Receiver
from monitors import telemetry
from monitors.cli import main
from tests.conftest import PROD
from tests.telemetry.conftest import Recorded
from tests.test_function_alerts import SECRET, grid_event
from tests.worker import decode_queue, decode_timer

ROOT = Path(__file__).resolve().parents[2]


def event(api: str, event_id: str = "6f1e6a5c-0000-4000-8000-00000000000a") -> object:
    """One ResourceWriteSuccess for an API of apim-prod, decoded as the worker does."""
    return grid_event(api, event_id)


@pytest.fixture
def app(functions, arm, monkeypatch, emulator_env, receiver: Receiver, tmp_path):
    """The function app on the emulator, SQLite state, a signed webhook; returns the functions by name."""
    settings = {**emulator_env, "MONITOR_WEBHOOK_URL": receiver.url, "MONITOR_WEBHOOK_SECRET": SECRET}
    for key, value in {**settings, "MONITOR_STATE": f"sqlite:{tmp_path / 'state.sqlite'}"}.items():
        monkeypatch.setenv(key, value)
    return {name: function.get_user_function() for name, function in functions.items()}


def test_an_event_counts_its_finding_its_duration_and_one_span_per_step(app, recorded: Recorded) -> None:
    app["OnApiEvent"](event("orders"))
    assert recorded.points("monitor.findings") == [
        ({"status": "noncompliant", "reason": "not_onboarded", "subscription": PROD}, 1)
    ]
    [(_, (count, seconds))] = recorded.points("monitor.event.duration")
    assert count == 1 and 0 < seconds < 10
    spans = recorded.finished()
    root = next(s for s in spans if s.name == "monitor.event")
    assert root.attributes is not None and root.attributes["event_id"] == "6f1e6a5c-0000-4000-8000-00000000000a"
    children = [s.name for s in sorted(spans, key=lambda s: s.start_time or 0) if s.parent is not None]
    assert [n for n in dict.fromkeys(children)] == ["parse", "rules", "facts", "remediation", "record", "deliver"]
    assert all(s.context.trace_id == root.context.trace_id for s in spans)
    assert {s.attributes["fact"] for s in spans if s.name == "facts" and s.attributes} >= {"api", "collection"}


def test_a_redelivered_event_is_timed_but_counts_no_second_finding(app, recorded: Recorded) -> None:
    app["OnApiEvent"](event("orders"))
    app["OnApiEvent"](event("orders"))  # Event Grid's redelivery: already processed
    assert recorded.total("monitor.findings") == 1
    assert [value[0] for _, value in recorded.points("monitor.event.duration")] == [2]


def test_arm_requests_are_counted_per_subscription_and_status_retries_and_429s_included(
    app, arm, recorded: Recorded, monkeypatch
) -> None:
    monkeypatch.setenv("MONITOR_ARM_RETRY_BACKOFF", "0")
    arm.add_fault("GET", "/apis/orders", status=429, retry_after=0)
    app["OnApiEvent"](event("orders"))
    assert recorded.total("monitor.arm.requests", subscription=PROD, status="429") == 1
    answered = recorded.total("monitor.arm.requests", subscription=PROD, status="200")
    assert answered + recorded.total("monitor.arm.requests", subscription=PROD, status="404") == len(
        [r for r in arm.requests if r.status != 429]
    )


def test_onboarding_started_and_succeeded_then_failed(
    app, arm, recorded: Recorded, monkeypatch, storage, tmp_path
) -> None:
    monkeypatch.setenv("MONITOR_AUTO_ONBOARD", "on")
    queue = QueueClient.from_connection_string(storage.connection_string, "apim-onboard")
    app["OnApiEvent"](event("orders", "e-1"))
    app["OnApiEvent"](event("billing", "e-2"))
    arm.add_fault("PUT", "apiCollections/billing", status=400)
    for message in queue.receive_messages(max_messages=32):
        app["OnboardWorker"](decode_queue(message.content, message_id=message.id))
        queue.delete_message(message)
    outcomes = {a["outcome"]: v for a, v in recorded.points("monitor.onboardings")}
    assert outcomes == {"started": 2, "succeeded": 1, "failed": 1}


def test_deliveries_sent_retried_and_the_outbox_measured_by_the_drain_timer(
    app, receiver: Receiver, recorded: Recorded, monkeypatch
) -> None:
    monkeypatch.setenv("MONITOR_ALERT_RETRY_SECONDS", "0")
    receiver.answer((503, {}, b""))
    app["OnApiEvent"](event("orders", "e-1"))
    app["DrainOutbox"](decode_timer())  # sends the waiting message, then measures what is left: nothing
    assert recorded.total("monitor.deliveries", outcome="retried", sink="webhook") == 1
    assert recorded.total("monitor.deliveries", outcome="sent", sink="webhook") == 1
    assert (recorded.points("monitor.outbox.depth"), recorded.points("monitor.outbox.oldest_age")) == (
        [({}, 0)],
        [({}, 0.0)],
    )
    receiver.answer((503, {}, b""))
    app["OnApiEvent"](event("billing", "e-2"))
    receiver.answer((503, {}, b""))
    app["DrainOutbox"](decode_timer())
    assert recorded.points("monitor.outbox.depth") == [({}, 1)]
    [(_, age)] = recorded.points("monitor.outbox.oldest_age")
    assert 0 < age < 60


def test_a_broken_provider_never_fails_the_event(app, receiver: Receiver, caplog) -> None:
    class Broken:
        def get_meter(self, *args: object, **kwargs: object) -> object:
            raise RuntimeError("exporter down")

        def get_tracer(self, *args: object, **kwargs: object) -> object:
            raise RuntimeError("exporter down")

    telemetry.use(meter_provider=Broken(), tracer_provider=Broken())
    try:
        app["OnApiEvent"](event("orders"))
    finally:
        telemetry.use()
    assert [json.loads(r.body)["findings"][0]["api"] for r in receiver.requests] == ["orders"]
    assert caplog.text.count("telemetry is not recorded") == 1


def test_importing_the_function_app_loads_no_opentelemetry() -> None:
    code = "import sys, function_app; print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_cli_sends_its_telemetry_where_monitor_otel_says(tmp_path: Path, emulator_env) -> None:
    """A CLI run with MONITOR_OTEL=console prints its spans and metrics at exit (stderr), in its own process; an
    unknown mode is a one-line settings error."""
    env = {**emulator_env, "MONITOR_OTEL": "console", "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [sys.executable, "-m", "monitors", "scan", "--subscription", PROD, "--format", "json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr[-2000:]  # noncompliant APIs in the estate
    assert '"name": "monitor.findings"' in run.stderr and '"name": "monitor.arm.requests"' in run.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "monitors", "scan", "--subscription", PROD],
        cwd=ROOT,
        env={**env, "MONITOR_OTEL": "loud"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (bad.returncode, bad.stderr.strip()) == (
        2,
        "error: MONITOR_OTEL='loud': expected one of off, console, otlp, azure",
    )


def test_the_sweep_timer_sets_coverage_and_the_oldest_unprotected_age_from_the_state_store(
    app, storage, recorded: Recorded, monkeypatch
) -> None:
    monkeypatch.setenv("MONITOR_SUBSCRIPTIONS", PROD)
    queue = QueueClient.from_connection_string(storage.connection_string, "apim-sweep")
    app["SweepTimer"](decode_timer())  # nothing recorded yet: no subscription to measure
    assert recorded.points("monitor.coverage") == []
    for message in queue.receive_messages(max_messages=32):
        app["SweepWorker"](decode_queue(message.content, message_id=message.id))
        queue.delete_message(message)
    app["SweepTimer"](decode_timer())
    out = io.StringIO()
    assert main(["status", "--format", "json"], stdout=out, stderr=io.StringIO()) == 0
    [coverage] = json.loads(out.getvalue())["coverage"]
    assert recorded.points("monitor.coverage") == [({"subscription": PROD}, coverage["ratio"])]
    [(attributes, age)] = recorded.points("monitor.unprotected.oldest_age")
    assert attributes == {"subscription": PROD} and 0 <= age < 600
