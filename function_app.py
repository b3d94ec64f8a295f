"""Azure Functions entry points (Python v2 programming model): wiring only, the engine decides.

``OnApiEvent`` receives Event Grid events (subscription system topics and APIM's own topic, in Event Grid or
CloudEvents schema, which the host hands over as one ``EventGridEvent``): skip a redelivered event, parse, evaluate,
act, record the transition, alert. Malformed and irrelevant events are logged and acknowledged; transient ARM errors
(429, 5xx, timeouts), an unreachable state store and configuration errors raise so that Event Grid redelivers
instead of dropping the event. ``SweepTimer`` inventories the estate on ``MONITOR_SWEEP_SCHEDULE`` and enqueues one
message per APIM service; ``SweepWorker`` reconciles one service per message; ``DrainOutbox`` retries undelivered
alerts every five minutes.
"""

from __future__ import annotations

import functools
import logging

import azure.functions as func

from monitors.engine import EventOutcome
from monitors.errors import EventError
from monitors.model import Status
from monitors.runtime import Runtime, build_runtime
from monitors.settings import load_settings

app = func.FunctionApp()
log = logging.getLogger("monitors.function")


@functools.cache
def _runtime() -> Runtime:
    """One runtime per warm instance: settings read once; clients, caches and the state store reused."""
    return build_runtime(load_settings(), in_azure=True)


def _as_dict(event: func.EventGridEvent) -> dict[str, object]:
    return {
        "id": event.id,
        "topic": event.topic,
        "subject": event.subject,
        "eventType": event.event_type,
        "data": event.get_json(),
        "dataVersion": event.data_version,
        "eventTime": event.event_time.isoformat() if event.event_time else None,
    }


def _log(outcome: EventOutcome) -> None:
    finding = outcome.finding
    if finding is None:
        log.info("event %s ignored: %s", outcome.event_id, outcome.ignored)
        return
    level = logging.WARNING if finding.status in (Status.NONCOMPLIANT, Status.ERROR) else logging.INFO
    log.log(
        level,
        "event %s: %s status=%s reason=%s action=%s: %s",
        outcome.event_id,
        finding.resource_id,
        finding.status,
        finding.reason,
        finding.action,
        finding.detail,
    )


@app.function_name(name="OnApiEvent")
@app.event_grid_trigger(arg_name="event")
def on_api_event(event: func.EventGridEvent) -> None:
    outcome = _runtime().process_event(_as_dict(event))
    if outcome is None:
        log.info("event %s was already processed; acknowledged", event.id)
    else:
        _log(outcome)


@app.function_name(name="SweepTimer")
@app.timer_trigger(schedule="%MONITOR_SWEEP_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def sweep_timer(timer: func.TimerRequest) -> None:
    count = _runtime().start_sweep()
    log.info("sweep: %d APIM services enqueued", count)


@app.function_name(name="SweepWorker")
@app.queue_trigger(arg_name="msg", queue_name="%MONITOR_SWEEP_QUEUE%", connection="AzureWebJobsStorage")
def sweep_worker(msg: func.QueueMessage) -> None:
    try:
        findings = _runtime().reconcile_message(msg.get_body().decode("utf-8", "replace"), msg.dequeue_count or 1)
    except EventError as exc:
        log.error("sweep message %s dropped: %s", msg.id, exc)  # bad input: retrying would not help
        return
    log.info("sweep message %s: %d findings", msg.id, len(findings))


@app.function_name(name="DrainOutbox")
@app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
def drain_outbox(timer: func.TimerRequest) -> None:
    notifier = _runtime().notifier
    if notifier is not None:
        report = notifier.deliver()
        log.info("outbox: %d sent, %d retrying, %d parked", report.sent, report.retrying, report.parked)
