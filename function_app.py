"""Azure Functions entry points (Python v2 programming model): wiring only; the application service (``runtime``) runs
each use case and the engine decides.

``OnApiEvent`` receives Event Grid events (subscription system topics and APIM's own topic). The worker hands an
Event Grid schema delivery over as ``func.EventGridEvent`` and, since azure-functions 1.25, a CloudEvents 1.0 delivery
as ``func.CloudEvent`` (no topic / event_type / event_time): both become the wire-shaped mapping the parser reads. It
claims the event id, parses, evaluates, records the transition and alerts, and hands long work to queues so that it
answers well inside Event Grid's ~30 s wait: onboarding (an LRO that may take minutes) goes to ``OnboardWorker``, a
changed service to ``SweepWorker``. Malformed and irrelevant events are logged and acknowledged; transient ARM errors
(429, 5xx, timeouts), a broken identity, an unreachable state store and configuration errors raise so that Event Grid
redelivers instead of dropping the event. ``SweepTimer`` inventories the estate on ``MONITOR_SWEEP_SCHEDULE`` and
enqueues one message per APIM service; ``SweepWorker`` reconciles one service per message; ``DrainOutbox`` retries
undelivered alerts every five minutes. ``Approve`` serves the approval links of MONITOR_AUTO_ONBOARD=approve: a GET
shows what the link would do, only the page's POST onboards or exempts the API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import parse_qs

import azure.functions as func

from monitors.approval import ApprovalRequest
from monitors.engine import EventOutcome
from monitors.errors import EventError, SettingsError
from monitors.model import Status
from monitors.reports.pages import HEADERS
from monitors.runtime import LazyRuntime, build_runtime
from monitors.settings import load_settings

app = func.FunctionApp()
log = logging.getLogger("monitors.function")
T = TypeVar("T")
TEXT = {"Content-Type": "text/plain; charset=utf-8"}


# One runtime per warm instance: settings read once; clients, caches and the state store reused.
RUNTIME = LazyRuntime(lambda: build_runtime(load_settings(), in_azure=True))


def _as_dict(event: func.EventGridEvent | func.CloudEvent) -> dict[str, object]:
    """The delivered event in its wire shape, whichever schema the subscription uses."""
    if isinstance(event, func.CloudEvent):
        return {
            "specversion": event.specversion,
            "id": event.id,
            "source": event.source,
            "type": event.type,
            "subject": event.subject,
            "time": event.time.isoformat() if event.time else None,
            "data": event.get_json(),
        }
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
    # The worker accepts one class per trigger annotation (a union fails function load); its Event Grid converter
    # still hands a CloudEvents delivery over as func.CloudEvent, which _as_dict reads.
    outcome = RUNTIME.get().process_event(_as_dict(event))
    if outcome is None:
        log.info("event %s was already processed; acknowledged", event.id)
    elif outcome.work is not None:
        log.info("event %s: %s changed; queued for reconciling", outcome.event_id, outcome.work.facts.ref)
    else:
        _log(outcome)


@app.function_name(name="SweepTimer")
@app.timer_trigger(schedule="%MONITOR_SWEEP_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def sweep_timer(timer: func.TimerRequest) -> None:
    count = RUNTIME.get().start_sweep()
    log.info("sweep: %d APIM services enqueued", count)


@app.function_name(name="SweepWorker")
@app.queue_trigger(arg_name="msg", queue_name="%MONITOR_SWEEP_QUEUE%", connection="AzureWebJobsStorage")
def sweep_worker(msg: func.QueueMessage) -> None:
    findings = _take("sweep", msg, RUNTIME.get().reconcile_message)
    if findings is not None:
        log.info("sweep message %s: %d findings", msg.id, len(findings))


@app.function_name(name="OnboardWorker")
@app.queue_trigger(arg_name="msg", queue_name="%MONITOR_ONBOARD_QUEUE%", connection="AzureWebJobsStorage")
def onboard_worker(msg: func.QueueMessage) -> None:
    finding = _take("onboarding", msg, RUNTIME.get().onboard_message)
    if finding is not None:
        log.info("onboarding message %s: %s action=%s", msg.id, finding.resource_id, finding.action)


def _take(kind: str, msg: func.QueueMessage, use_case: Callable[[str, int], T]) -> T | None:
    """Run a queue message's use case; a message it cannot read is dropped with an error log (retrying would not
    help), None. Every other failure raises, so that the queue retries the message."""
    try:
        return use_case(msg.get_body().decode("utf-8", "replace"), msg.dequeue_count or 1)
    except EventError as exc:
        log.error("%s message %s dropped: %s", kind, msg.id, exc)
        return None


@app.function_name(name="Approve")
@app.route(route="approve", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS)
def approve(req: func.HttpRequest) -> func.HttpResponse:
    # Anonymous at the function level: the signed link and the approver's Entra sign-in (App Service authentication,
    # X-MS-CLIENT-PRINCIPAL) are the gates, checked by the runtime. GET shows a confirmation and never acts.
    token = req.params.get("t", "") if req.method == "GET" else _form_field(req, "t")
    request = ApprovalRequest(req.method, req.url, token, dict(req.headers))
    try:
        page = RUNTIME.get().approve(request)
    except SettingsError as exc:
        log.error("approval link refused: %s", exc)
        return func.HttpResponse("Approval links are not enabled on this app.", status_code=404, headers=TEXT)
    headers = {**HEADERS, **({"Location": page.location} if page.location else {})}
    return func.HttpResponse(page.html, status_code=page.status, headers=headers)


def _form_field(req: func.HttpRequest, name: str) -> str:
    """A field of an application/x-www-form-urlencoded POST body (the confirmation page's form); bounded."""
    body = req.get_body()[:8192].decode("utf-8", "replace")
    values = parse_qs(body, max_num_fields=10).get(name) or [""]
    return values[0]


@app.function_name(name="DrainOutbox")
@app.timer_trigger(schedule="0 */5 * * * *", arg_name="timer", run_on_startup=False, use_monitor=True)
def drain_outbox(timer: func.TimerRequest) -> None:
    report = RUNTIME.get().deliver_outbox()
    log.info("outbox: %d sent, %d retrying, %d parked", report.sent, report.retrying, report.parked)
