"""Azure Functions entry points (Python v2 programming model): wiring only, the engine decides.

``OnApiEvent`` receives Event Grid events (subscription system topics and APIM's own topic, in Event Grid or
CloudEvents schema, which the host hands over as one ``EventGridEvent``): parse, evaluate, act, report. Malformed and
irrelevant events are logged and acknowledged; transient ARM errors (429, 5xx, timeouts) and configuration errors raise
so that Event Grid redelivers instead of dropping the event.
"""

from __future__ import annotations

import functools
import logging

import azure.functions as func

from monitors.azure.clients import ArmClients
from monitors.engine import Engine, EventOutcome
from monitors.model import Status
from monitors.settings import load_settings

app = func.FunctionApp()
log = logging.getLogger("monitors.function")


@functools.cache
def _engine() -> Engine:
    """One engine per warm instance: settings read once, clients and caches reused across invocations."""
    settings = load_settings()
    return Engine(settings, ArmClients(settings))


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
    _log(_engine().handle_event(_as_dict(event)))
